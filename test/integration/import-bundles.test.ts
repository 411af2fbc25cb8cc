import { describe, expect, it, beforeAll } from 'vitest';
import { mkdirSync, writeFileSync, symlinkSync, readFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import tarStream from 'tar-stream';
import Database from 'better-sqlite3';
import { cliJson, cli, tempDir } from '../helpers/cli';
import { HAVE_CORPUS, corpusPath } from '../corpus';

const auditLine = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ audit_version: 1, event_id: `evt_${i}`, run_id: `run_${Math.floor(i / 3)}`, seq: i % 3, ts: `2026-10-12T10:00:0${i % 10}.000Z`, type: 'input', workflow: 'refund-agent', tier: 'auto', input: { text: `hello ${i}` }, ...extra });

function zipBuffer(files: Array<{ name: string; data: Buffer; mode?: number }>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const z = new yazl.ZipFile();
    for (const f of files) z.addBuffer(f.data, f.name, f.mode ? { mode: f.mode } : {});
    z.end();
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    z.outputStream.on('error', reject);
  });
}

async function tarGz(file: string, entries: Array<{ name: string; data?: string; type?: 'file' | 'symlink'; linkname?: string }>) {
  const pack = tarStream.pack();
  for (const e of entries) {
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname });
    else pack.entry({ name: e.name }, e.data ?? '');
  }
  pack.finalize();
  await pipeline(pack, createGzip(), createWriteStream(file));
}

/** records in = stored + quarantined + skipped, for every source */
function checkEquation(sources: Array<{ records: number; stored?: number; quarantined: number; skipped: number }>) {
  for (const s of sources) expect(s.records).toBe((s.stored ?? 0) + s.quarantined + s.skipped);
}

describe('import: malformed input is quarantined with file, line and reason', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });

  it('JSONL with bad lines: invalid JSON, invalid UTF-8, schema failure, a 10 MB line, duplicate id with other content', () => {
    const lines = [auditLine(1), '{"audit_version":1, "event_id": "evt_x", truncated', auditLine(2)];
    const good = Buffer.from(lines.join('\n') + '\n');
    const badUtf8 = Buffer.concat([Buffer.from('{"audit_version":1,"event_id":"evt_u","run_id":"r","ts":"2026-10-12T10:00:00Z","type":"input","input":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
    const wrongType = Buffer.from(JSON.stringify({ audit_version: 1, event_id: 'evt_w', run_id: 42, ts: 'yesterday', type: 'input' }) + '\n');
    const huge = Buffer.from(`{"audit_version":1,"event_id":"evt_huge","junk":"${'x'.repeat(10 * 1024 * 1024)}` + '\n'); // 10 MB, unterminated JSON
    const dup = Buffer.from(auditLine(1, { input: { text: 'different' } }) + '\n');
    const file = join(dir, 'audit.jsonl');
    // line 9 repeats line 3 exactly: the same record, stored once, not set aside
    writeFileSync(file, Buffer.concat([good, badUtf8, wrongType, huge, dup, Buffer.from(auditLine(4) + '\n' + auditLine(2) + '\n')]));
    const r = cliJson(['import', file, '--case', join(dir, 'a.casefile')]);
    expect(r.code).toBe(0);
    const src = r.json.sources[0];
    expect(src.format).toBe('casefile-audit');
    expect(src.records).toBe(9); // 9 non-blank lines
    expect(src.quarantined).toBe(5);
    expect(src.duplicates).toBe(1);
    checkEquation(r.json.sources);
    const q = cliJson(['quarantine', join(dir, 'a.casefile')]).json.quarantined as Array<{ line: number; reason: string; raw: string }>;
    const byLine = new Map(q.map((x) => [x.line, x]));
    expect(byLine.get(2)!.reason).toMatch(/JSON/i);
    expect(byLine.get(4)!.reason).toMatch(/UTF-8/);
    expect(byLine.get(5)!.reason).toMatch(/run_id|ts/);
    expect(byLine.get(6)!.reason).toMatch(/JSON/i);
    expect(byLine.get(6)!.raw.length).toBeLessThan(70 * 1024); // raw is clipped, not 10 MB
    expect(byLine.get(7)!.reason).toMatch(/duplicate/);
    // what the duplicate said, as the record it would have been
    expect(byLine.get(7)!.raw).toBe(`{"origin":"casefile","event":${auditLine(1, { input: { text: 'different' } })}}`);
  });

  it('a truncated JSON document is quarantined, naming the file', () => {
    const file = join(dir, 'trace.json');
    writeFileSync(file, '{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","name":"x","startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000"},{"traceId":"5B8E');
    const r = cliJson(['import', file, '--case', join(dir, 'b.casefile')]);
    expect(r.code).toBe(0);
    const s = r.json.sources[0];
    expect(s.quarantined).toBeGreaterThanOrEqual(1);
    checkEquation(r.json.sources);
    const q = cliJson(['quarantine', join(dir, 'b.casefile')]).json.quarantined;
    expect(q[0].sourcePath).toBe(file);
    expect(q[0].reason).toMatch(/truncated|invalid JSON/i);
  });

  it('an unrecognised file is kept as a source and quarantined whole, not dropped', () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'just some notes\nnot evidence\n');
    const r = cliJson(['import', file, '--case', join(dir, 'c.casefile')]);
    expect(r.code).toBe(0);
    expect(r.json.sources[0]).toMatchObject({ format: 'unknown', records: 1, quarantined: 1 });
  });
});

describe('import: hostile bundles are refused with a clear message, nothing written outside the case', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });

  it('zip-slip entry is refused, the rest of the archive imports', async () => {
    const good = Buffer.from(auditLine(1) + '\n');
    // yazl refuses '..' names, so write a same-length name and patch it in the bytes (names are not CRC-covered)
    let zip = await zipBuffer([
      { name: 'ok/audit.jsonl', data: good },
      { name: 'XX/XX/evil.jsonl', data: good },
    ]);
    zip = Buffer.from(zip.toString('latin1').split('XX/XX/evil.jsonl').join('../../evil.jsonl'), 'latin1');
    const file = join(dir, 'slip.zip');
    writeFileSync(file, zip);
    const r = cliJson(['import', file, '--case', join(dir, 'z.casefile')]);
    expect(r.code).toBe(1);
    const refused = r.json.sources.find((s: any) => s.status === 'refused');
    expect(refused.error).toMatch(/zip-slip|escapes/);
    expect(r.json.sources.find((s: any) => s.status === 'complete').records).toBe(1);
  });

  it('zip bomb is refused', async () => {
    const zip = await zipBuffer([{ name: 'bomb.jsonl', data: Buffer.alloc(40 * 1024 * 1024, 0x20) }]);
    expect(zip.length).toBeLessThan(1024 * 1024);
    const file = join(dir, 'bomb.zip');
    writeFileSync(file, zip);
    const r = cliJson(['import', file, '--case', join(dir, 'bomb.casefile')]);
    expect(r.code).toBe(1);
    expect(r.json.sources[0].status).toBe('refused');
    expect(r.json.sources[0].error).toMatch(/decompression bomb/);
  });

  it('tar.gz with ../ entry and an escaping symlink: both refused', async () => {
    const file = join(dir, 'evil.tar.gz');
    await tarGz(file, [
      { name: 'audit/a.jsonl', data: auditLine(1) + '\n' + auditLine(2) + '\n' },
      { name: '../outside.jsonl', data: auditLine(3) + '\n' },
      { name: 'link.jsonl', type: 'symlink', linkname: '../../etc/passwd' },
    ]);
    const r = cliJson(['import', file, '--case', join(dir, 't.casefile')]);
    expect(r.code).toBe(1);
    const bySt = r.json.sources.map((s: any) => [s.status, s.error ?? '']);
    expect(bySt.filter(([st]: string[]) => st === 'refused')).toHaveLength(2);
    expect(r.json.sources.find((s: any) => s.status === 'complete').records).toBe(2);
  });

  it('folder with a symlink leaving the bundle: refused, not followed', () => {
    const b = join(dir, 'bundle');
    mkdirSync(b);
    writeFileSync(join(b, 'a.jsonl'), auditLine(1) + '\n');
    writeFileSync(join(dir, 'secret.jsonl'), auditLine(9) + '\n');
    symlinkSync(join(dir, 'secret.jsonl'), join(b, 'escape.jsonl'));
    const r = cliJson(['import', b, '--case', join(dir, 'f.casefile')]);
    expect(r.code).toBe(1);
    const refused = r.json.sources.find((s: any) => s.status === 'refused');
    expect(refused.error).toMatch(/leaves the bundle/);
    expect(r.json.totals.auditEvents).toBe(1);
  });
});

describe.skipIf(!HAVE_CORPUS)('import: corpus files, idempotence and cross-format dedup', () => {
  it('re-importing changes nothing; OTLP + Jaeger of the same spans are stored once with both provenances', () => {
    const dir = tempDir();
    const bundle = join(dir, 'b');
    mkdirSync(bundle);
    cpSync(corpusPath('otlp/jaegerui_otlp2jaeger-in.json'), join(bundle, 'in.json'));
    cpSync(corpusPath('jaeger_zipkin/jaegerui_otlp2jaeger-out.json'), join(bundle, 'out.json'));
    const casePath = join(dir, 'd.casefile');
    const first = cliJson(['import', bundle, '--case', casePath]);
    expect(first.code).toBe(0);
    const otlp = first.json.sources.find((s: any) => s.format === 'otlp-traces');
    const jaeger = first.json.sources.find((s: any) => s.format === 'jaeger');
    // count spans independently
    const inDoc = JSON.parse(readFileSync(corpusPath('otlp/jaegerui_otlp2jaeger-in.json'), 'utf8'));
    const spans = inDoc.resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans));
    const nSpans = spans.length;
    const nDistinct = new Set(spans.map((s: any) => `${s.traceId.toLowerCase()}:${s.spanId.toLowerCase()}`)).size;
    expect(otlp.records).toBe(nSpans);
    expect(otlp.duplicates).toBe(nSpans - nDistinct); // this real file repeats a span verbatim
    expect(jaeger.duplicates).toBe(jaeger.records); // every Jaeger span is already there from the OTLP file
    expect(first.json.totals.spans).toBe(nDistinct);
    const db = new Database(casePath, { readonly: true });
    const provs = db.prepare("SELECT count(*) n FROM record_provenance p JOIN records r ON r.id = p.record_id WHERE r.kind='span'").get() as { n: number };
    db.close();
    expect(provs.n).toBe(2 * nSpans);

    const again = cliJson(['import', bundle, '--case', casePath]);
    expect(again.code).toBe(0);
    expect(again.json.sources.every((s: any) => s.alreadyPresent)).toBe(true);
    expect(again.json.totals).toEqual(first.json.totals);
    const v = cli(['verify', casePath]);
    expect(v.code).toBe(0);
  });
});

/**
 * An OTLP export minified onto one line longer than the line limit (MAX_LINE_BYTES, 64 MB) is not set aside:
 * it is streamed as a document, its spans stored with their line and JSON path, in file order with the lines
 * around it — through the parallel pipeline (reader thread, parse workers, writer) and the single-threaded one.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../helpers/cli';
import { importIntoCase } from '../../electron/core/import/run-import';
import { importInProcess } from '../../electron/core/import/apply';
import { MAX_LINE_BYTES } from '../../electron/core/import/framing';

const PAD = 'x'.repeat(32 * 1024);
const N_LONG = 2_100; // spans of ~33 KB: the middle line is ~69 MB
const span = (i: number, pad: string) => ({
  traceId: (i + 1).toString(16).padStart(32, '0'),
  spanId: (i + 1).toString(16).padStart(16, '0'),
  name: `span-${i}`,
  startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n),
  attributes: pad ? [{ key: 'note', value: { stringValue: pad } }] : [],
});
const request = (service: string, spans: object[]) => ({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ scope: { name: 'lib' }, spans }] }] });

async function writeFile(file: string): Promise<void> {
  const ws = createWriteStream(file);
  const write = async (s: string) => {
    if (!ws.write(s)) await new Promise<void>((r) => ws.once('drain', () => r()));
  };
  // line 1: a small request; line 2: one huge request, written piece by piece; line 3: a small request
  await write(`${JSON.stringify(request('before', [span(0, ''), span(1, '')]))}\n`);
  const head = JSON.stringify(request('huge', [])).replace('"spans":[]', '"spans":[');
  const [open, close] = [head.slice(0, head.indexOf('"spans":[') + 9), head.slice(head.indexOf('"spans":[') + 9)];
  await write(open);
  for (let i = 0; i < N_LONG; i++) await write(`${i ? ',' : ''}${JSON.stringify(span(10 + i, PAD))}`);
  await write(`]${close}\n`);
  await write(`${JSON.stringify(request('after', [span(5000, '')]))}\n`);
  await new Promise<void>((r) => ws.end(r));
}

describe('an OTLP line longer than the line limit', () => {
  let file: string;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('casefile-overlong-');
    file = join(dir, 'otlp-one-line.json');
    await writeFile(file);
    expect(statSync(file).size).toBeGreaterThan(MAX_LINE_BYTES);
  }, 120_000);

  const check = (casePath: string) => {
    const db = new Database(casePath, { readonly: true });
    try {
      const rows = db.prepare("SELECT id, name, line, path FROM records WHERE kind = 'span' ORDER BY id").all() as Array<{ id: number; name: string; line: number; path: string | null }>;
      expect(rows).toHaveLength(2 + N_LONG + 1);
      // file order: line 1's spans, then line 2's, then line 3's
      expect(rows.map((r) => r.line)).toEqual([1, 1, ...Array(N_LONG).fill(2), 3]);
      expect(rows.map((r) => r.name)).toEqual(['span-0', 'span-1', ...Array.from({ length: N_LONG }, (_, i) => `span-${10 + i}`), 'span-5000']);
      expect(rows[2]!.path).toBe('$.resourceSpans[0].scopeSpans[0].spans[0]');
      expect(rows[2 + N_LONG - 1]!.path).toBe(`$.resourceSpans[0].scopeSpans[0].spans[${N_LONG - 1}]`);
      expect((db.prepare('SELECT count(*) AS n FROM quarantine').get() as { n: number }).n).toBe(0);
    } finally {
      db.close();
    }
  };

  it('is streamed, not quarantined: the parallel pipeline', async () => {
    const casePath = join(dir, 'parallel.casefile');
    const r = await importIntoCase(casePath, [file], { inThisThread: true });
    expect(r.sources[0]).toMatchObject({ format: 'otlp-traces', records: 2 + N_LONG + 1, stored: 2 + N_LONG + 1, quarantined: 0 });
    check(casePath);
  }, 180_000);

  it('is streamed, not quarantined: the single-threaded import', async () => {
    const casePath = join(dir, 'sequential.casefile');
    const r = await importInProcess(casePath, [file]);
    expect(r.sources[0]).toMatchObject({ format: 'otlp-traces', records: 2 + N_LONG + 1, stored: 2 + N_LONG + 1, quarantined: 0 });
    check(casePath);
  }, 180_000);
});

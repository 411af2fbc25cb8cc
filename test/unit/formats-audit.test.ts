import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AuditData, AuditEvent, Emit, NormalizedRecord } from '../../shared/model';
import { auditEventHash, orderAuditRun, sealAuditRun, verifyAuditChains } from '../../shared/audit';
import { auditValidator, casefileAuditHandler } from '../../electron/core/import/formats/casefile-audit';
import { langfuseHandler } from '../../electron/core/import/formats/langfuse';
import { langsmithHandler } from '../../electron/core/import/formats/langsmith';
import { opaHandler } from '../../electron/core/import/formats/opa';
import { openlineageHandler } from '../../electron/core/import/formats/openlineage';
import { CORPUS_DIR, HAVE_CORPUS, corpusPath } from '../corpus';
import { runHandler, sniffText } from '../helpers/frame';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const records = (emits: Emit[]): NormalizedRecord[] => emits.flatMap((e) => (e.type === 'record' ? [e.record] : []));
const quarantines = (emits: Emit[]) => emits.filter((e): e is Extract<Emit, { type: 'quarantine' }> => e.type === 'quarantine');
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const ev = (over: Partial<AuditEvent> & Record<string, unknown>): AuditEvent =>
  ({ audit_version: 1, event_id: 'e1', run_id: 'r1', ts: '2025-01-01T00:00:00Z', type: 'run.start', ...over }) as AuditEvent;

function runOf(n: number, runId = 'r1', withSeq = true): AuditEvent[] {
  const types = ['run.start', 'input', 'output', 'run.end'] as const;
  return Array.from({ length: n }, (_, i) => ev({ event_id: `${runId}-e${i}`, run_id: runId, ts: `2025-01-01T00:00:0${i}Z`, type: types[i % types.length]!, ...(withSeq ? { seq: i } : {}) }));
}

describe('audit hash chain (shared/audit.ts)', () => {
  it('hashes (prev_hash ?? "") + "\\n" + canonical JSON without the hash key — checked against hand-written canonical text', () => {
    const e = ev({});
    const canonical = '{"audit_version":1,"event_id":"e1","run_id":"r1","ts":"2025-01-01T00:00:00Z","type":"run.start"}';
    expect(auditEventHash(e, sha256)).toBe(sha256(`\n${canonical}`));
    expect(auditEventHash(e, sha256)).toBe('4e2e9c08286f04fe5fe124361117e7ca75672052f7bf6fef134aaa9787a0c997');
    // prev_hash null is part of the hashed content but contributes "" as the prefix
    const withNull = ev({ prev_hash: null });
    expect(auditEventHash(withNull, sha256)).toBe(sha256(`\n{"audit_version":1,"event_id":"e1","prev_hash":null,"run_id":"r1","ts":"2025-01-01T00:00:00Z","type":"run.start"}`));
    const prev = 'a'.repeat(64);
    const linked = ev({ prev_hash: prev, hash: 'f'.repeat(64) });
    expect(auditEventHash(linked, sha256)).toBe(sha256(`${prev}\n{"audit_version":1,"event_id":"e1","prev_hash":"${prev}","run_id":"r1","ts":"2025-01-01T00:00:00Z","type":"run.start"}`));
  });

  it('ignores key order and the existing hash, sorts nested keys, keeps unicode as is', () => {
    const a = ev({ input: { b: 1, a: ['x', { d: 'é', c: null }] } });
    const b = JSON.parse('{"input":{"a":["x",{"c":null,"d":"é"}],"b":1},"type":"run.start","ts":"2025-01-01T00:00:00Z","run_id":"r1","event_id":"e1","audit_version":1,"hash":"00"}');
    expect(auditEventHash(b, sha256)).toBe(auditEventHash(a, sha256));
    expect(auditEventHash(a, sha256)).toBe(sha256('\n{"audit_version":1,"event_id":"e1","input":{"a":["x",{"c":null,"d":"é"}],"b":1},"run_id":"r1","ts":"2025-01-01T00:00:00Z","type":"run.start"}'));
  });

  it('seals a run and verifies it; the first event has prev_hash null', () => {
    const sealed = sealAuditRun(runOf(4), sha256);
    expect(sealed[0]!.prev_hash).toBeNull();
    for (let i = 1; i < sealed.length; i++) expect(sealed[i]!.prev_hash).toBe(sealed[i - 1]!.hash);
    expect(verifyAuditChains(sealed, sha256)).toEqual([{ runId: 'r1', status: 'ok', events: 4, problems: [] }]);
  });

  it('orders by seq, so file order does not matter when seq is present', () => {
    const sealed = sealAuditRun(runOf(5), sha256);
    const shuffled = [sealed[3]!, sealed[0]!, sealed[4]!, sealed[2]!, sealed[1]!];
    expect(orderAuditRun(shuffled).map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(verifyAuditChains(shuffled, sha256)[0]!.status).toBe('ok');
  });

  it('uses file order when seq is absent, so reordering lines breaks the chain', () => {
    const sealed = sealAuditRun(runOf(3, 'r1', false), sha256);
    expect(verifyAuditChains(sealed, sha256)[0]!.status).toBe('ok');
    const report = verifyAuditChains([sealed[1]!, sealed[0]!, sealed[2]!], sha256)[0]!;
    expect(report.status).toBe('broken');
    expect(report.problems.map((p) => p.eventId)).toEqual(['r1-e1', 'r1-e0', 'r1-e2']);
  });

  it('detects an edited event, a deleted event and an inserted event', () => {
    const sealed = sealAuditRun(runOf(4), sha256);
    const edited = sealed.map((e, i) => (i === 2 ? { ...e, output: 'changed' } : e));
    expect(verifyAuditChains(edited, sha256)[0]!.problems).toEqual([{ eventId: 'r1-e2', position: 2, problem: expect.stringContaining('hash does not match') }]);

    const deleted = sealed.filter((_, i) => i !== 1);
    expect(verifyAuditChains(deleted, sha256)[0]!.problems).toEqual([{ eventId: 'r1-e2', position: 1, problem: expect.stringContaining('does not match the previous event') }]);

    const headless = sealed.slice(1);
    expect(verifyAuditChains(headless, sha256)[0]!.problems[0]!.problem).toMatch(/^first event of the run has prev_hash/);

    const unhashed = sealed.map((e, i) => (i === 3 ? (({ hash: _h, ...rest }) => rest)(e) : e));
    expect(verifyAuditChains(unhashed, sha256)[0]!.problems.map((p) => p.problem)).toEqual(['no hash on an event of a hash-chained run']);
  });

  it('keeps chains per run, interleaved in one file, and reports unchained runs', () => {
    const a = sealAuditRun(runOf(3, 'run-a'), sha256);
    const b = sealAuditRun(runOf(2, 'run-b'), sha256);
    const c = runOf(2, 'run-c');
    const file = [a[0]!, b[0]!, c[0]!, a[1]!, b[1]!, a[2]!, c[1]!];
    expect(verifyAuditChains(file, sha256)).toEqual([
      { runId: 'run-a', status: 'ok', events: 3, problems: [] },
      { runId: 'run-b', status: 'ok', events: 2, problems: [] },
      { runId: 'run-c', status: 'unchained', events: 2, problems: [] },
    ]);
  });
});

describe('casefile-audit handler', () => {
  it('compiles the schema once', () => {
    expect(auditValidator()).toBe(auditValidator());
  });

  it('maps a valid event: key, run, normalized trace/span ids, microsecond time, searchable text', () => {
    const line = JSON.stringify(
      ev({
        event_id: 'evt-9',
        run_id: 'run-42',
        type: 'policy.decision',
        ts: '2025-03-14T10:26:53.123456789+01:00',
        trace_id: '4BF92F3577B34DA6A3CE929D0E0E4736',
        span_id: 'ABC',
        decision: { policy_id: 'refunds/allow', decision: 'escalate', reason_codes: ['amount_over_auto_limit', 'new_customer'] },
      }),
    );
    const [rec] = records(runHandler(casefileAuditHandler, line));
    expect(rec).toMatchObject({
      kind: 'audit',
      key: 'audit:evt-9',
      runId: 'run-42',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '0000000000000abc',
      parentSpanId: null,
      name: 'policy.decision',
      tsUs: Date.UTC(2025, 2, 14, 9, 26, 53) * 1000 + 123_456,
    });
    expect(rec!.text).toContain('amount_over_auto_limit');
    expect(rec!.text).toContain('refunds/allow');
    expect((rec!.data as AuditData).event.event_id).toBe('evt-9');
    expect((rec!.data as AuditData).origin).toBe('casefile');
  });

  it('puts tool names, write fields, inputs and outputs in the search text, truncated to about 8 KB', () => {
    const big = 'x'.repeat(20_000);
    const lines = [
      ev({ event_id: 't', type: 'tool.call', tool: { name: 'payments.refund', arguments: { order: 'A-1042' }, result: { refund_id: 're_1' } } }),
      ev({ event_id: 'w', type: 'write', write: { system: 'crm', record: 'orders/A-1042', field: 'refund_status', before: 'none', after: 'refunded' } }),
      ev({ event_id: 'i', type: 'input', input: { text: `refund please ${big}` } }),
    ].map((e) => JSON.stringify(e));
    const [tool, write, input] = records(runHandler(casefileAuditHandler, lines.join('\n')));
    expect(tool!.text).toContain('payments.refund');
    expect(tool!.text).toContain('re_1');
    expect(write!.text).toContain('refund_status');
    expect(write!.text).toContain('refunded');
    expect(input!.text).toContain('refund please');
    expect(input!.text.length).toBeLessThanOrEqual(8 * 1024 + 1);
  });

  it('quarantines lines that are not JSON or fail the schema, naming the JSON pointer', () => {
    const good = ev({});
    const cases: Array<[string, string]> = [
      ['{"audit_version":1,"event_id":"x", broken', 'invalid JSON: '],
      [JSON.stringify(ev({ event_id: 'w', type: 'write', write: { system: 'crm', record: 'r', field: 'f', after: 1 } as never })), '/write/before is required'],
      [JSON.stringify(ev({ event_id: 'd', type: 'policy.decision' })), '/decision is required'],
      [JSON.stringify(ev({ event_id: 'm', type: 'model.call' })), '/model is required'],
      [JSON.stringify(ev({ audit_version: 2 as never })), '/audit_version must be 1'],
      [JSON.stringify((({ run_id: _r, ...rest }) => rest)(good)), '/run_id is required'],
      [JSON.stringify(ev({ ts: '2025-01-01 00:00:00' })), '/ts must match pattern'],
      [JSON.stringify(ev({ type: 'run.begin' as never })), '/type must be one of "run.start"'],
      [JSON.stringify(ev({ tier: 'yolo' as never })), '/tier must be one of "draft", "approve", "auto"'],
      [JSON.stringify(ev({ labels: { env: 3 } as never })), '/labels/env must be string'],
      [JSON.stringify(ev({ seq: -1 })), '/seq must be >= 0'],
      [JSON.stringify(ev({ trace_id: 'not-hex' })), '/trace_id must match pattern'],
      [JSON.stringify(ev({ hash: 'abc' })), '/hash must match pattern'],
      ['[1,2,3]', '/ must be object'],
    ];
    const text = cases.map(([l]) => l).join('\n');
    const emits = runHandler(casefileAuditHandler, `${JSON.stringify(good)}\n${text}`);
    expect(emits).toHaveLength(cases.length + 1);
    expect(emits[0]!.type).toBe('record');
    const q = quarantines(emits);
    expect(q).toHaveLength(cases.length);
    q.forEach((e, i) => {
      expect(e.reason, cases[i]![0]).toContain(cases[i]![1]);
      expect(e.locator.line).toBe(i + 2);
      expect(e.raw).toBe(cases[i]![0]);
    });
    // several failures on one line are all listed, and the "if" noise is not
    const multi = quarantines(runHandler(casefileAuditHandler, JSON.stringify(ev({ type: 'write', tier: 'x' as never }))))[0]!;
    expect(multi.reason).toBe('/write is required; /tier must be one of "draft", "approve", "auto"');
  });

  it('emits both events of a duplicated event_id with the same key (the store dedups)', () => {
    const line = JSON.stringify(ev({ event_id: 'dup' }));
    const recs = records(runHandler(casefileAuditHandler, `${line}\n${line}\n`));
    expect(recs.map((r) => r.key)).toEqual(['audit:dup', 'audit:dup']);
  });

  it('does not claim JSON Lines of other kinds', () => {
    expect(casefileAuditHandler.sniff(sniffText('{"messages":[{"role":"user","content":"hi"}]}\n{"messages":[]}\n'))).toBeNull();
    expect(casefileAuditHandler.sniff(sniffText('{"decision_id":"x","audit":true}\n'))).toBeNull();
    expect(casefileAuditHandler.sniff(sniffText('plain text\nmore text\n'))).toBeNull();
  });
});

describe('docs/formats.md', () => {
  const doc = readFileSync(join(REPO, 'docs', 'formats.md'), 'utf8');
  const block = /```jsonl\n([\s\S]*?)\n```/.exec(doc)?.[1] ?? '';
  const lines = block.split('\n').filter((l) => l.trim());

  it('has an example run of 8–10 events that imports cleanly and whose hash chain verifies', () => {
    expect(lines.length).toBeGreaterThanOrEqual(8);
    expect(lines.length).toBeLessThanOrEqual(10);
    const emits = runHandler(casefileAuditHandler, block, 'example.jsonl');
    expect(records(emits)).toHaveLength(lines.length);
    const events = lines.map((l) => JSON.parse(l));
    expect(new Set(events.map((e) => e.run_id)).size).toBe(1);
    expect(events[0].prev_hash).toBeNull();
    expect(verifyAuditChains(events, sha256)).toEqual([{ runId: events[0].run_id, status: 'ok', events: lines.length, problems: [] }]);
    // it shows the event types that must carry something
    for (const t of ['policy.decision', 'tool.call', 'write', 'approval', 'model.call']) expect(events.some((e) => e.type === t), t).toBe(true);
  });

  it('documents every schema field, every event type, and the test vectors the code computes', () => {
    const schema = JSON.parse(readFileSync(join(REPO, 'shared', 'schema', 'casefile-audit.schema.json'), 'utf8'));
    for (const field of Object.keys(schema.properties)) expect(doc, field).toContain(`| \`${field}\` |`);
    for (const t of schema.properties.type.enum as string[]) expect(doc, t).toContain(`| \`${t}\` |`);
    expect(doc).toContain(auditEventHash(ev({}), sha256));
    expect(doc).toContain(auditEventHash(ev({ prev_hash: null }), sha256));
  });

  it('is not claimed by the other handlers', () => {
    for (const h of [openlineageHandler, opaHandler, langfuseHandler, langsmithHandler]) expect(h.sniff(sniffText(block)), h.format).toBeNull();
  });
});

describe.skipIf(!HAVE_CORPUS)('casefile-audit: corpus files', () => {
  it('claims none of the corpus files (none of them is a Casefile audit file)', () => {
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const p = join(dir, name);
        return statSync(p).isDirectory() ? walk(p) : [relative(CORPUS_DIR, p)];
      });
    const files = walk(CORPUS_DIR).filter((f) => !f.startsWith('openlineage/spec/'));
    expect(files.length).toBeGreaterThan(20);
    for (const rel of files) expect(casefileAuditHandler.sniff(sniffText(readFileSync(corpusPath(rel), 'utf8'), 'unnamed')), rel).toBeNull();
  });
});

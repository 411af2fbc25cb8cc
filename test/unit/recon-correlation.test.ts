/**
 * Correlation and completeness edge cases on small hand-written cases: span cycles and missing parents,
 * decision ids, time-window inference (and its refusal when ambiguous), traces without runs, shared
 * traces, hash chains, clock skew, model-version aliases. Every expectation follows from the inputs
 * written here, not from the code under test.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sealAuditRun } from '../../shared/audit';
import { importInProcess } from '../../electron/core/import/apply';
import { openDb, type Db } from '../../electron/core/store/db';
import { deriveRuns, getRun, listRuns } from '../../electron/core/recon/index';
import { checkChain, checkSpanTree } from '../../electron/core/store/runs-derive';
import { alignSequences } from '../../electron/core/recon/diff-runs';
import { toFtsQuery } from '../../electron/core/recon/query';
import { tempDir } from '../helpers/cli';

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const T0 = Date.parse('2026-03-01T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const hex = (n: number, w: 16 | 32) => n.toString(16).padStart(w, '0');

type Ev = Record<string, unknown>;
let evSeq = 0;
function ev(run: string, type: string, ms: number, extra: Ev = {}): Ev {
  return { audit_version: 1, event_id: `e${++evSeq}`, run_id: run, ts: iso(ms), type, workflow: 'wf', ...extra };
}
const model = (version?: string) => ({ provider: 'p', name: 'm', ...(version ? { version } : {}) });

interface SpanIn {
  trace: string;
  span: string;
  parent?: string | null;
  name: string;
  startMs: number;
  endMs: number;
  attrs?: Record<string, string | number>;
}
function otlp(spans: SpanIn[]): string {
  const attr = (a: Record<string, string | number> = {}) =>
    Object.entries(a).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } }));
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: attr({ 'service.name': 'agent' }) },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: spans.map((s) => ({
              traceId: s.trace,
              spanId: s.span,
              ...(s.parent ? { parentSpanId: s.parent } : {}),
              name: s.name,
              kind: 1,
              startTimeUnixNano: `${s.startMs}000000`,
              endTimeUnixNano: `${s.endMs}000000`,
              attributes: attr(s.attrs),
              status: {},
            })),
          },
        ],
      },
    ],
  });
}
function opaLine(id: string, ms: number, input: unknown, result: unknown = { allow: true }, extra: Ev = {}): string {
  return JSON.stringify({ decision_id: id, path: 'guard/allow', input, result, timestamp: iso(ms), labels: { id: 'opa-1', version: '1.9.0' }, ...extra });
}

async function makeCase(files: Record<string, string>): Promise<Db> {
  const dir = tempDir('casefile-recon-');
  const bundle = join(dir, 'bundle');
  mkdirSync(bundle, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(bundle, name), text);
  const casePath = join(dir, 'c.casefile');
  const r = await importInProcess(casePath, [bundle]);
  expect(r.errors).toEqual([]);
  return openDb(casePath);
}
const jsonl = (events: Ev[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';
const codes = (db: Db, runId: string) => getRun(db, runId).findings.map((f) => f.code).sort();

// ------------------------------------------------------------------ pure checks

describe('span tree and hash chain checks (pure)', () => {
  it('finds orphans and the spans of a parent cycle, without looping', () => {
    const r = checkSpanTree([
      ['a', null],
      ['b', 'c'],
      ['c', 'b'],
      ['d', 'zz'],
      ['e', 'd'],
    ]);
    expect(r.orphans).toEqual([{ spanId: 'd', parentSpanId: 'zz' }]);
    expect(r.cycle.sort()).toEqual(['b', 'c']);
    expect(checkSpanTree([['x', 'x']]).cycle).toEqual(['x']); // a span that is its own parent is a loop too
  });

  it('verifies a chain, finds a missing event and a changed event', () => {
    const evs = sealAuditRun([0, 1, 2, 3].map((i) => ({ event_id: `x${i}`, run_id: 'r', seq: i, type: 'input' })), sha);
    const rows = evs.map((e, i) => ({ id: i + 1, seq: e.seq, eventId: e.event_id, prev: e.prev_hash, hash: e.hash, bad: null as string | null }));
    expect(checkChain(rows)).toEqual([]);
    expect(checkChain(rows.map((r) => ({ ...r, hash: null, prev: null })))).toBeNull(); // unchained
    const gap = rows.filter((r) => r.seq !== 2);
    expect(checkChain(gap)!.map((p) => p.eventId)).toEqual(['x3']);
    const bad = rows.map((r) => (r.seq === 1 ? { ...r, bad: 'hash does not match' } : r));
    expect(checkChain(bad)!.map((p) => p.eventId)).toEqual(['x1']);
    // order comes from seq, not from insertion order
    expect(checkChain([...rows].reverse())).toEqual([]);
  });

  it('aligns step sequences (LCS) and turns search text into safe FTS5 queries', () => {
    expect(alignSequences(['a', 'b', 'c', 'd'], ['a', 'c', 'x', 'd'])).toEqual([
      [0, 0],
      [1, null],
      [2, 1],
      [null, 2],
      [3, 3],
    ]);
    expect(toFtsQuery('refund  damaged')).toBe('"refund" "damaged"');
    expect(toFtsQuery('"order total" amount_in_cents OR undo*')).toBe('"order total" "amount_in_cents" OR "undo"*');
    expect(toFtsQuery('NEAR( ) * "')).toBe('"NEAR("');
    expect(toFtsQuery('  ')).toBeNull();
  });
});

// ------------------------------------------------------------------ spans

describe('correlation: spans, traces and runs', () => {
  let db: Db;
  const T1 = hex(0xa1, 32);
  const T7 = hex(0xa7, 32);
  const T8 = hex(0xa8, 32);
  const T9 = hex(0xa9, 32);
  beforeAll(async () => {
    const r1 = [
      ev('r1', 'run.start', T0, { trace_id: T1, span_id: hex(1, 16), model: model('1.0') }),
      ev('r1', 'model.call', T0 + 100, { trace_id: T1, span_id: hex(5, 16), model: model('1.0'), output: { text: 'hello' } }),
      ev('r1', 'run.end', T0 + 900, { trace_id: T1 }),
    ];
    const r7 = [ev('r7', 'run.start', T0 + 5000, { trace_id: T7, model: model('1.0') }), ev('r7', 'run.end', T0 + 5100, { trace_id: T7 })];
    const spans: SpanIn[] = [
      { trace: T1, span: hex(1, 16), name: 'root', startMs: T0, endMs: T0 + 900 },
      { trace: T1, span: hex(2, 16), parent: hex(3, 16), name: 'loop-a', startMs: T0 + 10, endMs: T0 + 20 },
      { trace: T1, span: hex(3, 16), parent: hex(2, 16), name: 'loop-b', startMs: T0 + 11, endMs: T0 + 21 },
      { trace: T1, span: hex(4, 16), parent: hex(0xdead, 16), name: 'orphan', startMs: T0 + 30, endMs: T0 + 40 },
      { trace: T1, span: hex(5, 16), parent: hex(1, 16), name: 'chat m', startMs: T0 + 50, endMs: T0 + 100, attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' } },
      // a trace no record ties to a run: a run of its own, model from OpenInference llm.model_name
      { trace: T9, span: hex(9, 16), name: 'llm', startMs: T0 + 20_000, endMs: T0 + 21_000, attrs: { 'llm.model_name': 'gpt-x', 'openinference.span.kind': 'LLM' } },
      // a trace shared by two runs (roots carry casefile.run_id), children without run ids
      { trace: T8, span: hex(0x81, 16), name: 'agent A', startMs: T0 + 30_000, endMs: T0 + 31_000, attrs: { 'casefile.run_id': 'ra' } },
      { trace: T8, span: hex(0x82, 16), parent: hex(0x81, 16), name: 'db A', startMs: T0 + 30_100, endMs: T0 + 30_200 },
      { trace: T8, span: hex(0x83, 16), name: 'agent B', startMs: T0 + 32_000, endMs: T0 + 33_000, attrs: { 'casefile.run_id': 'rb' } },
      { trace: T8, span: hex(0x84, 16), parent: hex(0x83, 16), name: 'db B', startMs: T0 + 32_100, endMs: T0 + 32_200 },
      { trace: T8, span: hex(0x85, 16), parent: hex(0x99, 16), name: 'lost', startMs: T0 + 32_500, endMs: T0 + 32_600 },
    ];
    db = await makeCase({ 'audit.jsonl': jsonl([...r1, ...r7]), 'traces.json': otlp(spans) });
  });

  it('a parent cycle and a missing parent are reported, and the waterfall still lists every span', () => {
    expect(codes(db, 'r1')).toEqual(['ORPHAN_SPAN', 'SPAN_CYCLE']);
    const run = getRun(db, 'r1');
    expect(run.spans.map((s) => s.name).sort()).toEqual(['chat m', 'loop-a', 'loop-b', 'orphan', 'root']);
    expect(run.spans.find((s) => s.name === 'orphan')!.orphan).toBe(true);
    expect(run.spans.find((s) => s.name === 'chat m')!.depth).toBe(1);
    const cycle = run.findings.find((f) => f.code === 'SPAN_CYCLE')!;
    expect(cycle.message).toContain(hex(2, 16));
    expect(run.findings.find((f) => f.code === 'ORPHAN_SPAN')!.message).toContain(hex(0xdead, 16));
  });

  it('steps come from the audit trail; the audited span is not repeated; spans join by trace id', () => {
    const run = getRun(db, 'r1');
    expect(run.steps.map((s) => s.kind)).toEqual(['run-start', 'model-call', 'run-end']);
    expect(run.modelVersion).toMatchObject({ value: '1.0', source: 'audit', name: 'm' });
    expect(run.steps[0]!.source.path).toMatch(/audit\.jsonl$/);
    expect(run.steps[0]!.source.line).toBe(1);
  });

  it('audit events naming a trace with no span in the case give NO_TRACE', () => {
    expect(codes(db, 'r7')).toEqual(['NO_TRACE']);
  });

  it('a trace tied to no run is a run of its own, its model read from llm.model_name', () => {
    const run = getRun(db, `trace:${T9}`);
    expect(run.modelVersion).toMatchObject({ value: 'gpt-x', source: 'llm.model_name' });
    expect(run.steps.map((s) => s.kind)).toEqual(['model-call']);
    expect(run.findings.map((f) => f.code)).toEqual(['NO_AUDIT_TRAIL']);
  });

  it('in a shared trace, spans take the run of their nearest ancestor; an unresolvable one is tied to both, inferred', () => {
    const a = getRun(db, 'ra');
    const b = getRun(db, 'rb');
    expect(a.spans.map((s) => s.name).sort()).toEqual(['agent A', 'db A', 'lost']);
    expect(b.spans.map((s) => s.name).sort()).toEqual(['agent B', 'db B', 'lost']);
    const dbA = a.steps.find((s) => s.title === 'db A')!;
    expect(dbA.link).toEqual({ rule: 'span-parent', inferred: false });
    const lost = a.steps.find((s) => s.title === 'lost')!;
    expect(lost.link.inferred).toBe(true);
    expect(lost.link.reason).toContain('shared by 2 runs');
    expect(a.findings.map((f) => f.code)).toContain('INFERRED_LINK');
  });

  it('the run count is the number of runs listed', () => {
    // r1, r7, ra, rb, trace:T9
    expect(listRuns(db, {}).total).toBe(5);
  });
});

// ------------------------------------------------------------------ decisions

describe('correlation: policy decisions', () => {
  let db: Db;
  beforeAll(async () => {
    const events = [
      // r2: one decision found in the OPA log by id (the log entry has no other id), one not found
      ev('r2', 'run.start', T0, { model: model('1.0') }),
      ev('r2', 'policy.decision', T0 + 100, { decision: { decision_id: 'D1', policy_id: 'guard/allow', decision: 'allow' } }),
      ev('r2', 'policy.decision', T0 + 200, { decision: { decision_id: 'D2', policy_id: 'guard/allow', decision: 'deny', reason_codes: ['AMOUNT_OVER_LIMIT'] } }),
      ev('r2', 'write', T0 + 300, { write: { system: 'billing', record: 'r/1', field: 'amount', before: 0, after: 10 } }),
      ev('r2', 'run.end', T0 + 400),
      // r3: a write with no decision before it (OPA D5 names r3 in its input, but comes later)
      ev('r3', 'run.start', T0 + 10_000, { model: model('1.0') }),
      ev('r3', 'write', T0 + 10_100, { write: { system: 'billing', record: 'r/2', field: 'amount', before: 0, after: 20 } }),
      ev('r3', 'run.end', T0 + 10_500),
      // r4: the only wf-x run when D3 (no ids) was logged
      ev('r4', 'run.start', T0 + 20_000, { workflow: 'wf-x', model: model('1.0') }),
      ev('r4', 'run.end', T0 + 22_000, { workflow: 'wf-x' }),
      // r5, r6: two wf-y runs in flight when D4 (no ids) was logged: ambiguous
      ev('r5', 'run.start', T0 + 40_000, { workflow: 'wf-y', model: model('1.0') }),
      ev('r5', 'run.end', T0 + 44_000, { workflow: 'wf-y' }),
      ev('r6', 'run.start', T0 + 41_000, { workflow: 'wf-y', model: model('1.0') }),
      ev('r6', 'run.end', T0 + 45_000, { workflow: 'wf-y' }),
    ];
    const opa = [
      opaLine('D1', T0 + 99, { amount: 10 }),
      opaLine('D3', T0 + 21_000, { workflow: 'wf-x', amount: 5 }, { allow: false, reason_codes: ['LIMIT'] }),
      opaLine('D4', T0 + 42_000, { workflow: 'wf-y', amount: 5 }),
      opaLine('D5', T0 + 10_400, { run_id: 'r3', amount: 20 }),
    ];
    db = await makeCase({ 'audit.jsonl': jsonl(events), 'decisions.jsonl': opa.join('\n') + '\n' });
  });

  it('decision ids join the audit trail to the OPA log; a missing one is DECISION_NOT_FOUND', () => {
    const run = getRun(db, 'r2');
    const decisions = run.steps.filter((s) => s.kind === 'decision');
    expect(decisions.map((s) => [s.decision!.decisionId, s.decision!.found])).toEqual([
      ['D1', true],
      ['D2', false],
    ]);
    // the OPA entry is the same decision: not a step of its own, but another source of the step
    expect(decisions[0]!.alsoIn.map((s) => s.path)).toEqual([expect.stringMatching(/decisions\.jsonl$/)]);
    expect(run.findings.map((f) => f.code)).toEqual(['DECISION_NOT_FOUND']);
    expect(run.findings[0]!.message).toContain('D2');
    // r2 by its audit trail, r4 by the decision inferred into it (D3 denies)
    expect(listRuns(db, { decision: ['deny'] }).rows.map((r) => r.runId)).toEqual(['r2', 'r4']);
    expect(listRuns(db, { reasonCode: ['AMOUNT_OVER_LIMIT'] }).rows.map((r) => r.runId)).toEqual(['r2']);
  });

  it('a write with no decision before it is WRITE_WITHOUT_DECISION, even when a decision comes later', () => {
    const run = getRun(db, 'r3');
    expect(run.findings.map((f) => f.code)).toEqual(['WRITE_WITHOUT_DECISION']);
    const d5 = run.steps.find((s) => s.id === 'decision:D5')!;
    expect(d5.link).toEqual({ rule: 'run-id', inferred: false });
  });

  it('a decision with no ids inside exactly one run window of its workflow is linked, inferred, with its reason', () => {
    const run = getRun(db, 'r4');
    const d3 = run.steps.find((s) => s.id === 'decision:D3')!;
    expect(d3.link.rule).toBe('time-window');
    expect(d3.link.inferred).toBe(true);
    expect(d3.link.reason).toContain('wf-x');
    expect(d3.decision).toMatchObject({ decision: 'deny', reasonCodes: ['LIMIT'] });
    expect(run.findings.map((f) => f.code)).toEqual(['INFERRED_LINK']);
    expect(run.findings[0]!.severity).toBe('warning');
  });

  it('with two candidate runs nothing is linked', () => {
    for (const id of ['r5', 'r6']) {
      const run = getRun(db, id);
      expect(run.steps.some((s) => s.id === 'decision:D4')).toBe(false);
      expect(run.findings).toEqual([]);
    }
  });
});

// ------------------------------------------------------------------ hash chains, clock skew, model aliases

describe('completeness: hash chains, clock skew, model version aliases', () => {
  let db: Db;
  const T12 = hex(0xc12, 32);
  beforeAll(async () => {
    const seal = (events: Ev[]) => sealAuditRun(events.map((e, i) => ({ ...e, seq: i })), sha) as unknown as Ev[];
    const chain = (run: string, t: number) => seal([ev(run, 'run.start', t, { model: model('1.0') }), ev(run, 'input', t + 1, { input: { text: 'hi' } }), ev(run, 'output', t + 2, { output: { text: 'ok' } }), ev(run, 'run.end', t + 3)]);
    const gap = chain('r8', T0).filter((e) => e.type !== 'input');
    const tampered = chain('r9', T0 + 100).map((e) => (e.type === 'input' ? { ...e, input: { text: 'edited' } } : e));
    const intact = chain('r10', T0 + 200);
    const unchained = [ev('r11', 'run.start', T0 + 300, { model: model('1.0') }), ev('r11', 'run.end', T0 + 301)];
    // r12: the span of its model call is 5 minutes later than the audit event
    const r12 = [
      ev('r12', 'run.start', T0 + 1000, { model: model('1.0'), trace_id: T12 }),
      ev('r12', 'model.call', T0 + 2000, { model: model('1.0'), trace_id: T12, span_id: hex(0x12, 16) }),
    ];
    // r13: the audit names model m without version; the span only repeats the alias → missing
    const T13 = hex(0xc13, 32);
    const r13 = [ev('r13', 'model.call', T0 + 3000, { model: model(), trace_id: T13, span_id: hex(0x13, 16) })];
    // r14: same, but the span answers m-1.2 → version 1.2 from gen_ai.response.model
    const T14 = hex(0xc14, 32);
    const r14 = [ev('r14', 'model.call', T0 + 4000, { model: model(), trace_id: T14, span_id: hex(0x14, 16) })];
    const chat = (trace: string, span: string, ms: number, resp: string): SpanIn => ({
      trace,
      span,
      name: 'chat m',
      startMs: ms - 50,
      endMs: ms,
      attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.response.model': resp },
    });
    const spans = [
      { ...chat(T12, hex(0x12, 16), T0 + 2000 + 300_000, 'm-1.0'), startMs: T0 + 2000 + 300_000 },
      chat(T13, hex(0x13, 16), T0 + 3000, 'm'),
      chat(T14, hex(0x14, 16), T0 + 4000, 'm-1.2'),
    ];
    db = await makeCase({ 'audit.jsonl': jsonl([...gap, ...tampered, ...intact, ...unchained, ...r12, ...r13, ...r14]), 'traces.json': otlp(spans) });
  });

  it('a missing event and a changed event break the chain; intact and unchained runs are fine', () => {
    expect(codes(db, 'r8')).toEqual(['HASH_CHAIN_BROKEN']);
    expect(getRun(db, 'r8').findings[0]!.message).toMatch(/removed, inserted or reordered/);
    expect(codes(db, 'r9')).toEqual(['HASH_CHAIN_BROKEN']);
    expect(getRun(db, 'r9').findings[0]!.message).toMatch(/changed after it was hashed/);
    expect(codes(db, 'r10')).toEqual([]);
    expect(codes(db, 'r11')).toEqual([]);
  });

  it('clock skew between a span and its audit event is reported with the amount', () => {
    const f = getRun(db, 'r12').findings;
    expect(f.map((x) => x.code)).toEqual(['CLOCK_SKEW']);
    expect(f[0]!.message).toContain('5 min');
    expect(f[0]!.stepId).toMatch(/^audit:/);
  });

  it('a span model equal to the audit model name is an alias; name-version gives the version', () => {
    expect(codes(db, 'r13')).toEqual(['MISSING_MODEL_VERSION']);
    expect(getRun(db, 'r13').modelVersion).toMatchObject({ value: null, name: 'm' });
    expect(getRun(db, 'r14').modelVersion).toMatchObject({ value: '1.2', source: 'gen_ai.response.model', name: 'm' });
    expect(codes(db, 'r14')).toEqual([]);
  });

  it('derivation is skipped when nothing changed, and forced re-derivation gives the same runs', () => {
    expect(deriveRuns(db).skipped).toBe(true);
    const before = listRuns(db, { limit: 100 }).rows;
    const again = deriveRuns(db, { force: true });
    expect(again.skipped).toBe(false);
    expect(listRuns(db, { limit: 100 }).rows).toEqual(before);
  });
});

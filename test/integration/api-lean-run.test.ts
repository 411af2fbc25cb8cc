/**
 * Lean and compact getRun for large traces: a run with more than 2,000 steps or spans comes with its spans
 * and its span and log steps in columns (RunColumns), those steps without their records (`data`; marked
 * `dataOmitted` once expanded); getStep returns any step whole, exactly as the full reconstruction has it.
 * Synthetic OTLP traces and logs, imported in process, read through the core (CasefileService on its worker
 * threads, built into dist/ by `npm run build`) and through the loopback HTTP transport (`casefile serve`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReconstructedRun, Step } from '../../shared/api';
import { CasefileService } from '../../electron/core/api/service';
import { importInProcess } from '../../electron/core/import/apply';
import { getRun as reconGetRun } from '../../electron/core/recon/index';
import { apiRunBody } from '../../electron/core/recon/reconstruct';
import { openDb } from '../../electron/core/store/db';
import { compactRun, expandRun, LARGE_RUN_ITEMS, RunSteps, spanAt, spanCount, stepCount } from '../../shared/run-columns';
import { createHttpClient } from '../../shared/http-client';
import { tempDir } from '../helpers/cli';
import { serve, type Served } from '../helpers/serve';

const dir = tempDir('casefile-lean-');
const casePath = join(dir, 'lean.casefile');
const BIG = 'run-big';
const SMALL = 'run-small';
const BIG_TRACE = 'a'.repeat(31) + '1';
const SMALL_TRACE = 'b'.repeat(31) + '2';
const N_SPANS = 2400; // plain spans of the big trace, besides its root
const N_MODEL = 12; // gen_ai spans: steps of kind model-call, which keep their data
const N_LOGS = 30;
const T0_MS = Date.UTC(2026, 9, 14, 9, 0, 0);

const hex16 = (n: number) => n.toString(16).padStart(16, '0');
const attrs = (a: Record<string, string | number>) => Object.entries(a).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } }));
const ns = (ms: number) => `${ms}000000`;

function span(trace: string, i: number, parent: number | null, name: string, a: Record<string, string | number> = {}) {
  return {
    traceId: trace,
    spanId: hex16(i),
    ...(parent !== null ? { parentSpanId: hex16(parent) } : {}),
    name,
    kind: 1,
    startTimeUnixNano: ns(T0_MS + i),
    endTimeUnixNano: ns(T0_MS + i + 1),
    attributes: attrs(a),
    status: {},
  };
}

/** The big trace (root with the run id, N_SPANS tool spans, N_MODEL model calls) and the small one. */
function tracesFile(): string {
  const spans = [span(BIG_TRACE, 1, null, 'agent run', { 'casefile.run_id': BIG })];
  for (let i = 0; i < N_SPANS; i++) spans.push(span(BIG_TRACE, 2 + i, 1, `lookup ${i}`, { 'db.system': 'postgresql', 'app.payload': `row ${i} ${'x'.repeat(200)}` }));
  for (let i = 0; i < N_MODEL; i++) spans.push(span(BIG_TRACE, 10_000 + i, 1, 'chat m-1', { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm-1', 'gen_ai.response.model': 'm-1-2026' }));
  const small = [span(SMALL_TRACE, 1, null, 'agent run', { 'casefile.run_id': SMALL })];
  for (let i = 0; i < 5; i++) small.push(span(SMALL_TRACE, 2 + i, 1, `lookup ${i}`));
  const request = (list: unknown[]) => ({ resourceSpans: [{ resource: { attributes: attrs({ 'service.name': 'agent' }) }, scopeSpans: [{ scope: { name: 'lean-test' }, spans: list }] }] });
  return `${JSON.stringify(request(spans))}\n${JSON.stringify(request(small))}\n`;
}

function logsFile(): string {
  const records = Array.from({ length: N_LOGS }, (_, i) => ({
    timeUnixNano: ns(T0_MS + 5000 + i),
    severityText: 'INFO',
    severityNumber: 9,
    body: { stringValue: `cache miss ${i}` },
    traceId: BIG_TRACE,
    spanId: hex16(2 + i),
    attributes: attrs({ 'log.n': i }),
  }));
  return `${JSON.stringify({ resourceLogs: [{ resource: { attributes: attrs({ 'service.name': 'agent' }) }, scopeLogs: [{ scope: { name: 'lean-test' }, logRecords: records }] }] })}\n`;
}

let service: CasefileService;
/** getRun of the big run as the API returns it (compact) */
let compact: ReconstructedRun;
/** the same through the HTTP transport */
let viaHttp: ReconstructedRun;
/** compact, expanded to the object form */
let lean: ReconstructedRun;
/** The whole reconstruction, straight from recon (not through the API). */
let full: ReconstructedRun;

beforeAll(async () => {
  const bundle = join(dir, 'bundle');
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, 'traces.jsonl'), tracesFile());
  writeFileSync(join(bundle, 'logs.jsonl'), logsFile());
  const r = await importInProcess(casePath, [bundle]);
  expect(r.errors).toEqual([]);
  expect(r.totals.spans).toBe(1 + N_SPANS + N_MODEL + 6);
  expect(r.totals.logs).toBe(N_LOGS);
  service = new CasefileService({ dataDir: join(dir, 'data'), transport: 'http', readers: 2 });
  await service.openCase(casePath); // derives the runs (writer worker)
  compact = await service.getRun(BIG);
  lean = expandRun(compact);
  served = await serve([casePath, '--port', '0'], { CASEFILE_DATA_DIR: join(dir, 'data-http') });
  const http = createHttpClient(served.base, served.token);
  try {
    viaHttp = await http.getRun(BIG);
  } finally {
    http.close();
  }
  const db = openDb(casePath, { readonly: true });
  try {
    full = reconGetRun(db, BIG);
  } finally {
    db.close();
  }
}, 120_000);

let served: Served;

afterAll(async () => {
  await service?.close();
  expect(await served?.stop()).toBe(0);
});

describe('getRun of a run with more than 2,000 steps is lean and compact', () => {
  it('the run has every span and log as a step', () => {
    expect(full.steps.length).toBe(1 + N_SPANS + N_MODEL + N_LOGS);
    expect(full.steps.length).toBeGreaterThan(LARGE_RUN_ITEMS);
    expect(lean.steps.map((s) => s.id)).toEqual(full.steps.map((s) => s.id));
  });

  it('comes compact: spans and span/log steps in columns, the other steps as objects, in the run order', () => {
    expect(compact.columns).toBeDefined();
    expect(compact.spans).toEqual([]);
    const c = compact.columns!;
    expect(spanCount(compact)).toBe(full.spans.length);
    expect(stepCount(compact)).toBe(full.steps.length);
    // the objects are the model calls (their records kept), the columns hold the span and log steps
    expect(compact.steps.map((s) => s.kind)).toEqual(Array(N_MODEL).fill('model-call'));
    expect(c.steps.span.length).toBe(1 + N_SPANS + N_LOGS);
    expect(c.steps.objectsAt).toEqual(full.steps.flatMap((s, i) => (s.kind === 'model-call' ? [i] : [])));
    // span steps refer to their span row (no id, time or ids of their own); log steps do not
    const spanSteps = c.steps.span.filter((r) => r >= 0).length;
    expect(spanSteps).toBe(1 + N_SPANS);
    expect(c.steps.id.filter((x) => x !== 0)).toHaveLength(N_LOGS);
    // spans: the waterfall order, with parents as rows
    expect(Array.from({ length: spanCount(compact) }, (_, i) => spanAt(c, i))).toEqual(full.spans);
    const root = c.spans.spanId.indexOf(hex16(1));
    expect(c.spans.parent[root]).toBeNull();
    expect(c.spans.parent.filter((p) => p === root)).toHaveLength(N_SPANS + N_MODEL);
    // RunSteps reads the steps in order without expanding the run
    const rs = new RunSteps(compact);
    expect(rs.count).toBe(full.steps.length);
    for (const i of [0, 1, 500, 2000, rs.count - 1]) expect(rs.at(i)!.id).toBe(full.steps[i]!.id);
    expect(rs.byId(full.steps[1234]!.id)!.title).toBe(full.steps[1234]!.title);
  });

  it('is the same through the HTTP transport', () => {
    expect(viaHttp).toEqual(compact);
  });

  it('is the compact form of the lean run, and far smaller on the wire', () => {
    const leanFull: ReconstructedRun = { ...full, steps: full.steps.map((s) => (s.kind === 'span' || s.kind === 'log' ? (({ data: _d, ...rest }) => ({ ...rest, dataOmitted: true }))(s) : s)) };
    expect(JSON.parse(JSON.stringify(compact))).toEqual(JSON.parse(JSON.stringify(compactRun(leanFull))));
    const compactBytes = JSON.stringify(compact).length;
    const leanBytes = JSON.stringify(leanFull).length;
    expect(compactBytes).toBeLessThan(leanBytes * 0.3);
  });

  it('span and log steps come without data, marked dataOmitted; other kinds keep theirs', () => {
    const byKind = (k: Step['kind']) => lean.steps.filter((s) => s.kind === k);
    expect(byKind('span').length).toBe(1 + N_SPANS);
    expect(byKind('log').length).toBe(N_LOGS);
    expect(byKind('model-call').length).toBe(N_MODEL);
    for (const s of lean.steps) {
      if (s.kind === 'span' || s.kind === 'log') {
        expect(s.dataOmitted, s.id).toBe(true);
        expect('data' in s, s.id).toBe(false);
      } else {
        expect(s.dataOmitted, s.id).toBeUndefined();
        expect(s.data, s.id).toEqual(full.steps.find((f) => f.id === s.id)!.data);
      }
    }
    // everything but the records is as the full reconstruction has it
    const strip = (s: Step) => {
      const { data: _d, dataOmitted: _o, ...rest } = s;
      return rest;
    };
    expect(lean.steps.map(strip)).toEqual(full.steps.map(strip));
    expect({ ...lean, steps: [] }).toEqual({ ...full, steps: [] });
  });

  it('getStep returns a span, a log and a model-call step whole, equal to the full reconstruction', async () => {
    const pick = (k: Step['kind'], n = 0) => full.steps.filter((s) => s.kind === k)[n]!;
    for (const want of [pick('span'), pick('span', 1000), pick('log', 7), pick('model-call', 3)]) {
      const got = await service.getStep(BIG, want.id);
      expect(got, want.id).toEqual(want);
      expect(got.dataOmitted).toBeUndefined();
      expect(got.data).toBeTruthy();
    }
    // the run's own root span (tied by its run id) as well as spans tied through the trace
    const root = full.steps.find((s) => s.spanId === hex16(1))!;
    expect(await service.getStep(BIG, root.id)).toEqual(root);
  });

  it('getStep: NOT_FOUND for a step of another run, an unknown step or run; BAD_REQUEST without ids', async () => {
    const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code);
    const smallStep = (await service.getRun(SMALL)).steps[0]!;
    expect(await code(service.getStep(BIG, smallStep.id))).toBe('NOT_FOUND');
    expect(await code(service.getStep(BIG, 'span:nope'))).toBe('NOT_FOUND');
    expect(await code(service.getStep('no-such-run', full.steps[0]!.id))).toBe('NOT_FOUND');
    expect(await code(service.getStep(BIG, ''))).toBe('BAD_REQUEST');
    expect(await code(service.getStep(undefined as never, full.steps[0]!.id))).toBe('BAD_REQUEST');
  });

  it('was built by the derivation (large_runs) and is read from there, with labels and the affected set read live', async () => {
    const db = openDb(casePath, { readonly: true });
    try {
      expect(db.prepare('SELECT run_id FROM large_runs ORDER BY run_id').pluck().all()).toEqual([BIG]);
      const stored = JSON.parse(db.prepare('SELECT json FROM large_runs WHERE run_id = ?').pluck().get(BIG) as string);
      expect(stored.labels).toBeUndefined();
      expect(stored.inAffectedSet).toBeUndefined();
      // exactly what building it now gives
      expect(stored).toEqual(JSON.parse(JSON.stringify(apiRunBody(db, BIG))));
      expect(compact).toEqual({ ...stored, labels: [], inAffectedSet: false });
    } finally {
      db.close();
    }
    const label = await service.setLabel({ runId: BIG, category: 'other', verdict: 'harmful', note: 'checking liveness', author: 'test' });
    const again = await service.getRun(BIG);
    expect(again.labels.map((l) => l.id)).toEqual([label.id]);
    expect({ ...again, labels: [] }).toEqual(compact);
    await service.deleteLabel(label.id);
    expect((await service.getRun(BIG)).labels).toEqual([]);
  });

  it('a small run is returned whole', async () => {
    const small = await service.getRun(SMALL);
    expect(small.steps.length).toBe(6);
    expect(small.steps.every((s) => !s.dataOmitted && s.data !== undefined)).toBe(true);
  });
});

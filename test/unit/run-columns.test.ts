/**
 * The column form of a large run (shared/run-columns.ts): compactRun and expandRun are exact inverses, for
 * any mix of steps (objects stay objects, span and log steps without records go to the columns), rare
 * fields (several sources, link reasons, model, tokens, text), orphans, duplicate span ids and times that
 * are not whole microseconds; RunSteps lists the steps in order without expanding.
 */
import { describe, expect, it } from 'vitest';
import type { ReconstructedRun, SpanNode, Step } from '../../shared/api';
import { columnStepAt, compactRun, expandRun, RunSteps, spanAt, stepCount } from '../../shared/run-columns';

const T = 'ab'.repeat(16);
const src = (line: number) => ({ sourceId: 1, path: '/cases/b/traces.jsonl', line, jsonPath: `$.resourceSpans[0].scopeSpans[0].spans[${line}]` });

const span = (id: string, parent: string | null, start: number | null, depth: number, extra: Partial<SpanNode> = {}): SpanNode => ({
  id: `span:${T}:${id}`,
  traceId: T,
  spanId: id,
  parentSpanId: parent,
  name: `op ${id}`,
  service: 'svc',
  kind: 'internal',
  startAt: start,
  endAt: start === null ? null : start + 7,
  status: 'ok',
  depth,
  orphan: false,
  model: null,
  ...extra,
});

const spanStep = (s: SpanNode, line: number, extra: Partial<Step> = {}): Step => ({
  id: s.id,
  kind: 'span',
  at: s.startAt,
  endAt: s.endAt,
  title: s.name,
  actor: 'service:svc',
  source: src(line),
  alsoIn: [],
  traceId: s.traceId,
  spanId: s.spanId,
  parentSpanId: s.parentSpanId,
  link: { rule: 'trace-id', inferred: false },
  dataOmitted: true,
  ...extra,
});

function run(): ReconstructedRun {
  const base = 1_791_903_600_000_000;
  const spans = [
    span('r', null, base, 0),
    span('a', 'r', base + 10, 1),
    span('b', 'a', base + 20.25, 2), // not a whole microsecond
    span('b', 'a', base + 30, 2, { id: 'span:dup-of-b' }), // the same span id twice (another record)
    span('o', 'gone', base + 40, 0, { orphan: true, status: 'error', service: null, model: 'm-1' }),
    span('n', 'r', null, 1),
  ];
  const audit: Step = { id: 'audit:1', kind: 'input', at: base - 5, endAt: null, title: 'input: hi', actor: 'user:1', source: src(1), alsoIn: [], traceId: null, spanId: null, parentSpanId: null, link: { rule: 'run-id', inferred: false }, text: 'hi', data: { event: { type: 'input' } } };
  const log: Step = { id: 'log:9', kind: 'log', at: base + 25, endAt: null, title: 'INFO cache miss', actor: null, source: { sourceId: 2, path: '/cases/b/logs.jsonl', line: 3, jsonPath: null }, alsoIn: [], traceId: T, spanId: 'a', parentSpanId: null, link: { rule: 'trace-id', inferred: true, reason: 'same trace' }, text: 'cache miss', dataOmitted: true };
  const withData: Step = { ...spanStep(spans[5]!, 9), dataOmitted: undefined, data: { kept: true } };
  delete withData.dataOmitted;
  const steps: Step[] = [
    withData, // a span step with its record: stays an object
    audit,
    spanStep(spans[0]!, 2, { alsoIn: [src(20)] }),
    spanStep(spans[1]!, 3, { model: { provider: 'p', name: 'm', version: null }, tokens: { input: 3 } }),
    spanStep(spans[2]!, 4),
    log,
    spanStep(spans[3]!, 5, { at: base + 31 }), // disagrees with its span: keeps its own fields
    spanStep(spans[4]!, 6, { actor: null }),
  ];
  return { runId: 'r1', workflow: 'w', tier: null, startedAt: base, endedAt: base + 50, modelVersion: { value: null, source: null }, steps, spans, lineage: { root: null, asOf: null, nodes: [], edges: [], findings: [] }, findings: [], labels: [], inAffectedSet: false };
}

describe('run columns', () => {
  it('expandRun(compactRun(run)) is the run', () => {
    const r = run();
    const c = compactRun(r);
    expect(c.spans).toEqual([]);
    expect(c.steps.map((s) => s.id)).toEqual([r.steps[0]!.id, 'audit:1']);
    expect(c.columns!.steps.objectsAt).toEqual([0, 1]);
    expect(expandRun(c)).toEqual(r);
    // and through JSON (the HTTP transport)
    expect(expandRun(JSON.parse(JSON.stringify(c)) as ReconstructedRun)).toEqual(r);
  });

  it('stores ids, parents and times compactly, exactly', () => {
    const r = run();
    const c = compactRun(r).columns!;
    expect(c.spans.id[0]).toBe(0); // the usual key is left out
    expect(c.spans.id[3]).toBe('span:dup-of-b');
    expect(c.spans.parent.slice(0, 5)).toEqual([null, 0, 1, 1, 'gone']);
    expect(c.spans.orphans).toEqual([4]);
    // times relative to the earliest (the input step), exact even when not whole microseconds
    expect(c.t0).toBe(r.steps[1]!.at);
    expect(c.spans.start.slice(0, 3)).toEqual([5, 15, 25.25]);
    expect(spanAt(c, 2).startAt).toBe(r.spans[2]!.startAt);
    // column steps: r, a, b (their spans), the log, the step that disagrees with its span, o
    expect(c.steps.span).toEqual([0, 1, 2, -1, -1, 4]);
    expect(c.steps.id[4]).toBe('span:dup-of-b');
    expect(columnStepAt(c, 4)).toEqual(r.steps[6]);
    expect(columnStepAt(c, 3)).toEqual(r.steps[5]);
    // a fractional earliest time: times are absolute (t0 = 0)
    const frac = compactRun({ ...r, steps: r.steps.map((s) => (s.id === 'audit:1' ? { ...s, at: s.at! + 0.5 } : s)) });
    expect(frac.columns!.t0).toBe(0);
    expect(expandRun(frac).steps[1]!.at).toBe(r.steps[1]!.at! + 0.5);
  });

  it('RunSteps: steps without a time first, then the run order; ids without building steps', () => {
    const r = run();
    const c = compactRun(r);
    const rs = new RunSteps(c);
    expect(rs.count).toBe(stepCount(c));
    const want = [...r.steps.filter((s) => s.at === null), ...r.steps.filter((s) => s.at !== null)];
    expect(Array.from({ length: rs.count }, (_, i) => rs.at(i))).toEqual(want);
    expect(Array.from({ length: rs.count }, (_, i) => rs.idAt(i))).toEqual(want.map((s) => s.id));
    expect(Array.from({ length: rs.count }, (_, i) => rs.kindAt(i))).toEqual(want.map((s) => s.kind));
    expect(rs.byId('log:9')).toEqual(r.steps[5]);
    expect(rs.indexOf('nope')).toBe(-1);
    // the object form reads the same
    const plain = new RunSteps(r);
    expect(Array.from({ length: plain.count }, (_, i) => plain.at(i))).toEqual(want);
  });
});

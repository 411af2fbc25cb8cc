import { describe, expect, it } from 'vitest';
import type { ReconstructedRun, SpanNode, Step } from '../../shared/api';
import type { SpanData } from '../../shared/model';
import { buildModel, visibleRows, visibleRowIndexes, rowAt, stepRow, fmtOffset } from '../../renderer/src/components/Waterfall';
import { spanTree } from '../../electron/core/recon/reconstruct';
import { compactRun, LARGE_RUN_ITEMS } from '../../shared/run-columns';
import { fuzzy } from '../../renderer/src/components/CommandPalette';

const span = (id: string, parent: string | null, start: number, name = id): SpanNode => ({
  id: `span:t:${id}`,
  traceId: 't'.repeat(32),
  spanId: id,
  parentSpanId: parent,
  name,
  service: 'svc',
  kind: 'internal',
  startAt: start,
  endAt: start + 10,
  status: 'ok',
  depth: 0,
  orphan: false,
});

const step = (id: string, at: number, kind: Step['kind'] = 'input'): Step => ({
  id,
  kind,
  at,
  endAt: null,
  title: id,
  source: { sourceId: 1, path: 'a.jsonl', line: 1, jsonPath: null },
  alsoIn: [],
  link: { rule: 'run-id', inferred: false },
  data: {},
});

/** A run of these steps and spans, the spans in the core's waterfall order (spanTree). */
function runOf(steps: Step[], spans: SpanNode[]): ReconstructedRun {
  const data: SpanData[] = spans.map((s) => ({ origin: 'otlp', traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId, name: s.name, kind: s.kind, service: s.service, startUs: s.startAt, endUs: s.endAt, status: { code: s.status }, attributes: {} }));
  const ordered = spanTree(data, (d) => spans[data.indexOf(d)]!.id);
  return { runId: 'r', workflow: null, tier: null, startedAt: null, endedAt: null, modelVersion: { value: null, source: null }, steps, spans: ordered, lineage: { root: null, asOf: null, nodes: [], edges: [], findings: [] }, findings: [], labels: [], inAffectedSet: false };
}

describe('waterfall rows', () => {
  it('nests spans under their parents, audit steps in their own group, in time order', () => {
    const spans = [span('b', 'a', 5), span('a', null, 0), span('c', 'a', 2), span('d', 'c', 3)];
    const m = buildModel(runOf([step('s2', 9), step('s1', 1)], spans));
    const rows = visibleRows(m, new Set());
    expect(rows.map((r) => `${r.depth}:${r.label}`)).toEqual(['0:Audit trail · 2 steps', '1:s1', '1:s2', `0:Trace ${'t'.repeat(16)}… · 4 spans`, '1:a', '2:c', '3:d', '2:b']);
    expect(rows.map((r) => r.hasChildren)).toEqual([true, false, false, true, true, true, false, false]);
  });

  it('collapsing hides a subtree; orphans and cycles still appear exactly once', () => {
    const spans = [span('a', null, 0), span('b', 'a', 1), span('x', 'y', 2), span('y', 'x', 3), span('o', 'missing', 4)];
    const m = buildModel(runOf([], spans));
    const all = visibleRows(m, new Set());
    const ids = all.filter((r) => !r.group).map((r) => r.label);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['a', 'b', 'o', 'x', 'y']));
    expect(all.find((r) => r.label === 'o')!.orphan).toBe(true);
    const collapsed = visibleRows(m, new Set(['span:span:t:a']));
    expect(collapsed.map((r) => r.label)).not.toContain('b');
    expect(collapsed.map((r) => r.label)).toContain('o');
    // collapsing the trace group hides all its spans
    expect(visibleRowIndexes(m, new Set([0]))).toEqual(new Int32Array([0]));
  });

  it('reads a large run from its columns: the same rows as the object form, span rows tied to their steps', () => {
    const spans = [span('a', null, 0)];
    for (let i = 0; i < LARGE_RUN_ITEMS + 5; i++) spans.push(span(`s${i}`, i % 2 ? 'a' : `s${i - 1}`, 10 + i));
    const spanSteps: Step[] = spans.map((s) => ({ ...step(s.id, s.startAt!, 'span'), endAt: s.endAt, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId, title: s.name }));
    const run = runOf([step('in', 1, 'input'), ...spanSteps.sort((a, b) => a.at! - b.at!)], spans);
    const lean: ReconstructedRun = { ...run, steps: run.steps.map((s) => (s.kind === 'span' ? (({ data: _d, ...rest }) => ({ ...rest, dataOmitted: true }))(s) : s)) };
    const compact = compactRun(lean);
    expect(compact.spans).toEqual([]);
    const a = buildModel(lean);
    const b = buildModel(compact);
    expect(b.n).toBe(a.n);
    expect(visibleRows(b)).toEqual(visibleRows(a));
    // every span row is a step; the audit row is the input
    const rows = visibleRows(b);
    expect(rows.filter((r) => r.kind === 'span').every((r) => r.stepId === r.id.slice('span:'.length))).toBe(true);
    expect(rowAt(b, 1).stepId).toBe('in');
    expect(stepRow(b, 'span:t:s7')).toBe(rows.findIndex((r) => r.id === 'span:span:t:s7'));
    expect(stepRow(b, 'in')).toBe(1);
  });

  it('axis labels carry enough decimals for their step', () => {
    expect(fmtOffset(1_500_000, 500_000)).toBe('+1500 ms');
    expect(fmtOffset(4_500_000, 1_500_000)).toBe('+4.5 s');
    expect(fmtOffset(2_000, 1_000)).toBe('+2 ms');
    expect(fmtOffset(120_000_000, 60_000_000)).toBe('+2 min');
    expect(fmtOffset(-250, 50)).toBe('−250 µs');
  });
});

describe('command palette matching', () => {
  it('prefers substrings, accepts subsequences, rejects the rest', () => {
    expect(fuzzy('theme', 'View: Toggle theme')?.score).toBeLessThan(100);
    expect(fuzzy('gtr', 'Go to Runs')).not.toBeNull();
    expect(fuzzy('zz', 'Go to Runs')).toBeNull();
  });
});

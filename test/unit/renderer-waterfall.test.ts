import { describe, expect, it } from 'vitest';
import type { SpanNode, Step } from '../../shared/api';
import { buildTree, visibleRows, fmtOffset } from '../../renderer/src/components/Waterfall';
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

describe('waterfall rows', () => {
  it('nests spans under their parents, audit steps in their own group, in time order', () => {
    const spans = [span('b', 'a', 5), span('a', null, 0), span('c', 'a', 2), span('d', 'c', 3)];
    const tree = buildTree([step('s2', 9), step('s1', 1)], spans);
    const rows = visibleRows(tree, new Set());
    expect(rows.map((r) => `${r.depth}:${r.label}`)).toEqual(['0:Audit trail · 2 steps', '1:s1', '1:s2', `0:Trace ${'t'.repeat(16)}… · 4 spans`, '1:a', '2:c', '3:d', '2:b']);
  });

  it('collapsing hides a subtree; orphans and cycles still appear exactly once', () => {
    const spans = [span('a', null, 0), span('b', 'a', 1), span('x', 'y', 2), span('y', 'x', 3), span('o', 'missing', 4)];
    const tree = buildTree([], spans);
    const all = visibleRows(tree, new Set());
    const ids = all.filter((r) => !r.group).map((r) => r.label);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['a', 'b', 'o']));
    const collapsed = visibleRows(tree, new Set(['span:span:t:a']));
    expect(collapsed.map((r) => r.label)).not.toContain('b');
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

import { describe, expect, it } from 'vitest';
import { describeDiff, diffValues, jsonEqual, numericLeaves, scaledFromNote, unitChangeNote } from '../../shared/diff';

describe('shared/diff: structural diff of written values', () => {
  it('equal values give no change, whatever the key order', () => {
    expect(diffValues({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toEqual([]);
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
  });

  it('a scalar is replaced whole, at the empty pointer', () => {
    expect(diffValues('open', 'closed')).toEqual([{ pointer: '', op: 'replace', before: 'open', after: 'closed' }]);
  });

  it('objects are compared key by key (sorted), with JSON Pointer escaping', () => {
    const d = diffValues({ amount: 10, 'a/b': 1, gone: true, nested: { x: 1 } }, { amount: 12, 'a/b': 2, added: 'y', nested: { x: 1, y: 2 } });
    expect(d).toEqual([
      { pointer: '/a~1b', op: 'replace', before: 1, after: 2 },
      { pointer: '/added', op: 'add', after: 'y' },
      { pointer: '/amount', op: 'replace', before: 10, after: 12 },
      { pointer: '/gone', op: 'remove', before: true },
      { pointer: '/nested/y', op: 'add', after: 2 },
    ]);
  });

  it('arrays index by index', () => {
    expect(diffValues([1, 2, 3], [1, 5])).toEqual([
      { pointer: '/1', op: 'replace', before: 2, after: 5 },
      { pointer: '/2', op: 'remove', before: 3 },
    ]);
  });

  it('a number scaled by a power of ten is flagged as a possible unit change', () => {
    expect(diffValues(45.99, 4599)).toEqual([{ pointer: '', op: 'replace', before: 45.99, after: 4599, note: '×100 (unit change?)' }]);
    expect(diffValues({ amount: 4599 }, { amount: 45.99 })[0]!.note).toBe('÷100 (unit change?)');
    expect(diffValues({ ms: 1500 }, { ms: '1.5' })[0]!.note).toBe('÷1000 (unit change?)');
    expect(unitChangeNote(3, 30)).toBe('×10 (unit change?)');
  });

  it('no unit note for zero, sign flips, other ratios or non-numbers', () => {
    expect(unitChangeNote(0, 4600)).toBeNull();
    expect(unitChangeNote(5, -50)).toBeNull();
    expect(unitChangeNote(45.99, 91.98)).toBeNull();
    expect(unitChangeNote('abc', 'abcd')).toBeNull();
    expect(unitChangeNote(1, 1e9)).toBeNull();
    expect(diffValues(0, 4600)[0]!.note).toBeUndefined();
  });

  it('finds the earlier number a write is a scaled copy of, preferring the same field name', () => {
    const leaves = numericLeaves({ result: { total: 46, shipping: 4.6, items: [{ qty: 2 }] } });
    expect(leaves).toEqual([
      { pointer: '/result/total', value: 46 },
      { pointer: '/result/shipping', value: 4.6 },
      { pointer: '/result/items/0/qty', value: 2 },
    ]);
    const cands = leaves.map((l) => ({ label: 'tool lookup_order', ...l }));
    expect(scaledFromNote(4600, cands)).toBe('×100 of 46 (tool lookup_order /result/total): unit change?');
    expect(scaledFromNote(460, cands, 'shipping')).toBe('×100 of 4.6 (tool lookup_order /result/shipping): unit change?');
    expect(scaledFromNote(46, cands)).toBeNull();
    expect(scaledFromNote(47, cands)).toBeNull();
  });

  it('describes changes one per line', () => {
    expect(describeDiff(diffValues({ a: 45.99, b: 'x' }, { a: 4599 }))).toEqual(['/a: 45.99 → 4599 (×100 (unit change?))', '/b: removed "x"']);
  });
});

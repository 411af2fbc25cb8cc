/**
 * The import's record rows in transit from a parse worker to the writer, packed: every string field of a block's rows in
 * one string, their lengths in an Int32Array, numbers in a Float64Array. Posting that costs three copies
 * instead of a structured clone of ~40 values per record (measured: serializing and deserializing the
 * rows as arrays was a fifth of the streaming CPU; docs/performance.md), and the writer reads the fields
 * back as slices of the one string.
 *
 * Field codes in `len`: n ≥ 0 a string of n UTF-16 units, -1 null, -2 a number (the next one in `num`),
 * -3 a record without facts (in the facts position).
 */
import type { FactValue } from '../../../shared/record-facts';
import { FACT_COLUMNS } from '../../../shared/record-facts';
import type { RecordRow } from './import-store';

export interface PackedRecords {
  count: number;
  /**
   * the strings, in pieces of about CHUNK characters cut between fields: a piece that size stays in V8's young
   * generation and dies there once the block is written (one string per block of 256 KiB — the block size then — would go to the
   * large-object space, which only a full GC frees: +50 MB of peak RSS in the writer, measured)
   */
  s: string[];
  len: Int32Array;
  num: Float64Array;
}

const NULL = -1;
const NUM = -2;
const NO_FACTS = -3;
const N_FACTS = FACT_COLUMNS.length;
const CHUNK = 32 * 1024;

/** Packs a block's rows (a hot loop: no closures, typed arrays sized for the worst case). */
export function packRecords(rows: RecordRow[]): PackedRecords {
  // upper bounds: 12 fields and the facts per record
  const len = new Int32Array(rows.length * (12 + N_FACTS));
  const num = new Float64Array(rows.length * (3 + N_FACTS));
  const chunks: string[] = [];
  let s = '';
  let li = 0;
  let ni = 0;
  for (const r of rows) {
    const f = r[12];
    // the row's 12 fields, then its facts (or the no-facts mark)
    const n = f === null ? 12 : 12 + N_FACTS;
    for (let i = 0; i < n; i++) {
      const v = i < 12 ? (r[i] as FactValue) : f![i - 12];
      if (v === null || v === undefined) len[li++] = NULL;
      else if (typeof v === 'number') {
        len[li++] = NUM;
        num[ni++] = v;
      } else {
        if (s.length + v.length > CHUNK && s.length > 0) {
          chunks.push(s);
          s = '';
        }
        s += v;
        len[li++] = v.length;
      }
    }
    if (f === null) len[li++] = NO_FACTS;
  }
  if (s.length > 0) chunks.push(s);
  return { count: rows.length, s: chunks, len: len.slice(0, li), num: num.slice(0, ni) };
}

/** The buffers a packed block can hand over to the receiving thread instead of having them copied. */
export function packedTransfer(p: PackedRecords | undefined): ArrayBuffer[] {
  return p ? [p.len.buffer as ArrayBuffer, p.num.buffer as ArrayBuffer] : [];
}

/**
 * Reads packed rows back one at a time into `row` (reused: copy what must outlive the callback). `facts` is
 * a reused array too; row[12] is it or null.
 */
export function forEachPacked(p: PackedRecords, each: (row: RecordRow) => void): void {
  const { len, num } = p;
  let ci = 0;
  let s = p.s[0] ?? '';
  let pos = 0;
  let li = 0;
  let ni = 0;
  const read = (): string | number | null => {
    const n = len[li++]!;
    if (n >= 0) {
      // the packer starts a new piece only for a field that does not fit in the current one
      if (pos + n > s.length) {
        s = p.s[++ci]!;
        pos = 0;
      }
      const v = s.slice(pos, pos + n);
      pos += n;
      return v;
    }
    return n === NUM ? num[ni++]! : null;
  };
  const facts: FactValue[] = new Array(N_FACTS).fill(null);
  const row = new Array(13) as unknown as RecordRow;
  for (let k = 0; k < p.count; k++) {
    for (let i = 0; i < 12; i++) (row as unknown as Array<unknown>)[i] = read();
    if (len[li] === NO_FACTS) {
      li++;
      row[12] = null;
    } else {
      for (let i = 0; i < N_FACTS; i++) facts[i] = read();
      row[12] = facts;
    }
    each(row);
  }
}

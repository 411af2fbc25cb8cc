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

/**
 * Packs rows one at a time, as a parse worker maps them (RowBatch in packed mode): each row's values are copied
 * into the typed arrays and the current string piece at once, so the block's rows — arrays, facts, the strings
 * JSON.parse made — die young instead of living until the block ends. A full piece is flattened on the spot:
 * until then it is a tree of the strings appended to it, which keeps them alive. (Measured on 340,833 audit
 * lines in one thread: collecting a block's rows first and packing them at the end kept ~1,000 rows alive
 * through every young-generation collection — 0.28 s of collection per 1.6 s; docs/performance.md.)
 */
export class RecordPacker {
  private len = new Int32Array(1024 * (12 + N_FACTS));
  private num = new Float64Array(1024 * (3 + N_FACTS));
  private li = 0;
  private ni = 0;
  private count = 0;
  private chunks: string[] = [];
  private s = '';

  /** Appends one row (its 12 fields and its facts or null). */
  add(r: RecordRow): void {
    const f = r[12];
    const n = f === null ? 13 : 12 + N_FACTS;
    if (this.li + n > this.len.length) this.len = grow(this.len, this.li + n);
    if (this.ni + n > this.num.length) this.num = grow(this.num, this.ni + n);
    const len = this.len;
    let li = this.li;
    for (let i = 0; i < 12; i++) li = this.value(r[i] as FactValue, len, li);
    if (f === null) len[li++] = NO_FACTS;
    else for (let i = 0; i < N_FACTS; i++) li = this.value(f[i]!, len, li);
    this.li = li;
    this.count++;
  }

  private value(v: FactValue, len: Int32Array, li: number): number {
    if (v === null || v === undefined) len[li] = NULL;
    else if (typeof v === 'number') {
      len[li] = NUM;
      this.num[this.ni++] = v;
    } else {
      if (this.s.length + v.length > CHUNK && this.s.length > 0) this.cut();
      this.s += v;
      len[li] = v.length;
    }
    return li + 1;
  }

  /** Ends the current piece, flattened (charCodeAt flattens a concatenated string in V8). */
  private cut(): void {
    this.s.charCodeAt(0);
    this.chunks.push(this.s);
    this.s = '';
  }

  /** The packed rows so far; the packer starts over empty. */
  finish(): PackedRecords {
    if (this.s.length > 0) this.cut();
    const out = { count: this.count, s: this.chunks, len: this.len.slice(0, this.li), num: this.num.slice(0, this.ni) };
    this.chunks = [];
    this.li = 0;
    this.ni = 0;
    this.count = 0;
    return out;
  }
}

function grow<T extends Int32Array | Float64Array>(a: T, need: number): T {
  const b = new (a.constructor as { new (n: number): T })(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** Packs a block's rows. */
export function packRecords(rows: RecordRow[]): PackedRecords {
  const p = new RecordPacker();
  for (const r of rows) p.add(r);
  return p.finish();
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

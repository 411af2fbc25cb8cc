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
  /** every record's data, UTF-8, one after the other (a view of the start of a buffer of its own) */
  d: Uint8Array;
}

/**
 * Buffer's UTF-8 write without the argument handling of `write()` (a third of the packer's time for OPA decisions,
 * measured): `utf8Write` is on Buffer.prototype in every Node release, though not in the typings.
 */
const utf8Write: (this: Buffer, s: string, offset: number) => number =
  (Buffer.prototype as unknown as { utf8Write?: (this: Buffer, s: string, offset: number) => number }).utf8Write ??
  function (this: Buffer, s: string, offset: number): number {
    return this.write(s, offset);
  };

/** The position of a record's data in its row (RecordRow). */
const DATA = 9;
/** The first size of a packer's data buffer: a block of 256 KiB of lines holds about that much data. */
const DATA_BYTES = 512 * 1024;

/**
 * Data buffers the writer has given back after storing their rows (reuseDataBuffer), for the next blocks of this
 * thread: a parse worker then fills the same few buffers over and over instead of new memory for every block (which
 * the kernel must map and zero, and which drives the receiving isolate's collections of external memory).
 */
const freeData: ArrayBuffer[] = [];
const MAX_FREE = 8;
const EMPTY = Buffer.alloc(0);

/** A data buffer back from the writer (parse worker side). */
export function reuseDataBuffer(ab: ArrayBuffer): void {
  if (freeData.length < MAX_FREE && ab.byteLength >= DATA_BYTES) freeData.push(ab);
}

/** A buffer of its own (not a slice of Node's pool: it is transferred) of at least `min` bytes. */
function dataBuffer(min: number): Buffer {
  while (freeData.length > 0) {
    const ab = freeData.pop()!;
    if (ab.byteLength >= min) return Buffer.from(ab);
  }
  return Buffer.allocUnsafeSlow(Math.max(min, DATA_BYTES));
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
  /** the data of the rows so far (taken when the first row comes: from the buffers the writer gave back, or new) */
  private d: Buffer = EMPTY;
  private dpos = 0;

  /**
   * Appends one row (its 12 fields and its facts or null). With `around` and `line`, the row's data is those two
   * texts around the line's UTF-8 bytes (which is what r[9] says, as a string): the bytes are copied, not encoded.
   */
  add(r: RecordRow, around?: readonly [string, string], line?: Uint8Array): void {
    const f = r[12];
    const n = f === null ? 13 : 12 + N_FACTS;
    if (this.li + n > this.len.length) this.len = grow(this.len, this.li + n);
    if (this.ni + n > this.num.length) this.num = grow(this.num, this.ni + n);
    const len = this.len;
    let li = this.li;
    for (let i = 0; i < 12; i++) {
      if (i !== DATA) li = this.value(r[i] as FactValue, len, li);
      else if (around && line) li = this.dataAround(around, line, len, li);
      else li = this.data(r[i] as string | Uint8Array, len, li);
    }
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

  /** Room in `d` for `max` more bytes. */
  private room(max: number): void {
    if (this.dpos + max <= this.d.length) return;
    const b = dataBuffer(Math.max(this.dpos + max, this.d.length * 2));
    this.d.copy(b, 0, 0, this.dpos);
    this.d = b;
  }

  private aroundBytes: [string, string, Buffer, Buffer] | null = null;

  /** The data field as two texts around a line's bytes. */
  private dataAround(around: readonly [string, string], line: Uint8Array, len: Int32Array, li: number): number {
    let a = this.aroundBytes;
    if (a === null || a[0] !== around[0] || a[1] !== around[1]) a = this.aroundBytes = [around[0], around[1], Buffer.from(around[0]), Buffer.from(around[1])];
    const start = this.dpos;
    this.room(a[2].length + line.byteLength + a[3].length);
    const d = this.d;
    let pos = this.dpos;
    pos += a[2].copy(d, pos);
    d.set(line, pos);
    pos += line.byteLength;
    pos += a[3].copy(d, pos);
    this.dpos = pos;
    len[li] = pos - start;
    return li + 1;
  }

  /** The data field: its UTF-8 bytes appended to `d`, their count in `len`. */
  private data(v: string | Uint8Array, len: Int32Array, li: number): number {
    // at most 3 bytes per UTF-16 unit
    this.room(typeof v === 'string' ? v.length * 3 : v.byteLength);
    let n: number;
    if (typeof v === 'string') n = utf8Write.call(this.d, v, this.dpos);
    else {
      this.d.set(v, this.dpos);
      n = v.byteLength;
    }
    this.dpos += n;
    len[li] = n;
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
    const out = { count: this.count, s: this.chunks, len: this.len.slice(0, this.li), num: this.num.slice(0, this.ni), d: this.d === EMPTY ? new Uint8Array(0) : new Uint8Array(this.d.buffer, 0, this.dpos) };
    // the data buffer goes with the rows (transferred): the next block takes another
    this.d = EMPTY;
    this.dpos = 0;
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
  return p ? [p.len.buffer as ArrayBuffer, p.num.buffer as ArrayBuffer, p.d.buffer as ArrayBuffer] : [];
}

/**
 * Reads packed rows back one at a time into `row` (reused: copy what must outlive the callback). `facts` is
 * a reused array too; row[12] is it or null. row[9], the data, is a view of its UTF-8 bytes in `d`.
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
  const dBuf = p.d.buffer;
  let dpos = p.d.byteOffset;
  for (let k = 0; k < p.count; k++) {
    for (let i = 0; i < DATA; i++) (row as unknown as Array<unknown>)[i] = read();
    const n = len[li++]!;
    row[DATA] = new Uint8Array(dBuf, dpos, n);
    dpos += n;
    for (let i = DATA + 1; i < 12; i++) (row as unknown as Array<unknown>)[i] = read();
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

/**
 * Record rows packed for the trip between threads: every string of a batch in ONE string, lengths and numbers
 * in two typed arrays. Structured clone then copies one string and two buffers instead of a few hundred
 * thousand small arrays and strings (measured: the batch clone was ~2.6 s of CPU per 400k records), and the
 * writer's strings are cheap substrings of the one it received.
 */
import type { RecordRow } from '../store/import-store';
import { FACT_COLUMNS, type FactValue } from '../../../shared/record-facts';

export interface PackedRows {
  n: number;
  s: string;
  /** per value: ≥ 0 a string of that length (next in `s`), -1 null, -2 a number (next in `nums`), -3 no facts */
  lens: Int32Array;
  nums: Float64Array;
}

const NF = FACT_COLUMNS.length;

export function packRows(rows: RecordRow[]): PackedRows {
  const parts: string[] = [];
  const lens: number[] = [];
  const nums: number[] = [];
  const put = (v: FactValue | undefined) => {
    if (v === null || v === undefined) lens.push(-1);
    else if (typeof v === 'number') {
      lens.push(-2);
      nums.push(v);
    } else {
      lens.push(v.length);
      parts.push(v);
    }
  };
  for (const r of rows) {
    for (let i = 0; i < 12; i++) put(r[i] as FactValue);
    const f = r[12];
    if (!f) lens.push(-3);
    else for (let i = 0; i < NF; i++) put(f[i]);
  }
  return { n: rows.length, s: parts.join(''), lens: Int32Array.from(lens), nums: Float64Array.from(nums) };
}

export function unpackRows(p: PackedRows): RecordRow[] {
  const out: RecordRow[] = new Array(p.n);
  const { s, lens, nums } = p;
  let at = 0;
  let li = 0;
  let ni = 0;
  const take = (): FactValue => {
    const len = lens[li++]!;
    if (len === -1) return null;
    if (len === -2) return nums[ni++]!;
    const v = s.substring(at, at + len);
    at += len;
    return v;
  };
  for (let k = 0; k < p.n; k++) {
    const r = new Array(13) as unknown as RecordRow;
    for (let i = 0; i < 12; i++) (r as unknown as FactValue[])[i] = take();
    if (lens[li] === -3) {
      li++;
      r[12] = null;
    } else {
      const f = new Array<FactValue>(NF);
      for (let i = 0; i < NF; i++) f[i] = take();
      r[12] = f;
    }
    out[k] = r;
  }
  return out;
}

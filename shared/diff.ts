/**
 * Structural diff of two JSON values (a write's before and after, two runs' payloads), as a flat list of
 * changes addressed by JSON Pointer (RFC 6901). Pure: runs anywhere.
 *
 * A number that was multiplied or divided by a power of ten (45.99 → 4599) is flagged with a note such
 * as "×100 (unit change?)": the classic sign of a dollars/cents or seconds/milliseconds mix-up. Numeric
 * strings ("45.99") count as numbers for that check.
 */
import type { DiffEntry } from './api';

export type { DiffEntry };

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function escapePointer(k: string): string {
  return k.replace(/~/g, '~0').replace(/\//g, '~1');
}

function asNumber(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) return Number(v);
  return null;
}

const SUPERSCRIPT_FREE = (k: number) => (k > 0 ? `×${10 ** k}` : `÷${10 ** -k}`);

/**
 * When `after` is `before` scaled by a power of ten (10^±1 … 10^±6), a note naming the factor,
 * e.g. "×100 (unit change?)"; otherwise null. Zero, equal values and non-numbers give null.
 */
export function unitChangeNote(before: unknown, after: unknown): string | null {
  const a = asNumber(before);
  const b = asNumber(after);
  if (a === null || b === null || a === 0 || b === 0 || a === b) return null;
  if (Math.sign(a) !== Math.sign(b)) return null;
  const ratio = b / a;
  const k = Math.round(Math.log10(Math.abs(ratio)));
  if (k === 0 || Math.abs(k) > 6) return null;
  const expected = 10 ** k;
  if (Math.abs(ratio - expected) / expected > 1e-6) return null;
  return `${SUPERSCRIPT_FREE(k)} (unit change?)`;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => equal(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => k in bo && equal(ao[k], bo[k]));
}

/** Deep equality of JSON values (object key order ignored; undefined members ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return equal(a, b);
}

function walk(before: unknown, after: unknown, pointer: string, out: DiffEntry[], depth: number): void {
  if (equal(before, after)) return;
  if (depth < 64 && isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const k of keys) {
      const p = `${pointer}/${escapePointer(k)}`;
      const inA = before[k] !== undefined;
      const inB = after[k] !== undefined;
      if (inA && !inB) out.push({ pointer: p, op: 'remove', before: before[k] });
      else if (!inA && inB) out.push({ pointer: p, op: 'add', after: after[k] });
      else if (inA && inB) walk(before[k], after[k], p, out, depth + 1);
    }
    return;
  }
  if (depth < 64 && Array.isArray(before) && Array.isArray(after)) {
    const n = Math.max(before.length, after.length);
    for (let i = 0; i < n; i++) {
      const p = `${pointer}/${i}`;
      if (i >= after.length) out.push({ pointer: p, op: 'remove', before: before[i] });
      else if (i >= before.length) out.push({ pointer: p, op: 'add', after: after[i] });
      else walk(before[i], after[i], p, out, depth + 1);
    }
    return;
  }
  const entry: DiffEntry = { pointer, op: 'replace', before, after };
  if (before === undefined) {
    out.push({ pointer, op: 'add', after });
    return;
  }
  if (after === undefined) {
    out.push({ pointer, op: 'remove', before });
    return;
  }
  const note = unitChangeNote(before, after);
  if (note) entry.note = note;
  out.push(entry);
}

/**
 * The changes that turn `before` into `after`: objects are compared key by key (sorted), arrays index by
 * index, anything else is replaced whole. Pointers are relative to the values ('' = the value itself).
 */
export function diffValues(before: unknown, after: unknown): DiffEntry[] {
  const out: DiffEntry[] = [];
  walk(before, after, '', out, 0);
  return out;
}

/** One line per change, e.g. `/amount: 45.99 → 4599 (×100 (unit change?))`. */
export function describeDiff(entries: readonly DiffEntry[]): string[] {
  const show = (v: unknown) => (v === undefined ? '∅' : typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));
  return entries.map((e) => {
    const at = e.pointer || '(value)';
    if (e.op === 'add') return `${at}: added ${show(e.after)}`;
    if (e.op === 'remove') return `${at}: removed ${show(e.before)}`;
    return `${at}: ${show(e.before)} → ${show(e.after)}${e.note ? ` (${e.note})` : ''}`;
  });
}

/** Numeric leaves of a JSON value (numbers and numeric strings), with their JSON pointers; at most `limit`. */
export function numericLeaves(value: unknown, limit = 200): Array<{ pointer: string; value: number }> {
  const out: Array<{ pointer: string; value: number }> = [];
  const walkLeaves = (v: unknown, p: string, depth: number) => {
    if (out.length >= limit || depth > 16) return;
    const n = asNumber(v);
    if (n !== null) {
      out.push({ pointer: p, value: n });
      return;
    }
    if (Array.isArray(v)) v.forEach((x, i) => walkLeaves(x, `${p}/${i}`, depth + 1));
    else if (isObj(v)) for (const [k, x] of Object.entries(v)) walkLeaves(x, `${p}/${escapePointer(k)}`, depth + 1);
  };
  walkLeaves(value, '', 0);
  return out;
}

/**
 * When a written number is an earlier number of the run scaled by a power of ten (4600 written where a tool
 * said 46), the note naming it, e.g. "×100 of 46 (tool lookup_order /result/total): unit change?". Candidates
 * whose last pointer segment equals `field` are preferred. A value equal to an evidence candidate (not marked
 * `evidence: false`) is no change.
 */
export function scaledFromNote(after: unknown, candidates: ReadonlyArray<{ label: string; pointer: string; value: number; evidence?: boolean }>, field?: string): string | null {
  const a = asNumber(after);
  if (a === null || a === 0) return null;
  // the value is one the evidence already had (a tool result, the input): not a unit change. A model's own
  // output does not count: it may be where the mistake was made.
  if (candidates.some((c) => c.evidence !== false && c.value === a)) return null;
  const hits = candidates.filter((c) => unitChangeNote(c.value, a) !== null);
  if (hits.length === 0) return null;
  const last = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  const best = (field ? hits.find((c) => last(c.pointer) === field) : undefined) ?? hits[0]!;
  const factor = unitChangeNote(best.value, a)!.replace(' (unit change?)', '');
  return `${factor} of ${best.value} (${best.label} ${best.pointer}): unit change?`;
}

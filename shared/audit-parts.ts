/**
 * Per-run partial aggregates of audit events ("parts"), built by the import's writer as it stores the events
 * of a source, so that run derivation merges one row per run and source instead of grouping every audit
 * event of the case again (electron/core/store/runs-derive.ts, t_aud). A part covers a maximal stretch of
 * consecutive stored audit events of one run within one source; a run's events are usually contiguous in
 * an audit file, so a run has one part per source that mentions it.
 *
 * Each column is exactly what the derivation's GROUP BY over those events computes in SQL (SQLite's NULL,
 * type-ordering and character-counting rules included), so that merging parts gives what grouping all the
 * events gives. The same columns are computed in SQL for cases imported before parts existed
 * (RunsDeriveStore.backfillParts); test/integration/audit-parts.test.ts derives a case both ways and
 * compares. Pure: the caller passes SQLite's own number-to-text conversion (rare: numeric input texts).
 */
import { FACT_COLUMNS, type FactValue } from './record-facts';

/** Column order of a part row (audit_run_parts, migration 006). */
export const PART_COLUMNS = [
  'run_id', 'first_id', 'n', 'started', 'ended',
  'n_writes', 'n_undo', 'n_rerun', 'n_esc_sig', 'n_complaint', 'n_appr_rej', 'n_start',
  'input_len', 'input_head', 'wf', 'tier', 'session_id', 'tools',
  'm_rank', 'm_ts', 'm_id', 'm_ver', 'm_name', 'm_prov', 'm_key',
  'n_chained', 'chain_prevs', 'chain_hashes', 'n_seq', 'chain_bad',
  'n_traces', 'trace1', 'trace2', 'ftxt',
] as const;

export type PartRow = FactValue[];

/** The first characters of a run's input text kept for language detection (runs-derive: cf_lang). */
export const INPUT_HEAD_CHARS = 400;

const F = (name: (typeof FACT_COLUMNS)[number]) => FACT_COLUMNS.indexOf(name);
const A_SEQ = F('a_seq');
const A_PREV = F('a_prev');
const A_HASH = F('a_hash');
const H_BAD = F('h_bad');
const A_WF = F('a_wf');
const A_TIER = F('a_tier');
const A_SESSION = F('a_session');
const A_SIG = F('a_sig');
const A_APPR = F('a_appr');
const A_IN = F('a_in');
const A_FTXT = F('a_ftxt');
const A_TOOL = F('a_tool');
const A_MVER = F('a_mver');
const A_MNAME = F('a_mname');
const A_MPROV = F('a_mprov');

// ------------------------------------------------------------------------------------------ SQLite semantics

/** Text comparison as SQLite's BINARY collation does it (UTF-8 bytes, i.e. code points). */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    // a surrogate stands for a code point above U+FFFF: greater than any other UTF-16 unit
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** Value ordering as SQLite's ORDER BY / min / max see it: NULL < numbers < text. */
export function compareSql(a: FactValue, b: FactValue): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (typeof a === 'number') return typeof b === 'number' ? (a < b ? -1 : a > b ? 1 : 0) : -1;
  if (typeof b === 'number') return 1;
  return compareText(a, b);
}

/** Characters as SQLite's length() and substr() count them (code points). */
export function charLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** substr(s, 1, n) in SQLite's characters. */
export function headChars(s: string, n: number): string {
  if (s.length <= n) return s;
  let units = 0;
  for (let chars = 0; chars < n && units < s.length; chars++) {
    const c = s.charCodeAt(units);
    units += c >= 0xd800 && c <= 0xdbff && units + 1 < s.length && s.charCodeAt(units + 1) >= 0xdc00 && s.charCodeAt(units + 1) <= 0xdfff ? 2 : 1;
  }
  return s.slice(0, units);
}

/** max() over a column: NULLs ignored. */
const maxSql = (acc: FactValue, v: FactValue): FactValue => (v === null ? acc : acc === null || compareSql(v, acc) > 0 ? v : acc);

/** sum() of a comparison: NULL while every operand was NULL. */
const addCond = (acc: number | null, cond: boolean | null): number | null => (cond === null ? acc : (acc ?? 0) + (cond ? 1 : 0));

// ------------------------------------------------------------------------------------------ the builder

interface Chained {
  seq: FactValue;
  id: number;
  prev: string;
  hash: string | null;
}

interface Part {
  runId: string;
  firstId: number;
  n: number;
  started: number | null;
  ended: number | null;
  nWrites: number | null;
  nUndo: number | null;
  nRerun: number | null;
  nEscSig: number | null;
  nComplaint: number | null;
  nApprRej: number | null;
  nStart: number | null;
  inputLen: number | null;
  inputs: string[] | null;
  inputUnits: number;
  wf: FactValue;
  tier: FactValue;
  session: FactValue;
  tools: string[] | null;
  model: { rank: number; ts: number | null; id: number; v: FactValue; n: FactValue; p: FactValue; key: string } | null;
  chained: Chained[];
  nSeq: number;
  chainBad: number | null;
  traces: string[];
  ftxt: string[] | null;
}

/** Runs whose parts stay open at once: concurrent runs interleave their events in an audit file. */
export const OPEN_PARTS = 64;

function newPart(runId: string, firstId: number): Part {
  return {
    runId,
    firstId,
    n: 0,
    started: null,
    ended: null,
    nWrites: null,
    nUndo: null,
    nRerun: null,
    nEscSig: null,
    nComplaint: null,
    nApprRej: null,
    nStart: null,
    inputLen: null,
    inputs: null,
    inputUnits: 0,
    wf: null,
    tier: null,
    session: null,
    tools: null,
    model: null,
    chained: [],
    nSeq: 0,
    chainBad: null,
    traces: [],
    ftxt: null,
  };
}

/**
 * Builds parts from the stored audit events of one source, in the order they are stored. Up to OPEN_PARTS
 * runs have a part open; a new run closes the one least recently seen, whose finished part `add` returns
 * (a run seen again later starts a new part: parts of a run never overlap in event order). `flush` returns
 * the open parts (call it before the source commits).
 */
export class AuditPartBuilder {
  /** open parts, least recently seen first */
  private readonly open = new Map<string, Part>();
  private last: Part | null = null;

  /** `toText`: a number as SQLite turns it into text (length(), ||, group_concat of a numeric value). */
  constructor(private readonly toText: (v: number) => string) {}

  private text(v: FactValue): string | null {
    return v === null ? null : typeof v === 'string' ? v : this.toText(v);
  }

  add(id: number, runId: string, name: string | null, ts: number | null, traceId: string | null, key: string, facts: readonly FactValue[] | null): PartRow | null {
    let done: PartRow | null = null;
    let p = this.last !== null && this.last.runId === runId ? this.last : this.open.get(runId);
    if (p === undefined) {
      if (this.open.size >= OPEN_PARTS) {
        const [oldest, part] = this.open.entries().next().value as [string, Part];
        this.open.delete(oldest);
        done = finish(part);
      }
      p = newPart(runId, id);
      this.open.set(runId, p);
    } else if (p !== this.last) {
      // most recently seen: to the end
      this.open.delete(runId);
      this.open.set(runId, p);
    }
    this.last = p;
    p.n++;
    const isNull = name === null;
    // min/max(CASE WHEN name <> 'user.signal' THEN ts END): a NULL name is not <> anything
    if (!isNull && name !== 'user.signal' && ts !== null) {
      if (p.started === null || ts < p.started) p.started = ts;
      if (p.ended === null || ts > p.ended) p.ended = ts;
    }
    if (!isNull) {
      p.nWrites = (p.nWrites ?? 0) + (name === 'write' ? 1 : 0);
      p.nStart = (p.nStart ?? 0) + (name === 'run.start' ? 1 : 0);
    }
    if (traceId !== null && !p.traces.includes(traceId)) p.traces.push(traceId);
    if (facts === null) return done;
    const sig = facts[A_SIG] ?? null;
    if (sig !== null) {
      p.nUndo = (p.nUndo ?? 0) + (sig === 'undo' ? 1 : 0);
      p.nRerun = (p.nRerun ?? 0) + (sig === 'rerun' ? 1 : 0);
      p.nEscSig = (p.nEscSig ?? 0) + (sig === 'escalation' ? 1 : 0);
      p.nComplaint = (p.nComplaint ?? 0) + (sig === 'complaint' ? 1 : 0);
    }
    const appr = facts[A_APPR] ?? null;
    p.nApprRej = addCond(p.nApprRej, appr === null ? null : appr === 'rejected');
    const input = this.text(facts[A_IN] ?? null);
    if (input !== null) {
      p.inputLen = (p.inputLen ?? 0) + charLength(input);
      // enough for INPUT_HEAD_CHARS characters (a character is at most two UTF-16 units)
      if (p.inputUnits <= 2 * INPUT_HEAD_CHARS) {
        (p.inputs ??= []).push(input);
        p.inputUnits += input.length + 1;
      }
    }
    p.wf = maxSql(p.wf, facts[A_WF] ?? null);
    p.tier = maxSql(p.tier, facts[A_TIER] ?? null);
    p.session = maxSql(p.session, facts[A_SESSION] ?? null);
    const tool = this.text(facts[A_TOOL] ?? null);
    if (tool !== null) {
      const t = tool.replaceAll(' ', '_').replaceAll(',', '_');
      if (!(p.tools ??= []).includes(t)) p.tools.push(t);
    }
    // the first model of the run: rank (model.call first, events with a version first), then time, then id
    const mver = facts[A_MVER] ?? null;
    const mname = facts[A_MNAME] ?? null;
    if (mver !== null || mname !== null) {
      const rank = (name === 'model.call' ? 0 : 1) + (mver === null ? 2 : 0);
      const m = p.model;
      const t = ts ?? Number.MAX_SAFE_INTEGER;
      const mt = m ? (m.ts ?? Number.MAX_SAFE_INTEGER) : 0;
      if (!m || rank < m.rank || (rank === m.rank && (t < mt || (t === mt && id < m.id)))) {
        p.model = { rank, ts, id, v: mver, n: mname, p: facts[A_MPROV] ?? null, key };
      }
    }
    const seq = facts[A_SEQ] ?? null;
    const prev = facts[A_PREV] ?? null;
    const hash = facts[A_HASH] ?? null;
    if (prev !== null || hash !== null) {
      p.chained.push({ seq, id, prev: prev === null ? '' : headChars(this.text(prev)!, 16), hash: hash === null ? null : headChars(this.text(hash)!, 16) });
    }
    if (seq !== null) p.nSeq++;
    if (hash !== null) p.chainBad = Math.max(p.chainBad ?? 0, (facts[H_BAD] ?? null) !== null ? 1 : 0);
    const ftxt = this.text(facts[A_FTXT] ?? null);
    if (ftxt !== null) (p.ftxt ??= []).push(ftxt);
    return done;
  }

  /** The open parts, finished (in the order their runs were last seen); none stays open. */
  flush(): PartRow[] {
    const out = [...this.open.values()].map(finish);
    this.reset();
    return out;
  }

  /** Forget the open parts (the source's transaction was rolled back). */
  reset(): void {
    this.open.clear();
    this.last = null;
  }
}

function finish(p: Part): PartRow {
  const chained = p.chained.sort((a, b) => compareSql(a.seq, b.seq) || a.id - b.id);
  const hashes = chained.filter((c) => c.hash !== null);
  const traces = p.traces.sort(compareText);
  const m = p.model;
  return [
    p.runId, p.firstId, p.n, p.started, p.ended,
    p.nWrites, p.nUndo, p.nRerun, p.nEscSig, p.nComplaint, p.nApprRej, p.nStart,
    p.inputLen, p.inputs ? headChars(p.inputs.join(' '), INPUT_HEAD_CHARS) : null, p.wf, p.tier, p.session, p.tools ? p.tools.join(',') : null,
    m ? m.rank : null, m ? m.ts : null, m ? m.id : null, m ? m.v : null, m ? m.n : null, m ? m.p : null, m ? m.key : null,
    chained.length, chained.length ? chained.map((c) => c.prev).join('') : null, hashes.length ? hashes.map((c) => c.hash).join('') : null, p.nSeq, p.chainBad,
    traces.length, traces[0] ?? null, traces[traces.length - 1] ?? null, p.ftxt ? p.ftxt.join('\n') : null,
  ];
}

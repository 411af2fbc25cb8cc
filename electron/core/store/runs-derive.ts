/**
 * Derivation of the runs tables (migration 002) from the evidence: one sequential scan of `records` into a
 * compact temp table, then set-based SQL over temp tables, with a few JavaScript functions where the work
 * is inherently per group (span trees per trace, the first model of a run, the audit hash of new events).
 * Driven phase by phase by electron/core/recon/derive.ts, inside one transaction.
 *
 * Correlation rules are documented in docs/correlation.md; the SQL below is their implementation:
 *  - run-id       a record carries the run id itself (audit run_id, span casefile.run_id / Langfuse trace, OPA input)
 *  - trace-id     a record without run id whose trace is carried by exactly one run
 *  - span-link    a trace with no run of its own whose spans link (OTel span links) to a trace of a run
 *  - trace-as-run a trace tied to no run is a run of its own, `trace:<traceId>`
 *  - span-parent  in a trace shared by several runs, a record takes the run of its nearest ancestor span with a run id
 *  - decision-id  an OPA decision whose decision_id an audit policy.decision event of a run names
 *  - session-id / time-window  (inferred) — computed in recon/correlate.ts, stored here as run_links
 */
import Database, { type Statement } from 'better-sqlite3';
import { writeSync } from 'node:fs';
import type { Db } from './db';
import { guessLanguage } from '../../../shared/sli';
import { FACT_COLUMNS, recordFacts } from '../../../shared/record-facts';
import { sha256Hex as sha256 } from './hash';
import { INPUT_HEAD_CHARS, PART_COLUMNS } from '../../../shared/audit-parts';

/**
 * The facts the scan copies into t_rec. What the per-run grouping of audit events reads (inputs, outputs,
 * tools, models, hash-chain fields) comes from the parts (migration 006), and what the decision side reads
 * from the facts directly (decisionsSql): neither is copied.
 */
const NOT_SCANNED = new Set([
  ...['a_seq', 'a_prev', 'a_hash', 'h_bad', 'a_wf', 'a_tier', 'a_session', 'a_sig', 'a_appr', 'a_in', 'a_ftxt', 'a_tool', 'a_mver', 'a_mname', 'a_mprov'],
  ...['a_did', 'a_dout', 'a_dpol', 'a_dreasons', 'o_did', 'o_out', 'o_reasons', 'o_pol', 'o_wf'],
]);
const SCAN_FACTS = FACT_COLUMNS.filter((c) => !NOT_SCANNED.has(c));

/** Bump when the derivation changes: cases derived by an older build are re-derived on open. */
export const DERIVE_VERSION = 3;

export interface ChainProblem {
  eventId: string | null;
  problem: string;
}

export interface SpanTreeReport {
  spans: number;
  orphans: Array<{ spanId: string; parentSpanId: string }>;
  cycle: string[];
}

export interface FindingRow {
  runId: string;
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  stepId: string | null;
}

export interface LinkRow {
  runId: string;
  recordId: number;
  rule: string;
  inferred: boolean;
  reason: string | null;
}

// ----------------------------------------------------------------------------------------------- JS functions

interface ChainEv {
  id: number;
  seq: number | null;
  eventId: string | null;
  prev: string | null;
  hash: string | null;
  bad: string | null;
}

/** Checks one run's chain (docs/formats.md "Hash chain"); null when the run is unchained, [] when it verifies. */
export function checkChain(events: ChainEv[]): ChainProblem[] | null {
  if (!events.some((e) => e.hash !== null)) return null;
  const allSeq = events.every((e) => e.seq !== null);
  const ordered = [...events].sort((a, b) => (allSeq ? a.seq! - b.seq! : 0) || a.id - b.id);
  const problems: ChainProblem[] = [];
  let prevHash: string | null = null;
  ordered.forEach((e, i) => {
    const add = (problem: string) => problems.push({ eventId: e.eventId, problem });
    if (i === 0 && e.prev !== null) add(`first event of the run has prev_hash ${e.prev.slice(0, 12)}…: earlier events are missing`);
    if (i > 0 && e.prev !== prevHash) {
      add(
        e.prev === null
          ? `prev_hash is missing where the previous event's hash ${prevHash ? `${prevHash.slice(0, 12)}…` : '(none)'} was expected`
          : `prev_hash ${e.prev.slice(0, 12)}… does not match the previous event's hash ${prevHash ? `${prevHash.slice(0, 12)}…` : '(none)'}: an event was removed, inserted or reordered`,
      );
    }
    if (e.hash === null) add('no hash on an event of a hash-chained run');
    if (e.bad) add(e.bad);
    prevHash = e.hash;
  });
  return problems;
}

/** Checks one trace's parent links: orphans (parent not in the trace) and cycles. */
export function checkSpanTree(pairs: Array<[string, string | null]>): SpanTreeReport {
  const parent = new Map<string, string | null>();
  for (const [s, p] of pairs) if (!parent.has(s)) parent.set(s, p);
  const orphans: SpanTreeReport['orphans'] = [];
  for (const [s, p] of parent) if (p !== null && p !== s && !parent.has(p)) orphans.push({ spanId: s, parentSpanId: p });
  const state = new Map<string, 1 | 2>();
  const cycle = new Set<string>();
  for (const start of parent.keys()) {
    if (state.has(start)) continue;
    const path: string[] = [];
    let cur: string | null = start;
    while (cur !== null && parent.has(cur) && !state.has(cur)) {
      state.set(cur, 1);
      path.push(cur);
      cur = parent.get(cur) ?? null;
    }
    if (cur !== null && state.get(cur) === 1) {
      // cur is on the current path: the loop is path[indexOf(cur)..]
      for (let i = path.indexOf(cur); i < path.length; i++) cycle.add(path[i]!);
    }
    for (const s of path) state.set(s, 2);
  }
  return { spans: parent.size, orphans, cycle: [...cycle] };
}

/**
 * Runs a script statement by statement (statements end with ';' at the end of a line); with `trace`, each one's time
 * goes to stderr (CASEFILE_DERIVE_TRACE: the derivation's profile, the helper connection's lines marked by `label`).
 * Written synchronously: the helper's worker thread may end before an asynchronous write reaches stderr.
 */
function execScript(db: Db, script: string, trace: boolean, label = ''): void {
  for (const stmt of script.split(/;\s*\n/)) {
    const sql = stmt.trim();
    if (!sql || /^(--[^\n]*\n?\s*)*$/.test(sql)) continue;
    const t0 = trace ? performance.now() : 0;
    db.exec(sql);
    if (trace) writeSync(2, `  ${label}${(performance.now() - t0).toFixed(0).padStart(7)} ms  ${sql.replace(/--[^\n]*\n/g, '').replace(/\s+/g, ' ').slice(0, 110)}\n`);
  }
}

type AggregateOptions = Parameters<Db['aggregate']>[1];

/** better-sqlite3's typings give `step` a single argument; ours take several (one per SQL argument). */
function aggregate<T>(db: Db, name: string, opts: { start: () => T; step: (acc: T, ...args: any[]) => T; result: (acc: T) => unknown }): void {
  db.aggregate(name, opts as unknown as AggregateOptions);
}

function registerFunctions(db: Db): void {
  db.function('cf_lang', { deterministic: true }, (text: unknown) => (typeof text === 'string' && text !== '' ? guessLanguage(text) : null));
  // one call per trace: `span:parent` pairs joined by commas
  db.function('cf_span_tree', { deterministic: true }, (text: unknown) => {
    if (typeof text !== 'string' || text === '') return null;
    const pairs = text.split(',').map((x): [string, string | null] => {
      const i = x.indexOf(':');
      return [x.slice(0, i), x.slice(i + 1) || null];
    });
    const r = checkSpanTree(pairs);
    return r.orphans.length || r.cycle.length ? JSON.stringify({ orphans: r.orphans.slice(0, 50), nOrphans: r.orphans.length, cycle: r.cycle.slice(0, 50) }) : null;
  });
  // traces of a run from its parts' (n_traces, trace1, trace2): the number of distinct ones up to 2, else 3
  aggregate<{ n: number; seen: Set<string> }>(db, 'cf_trace_count', {
    start: () => ({ n: 0, seen: new Set<string>() }),
    step: (acc, n: unknown, t1: unknown, t2: unknown) => {
      if (acc.n > 2) return acc;
      if (typeof n === 'number' && n > 2) acc.n = 3;
      else {
        if (typeof t1 === 'string') acc.seen.add(t1);
        if (typeof t2 === 'string') acc.seen.add(t2);
        acc.n = Math.min(acc.seen.size, 3);
      }
      return acc;
    },
    result: (acc) => acc.n,
  });
  // the three model choices below take the candidate of lowest rank, then earliest (no time: last), then first stored
  type Order = { rank: number; t: number; id: number };
  const order = (rank: unknown, ts: unknown, id: unknown): Order => ({ rank: Number(rank), t: typeof ts === 'number' ? ts : Number.MAX_SAFE_INTEGER, id: Number(id) });
  const precedes = (o: Order, acc: Order | null) => !acc || o.rank < acc.rank || (o.rank === acc.rank && (o.t < acc.t || (o.t === acc.t && o.id < acc.id)));
  const str = (x: unknown) => (typeof x === 'string' ? x : null);
  type FirstModel = null | (Order & { v: string | null; n: string | null; p: string | null; key: string });
  aggregate<FirstModel>(db, 'cf_first_model', {
    start: () => null,
    step: (acc, rank: unknown, ts: unknown, id: unknown, v: unknown, n: unknown, p: unknown, key: unknown) => {
      const o = order(rank, ts, id);
      return precedes(o, acc) ? { ...o, v: str(v), n: str(n), p: str(p), key: String(key) } : acc;
    },
    result: (acc) => (acc ? JSON.stringify([acc.v, acc.n, acc.p, acc.key, acc.rank]) : null),
  });
  // the same choice, keeping what a part (shared/audit-parts.ts) stores of it: [rank, ts, id, version, name, provider, key]
  type Cand = null | (Order & { ts: unknown; v: unknown; n: unknown; p: unknown; key: unknown });
  aggregate<Cand>(db, 'cf_model_cand', {
    start: () => null,
    step: (acc, rank: unknown, ts: unknown, id: unknown, v: unknown, n: unknown, p: unknown, key: unknown) => {
      const o = order(rank, ts, id);
      return precedes(o, acc) ? { ...o, ts: ts ?? null, v: v ?? null, n: n ?? null, p: p ?? null, key: key ?? null } : acc;
    },
    result: (acc) => (acc ? JSON.stringify([acc.rank, acc.ts, acc.id, acc.v, acc.n, acc.p, acc.key]) : null),
  });
  // the best span model of a run; values that are only the audit's model name are skipped
  aggregate<FirstModel>(db, 'cf_span_model', {
    start: () => null,
    step: (acc, rank: unknown, ts: unknown, id: unknown, model: unknown, auditName: unknown, p: unknown, key: unknown) => {
      if (typeof model !== 'string') return acc;
      const v = versionFromSpanModel(model, str(auditName));
      if (v === null) return acc;
      const o = order(rank, ts, id);
      return precedes(o, acc) ? { ...o, v, n: str(auditName), p: str(p), key: String(key) } : acc;
    },
    result: (acc) => (acc ? JSON.stringify([acc.v, acc.n, acc.p, acc.key, acc.rank]) : null),
  });
}

/**
 * A span's model value as a version, given the model name the audit trail uses: the bare name is only an
 * alias (no version: null); `<name>-<version>` (or @ / :) gives `<version>`; anything else is kept whole.
 */
export function versionFromSpanModel(value: string, auditName: string | null): string | null {
  if (!auditName) return value;
  if (value === auditName) return null;
  for (const sep of ['-', '@', ':']) if (value.startsWith(auditName + sep) && value.length > auditName.length + 1) return value.slice(auditName.length + 1);
  return value;
}

// ----------------------------------------------------------------------------------------------- the store

/** Secondary indexes of the runs table (as migration 002 creates them), dropped and rebuilt around each derivation. */
const RUNS_INDEXES: Array<{ name: string; sql: string }> = [
  { name: 'runs_started', sql: 'CREATE INDEX IF NOT EXISTS runs_started ON runs(started, run_id)' },
  { name: 'runs_workflow', sql: 'CREATE INDEX IF NOT EXISTS runs_workflow ON runs(workflow, rid)' },
  { name: 'runs_tier', sql: 'CREATE INDEX IF NOT EXISTS runs_tier ON runs(tier, rid)' },
  { name: 'runs_model', sql: 'CREATE INDEX IF NOT EXISTS runs_model ON runs(model_version, rid)' },
  { name: 'runs_has_write', sql: 'CREATE INDEX IF NOT EXISTS runs_has_write ON runs(has_write, rid)' },
  { name: 'runs_duration', sql: 'CREATE INDEX IF NOT EXISTS runs_duration ON runs(duration, rid)' },
  { name: 'runs_nfindings', sql: 'CREATE INDEX IF NOT EXISTS runs_nfindings ON runs(n_findings, rid)' },
  { name: 'runs_harmful', sql: 'CREATE INDEX IF NOT EXISTS runs_harmful ON runs(harmful, rid) WHERE harmful IS NOT NULL' },
  { name: 'runs_session', sql: 'CREATE INDEX IF NOT EXISTS runs_session ON runs(session_id) WHERE session_id IS NOT NULL' },
];

/** The derivation's temp schema: page size (bytes) and page cache (KiB); see begin(). */
const TEMP_PAGE_SIZE = 16384;
/** FTS5's 'hashsize' while runs_fts is built in bulk, and its default (buildFts). */
const FTS_BULK_HASHSIZE = 16 * 1024 * 1024;
const FTS_DEFAULT_HASHSIZE = 1024 * 1024;
const TEMP_CACHE_KIB = 16000;

const TEMPS = [
  't_rec', 't_pairs', 't_weak', 't_multi', 't_aud', 't_tr', 't_gspan', 't_adec', 't_opa', 't_dj', 't_asp', 't_sp', 't_rspan', 't_dm', 't_dfacts', 't_logs', 't_rg', 't_ids',
  't_base', 't_rdec', 't_rreason', 't_tools', 't_steps', 't_sm', 't_dagg', 't_ragg', 't_tagg', 't_xagg', 't_magg',
];

/**
 * t_aud, the per-run facts of the audit events, from `audit_run_parts` alone: as temp tables of the deriving
 * connection, or (temp false) as tables of a scratch database that a helper connection fills on another thread
 * while the deriving connection scans (buildHelperTables).
 */
function auditRunsSql(temp: boolean): string {
  const table = temp ? 'TEMP TABLE' : 'TABLE';
  const ix = temp ? 'temp.' : '';
  return `
      -- per-run facts of the audit events: their parts merged (migration 006, shared/audit-parts.ts), in event order.
      -- Most runs are one part: their row is the part's, column for column what the grouping below gives one row
      -- (the model as cf_first_model writes it), without sorting or grouping them.
      CREATE ${table} t_multi AS SELECT run_id FROM audit_run_parts GROUP BY run_id HAVING count(*) > 1;
      CREATE UNIQUE INDEX ${ix}t_multi_run ON t_multi(run_id);
      CREATE ${table} t_aud AS
      SELECT *,
        -- the audit trail's model, read once here (on the helper's thread when there is one) for the runs insert
        model ->> 0 AS m_version, model ->> 1 AS m_name, model ->> 2 AS m_provider,
        -- hash chain, structurally: see the grouping below
        CASE WHEN n_chained > 0 AND (chain_bad = 1 OR n_cparts > 1 OR n_chained < n_audit OR (n_seq > 0 AND n_seq < n_audit)
               OR length(chain_hashes) <> 16 * n_chained OR chain_prevs IS NOT substr(chain_hashes, 1, 16 * (n_chained - 1))) THEN 1 ELSE 0 END AS chain_suspect
      FROM (
      SELECT run_id,
        n AS n_audit, started, ended, n_writes, n_undo, n_rerun, n_esc_sig, n_complaint, n_appr_rej, input_len,
        cf_lang(substr(input_head, 1, ${INPUT_HEAD_CHARS})) AS input_lang,
        wf, tier, session_id, n_start, tools,
        CASE WHEN m_rank IS NOT NULL THEN
          json_array(CASE WHEN typeof(m_ver) = 'text' THEN m_ver END, CASE WHEN typeof(m_name) = 'text' THEN m_name END,
                     CASE WHEN typeof(m_prov) = 'text' THEN m_prov END, coalesce(CAST(m_key AS TEXT), 'null'), CAST(m_rank AS INTEGER))
        END AS model,
        CASE WHEN n_chained > 0 THEN chain_prevs END AS chain_prevs, CASE WHEN n_chained > 0 THEN chain_hashes END AS chain_hashes,
        CASE WHEN n_chained > 0 THEN 1 ELSE 0 END AS n_cparts, n_seq, chain_bad, n_chained, n_traces, trace1, trace2, ftxt
      FROM audit_run_parts WHERE run_id NOT IN (SELECT run_id FROM t_multi)
      UNION ALL
      SELECT run_id,
        sum(n) AS n_audit, min(started) AS started, max(ended) AS ended,
        sum(n_writes) AS n_writes, sum(n_undo) AS n_undo, sum(n_rerun) AS n_rerun, sum(n_esc_sig) AS n_esc_sig, sum(n_complaint) AS n_complaint,
        sum(n_appr_rej) AS n_appr_rej,
        sum(input_len) AS input_len,
        cf_lang(substr(group_concat(input_head, ' '), 1, ${INPUT_HEAD_CHARS})) AS input_lang,
        max(wf) AS wf, max(tier) AS tier, max(session_id) AS session_id, sum(n_start) AS n_start,
        group_concat(tools, ',') AS tools,
        cf_first_model(m_rank, m_ts, m_id, m_ver, m_name, m_prov, m_key) FILTER (WHERE m_rank IS NOT NULL) AS model,
        -- hash chain, structurally: in chain order (seq, else file order), every prev_hash must be the previous
        -- event's hash and the first one null. Compared as strings of 16-character prefixes; runs that fail (or
        -- mix events with and without seq, or have an event whose own hash is wrong, or chained events in more
        -- than one part) are re-checked in full.
        group_concat(chain_prevs, '') FILTER (WHERE n_chained > 0) AS chain_prevs,
        group_concat(chain_hashes, '') FILTER (WHERE n_chained > 0) AS chain_hashes,
        count(*) FILTER (WHERE n_chained > 0) AS n_cparts,
        sum(n_seq) AS n_seq,
        max(chain_bad) AS chain_bad,
        sum(n_chained) AS n_chained,
        -- a part with up to 2 traces holds them (trace1, trace2): over such parts the run's count is exact up to 2,
        -- and more than 2 (3), or a part with more, has t_pairs read the run's events
        cf_trace_count(n_traces, trace1, trace2) AS n_traces, min(trace1) AS trace1, max(trace2) AS trace2,
        group_concat(ftxt, char(10)) AS ftxt
      FROM (SELECT * FROM audit_run_parts WHERE run_id IN (SELECT run_id FROM t_multi) ORDER BY run_id, first_id)
      GROUP BY run_id
      );
      CREATE UNIQUE INDEX ${ix}t_aud_run ON t_aud(run_id);
  `;
}

/**
 * The decision side: audit policy.decision events (t_adec), OPA decisions (t_opa), and the audit decisions that
 * name a decision id joined with the OPA decisions of that id (t_dj; none: rec is null) — for the decision-id
 * links, the decisions' 'referenced' flag and DECISION_NOT_FOUND. Read from the facts extracted at import, whose
 * rows every OPA decision and every audit policy.decision event has (import-store.ts; older cases get theirs
 * from the derivation's backfill before this runs, and then have no helper), walked in id order with each
 * record looked up by id: no scan of the records, so a helper connection can build it beside the deriving
 * connection's scan (temp false: tables of the scratch database, as auditRunsSql).
 */
function decisionsSql(temp: boolean): string {
  const table = temp ? 'TEMP TABLE' : 'TABLE';
  const ix = temp ? 'temp.' : '';
  return `
      CREATE ${table} t_adec AS
        SELECT r.id AS aid, r.run_id, r.ts, r.key, f.a_did AS did, f.a_dout AS outcome, f.a_dpol AS policy_id, f.a_dreasons AS reasons
        FROM record_facts f CROSS JOIN records r ON r.id = f.id
        WHERE r.kind = 'audit' AND r.name = 'policy.decision'
        ORDER BY f.id;
      CREATE INDEX ${ix}t_adec_run ON t_adec(run_id, ts);
      -- keyed by the record id: the joins from run membership and links look decisions up by it
      CREATE ${table} t_opa (id INTEGER PRIMARY KEY, key TEXT, run_id TEXT, trace_id TEXT, span_id TEXT, ts INTEGER, did, outcome, reasons, policy_id, wf);
      INSERT INTO t_opa
        SELECT r.id, r.key, r.run_id, r.trace_id, r.span_id, r.ts, f.o_did, f.o_out, f.o_reasons, f.o_pol, f.o_wf
        FROM record_facts f CROSS JOIN records r ON r.id = f.id
        WHERE r.kind = 'decision'
        ORDER BY f.id;
      CREATE INDEX ${ix}t_opa_did ON t_opa(did);
      CREATE ${table} t_dj AS
        SELECT a.run_id AS arun, a.did, a.key AS akey, a.policy_id AS apol, a.outcome AS aout, d.id AS rec, d.run_id AS drun, d.trace_id AS dtrace
        FROM t_adec a LEFT JOIN t_opa d ON d.did = a.did
        WHERE a.did IS NOT NULL;
      CREATE INDEX ${ix}t_dj_rec ON t_dj(rec, arun) WHERE rec IS NOT NULL;
  `;
}

/** Schema name of the scratch database holding t_aud and the decision side when a helper connection built them. */
const AUD_SCHEMA = 'cf_aud';

/** Page cache (KiB) of the helper connection per schema, and of the deriving connection for the scratch database. */
const HELPER_CACHE_KIB = 4096;
/**
 * Page cache (KiB) of the helper connection for the scratch database it writes: t_dj looks every audit decision's
 * decision id up in t_opa's index (random ids; ~13 MB on a 300k-run case), which a 4 MiB cache kept re-reading.
 * Measured there: t_dj 0.45 → 0.27–0.28 s, the helper 2.92–2.94 → 2.78–2.82 s; the derivation's peak RSS
 * 304 → 323 MB (the import's peak, the streaming's, 303–314 MB in the same runs).
 */
const HELPER_SCRATCH_CACHE_KIB = 16384;

/**
 * The helper connection's work (electron/core/workers/derive-worker.ts): t_aud and the decision side
 * (decisionsSql) built into the scratch database at `scratchPath` from the case at `casePath`, which it attaches
 * and only reads. The deriving connection holds no lock on the scratch database until it reads these tables
 * (after this returned) and reads the case's committed evidence the same way. Small caches (the import's peak
 * memory is what they would add to): it reads the parts and the facts once in order and writes each table once;
 * only the scratch database's own cache is larger, for t_dj's lookups by decision id. Measured on the 300k-run
 * bench case, alone: t_aud ~1.6 s and the decision side ~1.2 s here, against ~2.9 s of scan and span side on the
 * deriving connection (docs/performance.md). Returns the milliseconds it took.
 */
export function buildHelperTables(scratchPath: string, casePath: string): number {
  const t0 = performance.now();
  const db = new Database(scratchPath, { timeout: 10000 });
  try {
    // a throwaway file: no journal file, no syncs (journal_mode OFF is refused in better-sqlite3's defensive mode;
    // in one transaction on an empty database the in-memory journal stays empty). Pages as the temp schema's, not
    // the case's: with 64 KiB pages here the deriving connection's peak RSS rose by ~100 MB once it read these
    // tables (measured on the 300k-run bench import: 307–316 → 405–420 MB)
    db.pragma(`page_size = ${TEMP_PAGE_SIZE}`);
    db.pragma('journal_mode = MEMORY');
    db.pragma('synchronous = OFF');
    db.pragma(`cache_size = -${HELPER_SCRATCH_CACHE_KIB}`);
    db.pragma('temp_store = FILE');
    db.pragma(`temp.page_size = ${TEMP_PAGE_SIZE}`);
    db.pragma(`temp.cache_size = -${HELPER_CACHE_KIB}`);
    db.pragma('threads = 0');
    db.prepare('ATTACH ? AS c').run(casePath);
    db.pragma(`c.cache_size = -${HELPER_CACHE_KIB}`);
    registerFunctions(db);
    db.transaction(() => execScript(db, auditRunsSql(false) + decisionsSql(false), !!process.env.CASEFILE_DERIVE_TRACE, 'helper '))();
  } finally {
    db.close();
  }
  return Math.round(performance.now() - t0);
}

/** How the derivation gets t_aud and the decision side: from a helper connection (wait() is true once they are there), or null: by itself. */
export interface HelperTables {
  wait(): boolean;
}

/**
 * The derivation's SQL. Everything starts from ONE sequential scan of `records` (scan()) into a compact
 * temp table t_rec: the columns later steps need, JSON fields extracted once (per event type), the hash
 * chain fields read as substrings. All grouping then works on temp tables (sorted on disk: temp_store is
 * FILE during a derivation), never on the records' JSON, and never by random access into a large case.
 * The only lookups into `records` afterwards are by index for the few rows findings point at.
 */
export class RunsDeriveStore {
  constructor(private readonly db: Db) {
    registerFunctions(db);
  }

  /** Statement timings, when CASEFILE_DERIVE_TRACE is set (printed to stderr): the derivation's profile. */
  private readonly trace = typeof process !== 'undefined' && !!process.env.CASEFILE_DERIVE_TRACE;

  /** Runs a script statement by statement (execScript). */
  private execAll(script: string): void {
    execScript(this.db, script, this.trace);
  }

  evidenceSignature(): string {
    return evidenceSignature(this.db);
  }

  derivedSignature(): string | null {
    return derivedSignature(this.db);
  }

  setDerivedSignature(sig: string): void {
    this.db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('recon.runs_signature', ?)").run(sig);
  }

  /** Starts a derivation: temp tables and sorts go to temporary files for its duration (end() restores). */
  begin(): void {
    this.saved = {
      temp_store: this.db.pragma('temp_store', { simple: true }) as number,
      cache_size: this.db.pragma('cache_size', { simple: true }) as number,
      threads: this.db.pragma('threads', { simple: true }) as number,
    };
    this.db.pragma('temp_store = FILE');
    // 32 MiB; the sorts spill to temporary files beyond it. No sorter helper threads: each would hold its own
    // in-memory runs (measured on a 300k-run case: peak RSS 459 MB with 96 MiB and 2 threads, 189 MB like
    // this, same time).
    this.db.pragma('cache_size = -32768');
    this.db.pragma('threads = 0');
    // The temp schema (re-created empty by the temp_store change above) in 16 KiB pages, 16 MiB of cache: the
    // derivation's temp tables (~1.25 GB on a 300k-run case) are written once and read back several times, and in
    // SQLite's default 4 KiB temp pages that was 2 M preads and 438 k pwrites of the temp file per derivation.
    // Measured (forced derivation of the 300k-run bench case, alternating runs): 25.6–26.7 s → 19.4–22.9 s,
    // system time 8.4–9.4 s → 5.2–6.9 s, same peak RSS; 32 or 64 MiB of cache instead made no difference beyond
    // noise (docs/performance.md). The cache is set in KiB after the page size, so it stays 16 MiB.
    this.db.pragma(`temp.page_size = ${TEMP_PAGE_SIZE}`);
    this.db.pragma(`temp.cache_size = -${TEMP_CACHE_KIB}`);
    // with a scratch database attached, a deferred transaction: BEGIN IMMEDIATE would also lock the scratch
    // database against the helper connection writing it (clear() takes the case's write lock at once anyway)
    this.db.exec(this.audAttached ? 'BEGIN' : 'BEGIN IMMEDIATE');
  }

  private audAttached = false;
  /**
   * Attaches the (empty) scratch database a helper connection is about to fill with t_aud and the decision side (buildHelperTables);
   * before begin(). end() detaches it.
   */
  attachAuditRuns(scratchPath: string): void {
    this.db.prepare(`ATTACH ? AS ${AUD_SCHEMA}`).run(scratchPath);
    this.db.pragma(`${AUD_SCHEMA}.journal_mode = MEMORY`);
    this.db.pragma(`${AUD_SCHEMA}.synchronous = OFF`);
    this.db.pragma(`${AUD_SCHEMA}.cache_size = -${HELPER_CACHE_KIB * 2}`);
    this.audAttached = true;
  }

  /** Parts or facts of cases from older builds are still to be computed (in this transaction, before t_aud). */
  backfillPending(): boolean {
    return !!this.db.prepare("SELECT 1 FROM meta WHERE key IN ('parts.legacy_max_id', 'facts.legacy_max_id') LIMIT 1").get();
  }
  private saved: { temp_store: number; cache_size: number; threads: number } | null = null;
  /** After commit or rollback: back to the connection's settings. */
  end(): void {
    this.dropTemps();
    if (this.audAttached && !this.db.inTransaction) {
      this.db.exec(`DETACH ${AUD_SCHEMA}`);
      this.audAttached = false;
    }
    if (this.saved && !this.db.inTransaction) {
      this.db.pragma(`temp_store = ${this.saved.temp_store}`);
      this.db.pragma(`cache_size = ${this.saved.cache_size}`);
      this.db.pragma(`threads = ${this.saved.threads}`);
      this.saved = null;
    }
  }
  commit(): void {
    this.db.exec('COMMIT');
  }
  rollback(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  clear(): void {
    this.dropTemps();
    this.execAll(`
      DELETE FROM runs; DELETE FROM run_tags; DELETE FROM run_tag_counts; DELETE FROM run_traces;
      DELETE FROM run_links; DELETE FROM run_findings;
      INSERT INTO runs_fts(runs_fts) VALUES ('delete-all');
      DROP INDEX IF EXISTS run_tags_rid;
    `);
    // the runs' secondary indexes are rebuilt in bulk after the insert (finalize)
    for (const ix of RUNS_INDEXES) this.db.exec(`DROP INDEX IF EXISTS ${ix.name}`);
  }

  dropTemps(): void {
    for (const t of TEMPS) this.db.exec(`DROP TABLE IF EXISTS temp.${t}`);
  }

  // ------------------------------------------------------------------ the scan

  /**
   * One sequential pass over the records (lineage excepted) and their facts into t_rec, after the one-time
   * backfills of cases imported by older builds. Returns the number of rows copied.
   */
  scan(): number {
    this.backfillFacts();
    this.backfillParts();
    this.execAll(`
      CREATE TEMP TABLE t_rec (
        id INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT, key TEXT, run_id TEXT, trace_id TEXT, span_id TEXT, parent TEXT, ts INTEGER, end_ts INTEGER,
        ${SCAN_FACTS.join(', ')},
        PRIMARY KEY (kind, id)
      ) WITHOUT ROWID;
    `);
    // two rowid-ordered tables walked side by side: no JSON is parsed here (record_facts holds what was extracted at
    // import). Audit events: only those later steps read one by one — writes, and events naming a trace or span;
    // everything else about them is in the parts, and their decisions are read from the facts (decisionsSql).
    const r = this.db
      .prepare(
        `INSERT INTO t_rec
         SELECT r.id, r.kind, r.name, CASE WHEN r.kind = 'audit' THEN r.key END, r.run_id, r.trace_id, r.span_id, r.parent_span_id, r.ts, r.end_ts,
           ${SCAN_FACTS.map((c) => `f.${c}`).join(', ')}
         FROM records r LEFT JOIN record_facts f ON f.id = r.id
         WHERE r.kind <> 'lineage' AND (r.kind <> 'audit' OR r.name = 'write' OR r.trace_id IS NOT NULL OR r.span_id IS NOT NULL)
         ORDER BY r.id`,
      )
      .run();
    return r.changes;
  }

  /**
   * Parts (migration 006) of the audit events stored before parts were written at import (meta
   * 'parts.legacy_max_id'): one per run, computed here once from their facts, column for column what
   * shared/audit-parts.ts computes at import. Their own-hash problems go to audit_hash_bad, as the import does.
   */
  backfillParts(legacyMaxId?: number): void {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'parts.legacy_max_id'").get() as { value: string } | undefined;
    const max = legacyMaxId ?? (row ? Number(row.value) : null);
    if (max === null) return;
    this.db.prepare('INSERT OR REPLACE INTO audit_hash_bad(record_id, problem) SELECT id, h_bad FROM record_facts WHERE id <= ? AND h_bad IS NOT NULL').run(max);
    const chained = '(f.a_hash IS NOT NULL OR f.a_prev IS NOT NULL)';
    const t0 = this.trace ? performance.now() : 0;
    this.db
      .prepare(
        `INSERT INTO audit_run_parts(${PART_COLUMNS.join(', ')})
         SELECT run_id, first_id, n, started, ended, n_writes, n_undo, n_rerun, n_esc_sig, n_complaint, n_appr_rej, n_start,
           input_len, input_head, wf, tier, session_id, tools,
           m ->> 0, m ->> 1, m ->> 2, m ->> 3, m ->> 4, m ->> 5, m ->> 6,
           n_chained, chain_prevs, chain_hashes, n_seq, chain_bad, n_traces, trace1, trace2, ftxt
         FROM (
           SELECT r.run_id, min(r.id) AS first_id, count(*) AS n,
             min(CASE WHEN r.name <> 'user.signal' THEN r.ts END) AS started, max(CASE WHEN r.name <> 'user.signal' THEN r.ts END) AS ended,
             sum(r.name = 'write') AS n_writes,
             sum(f.a_sig = 'undo') AS n_undo, sum(f.a_sig = 'rerun') AS n_rerun, sum(f.a_sig = 'escalation') AS n_esc_sig, sum(f.a_sig = 'complaint') AS n_complaint,
             sum(f.a_appr = 'rejected') AS n_appr_rej, sum(r.name = 'run.start') AS n_start,
             sum(length(f.a_in)) AS input_len, substr(group_concat(f.a_in, ' ' ORDER BY r.id), 1, ${INPUT_HEAD_CHARS}) AS input_head,
             max(f.a_wf) AS wf, max(f.a_tier) AS tier, max(f.a_session) AS session_id,
             group_concat(DISTINCT replace(replace(f.a_tool, ' ', '_'), ',', '_')) AS tools,
             cf_model_cand(CASE WHEN r.name = 'model.call' THEN 0 ELSE 1 END + CASE WHEN f.a_mver IS NULL THEN 2 ELSE 0 END, r.ts, r.id, f.a_mver, f.a_mname, f.a_mprov, r.key)
               FILTER (WHERE f.a_mver IS NOT NULL OR f.a_mname IS NOT NULL) AS m,
             sum(${chained}) AS n_chained,
             group_concat(coalesce(substr(f.a_prev, 1, 16), ''), '' ORDER BY f.a_seq, r.id) FILTER (WHERE ${chained}) AS chain_prevs,
             group_concat(substr(f.a_hash, 1, 16), '' ORDER BY f.a_seq, r.id) FILTER (WHERE ${chained}) AS chain_hashes,
             count(f.a_seq) AS n_seq,
             max(f.h_bad IS NOT NULL OR EXISTS (SELECT 1 FROM audit_hash_bad b WHERE b.record_id = r.id)) FILTER (WHERE f.a_hash IS NOT NULL) AS chain_bad,
             count(DISTINCT r.trace_id) AS n_traces, min(r.trace_id) AS trace1, max(r.trace_id) AS trace2,
             group_concat(f.a_ftxt, char(10) ORDER BY r.id) AS ftxt
           FROM records r LEFT JOIN record_facts f ON f.id = r.id
           WHERE r.kind = 'audit' AND r.run_id IS NOT NULL AND r.id <= ?
           GROUP BY r.run_id
         )`,
      )
      .run(max);
    if (this.trace) process.stderr.write(`  ${(performance.now() - t0).toFixed(0).padStart(7)} ms  parts of legacy audit events\n`);
    this.db.prepare("DELETE FROM meta WHERE key = 'parts.legacy_max_id'").run();
  }

  /**
   * Facts of records stored before migration 004 (meta 'facts.legacy_max_id'), computed once by the function
   * the importer uses (shared/record-facts.ts).
   */
  private backfillFacts(): void {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'facts.legacy_max_id'").get() as { value: string } | undefined;
    if (!row) return;
    const ins = this.db.prepare(`INSERT OR REPLACE INTO record_facts(id, ${FACT_COLUMNS.join(', ')}) VALUES (?${', ?'.repeat(FACT_COLUMNS.length)})`);
    const page = this.db.prepare(
      `SELECT r.id, r.kind, r.name, r.parent_span_id AS parent, r.data FROM records r
       WHERE r.id > ? AND r.id <= ? AND r.kind IN ('audit', 'span', 'decision') AND NOT EXISTS (SELECT 1 FROM record_facts f WHERE f.id = r.id)
       ORDER BY r.id LIMIT 5000`,
    );
    // in pages (a statement cannot write while another one is still reading)
    for (let after = 0; ; ) {
      const rows = page.all(after, Number(row.value)) as Array<{ id: number; kind: string; name: string | null; parent: string | null; data: string }>;
      if (rows.length === 0) break;
      for (const x of rows) {
        let data: unknown;
        try {
          data = JSON.parse(x.data);
        } catch {
          data = null;
        }
        const facts = recordFacts(x.kind, x.name, x.parent, data, x.data, sha256);
        if (facts) ins.run(x.id, ...facts);
      }
      after = rows[rows.length - 1]!.id;
    }
    this.db.prepare("DELETE FROM meta WHERE key = 'facts.legacy_max_id'").run();
  }

  /** Per-run facts from the audit events, per-trace facts from the spans, and the subsets later steps join on. */
  aggregate(skewUs: number, helper: HelperTables | null = null): void {
    this.execAll(`
      -- per trace, keyed by trace id (filled in that order): the joins from runs' traces find a trace in one search
      CREATE TEMP TABLE t_tr (trace_id NOT NULL, n_spans, first_ts, last_ts, tree, session_id, wf, has_links, n_runs, run1, run2,
        PRIMARY KEY (trace_id)) WITHOUT ROWID;
      INSERT INTO t_tr
      SELECT trace_id, count(*) AS n_spans, min(ts) AS first_ts, max(coalesce(end_ts, ts)) AS last_ts,
        cf_span_tree(group_concat(span_id || ':' || coalesce(parent, ''), ',')) AS tree,
        max(s_session) AS session_id, max(s_wf) AS wf, max(s_links IS NOT NULL) AS has_links,
        count(DISTINCT run_id) AS n_runs, min(run_id) AS run1, max(run_id) AS run2
      FROM t_rec WHERE kind = 'span' AND trace_id IS NOT NULL
      GROUP BY trace_id;

      CREATE TEMP TABLE t_gspan AS
        SELECT id, trace_id, span_id, ts,
          g_json ->> 7 AS tool,
          CASE WHEN g_json ->> 0 IS NOT NULL THEN 0 WHEN g_json ->> 1 IS NOT NULL THEN 1 WHEN g_json ->> 2 IS NOT NULL THEN 2
               WHEN coalesce(g_json ->> 4, g_json ->> 5) IS NULL THEN NULL
               WHEN g_json ->> 3 = 'langfuse' THEN 3 WHEN g_json ->> 3 = 'langsmith' THEN 4 ELSE 5 END AS mrank,
          coalesce(g_json ->> 0, g_json ->> 1, g_json ->> 2, g_json ->> 4, g_json ->> 5) AS model,
          g_json ->> 6 AS provider
        FROM t_rec WHERE kind = 'span' AND g_json IS NOT NULL;
      CREATE INDEX temp.t_gspan_trace ON t_gspan(trace_id);
      -- spans by (trace id, span id), the key audit events name them by: one B-tree search per event below
      CREATE TEMP TABLE t_sp (trace_id TEXT NOT NULL, span_id TEXT NOT NULL, id INTEGER NOT NULL, ts INTEGER, end_ts INTEGER, name TEXT, g,
        PRIMARY KEY (trace_id, span_id, id)) WITHOUT ROWID;
      INSERT INTO t_sp
        SELECT trace_id, span_id, id, ts, end_ts, name, g_json IS NOT NULL FROM t_rec
        WHERE kind = 'span' AND trace_id IS NOT NULL AND span_id IS NOT NULL ORDER BY trace_id, span_id, id;
      -- audit events and the spans they name: the GenAI spans they stand for (not steps of their own), and the
      -- pairs whose clocks disagree by more than the threshold (CLOCK_SKEW)
      CREATE TEMP TABLE t_asp AS
        SELECT run_id, key, span_id, sname, sid, g, off, later FROM (
          SELECT a.run_id, a.key, a.span_id, s.name AS sname, s.id AS sid, s.g,
            CASE WHEN a.ts < s.ts THEN s.ts - a.ts WHEN a.ts > coalesce(s.end_ts, s.ts) THEN a.ts - coalesce(s.end_ts, s.ts) ELSE 0 END AS off,
            a.ts < s.ts AS later
          FROM t_rec a JOIN t_sp s ON s.trace_id = a.trace_id AND s.span_id = a.span_id
          WHERE a.kind = 'audit' AND a.span_id IS NOT NULL AND a.trace_id IS NOT NULL AND a.ts IS NOT NULL AND s.ts IS NOT NULL
        ) WHERE g = 1 OR off > ${Math.max(0, Math.floor(skewUs))};
      CREATE INDEX temp.t_asp_sid ON t_asp(sid, run_id);
    `);
    // the (run id, trace id) pairs that do not come from the audit side, while the helper may still be at work
    this.execAll(`
      -- (run id, trace id) pairs, keyed by the pair and its source: span ones from t_tr (which holds up to two runs
      -- per trace; the rest is read back for the rare traces with more), decisions and logs directly; the audit
      -- side's are added by linkTraces (a keyed set filled part by part: no sort of the whole union, and the
      -- run_traces insert reads it in (run id, trace id) order as it is)
      CREATE TEMP TABLE t_pairs (run_id NOT NULL, trace_id NOT NULL, src NOT NULL, PRIMARY KEY (run_id, trace_id, src)) WITHOUT ROWID;
      INSERT OR IGNORE INTO t_pairs SELECT run1, trace_id, 's' FROM t_tr WHERE run1 IS NOT NULL;
      INSERT OR IGNORE INTO t_pairs SELECT run2, trace_id, 's' FROM t_tr WHERE run2 IS NOT NULL;
      INSERT OR IGNORE INTO t_pairs SELECT run_id, trace_id, 's' FROM t_rec
        WHERE kind = 'span' AND run_id IS NOT NULL AND trace_id IS NOT NULL AND trace_id IN (SELECT trace_id FROM t_tr WHERE n_runs > 2);
      INSERT OR IGNORE INTO t_pairs SELECT run_id, trace_id, 'd' FROM t_rec WHERE kind IN ('decision', 'log') AND run_id IS NOT NULL AND trace_id IS NOT NULL;
    `);
    // t_aud and the decision side: built meanwhile by the helper connection, else (no helper, or it failed) here
    if (!helper?.wait()) this.execAll(auditRunsSql(true) + decisionsSql(true));
  }

  // ------------------------------------------------------------------ correlation: traces

  /** run_traces: trace-id, span-link, trace-as-run; then marks traces carried by several runs as shared. */
  linkTraces(): void {
    this.execAll(`
      -- the audit side's (run id, trace id) pairs, added to the span, decision and log ones (aggregate()): from
      -- t_aud, which holds up to two per run (the rest is read back for the rare runs with more)
      INSERT OR IGNORE INTO t_pairs SELECT run_id, trace1, 'a' FROM t_aud WHERE trace1 IS NOT NULL;
      INSERT OR IGNORE INTO t_pairs SELECT run_id, trace2, 'a' FROM t_aud WHERE trace2 IS NOT NULL AND trace2 IS NOT trace1;
      INSERT OR IGNORE INTO t_pairs SELECT run_id, trace_id, 'a' FROM t_rec
        WHERE kind = 'audit' AND trace_id IS NOT NULL AND run_id IN (SELECT run_id FROM t_aud WHERE n_traces > 2);
      CREATE INDEX temp.t_pairs_trace ON t_pairs(trace_id);

      -- a span whose run id is only its tracing tool's trace id (Langfuse, LangSmith: the trace id with or
      -- without dashes) yields to an explicit run id carried in the same trace (e.g. casefile.run_id on the root)
      CREATE TEMP TABLE t_weak AS
        SELECT DISTINCT p.run_id, p.trace_id FROM t_pairs p
        WHERE p.src = 's' AND replace(lower(p.run_id), '-', '') = p.trace_id
          AND EXISTS (SELECT 1 FROM t_pairs o WHERE o.trace_id = p.trace_id AND o.run_id <> p.run_id AND replace(lower(o.run_id), '-', '') <> o.trace_id);
      CREATE UNIQUE INDEX temp.t_weak_pk ON t_weak(run_id, trace_id);

      INSERT OR IGNORE INTO run_traces(run_id, trace_id, rule)
        SELECT run_id, trace_id, 'trace-id' FROM t_pairs p
        WHERE NOT EXISTS (SELECT 1 FROM t_weak w WHERE w.run_id = p.run_id AND w.trace_id = p.trace_id)
        ORDER BY run_id, trace_id;

      INSERT OR IGNORE INTO run_traces(run_id, trace_id, rule)
        SELECT DISTINCT rt.run_id, s.trace_id, 'span-link'
        FROM t_rec s, json_each(s.s_links) l
        JOIN run_traces rt ON rt.trace_id = l.value
        WHERE s.kind = 'span' AND s.s_links IS NOT NULL AND s.trace_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM run_traces x WHERE x.trace_id = s.trace_id);

      INSERT OR IGNORE INTO run_traces(run_id, trace_id, rule)
        SELECT 'trace:' || t.trace_id, t.trace_id, 'trace-as-run' FROM t_tr t
        WHERE NOT EXISTS (SELECT 1 FROM run_traces x WHERE x.trace_id = t.trace_id)
        ORDER BY t.trace_id;

      UPDATE run_traces SET shared = 1
        WHERE trace_id IN (SELECT trace_id FROM run_traces GROUP BY trace_id HAVING count(*) > 1);
    `);
  }

  /** Records of traces carried by several runs, trace by trace (span-parent rule, recon/correlate.ts). */
  *sharedTraceRecords(): Generator<{ traceId: string; id: number; kind: string; runId: string | null; spanId: string | null; parentSpanId: string | null; ts: number | null }> {
    if (!this.db.prepare('SELECT 1 FROM run_traces WHERE shared = 1 LIMIT 1').get()) return;
    yield* this.db
      .prepare(
        `SELECT r.trace_id AS traceId, r.id, r.kind, r.span_id AS spanId, r.parent AS parentSpanId, r.ts,
           CASE WHEN EXISTS (SELECT 1 FROM t_weak w WHERE w.run_id = r.run_id AND w.trace_id = r.trace_id) THEN NULL ELSE r.run_id END AS runId
         FROM (SELECT DISTINCT trace_id FROM run_traces WHERE shared = 1) t CROSS JOIN records x ON x.trace_id = t.trace_id CROSS JOIN t_rec r ON r.kind = x.kind AND r.id = x.id
         WHERE r.kind IN ('span', 'log', 'decision')
         ORDER BY r.trace_id, r.id`,
      )
      .iterate() as IterableIterator<{ traceId: string; id: number; kind: string; runId: string | null; spanId: string | null; parentSpanId: string | null; ts: number | null }>;
  }

  runsOfTrace(traceId: string): string[] {
    return (this.db.prepare('SELECT run_id FROM run_traces WHERE trace_id = ? ORDER BY run_id').all(traceId) as Array<{ run_id: string }>).map((r) => r.run_id);
  }

  insertLinks(rows: LinkRow[]): void {
    const st = this.db.prepare('INSERT OR IGNORE INTO run_links(run_id, record_id, rule, inferred, reason) VALUES (?, ?, ?, ?, ?)');
    for (const r of rows) st.run(r.runId, r.recordId, r.rule, r.inferred ? 1 : 0, r.reason);
  }

  // ------------------------------------------------------------------ correlation: decisions

  /** decision-id links: OPA decisions named by an audit policy.decision event of another (or no) run. */
  auditDecisions(): void {
    this.execAll(`
      INSERT OR IGNORE INTO run_links(run_id, record_id, rule, inferred, reason)
        SELECT j.arun, j.rec, 'decision-id', 0, NULL
        FROM t_dj j
        WHERE j.rec IS NOT NULL
          AND (j.drun IS NULL OR j.drun <> j.arun)
          AND NOT (j.drun IS NULL AND EXISTS (SELECT 1 FROM run_traces rt WHERE rt.run_id = j.arun AND rt.trace_id = j.dtrace AND rt.shared = 0));
    `);
  }

  /** OPA decisions tied to no run by id, trace or link: candidates for session / time-window inference. */
  unlinkedDecisions(): Array<{ id: number; ts: number | null; data: string }> {
    return this.db
      .prepare(
        `SELECT d.id, d.ts, r.data FROM t_opa d JOIN records r ON r.id = d.id
         WHERE d.run_id IS NULL
           AND NOT EXISTS (SELECT 1 FROM run_traces rt WHERE rt.trace_id = d.trace_id)
           AND NOT EXISTS (SELECT 1 FROM run_links l WHERE l.record_id = d.id)
         ORDER BY d.ts`,
      )
      .all() as Array<{ id: number; ts: number | null; data: string }>;
  }

  // ------------------------------------------------------------------ aggregation per run

  /** Runs' membership of spans, decisions and logs; per-run aggregates; the t_base summary. */
  aggregateRuns(): void {
    this.execAll(`
      -- workflow, tier, session of runs whose run.start is missing: from their other events (by index: such runs are few)
      UPDATE t_aud SET
        wf = (SELECT json_extract(r.data, '$.event.workflow') FROM records r
              WHERE r.run_id = t_aud.run_id AND +r.kind = 'audit' AND json_extract(r.data, '$.event.workflow') IS NOT NULL ORDER BY r.ts LIMIT 1),
        tier = (SELECT json_extract(r.data, '$.event.tier') FROM records r
                WHERE r.run_id = t_aud.run_id AND +r.kind = 'audit' AND json_extract(r.data, '$.event.tier') IS NOT NULL ORDER BY r.ts LIMIT 1),
        session_id = (SELECT json_extract(r.data, '$.event.session_id') FROM records r
                      WHERE r.run_id = t_aud.run_id AND +r.kind = 'audit' AND json_extract(r.data, '$.event.session_id') IS NOT NULL ORDER BY r.ts LIMIT 1)
        WHERE n_start = 0;

      -- spans per run: unshared traces whole, shared traces through run_links
      CREATE TEMP TABLE t_rspan (run_id, n_spans, first_ts, last_ts, PRIMARY KEY (run_id)) WITHOUT ROWID;
      INSERT INTO t_rspan
      SELECT run_id, sum(n) AS n_spans, min(first_ts) AS first_ts, max(last_ts) AS last_ts FROM (
        SELECT rt.run_id, t.n_spans AS n, t.first_ts, t.last_ts FROM run_traces rt JOIN t_tr t ON t.trace_id = rt.trace_id WHERE rt.shared = 0
        UNION ALL
        SELECT l.run_id, 1, s.ts, coalesce(s.end_ts, s.ts) FROM run_links l JOIN t_rec s ON s.kind = 'span' AND s.id = l.record_id
      ) GROUP BY run_id;

      -- decisions per run: own run id, unshared trace, links
      CREATE TEMP TABLE t_dm AS
        SELECT run_id, id AS rec FROM t_opa WHERE run_id IS NOT NULL
        UNION
        SELECT rt.run_id, d.id FROM t_opa d JOIN run_traces rt ON rt.trace_id = d.trace_id AND rt.shared = 0 WHERE d.run_id IS NULL
        UNION
        SELECT l.run_id, l.record_id FROM run_links l JOIN t_opa d ON d.id = l.record_id;
      CREATE TEMP TABLE t_dfacts AS
        SELECT m.run_id, d.id AS rec, d.ts, d.outcome, d.reasons, d.did, d.policy_id, d.wf,
          EXISTS (SELECT 1 FROM t_dj j WHERE j.rec = d.id AND j.arun = m.run_id) AS referenced
        FROM t_dm m JOIN t_opa d ON d.id = m.rec;
      CREATE INDEX temp.t_dfacts_run ON t_dfacts(run_id, ts);

      -- logs per run
      CREATE TEMP TABLE t_logs (run_id, n_logs, first_ts, last_ts, PRIMARY KEY (run_id)) WITHOUT ROWID;
      INSERT INTO t_logs
      SELECT run_id, count(*) AS n_logs, min(ts) AS first_ts, max(ts) AS last_ts FROM (
        SELECT run_id, id, ts FROM t_rec WHERE kind = 'log' AND run_id IS NOT NULL
        UNION
        SELECT rt.run_id, g.id, g.ts FROM t_rec g JOIN run_traces rt ON rt.trace_id = g.trace_id AND rt.shared = 0 WHERE g.kind = 'log' AND g.run_id IS NULL
        UNION
        SELECT l.run_id, g.id, g.ts FROM run_links l JOIN t_rec g ON g.kind = 'log' AND g.id = l.record_id
      ) GROUP BY run_id;

      -- GenAI spans per run (unshared traces, and shared ones through links)
      CREATE TEMP TABLE t_rg AS
        SELECT rt.run_id, g.* FROM run_traces rt JOIN t_gspan g ON g.trace_id = rt.trace_id WHERE rt.shared = 0
        UNION ALL
        SELECT l.run_id, g.* FROM run_links l JOIN t_gspan g ON g.id = l.record_id;
      CREATE INDEX temp.t_rg_run ON t_rg(run_id);

      -- every run id
      CREATE TEMP TABLE t_ids AS
        SELECT run_id FROM t_aud
        UNION SELECT run_id FROM run_traces
        UNION SELECT run_id FROM run_links
        UNION SELECT run_id FROM t_rec WHERE kind IN ('decision', 'log') AND run_id IS NOT NULL;

      -- per-run summaries of the smaller sets, joined once below. These and the other per-run tables are keyed by
      -- run id (WITHOUT ROWID, filled in run id order by their GROUP BY): a join finds a run's row in one B-tree
      -- search, and no separate index is sorted and built for each
      CREATE TEMP TABLE t_dagg (run_id, d_first, d_last, d_wf, n_unref, PRIMARY KEY (run_id)) WITHOUT ROWID;
      INSERT INTO t_dagg
        SELECT run_id, min(ts) AS d_first, max(ts) AS d_last, max(wf) AS d_wf, sum(referenced = 0) AS n_unref FROM t_dfacts GROUP BY run_id;
      CREATE TEMP TABLE t_xagg (run_id, s_session, s_wf, trace_ids, PRIMARY KEY (run_id)) WITHOUT ROWID;
      INSERT INTO t_xagg
        SELECT rt.run_id, max(t.session_id) AS s_session, max(t.wf) AS s_wf, group_concat(rt.trace_id, ' ') AS trace_ids
        FROM (SELECT * FROM run_traces ORDER BY run_id, trace_id) rt LEFT JOIN t_tr t ON t.trace_id = rt.trace_id GROUP BY rt.run_id;

      CREATE TEMP TABLE t_base AS
      SELECT run_id, n_audit, a_wf, a_tier, a_session, a_started, a_ended, n_spans, s_first, s_last, n_logs, g_first, g_last,
        d_first, d_last, d_wf, s_session, s_wf,
        -- a run's start and end: its audit trail's, else the earliest / latest of its spans, logs and decisions
        CASE WHEN st >= 9e18 THEN NULL ELSE st END AS started, CASE WHEN en <= -9e18 THEN NULL ELSE en END AS ended
      FROM (SELECT i.run_id, a.n_audit, a.wf AS a_wf, a.tier AS a_tier, a.session_id AS a_session, a.started AS a_started, a.ended AS a_ended,
              s.n_spans, s.first_ts AS s_first, s.last_ts AS s_last, g.n_logs, g.first_ts AS g_first, g.last_ts AS g_last,
              d.d_first, d.d_last, d.d_wf, x.s_session, x.s_wf,
              coalesce(a.started, min(coalesce(s.first_ts, 9e18), coalesce(g.first_ts, 9e18), coalesce(d.d_first, 9e18))) AS st,
              coalesce(a.ended, max(coalesce(s.last_ts, -9e18), coalesce(g.last_ts, -9e18), coalesce(d.d_last, -9e18))) AS en
            FROM t_ids i LEFT JOIN t_aud a ON a.run_id = i.run_id LEFT JOIN t_rspan s ON s.run_id = i.run_id LEFT JOIN t_logs g ON g.run_id = i.run_id
              LEFT JOIN t_dagg d ON d.run_id = i.run_id LEFT JOIN t_xagg x ON x.run_id = i.run_id);
      CREATE UNIQUE INDEX temp.t_base_run ON t_base(run_id);
      CREATE INDEX temp.t_base_started ON t_base(started);
      -- the order runs are inserted in (rid): read in this index's order, the insert needs no sort of its wide rows
      CREATE INDEX temp.t_base_order ON t_base(started IS NULL, started, run_id);
      CREATE INDEX temp.t_base_session ON t_base(coalesce(a_session, s_session));
    `);
  }

  /** Runs whose window [started, ended] contains `ts` (optionally of one workflow), for time-window inference. */
  runsAround(ts: number, workflow: string | null, slackUs: number, maxDurationUs: number): Array<{ runId: string; started: number; ended: number; workflow: string | null }> {
    return this.db
      .prepare(
        `SELECT run_id AS runId, started, coalesce(ended, started) AS ended, coalesce(a_wf, s_wf, d_wf) AS workflow FROM t_base
         WHERE started BETWEEN ? AND ? AND coalesce(ended, started) >= ?
           AND (? IS NULL OR coalesce(a_wf, s_wf, d_wf) = ?)
         ORDER BY started LIMIT 50`,
      )
      .all(ts - maxDurationUs - slackUs, ts + slackUs, ts - slackUs, workflow, workflow) as Array<{ runId: string; started: number; ended: number; workflow: string | null }>;
  }

  /** Runs of a session (audit session_id or span session id). */
  runsOfSession(sessionId: string): Array<{ runId: string; started: number | null; ended: number | null }> {
    return this.db
      .prepare('SELECT run_id AS runId, started, ended FROM t_base WHERE coalesce(a_session, s_session) = ? ORDER BY started')
      .all(sessionId) as Array<{ runId: string; started: number | null; ended: number | null }>;
  }

  /** Longest run duration seen (bounds the time-window search). */
  maxRunDuration(): number {
    return (this.db.prepare('SELECT coalesce(max(ended - started), 0) AS d FROM t_base').get() as { d: number }).d;
  }

  /** Adds links found after t_base was built (inferred ones) to the decision membership. */
  addLinkedDecisions(recordIds: number[]): void {
    if (recordIds.length === 0) return;
    this.db
      .prepare(
        `INSERT INTO t_dfacts(run_id, rec, ts, outcome, reasons, did, policy_id, wf, referenced)
         SELECT l.run_id, d.id, d.ts, d.outcome, d.reasons, d.did, d.policy_id, d.wf, 0
         FROM run_links l JOIN t_opa d ON d.id = l.record_id
         WHERE l.record_id IN (SELECT value FROM json_each(?))`,
      )
      .run(JSON.stringify(recordIds));
  }

  /** Inserts the runs, rid in (started, run_id) order, with every summary column but the findings. */
  insertRuns(): void {
    this.execAll(`
      -- decision outcomes and reason codes per run: audit decisions, plus OPA decisions no audit event of the run names
      -- (keyed by run and value: the per-run lists below read them in that order without sorting them again)
      CREATE TEMP TABLE t_rdec (run_id NOT NULL, outcome NOT NULL, n, PRIMARY KEY (run_id, outcome)) WITHOUT ROWID;
      INSERT INTO t_rdec
        SELECT run_id, outcome, count(*) AS n FROM (
          SELECT run_id, outcome FROM t_adec WHERE outcome IS NOT NULL
          UNION ALL SELECT run_id, outcome FROM t_dfacts WHERE referenced = 0 AND outcome IS NOT NULL
        ) WHERE run_id IS NOT NULL GROUP BY run_id, outcome;
      CREATE TEMP TABLE t_rreason (run_id NOT NULL, code NOT NULL, PRIMARY KEY (run_id, code)) WITHOUT ROWID;
      INSERT OR IGNORE INTO t_rreason
        SELECT run_id, code FROM (
          SELECT a.run_id, j.value AS code FROM t_adec a, json_each(a.reasons) j WHERE a.reasons IS NOT NULL AND a.reasons <> '[]' AND json_valid(a.reasons)
          UNION ALL SELECT d.run_id, j.value FROM t_dfacts d, json_each(d.reasons) j WHERE d.reasons IS NOT NULL AND d.reasons <> '[]' AND json_valid(d.reasons)
        ) WHERE typeof(code) = 'text' AND code <> '' AND run_id IS NOT NULL;
      CREATE TEMP TABLE t_tools (run_id NOT NULL, tool NOT NULL, PRIMARY KEY (run_id, tool)) WITHOUT ROWID;
      INSERT OR IGNORE INTO t_tools
        SELECT run_id, tool FROM (
          SELECT a.run_id, j.value AS tool FROM t_aud a, json_each('["' || replace(a.tools, ',', '","') || '"]') j WHERE a.tools IS NOT NULL
          UNION ALL SELECT run_id, replace(replace(tool, ' ', '_'), ',', '_') FROM t_rg WHERE tool IS NOT NULL
        ) WHERE run_id IS NOT NULL AND tool IS NOT NULL;
      -- spans shown as steps: every span when the run has no audit trail, else GenAI spans no audit event points at
      CREATE TEMP TABLE t_steps (run_id, n, PRIMARY KEY (run_id)) WITHOUT ROWID;
      INSERT INTO t_steps
        SELECT g.run_id, count(*) AS n FROM t_rg g
        WHERE NOT EXISTS (SELECT 1 FROM t_asp a WHERE a.sid = g.id AND a.run_id = g.run_id)
        GROUP BY g.run_id;

      -- the model of runs whose audit trail names no model version: their best span model
      CREATE TEMP TABLE t_sm (run_id, version, source, name, provider, PRIMARY KEY (run_id)) WITHOUT ROWID;
      INSERT INTO t_sm
        SELECT run_id, m ->> 0 AS version,
          CASE m ->> 4 WHEN 0 THEN 'gen_ai.response.model' WHEN 1 THEN 'gen_ai.request.model' WHEN 2 THEN 'llm.model_name' WHEN 3 THEN 'langfuse' WHEN 4 THEN 'langsmith' ELSE 'llm.model_name' END AS source,
          m ->> 1 AS name, m ->> 2 AS provider
        FROM (SELECT g.run_id, cf_span_model(g.mrank, g.ts, g.id, g.model, a.m_name, g.provider, g.id) AS m
              FROM t_rg g LEFT JOIN t_aud a ON a.run_id = g.run_id WHERE g.mrank IS NOT NULL AND a.m_version IS NULL GROUP BY g.run_id)
        WHERE m IS NOT NULL;

      CREATE TEMP TABLE t_ragg (run_id, decisions, n_dec, n_deny, n_escalate, n_redact, PRIMARY KEY (run_id)) WITHOUT ROWID;
      INSERT INTO t_ragg
        SELECT run_id, group_concat(outcome, ' ') AS decisions, sum(n) AS n_dec, sum(CASE outcome WHEN 'deny' THEN n ELSE 0 END) AS n_deny,
          sum(CASE outcome WHEN 'escalate' THEN n ELSE 0 END) AS n_escalate, sum(CASE outcome WHEN 'redact' THEN n ELSE 0 END) AS n_redact
        FROM (SELECT * FROM t_rdec ORDER BY run_id, outcome) GROUP BY run_id;
      CREATE TEMP TABLE t_tagg (run_id, codes, PRIMARY KEY (run_id)) WITHOUT ROWID;
      INSERT INTO t_tagg
        SELECT run_id, group_concat(c, ' ') AS codes FROM (
          SELECT run_id, replace(replace(replace(code, ' ', '_'), char(9), '_'), char(10), '_') AS c FROM t_rreason ORDER BY run_id, code
        ) GROUP BY run_id;
      CREATE TEMP TABLE t_magg (run_id, tools, PRIMARY KEY (run_id)) WITHOUT ROWID;
      INSERT INTO t_magg
        SELECT run_id, group_concat(tool, ' ') AS tools FROM (SELECT * FROM t_tools ORDER BY run_id, tool) GROUP BY run_id;

      INSERT INTO runs(run_id, workflow, tier, model_version, model_source, model_name, model_provider, started, ended, duration,
                       n_steps, n_audit, n_spans, n_decisions, n_logs, n_writes, has_write, decisions, reason_codes,
                       n_deny, n_escalate, n_redact, n_undo, n_rerun, n_escalation_signal, n_complaint, n_approval_rejected,
                       input_len, input_lang, tools, trace_ids, session_id)
      SELECT b.run_id,
        coalesce(b.a_wf, b.s_wf, b.d_wf),
        b.a_tier,
        coalesce(a.m_version, sm.version),
        CASE WHEN a.m_version IS NOT NULL THEN 'audit' ELSE sm.source END,
        CASE WHEN a.m_version IS NOT NULL THEN a.m_name ELSE sm.name END,
        CASE WHEN a.m_version IS NOT NULL THEN a.m_provider ELSE sm.provider END,
        b.started, b.ended, coalesce(b.ended - b.started, 0),
        coalesce(b.n_audit, 0) + coalesce(b.n_logs, 0) + coalesce(dg.n_unref, 0)
          + CASE WHEN coalesce(b.n_audit, 0) = 0 THEN coalesce(b.n_spans, 0) ELSE coalesce(st.n, 0) END,
        coalesce(b.n_audit, 0), coalesce(b.n_spans, 0),
        coalesce(ra.n_dec, 0),
        coalesce(b.n_logs, 0),
        coalesce(a.n_writes, 0), coalesce(a.n_writes, 0) > 0,
        coalesce(ra.decisions, ''), coalesce(tg.codes, ''),
        coalesce(ra.n_deny, 0), coalesce(ra.n_escalate, 0), coalesce(ra.n_redact, 0),
        coalesce(a.n_undo, 0), coalesce(a.n_rerun, 0), coalesce(a.n_esc_sig, 0), coalesce(a.n_complaint, 0), coalesce(a.n_appr_rej, 0),
        coalesce(a.input_len, 0), a.input_lang,
        coalesce(mg.tools, ''),
        coalesce(x.trace_ids, ''),
        coalesce(b.a_session, b.s_session)
      FROM t_base b
      LEFT JOIN t_aud a ON a.run_id = b.run_id
      LEFT JOIN t_dagg dg ON dg.run_id = b.run_id
      LEFT JOIN t_steps st ON st.run_id = b.run_id
      LEFT JOIN t_ragg ra ON ra.run_id = b.run_id
      LEFT JOIN t_tagg tg ON tg.run_id = b.run_id
      LEFT JOIN t_magg mg ON mg.run_id = b.run_id
      LEFT JOIN t_xagg x ON x.run_id = b.run_id
      LEFT JOIN t_sm sm ON sm.run_id = b.run_id
      ORDER BY b.started IS NULL, b.started, b.run_id;
    `);
  }

  /** Hash chain breaks per run (exactly re-checked); events of a chained run without prev_hash nor hash are counted too. */
  chainBreaks(): Array<{ runId: string; problems: ChainProblem[] }> {
    const flagged = this.db.prepare('SELECT run_id AS runId, n_audit - n_chained AS unhashed FROM t_aud WHERE chain_suspect = 1').all() as Array<{ runId: string; unhashed: number }>;
    const out: Array<{ runId: string; problems: ChainProblem[] }> = [];
    for (const r of flagged) {
      // the scan read the chain fields as substrings: re-check the run from its parsed events
      const problems = this.exactChain(r.runId) ?? [];
      if (r.unhashed > 0) problems.push({ eventId: null, problem: `${r.unhashed} event${r.unhashed === 1 ? '' : 's'} of this hash-chained run carr${r.unhashed === 1 ? 'ies' : 'y'} no hash` });
      if (problems.length) out.push({ runId: r.runId, problems });
    }
    return out;
  }

  /** Prepared once per derivation: thousands of runs can be re-checked (every run whose chained events are in several parts). */
  private chainEvents: Statement | null = null;

  private exactChain(runId: string): ChainProblem[] | null {
    this.chainEvents ??= this.db.prepare(
      `SELECT r.id, r.data, b.problem FROM records r LEFT JOIN audit_hash_bad b ON b.record_id = r.id
       WHERE r.run_id = ? AND +r.kind = 'audit' ORDER BY r.id`,
    );
    const rows = this.chainEvents.all(runId) as Array<{ id: number; data: string; problem: string | null }>;
    const evs: ChainEv[] = [];
    for (const row of rows) {
      const e = (JSON.parse(row.data) as { event: Record<string, unknown> }).event;
      if (e.hash === undefined && e.prev_hash === undefined) continue;
      evs.push({
        id: row.id,
        seq: typeof e.seq === 'number' ? e.seq : null,
        eventId: typeof e.event_id === 'string' ? e.event_id : null,
        prev: typeof e.prev_hash === 'string' ? e.prev_hash : null,
        hash: typeof e.hash === 'string' ? e.hash : null,
        bad: row.problem,
      });
    }
    return checkChain(evs);
  }

  /** Traces with orphan spans or parent cycles, with the runs that hold them. */
  spanTreeProblems(): Array<{ traceId: string; runIds: string[]; report: { orphans: SpanTreeReport['orphans']; nOrphans: number; cycle: string[] } }> {
    return (
      this.db
        .prepare(
          `SELECT t.trace_id AS traceId, t.tree, (SELECT group_concat(run_id, char(31)) FROM run_traces rt WHERE rt.trace_id = t.trace_id) AS runs
           FROM t_tr t WHERE t.tree IS NOT NULL`,
        )
        .all() as Array<{ traceId: string; tree: string; runs: string | null }>
    ).map((r) => ({ traceId: r.traceId, runIds: r.runs ? r.runs.split('\u001f') : [], report: JSON.parse(r.tree) }));
  }

  /**
   * The completeness findings computable as set operations: NO_AUDIT_TRAIL, DECISION_NOT_FOUND, NO_TRACE,
   * WRITE_WITHOUT_DECISION, INFERRED_LINK.
   */
  setFindings(): void {
    this.db
      .prepare(
        `INSERT INTO run_findings(run_id, code, severity, message, step_id)
         SELECT run_id, 'NO_AUDIT_TRAIL', 'error',
           'no audit events: the run is known only from ' ||
             CASE WHEN n_spans > 0 THEN n_spans || ' span' || CASE WHEN n_spans = 1 THEN '' ELSE 's' END ELSE '' END ||
             CASE WHEN n_spans > 0 AND (n_decisions > 0 OR n_logs > 0) THEN ', ' ELSE '' END ||
             CASE WHEN n_decisions > 0 THEN n_decisions || ' policy decision' || CASE WHEN n_decisions = 1 THEN '' ELSE 's' END ELSE '' END ||
             CASE WHEN n_decisions > 0 AND n_logs > 0 THEN ', ' ELSE '' END ||
             CASE WHEN n_logs > 0 THEN n_logs || ' log record' || CASE WHEN n_logs = 1 THEN '' ELSE 's' END ELSE '' END,
           NULL
         FROM runs WHERE n_audit = 0`,
      )
      .run();
    this.db
      .prepare(
        `INSERT INTO run_findings(run_id, code, severity, message, step_id)
         SELECT j.arun, 'DECISION_NOT_FOUND', 'error',
           'policy decision ' || j.did || ' (' || coalesce(j.apol, 'policy?') || ': ' || coalesce(j.aout, '?') || ') is named by the audit trail but is not in any OPA decision log of the case',
           j.akey
         FROM t_dj j
         WHERE j.rec IS NULL`,
      )
      .run();
    this.db
      .prepare(
        `INSERT INTO run_findings(run_id, code, severity, message, step_id)
         SELECT x.run_id, 'NO_TRACE', 'error',
           'audit events carry trace id ' || x.trace_id || ' but no span of that trace is in the case', x.key
         FROM (SELECT rt.run_id, rt.trace_id,
                 (SELECT min(a.key) FROM records a WHERE a.run_id = rt.run_id AND +a.kind = 'audit' AND a.trace_id = rt.trace_id) AS key
               FROM run_traces rt JOIN t_pairs p ON p.run_id = rt.run_id AND p.trace_id = rt.trace_id AND p.src = 'a'
               WHERE rt.rule = 'trace-id' AND NOT EXISTS (SELECT 1 FROM t_tr t WHERE t.trace_id = rt.trace_id)) x
         ORDER BY x.run_id, x.trace_id`,
      )
      .run();
    this.db
      .prepare(
        `INSERT INTO run_findings(run_id, code, severity, message, step_id)
         SELECT w.run_id, 'WRITE_WITHOUT_DECISION', 'error', 'write to ' || w.a_write || ' with no policy decision in the run before it', w.key
         FROM t_rec w
         WHERE w.kind = 'audit' AND w.name = 'write'
           AND NOT EXISTS (SELECT 1 FROM t_adec a WHERE a.run_id = w.run_id AND a.ts <= w.ts)
           AND NOT EXISTS (SELECT 1 FROM t_dfacts d WHERE d.run_id = w.run_id AND d.ts <= w.ts)`,
      )
      .run();
    this.db
      .prepare(
        `INSERT INTO run_findings(run_id, code, severity, message, step_id)
         SELECT l.run_id, 'INFERRED_LINK', 'warning', r.kind || ' ' || r.key || ' is tied to the run by ' || l.rule || ' only: ' || coalesce(l.reason, 'inferred'), r.key
         FROM run_links l JOIN records r ON r.id = l.record_id WHERE l.inferred = 1`,
      )
      .run();
  }

  /**
   * CLOCK_SKEW candidates: per step (an audit event and the span it names, farther apart than the threshold;
   * the worst step of each run) and per run (the audit window and the span window do not overlap by more
   * than the threshold), in microseconds.
   */
  clockSkews(skewUs: number): Array<{ runId: string; key: string | null; spanId: string | null; spanName: string | null; offsetUs: number; spansLater: boolean }> {
    const pairs = this.db
      .prepare('SELECT run_id AS runId, key, span_id AS spanId, sname AS spanName, off AS offsetUs, later AS spansLater FROM t_asp WHERE off > ?')
      .all(skewUs) as Array<{ runId: string; key: string; spanId: string; spanName: string | null; offsetUs: number; spansLater: number }>;
    // the worst step of each run
    const worst = new Map<string, (typeof pairs)[number]>();
    for (const p of pairs) if (!worst.has(p.runId) || worst.get(p.runId)!.offsetUs < p.offsetUs) worst.set(p.runId, p);
    const steps = [...worst.values()];
    const runs = this.db
      .prepare(
        `SELECT run_id AS runId, CASE WHEN s_first > a_ended THEN s_first - a_ended ELSE a_started - s_last END AS offsetUs, s_first > a_ended AS spansLater
         FROM t_base WHERE a_started IS NOT NULL AND s_first IS NOT NULL AND (s_first - a_ended > ? OR a_started - s_last > ?)`,
      )
      .all(skewUs, skewUs) as Array<{ runId: string; offsetUs: number; spansLater: number }>;
    const seen = new Set(steps.map((s) => s.runId));
    return [
      ...steps.map((s) => ({ ...s, spansLater: s.spansLater === 1 })),
      ...runs.filter((r) => !seen.has(r.runId)).map((r) => ({ runId: r.runId, key: null, spanId: null, spanName: null, offsetUs: r.offsetUs, spansLater: r.spansLater === 1 })),
    ];
  }

  /** MISSING_MODEL_VERSION for every run whose model version could not be resolved. */
  missingModelFindings(): void {
    this.db
      .prepare(
        `INSERT INTO run_findings(run_id, code, severity, message, step_id)
         SELECT r.run_id, 'MISSING_MODEL_VERSION', 'error',
           CASE WHEN a.model IS NOT NULL THEN 'the audit trail names model ' || coalesce(json_extract(a.model, '$[1]'), '?') || ' but no version, and no span says which version answered'
                WHEN r.n_audit > 0 THEN 'no model.call event and no span attribute (gen_ai.response.model, gen_ai.request.model, llm.model_name) says which model version the run used'
                ELSE 'no span attribute (gen_ai.response.model, gen_ai.request.model, llm.model_name) says which model the run used' END,
           CASE WHEN a.model IS NOT NULL THEN json_extract(a.model, '$[3]') END
         FROM runs r LEFT JOIN t_aud a ON a.run_id = r.run_id WHERE r.model_version IS NULL`,
      )
      .run();
  }

  insertFindings(rows: FindingRow[]): void {
    const st = this.db.prepare('INSERT INTO run_findings(run_id, code, severity, message, step_id) VALUES (?, ?, ?, ?, ?)');
    for (const f of rows) st.run(f.runId, f.code, f.severity, f.message, f.stepId);
  }

  /** Distinct model versions in use, with the earliest and latest start of the runs using them. */
  modelVersionsInUse(): Array<{ version: string; name: string | null; firstStart: number | null; lastStart: number | null }> {
    return this.db
      .prepare('SELECT model_version AS version, max(model_name) AS name, min(started) AS firstStart, max(started) AS lastStart FROM runs WHERE model_version IS NOT NULL GROUP BY model_version')
      .all() as Array<{ version: string; name: string | null; firstStart: number | null; lastStart: number | null }>;
  }

  /** Adds a finding to every run of a model version that started before `before` (or all of them when null). */
  findingForModelVersion(version: string, before: number | null, code: string, severity: string, message: string): void {
    this.db
      .prepare(
        `INSERT INTO run_findings(run_id, code, severity, message, step_id)
         SELECT run_id, ?, ?, ?, NULL FROM runs WHERE model_version = ? AND (? IS NULL OR started IS NULL OR started < ?)`,
      )
      .run(code, severity, message, version, before, before);
  }

  /** Writes findings into runs (codes, counts) and the tags, then the tag counts. */
  finalize(): void {
    this.execAll(`
      UPDATE runs SET findings = f.codes, n_findings = f.n, n_errors = f.ne
      FROM (SELECT run_id, group_concat(code, ' ') AS codes, count(*) AS n, sum(err) AS ne
            FROM (SELECT run_id, code, max(severity = 'error') AS err FROM run_findings GROUP BY run_id, code ORDER BY run_id, code)
            GROUP BY run_id) f
      WHERE runs.run_id = f.run_id;

      ${RUNS_INDEXES.map((ix) => `${ix.sql};`).join('\n      ')}

      -- the tags facet by facet in the order of their key (d, f, h, m, r, t, w), each in (tag, rid) order: run_tags
      -- grows at its end. Workflow, tier, model and has-write come in that order from the runs' indexes (built just
      -- above); only decisions, reason codes and findings are sorted (a quarter of the tags on a 300k-run case)
      INSERT OR IGNORE INTO run_tags(tag, rid) SELECT 'd:' || x.outcome AS tag, r.rid FROM t_rdec x JOIN runs r ON r.run_id = x.run_id ORDER BY tag, r.rid;
      INSERT OR IGNORE INTO run_tags(tag, rid) SELECT DISTINCT 'f:' || f.code AS tag, r.rid FROM run_findings f JOIN runs r ON r.run_id = f.run_id ORDER BY tag, r.rid;
      INSERT OR IGNORE INTO run_tags(tag, rid) SELECT 'h:' || has_write, rid FROM runs ORDER BY has_write, rid;
      INSERT OR IGNORE INTO run_tags(tag, rid) SELECT 'm:' || model_version, rid FROM runs WHERE model_version IS NOT NULL ORDER BY model_version, rid;
      INSERT OR IGNORE INTO run_tags(tag, rid) SELECT 'r:' || x.code AS tag, r.rid FROM t_rreason x JOIN runs r ON r.run_id = x.run_id ORDER BY tag, r.rid;
      INSERT OR IGNORE INTO run_tags(tag, rid) SELECT 't:' || tier, rid FROM runs WHERE tier IS NOT NULL ORDER BY tier, rid;
      INSERT OR IGNORE INTO run_tags(tag, rid) SELECT 'w:' || workflow, rid FROM runs WHERE workflow IS NOT NULL ORDER BY workflow, rid;
      CREATE INDEX IF NOT EXISTS run_tags_rid ON run_tags(rid, tag);

      INSERT INTO run_tag_counts(tag, n) SELECT tag, count(*) FROM run_tags GROUP BY tag;
    `);
  }

  /** runs_fts: run id, workflow, model, decisions, reason codes, tools, then the inputs and outputs of its events (or spans). */
  buildFts(): void {
    // FTS5 keeps the terms of pending rows in a hash table and writes a segment each time it outgrows 'hashsize'
    // (1 MiB by default), merging segments as it goes: with 16 MiB this bulk insert writes fewer, larger segments
    // and merges less (300k-run case: 1.53 s → 1.29–1.35 s, index 38 → 30 MB, +14 MB of memory while it runs);
    // the case keeps the default for later changes
    this.execAll(`
      INSERT INTO runs_fts(runs_fts, rank) VALUES ('hashsize', ${FTS_BULK_HASHSIZE});
      INSERT INTO runs_fts(rowid, text)
      SELECT r.rid,
        r.run_id || ' ' || coalesce(r.workflow, '') || ' ' || coalesce(r.model_version, '') || ' ' || coalesce(r.model_name, '') || ' ' || r.decisions || ' ' || r.reason_codes || ' ' || r.tools || char(10) ||
        CASE WHEN r.n_audit > 0 THEN coalesce(a.ftxt, '')
        ELSE coalesce((
          SELECT group_concat(s.name || ' ' || coalesce(json_extract(s.data, '$.genai.prompt'), '') || ' ' || coalesce(json_extract(s.data, '$.genai.completion'), ''), char(10))
          FROM run_traces rt JOIN records s ON s.trace_id = rt.trace_id AND +s.kind = 'span'
          WHERE rt.run_id = r.run_id AND instr(s.data, '"genai":{') > 0
        ), '') END
      FROM runs r LEFT JOIN t_aud a ON a.run_id = r.run_id ORDER BY r.rid;
      INSERT INTO runs_fts(runs_fts, rank) VALUES ('hashsize', ${FTS_DEFAULT_HASHSIZE});
    `);
  }

  /** runs.harmful from investigators' labels (migration 003): 1 harmful, 0 labelled but not harmful, NULL unlabelled. */
  refreshHarmful(runId?: string): void {
    if (!hasTable(this.db, 'labels')) return;
    const harmful = `(SELECT CASE WHEN count(*) = 0 THEN NULL ELSE max(verdict = 'harmful') END FROM labels l WHERE l.run_id = runs.run_id AND l.deleted = 0)`;
    if (runId !== undefined) {
      this.db.prepare(`UPDATE runs SET harmful = ${harmful} WHERE run_id = ?`).run(runId);
      return;
    }
    // only the labelled runs have a value; the rest are NULL (as a new derivation inserts them): the few set
    // ones cleared, the labelled ones computed, instead of a lookup for each of the case's runs
    this.db.exec(`
      UPDATE runs SET harmful = NULL WHERE harmful IS NOT NULL AND run_id NOT IN (SELECT run_id FROM labels WHERE deleted = 0);
      UPDATE runs SET harmful = ${harmful} WHERE run_id IN (SELECT run_id FROM labels WHERE deleted = 0);
    `);
  }

  analyze(): void {
    this.db.exec('PRAGMA analysis_limit = 400; ANALYZE runs; ANALYZE run_tags;');
  }
}

/** Signature of the evidence runs are derived from (records are append-only: the highest id says it all). */
export function evidenceSignature(db: Db): string {
  const r = db.prepare('SELECT coalesce(max(id), 0) AS m FROM records').get() as { m: number };
  return `${DERIVE_VERSION}:${r.m}`;
}

/** The evidence signature the runs tables were last derived from, or null. */
export function derivedSignature(db: Db): string | null {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'recon.runs_signature'").get() as { value: string } | undefined;
  return row?.value ?? null;
}

export function hasTable(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ?").get(name) !== undefined;
}

/** The number of derived runs when the runs are up to date with the evidence, else null. */
export function derivedRunCount(db: Db): number | null {
  if (!hasTable(db, 'runs')) return null;
  if (derivedSignature(db) !== evidenceSignature(db)) return null;
  return (db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
}

/** Called after a label changes: keeps runs.harmful in step with the labels of one run (or all). */
export function refreshHarmful(db: Db, runId?: string): void {
  if (!hasTable(db, 'runs')) return;
  new RunsDeriveStore(db).refreshHarmful(runId);
}

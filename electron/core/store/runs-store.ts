/**
 * Read-side queries over the runs tables (migration 002) and the evidence they were derived from:
 * one run's records with provenance, the run list with filters / keyset pagination / facets, the
 * affected set, the overview aggregates, per-run facts for the SLI engine, lineage events.
 * The filter → SQL translation lives here (SQL stays in the store); recon/ shapes the results.
 */
import type { FacetName, Label, RunQuery } from '../../../shared/api';
import { openDb, type Db } from './db';
import { hasTable } from './runs-derive';

// ----------------------------------------------------------------------------------------------- rows

export interface RunDbRow {
  rid: number;
  run_id: string;
  workflow: string | null;
  tier: string | null;
  model_version: string | null;
  model_source: string | null;
  model_name: string | null;
  model_provider: string | null;
  started: number | null;
  ended: number | null;
  duration: number;
  n_steps: number;
  n_audit: number;
  n_spans: number;
  n_decisions: number;
  n_logs: number;
  n_writes: number;
  has_write: number;
  decisions: string;
  reason_codes: string;
  findings: string;
  n_findings: number;
  n_errors: number;
  n_deny: number;
  n_escalate: number;
  n_redact: number;
  n_undo: number;
  n_rerun: number;
  n_escalation_signal: number;
  n_complaint: number;
  n_approval_rejected: number;
  input_len: number;
  input_lang: string | null;
  tools: string;
  trace_ids: string;
  session_id: string | null;
  harmful: number | null;
}

export interface MemberRecord {
  id: number;
  kind: string;
  key: string;
  run_id: string | null;
  trace_id: string | null;
  span_id: string | null;
  parent_span_id: string | null;
  ts: number | null;
  end_ts: number | null;
  name: string | null;
  data: string;
  /**
   * The record already parsed, when the reader has it (runMemberRecordsThin: the fields of a plain span that
   * reconstruction reads); `data` is then not the record.
   */
  value?: unknown;
  /** 'own' (the record carries the run id), 'trace' (an unshared trace of the run), 'link' (run_links) */
  via: 'own' | 'trace' | 'link';
  rule: string | null;
  inferred: number;
  reason: string | null;
}

export interface ProvenanceRow {
  recordId: number;
  sourceId: number;
  line: number | null;
  path: string | null;
  sourcePath: string;
}

export interface FindingDbRow {
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  step_id: string | null;
}

export function runsTableReady(db: Db): boolean {
  return hasTable(db, 'runs');
}

/** True once runs were derived (cheap: one row read). */
export function hasRuns(db: Db): boolean {
  return db.prepare('SELECT 1 FROM runs LIMIT 1').get() !== undefined;
}

export function countAllRuns(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
}

export function runRow(db: Db, runId: string): RunDbRow | undefined {
  return db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runId) as RunDbRow | undefined;
}

/** Every record of a run: its own, those of its unshared traces, and those linked to it (deduplicated by the caller). */
export function runMemberRecords(db: Db, runId: string): MemberRecord[] {
  return db
    .prepare(
      `SELECT r.id, r.kind, r.key, r.run_id, r.trace_id, r.span_id, r.parent_span_id, r.ts, r.end_ts, r.name, r.data, 'own' AS via, 'run-id' AS rule, 0 AS inferred, NULL AS reason
         FROM records r WHERE r.run_id = ? AND r.kind <> 'lineage'
       UNION ALL
       SELECT r.id, r.kind, r.key, r.run_id, r.trace_id, r.span_id, r.parent_span_id, r.ts, r.end_ts, r.name, r.data, 'trace', rt.rule, 0, NULL
         FROM run_traces rt JOIN records r ON r.trace_id = rt.trace_id
         WHERE rt.run_id = ? AND rt.shared = 0 AND r.run_id IS NOT rt.run_id AND r.kind <> 'lineage'
       UNION ALL
       SELECT r.id, r.kind, r.key, r.run_id, r.trace_id, r.span_id, r.parent_span_id, r.ts, r.end_ts, r.name, r.data, 'link', l.rule, l.inferred, l.reason
         FROM run_links l JOIN records r ON r.id = l.record_id WHERE l.run_id = ?`,
    )
    .all(runId, runId, runId) as MemberRecord[];
}

/** How many member records a run has (runMemberRecords' rows, before deduplication): from the indexes alone. */
export function runMemberCount(db: Db, runId: string): number {
  return (
    db
      .prepare(
        `SELECT (SELECT count(*) FROM records r WHERE r.run_id = ? AND r.kind <> 'lineage')
              + (SELECT count(*) FROM run_traces rt JOIN records r ON r.trace_id = rt.trace_id WHERE rt.run_id = ? AND rt.shared = 0 AND r.run_id IS NOT rt.run_id AND r.kind <> 'lineage')
              + (SELECT count(*) FROM run_links l WHERE l.run_id = ?) AS n`,
      )
      .get(runId, runId, runId) as { n: number }
  ).n;
}

/** The fields of a span that reconstruction reads when the span has no gen_ai data (THIN_SPAN order). */
const THIN_SPAN_SQL = `json_extract(r.data, '$.traceId', '$.spanId', '$.parentSpanId', '$.name', '$.kind', '$.service', '$.startUs', '$.endUs', '$.status.code')`;
const THIN = `CASE WHEN r.kind = 'span' AND json_type(r.data, '$.genai') IS NULL THEN ${THIN_SPAN_SQL} END AS thin, CASE WHEN r.kind = 'span' AND json_type(r.data, '$.genai') IS NULL THEN '' ELSE r.data END AS data`;

/**
 * runMemberRecords for a large run: a span without gen_ai data comes as just the fields reconstruction reads
 * (`value`, a SpanData without attributes, resource or events; `data` is ''), extracted by SQLite, so that a
 * 100,000-span trace is not parsed in JavaScript. Everything else as runMemberRecords.
 */
export function runMemberRecordsThin(db: Db, runId: string): MemberRecord[] {
  const rows = db
    .prepare(
      `SELECT r.id, r.kind, r.key, r.run_id, r.trace_id, r.span_id, r.parent_span_id, r.ts, r.end_ts, r.name, ${THIN}, 'own' AS via, 'run-id' AS rule, 0 AS inferred, NULL AS reason
         FROM records r WHERE r.run_id = ? AND r.kind <> 'lineage'
       UNION ALL
       SELECT r.id, r.kind, r.key, r.run_id, r.trace_id, r.span_id, r.parent_span_id, r.ts, r.end_ts, r.name, ${THIN}, 'trace', rt.rule, 0, NULL
         FROM run_traces rt JOIN records r ON r.trace_id = rt.trace_id
         WHERE rt.run_id = ? AND rt.shared = 0 AND r.run_id IS NOT rt.run_id AND r.kind <> 'lineage'
       UNION ALL
       SELECT r.id, r.kind, r.key, r.run_id, r.trace_id, r.span_id, r.parent_span_id, r.ts, r.end_ts, r.name, ${THIN}, 'link', l.rule, l.inferred, l.reason
         FROM run_links l JOIN records r ON r.id = l.record_id WHERE l.run_id = ?`,
    )
    .raw(true)
    .all(runId, runId, runId) as Array<[number, string, string, string | null, string | null, string | null, string | null, number | null, number | null, string | null, string | null, string, MemberRecord['via'], string | null, number, string | null]>;
  const out: MemberRecord[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [id, kind, key, run_id, trace_id, span_id, parent_span_id, ts, end_ts, name, thin, data, via, rule, inferred, reason] = rows[i]!;
    let value: unknown = undefined;
    if (thin !== null) {
      const [traceId, spanId, parentSpanId, sname, skind, service, startUs, endUs, code] = JSON.parse(thin) as [string, string, string | null, string, string, string | null, number | null, number | null, string];
      value = { traceId, spanId, parentSpanId, name: sname, kind: skind, service, startUs, endUs, status: { code } };
    }
    out[i] = { id, kind, key, run_id, trace_id, span_id, parent_span_id, ts, end_ts, name, data, value, via, rule, inferred, reason };
  }
  return out;
}

/** The records (`data`) of these record ids. */
export function recordData(db: Db, ids: number[]): Map<number, string> {
  if (ids.length === 0) return new Map();
  const rows = db.prepare('SELECT id, data FROM records WHERE id IN (SELECT value FROM json_each(?))').raw(true).all(JSON.stringify(ids)) as Array<[number, string]>;
  return new Map(rows);
}

/**
 * One record of a run by its key (a step id), with how it belongs to the run — the same three ways as
 * runMemberRecords (own run id, unshared trace, run_links). Several rows when it belongs in several ways
 * (the caller deduplicates as for the whole run); none when the record is not part of the run.
 */
export function runMemberRecord(db: Db, runId: string, key: string): MemberRecord[] {
  return db
    .prepare(
      `SELECT r.id, r.kind, r.key, r.run_id, r.trace_id, r.span_id, r.parent_span_id, r.ts, r.end_ts, r.name, r.data, 'own' AS via, 'run-id' AS rule, 0 AS inferred, NULL AS reason
         FROM records r WHERE r.key = ? AND r.run_id = ? AND r.kind <> 'lineage'
       UNION ALL
       SELECT r.id, r.kind, r.key, r.run_id, r.trace_id, r.span_id, r.parent_span_id, r.ts, r.end_ts, r.name, r.data, 'trace', rt.rule, 0, NULL
         FROM records r JOIN run_traces rt ON rt.trace_id = r.trace_id
         WHERE r.key = ? AND rt.run_id = ? AND rt.shared = 0 AND r.run_id IS NOT rt.run_id AND r.kind <> 'lineage'
       UNION ALL
       SELECT r.id, r.kind, r.key, r.run_id, r.trace_id, r.span_id, r.parent_span_id, r.ts, r.end_ts, r.name, r.data, 'link', l.rule, l.inferred, l.reason
         FROM records r JOIN run_links l ON l.record_id = r.id WHERE r.key = ? AND l.run_id = ?`,
    )
    .all(key, runId, key, runId, key, runId) as MemberRecord[];
}

/** Records by key (e.g. the OPA decisions an audit trail names). */
export function recordsByKeys(db: Db, keys: string[]): Array<Omit<MemberRecord, 'via' | 'rule' | 'inferred' | 'reason'>> {
  if (keys.length === 0) return [];
  return db
    .prepare(
      `SELECT r.id, r.kind, r.key, r.run_id, r.trace_id, r.span_id, r.parent_span_id, r.ts, r.end_ts, r.name, r.data
       FROM records r WHERE r.key IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(keys)) as Array<Omit<MemberRecord, 'via' | 'rule' | 'inferred' | 'reason'>>;
}

/** Provenance of records (first provenance first), with the source's path. */
export function provenanceOf(db: Db, recordIds: number[]): ProvenanceRow[] {
  if (recordIds.length === 0) return [];
  // source paths once (a case has few sources), not once per row
  const sources = new Map(db.prepare('SELECT id, path FROM sources').raw(true).all() as Array<[number, string]>);
  const rows = db
    .prepare(`SELECT p.record_id, p.source_id, p.line, p.path FROM record_provenance p WHERE p.record_id IN (SELECT value FROM json_each(?)) ORDER BY p.record_id, p.seq`)
    .raw(true)
    .all(JSON.stringify(recordIds)) as Array<[number, number, number | null, string | null]>;
  const out: ProvenanceRow[] = [];
  for (const [recordId, sourceId, line, path] of rows) {
    const sourcePath = sources.get(sourceId);
    if (sourcePath !== undefined) out.push({ recordId, sourceId, line, path, sourcePath });
  }
  return out;
}

export function runFindingRows(db: Db, runId: string): FindingDbRow[] {
  return db.prepare('SELECT code, severity, message, step_id FROM run_findings WHERE run_id = ? ORDER BY id').all(runId) as FindingDbRow[];
}

export function runTraceIds(db: Db, runId: string): Array<{ traceId: string; rule: string; shared: number }> {
  return db.prepare('SELECT trace_id AS traceId, rule, shared FROM run_traces WHERE run_id = ? ORDER BY trace_id').all(runId) as Array<{ traceId: string; rule: string; shared: number }>;
}

export function isInAffectedSet(db: Db, runId: string): boolean {
  return db.prepare('SELECT 1 FROM affected_runs WHERE run_id = ?').get(runId) !== undefined;
}

interface LabelDbRow {
  id: number;
  run_id: string;
  step_id: string | null;
  category: string;
  severity: string | null;
  verdict: 'harmful' | 'benign' | 'unsure';
  corrected: string | null;
  note: string | null;
  author: string;
  updated_at: string;
}

/** Labels of a run (migration 003); [] when the case has no labels table yet. */
export function runLabels(db: Db, runId: string): Label[] {
  if (!hasTable(db, 'labels')) return [];
  const rows = db
    .prepare('SELECT id, run_id, step_id, category, severity, verdict, corrected, note, author, updated_at FROM labels WHERE run_id = ? AND deleted = 0 ORDER BY id')
    .all(runId) as LabelDbRow[];
  return rows.map((r) => {
    let corrected: unknown = null;
    if (r.corrected !== null) {
      try {
        corrected = JSON.parse(r.corrected);
      } catch {
        corrected = r.corrected;
      }
    }
    return { id: r.id, runId: r.run_id, stepId: r.step_id, category: r.category, severity: r.severity, verdict: r.verdict, corrected, note: r.note, author: r.author, at: r.updated_at };
  });
}

// ----------------------------------------------------------------------------------------------- lineage

export function lineageRecords(db: Db): Array<{ id: number; key: string; ts: number | null; data: string }> {
  return db.prepare("SELECT id, key, ts, data FROM records WHERE kind = 'lineage' ORDER BY ts, id").all() as Array<{ id: number; key: string; ts: number | null; data: string }>;
}

export function lineageSignature(db: Db): string {
  const r = db.prepare("SELECT count(*) AS n, coalesce(max(id), 0) AS m FROM records WHERE kind = 'lineage'").get() as { n: number; m: number };
  return `${r.n}:${r.m}`;
}

// ----------------------------------------------------------------------------------------------- run list

export type SortBy = NonNullable<RunQuery['sort']>['by'];

export interface Keyset {
  /** value of the sort column of the last row (absent when sorting by started: rid alone orders) */
  v?: number | string | null;
  rid: number;
}

const TAG_FACETS: Partial<Record<FacetName, string>> = { workflow: 'w', tier: 't', modelVersion: 'm', decision: 'd', reasonCode: 'r', finding: 'f', hasWrite: 'h' };

function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** The WHERE clause of a run query over `runs r` (optionally without one facet's own filter). */
export function runFilter(db: Db, q: RunQuery, omit?: FacetName, ftsQuery?: string | null): { sql: string; params: unknown[] } {
  const conds: string[] = [];
  const params: unknown[] = [];
  if (q.from != null || q.to != null) {
    // rid order is start order (nulls last): a time window is a rid range, which every index ending in rid serves
    const lo = (
      q.from != null
        ? db.prepare('SELECT rid FROM runs WHERE started >= ? ORDER BY started, run_id LIMIT 1').get(q.from)
        : db.prepare('SELECT rid FROM runs WHERE started IS NOT NULL ORDER BY started, run_id LIMIT 1').get()
    ) as { rid: number } | undefined;
    const hi = (
      q.to != null
        ? db.prepare('SELECT rid FROM runs WHERE started <= ? AND started IS NOT NULL ORDER BY started DESC, run_id DESC LIMIT 1').get(q.to)
        : db.prepare('SELECT rid FROM runs WHERE started IS NOT NULL ORDER BY started DESC, run_id DESC LIMIT 1').get()
    ) as { rid: number } | undefined;
    if (!lo || !hi || lo.rid > hi.rid) conds.push('0');
    else {
      conds.push('r.rid BETWEEN ? AND ?');
      params.push(lo.rid, hi.rid);
    }
  }
  const column = (facet: FacetName, col: string, values: string[] | undefined) => {
    if (!values?.length || omit === facet) return;
    conds.push(`r.${col} IN (${placeholders(values.length)})`);
    params.push(...values);
  };
  column('workflow', 'workflow', q.workflow);
  column('tier', 'tier', q.tier);
  column('modelVersion', 'model_version', q.modelVersion);
  if (q.hasWrite !== undefined && q.hasWrite !== null && omit !== 'hasWrite') {
    conds.push('r.has_write = ?');
    params.push(q.hasWrite ? 1 : 0);
  }
  const tags = (facet: FacetName, values: string[] | undefined) => {
    if (!values?.length || omit === facet) return;
    const letter = TAG_FACETS[facet]!;
    if (values.length === 1) {
      conds.push('r.rid IN (SELECT rid FROM run_tags WHERE tag = ?)');
      params.push(`${letter}:${values[0]}`);
    } else {
      conds.push(`r.rid IN (SELECT rid FROM run_tags WHERE tag IN (${placeholders(values.length)}))`);
      params.push(...values.map((v) => `${letter}:${v}`));
    }
  };
  tags('decision', q.decision);
  tags('reasonCode', q.reasonCode);
  tags('finding', q.finding);
  if (q.label?.length && omit !== 'label') {
    if (hasTable(db, 'labels')) {
      conds.push(
        `r.run_id IN (SELECT run_id FROM labels WHERE deleted = 0 AND (category IN (${placeholders(q.label.length)}) OR ('verdict:' || verdict) IN (${placeholders(q.label.length)})))`,
      );
      params.push(...q.label, ...q.label);
    } else conds.push('0');
  }
  if (q.affectedOnly) conds.push('r.run_id IN (SELECT run_id FROM affected_runs)');
  if (ftsQuery) {
    conds.push('r.rid IN (SELECT rowid FROM runs_fts WHERE runs_fts MATCH ?)');
    params.push(ftsQuery);
  }
  return { sql: conds.length ? conds.join(' AND ') : '1', params };
}

const SORT_COLUMN: Record<SortBy, string | null> = { started: null, runId: 'r.run_id', duration: 'r.duration', findings: 'r.n_findings' };

export interface RunListRow extends RunDbRow {
  in_affected: number;
}

/**
 * How a run query is driven. Rows are wanted in rid order (= start order) most of the time, so the query is
 * driven by whatever yields matching rids already in order, stopping after one page:
 *  - a full-text search: runs_fts returns rowids (= rids) in order, with rowid ranges for the keyset;
 *  - else a single-valued decision / reason code / finding filter: run_tags (tag, rid), its rarest tag;
 *  - else the runs table itself (its column indexes end with rid).
 */
interface RunQueryPlan {
  from: string;
  where: string;
  params: unknown[];
  /** the expression ordered like rid under this plan */
  key: string;
  /** the query is the driver alone (count it from the driver) */
  driverOnly: boolean;
  driver: 'fts' | 'tag' | 'runs';
  tag?: string;
}

/** The tag of a query that filters on exactly one facet value and nothing else (its count is in run_tag_counts). */
function singleTag(q: RunQuery): string | null {
  if (q.search || q.from != null || q.to != null || q.label?.length || q.affectedOnly) return null;
  const found: string[] = [];
  const one = (letter: string, v: string[] | undefined) => {
    if (!v?.length) return;
    found.push(v.length === 1 ? `${letter}:${v[0]}` : '*');
  };
  one('w', q.workflow);
  one('t', q.tier);
  one('m', q.modelVersion);
  one('d', q.decision);
  one('r', q.reasonCode);
  one('f', q.finding);
  if (q.hasWrite !== undefined && q.hasWrite !== null) found.push(`h:${q.hasWrite ? 1 : 0}`);
  return found.length === 1 && found[0] !== '*' ? found[0]! : null;
}

function planRunQuery(db: Db, q: RunQuery, ftsQuery: string | null): RunQueryPlan {
  if (ftsQuery) {
    const { sql, params } = runFilter(db, q, undefined, null);
    return {
      from: 'runs_fts f CROSS JOIN runs r ON r.rid = f.rowid',
      where: `f.runs_fts MATCH ?${sql === '1' ? '' : ` AND ${sql}`}`,
      params: [ftsQuery, ...params],
      key: 'f.rowid',
      driverOnly: sql === '1',
      driver: 'fts',
    };
  }
  const single: Array<{ facet: FacetName; tag: string }> = [];
  for (const [facet, values] of [
    ['decision', q.decision],
    ['reasonCode', q.reasonCode],
    ['finding', q.finding],
  ] as Array<[FacetName, string[] | undefined]>)
    if (values?.length === 1) single.push({ facet, tag: `${TAG_FACETS[facet]}:${values[0]}` });
  if (single.length) {
    const counts = new Map(
      (db.prepare('SELECT tag, n FROM run_tag_counts WHERE tag IN (SELECT value FROM json_each(?))').all(JSON.stringify(single.map((x) => x.tag))) as Array<{ tag: string; n: number }>).map((r) => [r.tag, r.n]),
    );
    single.sort((a, b) => (counts.get(a.tag) ?? 0) - (counts.get(b.tag) ?? 0));
    const drive = single[0]!;
    const { sql, params } = runFilter(db, q, drive.facet, null);
    return {
      from: 'run_tags t CROSS JOIN runs r ON r.rid = t.rid',
      where: `t.tag = ?${sql === '1' ? '' : ` AND ${sql}`}`,
      params: [drive.tag, ...params],
      key: 't.rid',
      driverOnly: sql === '1',
      driver: 'tag',
      tag: drive.tag,
    };
  }
  const { sql, params } = runFilter(db, q, undefined, null);
  return { from: 'runs r', where: sql, params, key: 'r.rid', driverOnly: sql === '1', driver: 'runs' };
}

/** One page of runs (limit + 1 rows are read to know whether there is a next page). */
export function queryRunPage(db: Db, q: RunQuery, ftsQuery: string | null, after: Keyset | null, limit: number, matching?: number): RunListRow[] {
  const plan = planRunQuery(db, q, ftsQuery);
  const by: SortBy = q.sort?.by ?? 'started';
  const desc = q.sort?.dir === 'desc';
  const col = SORT_COLUMN[by];
  const op = desc ? '<' : '>';
  const dir = desc ? 'DESC' : 'ASC';
  let keyset = '';
  const kp: unknown[] = [];
  if (after) {
    if (col === null) {
      keyset = ` AND ${plan.key} ${op} ?`;
      kp.push(after.rid);
    } else if (by === 'runId') {
      keyset = ` AND r.run_id ${op} ?`;
      kp.push(after.v);
    } else {
      keyset = ` AND (${col}, r.rid) ${op} (?, ?)`;
      kp.push(after.v, after.rid);
    }
  }
  const order = col === null ? `${plan.key} ${dir}` : by === 'runId' ? `r.run_id ${dir}` : `${col} ${dir}, r.rid ${dir}`;
  if (col !== null && plan.driver === 'runs') {
    // Sorted by another column: when the filters keep most runs, walking that column's index and stopping after
    // a page beats collecting every match to sort it; the planner cannot tell, so broad filters are kept off
    // their own indexes (unary +) and the sort index drives.
    const total = runsSummary(db).total;
    const broad = total > 0 && (matching ?? countRuns(db, q, null)) > total / 10;
    if (broad) plan.where = plan.where.replace(/\br\.(workflow|tier|model_version|has_write) /g, '+r.$1 ');
  }
  return db
    .prepare(
      `SELECT r.*, EXISTS (SELECT 1 FROM affected_runs a WHERE a.run_id = r.run_id) AS in_affected
       FROM ${plan.from} WHERE ${plan.where}${keyset} ORDER BY ${order} LIMIT ?`,
    )
    .all(...plan.params, ...kp, limit + 1) as RunListRow[];
}

/** Exact number of runs matching a query. */
export function countRuns(db: Db, q: RunQuery, ftsQuery: string | null): number {
  // a query that is one facet value exactly: its count was kept at derivation
  const tag = ftsQuery ? null : singleTag(q);
  if (tag) return (db.prepare('SELECT coalesce((SELECT n FROM run_tag_counts WHERE tag = ?), 0) AS n').get(tag) as { n: number }).n;
  const plan = planRunQuery(db, q, ftsQuery);
  if (plan.driverOnly) {
    if (plan.driver === 'runs') return (db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
    if (plan.driver === 'fts') return (db.prepare('SELECT count(*) AS n FROM runs_fts WHERE runs_fts MATCH ?').get(ftsQuery) as { n: number }).n;
    return (db.prepare('SELECT coalesce((SELECT n FROM run_tag_counts WHERE tag = ?), 0) AS n').get(plan.tag) as { n: number }).n;
  }
  return (db.prepare(`SELECT count(*) AS n FROM ${plan.from} WHERE ${plan.where}`).get(...plan.params) as { n: number }).n;
}

/** Tags (exact values) of some runs, for reason codes / decisions / findings of a page. */
export function tagsOfRuns(db: Db, rids: number[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  if (rids.length === 0) return out;
  const rows = db.prepare('SELECT rid, tag FROM run_tags WHERE rid IN (SELECT value FROM json_each(?)) ORDER BY rid, tag').all(JSON.stringify(rids)) as Array<{ rid: number; tag: string }>;
  for (const r of rows) {
    let l = out.get(r.rid);
    if (!l) out.set(r.rid, (l = []));
    l.push(r.tag);
  }
  return out;
}

/** Label categories of some runs (migration 003). */
export function labelsOfRuns(db: Db, runIds: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (runIds.length === 0 || !hasTable(db, 'labels')) return out;
  const rows = db
    .prepare('SELECT DISTINCT run_id, category FROM labels WHERE deleted = 0 AND run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, category')
    .all(JSON.stringify(runIds)) as Array<{ run_id: string; category: string }>;
  for (const r of rows) {
    let l = out.get(r.run_id);
    if (!l) out.set(r.run_id, (l = []));
    l.push(r.category);
  }
  return out;
}

/**
 * Facet counts: for each facet, the runs matching every filter but the facet's own, counted by value.
 * Without other filters the counts come from run_tag_counts (kept at derivation).
 */
export function facetCounts(db: Db, q: RunQuery, ftsQuery: string | null): Record<FacetName, Array<{ value: string; count: number }>> {
  const out = {} as Record<FacetName, Array<{ value: string; count: number }>>;
  const facets: FacetName[] = ['workflow', 'tier', 'modelVersion', 'decision', 'reasonCode', 'hasWrite', 'finding', 'label'];
  const own: Record<FacetName, boolean> = {
    workflow: !!q.workflow?.length,
    tier: !!q.tier?.length,
    modelVersion: !!q.modelVersion?.length,
    decision: !!q.decision?.length,
    reasonCode: !!q.reasonCode?.length,
    hasWrite: q.hasWrite !== undefined && q.hasWrite !== null,
    finding: !!q.finding?.length,
    label: !!q.label?.length,
  };
  const allTags = db.prepare('SELECT tag, n FROM run_tag_counts').all() as Array<{ tag: string; n: number }>;
  const toList = (rows: Array<{ tag: string; n: number }>, letter: string) =>
    rows
      .filter((r) => r.tag.startsWith(`${letter}:`) && r.n > 0)
      .map((r) => ({ value: r.tag.slice(2), count: r.n }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  /** How a tag is read from a runs row (the multi-valued columns are space-separated, whitespace in values as '_'). */
  const expr = (tag: string, params: unknown[]): string => {
    const v = tag.slice(2);
    const word = (col: string) => {
      params.push(` ${v.replace(/\s/g, '_')} `);
      return `instr(' ' || r.${col} || ' ', ?) > 0`;
    };
    switch (tag[0]) {
      case 'w':
        params.push(v);
        return 'r.workflow = ?';
      case 't':
        params.push(v);
        return 'r.tier = ?';
      case 'm':
        params.push(v);
        return 'r.model_version = ?';
      case 'h':
        params.push(Number(v));
        return 'r.has_write = ?';
      case 'd':
        return word('decisions');
      case 'r':
        return word('reason_codes');
      default:
        return word('findings');
    }
  };
  /** Counts of the tags of some facets over the runs matching every filter but `omit`: one scan of those runs. */
  const count = (letters: string[], omit?: FacetName): Array<{ tag: string; n: number }> => {
    const { sql, params } = runFilter(db, q, omit, ftsQuery);
    const tags = allTags.filter((t) => letters.includes(t.tag[0]!));
    if (sql === '1' || tags.length === 0) return tags;
    const exprParams: unknown[] = [];
    const sums = tags.map((t) => `sum(${expr(t.tag, exprParams)})`).join(', ');
    const row = db.prepare(`SELECT ${sums} FROM runs r WHERE ${sql}`).raw(true).get(...exprParams, ...params) as Array<number | null>;
    return tags.map((t, i) => ({ tag: t.tag, n: row[i] ?? 0 }));
  };
  // facets without a filter of their own share one scan of the runs matching the whole query
  const shared = facets.filter((f) => !own[f] && f !== 'label');
  if (shared.length) {
    const rows = count(shared.map((f) => TAG_FACETS[f]!));
    for (const f of shared) out[f] = toList(rows, TAG_FACETS[f]!);
  }
  for (const f of facets) {
    if (f === 'label' || !own[f]) continue;
    out[f] = toList(count([TAG_FACETS[f]!], f), TAG_FACETS[f]!);
  }
  if (hasTable(db, 'labels')) {
    const { sql, params } = runFilter(db, q, 'label', ftsQuery);
    const rows = db
      .prepare(
        `SELECT l.category AS value, count(DISTINCT l.run_id) AS count FROM labels l
         WHERE l.deleted = 0 ${sql === '1' ? '' : `AND l.run_id IN (SELECT r.run_id FROM runs r WHERE ${sql})`}
         GROUP BY l.category ORDER BY count DESC, value`,
      )
      .all(...params) as Array<{ value: string; count: number }>;
    out.label = rows;
  } else out.label = [];
  return out;
}

// ----------------------------------------------------------------------------------------------- affected set

export function saveAffected(db: Db, q: RunQuery, ftsQuery: string | null, queryJson: string, note: string | null): number {
  const { sql, params } = runFilter(db, { ...q, affectedOnly: false }, undefined, ftsQuery);
  let n = 0;
  db.transaction(() => {
    db.prepare('DELETE FROM affected_runs').run();
    n = db.prepare(`INSERT INTO affected_runs(run_id) SELECT r.run_id FROM runs r WHERE ${sql}`).run(...params).changes;
    db.prepare('INSERT OR REPLACE INTO affected_set(id, query, note, saved_at) VALUES (1, ?, ?, ?)').run(queryJson, note, new Date().toISOString());
  })();
  return n;
}

/** A refused affected-set write (the API keeps the code: electron/core/api/errors.ts toApiError). */
export class AffectedSetError extends Error {
  constructor(
    message: string,
    readonly code: 'NOT_FOUND' | 'BAD_REQUEST',
  ) {
    super(message);
    this.name = 'AffectedSetError';
  }
}

/**
 * Saves exactly these runs as the affected set (replacing the previous set), e.g. runs picked by hand.
 * Every id must be a run of the case (the runs table): otherwise nothing is saved and AffectedSetError
 * NOT_FOUND names the unknown ones. The saved query is `{ runIds }`. Duplicates count once.
 */
export function saveAffectedRunIds(db: Db, ids: readonly string[], note: string | null): number {
  const unique = [...new Set(ids)];
  if (unique.length === 0) throw new AffectedSetError('no run ids given', 'BAD_REQUEST');
  if (unique.some((id) => typeof id !== 'string' || id === '')) throw new AffectedSetError('run ids must be non-empty strings', 'BAD_REQUEST');
  const list = JSON.stringify(unique);
  let n = 0;
  db.transaction(() => {
    const missing = (db.prepare('SELECT value FROM json_each(?) WHERE value NOT IN (SELECT run_id FROM runs) ORDER BY key LIMIT 11').all(list) as Array<{ value: string }>).map((r) => r.value);
    if (missing.length) throw new AffectedSetError(`no run ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''} in this case: the affected set was not changed`, 'NOT_FOUND');
    db.prepare('DELETE FROM affected_runs').run();
    n = db.prepare('INSERT INTO affected_runs(run_id) SELECT value FROM json_each(?)').run(list).changes;
    db.prepare('INSERT OR REPLACE INTO affected_set(id, query, note, saved_at) VALUES (1, ?, ?, ?)').run(JSON.stringify({ runIds: unique }), note, new Date().toISOString());
  })();
  return n;
}

export function affectedInfo(db: Db): { query: string | null; note: string | null; savedAt: string | null; count: number } {
  const row = db.prepare('SELECT query, note, saved_at FROM affected_set WHERE id = 1').get() as { query: string; note: string | null; saved_at: string } | undefined;
  const count = (db.prepare('SELECT count(*) AS n FROM affected_runs').get() as { n: number }).n;
  return { query: row?.query ?? null, note: row?.note ?? null, savedAt: row?.saved_at ?? null, count };
}

export function affectedRunIds(db: Db): string[] {
  return (db.prepare('SELECT run_id FROM affected_runs ORDER BY run_id').all() as Array<{ run_id: string }>).map((r) => r.run_id);
}

// ----------------------------------------------------------------------------------------------- overview

export interface RunsSummary {
  total: number;
  complete: number;
  from: number | null;
  to: number | null;
}

/** Case-level counts of the runs: kept in meta at derivation (recon.summary), computed when missing. */
export function runsSummary(db: Db): RunsSummary {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'recon.summary'").get() as { value: string } | undefined;
  if (row) return JSON.parse(row.value) as RunsSummary;
  return computeRunsSummary(db);
}

export function computeRunsSummary(db: Db): RunsSummary {
  const r = db
    .prepare('SELECT count(*) AS total, coalesce(sum(n_errors = 0), 0) AS complete, min(started) AS f, max(coalesce(ended, started)) AS t FROM runs')
    .get() as { total: number; complete: number; f: number | null; t: number | null };
  return { total: r.total, complete: r.complete, from: r.f, to: r.t };
}

export function setRunsSummary(db: Db, s: RunsSummary): void {
  db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('recon.summary', ?)").run(JSON.stringify(s));
}

/** Run starts per bucket (index-only scan of runs_started). */
export function startHistogram(db: Db, from: number, bucketUs: number): Array<{ b: number; runs: number }> {
  return db
    .prepare('SELECT CAST((started - ?) / ? AS INTEGER) AS b, count(*) AS runs FROM runs INDEXED BY runs_started WHERE started IS NOT NULL GROUP BY b ORDER BY b')
    .all(from, bucketUs) as Array<{ b: number; runs: number }>;
}

/** Harmful (labelled) runs per bucket: only the labelled runs are read (runs_harmful). */
export function harmfulHistogram(db: Db, from: number, bucketUs: number): Array<{ b: number; harmful: number }> {
  return db
    .prepare('SELECT CAST((started - ?) / ? AS INTEGER) AS b, count(*) AS harmful FROM runs WHERE harmful = 1 AND started IS NOT NULL GROUP BY b ORDER BY b')
    .all(from, bucketUs) as Array<{ b: number; harmful: number }>;
}

export function metaValue(db: Db, key: string): string | null {
  return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null;
}

export function setMetaValue(db: Db, key: string, value: string): void {
  db.prepare('INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)').run(key, value);
}

export function tagCountsWithPrefix(db: Db, letter: string, limit: number): Array<{ value: string; count: number }> {
  return (
    db.prepare('SELECT tag, n FROM run_tag_counts WHERE tag >= ? AND tag < ? ORDER BY n DESC, tag LIMIT ?').all(`${letter}:`, `${letter};`, limit) as Array<{ tag: string; n: number }>
  ).map((r) => ({ value: r.tag.slice(2), count: r.n }));
}

// ----------------------------------------------------------------------------------------------- run facts

export interface RunFactRow extends RunDbRow {
  labels: string | null;
}

/** Every run in start order with its labels (category \t verdict, joined by \n), streamed. */
export function* runFactRows(db: Db, q: RunQuery = {}): Generator<RunFactRow> {
  const { sql, params } = runFilter(db, q);
  const withLabels = hasTable(db, 'labels');
  const labels = withLabels ? `(SELECT group_concat(l.category || char(9) || l.verdict, char(10)) FROM labels l WHERE l.run_id = r.run_id AND l.deleted = 0)` : 'NULL';
  yield* db.prepare(`SELECT r.*, ${labels} AS labels FROM runs r WHERE ${sql} ORDER BY r.rid`).iterate(...params) as IterableIterator<RunFactRow>;
}

// ----------------------------------------------------------------------------------------------- read-only SQL

export interface ReadOnlySqlResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
  rowCap: number;
  elapsedMs: number;
}

function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) {
    const hex = Buffer.from(v.subarray(0, 64)).toString('hex');
    return `x'${hex}'${v.length > 64 ? `… (${v.length} bytes)` : ''}`;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

/**
 * Runs one query on a separate read-only connection (`PRAGMA query_only = 1`), keeping at most rowCap rows.
 * Only statements that return rows are accepted. Meant to run on a worker thread that the caller
 * terminates on timeout (electron/core/workers/sql-worker.ts).
 */
export function runReadOnlySql(casePath: string, sql: string, rowCap: number): ReadOnlySqlResult {
  const t0 = performance.now();
  const db = openDb(casePath, { readonly: true });
  try {
    db.pragma('query_only = 1');
    const st = db.prepare(sql);
    if (!st.reader) throw new Error('only queries that return rows are allowed (SELECT, WITH …, read-only PRAGMA)');
    st.raw(true);
    const columns = st.columns().map((c) => c.name);
    const rows: unknown[][] = [];
    let truncated = false;
    for (const row of st.iterate() as IterableIterator<unknown[]>) {
      if (rows.length >= rowCap) {
        truncated = true;
        break;
      }
      rows.push(row.map(jsonSafe));
    }
    return { columns, rows, truncated, rowCap, elapsedMs: Math.round((performance.now() - t0) * 10) / 10 };
  } finally {
    db.close();
  }
}

// ------------------------------------------------------------------ large runs in API form (migration 005)

/** Runs that may be large (more steps or spans than the threshold), as candidates for large_runs. */
export function largeRunCandidates(db: Db, threshold: number): string[] {
  return (db.prepare('SELECT run_id FROM runs WHERE n_steps > ? OR n_spans > ? ORDER BY rid').pluck().all(threshold, threshold) as string[]);
}

export function storeLargeRun(db: Db, runId: string, json: string): void {
  db.prepare('INSERT OR REPLACE INTO large_runs(run_id, json) VALUES (?, ?)').run(runId, json);
}

/** The stored API form of a large run (without labels and affected-set membership), if any. */
export function largeRunJson(db: Db, runId: string): string | undefined {
  if (!hasLargeRuns(db)) return undefined;
  return db.prepare('SELECT json FROM large_runs WHERE run_id = ?').pluck().get(runId) as string | undefined;
}

export function clearLargeRuns(db: Db): void {
  if (hasLargeRuns(db)) db.exec('DELETE FROM large_runs');
}

function hasLargeRuns(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'large_runs'").get() !== undefined;
}

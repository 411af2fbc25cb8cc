/**
 * Read-side evidence queries for exports and the postmortem: the records of a run with every place each
 * one was read from (source path, line, JSON path, source SHA-256), the case's sources for the
 * chain-of-custody appendix, and per-run summaries for charts and impact figures.
 */
import type { Db } from './db';
import type { SourceRow } from './import-store';

export interface RecordSource {
  sourceId: number;
  path: string;
  sha256: string;
  format: string;
  line: number | null;
  jsonPath: string | null;
}

export interface EvidenceRecord {
  id: number;
  kind: string;
  key: string;
  runId: string | null;
  traceId: string | null;
  spanId: string | null;
  ts: number | null;
  endTs: number | null;
  name: string | null;
  data: unknown;
  /** Every file the record was read from; the first is where it was first seen. */
  sources: RecordSource[];
}

interface RecordRow {
  id: number;
  kind: string;
  key: string;
  run_id: string | null;
  trace_id: string | null;
  span_id: string | null;
  ts: number | null;
  end_ts: number | null;
  name: string | null;
  data: string;
}

function attachSources(db: Db, rows: RecordRow[]): EvidenceRecord[] {
  const out: EvidenceRecord[] = rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    key: r.key,
    runId: r.run_id,
    traceId: r.trace_id,
    spanId: r.span_id,
    ts: r.ts,
    endTs: r.end_ts,
    name: r.name,
    data: JSON.parse(r.data) as unknown,
    sources: [],
  }));
  const byId = new Map(out.map((r) => [r.id, r]));
  const ids = out.map((r) => r.id);
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const prov = db
      .prepare(
        `SELECT p.record_id AS recordId, p.source_id AS sourceId, s.path AS path, s.sha256 AS sha256, s.format AS format, p.line AS line, p.path AS jsonPath
         FROM record_provenance p JOIN sources s ON s.id = p.source_id
         WHERE p.record_id IN (${chunk.map(() => '?').join(',')}) ORDER BY p.record_id, p.seq`,
      )
      .all(...chunk) as Array<RecordSource & { recordId: number }>;
    for (const p of prov) byId.get(p.recordId)?.sources.push({ sourceId: p.sourceId, path: p.path, sha256: p.sha256, format: p.format, line: p.line, jsonPath: p.jsonPath });
  }
  return out;
}

/**
 * The records of one run, in time order: those carrying the run id, plus records without a run id that
 * share a trace with them (spans, OPA decisions). A `trace:<id>` run is the records of that trace.
 */
export function runRecords(db: Db, runId: string, limit = 20_000): EvidenceRecord[] {
  const m = /^trace:([0-9a-f]{32})$/.exec(runId);
  const rows = (m
    ? db.prepare('SELECT id, kind, key, run_id, trace_id, span_id, ts, end_ts, name, data FROM records WHERE trace_id = ? ORDER BY coalesce(ts, 0), id LIMIT ?').all(m[1], limit)
    : db
        .prepare(
          `SELECT id, kind, key, run_id, trace_id, span_id, ts, end_ts, name, data FROM records WHERE run_id = ?
           UNION
           SELECT id, kind, key, run_id, trace_id, span_id, ts, end_ts, name, data FROM records
             WHERE run_id IS NULL AND trace_id IN (SELECT DISTINCT trace_id FROM records WHERE run_id = ? AND trace_id IS NOT NULL)
           ORDER BY 7, 1 LIMIT ?`,
        )
        .all(runId, runId, limit)) as RecordRow[];
  return attachSources(db, rows);
}

/** Records by key (e.g. `decision:<id>` referenced from an audit event). Missing keys are absent. */
export function recordsByKeys(db: Db, keys: string[]): EvidenceRecord[] {
  const rows: RecordRow[] = [];
  const st = db.prepare('SELECT id, kind, key, run_id, trace_id, span_id, ts, end_ts, name, data FROM records WHERE key = ?');
  for (const k of new Set(keys)) {
    const r = st.get(k) as RecordRow | undefined;
    if (r) rows.push(r);
  }
  return attachSources(db, rows);
}

/** Every source of the case, in import order (for the chain-of-custody appendix). */
export function caseSources(db: Db): SourceRow[] {
  return db.prepare('SELECT * FROM sources ORDER BY id').all() as SourceRow[];
}

export function caseMeta(db: Db): Record<string, string> {
  const rows = db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>;
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

export interface RunBrief {
  runId: string;
  startedAt: number | null;
  endedAt: number | null;
  workflow: string | null;
  modelVersion: string | null;
  writes: number;
}

/**
 * One row per run id carried by audit records (start/end, workflow, the model version of its model calls,
 * write count), for charts and impact figures. Runs known only from spans are counted by `runCount`.
 */
export function runBriefs(db: Db): RunBrief[] {
  return db
    .prepare(
      `SELECT run_id AS runId, min(ts) AS startedAt, max(coalesce(end_ts, ts)) AS endedAt,
              max(json_extract(data, '$.event.workflow')) AS workflow,
              max(CASE WHEN json_extract(data, '$.event.type') = 'model.call' THEN json_extract(data, '$.event.model.version') END) AS modelVersion,
              sum(CASE WHEN json_extract(data, '$.event.type') = 'write' THEN 1 ELSE 0 END) AS writes
       FROM records WHERE kind = 'audit' AND run_id IS NOT NULL GROUP BY run_id ORDER BY startedAt`,
    )
    .all() as RunBrief[];
}

/** The instants of user-harm signals and approvals (for the timeline): audit user.signal events, time ordered. */
export function signalEvents(db: Db, limit = 2000): Array<{ runId: string | null; key: string; ts: number | null; kind: string; note: string | null }> {
  return db
    .prepare(
      `SELECT run_id AS runId, key, ts, json_extract(data, '$.event.signal.kind') AS kind, json_extract(data, '$.event.signal.note') AS note
       FROM records WHERE kind = 'audit' AND json_extract(data, '$.event.type') = 'user.signal' ORDER BY ts LIMIT ?`,
    )
    .all(limit) as Array<{ runId: string | null; key: string; ts: number | null; kind: string; note: string | null }>;
}

/** The case's schema version (PRAGMA user_version). */
export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function hasTable(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Runs in the saved affected set (recon's affected_runs), or null when none was saved. */
export function affectedRunCount(db: Db): number | null {
  if (!hasTable(db, 'affected_set') || !hasTable(db, 'affected_runs')) return null;
  if (!db.prepare('SELECT 1 FROM affected_set WHERE id = 1').get()) return null;
  return (db.prepare('SELECT count(*) AS n FROM affected_runs').get() as { n: number }).n;
}

/** Number of runs: recon's runs table when it has been built, else the distinct run ids and unowned traces. */
export function runTotal(db: Db): number {
  if (hasTable(db, 'runs')) {
    const n = (db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
    if (n > 0) return n;
  }
  const row = db
    .prepare(
      `WITH run_traces AS (SELECT DISTINCT trace_id FROM records WHERE run_id IS NOT NULL AND trace_id IS NOT NULL)
       SELECT (SELECT count(DISTINCT run_id) FROM records WHERE run_id IS NOT NULL AND kind IN ('audit','span','decision','log'))
            + (SELECT count(DISTINCT trace_id) FROM records WHERE kind = 'span' AND trace_id IS NOT NULL AND trace_id NOT IN (SELECT trace_id FROM run_traces)) AS n`,
    )
    .get() as { n: number };
  return row.n;
}

/** ts of records by key (labelled steps' times). */
export function recordTimes(db: Db, keys: string[]): Map<string, { ts: number | null; kind: string; type: string | null }> {
  const st = db.prepare("SELECT ts, kind, json_extract(data, '$.event.type') AS type FROM records WHERE key = ?");
  const out = new Map<string, { ts: number | null; kind: string; type: string | null }>();
  for (const k of new Set(keys)) {
    const r = st.get(k) as { ts: number | null; kind: string; type: string | null } | undefined;
    if (r) out.set(k, r);
  }
  return out;
}

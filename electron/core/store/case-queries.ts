import type { Db } from './db';
import type { SourceRow } from './import-store';
import { derivedRunCount } from './runs-derive';

export interface CaseTotals {
  runs: number;
  spans: number;
  decisions: number;
  lineageEvents: number;
  auditEvents: number;
  logs: number;
  quarantined: number;
  skipped: number;
  sources: number;
}

export interface QuarantineEntry {
  id: number;
  sourceId: number;
  sourcePath: string;
  line: number | null;
  path: string | null;
  reason: string;
  raw: string | null;
}

/** Read-side queries over the evidence tables that import and its CLI need. */
export class CaseQueries {
  constructor(private readonly db: Db) {}

  sources(): SourceRow[] {
    return this.db.prepare('SELECT * FROM sources ORDER BY id').all() as SourceRow[];
  }

  aliases(): Array<{ source_id: number; path: string; seen_at: string }> {
    return this.db.prepare('SELECT * FROM source_aliases ORDER BY source_id, path').all() as Array<{ source_id: number; path: string; seen_at: string }>;
  }

  totals(): CaseTotals {
    const kinds = this.db.prepare('SELECT kind, count(*) AS n FROM records GROUP BY kind').all() as Array<{ kind: string; n: number }>;
    const by = Object.fromEntries(kinds.map((k) => [k.kind, k.n]));
    const one = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    return {
      runs: this.runCount(),
      spans: by.span ?? 0,
      decisions: by.decision ?? 0,
      lineageEvents: by.lineage ?? 0,
      auditEvents: by.audit ?? 0,
      logs: by.log ?? 0,
      quarantined: one('SELECT count(*) AS n FROM quarantine'),
      skipped: one('SELECT count(*) AS n FROM skipped'),
      sources: one("SELECT count(*) AS n FROM sources WHERE status = 'complete'"),
    };
  }

  /**
   * Runs: distinct run ids carried by records, plus traces that no record ties to a run
   * (such a trace is a run of its own, `trace:<id>`).
   */
  runCount(): number {
    // the derived runs table (electron/core/recon/derive.ts) when it is up to date; the same rule otherwise
    const derived = derivedRunCount(this.db);
    if (derived !== null) return derived;
    const row = this.db
      .prepare(
        `WITH run_traces AS (SELECT DISTINCT trace_id FROM records WHERE run_id IS NOT NULL AND trace_id IS NOT NULL)
         SELECT (SELECT count(DISTINCT run_id) FROM records WHERE run_id IS NOT NULL AND kind IN ('audit','span','decision','log'))
              + (SELECT count(DISTINCT trace_id) FROM records WHERE kind = 'span' AND trace_id IS NOT NULL AND trace_id NOT IN (SELECT trace_id FROM run_traces)) AS n`,
      )
      .get() as { n: number };
    return row.n;
  }

  quarantine(limit = 10_000, offset = 0): QuarantineEntry[] {
    return this.db
      .prepare(
        `SELECT q.id, q.source_id AS sourceId, s.path AS sourcePath, q.line, q.path, q.reason, q.raw
         FROM quarantine q JOIN sources s ON s.id = q.source_id ORDER BY q.id LIMIT ? OFFSET ?`,
      )
      .all(limit, offset) as QuarantineEntry[];
  }

  skippedSummary(): Array<{ sourceId: number; reason: string; n: number }> {
    return this.db
      .prepare('SELECT source_id AS sourceId, reason, count(*) AS n FROM skipped GROUP BY source_id, reason ORDER BY source_id')
      .all() as Array<{ sourceId: number; reason: string; n: number }>;
  }

  documents(format: string): Array<{ sourceId: number; text: string; container: string | null; member: string | null; path: string }> {
    return this.db
      .prepare('SELECT d.source_id AS sourceId, d.text, s.container, s.member, s.path FROM documents d JOIN sources s ON s.id = d.source_id WHERE d.format = ? ORDER BY d.source_id')
      .all(format) as Array<{ sourceId: number; text: string; container: string | null; member: string | null; path: string }>;
  }

  setManifestHash(sourceId: number, sha256: string): void {
    this.db.prepare('UPDATE sources SET manifest_sha256 = ? WHERE id = ?').run(sha256, sourceId);
  }

  integrityCheck(): string[] {
    const rows = this.db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    return rows.map((r) => r.integrity_check).filter((s) => s !== 'ok');
  }

  /** Audit events grouped per run in chain order, for hash-chain verification. Streams to keep memory flat. */
  *auditEventsInChainOrder(): Generator<{ runId: string; data: string; sourcePath: string; line: number | null }> {
    const it = this.db
      .prepare(
        `SELECT runId, data, s.path AS sourcePath, line FROM (
           SELECT r.run_id AS runId, r.data AS data,
             -- the first provenance: in the row (migration 004), or the oldest provenance row (older cases)
             coalesce(r.source_id, (SELECT p.source_id FROM provenance p WHERE p.record_id = r.id ORDER BY p.rowid LIMIT 1)) AS sourceId,
             CASE WHEN r.source_id IS NOT NULL THEN r.line ELSE (SELECT p.line FROM provenance p WHERE p.record_id = r.id ORDER BY p.rowid LIMIT 1) END AS line
           FROM records r WHERE r.kind = 'audit'
         ) JOIN sources s ON s.id = sourceId
         ORDER BY runId, coalesce(json_extract(data, '$.event.seq'), 0), sourceId, line`,
      )
      .iterate() as IterableIterator<{ runId: string; data: string; sourcePath: string; line: number | null }>;
    yield* it;
  }
}

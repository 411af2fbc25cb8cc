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
        `SELECT r.run_id AS runId, r.data AS data, s.path AS sourcePath, p.line AS line
         FROM records r
         JOIN provenance p ON p.record_id = r.id AND p.rowid = (SELECT min(rowid) FROM provenance WHERE record_id = r.id)
         JOIN sources s ON s.id = p.source_id
         WHERE r.kind = 'audit'
         ORDER BY r.run_id, coalesce(json_extract(r.data, '$.event.seq'), 0), p.source_id, p.line`,
      )
      .iterate() as IterableIterator<{ runId: string; data: string; sourcePath: string; line: number | null }>;
    yield* it;
  }
}

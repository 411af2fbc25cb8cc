import type { Db } from './db';

/**
 * Secondary indexes on the evidence tables that a large import drops first and rebuilds once at the end
 * (one sort per index instead of millions of random B-tree inserts). Their definitions match migration 001.
 * A case opened after a crash in the middle of a bulk import gets them back (ensureBulkIndexes at open).
 */
const BULK_INDEXES: Array<{ name: string; sql: string }> = [
  { name: 'records_run', sql: 'CREATE INDEX IF NOT EXISTS records_run ON records(run_id, ts) WHERE run_id IS NOT NULL' },
  { name: 'records_trace', sql: 'CREATE INDEX IF NOT EXISTS records_trace ON records(trace_id, span_id) WHERE trace_id IS NOT NULL' },
  { name: 'records_kind_ts', sql: 'CREATE INDEX IF NOT EXISTS records_kind_ts ON records(kind, ts)' },
];

export function dropBulkIndexes(db: Db): void {
  db.transaction(() => {
    for (const ix of BULK_INDEXES) db.exec(`DROP INDEX IF EXISTS ${ix.name}`);
    db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('bulk_import', ?)").run(new Date().toISOString());
  })();
}

export function ensureBulkIndexes(db: Db): void {
  const have = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as Array<{ name: string }>).map((r) => r.name));
  if (BULK_INDEXES.every((ix) => have.has(ix.name))) return;
  // the sorts of CREATE INDEX spill to temporary files: to disk, not memory (temp_store MEMORY would keep the
  // whole sort of a large import in RSS: +160 MB at 2.8 M records)
  const tempStore = db.pragma('temp_store', { simple: true }) as number;
  const threads = db.pragma('threads', { simple: true }) as number;
  db.pragma('temp_store = FILE');
  // sorter helper threads: each index's sort runs beside the scan of the table (measured on a 300k-run case:
  // 2.7–2.9 s → 2.3–2.4 s for the three, same RSS; docs/performance.md)
  db.pragma('threads = 2');
  try {
    db.transaction(() => {
      for (const ix of BULK_INDEXES) db.exec(ix.sql);
      db.prepare("DELETE FROM meta WHERE key = 'bulk_import'").run();
    })();
  } finally {
    db.pragma(`temp_store = ${tempStore}`);
    db.pragma(`threads = ${threads}`);
  }
  // statistics of the rebuilt indexes (the rest of the case is analyzed where it changes: runs at derivation),
  // from a sample of each index as at derivation: a full ANALYZE reads all three (0.5 s at 2.8 M records) for
  // the same sqlite_stat1 rows (measured on the 300k-run bench case)
  const limit = db.pragma('analysis_limit', { simple: true }) as number;
  db.pragma('analysis_limit = 400');
  try {
    for (const ix of BULK_INDEXES) db.exec(`ANALYZE ${ix.name}`);
  } finally {
    db.pragma(`analysis_limit = ${limit}`);
  }
}

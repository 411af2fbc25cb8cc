import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { MIGRATIONS } from './migrations/index';
import { ensureBulkIndexes } from './indexes';

export type Db = Database.Database;

/** The newest schema version this build knows (versions may be registered out of order while a gap is being filled). */
const LATEST_VERSION = Math.max(0, ...MIGRATIONS.map((m) => m.version));

export interface OpenOptions {
  readonly?: boolean;
  /** memory-map the file for reads (default true); the import writer turns it off to keep its RSS flat */
  mmap?: boolean;
  /** create the file if missing (default true unless readonly) */
  create?: boolean;
  /** page cache in MiB (default 64) */
  cacheMiB?: number;
}

/**
 * Page size of a case file created by this build (existing cases keep theirs): 64 KiB, SQLite's largest. A case is
 * mostly large tables written in order and read in long scans (the index rebuild reads `records` three times,
 * the derivation once more): a quarter of the system calls of 16 KiB pages for the same bytes. Measured on the
 * 300k-run bench bundle (docs/performance.md): index rebuild 2.73–2.86 → 2.15–2.38 s in a slow spell of the
 * machine, within noise in a fast one; query benchmarks on a 1M-run case the same or faster; peak RSS the same
 * (page caches are sized in KiB).
 */
export const NEW_CASE_PAGE_SIZE = 65536;

export class CaseOpenError extends Error {}

/** Open a case file, applying pragmas and pending migrations. The only place a case database is opened. */
export function openDb(file: string, opts: OpenOptions = {}): Db {
  const readonly = opts.readonly ?? false;
  if (readonly) recoverHotJournal(file);
  let db: Db;
  try {
    db = new Database(file, { readonly, fileMustExist: readonly || opts.create === false });
  } catch (e) {
    throw new CaseOpenError(`cannot open case ${file}: ${(e as Error).message}`);
  }
  db.pragma('busy_timeout = 10000');
  if (!readonly) {
    // a new case gets NEW_CASE_PAGE_SIZE pages (set before WAL: the page size of a WAL database cannot change).
    // Measured on the import writer's inserts: 16 KiB took a third less time than SQLite's default 4 KiB.
    if ((db.pragma('page_count', { simple: true }) as number) === 0) db.pragma(`page_size = ${NEW_CASE_PAGE_SIZE}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    ensureBulkIndexes(db);
  } else {
    const v = db.pragma('user_version', { simple: true }) as number;
    if (v > LATEST_VERSION) throw new CaseOpenError(`case ${file} was written by a newer Casefile (schema ${v})`);
  }
  db.pragma(`cache_size = -${Math.round((opts.cacheMiB ?? 64) * 1024)}`); // page cache (64 MiB by default)
  db.pragma('temp_store = MEMORY');
  db.pragma(`mmap_size = ${opts.mmap === false ? 0 : 268435456}`);
  return db;
}

/**
 * A bulk import killed mid-transaction leaves a hot rollback journal (beginExclusiveJournal). SQLite rolls it
 * back on the next read-write open; a read-only connection cannot, and fails. So before opening read-only,
 * a case with a journal beside it is opened read-write once (SQLite itself decides whether the journal is
 * hot: a live writer's journal is left alone). When that is not possible (read-only media), the read-only
 * open below reports the problem.
 */
function recoverHotJournal(file: string): void {
  try {
    if (!existsSync(`${file}-journal`) || statSync(`${file}-journal`).size === 0) return;
    const rw = new Database(file, { fileMustExist: true });
    try {
      rw.pragma('busy_timeout = 10000');
      rw.pragma('schema_version');
    } finally {
      rw.close();
    }
  } catch {
    // not writable here: the read-only open says what is wrong
  }
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > LATEST_VERSION) throw new CaseOpenError(`case was written by a newer Casefile (schema ${current})`);
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.up);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  if (current === 0) {
    db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('created_at', ?), ('format', 'casefile/1')").run(new Date().toISOString());
  }
}

/**
 * A bulk import's journal: while the import writer is the case's only connection, a rollback journal instead
 * of the WAL — each new page is written once (to the database file) instead of twice (to the WAL, then to
 * the database at the checkpoint), and no WAL index is kept. Crash safety is the same: a transaction cut
 * short leaves a hot journal that SQLite rolls back when the case is next opened. When another connection has
 * the case open (the app's readers), SQLite refuses the switch and the import stays in WAL mode.
 * Returns whether the switch happened; endExclusiveJournal goes back to WAL.
 */
export function beginExclusiveJournal(db: Db): boolean {
  try {
    return String(db.pragma('journal_mode = DELETE', { simple: true })).toLowerCase() === 'delete';
  } catch {
    return false;
  }
}

export function endExclusiveJournal(db: Db): void {
  db.pragma('journal_mode = WAL');
}

/** Fold the WAL back into the main file (after a large import, before copying a case). */
export function checkpoint(db: Db): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
}

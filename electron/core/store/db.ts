import Database from 'better-sqlite3';
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

export class CaseOpenError extends Error {}

/** Open a case file, applying pragmas and pending migrations. The only place a case database is opened. */
export function openDb(file: string, opts: OpenOptions = {}): Db {
  const readonly = opts.readonly ?? false;
  let db: Db;
  try {
    db = new Database(file, { readonly, fileMustExist: readonly || opts.create === false });
  } catch (e) {
    throw new CaseOpenError(`cannot open case ${file}: ${(e as Error).message}`);
  }
  db.pragma('busy_timeout = 10000');
  if (!readonly) {
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

/** Fold the WAL back into the main file (after a large import, before copying a case). */
export function checkpoint(db: Db): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
}

import type { Db } from './db';

/** Small read queries the API service needs beyond CaseQueries (electron/core/api/handlers.ts). */
export class ApiQueries {
  constructor(private readonly db: Db) {}

  quarantineCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM quarantine').get() as { n: number }).n;
  }

  /** Changes whenever another connection commits to the case (SQLite PRAGMA data_version): a cache key. */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  /** The schema version of the case file (migrations applied). */
  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }
}

/**
 * The read-only SQL console backend: one query on a separate read-only connection (`query_only`), at most
 * rowCap rows, interrupted after timeoutMs. better-sqlite3 cannot interrupt a running statement, so the query
 * runs on its own worker thread (electron/core/workers/sql-worker.ts), terminated on timeout.
 */
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import type { SqlResult } from '../../../shared/api';
import { distFile } from '../workers/locate';
import { ReconError } from './reconstruct';

export const DEFAULT_ROW_CAP = 1000;
export const DEFAULT_TIMEOUT_MS = 10_000;

export class SqlTimeoutError extends Error {
  readonly code = 'TIMEOUT';
  constructor(ms: number) {
    super(`query interrupted after ${ms} ms`);
    this.name = 'SqlTimeoutError';
  }
}

export function sqlQuery(casePath: string, sql: string, rowCap: number = DEFAULT_ROW_CAP, timeoutMs: number = DEFAULT_TIMEOUT_MS): Promise<SqlResult> {
  if (typeof sql !== 'string' || sql.trim() === '') return Promise.reject(new ReconError('empty query', 'BAD_REQUEST'));
  const cap = Math.max(1, Math.min(1_000_000, Math.floor(rowCap)));
  const limit = Math.max(1, Math.floor(timeoutMs));
  return new Promise<SqlResult>((resolvePromise, reject) => {
    const worker = new Worker(distFile('sql-worker.cjs'), { workerData: { casePath: resolve(casePath), sql, rowCap: cap }, name: 'casefile-sql' });
    let settled = false;
    const done = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const timer = setTimeout(() => done(() => {
      void worker.terminate();
      reject(new SqlTimeoutError(limit));
    }), limit);
    worker.on('message', (m: { ok: true; result: SqlResult } | { ok: false; error: string }) =>
      done(() => {
        void worker.terminate();
        if (m.ok) resolvePromise(m.result);
        else reject(new ReconError(m.error, 'BAD_REQUEST'));
      }),
    );
    worker.on('error', (e) => done(() => reject(e)));
    worker.on('exit', (code) => done(() => reject(new Error(`sql worker exited with code ${code}`))));
  });
}

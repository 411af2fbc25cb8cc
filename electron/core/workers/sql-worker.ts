/** One read-only SQL query on its own thread, so that the caller can interrupt it by terminating the thread. */
import { parentPort, workerData } from 'node:worker_threads';
import { runReadOnlySql } from '../store/runs-store';

const { casePath, sql, rowCap } = workerData as { casePath: string; sql: string; rowCap: number };
try {
  parentPort!.postMessage({ ok: true, result: runReadOnlySql(casePath, sql, rowCap) });
} catch (e) {
  parentPort!.postMessage({ ok: false, error: (e as Error).message });
}

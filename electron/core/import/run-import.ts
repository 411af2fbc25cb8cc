import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import type { ImportProgress, ImportResult } from '../../../shared/import-types';
import { distFile } from '../workers/locate';
import { runWriter } from './writer';

export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void;
  signal?: AbortSignal;
  /** write on this thread (the CLI: its main thread is free) instead of a writer worker */
  inThisThread?: boolean;
}

/**
 * Import inputs (files, folders, .zip, .tar.gz) into a case, off the caller's thread: a writer worker
 * owns the database and a reader worker parses. Resolves with the summary; a cancel leaves the case
 * consistent (the source being written is rolled back, earlier ones stay).
 */
export function importIntoCase(casePath: string, inputs: string[], opts: ImportOptions = {}): Promise<ImportResult> {
  if (opts.inThisThread) {
    return new Promise((resolvePromise, reject) => {
      runWriter(resolve(casePath), inputs.map((i) => resolve(i)), {
        progress: (p) => opts.onProgress?.(p),
        result: resolvePromise,
        onCancel: (cancel) => {
          if (opts.signal?.aborted) queueMicrotask(cancel);
          else opts.signal?.addEventListener('abort', cancel, { once: true });
        },
      }).catch(reject);
    });
  }
  return new Promise((resolvePromise, reject) => {
    const w = new Worker(distFile('import-worker.cjs'), { workerData: { casePath: resolve(casePath), inputs: inputs.map((i) => resolve(i)) }, resourceLimits: { maxYoungGenerationSizeMb: 16 } });
    let settled = false;
    const onAbort = () => w.postMessage('cancel');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    w.on('message', (m: { type: 'progress'; progress: ImportProgress } | { type: 'result'; result: ImportResult } | { type: 'error'; message: string }) => {
      if (m.type === 'progress') opts.onProgress?.(m.progress);
      else if (m.type === 'result') {
        settled = true;
        opts.signal?.removeEventListener('abort', onAbort);
        void w.terminate();
        resolvePromise(m.result);
      } else {
        settled = true;
        void w.terminate();
        reject(new Error(m.message));
      }
    });
    w.on('error', (e) => {
      if (!settled) reject(e);
    });
    w.on('exit', (code) => {
      if (!settled) reject(new Error(`import worker exited with code ${code}`));
    });
  });
}

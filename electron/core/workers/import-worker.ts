/** Writer thread: owns the case database during an import; spawns the reader thread and applies its batches. */
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { checkpoint, openDb } from '../store/db';
import { ImportApplier, inputBytes } from '../import/apply';
import type { ReaderMsg } from '../import/reader';
import { distFile } from './locate';

const { casePath, inputs } = workerData as { casePath: string; inputs: string[] };
const port = parentPort!;

async function main() {
  const db = openDb(casePath, { mmap: false });
  const applier = new ImportApplier(db);
  const known = [...applier.store.knownHashes()];
  const total = await inputBytes(inputs);
  applier.startBulkIfLarge(total);
  const started = Date.now();
  let bytes = 0;
  let lastProgress = 0;
  let cancelled = false;
  const reader = new Worker(distFile('reader-worker.cjs'), { workerData: { inputs, known } });

  const finish = (crash?: string) => {
    applier.abort();
    if (crash) applier.errors.push(`import failed: ${crash}`);
    const result = applier.finish(casePath, cancelled);
    checkpoint(db);
    db.close();
    port.postMessage({ type: 'result', result });
  };

  port.on('message', (m: string) => {
    if (m === 'cancel' && !cancelled) {
      cancelled = true;
      reader.postMessage('cancel');
      void reader.terminate().then(() => finish());
    }
  });

  reader.on('message', ({ msg, bytes: b }: { msg: ReaderMsg | { t: 'done' } | { t: 'crash'; reason: string }; bytes: number }) => {
    if (cancelled) return;
    bytes = b;
    if (msg.t === 'done') {
      port.postMessage({ type: 'progress', progress: applier.progress(bytes, total, started) });
      void reader.terminate();
      finish();
      return;
    }
    if (msg.t === 'crash') {
      void reader.terminate();
      finish(msg.reason);
      return;
    }
    try {
      applier.apply(msg);
    } catch (e) {
      cancelled = true;
      void reader.terminate();
      finish((e as Error).stack ?? String(e));
      return;
    }
    if (msg.t === 'rows') reader.postMessage('ack');
    const now = Date.now();
    if (now - lastProgress > 150 || msg.t === 'end') {
      lastProgress = now;
      port.postMessage({ type: 'progress', progress: applier.progress(bytes, total, started) });
    }
  });
  reader.on('error', (e) => finish(e.stack ?? e.message));
}

main().catch((e: Error) => port.postMessage({ type: 'error', message: e.stack ?? e.message }));

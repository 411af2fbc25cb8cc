/** Writer thread for imports started by the app or the loopback server: runWriter (electron/core/import/writer.ts) on a worker. */
import { parentPort, workerData } from 'node:worker_threads';
import { runWriter } from '../import/writer';

const { casePath, inputs } = workerData as { casePath: string; inputs: string[] };
const port = parentPort!;

runWriter(casePath, inputs, {
  progress: (progress) => port.postMessage({ type: 'progress', progress }),
  result: (result) => port.postMessage({ type: 'result', result }),
  onCancel: (cancel) => port.on('message', (m: string) => m === 'cancel' && cancel()),
}).catch((e: Error) => port.postMessage({ type: 'error', message: e.stack ?? e.message }));

/** Reader thread: reads, hashes, sniffs, frames and maps the inputs; posts row batches to the writer. */
import { parentPort, workerData } from 'node:worker_threads';
import { readInputs } from '../import/reader';

const { inputs, known } = workerData as { inputs: string[]; known: string[] };
const port = parentPort!;
const MAX_IN_FLIGHT = 6;
let inFlight = 0;
let wake: (() => void) | null = null;
let cancelled = false;
let bytes = 0;

port.on('message', (m: string) => {
  if (m === 'ack') {
    inFlight--;
    wake?.();
  } else if (m === 'cancel') {
    cancelled = true;
    wake?.();
  }
});

async function main() {
  for await (const msg of readInputs(inputs, { known: new Set(known), onRawBytes: (n) => (bytes += n), isCancelled: () => cancelled })) {
    if (cancelled) break;
    if (msg.t === 'rows') {
      while (inFlight >= MAX_IN_FLIGHT && !cancelled) await new Promise<void>((r) => (wake = r));
      inFlight++;
    }
    port.postMessage({ msg, bytes });
  }
  port.postMessage({ msg: { t: 'done' }, bytes });
}

main().catch((e: Error) => port.postMessage({ msg: { t: 'crash', reason: e.stack ?? e.message }, bytes }));

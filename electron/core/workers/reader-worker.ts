/**
 * Reader thread: reads, hashes, sniffs and frames the inputs. Documents and small files are mapped here and
 * posted to the writer as row batches; the lines of line-based files are cut into blocks and handed to the
 * parse workers (round robin), whose rows go straight to the writer. `ack` from the writer frees a slot.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { readInputs } from '../import/reader';
import type { BlockJob } from './parse-worker';
import { osThreadId } from './thread-cpu';

const { inputs, known, parsers } = workerData as { inputs: string[]; known: string[]; parsers: MessagePort[] };
const port = parentPort!;
const MAX_IN_FLIGHT = 2 + 2 * parsers.length;
let inFlight = 0;
let wake: (() => void) | null = null;
let cancelled = false;
let bytes = 0;
let src = -1;
let next = 0;

port.on('message', (m: string) => {
  if (m === 'ack') {
    inFlight--;
    wake?.();
  } else if (m === 'cancel') {
    cancelled = true;
    wake?.();
  }
});

async function room(): Promise<void> {
  while (inFlight >= MAX_IN_FLIGHT && !cancelled) await new Promise<void>((r) => (wake = r));
  inFlight++;
}

/** Until the writer has stored everything handed out so far (blocks and row messages). */
async function drain(): Promise<void> {
  while (inFlight > 0 && !cancelled) await new Promise<void>((r) => (wake = r));
}

async function main() {
  port.postMessage({ tid: osThreadId() });
  const parallel = parsers.length
    ? async (format: BlockJob['format'], block: BlockJob['block'], seq: number) => {
        await room();
        const job: BlockJob = { src, seq, format, block, bytes };
        // the block's bytes move to the parser instead of being copied (a buffer of its own: not a slice of
        // Node's shared pool, which must stay here)
        const buf = 'buf' in block ? block.buf : null;
        const own = buf !== null && buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.byteLength > 4096;
        parsers[next]!.postMessage(job, own ? [buf.buffer as ArrayBuffer] : []);
        next = (next + 1) % parsers.length;
      }
    : undefined;
  for await (const msg of readInputs(inputs, { known: new Set(known), onRawBytes: (n) => (bytes += n), isCancelled: () => cancelled, parallel, drain: parallel ? drain : undefined })) {
    if (cancelled) break;
    if (msg.t === 'begin') src++;
    if (msg.t === 'rows') await room();
    port.postMessage({ msg, bytes });
  }
  port.postMessage({ msg: { t: 'done' }, bytes });
}

main().catch((e: Error) => port.postMessage({ msg: { t: 'crash', reason: e.stack ?? e.message }, bytes }));

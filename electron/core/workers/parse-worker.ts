/**
 * Parse worker: turns blocks of lines (cut by the reader thread) into rows for the writer thread — UTF-8
 * decoding, JSON.parse, the format's mapper, the record's facts. Several run side by side; the writer
 * stores their results in block order. Ports come from the writer (electron/core/workers/import-worker.ts).
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import type { FormatName } from '../../../shared/model';
import type { ParseBlock } from '../import/framing';
import { parseLineBlockPacked } from '../import/reader';
import { osThreadId } from './thread-cpu';
import { packedTransfer, reuseDataBuffer } from '../store/packed-rows';

export interface BlockJob {
  src: number;
  seq: number;
  /** input bytes read when the block was cut: the writer's progress once the block is stored */
  bytes: number;
  format: FormatName;
  block: { buf: Uint8Array; firstLine: number; lines: number } | { error: Extract<ParseBlock, { error: unknown }>['error'] };
}

const { blocksIn, rowsOut } = workerData as { blocksIn: MessagePort; rowsOut: MessagePort };

rowsOut.postMessage({ tid: osThreadId() });
// the data buffers of stored blocks, back from the writer: the packer fills them again
rowsOut.on('message', (m: { free?: ArrayBuffer }) => {
  if (m.free) reuseDataBuffer(m.free);
});

blocksIn.on('message', (job: BlockJob) => {
  const b = job.block;
  const block: ParseBlock = 'error' in b ? b : { buf: Buffer.from(b.buf.buffer, b.buf.byteOffset, b.buf.byteLength), firstLine: b.firstLine, lines: b.lines };
  try {
    const rows = parseLineBlockPacked(job.format, block);
    // the packed arrays move to the writer (no copy on either side)
    rowsOut.postMessage({ src: job.src, seq: job.seq, bytes: job.bytes, rows }, packedTransfer(rows.packed));
  } catch (e) {
    rowsOut.postMessage({ src: job.src, seq: job.seq, crash: (e as Error).stack ?? String(e) });
  }
});

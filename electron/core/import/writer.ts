/**
 * The import's writer: owns the case database during an import. It spawns the reader thread and the parse
 * workers, wires them together (reader → parsers: blocks of lines; parsers → writer: rows) and applies
 * everything in order: the reader's messages as they come, and the parsers' rows of the source being written
 * in block order (a source's 'end' waits for its last block). One transaction per source.
 *
 * It runs on a worker thread of its own for the app and the loopback server (electron/core/workers/
 * import-worker.ts), and on the CLI's main thread, which has nothing else to do (one isolate less).
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ImportProgress, ImportResult } from '../../../shared/import-types';
import { checkpoint, openDb } from '../store/db';
import { ImportApplier, inputBytes } from './apply';
import type { ReaderMsg } from './reader';
import { distFile } from '../workers/locate';
import { lowerThreadPriority, osThreadId, threadCpuMs } from '../workers/thread-cpu';

export interface WriterIO {
  progress(p: ImportProgress): void;
  result(r: ImportResult): void;
  /** register what to do when the caller cancels */
  onCancel(cancel: () => void): void;
}

/**
 * A smaller young generation than V8's default for the import threads: their garbage is short-lived (parsed
 * lines, rows in flight), and five isolates with full-size nurseries cost ~100 MB of RSS for little speed.
 */
export const THREAD_LIMITS = { maxYoungGenerationSizeMb: 16 };

/**
 * The parse threads' scheduling priority (nice), below the writer's. The writer is the one stage of the pipeline
 * that cannot be spread over threads, and with more runnable threads than cores (writer, parsers, reader, V8's
 * collector threads) the scheduler gave it a fair share, not a core: measured on the 300k-run bench import it
 * ran ~60–70 % of the streaming and waited for a CPU most of the rest. Parse threads have idle time to spare (they
 * wait on the writer's back-pressure), so they yield to it first. CASEFILE_PARSER_NICE overrides (0: off).
 */
const PARSER_NICE = process.env.CASEFILE_PARSER_NICE !== undefined ? Number(process.env.CASEFILE_PARSER_NICE) : 10;

/** Parse workers: every core but the writer's, at least two (parsing is most of an import's CPU), at most four. */
const PARSERS = Math.max(2, Math.min(4, availableParallelism() - 1));

type FromReader = { msg: ReaderMsg | { t: 'done' } | { t: 'crash'; reason: string }; bytes: number };
type FromParser = { src: number; seq: number; bytes: number; rows?: Extract<ReaderMsg, { t: 'rows' }>; crash?: string } | { tid: number | null };
type Block = { rows: Extract<ReaderMsg, { t: 'rows' }>; bytes: number; parser: number };

export async function runWriter(casePath: string, inputs: string[], io: WriterIO): Promise<void> {
  // 32 MiB of page cache while importing (secondary indexes are dropped for large imports; the unique key
  // index is what it holds); run derivation raises it for its sorts
  const db = openDb(casePath, { mmap: false, cacheMiB: 32 });
  const applier = new ImportApplier(db);
  const known = [...applier.store.knownHashes()];
  const total = await inputBytes(inputs);
  applier.startBulkIfLarge(total);
  const started = Date.now();
  let bytes = 0;
  let lastProgress = 0;
  let cancelled = false;
  let finished = false;

  const parsers: Worker[] = [];
  const toParsers: MessagePort[] = [];
  const fromParsers: MessagePort[] = [];
  for (let i = 0; i < PARSERS; i++) {
    const blocks = new MessageChannel();
    const rows = new MessageChannel();
    parsers.push(
      new Worker(distFile('parse-worker.cjs'), {
        workerData: { blocksIn: blocks.port2, rowsOut: rows.port2 },
        transferList: [blocks.port2, rows.port2],
        resourceLimits: THREAD_LIMITS,
      }),
    );
    toParsers.push(blocks.port1);
    fromParsers.push(rows.port1);
  }
  const reader = new Worker(distFile('reader-worker.cjs'), { workerData: { inputs, known, parsers: toParsers }, transferList: toParsers, resourceLimits: THREAD_LIMITS });

  /** Ends the reader and the parsers; resolves when their threads (and heaps) are gone. */
  const stopThreads = async () => {
    await Promise.all([reader.terminate(), ...parsers.map((p) => p.terminate())]).catch(() => undefined);
    for (const p of fromParsers) p.close();
  };
  // per-thread CPU (Linux), sampled when the streaming ends: which thread the import waited on
  const tids: { reader: number | null; parsers: Array<number | null> } = { reader: null, parsers: [] };
  const writerTid = osThreadId();
  const finish = (crash?: string) => {
    if (finished) return;
    finished = true;
    const cpu = { writer: threadCpuMs(writerTid), reader: threadCpuMs(tids.reader), parsers: tids.parsers.map(threadCpuMs) };
    applier.abort();
    if (crash) applier.errors.push(`import failed: ${crash}`);
    // the index rebuild and the derivation start once the other threads' memory is released
    void stopThreads().then(() => {
      const result = applier.finish(casePath, cancelled);
      if (result.timings) result.timings.streamCpuMs = cpu;
      checkpoint(db);
      db.close();
      io.result(result);
    });
  };
  const progress = (force: boolean) => {
    const now = Date.now();
    if (force || now - lastProgress > 150) {
      lastProgress = now;
      io.progress(applier.progress(bytes, total, started));
    }
  };

  // in-order application
  const queue: FromReader[] = [];
  const blocks = new Map<string, Block>();
  let src = -1;
  let nextSeq = 0;
  const pump = () => {
    try {
      for (;;) {
        if (finished || cancelled) return;
        const block = blocks.get(`${src}:${nextSeq}`);
        if (block) {
          blocks.delete(`${src}:${nextSeq}`);
          nextSeq++;
          applier.apply(block.rows);
          // the block's data buffer back to its parser, to be filled again (its rows are stored: SQLite copied the bytes)
          const d = block.rows.packed?.d;
          if (d && d.byteLength > 0) fromParsers[block.parser]!.postMessage({ free: d.buffer }, [d.buffer as ArrayBuffer]);
          // progress within a source: the reader's position when it cut this block (reader messages carry theirs)
          bytes = Math.max(bytes, block.bytes);
          reader.postMessage('ack');
          progress(false);
          continue;
        }
        const head = queue[0];
        if (!head) return;
        const msg = head.msg;
        if (msg.t === 'end' && (msg.blocks ?? 0) > nextSeq) return; // its last blocks are still being parsed
        queue.shift();
        bytes = Math.max(bytes, head.bytes);
        if (msg.t === 'done') {
          progress(true);
          finish();
          return;
        }
        if (msg.t === 'crash') {
          finish(msg.reason);
          return;
        }
        if (msg.t === 'begin') {
          src++;
          nextSeq = 0;
        }
        applier.apply(msg);
        if (msg.t === 'rows') reader.postMessage('ack');
        progress(msg.t === 'end');
      }
    } catch (e) {
      cancelled = true;
      finish((e as Error).stack ?? String(e));
    }
  };

  io.onCancel(() => {
    if (cancelled) return;
    cancelled = true;
    reader.postMessage('cancel');
    finish();
  });
  reader.on('message', (m: FromReader | { tid: number | null }) => {
    if ('tid' in m) {
      tids.reader = m.tid;
      return;
    }
    queue.push(m);
    pump();
  });
  reader.on('error', (e) => finish(e.stack ?? e.message));
  for (const [i, p] of fromParsers.entries()) {
    p.on('message', (m: FromParser) => {
      if ('tid' in m) {
        tids.parsers.push(m.tid);
        lowerThreadPriority(m.tid, PARSER_NICE);
        return;
      }
      if (m.crash) return finish(`parse worker: ${m.crash}`);
      blocks.set(`${m.src}:${m.seq}`, { rows: m.rows!, bytes: m.bytes, parser: i });
      pump();
    });
  }
  for (const p of parsers) p.on('error', (e) => finish(`parse worker: ${e.stack ?? e.message}`));
}

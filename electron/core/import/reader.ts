import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Emit, FormatName } from '../../../shared/model';
import type { QuarantineRow, RecordRow, SkipRow, SourceInfo } from '../store/import-store';
import { BundleError, DEFAULT_LIMITS, enumerateInput, type BundleLimits } from './bundle';
import { blockItems, frameDocument, frameLines, isFrameError, READ_CHUNK_BYTES, splitLines, type FrameItem, type LineOptions, type ParseBlock } from './framing';
import type { FormatHandler, Framing } from './formats/types';
import { HANDLERS, detectDocumentFormat } from './registry';
import { buildSniff, SNIFF_BYTES } from './sniff';
import { recordFacts } from '../../../shared/record-facts';
import { sha256Hex } from '../store/hash';
import { RecordPacker, type PackedRecords } from '../store/packed-rows';

/** Messages from the reader (parse side) to the writer (store side). */
export type ReaderMsg =
  | { t: 'begin'; info: SourceInfo }
  /** records as arrays, or (from a parse worker) packed for the trip to the writer (packed-rows.ts) */
  | { t: 'rows'; records: RecordRow[]; packed?: PackedRecords; quarantine: QuarantineRow[]; skips: SkipRow[] }
  | { t: 'document'; format: FormatName; text: string }
  /** blocks: how many line blocks of this source went to the parse workers (parallel mode) */
  | { t: 'end'; sha256: string; size: number; error?: string; blocks?: number }
  | { t: 'known'; info: SourceInfo; sha256: string }
  | { t: 'refused'; info: SourceInfo; sha256: string; reason: string; status: 'refused' | 'failed' }
  | { t: 'fatal'; input: string; reason: string };

export interface ReadOptions {
  /** SHA-256 of sources already complete in the case (skip re-reading those on disk). */
  known?: Set<string>;
  limits?: BundleLimits;
  batchSize?: number;
  onRawBytes?: (n: number) => void;
  isCancelled?: () => boolean;
  /**
   * Parallel mode: hand a block of lines of the current source to a parse worker (resolves when there is
   * room for more). The blocks' rows reach the writer by another way, numbered by `seq`.
   */
  parallel?: (format: FormatName, block: ParseBlock, seq: number) => Promise<void>;
  /**
   * Parallel mode: resolves once every block handed out so far and every row message yielded so far is
   * stored (rows this thread maps itself, an overlong line's, must land between the blocks around them).
   */
  drain?: () => Promise<void>;
}

const DOCUMENT_MAX = 16 * 1024 * 1024;

/** Read every input (file, folder, archive) and turn it into writer messages. Never throws for bad data. */
export async function* readInputs(inputs: string[], opts: ReadOptions = {}): AsyncGenerator<ReaderMsg> {
  for (const input of inputs) {
    try {
      for await (const entry of enumerateInput(input, opts.limits ?? DEFAULT_LIMITS, opts.onRawBytes)) {
        if (opts.isCancelled?.()) return;
        const info: SourceInfo = { path: entry.path, container: entry.container, member: entry.member, size: entry.size ?? 0, format: 'unknown' };
        if (entry.refused) {
          yield { t: 'refused', info, sha256: '', reason: entry.refused, status: 'refused' };
          continue;
        }
        if (entry.diskPath && opts.known && opts.known.size > 0) {
          const sha = await hashFile(entry.diskPath);
          if (opts.known.has(sha)) {
            yield { t: 'known', info, sha256: sha };
            continue;
          }
        }
        let stream: Readable;
        try {
          stream = await entry.open();
        } catch (e) {
          yield { t: 'refused', info, sha256: '', reason: `cannot read: ${(e as Error).message}`, status: 'failed' };
          continue;
        }
        yield* readOne(stream, info, opts);
      }
    } catch (e) {
      yield { t: 'fatal', input, reason: e instanceof BundleError ? e.message : `cannot read ${input}: ${(e as Error).message}` };
    }
  }
}

async function hashFile(p: string): Promise<string> {
  const { createReadStream } = await import('node:fs');
  const h = createHash('sha256');
  for await (const c of createReadStream(p, { highWaterMark: READ_CHUNK_BYTES })) h.update(c as Buffer);
  return h.digest('hex');
}

/** Read one file: hash every byte, sniff the head, frame, map, batch. */
async function* readOne(stream: Readable, info: SourceInfo, opts: ReadOptions): AsyncGenerator<ReaderMsg> {
  const hash = createHash('sha256');
  let size = 0;
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const headParts: Buffer[] = [];
  let headLen = 0;
  let ended = false;
  let readError: Error | null = null;
  try {
    while (headLen < SNIFF_BYTES) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      hash.update(r.value);
      size += r.value.length;
      headParts.push(r.value);
      headLen += r.value.length;
    }
  } catch (e) {
    readError = e as Error;
  }
  const head = Buffer.concat(headParts);
  if (readError) {
    yield { t: 'refused', info, sha256: hash.digest('hex'), reason: readError.message, status: readError instanceof BundleError ? 'refused' : 'failed' };
    return;
  }
  const sniff = buildSniff(info.path, head.subarray(0, SNIFF_BYTES), ended && head.length <= SNIFF_BYTES);

  // Everything after the head, hashed as it flows.
  const rest = async function* (): AsyncGenerator<Buffer> {
    yield head;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      hash.update(r.value);
      size += r.value.length;
      yield r.value;
    }
  };

  // Choose a handler by content.
  let best: { h: FormatHandler; confidence: number; framing: Framing } | null = null;
  for (const h of HANDLERS) {
    let r;
    try {
      r = h.sniff(sniff);
    } catch {
      r = null;
    }
    if (r && (!best || r.confidence > best.confidence)) best = { h, confidence: r.confidence, framing: r.framing };
  }

  if (!best) {
    const docFormat = detectDocumentFormat(sniff);
    const format: FormatName = docFormat ?? 'unknown';
    yield { t: 'begin', info: { ...info, format } };
    const bufs: Buffer[] = [];
    let kept = 0;
    let failure: string | undefined;
    try {
      for await (const c of rest()) {
        if (kept < DOCUMENT_MAX) {
          bufs.push(c);
          kept += c.length;
        }
      }
    } catch (e) {
      failure = (e as Error).message;
    }
    const text = Buffer.concat(bufs).subarray(0, DOCUMENT_MAX).toString('utf8');
    if (docFormat && !failure) {
      yield { t: 'document', format: docFormat, text };
    } else {
      const why = failure ?? `unrecognised format: content matches none of ${HANDLERS.map((h) => h.format).join(', ')}, budgets or manifest`;
      yield { t: 'rows', records: [], quarantine: [[null, null, why, text.slice(0, 4096)]], skips: [] };
    }
    yield { t: 'end', sha256: hash.digest('hex'), size, ...(failure ? { error: failure } : {}) };
    return;
  }

  const handler = best.h;
  yield { t: 'begin', info: { ...info, format: handler.format } };
  const batchSize = opts.batchSize ?? 2000;
  const framing = best.framing;
  let failure: string | undefined;
  // Lines of a large file: cut into blocks here, parsed and mapped on the parse workers (opts.parallel),
  // stored by the writer in block order. 'end' says how many blocks the source had.
  const overlongFraming = handler.overlongLine;
  const lineOpts: LineOptions = overlongFraming ? { overlong: (_line, bytes) => frameDocument(bytes, overlongFraming, null) } : {};
  if (framing.kind === 'lines' && opts.parallel) {
    let blocks = 0;
    try {
      for await (const block of splitLines(rest(), undefined, lineOpts)) {
        if ('stream' in block) {
          // an overlong line streamed here, its rows between the blocks before it and after it
          await opts.drain?.();
          failure = yield* rowMessages(handler, block.stream, batchSize, opts.isCancelled);
          await opts.drain?.();
          if (failure !== undefined || opts.isCancelled?.()) break;
          continue;
        }
        await opts.parallel(handler.format, block, blocks++);
        if (opts.isCancelled?.()) return;
      }
    } catch (e) {
      failure = (e as Error).message;
      await opts.parallel(handler.format, { error: { error: `reading stopped: ${failure}`, locator: {} } }, blocks++);
    }
    yield { t: 'end', sha256: hash.digest('hex'), size, blocks, ...(failure ? { error: failure } : {}) };
    return;
  }
  const frames: AsyncGenerator<FrameItem> = framing.kind === 'lines' ? frameLines(rest(), lineOpts) : frameDocument(rest(), framing, ended ? head.length : info.size || null);
  failure = yield* rowMessages(handler, frames, batchSize, opts.isCancelled);
  if (opts.isCancelled?.()) return;
  yield { t: 'end', sha256: hash.digest('hex'), size, ...(failure ? { error: failure } : {}) };
}

/**
 * Frame items mapped into row messages of up to `batchSize` records, the last one whatever is left. A read
 * error ends them: it is quarantined ("reading stopped") after the rows before it, and returned.
 */
async function* rowMessages(handler: FormatHandler, items: AsyncIterable<FrameItem>, batchSize: number, isCancelled?: () => boolean): AsyncGenerator<ReaderMsg, string | undefined> {
  const batch = new RowBatch();
  let pending = 0;
  let failure: string | undefined;
  try {
    for await (const item of items) {
      batch.addItem(handler, item);
      if (++pending >= batchSize) {
        pending = 0;
        yield batch.take();
        if (isCancelled?.()) return undefined;
      }
    }
  } catch (e) {
    failure = (e as Error).message;
    batch.quarantine.push([null, null, `reading stopped: ${failure}`, null]);
  }
  yield batch.take();
  return failure;
}

/** Rows for the writer from a format mapper's emits (records with their facts, quarantine entries, skips). */
export class RowBatch {
  records: RecordRow[] = [];
  quarantine: QuarantineRow[] = [];
  skips: SkipRow[] = [];
  /** packed mode (a parse worker's batch): records go straight into the packer instead of `records` */
  private readonly packer: RecordPacker | null;

  constructor(packed = false) {
    this.packer = packed ? new RecordPacker() : null;
  }

  /** A frame error, or the emits of the handler for one unit. */
  addItem(handler: FormatHandler, item: FrameItem): void {
    if (isFrameError(item)) {
      this.quarantine.push([item.locator.line ?? null, item.locator.path ?? null, item.error, item.raw ?? null]);
      return;
    }
    let emits: Emit[];
    try {
      emits = handler.map(item);
    } catch (e) {
      emits = [{ type: 'quarantine', reason: `${handler.format} mapper failed: ${(e as Error).message}`, locator: item.locator }];
    }
    for (const em of emits) this.addEmit(em, item.rawLine, item.rawBytes);
  }

  addEmit(em: Emit, rawLine: string | undefined, rawBytes?: Uint8Array): void {
    const line = em.locator.line ?? null;
    const path = em.locator.path ?? null;
    if (em.type === 'record') {
      const r = em.record;
      const dataJson = em.dataJson ?? JSON.stringify(r.data);
      const facts = recordFacts(r.kind, r.name, r.parentSpanId, r.data, dataJson, sha256Hex);
      const row: RecordRow = [r.kind, r.key, r.runId, r.traceId, r.spanId, r.parentSpanId, r.tsUs, r.endUs, r.name, dataJson, line, path, facts];
      if (!this.packer) this.records.push(row);
      // data built around the line: its bytes copied as they came, not dataJson encoded again
      else if (em.dataAround && rawBytes) this.packer.add(row, em.dataAround, rawBytes);
      else this.packer.add(row);
    } else if (em.type === 'quarantine') {
      this.quarantine.push([line, path, em.reason, em.raw ?? rawLine ?? null]);
    } else {
      this.skips.push([line, path, em.reason]);
    }
  }

  /** The batch as a writer message, and a fresh batch. */
  take(): Extract<ReaderMsg, { t: 'rows' }> {
    const m = { t: 'rows' as const, records: this.records, ...(this.packer ? { packed: this.packer.finish() } : {}), quarantine: this.quarantine, skips: this.skips };
    this.records = [];
    this.quarantine = [];
    this.skips = [];
    return m;
  }
}

/** Parse and map one block of lines (a parse worker's job; see splitLines). */
export function parseLineBlock(format: FormatName, block: ParseBlock, packed = false): Extract<ReaderMsg, { t: 'rows' }> {
  const handler = HANDLERS.find((h) => h.format === format);
  if (!handler) throw new Error(`no handler for ${format}`);
  const batch = new RowBatch(packed);
  for (const item of blockItems(block)) batch.addItem(handler, item);
  return batch.take();
}

/** parseLineBlock with the records packed for posting to the writer. */
export function parseLineBlockPacked(format: FormatName, block: ParseBlock): Extract<ReaderMsg, { t: 'rows' }> {
  return parseLineBlock(format, block, true);
}

import type { Readable } from 'node:stream';
import type { Locator } from '../../../shared/model';
import type { Framing, JsonPath, Unit } from './formats/types';
import { pathToString } from './formats/types';
import { dropContextUnder, matches, mayContain, scanDocument } from './json-scan';

/** A piece of input that could not even be cut into a unit (bad bytes, truncated document, overlong line). */
export interface FrameError {
  error: string;
  locator: Locator;
  raw?: string;
}

export type FrameItem = Unit | FrameError;
export function isFrameError(x: FrameItem): x is FrameError {
  return (x as FrameError).error !== undefined;
}

/**
 * Lines longer than this are not held in memory whole: quarantined, or streamed as a document when the
 * format's lines are documents (FormatHandler.overlongLine).
 */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * Read chunks and line blocks are kept under glibc's mmap threshold (128 KiB). Buffers above it are mmapped
 * until the first one is freed; then glibc raises the threshold and every later buffer of that size comes from
 * the per-thread malloc arenas, which a pipeline of four threads passing ~1 MiB buffers around fragments:
 * measured on the 300k-run bundle, 1 MiB chunks gave a peak RSS of 434–445 MB, 64 KiB chunks and blocks
 * 340–351 MB, at the same speed (docs/performance.md).
 */
export const READ_CHUNK_BYTES = 64 * 1024;
export const BLOCK_BYTES = 64 * 1024;
/** Documents up to this size are parsed with JSON.parse (fast); larger ones are streamed. */
export const WHOLE_DOC_LIMIT = 32 * 1024 * 1024;

const NL = 0x0a;

/**
 * One line (without its newline): null when blank, else the unit (value undefined when the line is not JSON)
 * or the error for bytes that are not UTF-8. A trailing CR is dropped, and a BOM on line 1.
 */
export function parseLine(buf: Buffer, lineNo: number, decoder: TextDecoder): FrameItem | null {
  let end = buf.length;
  if (end > 0 && buf[end - 1] === 0x0d) end--;
  const bytes = buf.subarray(0, end);
  // cheap blank test
  let blank = true;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 0x20 && c !== 0x09) {
      blank = false;
      break;
    }
  }
  if (blank) return null;
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { error: `invalid UTF-8 at byte ${firstInvalidUtf8(bytes)} of the line`, locator: { line: lineNo }, raw: bytes.toString('utf8') };
  }
  // the bytes of the text exactly: the decoder drops a leading BOM (ignoreBOM false), and line 1 one more
  let skip = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) {
    text = text.slice(1);
    skip += 3;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  return { value, rawLine: text, rawBytes: skip === 0 ? bytes : bytes.subarray(skip), locator: { line: lineNo } };
}

/** The strict UTF-8 decoder parseLine expects. */
export function lineDecoder(): TextDecoder {
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
}

/**
 * What to do with a line longer than the line limit, instead of setting it aside: given its number and its
 * bytes as a stream (without the newline), the frame items to take from it — a format whose lines are JSON
 * documents streams it as one (a whole OTLP export minified onto one line).
 */
export type OverlongLine = (line: number, bytes: AsyncIterable<Buffer>) => AsyncIterable<FrameItem>;

export interface LineOptions {
  overlong?: OverlongLine;
  /** the line limit (tests use a small one) */
  maxLineBytes?: number;
}

/** Chunks of a byte stream, pulled one at a time, with pushback. */
class ChunkSource {
  private readonly it: AsyncIterator<Buffer>;
  private readonly back: Buffer[] = [];
  constructor(src: AsyncIterable<Buffer>) {
    this.it = src[Symbol.asyncIterator]();
  }
  async next(): Promise<Buffer | null> {
    if (this.back.length > 0) return this.back.pop()!;
    const r = await this.it.next();
    return r.done ? null : r.value;
  }
  unshift(b: Buffer): void {
    if (b.length > 0) this.back.push(b);
  }
}

/**
 * The bytes of a line whose start (`head`) was read already, up to its newline (excluded); what follows the
 * newline goes back to the source. `state.done` tells whether the newline (or the end) was reached.
 */
async function* restOfLine(head: Buffer[], src: ChunkSource, state: { done: boolean }): AsyncGenerator<Buffer> {
  for (const h of head) yield h;
  for (;;) {
    const c = await src.next();
    if (c === null) break;
    const nl = c.indexOf(NL);
    if (nl === -1) {
      yield c;
      continue;
    }
    src.unshift(c.subarray(nl + 1));
    if (nl > 0) yield c.subarray(0, nl);
    break;
  }
  state.done = true;
}

/** Skips to the end of the current line (after a consumer of restOfLine stopped early). */
async function skipLine(src: ChunkSource): Promise<void> {
  for (;;) {
    const c = await src.next();
    if (c === null) return;
    const nl = c.indexOf(NL);
    if (nl !== -1) {
      src.unshift(c.subarray(nl + 1));
      return;
    }
  }
}

/** The overlong line's items, each located on that line. The caller skips what was left of the line unless `state.done`. */
async function* overlongItems(overlong: OverlongLine, line: number, head: Buffer[], src: ChunkSource, state: { done: boolean }): AsyncGenerator<FrameItem> {
  for await (const item of overlong(line, restOfLine(head, src, state))) yield { ...item, locator: { ...item.locator, line } } as FrameItem;
}

/** Cut a byte stream into lines (1-based numbers), decoding strict UTF-8 and parsing each line as JSON. */
export async function* frameLines(chunks: AsyncIterable<Buffer>, opts: LineOptions = {}): AsyncGenerator<FrameItem> {
  const maxLine = opts.maxLineBytes ?? MAX_LINE_BYTES;
  const src = new ChunkSource(chunks);
  const decoder = lineDecoder();
  let lineNo = 0;
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let overflow = false;

  function* finishLine(buf: Buffer): Generator<FrameItem> {
    lineNo++;
    if (overflow) {
      overflow = false;
      yield { error: `line is longer than ${maxLine} bytes; not parsed`, locator: { line: lineNo }, raw: buf.subarray(0, 4096).toString('utf8') };
      return;
    }
    const item = parseLine(buf, lineNo, decoder);
    if (item) yield item;
  }

  for (let chunk = await src.next(); chunk !== null; chunk = await src.next()) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      let line: Buffer;
      if (pendingLen > 0) {
        if (!overflow) pending.push(piece);
        line = overflow ? Buffer.concat(pending) : Buffer.concat(pending, pendingLen + piece.length);
        pending = [];
        pendingLen = 0;
      } else line = overflow ? Buffer.alloc(0) : piece;
      yield* finishLine(line);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (!overflow) {
        if (pendingLen + rest.length > maxLine && opts.overlong) {
          // the line's bytes from here on go to the overlong handler, as they are read
          lineNo++;
          const head = [...pending, Buffer.from(rest)];
          pending = [];
          pendingLen = 0;
          const state = { done: false };
          yield* overlongItems(opts.overlong, lineNo, head, src, state);
          if (!state.done) await skipLine(src);
        } else if (pendingLen + rest.length > maxLine) {
          overflow = true;
          // keep only a prefix for the quarantine entry
          pending = [Buffer.concat([...pending, rest]).subarray(0, 4096)];
          pendingLen = pending[0]!.length;
        } else {
          // copy: the chunk buffer may be reused by the stream
          pending.push(Buffer.from(rest));
          pendingLen += rest.length;
        }
      }
    }
  }
  if (pendingLen > 0 || overflow) yield* finishLine(Buffer.concat(pending));
}

function firstInvalidUtf8(b: Uint8Array): number {
  const d = new TextDecoder('utf-8', { fatal: true });
  let lo = 0;
  let hi = b.length;
  // binary search for the shortest invalid prefix (prefix validity is monotone except for cut sequences; good enough for a message)
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    try {
      d.decode(b.subarray(0, mid + 1), { stream: true });
      d.decode();
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  return lo;
}

/** Walk an already-parsed document exactly as the streaming framer does. */
export function* walkDocument(doc: unknown, framing: Extract<Framing, { kind: 'document' }>): Generator<Unit> {
  const context: Record<string, unknown> = {};
  const all = [...framing.units, ...(framing.context ?? [])];
  function* walk(v: unknown, p: JsonPath): Generator<Unit> {
    if (matches(framing.context, p)) {
      context[p.join('.')] = v;
      return;
    }
    if (matches(framing.units, p)) {
      yield { value: v, path: p, locator: { path: pathToString(p) }, context: { ...context } };
      return;
    }
    if (!mayContain(all, p)) return;
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* walk(v[i], [...p, i]);
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) yield* walk((v as Record<string, unknown>)[k], [...p, k]);
    else return;
    dropContextUnder(context, p);
  }
  yield* walk(doc, []);
}

/** Cut one JSON document into units. Small documents are parsed whole; large ones are scanned as they stream (json-scan.ts). */
export async function* frameDocument(
  chunks: AsyncIterable<Buffer>,
  framing: Extract<Framing, { kind: 'document' }>,
  sizeHint: number | null,
): AsyncGenerator<FrameItem> {
  if (sizeHint !== null && sizeHint <= WHOLE_DOC_LIMIT) {
    const bufs: Buffer[] = [];
    for await (const c of chunks) bufs.push(c);
    const buf = Buffer.concat(bufs);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
    } catch {
      yield { error: `invalid UTF-8 at byte ${firstInvalidUtf8(buf)}`, locator: {}, raw: buf.subarray(0, 65536).toString('utf8') };
      return;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      yield { error: `invalid JSON: ${describeJsonError(e as Error, text)}`, locator: { line: lineOfError(e as Error, text) }, raw: text.slice(0, 65536) };
      return;
    }
    yield* walkDocument(doc, framing);
    return;
  }
  yield* scanDocument(chunks, framing);
}

function describeJsonError(e: Error, text: string): string {
  const m = /position (\d+)/.exec(e.message);
  if (m) {
    const pos = Number(m[1]);
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const col = pos - before.lastIndexOf('\n');
    return `${e.message.replace(/ in JSON at position \d+.*$/, '')} at line ${line}, column ${col}`;
  }
  if (/Unexpected end of JSON input/.test(e.message)) return `truncated document (unexpected end after ${text.length} characters)`;
  return e.message;
}

function lineOfError(e: Error, text: string): number | undefined {
  const m = /position (\d+)/.exec(e.message);
  if (!m) return /Unexpected end/.test(e.message) ? text.split('\n').length : undefined;
  return text.slice(0, Number(m[1])).split('\n').length;
}

export type { Readable };

/**
 * A run of complete lines cut from a byte stream (the last block may end without a newline), an overlong line
 * set aside, or (with an overlong handler) the items of an overlong line, to be consumed before the next block.
 */
export type LineBlock = ParseBlock | { stream: AsyncIterable<FrameItem>; line: number };
/** The blocks a parse worker takes: lines, or an overlong line set aside. */
export type ParseBlock = { buf: Buffer; firstLine: number; lines: number } | { error: FrameError };

function countNewlines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(NL); i !== -1; i = b.indexOf(NL, i + 1)) n++;
  return n;
}

/**
 * Cut a byte stream into blocks of whole lines of about `blockBytes`, numbered as frameLines numbers them,
 * so that the lines of one file can be parsed on several threads (parseLineBlock) and stored in order.
 * A line longer than MAX_LINE_BYTES is not held whole: it becomes an error block.
 */
export async function* splitLines(chunks: AsyncIterable<Buffer>, blockBytes = BLOCK_BYTES, opts: LineOptions = {}): AsyncGenerator<LineBlock> {
  const maxLine = opts.maxLineBytes ?? MAX_LINE_BYTES;
  const src = new ChunkSource(chunks);
  let lineNo = 0;
  let complete: Buffer[] = [];
  let completeLen = 0;
  let partial: Buffer[] = [];
  let partialLen = 0;
  let overflowHead: Buffer | null = null;
  const flush = (): LineBlock | null => {
    if (completeLen === 0) return null;
    const buf = Buffer.concat(complete, completeLen);
    const lines = countNewlines(buf);
    const block = { buf, firstLine: lineNo + 1, lines };
    lineNo += lines;
    complete = [];
    completeLen = 0;
    return block;
  };
  const overlong = (head: Buffer): LineBlock => {
    lineNo++;
    return { error: { error: `line is longer than ${maxLine} bytes; not parsed`, locator: { line: lineNo }, raw: head.toString('utf8') } };
  };
  for (let chunk = await src.next(); chunk !== null; chunk = await src.next()) {
    let c = chunk;
    if (overflowHead) {
      const nl = c.indexOf(NL);
      if (nl === -1) continue; // still inside the overlong line
      yield overlong(overflowHead);
      overflowHead = null;
      c = c.subarray(nl + 1);
    }
    const last = c.lastIndexOf(NL);
    if (last === -1) {
      // copies: the stream may reuse its chunk buffers
      partial.push(Buffer.from(c));
      partialLen += c.length;
      if (partialLen > maxLine) {
        const b = flush();
        if (b) yield b;
        if (opts.overlong) {
          // the consumer reads the line's items (and with them its bytes) before asking for the next block
          lineNo++;
          const head = partial;
          partial = [];
          partialLen = 0;
          const state = { done: false };
          const stream = overlongItems(opts.overlong, lineNo, head, src, state);
          yield { stream, line: lineNo };
          // whatever the consumer left of the line is skipped
          await stream.return(undefined);
          if (!state.done) await skipLine(src);
          continue;
        }
        overflowHead = Buffer.from(Buffer.concat(partial).subarray(0, 4096));
        partial = [];
        partialLen = 0;
      }
      continue;
    }
    complete.push(...partial, Buffer.from(c.subarray(0, last + 1)));
    completeLen += partialLen + last + 1;
    partial = last + 1 < c.length ? [Buffer.from(c.subarray(last + 1))] : [];
    partialLen = c.length - last - 1;
    if (completeLen >= blockBytes) yield flush()!;
  }
  if (overflowHead) {
    const b = flush();
    if (b) yield b;
    yield overlong(overflowHead);
    return;
  }
  if (partialLen > 0) {
    complete.push(...partial);
    completeLen += partialLen;
    const buf = Buffer.concat(complete, completeLen);
    const lines = countNewlines(buf) + 1;
    yield { buf, firstLine: lineNo + 1, lines };
    return;
  }
  const b = flush();
  if (b) yield b;
}

/** The frame items of one block of lines, as frameLines would give them. */
export function* blockItems(block: LineBlock, decoder: TextDecoder = lineDecoder()): Generator<FrameItem> {
  if ('error' in block) {
    yield block.error;
    return;
  }
  if ('stream' in block) throw new Error(`line ${block.line}: an overlong line's items are read from its stream`);
  const { buf } = block;
  let lineNo = block.firstLine;
  let start = 0;
  for (let nl = buf.indexOf(NL); nl !== -1; nl = buf.indexOf(NL, start)) {
    const item = parseLine(buf.subarray(start, nl), lineNo++, decoder);
    if (item) yield item;
    start = nl + 1;
  }
  if (start < buf.length) {
    const item = parseLine(buf.subarray(start), lineNo, decoder);
    if (item) yield item;
  }
}

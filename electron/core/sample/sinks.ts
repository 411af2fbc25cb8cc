/**
 * Streaming output helpers for the sample generator: a file sink that hashes while it writes
 * (with backpressure), and a calendar queue that re-orders timestamped items with bounded memory.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

const CHUNK = 1 << 20;

/**
 * Append-only text file: encodes into a ~1 MiB buffer as it goes (so no string outlives its write,
 * which keeps the garbage collector's young generation cheap), hashes exactly the bytes written,
 * honours backpressure.
 */
export class FileSink {
  readonly path: string;
  private stream: WriteStream;
  private hash: Hash = createHash('sha256');
  private buf: Buffer = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  /** Set when a write returned false: resolves on the next 'drain' (listened for at once, so it is never missed). */
  private drainWait: Promise<unknown> | null = null;
  private error: Error | null = null;
  size = 0;
  lines = 0;

  constructor(path: string) {
    this.path = path;
    this.stream = createWriteStream(path);
    this.stream.on('error', (e) => {
      this.error = e;
    });
  }

  write(s: string): void {
    // a UTF-16 code unit is at most 3 bytes of UTF-8
    if (this.pos + s.length * 3 > CHUNK) {
      this.flushBuf();
      if (s.length * 3 > CHUNK) {
        this.push(Buffer.from(s, 'utf8'));
        return;
      }
    }
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Write one line (a newline is added). */
  line(s: string): void {
    this.lines++;
    this.write(s);
    if (this.pos === CHUNK) this.flushBuf();
    this.buf[this.pos++] = 0x0a;
  }

  private flushBuf(): void {
    if (this.pos === 0) return;
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.pos = 0;
    this.push(out);
  }

  private push(b: Buffer): void {
    this.hash.update(b);
    this.size += b.length;
    if (!this.stream.write(b) && !this.drainWait) this.drainWait = once(this.stream, 'drain');
  }

  /** Resolve once the OS has taken what was written (call often from the producer loop). */
  async drain(): Promise<void> {
    if (this.error) throw this.error;
    if (!this.drainWait) return;
    const w = this.drainWait;
    this.drainWait = null;
    await w;
    if (this.error) throw this.error;
  }

  /** Copy another file's bytes into this sink (streamed). */
  async append(path: string): Promise<void> {
    this.flushBuf();
    await this.drain();
    for await (const chunk of createReadStream(path)) {
      const buf = chunk as Buffer;
      this.hash.update(buf);
      this.size += buf.length;
      if (!this.stream.write(buf)) {
        this.drainWait = once(this.stream, 'drain');
        await this.drain();
      }
    }
  }

  async close(): Promise<{ sha256: string; size: number }> {
    this.flushBuf();
    await this.drain();
    await new Promise<void>((resolve, reject) => {
      this.stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
    });
    if (this.error) throw this.error;
    return { sha256: this.hash.digest('hex'), size: this.size };
  }
}

interface QItem<T> {
  t: number;
  n: number;
  v: T;
}

/**
 * Calendar queue keyed by a time (any unit): items are bucketed by floor(t / width); `takeBefore(t)`
 * returns, in (t, insertion) order, every item of every bucket that lies wholly before t's bucket.
 * Producers generate runs in start order, so everything before the next run's start is final.
 */
export class CalendarQueue<T> {
  private buckets = new Map<number, QItem<T>[]>();
  private cursor = -Infinity;
  private counter = 0;
  private pending = 0;
  constructor(private readonly width: number) {}

  get size(): number {
    return this.pending;
  }

  push(t: number, v: T): void {
    const b = Math.floor(t / this.width);
    if (b < this.cursor) throw new Error(`CalendarQueue: item at ${t} is before the flushed horizon`);
    let arr = this.buckets.get(b);
    if (!arr) {
      arr = [];
      this.buckets.set(b, arr);
    }
    arr.push({ t, n: this.counter++, v });
    this.pending++;
  }

  /** Buckets (each sorted) strictly before the bucket of t. */
  takeBuckets(t: number): T[][] {
    const target = Math.floor(t / this.width);
    const out: T[][] = [];
    if (this.cursor === -Infinity) {
      // first call: start from the smallest bucket present
      let min = Infinity;
      for (const k of this.buckets.keys()) if (k < min) min = k;
      this.cursor = min === Infinity ? target : Math.min(min, target);
    }
    if (this.pending === 0) {
      if (target > this.cursor) this.cursor = target;
      return out;
    }
    for (let b = this.cursor; b < target; b++) {
      const arr = this.buckets.get(b);
      if (!arr) continue;
      this.buckets.delete(b);
      this.pending -= arr.length;
      out.push(sortItems(arr));
      if (this.pending === 0) break;
    }
    if (target > this.cursor) this.cursor = target;
    return out;
  }

  takeBefore(t: number): T[] {
    const bs = this.takeBuckets(t);
    return bs.length === 1 ? bs[0]! : bs.flat();
  }

  /** Everything left, in order, bucket by bucket. */
  takeAllBuckets(): T[][] {
    const keys = [...this.buckets.keys()].sort((a, b) => a - b);
    const out: T[][] = [];
    for (const k of keys) out.push(sortItems(this.buckets.get(k)!));
    this.buckets.clear();
    this.pending = 0;
    this.cursor = Infinity;
    return out;
  }
}

function sortItems<T>(arr: QItem<T>[]): T[] {
  if (arr.length > 1) arr.sort((a, b) => a.t - b.t || a.n - b.n);
  return arr.map((x) => x.v);
}

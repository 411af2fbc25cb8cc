import { Worker } from 'node:worker_threads';
import type { ApiError } from '../../../shared/api';
import { ApiFailure } from '../api/errors';

/** Request and reply between the service and a query/writer worker (electron/core/workers/query-worker.ts). */
export interface WorkerRequest {
  id: number;
  method: string;
  /** Session context: the open case and its data generation (bumped after every write or import). */
  ctx: { casePath: string; generation: number };
  args: unknown[];
}
export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ApiError };

interface Task {
  req: Omit<WorkerRequest, 'id'>;
  timeoutMs: number | null;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  busy: { id: number; task: Task; timer: NodeJS.Timeout | null } | null;
}

/** Young generation of a worker thread (V8 splits it in semi-spaces of a third each). */
const YOUNG_GENERATION_MB = 192;

/**
 * A small pool of worker threads (Signal Desktop's reader workers are the model): each worker runs one
 * request at a time, the rest wait in a FIFO queue. A request that overruns its time limit has its worker
 * terminated — the only way to interrupt a synchronous SQLite statement — and a fresh worker takes its place.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly script: string,
    size: number,
    private readonly workerData: Record<string, unknown> = {},
    private readonly name = 'worker',
  ) {
    for (let i = 0; i < Math.max(1, size); i++) this.slots.push(this.spawn());
  }

  get size(): number {
    return this.slots.length;
  }

  private spawn(): Slot {
    // A roomy young generation: a large run (100k spans) builds a few hundred MB of short-lived objects, and a
    // small one makes V8 scavenge (copy) them over and over; the space is reserved, not used, until needed.
    const worker = new Worker(this.script, { workerData: this.workerData, name: this.name, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    const slot: Slot = { worker, busy: null };
    worker.unref();
    worker.on('message', (m: WorkerReply) => {
      const b = slot.busy;
      if (!b || b.id !== m.id) return;
      if (b.timer) clearTimeout(b.timer);
      slot.busy = null;
      if (m.ok) b.task.resolve(m.value);
      else b.task.reject(new ApiFailure(m.error.error, m.error.code ?? 'INTERNAL'));
      this.pump();
    });
    const onDeath = (why: string) => {
      const idx = this.slots.indexOf(slot);
      if (idx < 0) return; // already replaced
      const b = slot.busy;
      slot.busy = null;
      if (b) {
        if (b.timer) clearTimeout(b.timer);
        b.task.reject(new ApiFailure(`${this.name} failed: ${why}`, 'INTERNAL'));
      }
      if (this.closed) {
        this.slots.splice(idx, 1);
        return;
      }
      this.slots[idx] = this.spawn();
      this.pump();
    };
    worker.on('error', (e) => onDeath(e.stack ?? e.message));
    worker.on('exit', (code) => onDeath(`exited with code ${code}`));
    return slot;
  }

  run<T = unknown>(method: string, ctx: WorkerRequest['ctx'], args: unknown[], opts: { timeoutMs?: number } = {}): Promise<T> {
    if (this.closed) return Promise.reject(new ApiFailure('the service is shutting down', 'INTERNAL'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ req: { method, ctx, args }, timeoutMs: opts.timeoutMs ?? null, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy) continue;
      const task = this.queue.shift()!;
      const id = this.nextId++;
      const timer =
        task.timeoutMs !== null
          ? setTimeout(() => {
              if (slot.busy?.id !== id) return;
              slot.busy = null;
              task.reject(new ApiFailure(`${task.req.method} did not finish within ${task.timeoutMs} ms and was interrupted`, 'TIMEOUT'));
              const idx = this.slots.indexOf(slot);
              if (idx >= 0) this.slots[idx] = this.spawn();
              void slot.worker.terminate();
              this.pump();
            }, task.timeoutMs)
          : null;
      slot.busy = { id, task, timer };
      slot.worker.postMessage({ id, ...task.req } satisfies WorkerRequest);
    }
  }

  /**
   * Stops every worker. A worker inside a long SQLite statement cannot stop before the statement returns
   * (native code does not see the termination), so waiting is bounded by `graceMs`; such a worker is
   * unref'd and dies with the process.
   */
  async close(graceMs = 2000): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.reject(new ApiFailure('the service is shutting down', 'INTERNAL'));
    const all = Promise.all(this.slots.map((s) => s.worker.terminate()));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, graceMs).unref()))]);
    clearTimeout(timer);
  }
}

/**
 * The one implementation of CasefileApi (shared/api.ts), used by both transports: Electron IPC
 * (electron/shell/) and loopback HTTP (electron/core/serve/server.ts).
 *
 * Threads: this object lives on the thread that serves the UI and never runs a query itself.
 * - reads go to a small pool of query workers (electron/core/workers/query-worker.ts), each with a
 *   read-only connection to the open case;
 * - fact-based computations (budgets, comparisons, budget status, the postmortem template) go to one "facts" worker, which keeps
 *   the case's run facts cached between calls;
 * - writes (labels, taxonomy, postmortem, affected set) go to one writer worker holding the single writable
 *   connection, so they are serialized;
 * - imports run in their own writer/reader workers (electron/core/import/run-import.ts).
 */
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type {
  AppInfo,
  ApiEvents,
  BudgetReport,
  BudgetsDoc,
  CaseOverview,
  CasefileApi,
  CompareReport,
  CompareRequest,
  ExportRequest,
  ExportResult,
  Facets,
  ImportJob,
  ImportJobEvent,
  Label,
  LabelHistoryEntry,
  LabelInput,
  LineageGraph,
  Postmortem,
  QuarantineItem,
  ReconstructedRun,
  RunDiff,
  RunPage,
  RunQuery,
  SqlResult,
  Step,
  VerifyReport,
} from '../../../shared/api';
import type { ImportResult } from '../../../shared/import-types';
import { importIntoCase } from '../import/run-import';
import { distFile } from '../workers/locate';
import { WorkerPool } from '../workers/pool';
import { ApiFailure } from './errors';
import pkg from '../../../package.json';

export interface ServiceOptions {
  /** Where recent cases, the sample cache and (by default) new cases live. */
  dataDir: string;
  /** Where a new case for an imported bundle is created (default <dataDir>/cases). */
  casesDir?: string;
  transport: 'ipc' | 'http';
  /** Query worker threads (default: 2–4 depending on the CPU count). */
  readers?: number;
  /** Size of the built-in sample (runs) and its seed. */
  sample?: { runs?: number; seed?: number };
}

interface Job {
  id: string;
  casePath: string;
  abort: AbortController;
  done: Promise<ImportJobEvent>;
  last: ImportJobEvent | null;
}

const RECENT_MAX = 20;
const DEFAULT_SQL_TIMEOUT_MS = 10_000;
const DEFAULT_SQL_ROW_CAP = 1000;

/** The platform's per-user data directory for Casefile (overridable with CASEFILE_DATA_DIR). */
export function defaultDataDir(): string {
  if (process.env.CASEFILE_DATA_DIR) return resolve(process.env.CASEFILE_DATA_DIR);
  const home = process.env.HOME ?? process.env.USERPROFILE ?? '.';
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Casefile');
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'Casefile');
  return join(process.env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'casefile');
}

function safeName(s: string): string {
  return s.replace(/\.(zip|tar\.gz|tgz|casefile)$/i, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'case';
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');
}

export class CasefileService implements CasefileApi {
  readonly dataDir: string;
  readonly casesDir: string;
  private readonly transport: 'ipc' | 'http';
  private casePath: string | null = null;
  /** Bumped after every write and every import: workers key their caches by it. */
  private generation = 0;
  private readonly jobs = new Map<string, Job>();
  private readonly events = new EventEmitter();
  private pools: { readers: WorkerPool; facts: WorkerPool; writer: WorkerPool } | null = null;
  private readonly readerCount: number;
  private readonly sampleOpts: { runs?: number; seed?: number };
  private closed = false;

  constructor(opts: ServiceOptions) {
    this.dataDir = resolve(opts.dataDir);
    this.casesDir = resolve(opts.casesDir ?? join(this.dataDir, 'cases'));
    this.transport = opts.transport;
    this.readerCount = opts.readers ?? Math.min(4, Math.max(2, availableParallelism() - 1));
    this.sampleOpts = opts.sample ?? {};
    this.events.setMaxListeners(0);
  }

  // ---------------------------------------------------------------- plumbing

  /** Subscribe to ApiEvents; returns the unsubscribe function. */
  on<K extends keyof ApiEvents>(name: K, fn: (payload: ApiEvents[K]) => void): () => void {
    this.events.on(name, fn);
    return () => this.events.off(name, fn);
  }

  private emit<K extends keyof ApiEvents>(name: K, payload: ApiEvents[K]): void {
    this.events.emit(name, payload);
  }

  private get p() {
    if (this.closed) throw new ApiFailure('the service is shutting down', 'INTERNAL');
    if (!this.pools) {
      const script = distFile('query-worker.cjs');
      this.pools = {
        readers: new WorkerPool(script, this.readerCount, { role: 'reader' }, 'casefile-query'),
        facts: new WorkerPool(script, 1, { role: 'facts' }, 'casefile-facts'),
        writer: new WorkerPool(script, 1, { role: 'writer' }, 'casefile-writer'),
      };
    }
    return this.pools;
  }

  private requireCase(): string {
    if (!this.casePath) throw new ApiFailure('no case is open: open a case or import a bundle first', 'NO_CASE');
    return this.casePath;
  }

  private ctx(casePath = this.requireCase()) {
    return { casePath, generation: this.generation };
  }

  private read<T>(method: string, args: unknown[] = [], opts: { timeoutMs?: number } = {}): Promise<T> {
    try {
      return this.p.readers.run<T>(method, this.ctx(), args, opts);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private fact<T>(method: string, args: unknown[] = []): Promise<T> {
    try {
      return this.p.facts.run<T>(method, this.ctx(), args);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private async write<T>(method: string, args: unknown[] = []): Promise<T> {
    const ctx = this.ctx();
    try {
      return await this.p.writer.run<T>(method, ctx, args);
    } finally {
      this.generation++;
    }
  }

  /** Resolves when an import job ends (completed, cancelled or failed) with its last event. */
  waitForJob(jobId: string): Promise<ImportJobEvent> {
    const j = this.jobs.get(jobId);
    if (!j) return Promise.reject(new ApiFailure(`no import job ${jobId}`, 'NOT_FOUND'));
    return j.done;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const j of this.jobs.values()) j.abort.abort();
    await Promise.allSettled([...this.jobs.values()].map((j) => j.done));
    this.closed = true;
    if (this.pools) await Promise.all([this.pools.readers.close(), this.pools.facts.close(), this.pools.writer.close()]);
    this.pools = null;
    this.events.removeAllListeners();
  }

  // ---------------------------------------------------------------- case & import

  async appInfo(): Promise<AppInfo> {
    return { version: pkg.version, transport: this.transport, casePath: this.casePath, casesDir: this.casesDir };
  }

  async openCase(casePath: string): Promise<CaseOverview> {
    if (typeof casePath !== 'string' || !casePath) throw new ApiFailure('openCase needs the path of a case file', 'BAD_REQUEST');
    const p = resolve(casePath);
    if (!existsSync(p) || !statSync(p).isFile()) throw new ApiFailure(`no such case file: ${p}`, 'NOT_FOUND');
    // migrate (and derive runs if needed) through the writer, then read the overview of that case
    await this.p.writer.run('prepareCase', { casePath: p, generation: this.generation }, []);
    this.generation++;
    const ctx = { casePath: p, generation: this.generation };
    const [overview, status] = await Promise.all([this.p.readers.run<CaseOverview>('overview', ctx, []), this.p.facts.run<CaseOverview['budgetStatus']>('budgetStatus', ctx, [])]);
    overview.budgetStatus = status;
    this.casePath = p;
    this.addRecent(p);
    return overview;
  }

  async startImport(paths: string[], casePath?: string): Promise<ImportJob> {
    if (!Array.isArray(paths) || paths.length === 0 || !paths.every((x) => typeof x === 'string' && x)) throw new ApiFailure('startImport needs one or more paths', 'BAD_REQUEST');
    const inputs = paths.map((x) => resolve(x));
    for (const i of inputs) if (!existsSync(i)) throw new ApiFailure(`cannot read ${i}: no such file or directory`, 'NOT_FOUND');
    const target = casePath ? resolve(casePath) : join(this.casesDir, `${safeName(basename(inputs[0]!))}-${stamp()}.casefile`);
    return this.launchJob(target, async (signal, onProgress) => importIntoCase(target, inputs, { signal, onProgress }));
  }

  async openSample(): Promise<ImportJob> {
    const target = join(this.casesDir, `sample-incident-${stamp()}.casefile`);
    return this.launchJob(target, async (signal, onProgress) => {
      const bundle = await this.ensureSample(signal);
      if (signal.aborted) return null;
      return importIntoCase(target, [bundle], { signal, onProgress });
    });
  }

  /** The generated sample bundle, cached under the data dir (generated once per version, seed and size). */
  private async ensureSample(signal: AbortSignal): Promise<string> {
    const runs = this.sampleOpts.runs;
    const seed = this.sampleOpts.seed;
    const dir = join(this.dataDir, 'sample', `v${pkg.version}-seed${seed ?? 'default'}-runs${runs ?? 'default'}`);
    const out = join(dir, 'bundle');
    const marker = join(dir, 'complete');
    if (existsSync(marker) && existsSync(out)) return out;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const { generateSample } = await import('../sample/generate');
    if (signal.aborted) return out;
    await generateSample({ out, ...(runs !== undefined ? { runs } : {}), ...(seed !== undefined ? { seed } : {}) });
    writeFileSync(marker, new Date().toISOString());
    return out;
  }

  private launchJob(target: string, work: (signal: AbortSignal, onProgress: (p: NonNullable<ImportJobEvent['progress']>) => void) => Promise<ImportResult | null>): ImportJob {
    if (this.closed) throw new ApiFailure('the service is shutting down', 'INTERNAL');
    for (const j of this.jobs.values()) if (j.casePath === target && !j.last?.result && !j.last?.error) throw new ApiFailure(`an import into ${target} is already running (job ${j.id})`, 'BAD_REQUEST');
    mkdirSync(dirname(target), { recursive: true });
    const id = randomUUID();
    const abort = new AbortController();
    const job: Job = { id, casePath: target, abort, done: null as unknown as Promise<ImportJobEvent>, last: null };
    const send = (e: ImportJobEvent) => {
      job.last = e;
      this.emit('import', e);
    };
    job.done = (async (): Promise<ImportJobEvent> => {
      // let the caller receive the job id before the first event
      await new Promise((r) => setImmediate(r));
      try {
        const result = await work(abort.signal, (progress) => send({ jobId: id, progress }));
        if (!result) {
          const e: ImportJobEvent = { jobId: id, error: 'cancelled before the import started' };
          send(e);
          return e;
        }
        if (!result.cancelled && !this.closed) {
          // the imported case becomes the session's case; runs are (re)derived by the writer
          try {
            await this.p.writer.run('prepareCase', { casePath: target, generation: this.generation }, []);
          } catch (err) {
            result.errors.push(`run reconstruction failed: ${(err as Error).message}`);
          }
          this.generation++;
          this.casePath = target;
          this.addRecent(target);
        }
        const e: ImportJobEvent = { jobId: id, result };
        send(e);
        return e;
      } catch (err) {
        const e: ImportJobEvent = { jobId: id, error: (err as Error).message };
        send(e);
        return e;
      }
    })();
    this.jobs.set(id, job);
    // forget finished jobs after a while
    void job.done.then(() => setTimeout(() => this.jobs.delete(id), 10 * 60_000).unref());
    return { jobId: id, casePath: target };
  }

  async cancelImport(jobId: string): Promise<void> {
    const j = this.jobs.get(jobId);
    if (!j) throw new ApiFailure(`no import job ${String(jobId)}`, 'NOT_FOUND');
    j.abort.abort();
  }

  private recentFile(): string {
    return join(this.dataDir, 'recent-cases.json');
  }

  private readRecent(): Array<{ path: string; openedAt: string }> {
    try {
      const v = JSON.parse(readFileSync(this.recentFile(), 'utf8')) as unknown;
      if (!Array.isArray(v)) return [];
      return v.filter((x): x is { path: string; openedAt: string } => !!x && typeof x.path === 'string' && typeof x.openedAt === 'string');
    } catch {
      return [];
    }
  }

  private addRecent(p: string): void {
    const list = [{ path: p, openedAt: new Date().toISOString() }, ...this.readRecent().filter((r) => r.path !== p)].slice(0, RECENT_MAX);
    try {
      mkdirSync(this.dataDir, { recursive: true });
      const tmp = `${this.recentFile()}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(list, null, 2)}\n`);
      renameSync(tmp, this.recentFile());
    } catch {
      // recents are a convenience: never fail an open because of them
    }
  }

  async recentCases(): Promise<Array<{ path: string; openedAt: string }>> {
    return this.readRecent().filter((r) => existsSync(r.path));
  }

  // ---------------------------------------------------------------- reads (query workers)

  async overview(): Promise<CaseOverview> {
    const [o, status] = await Promise.all([this.read<CaseOverview>('overview'), this.fact<CaseOverview['budgetStatus']>('budgetStatus')]);
    o.budgetStatus = status;
    return o;
  }

  verify(): Promise<VerifyReport> {
    return this.read('verify');
  }

  quarantine(offset: number, limit: number): Promise<{ items: QuarantineItem[]; total: number }> {
    return this.read('quarantine', [offset, limit]);
  }

  listRuns(q: RunQuery): Promise<RunPage> {
    return this.read('listRuns', [q ?? {}]);
  }

  facets(q: RunQuery): Promise<Facets> {
    return this.read('facets', [q ?? {}]);
  }

  /** Lean for a large run (span and log steps without `data`: handlers.ts leanRun); getStep has the rest. */
  getRun(runId: string): Promise<ReconstructedRun> {
    return this.read('getRun', [runId]);
  }

  getStep(runId: string, stepId: string): Promise<Step> {
    return this.read('getStep', [runId, stepId]);
  }

  diffRuns(a: string, b: string): Promise<RunDiff> {
    return this.read('diffRuns', [a, b]);
  }

  lineage(modelVersion: string, asOf?: number | null): Promise<LineageGraph> {
    return this.read('lineage', [modelVersion, asOf ?? null]);
  }

  affectedSet(): Promise<{ query: RunQuery | null; count: number; savedAt: string | null }> {
    return this.read('affectedSet');
  }

  sql(query: string, rowCap?: number, timeoutMs?: number): Promise<SqlResult> {
    if (typeof query !== 'string' || !query.trim()) return Promise.reject(new ApiFailure('sql needs a query', 'BAD_REQUEST'));
    const cap = rowCap ?? DEFAULT_SQL_ROW_CAP;
    const t = timeoutMs ?? DEFAULT_SQL_TIMEOUT_MS;
    // the worker stops the statement itself at the limit; the pool kills the worker if it cannot
    return this.read('sql', [query, cap, t], { timeoutMs: t + 2000 });
  }

  budgets(): Promise<BudgetsDoc> {
    return this.fact('budgets');
  }

  evaluateBudgets(): Promise<BudgetReport> {
    return this.fact('evaluateBudgets');
  }

  compare(req: CompareRequest): Promise<CompareReport> {
    if (!req || typeof req !== 'object' || !req.a || !req.b) return Promise.reject(new ApiFailure('compare needs { a, b }', 'BAD_REQUEST'));
    return this.fact('compare', [req]);
  }

  labels(runId?: string): Promise<Label[]> {
    return this.read('labels', runId === undefined ? [] : [runId]);
  }

  labelHistory(): Promise<LabelHistoryEntry[]> {
    return this.read('labelHistory');
  }

  taxonomy(): Promise<string[]> {
    return this.read('taxonomy');
  }

  /**
   * The saved postmortem; while nothing was saved (revision 0), the blameless template generated from the
   * evidence, labels and budget report — made on the facts worker, which keeps the budget report cached.
   */
  async getPostmortem(): Promise<Postmortem> {
    const pm = await this.read<Postmortem>('getPostmortem');
    if (pm.revision > 0 || pm.markdown.trim()) return pm;
    return this.fact<Postmortem>('postmortemOrTemplate');
  }

  // ---------------------------------------------------------------- writes (the writer worker)

  /** With q.runIds: exactly those runs (each must exist; the other filters are ignored). */
  saveAffectedSet(q: RunQuery, note?: string): Promise<{ count: number }> {
    return this.write('saveAffectedSet', [q ?? {}, note ?? null]);
  }

  setLabel(input: LabelInput): Promise<Label> {
    return this.write('setLabel', [input]);
  }

  deleteLabel(labelId: number): Promise<void> {
    return this.write('deleteLabel', [labelId]);
  }

  setTaxonomy(categories: string[]): Promise<string[]> {
    return this.write('setTaxonomy', [categories]);
  }

  savePostmortem(markdown: string, baseRevision: number): Promise<Postmortem> {
    return this.write('savePostmortem', [markdown, baseRevision]);
  }

  exportCase(req: ExportRequest): Promise<ExportResult> {
    return this.write('exportCase', [req]);
  }
}

/**
 * deriveRuns: rebuilds the runs tables (migration 002) from the evidence after an import — correlation,
 * per-run summaries, completeness findings, tags, full-text index — in one transaction, set-based
 * (electron/core/store/runs-derive.ts holds the SQL). Skips the work when the evidence has not changed
 * since the last derivation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { FindingCode } from '../../../shared/api';
import { CLOCK_SKEW_THRESHOLD_US, findingSeverity, formatDurationUs } from '../../../shared/findings';
import type { Db } from '../store/db';
import { RunsDeriveStore, type HelperTables, type FindingRow } from '../store/runs-derive';
import { distFile } from '../workers/locate';
import { inferDecisionLinks, resolveSharedTraces } from './correlate';
import { LineageIndex, lineageGraph } from './lineage';
import { clearLargeRuns, computeRunsSummary, countAllRuns, largeRunCandidates, lineageRecords, setMetaValue, setRunsSummary, storeLargeRun } from '../store/runs-store';
import { LARGE_RUN_ITEMS } from '../../../shared/run-columns';
import { apiRunBody } from './reconstruct';
import { cacheOverview } from './overview';

export interface DeriveOptions {
  /** derive even when the evidence did not change */
  force?: boolean;
  /** build the audit side (t_aud) and the decision side on a second connection and thread while this one scans (default true) */
  helper?: boolean;
  /** CLOCK_SKEW threshold in microseconds (default 2 minutes) */
  skewUs?: number;
  onPhase?: (phase: string, ms: number) => void;
}

export interface DeriveResult {
  skipped: boolean;
  runs: number;
  ms: number;
  phases: Record<string, number>;
}

function finding(runId: string, code: FindingCode, message: string, stepId: string | null = null): FindingRow {
  return { runId, code, severity: findingSeverity(code), message, stepId };
}

export function deriveRuns(db: Db, opts: DeriveOptions = {}): DeriveResult {
  const store = new RunsDeriveStore(db);
  const t0 = performance.now();
  const sig = store.evidenceSignature();
  if (!opts.force && store.derivedSignature() === sig) return { skipped: true, runs: -1, ms: 0, phases: {} };
  const phases: Record<string, number> = {};
  let last = performance.now();
  const mark = (name: string) => {
    const now = performance.now();
    phases[name] = Math.round(now - last);
    opts.onPhase?.(name, phases[name]!);
    last = now;
  };
  const skewUs = opts.skewUs ?? CLOCK_SKEW_THRESHOLD_US;
  const helper = opts.helper === false ? null : startHelper(db, store);
  store.begin();
  try {
    store.clear();
    mark('clear');
    store.scan();
    mark('scan');
    store.aggregate(skewUs, helper);
    mark('aggregate');
    store.linkTraces();
    mark('traces');
    store.auditDecisions();
    mark('decision-ids');
    resolveSharedTraces(store);
    mark('shared-traces');
    store.aggregateRuns();
    mark('aggregate-runs');
    const linked = inferDecisionLinks(store);
    store.addLinkedDecisions(linked);
    mark('inferred-links');
    store.insertRuns();
    mark('insert-runs');

    // completeness findings
    store.setFindings();
    store.missingModelFindings();
    const rows: FindingRow[] = [];
    for (const s of store.clockSkews(skewUs)) {
      const by = formatDurationUs(s.offsetUs);
      rows.push(
        finding(
          s.runId,
          'CLOCK_SKEW',
          s.key
            ? `span ${s.spanId}${s.spanName ? ` (${s.spanName})` : ''} is ${by} ${s.spansLater ? 'later than' : 'earlier than'} its audit event: clocks disagree by ${by}`
            : `the run's spans are ${by} ${s.spansLater ? 'after' : 'before'} its audit events: clocks disagree by ${by}`,
          s.key,
        ),
      );
    }
    for (const b of store.chainBreaks()) {
      const first = b.problems[0]!;
      rows.push(
        finding(
          b.runId,
          'HASH_CHAIN_BROKEN',
          `${first.eventId ? `event ${first.eventId}: ` : ''}${first.problem}${b.problems.length > 1 ? ` (and ${b.problems.length - 1} more break${b.problems.length > 2 ? 's' : ''})` : ''}`,
          first.eventId ? `audit:${first.eventId}` : null,
        ),
      );
    }
    for (const t of store.spanTreeProblems()) {
      for (const runId of t.runIds) {
        if (t.report.nOrphans > 0) {
          const o = t.report.orphans[0]!;
          rows.push(
            finding(
              runId,
              'ORPHAN_SPAN',
              `${t.report.nOrphans} span${t.report.nOrphans === 1 ? '' : 's'} of trace ${t.traceId} name${t.report.nOrphans === 1 ? 's' : ''} a parent that is not in the case (e.g. span ${o.spanId} → missing parent ${o.parentSpanId})`,
              `span:${t.traceId}:${o.spanId}`,
            ),
          );
        }
        if (t.report.cycle.length > 0) {
          rows.push(finding(runId, 'SPAN_CYCLE', `spans of trace ${t.traceId} name each other as parents in a loop: ${t.report.cycle.slice(0, 6).join(' → ')}`, `span:${t.traceId}:${t.report.cycle[0]}`));
        }
      }
    }
    store.insertFindings(rows);
    mark('findings');

    // lineage of the model versions in use, at each run's start
    const index = new LineageIndex(lineageRecords(db));
    if (index.size > 0) {
      for (const mv of store.modelVersionsInUse()) {
        const first = index.firstProduction(mv.version, mv.name);
        if (first === null) store.findingForModelVersion(mv.version, null, 'LINEAGE_NOT_FOUND', findingSeverity('LINEAGE_NOT_FOUND'), `no OpenLineage job run produced model ${mv.name ? `${mv.name}@` : ''}${mv.version}`);
        else if (mv.firstStart !== null && mv.firstStart < first)
          store.findingForModelVersion(mv.version, first, 'LINEAGE_NOT_FOUND', findingSeverity('LINEAGE_NOT_FOUND'), `model ${mv.name ? `${mv.name}@` : ''}${mv.version} was used before any OpenLineage job run produced it`);
        if (first !== null && index.invalidEvents().length > 0) {
          const g = lineageGraph(index, mv.version, mv.lastStart, { modelName: mv.name });
          const bad = g.findings.filter((f) => f.code === 'INVALID_LINEAGE_EVENT');
          if (bad.length) store.findingForModelVersion(mv.version, null, 'INVALID_LINEAGE_EVENT', findingSeverity('INVALID_LINEAGE_EVENT'), bad[0]!.message);
        }
      }
    }
    mark('lineage');

    store.finalize();
    mark('tags');
    store.buildFts();
    mark('fts');
    store.refreshHarmful();
    setRunsSummary(db, computeRunsSummary(db));
    setMetaValue(db, 'recon.histogram', '');
    cacheOverview(db);
    mark('summary');
    // large runs in the form getRun returns them, so that opening a 100,000-span trace reads one row
    clearLargeRuns(db);
    for (const runId of largeRunCandidates(db, LARGE_RUN_ITEMS)) {
      const run = apiRunBody(db, runId);
      if (run) storeLargeRun(db, runId, JSON.stringify(run));
    }
    mark('large-runs');
    store.setDerivedSignature(sig);
    store.dropTemps();
    store.commit();
    mark('commit');
    store.analyze();
    mark('analyze');
  } catch (e) {
    store.rollback();
    throw e;
  } finally {
    store.end();
    helper?.dispose();
  }
  if (helper) {
    phases['helper'] = helper.ms();
    opts.onPhase?.('helper', phases['helper']);
  }
  const runs = countAllRuns(db);
  return { skipped: false, runs, ms: Math.round(performance.now() - t0), phases };
}

/** How long a helper thread may take to start before the derivation builds t_aud itself. */
const HELPER_START_MS = 30_000;

/**
 * Starts the helper connection (electron/core/workers/derive-worker.ts) that builds t_aud from the audit parts and
 * the decision side (t_adec, t_opa, t_dj) from the decisions' facts into a scratch database on another thread,
 * while this one scans and builds the span side: the aggregation's two halves on both cores. Null
 * (the derivation does it all itself) for in-memory cases, cases with legacy backfills pending (the parts they
 * add are not committed, so a second connection would not see them), when the worker is not built, and when
 * CASEFILE_DERIVE_HELPER=0. Memory: the helper's caches are 4 MiB per schema and its nursery 8 MB; measured on the
 * 300k-run bench import, the derivation's peak RSS is 310–362 MB with it (281–285 MB without), under the
 * streaming's 338–375 MB, for a derivation 1.2–2.3 s shorter (docs/performance.md).
 */
function startHelper(db: Db, store: RunsDeriveStore): (HelperTables & { dispose(): void; ms(): number }) | null {
  if (db.memory || !db.name || process.env.CASEFILE_DERIVE_HELPER === '0' || store.backfillPending()) return null;
  let script: string;
  try {
    script = distFile('derive-worker.cjs');
  } catch {
    return null;
  }
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), 'casefile-derive-'));
  } catch {
    return null; // no writable temporary directory: the derivation builds t_aud itself
  }
  const scratchPath = join(dir, 'audit-runs.sqlite');
  const signal = new SharedArrayBuffer(4);
  const flag = new Int32Array(signal);
  const { port1, port2 } = new MessageChannel();
  let worker: Worker | null = null;
  let result: { ok: boolean; ms?: number; error?: string } | null = null;
  try {
    store.attachAuditRuns(scratchPath);
    // a small nursery: the helper's JavaScript is two SQL functions (garbage per run, nothing kept)
    worker = new Worker(script, { workerData: { casePath: resolve(db.name), scratchPath, signal, port: port2 }, transferList: [port2], name: 'casefile-derive', resourceLimits: { maxYoungGenerationSizeMb: 8 } });
  } catch {
    port1.close();
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return {
    wait(): boolean {
      // the deriving thread is inside one synchronous transaction: it waits on the shared flag, not on events
      const started = performance.now();
      while (Atomics.load(flag, 0) === 0 && performance.now() - started < HELPER_START_MS) Atomics.wait(flag, 0, 0, 100);
      while (Atomics.load(flag, 0) === 1) Atomics.wait(flag, 0, 1, 1000);
      if (Atomics.load(flag, 0) !== 2) return false;
      result = (receiveMessageOnPort(port1)?.message as typeof result) ?? null;
      // the scratch file is open on this connection now: unlinked at once, a process killed later leaves nothing
      // behind (where an open file cannot be removed, dispose() removes it)
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // removed at dispose()
      }
      return result?.ok === true;
    },
    ms: () => result?.ms ?? -1,
    dispose(): void {
      port1.close();
      void worker?.terminate();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

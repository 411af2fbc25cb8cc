/**
 * deriveRuns: rebuilds the runs tables (migration 002) from the evidence after an import — correlation,
 * per-run summaries, completeness findings, tags, full-text index — in one transaction, set-based
 * (electron/core/store/runs-derive.ts holds the SQL). Skips the work when the evidence has not changed
 * since the last derivation.
 */
import type { FindingCode } from '../../../shared/api';
import { CLOCK_SKEW_THRESHOLD_US, findingSeverity, formatDurationUs } from '../../../shared/findings';
import type { Db } from '../store/db';
import { RunsDeriveStore, type FindingRow } from '../store/runs-derive';
import { inferDecisionLinks, resolveSharedTraces } from './correlate';
import { LineageIndex, lineageGraph } from './lineage';
import { clearLargeRuns, computeRunsSummary, countAllRuns, largeRunCandidates, lineageRecords, setMetaValue, setRunsSummary, storeLargeRun } from '../store/runs-store';
import { LARGE_RUN_ITEMS } from '../../../shared/run-columns';
import { apiRunBody } from './reconstruct';
import { cacheOverview } from './overview';

export interface DeriveOptions {
  /** derive even when the evidence did not change */
  force?: boolean;
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
  store.begin();
  try {
    store.clear();
    mark('clear');
    store.scan();
    mark('scan');
    store.aggregate(skewUs);
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
  }
  const runs = countAllRuns(db);
  return { skipped: false, runs, ms: Math.round(performance.now() - t0), phases };
}

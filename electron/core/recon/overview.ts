/**
 * Case-level figures from the runs table (overviewParts) and per-run facts for the SLI engine (runFacts).
 */
import type { CaseOverview, FindingCode, RunFact, RunQuery, Verdict } from '../../../shared/api';
import type { Db } from '../store/db';
import { completenessCounts, runFactRows, runTimeRange, startHistogram, tagCountsWithPrefix } from '../store/runs-store';

const NICE_STEPS_US = [1, 5, 15, 30, 60, 180, 360, 720, 1440, 2880, 10080].map((min) => min * 60_000_000);

/** A bucket width giving at most `maxBuckets` buckets over the range, rounded to a readable duration. */
export function bucketWidth(from: number, to: number, maxBuckets = 96): number {
  const span = Math.max(1, to - from);
  for (const s of NICE_STEPS_US) if (span / s <= maxBuckets) return s;
  return Math.ceil(span / maxBuckets / 86_400_000_000) * 86_400_000_000;
}

export type OverviewParts = Pick<CaseOverview, 'auditCompleteness' | 'timeRange' | 'histogram' | 'topReasonCodes' | 'findingCounts'>;

export function overviewParts(db: Db, opts: { maxBuckets?: number; topReasons?: number } = {}): OverviewParts {
  const { total, complete } = completenessCounts(db);
  const timeRange = runTimeRange(db);
  let histogram: OverviewParts['histogram'] = [];
  if (timeRange.from !== null && timeRange.to !== null) {
    const w = bucketWidth(timeRange.from, timeRange.to, opts.maxBuckets);
    const from = Math.floor(timeRange.from / w) * w;
    const counts = new Map(startHistogram(db, from, w).map((b) => [b.b, b]));
    const n = Math.floor((timeRange.to - from) / w) + 1;
    histogram = Array.from({ length: n }, (_, i) => ({ from: from + i * w, to: from + (i + 1) * w, runs: counts.get(i)?.runs ?? 0, harmful: counts.get(i)?.harmful ?? 0 }));
  }
  return {
    auditCompleteness: { ratio: total ? complete / total : 1, complete, total },
    timeRange,
    histogram,
    topReasonCodes: tagCountsWithPrefix(db, 'r', opts.topReasons ?? 10).map((r) => ({ code: r.value, count: r.count })),
    findingCounts: tagCountsWithPrefix(db, 'f', 100).map((r) => ({ code: r.value as FindingCode, count: r.count })),
  };
}

const words = (s: string) => (s ? s.split(' ') : []);

/** One RunFact per run (in start order), streamed: the SLI engine's input (shared/sli.ts). */
export function* runFacts(db: Db, q: RunQuery = {}): Generator<RunFact> {
  for (const r of runFactRows(db, q)) {
    yield {
      runId: r.run_id,
      workflow: r.workflow,
      tier: r.tier,
      modelVersion: r.model_version,
      startedAt: r.started,
      endedAt: r.ended,
      writes: r.n_writes,
      denied: r.n_deny,
      escalated: r.n_escalate,
      redacted: r.n_redact,
      reasonCodes: words(r.reason_codes),
      undos: r.n_undo,
      reruns: r.n_rerun,
      escalations: r.n_escalation_signal,
      complaints: r.n_complaint,
      approvalsRejected: r.n_approval_rejected,
      labels: r.labels
        ? r.labels.split('\n').map((l) => {
            const [category, verdict] = l.split('\t');
            return { category: category!, verdict: verdict as Verdict };
          })
        : [],
      inputLength: r.input_len,
      tools: words(r.tools),
      language: r.input_lang,
    };
  }
}

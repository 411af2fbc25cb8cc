/**
 * Case-level figures from the runs table (overviewParts) and per-run facts for the SLI engine (runFacts).
 */
import type { CaseOverview, FindingCode, RunFact, RunQuery, Verdict } from '../../../shared/api';
import type { Db } from '../store/db';
import { harmfulHistogram, metaValue, runFactRows, runsSummary, setMetaValue, startHistogram, tagCountsWithPrefix } from '../store/runs-store';

const NICE_STEPS_US = [1, 5, 15, 30, 60, 180, 360, 720, 1440, 2880, 10080].map((min) => min * 60_000_000);

/** A bucket width giving at most `maxBuckets` buckets over the range, rounded to a readable duration. */
export function bucketWidth(from: number, to: number, maxBuckets = 96): number {
  const span = Math.max(1, to - from);
  for (const s of NICE_STEPS_US) if (span / s <= maxBuckets) return s;
  return Math.ceil(span / maxBuckets / 86_400_000_000) * 86_400_000_000;
}

export type OverviewParts = Pick<CaseOverview, 'auditCompleteness' | 'timeRange' | 'histogram' | 'topReasonCodes' | 'findingCounts'>;

const HISTOGRAM_KEY = 'recon.histogram';

/** Run starts per bucket over the case's time range (kept at derivation for the default bucket count). */
function runStarts(db: Db, from: number, to: number, maxBuckets: number): { start: number; width: number; runs: number[] } {
  const cached = metaValue(db, HISTOGRAM_KEY);
  if (cached) {
    const h = JSON.parse(cached) as { maxBuckets: number; rangeFrom: number; rangeTo: number; start: number; width: number; runs: number[] };
    if (h.maxBuckets === maxBuckets && h.rangeFrom === from && h.rangeTo === to) return h;
  }
  const width = bucketWidth(from, to, maxBuckets);
  const start = Math.floor(from / width) * width;
  const counts = new Map(startHistogram(db, start, width).map((b) => [b.b, b.runs]));
  const n = Math.floor((to - start) / width) + 1;
  return { start, width, runs: Array.from({ length: n }, (_, i) => counts.get(i) ?? 0) };
}

/** Called at the end of a derivation: keeps the default histogram of run starts in meta. */
export function cacheOverview(db: Db): void {
  const s = runsSummary(db);
  if (s.from === null || s.to === null) return;
  const h = runStarts(db, s.from, s.to, DEFAULT_BUCKETS);
  setMetaValue(db, HISTOGRAM_KEY, JSON.stringify({ maxBuckets: DEFAULT_BUCKETS, rangeFrom: s.from, rangeTo: s.to, ...h }));
}

const DEFAULT_BUCKETS = 96;

export function overviewParts(db: Db, opts: { maxBuckets?: number; topReasons?: number } = {}): OverviewParts {
  const { total, complete, from: rangeFrom, to: rangeTo } = runsSummary(db);
  const timeRange = { from: rangeFrom, to: rangeTo };
  let histogram: OverviewParts['histogram'] = [];
  if (rangeFrom !== null && rangeTo !== null) {
    const { start, width, runs } = runStarts(db, rangeFrom, rangeTo, opts.maxBuckets ?? DEFAULT_BUCKETS);
    const harmful = new Map(harmfulHistogram(db, start, width).map((b) => [b.b, b.harmful]));
    histogram = runs.map((n, i) => ({ from: start + i * width, to: start + (i + 1) * width, runs: n, harmful: harmful.get(i) ?? 0 }));
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

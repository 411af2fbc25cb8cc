/**
 * Query benchmarks on a case (bundled and run by bench/queries.cjs): open a run, full-text search first
 * page, filtered run list first page, facets, overview, and the whole-case budget computation.
 * Prints one JSON line: { rows: [{ op, p50, p95, target, n }], info }.
 */
import { openDb } from '../electron/core/store/db';
import { RunsDeriveStore } from '../electron/core/store/runs-derive';
import { deriveRuns, ensureRuns, facets, getRun, listRuns, overviewParts, runFacts } from '../electron/core/recon/index';
import type { RunQuery } from '../shared/api';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export async function main(casePath: string, opts: { forceDerive?: boolean } = {}): Promise<void> {
  const db = openDb(casePath);
  const info: Record<string, unknown> = {};
  const t0 = performance.now();
  const onPhase = (phase: string, ms: number) => process.stderr.write(`derive: ${phase} ${ms} ms (rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB)\n`);
  if (opts.forceDerive) info.derive = deriveRuns(db, { force: true, onPhase });
  else info.derived = ensureRuns(db);
  info.deriveMs = Math.round(performance.now() - t0);
  void RunsDeriveStore;
  const rows: Array<{ op: string; p50: number; p95: number; target: string; n: number }> = [];
  const time = (op: string, target: string, fns: Array<() => unknown>) => {
    const ms: number[] = [];
    for (const f of fns) {
      const a = performance.now();
      f();
      ms.push(performance.now() - a);
    }
    rows.push({ op, p50: Math.round(pct(ms, 50) * 10) / 10, p95: Math.round(pct(ms, 95) * 10) / 10, target, n: ms.length });
  };
  const total = listRuns(db, { limit: 1 }).total;
  info.runs = total;

  // open a run: 300 runs drawn uniformly (by rid: start order)
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = db.prepare('SELECT run_id FROM runs WHERE rid = ?');
  const ids: string[] = [];
  for (let i = 0; i < 300; i++) {
    const r = pick.get(1 + Math.floor(rand() * total)) as { run_id: string } | undefined;
    if (r) ids.push(r.run_id);
  }
  let maxSteps = 0;
  for (const id of ids.slice(0, 20)) getRun(db, id); // warm up (JIT, page cache of the run's index pages)
  time(
    'open a run (getRun)',
    'p95 ≤ 30 ms',
    ids.map((id) => () => {
      const run = getRun(db, id);
      maxSteps = Math.max(maxSteps, run.steps.length);
    }),
  );
  info.openedRuns = ids.length;
  info.maxSteps = maxSteps;

  const search = ['refund', 'damaged', '"arrived damaged"', 'PROMPT_INJECTION_SUSPECTED', 'electronics', 'password', 'canada', 'never arrived', 'admin mode', 'W-OVER-TOTAL', 'refund*', 'charged OR returned'];
  time('full-text search, first page (50 runs)', 'p95 ≤ 200 ms', [...search, ...search].map((s) => () => listRuns(db, { search: s, limit: 50 })));
  const each: Record<string, number> = {};
  for (const s of search) {
    const a = performance.now();
    each[s] = Math.round(listRuns(db, { search: s, limit: 50 }).total);
    each[`${s} ms`] = Math.round((performance.now() - a) * 10) / 10;
  }
  info.search = each;

  const filters: RunQuery[] = [
    { workflow: ['refund-agent'] },
    { workflow: ['refund-agent'], modelVersion: ['2026.10.2'], hasWrite: true },
    { tier: ['approve'] },
    { decision: ['deny'] },
    { reasonCode: ['PII_EMAIL_IN_OUTPUT'] },
    { finding: ['MISSING_MODEL_VERSION'] },
    { from: Date.UTC(2026, 9, 13, 14) * 1000, to: Date.UTC(2026, 9, 14, 13, 30) * 1000, workflow: ['refund-agent'] },
    { hasWrite: true, sort: { by: 'duration', dir: 'desc' } },
    { workflow: ['kb-answer'], sort: { by: 'started', dir: 'desc' } },
    { decision: ['escalate'], modelVersion: ['2026.10.1'] },
  ];
  time('filtered run list, first page (50 runs, exact total)', '≤ 200 ms', [...filters, ...filters].map((q) => () => listRuns(db, { ...q, limit: 50 })));
  info.filters = filters.map((q) => {
    const a = performance.now();
    const total = listRuns(db, { ...q, limit: 50 }).total;
    return { q, total, ms: Math.round((performance.now() - a) * 10) / 10 };
  });
  const facetQueries: RunQuery[] = [{}, { workflow: ['refund-agent'] }, { workflow: ['refund-agent'], modelVersion: ['2026.10.2'], hasWrite: true }, { finding: ['NO_TRACE'] }];
  time('facet counts', '—', facetQueries.map((q) => () => facets(db, q)));
  time('overview (completeness, histogram, top codes)', '—', [0, 1, 2].map(() => () => overviewParts(db)));

  // whole-case budget computation: run facts + shared/sli.ts over the case's budgets
  try {
    const { evaluateCaseBudgets } = await import('../electron/core/budgets/evaluate');
    const { loadFactTable } = await import('../electron/core/budgets/facts');
    time('budget computation, whole case (facts + SLIs + burn + replay)', '≤ 5 s', [0, 1].map(() => () => evaluateCaseBudgets(casePath, loadFactTable)));
    time('run facts for the SLI engine (recon runFacts, every run)', '—', [0].map(() => () => [...runFacts(db)].length));
  } catch (e) {
    info.budgets = `not measured: ${(e as Error).message}`;
  }
  db.close();
  process.stdout.write(`${JSON.stringify({ rows, info })}\n`);
}

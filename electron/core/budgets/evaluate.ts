/** Budget evaluation over a case: the budgets document + the case's run facts → shared/sli.ts. */
import type { BudgetReport, BudgetsDoc, RunFact } from '../../../shared/api';
import { evaluateBudgets, tableFromFacts, type FactTable } from '../../../shared/sli';
import { loadBudgetsFile, loadCaseBudgets } from './load';

export interface CaseBudgetReport extends BudgetReport {
  budgetsSource: string | null;
  runs: number;
  timings: { factsMs: number; evaluateMs: number };
}

/**
 * Evaluate the case's budgets (or those of `budgetsFile`) over its runs. `loadFacts` reads the case's
 * facts: a FactTable (budgets/facts.ts loadFactTable — fast at a million runs) or RunFact objects.
 */
export function evaluateCaseBudgets(casePath: string, loadFacts: (casePath: string) => FactTable | RunFact[], opts: { budgetsFile?: string; doc?: BudgetsDoc } = {}): CaseBudgetReport {
  const doc = opts.doc ?? (opts.budgetsFile ? loadBudgetsFile(opts.budgetsFile) : loadCaseBudgets(casePath));
  const t0 = performance.now();
  const loaded = loadFacts(casePath);
  const table = Array.isArray(loaded) ? tableFromFacts(loaded) : loaded;
  const t1 = performance.now();
  const report = evaluateBudgets(doc, table);
  const t2 = performance.now();
  return { ...report, budgetsSource: doc.source, runs: table.time.length, timings: { factsMs: Math.round(t1 - t0), evaluateMs: Math.round(t2 - t1) } };
}

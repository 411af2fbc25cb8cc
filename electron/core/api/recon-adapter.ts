/**
 * The one place the API handlers reach run reconstruction (electron/core/recon/) and exports
 * (electron/core/export/): argument order and connection handling are adapted here.
 */
import type { BudgetReport, ExportRequest, RunFact, RunQuery } from '../../../shared/api';
import type { Db } from '../store/db';
import * as recon from '../recon/index';
import * as exporter from '../export/index';

/** What adapted functions need: the case path and this worker's connection to it. */
export interface CaseCtx {
  casePath: string;
  db(): Db;
}

export const runFacts = (c: CaseCtx, q: RunQuery = {}): RunFact[] => [...recon.runFacts(c.db(), q)];
export const overviewParts = (c: CaseCtx) => recon.overviewParts(c.db());
export const listRuns = (c: CaseCtx, q: RunQuery) => recon.listRuns(c.db(), q);
export const facets = (c: CaseCtx, q: RunQuery) => recon.facets(c.db(), q);
export const getRun = (c: CaseCtx, runId: string) => recon.getRun(c.db(), runId);
export const diffRuns = (c: CaseCtx, a: string, b: string) => recon.diffRuns(c.db(), a, b);
export const lineage = (c: CaseCtx, mv: string, asOf: number | null) => recon.lineage(c.db(), mv, asOf);
export const affectedSet = (c: CaseCtx) => {
  const a = recon.affectedSet(c.db());
  return { query: a.query, count: a.count, savedAt: a.savedAt };
};
export const saveAffectedSet = (c: CaseCtx, q: RunQuery, note?: string) => recon.saveAffectedSet(c.db(), q, note ?? null);
export const sqlQuery = (c: CaseCtx, sql: string, rowCap: number, timeoutMs: number) => recon.sqlQuery(c.casePath, sql, rowCap, timeoutMs);
/** One export of the case (electron/core/export), with the budget charts and reconstructed runs it can draw on. */
export const exportCase = (c: CaseCtx, req: ExportRequest, budgetReport: () => BudgetReport | null, appVersion: string) =>
  exporter.exportCase(c.db(), c.casePath, req, { budgetReport, getRun: (runId: string) => recon.getRun(c.db(), runId), appVersion });

/** Derive runs when the evidence changed since the last derivation (needs the writable connection). */
export function ensureDerived(_c: CaseCtx, db: Db): boolean {
  return recon.ensureRuns(db);
}

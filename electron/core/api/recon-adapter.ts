/**
 * The one place the API handlers reach run reconstruction (electron/core/recon/) and exports
 * (electron/core/export/): argument order and connection handling are adapted here.
 */
import type { BudgetReport, ExportRequest, Postmortem, ReconstructedRun, RunFact, RunQuery, Step } from '../../../shared/api';
import type { Db } from '../store/db';
import { provenanceOf, runMemberRecord, saveAffectedRunIds as storeAffectedRunIds } from '../store/runs-store';
import * as recon from '../recon/index';
import * as exporter from '../export/index';
import { ApiFailure } from './errors';

/** What adapted functions need: the case path and this worker's connection to it. */
export interface CaseCtx {
  casePath: string;
  db(): Db;
}

export const runFacts = (c: CaseCtx, q: RunQuery = {}): RunFact[] => [...recon.runFacts(c.db(), q)];
export const overviewParts = (c: CaseCtx) => recon.overviewParts(c.db());
export const listRuns = (c: CaseCtx, q: RunQuery) => recon.listRuns(c.db(), q);
export const facets = (c: CaseCtx, q: RunQuery) => recon.facets(c.db(), q);
/** The run as the API returns it: compact and lean when large (recon getRunForApi). */
export const getRun = (c: CaseCtx, runId: string): ReconstructedRun => recon.getRunForApi(c.db(), runId);

/**
 * One step of a run, whole. A span or log step is built from its own record alone (looked up by key, with
 * how it belongs to the run and where it was read from), by the same assembly as the whole run: such a step
 * depends on nothing else of the run. Any other step (audit events draw on the run's decision logs and
 * earlier values) comes from reconstructing the run. Every step id is the key of one of the run's records,
 * so a key that is not one (or an unknown run) is NOT_FOUND at once.
 */
export function getStep(c: CaseCtx, runId: string, stepId: string): Step {
  const db = c.db();
  const members = runMemberRecord(db, runId, stepId);
  if (members.length === 0) throw new ApiFailure(`no step ${stepId} in run ${runId}`, 'NOT_FOUND');
  const kind = members[0]!.kind;
  if (kind === 'span' || kind === 'log') {
    const one = recon.assembleRun({ runId, row: null, records: members, named: [], provenance: provenanceOf(db, [members[0]!.id]), findings: [] });
    const step = one.steps.find((s) => s.id === stepId);
    if (step) return step;
  }
  const step = recon.getRun(db, runId).steps.find((s) => s.id === stepId);
  if (!step) throw new ApiFailure(`no step ${stepId} in run ${runId}`, 'NOT_FOUND');
  return step;
}
export const diffRuns = (c: CaseCtx, a: string, b: string) => recon.diffRuns(c.db(), a, b);
export const lineage = (c: CaseCtx, mv: string, asOf: number | null) => recon.lineage(c.db(), mv, asOf);
export const affectedSet = (c: CaseCtx) => {
  const a = recon.affectedSet(c.db());
  return { query: a.query, count: a.count, savedAt: a.savedAt };
};
export const saveAffectedSet = (c: CaseCtx, q: RunQuery, note?: string) => recon.saveAffectedSet(c.db(), q, note ?? null);
/** Exactly these runs as the affected set (store: saveAffectedRunIds; unknown ids → NOT_FOUND, nothing saved). */
export const saveAffectedRunIds = (c: CaseCtx, runIds: string[], note?: string): { count: number } => ({ count: storeAffectedRunIds(c.db(), runIds, note ?? null) });
export const sqlQuery = (c: CaseCtx, sql: string, rowCap: number, timeoutMs: number) => recon.sqlQuery(c.casePath, sql, rowCap, timeoutMs);
/** One export of the case (electron/core/export), with the budget charts and reconstructed runs it can draw on. */
export const exportCase = (c: CaseCtx, req: ExportRequest, budgetReport: () => BudgetReport | null, appVersion: string) =>
  exporter.exportCase(c.db(), c.casePath, req, { budgetReport, getRun: (runId: string) => recon.getRun(c.db(), runId), appVersion });

/** The saved postmortem, or the blameless template generated from the case while none was saved. */
export const postmortemOrTemplate = (c: CaseCtx, budgetReport: BudgetReport | null): Postmortem => exporter.getPostmortemOrTemplate(c.db(), budgetReport);

/** Derive runs when the evidence changed since the last derivation (needs the writable connection). */
export function ensureDerived(_c: CaseCtx, db: Db): boolean {
  return recon.ensureRuns(db);
}

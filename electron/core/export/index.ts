/**
 * Exports of a case (issue 5): training data (sft-jsonl, dpo-jsonl), regression tests (promptfoo,
 * opa-tests), reports (report-md, report-html, report-pdf) and the case archive. Every export writes a
 * manifest (the SHA-256 of each source file drawn on, and for each example the source records — key,
 * file, line, JSON path — it came from) and a redaction report. Redaction is on unless `redact: false`.
 *
 * Also re-exports the label / postmortem store functions the API service calls.
 */
import type { BudgetReport, ExportRequest, ExportResult, Postmortem } from '../../../shared/api';
import { getPostmortem } from '../store/labels-store';
import { postmortemTemplate } from './facts';
import type { Db } from '../store/db';
import { exportArchive } from './archive';
import { EXPORT_FORMATS, ExportContext } from './common';
import { exportOpa } from './opa';
import { exportPromptfoo } from './promptfoo';
import { exportReportHtml, exportReportMd, exportReportPdf } from './reports';
import { exportDpo, exportSft } from './training';
import { ExportRequestError, type ExportDeps } from './types';

export { ExportRequestError };

export type { ExportDeps, ExportManifest, ManifestExample, ExampleSourceRef } from './types';
export { EXPORT_FORMATS } from './common';
export { collectPostmortemFacts, postmortemTemplate } from './facts';
export { buildExample, normalizeModelOutput, type LabelExample } from './examples';
export { printWithChromium, chromiumPath } from './pdf';
export { budgetChartsSvg, volumeChartSvg } from './charts';
export {
  setLabel,
  deleteLabel,
  labels,
  labelById,
  labelHistory,
  verifyLabelLog,
  labelLogHead,
  getTaxonomy,
  setTaxonomy,
  getPostmortem,
  savePostmortem,
  postmortemJournal,
  refreshRunHarmful,
  refreshAllRunHarmful,
  backupCase,
  LabelStoreError,
  StaleRevisionError,
  type LabelLogReport,
  type TaxonomyEntry,
} from '../store/labels-store';


/**
 * The postmortem for the editor: the saved document, or — while nothing was saved yet (revision 0) — the
 * blameless template generated from the evidence, to be saved with baseRevision 0.
 */
export function getPostmortemOrTemplate(db: Db, budgetReport: BudgetReport | null = null): Postmortem {
  const pm = getPostmortem(db);
  if (pm.revision > 0 || pm.markdown.trim()) return pm;
  return { markdown: postmortemTemplate(db, budgetReport), revision: 0, updatedAt: null };
}

/** Runs one export of the open case. `casePath` names the case in manifests; `db` is its connection. */
export async function exportCase(db: Db, casePath: string, req: ExportRequest, deps: ExportDeps = {}): Promise<ExportResult> {
  if (!req || !EXPORT_FORMATS.includes(req.format)) throw new ExportRequestError(`unknown export format '${String(req?.format)}': one of ${EXPORT_FORMATS.join(', ')}`);
  if (typeof req.outPath !== 'string' || !req.outPath.trim()) throw new ExportRequestError('outPath is required');
  if (req.names !== undefined && (!Array.isArray(req.names) || req.names.some((n) => typeof n !== 'string'))) throw new ExportRequestError('names must be a list of strings');
  const ctx = new ExportContext(db, casePath, req, deps);
  switch (req.format) {
    case 'sft-jsonl':
      return exportSft(ctx);
    case 'dpo-jsonl':
      return exportDpo(ctx);
    case 'promptfoo':
      return exportPromptfoo(ctx);
    case 'opa-tests':
      return exportOpa(ctx);
    case 'report-md':
      return exportReportMd(ctx);
    case 'report-html':
      return exportReportHtml(ctx);
    case 'report-pdf':
      return exportReportPdf(ctx);
    case 'case-archive':
      return exportArchive(ctx);
  }
}

/**
 * What the query/facts/writer workers run, by method name (electron/core/workers/query-worker.ts).
 * Each handler gets the session context (the open case) and the call's arguments, already validated
 * for shape by the service where it matters. Handlers never run on the thread that serves the UI.
 */
import type {
  BudgetReport,
  BudgetsDoc,
  CaseOverview,
  CompareReport,
  CompareRequest,
  ExportRequest,
  LabelInput,
  Postmortem,
  QuarantineItem,
  RunQuery,
  SourceStatus,
  Step,
  VerifyReport,
} from '../../../shared/api';
import { budgetStatus, compareSides, evaluateBudgets, type FactTable } from '../../../shared/sli';
import { factTable } from '../budgets/facts';
import { openDb, type Db } from '../store/db';
import { CaseQueries } from '../store/case-queries';
import { ApiQueries } from '../store/api-queries';
import * as labelsStore from '../store/labels-store';
import { toImported } from '../import/apply';
import { verifyCase } from '../import/verify';
import { loadCaseBudgets } from '../budgets/load';
import { ApiFailure } from './errors';
import * as recon from './recon-adapter';
import pkg from '../../../package.json';

export type Role = 'reader' | 'facts' | 'writer';

export interface HandlerCtx {
  casePath: string;
  generation: number;
  role: Role;
  /** This worker's connection to the case: read-only for readers and facts, writable for the writer. */
  db(): Db;
}

type Handler = (ctx: HandlerCtx, ...args: any[]) => unknown;

// ---------------------------------------------------------------- connections & caches (per worker)

const conns = new Map<string, Db>();

export function connection(casePath: string, role: Role): Db {
  let db = conns.get(casePath);
  if (db && !db.open) {
    conns.delete(casePath);
    db = undefined;
  }
  if (!db) {
    // keep at most two cases open per worker (the open one and the one being switched to)
    while (conns.size >= 2) {
      const [k, old] = conns.entries().next().value as [string, Db];
      conns.delete(k);
      try {
        old.close();
      } catch {}
    }
    db = openDb(casePath, { readonly: role !== 'writer' });
    conns.set(casePath, db);
  }
  return db;
}

let factsCache: { key: string; table: FactTable; doc: BudgetsDoc | null; report: BudgetReport | null } | null = null;

function cacheKey(ctx: HandlerCtx): string {
  return `${ctx.casePath}\n${ctx.generation}\n${new ApiQueries(ctx.db()).dataVersion()}`;
}

/** The facts worker keeps the open case's fact table (and derived results) until the case changes. */
function cached(ctx: HandlerCtx) {
  const key = cacheKey(ctx);
  if (factsCache?.key !== key) {
    factsCache = null; // let the old table go before building the new one
    factsCache = { key, table: factTable(ctx.db()), doc: null, report: null };
  }
  return factsCache;
}

function caseBudgets(ctx: HandlerCtx): BudgetsDoc {
  const c = cached(ctx);
  c.doc ??= loadCaseBudgets(ctx.casePath);
  return c.doc;
}

function report(ctx: HandlerCtx): BudgetReport {
  const c = cached(ctx);
  c.report ??= evaluateBudgets(caseBudgets(ctx), c.table);
  return c.report;
}

// ---------------------------------------------------------------- validation helpers

function int(v: unknown, name: string, min: number, max: number, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ApiFailure(`${name} must be a whole number in [${min}, ${max}]`, 'BAD_REQUEST');
  return v;
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string' || !v) throw new ApiFailure(`${name} must be a non-empty string`, 'BAD_REQUEST');
  return v;
}

function query(v: unknown): RunQuery {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ApiFailure('the run query must be an object', 'BAD_REQUEST');
  return v as RunQuery;
}

function strings(v: unknown, name: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ApiFailure(`${name} must be a list of strings`, 'BAD_REQUEST');
  return v as string[];
}

// ---------------------------------------------------------------- handlers

function sourcesOf(q: CaseQueries): SourceStatus[] {
  const aliases = q.aliases();
  return q.sources().map((s) => ({
    ...toImported(s, false, null),
    manifestSha256: s.manifest_sha256,
    aliases: aliases.filter((a) => a.source_id === s.id).map((a) => a.path),
  }));
}

const READ: Record<string, Handler> = {
  overview(ctx): CaseOverview {
    const q = new CaseQueries(ctx.db());
    const parts = recon.overviewParts(ctx);
    const totals = q.totals();
    return { casePath: ctx.casePath, totals, sources: sourcesOf(q), ...parts, budgetStatus: [] };
  },
  async verify(ctx): Promise<VerifyReport> {
    const r = await verifyCase(ctx.casePath);
    return { ok: r.ok, sources: r.sources, chains: r.chains, integrity: r.integrity, manifest: r.manifest };
  },
  quarantine(ctx, offset: unknown, limit: unknown): { items: QuarantineItem[]; total: number } {
    const o = int(offset, 'offset', 0, Number.MAX_SAFE_INTEGER, 0);
    const l = int(limit, 'limit', 0, 100_000, 100);
    const db = ctx.db();
    return { items: new CaseQueries(db).quarantine(l, o), total: new ApiQueries(db).quarantineCount() };
  },
  listRuns: (ctx, q: unknown) => recon.listRuns(ctx, query(q)),
  facets: (ctx, q: unknown) => recon.facets(ctx, query(q)),
  getRun: (ctx, runId: unknown) => recon.getRun(ctx, str(runId, 'runId')),
  getStep: (ctx, runId: unknown, stepId: unknown): Step => recon.getStep(ctx, str(runId, 'runId'), str(stepId, 'stepId')),
  diffRuns: (ctx, a: unknown, b: unknown) => recon.diffRuns(ctx, str(a, 'run a'), str(b, 'run b')),
  lineage: (ctx, mv: unknown, asOf: unknown) => recon.lineage(ctx, str(mv, 'modelVersion'), typeof asOf === 'number' ? asOf : null),
  affectedSet: (ctx) => recon.affectedSet(ctx),
  sql: (ctx, sql: unknown, rowCap: unknown, timeoutMs: unknown) => recon.sqlQuery(ctx, str(sql, 'query'), int(rowCap, 'rowCap', 1, 1_000_000, 1000), int(timeoutMs, 'timeoutMs', 1, 600_000, 10_000)),
  labels: (ctx, runId: unknown) => labelsStore.labels(ctx.db(), runId === undefined || runId === null ? undefined : str(runId, 'runId')),
  labelHistory: (ctx) => labelsStore.labelHistory(ctx.db()),
  getPostmortem: (ctx): Postmortem => labelsStore.getPostmortem(ctx.db()),
  taxonomy: (ctx): string[] => labelsStore.getTaxonomy(ctx.db()).map((t) => t.name),
};

const FACTS: Record<string, Handler> = {
  budgets: (ctx): BudgetsDoc => caseBudgets(ctx),
  evaluateBudgets: (ctx): BudgetReport => report(ctx),
  /** The saved postmortem, or (revision 0) the template, drawing on the budget report this worker keeps. */
  postmortemOrTemplate: (ctx): Postmortem => recon.postmortemOrTemplate(ctx, caseBudgets(ctx).budgets.length ? report(ctx) : null),
  budgetStatus: (ctx): CaseOverview['budgetStatus'] => report(ctx).evaluations.map((e) => ({ workflow: e.budget.workflow, tier: e.budget.tier, sli: e.budget.sli, consumed: e.consumed, status: budgetStatus(e) })),
  compare(ctx, req: CompareRequest): CompareReport {
    if (!req || typeof req !== 'object' || !req.a || !req.b) throw new ApiFailure('compare needs { a, b }', 'BAD_REQUEST');
    // each side's candidates come from the store already narrowed (workflow, model version, start window)
    const side = (x: CompareRequest['a']): RunQuery => ({
      ...(req.workflow ? { workflow: [req.workflow] } : {}),
      ...(x.modelVersion ? { modelVersion: [x.modelVersion] } : {}),
      ...(x.from != null ? { from: x.from } : {}),
      ...(x.to != null ? { to: x.to } : {}),
    });
    return compareSides(recon.runFacts(ctx, side(req.a)), recon.runFacts(ctx, side(req.b)), req);
  },
};

const WRITE: Record<string, Handler> = {
  /** Bring an opened or freshly imported case up to date: migrations (by opening it writable) and derived runs. */
  prepareCase(ctx): { derived: boolean } {
    const db = ctx.db();
    return { derived: recon.ensureDerived(ctx, db) };
  },
  saveAffectedSet(ctx, q: unknown, note: unknown) {
    const rq = query(q);
    const n = typeof note === 'string' ? note : undefined;
    // hand-picked runs: exactly those ids (the run query itself does not filter by runIds)
    if (rq.runIds != null) return recon.saveAffectedRunIds(ctx, strings(rq.runIds, 'runIds'), n);
    return recon.saveAffectedSet(ctx, rq, n);
  },
  setTaxonomy(ctx, categories: unknown): string[] {
    const names = strings(categories, 'categories').map((c) => c.trim());
    if (names.length === 0) throw new ApiFailure('the taxonomy needs at least one category', 'BAD_REQUEST');
    const db = ctx.db();
    // descriptions of the categories that stay are kept
    const described = new Map(labelsStore.getTaxonomy(db).map((t) => [t.name, t.description]));
    return labelsStore.setTaxonomy(db, names.map((name) => ({ name, description: described.get(name) ?? null }))).map((t) => t.name);
  },
  setLabel(ctx, input: unknown) {
    if (!input || typeof input !== 'object') throw new ApiFailure('setLabel needs a label object', 'BAD_REQUEST');
    return labelsStore.setLabel(ctx.db(), input as LabelInput);
  },
  deleteLabel(ctx, id: unknown) {
    labelsStore.deleteLabel(ctx.db(), int(id, 'labelId', 1, Number.MAX_SAFE_INTEGER, 0));
  },
  savePostmortem: (ctx, markdown: unknown, base: unknown) => {
    if (typeof markdown !== 'string') throw new ApiFailure('markdown must be a string', 'BAD_REQUEST');
    return labelsStore.savePostmortem(ctx.db(), markdown, int(base, 'baseRevision', 0, Number.MAX_SAFE_INTEGER, 0));
  },
  exportCase(ctx, req: ExportRequest) {
    if (!req || typeof req !== 'object') throw new ApiFailure('exportCase needs { format, outPath }', 'BAD_REQUEST');
    const budgetReport = () => {
      const doc = loadCaseBudgets(ctx.casePath);
      return doc.budgets.length ? evaluateBudgets(doc, factTable(ctx.db())) : null;
    };
    return recon.exportCase(ctx, req, budgetReport, pkg.version);
  },
};

export const HANDLERS: Record<Role, Record<string, Handler>> = { reader: READ, facts: FACTS, writer: WRITE };

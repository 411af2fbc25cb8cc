/**
 * CONTRACT: the same calls give the same results against the core directly (CasefileService) and through
 * the loopback HTTP transport (`casefile serve <case>`, spawned, driven with shared/http-client.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { ApiEvents, CasefileApi, ImportJobEvent, ReconstructedRun } from '../../shared/api';
import { createHttpClient } from '../../shared/http-client';
import { CasefileService } from '../../electron/core/api/service';
import { cli, tempDir } from '../helpers/cli';
import { serve, type Served } from '../helpers/serve';

const dir = tempDir('casefile-contract-');
const dataDir = join(dir, 'data');
const bundle = join(dir, 'bundle');
const casePath = join(dir, 'sample.casefile');

let direct: CasefileService;
let http: ReturnType<typeof createHttpClient>;
let served: Served;

type Api = CasefileApi & { on?: unknown };

/** Run one call, capturing either its result or its error code, so both outcomes can be compared. */
async function outcome<T>(p: Promise<T>): Promise<{ ok: T } | { error: string | undefined }> {
  try {
    return { ok: await p };
  } catch (e) {
    return { error: (e as { code?: string }).code };
  }
}

/** The suite of calls, run against one API. Non-deterministic fields (timings) are dropped. */
async function suite(api: Api) {
  const r: Record<string, unknown> = {};
  r.openCase = await api.openCase(casePath);
  const info = await api.appInfo();
  r.appInfo = { ...info, transport: undefined };
  r.overview = await api.overview();
  const page1 = await api.listRuns({ limit: 25 });
  r.page1 = page1;
  r.page2 = page1.nextCursor ? await api.listRuns({ limit: 25, cursor: page1.nextCursor }) : null;
  r.filtered = await api.listRuns({ workflow: ['refund-agent'], hasWrite: true, limit: 10, sort: { by: 'started', dir: 'desc' } });
  r.search = await outcome(api.listRuns({ search: 'refund', limit: 5 }));
  r.facets = await api.facets({});
  r.facetsFiltered = await api.facets({ workflow: ['kb-answer'] });
  const first = page1.rows[0]!.runId;
  const second = page1.rows[1]!.runId;
  const run: ReconstructedRun = await api.getRun(first);
  r.getRun = run;
  r.getRunMissing = await outcome(api.getRun('no-such-run'));
  // getStep: one step of each kind the run has (span and log steps are built from their record alone)
  const kinds = [...new Set(run.steps.map((s) => s.kind))];
  r.getStep = await Promise.all(kinds.map((k) => api.getStep(first, run.steps.find((s) => s.kind === k)!.id)));
  r.getStepMissing = await outcome(api.getStep(first, 'no-such-step'));
  r.getStepOtherRun = await outcome(api.getStep(second, run.steps[0]!.id));
  r.diff = await outcome(api.diffRuns(first, second));
  r.budgets = await api.budgets();
  r.evaluate = await api.evaluateBudgets();
  r.compare = await api.compare({ a: { modelVersion: '2026.10.1' }, b: { modelVersion: '2026.10.2' }, workflow: 'refund-agent' });
  const sql = await api.sql('SELECT kind, count(*) AS n FROM records GROUP BY kind ORDER BY kind', 100, 5000);
  r.sql = { ...sql, elapsedMs: undefined };
  r.sqlWrite = await outcome(api.sql('DELETE FROM records'));
  r.quarantine = await api.quarantine(0, 10);
  r.affected = await outcome(api.affectedSet());
  r.labels = await outcome(api.labels());
  r.taxonomy = await api.taxonomy();
  r.postmortem = await outcome(api.getPostmortem());
  r.badArgs = await outcome(api.quarantine(-1, 10));
  return JSON.parse(JSON.stringify(r)) as Record<string, any>;
}

let imported: { totals: Record<string, number> };
let viaCore: Record<string, any>;
let viaHttp: Record<string, any>;

beforeAll(async () => {
  const g = cli(['sample', '--out', bundle, '--runs', '400', '--seed', '7']);
  expect(g.code, g.stderr).toBe(0);
  const i = cli(['import', bundle, '--case', casePath, '--quiet', '--json']);
  expect(i.code, i.stderr).toBe(0);
  imported = JSON.parse(i.stdout);
  served = await serve([casePath, '--port', '0'], { CASEFILE_DATA_DIR: dataDir });
  http = createHttpClient(served.base, served.token);
  direct = new CasefileService({ dataDir, transport: 'http' });
  viaCore = await suite(direct);
  viaHttp = await suite(http);
}, 300_000);

afterAll(async () => {
  http?.close();
  await direct?.close();
  expect(await served?.stop()).toBe(0);
});

describe('API contract: core and HTTP transport give the same results', () => {
  it('appInfo (transport aside)', () => {
    expect(viaHttp.appInfo).toEqual(viaCore.appInfo);
    expect(viaCore.appInfo.casePath).toBe(casePath);
  });

  it('openCase and overview: same totals, sources, completeness, histogram', () => {
    expect(viaHttp.openCase).toEqual(viaCore.openCase);
    expect(viaHttp.overview).toEqual(viaCore.overview);
    // the overview's totals are the import's (computed by the CLI, another process)
    for (const k of ['runs', 'spans', 'decisions', 'lineageEvents', 'auditEvents', 'logs', 'quarantined', 'skipped']) expect(viaCore.overview.totals[k], k).toBe(imported.totals[k]);
    expect(viaCore.overview.totals.runs).toBeGreaterThanOrEqual(400);
    expect(viaCore.overview.sources.length).toBeGreaterThan(5);
    expect(viaCore.overview.budgetStatus.length).toBe(viaCore.budgets.budgets.length);
  });

  it('listRuns: the same first page, and the same second page through the keyset cursor', () => {
    expect(viaHttp.page1).toEqual(viaCore.page1);
    expect(viaCore.page1.rows).toHaveLength(25);
    expect(viaCore.page1.total).toBe(viaCore.overview.totals.runs);
    expect(viaHttp.page2).toEqual(viaCore.page2);
    const ids1 = new Set(viaCore.page1.rows.map((x: { runId: string }) => x.runId));
    expect(viaCore.page2.rows.some((x: { runId: string }) => ids1.has(x.runId))).toBe(false);
    expect(viaHttp.filtered).toEqual(viaCore.filtered);
    expect(viaHttp.search).toEqual(viaCore.search);
  });

  it('facets', () => {
    expect(viaHttp.facets).toEqual(viaCore.facets);
    expect(viaHttp.facetsFiltered).toEqual(viaCore.facetsFiltered);
  });

  it('getRun (and the same NOT_FOUND for an unknown run), diffRuns', () => {
    expect(viaHttp.getRun).toEqual(viaCore.getRun);
    expect(viaCore.getRun.steps.length).toBeGreaterThan(0);
    expect(viaCore.getRunMissing).toEqual({ error: 'NOT_FOUND' });
    expect(viaHttp.getRunMissing).toEqual({ error: 'NOT_FOUND' });
    expect(viaHttp.diff).toEqual(viaCore.diff);
  });

  it('getStep: each step whole, the same as in getRun (a small run is not lean); NOT_FOUND outside the run', () => {
    expect(viaHttp.getStep).toEqual(viaCore.getStep);
    expect(viaCore.getRun.steps.length).toBeLessThanOrEqual(2000);
    expect(viaCore.getRun.steps.some((s: { dataOmitted?: boolean }) => s.dataOmitted)).toBe(false);
    for (const step of viaCore.getStep) expect(step).toEqual(viaCore.getRun.steps.find((s: { id: string }) => s.id === step.id));
    expect(viaCore.getStep.length).toBeGreaterThan(1);
    expect(viaCore.getStepMissing).toEqual({ error: 'NOT_FOUND' });
    expect(viaHttp.getStepMissing).toEqual({ error: 'NOT_FOUND' });
    expect(viaCore.getStepOtherRun).toEqual({ error: 'NOT_FOUND' });
    expect(viaHttp.getStepOtherRun).toEqual({ error: 'NOT_FOUND' });
  });

  it('budgets, evaluateBudgets and compare', () => {
    expect(viaHttp.budgets).toEqual(viaCore.budgets);
    expect(viaCore.budgets.budgets.length).toBeGreaterThan(0);
    expect(viaHttp.evaluate).toEqual(viaCore.evaluate);
    expect(viaCore.evaluate.evaluations.length).toBe(viaCore.budgets.budgets.length);
    expect(viaHttp.compare).toEqual(viaCore.compare);
  });

  it('sql: the same rows; a write is refused the same way on both', () => {
    expect(viaHttp.sql).toEqual(viaCore.sql);
    expect(viaCore.sql.columns).toEqual(['kind', 'n']);
    expect(viaCore.sqlWrite).toHaveProperty('error');
    expect(viaHttp.sqlWrite).toEqual(viaCore.sqlWrite);
  });

  it('quarantine, affected set, labels, postmortem, argument validation', () => {
    for (const k of ['quarantine', 'affected', 'labels', 'taxonomy', 'postmortem', 'badArgs']) expect(viaHttp[k], k).toEqual(viaCore[k]);
    expect(viaCore.badArgs).toEqual({ error: 'BAD_REQUEST' });
    expect(viaCore.taxonomy).toContain('materially-wrong-write');
  });

  it('getPostmortem on a case with none saved: the blameless template (revision 0), with the budget report', () => {
    const pm = viaCore.postmortem.ok;
    expect(pm.revision).toBe(0);
    expect(pm.updatedAt).toBeNull();
    expect(pm.markdown).toMatch(/^# Postmortem: /);
    expect(pm.markdown).toContain('## Timeline');
    // the budgets of the sample are evaluated (by the facts worker) into the template's impact section
    expect(pm.markdown).toContain('Budget consumed over the evidence window');
    expect(pm.markdown).toContain(`| Runs in the case | ${viaCore.overview.totals.runs} |`);
  });
});

describe('API events: import progress arrives over both transports', () => {
  it('startImport emits progress and one result event, through the core and over SSE', async () => {
    const collect = (on: (cb: (e: ImportJobEvent) => void) => () => void, start: () => Promise<{ jobId: string }>) =>
      new Promise<ImportJobEvent[]>((resolve, reject) => {
        const events: ImportJobEvent[] = [];
        let jobId: string | null = null;
        const timer = setTimeout(() => reject(new Error(`no result event; got ${events.length} events`)), 120_000);
        const off = on((e) => {
          events.push(e);
          if (jobId && e.jobId === jobId && (e.result || e.error)) {
            clearTimeout(timer);
            off();
            resolve(events.filter((x) => x.jobId === jobId));
          }
        });
        void start().then((j) => {
          jobId = j.jobId;
          const done = events.find((x) => x.jobId === jobId && (x.result || x.error));
          if (done) {
            clearTimeout(timer);
            off();
            resolve(events.filter((x) => x.jobId === jobId));
          }
        }, reject);
      });
    const core = await collect(
      (cb) => direct.on('import', cb as (e: ApiEvents['import']) => void),
      () => direct.startImport([join(bundle, 'policy')], join(dir, 'core-import.casefile')),
    );
    // give the EventSource a moment to connect before starting
    const viaSse = await collect(
      (cb) => http.onEvent('import', cb),
      async () => {
        await new Promise((r) => setTimeout(r, 300));
        return http.startImport([join(bundle, 'policy')], join(dir, 'http-import.casefile'));
      },
    );
    for (const evs of [core, viaSse]) {
      const last = evs[evs.length - 1]!;
      expect(last.result?.cancelled).toBe(false);
      expect(last.result?.sources.length).toBe(2);
      expect(evs.some((e) => e.progress)).toBe(true);
    }
    expect(viaSse[viaSse.length - 1]!.result!.totals).toEqual(core[core.length - 1]!.result!.totals);
  });
});

describe('API writes: either transport writes the same case, through the one writer', () => {
  it('setLabel / labels / labelHistory / deleteLabel', async () => {
    // the import test above left each session on its freshly imported case: back to the sample
    await direct.openCase(casePath);
    await http.openCase(casePath);
    const run = (await http.listRuns({ workflow: ['refund-agent'], hasWrite: true, limit: 1 })).rows[0]!.runId;
    const made = await http.setLabel({ runId: run, category: 'materially-wrong-write', verdict: 'harmful', note: 'via http', author: 'contract' });
    expect(made).toMatchObject({ runId: run, category: 'materially-wrong-write', verdict: 'harmful', author: 'contract' });
    expect(await direct.labels(run)).toEqual([made]);
    expect(await http.labels(run)).toEqual([made]);
    const history = await direct.labelHistory();
    expect(history.at(-1)).toMatchObject({ labelId: made.id, action: 'create' });
    expect(await http.labelHistory()).toEqual(history);
    // the run list and the budgets see the label at once (caches are keyed by the case's data version)
    expect((await direct.listRuns({ label: ['materially-wrong-write'] })).rows.map((r) => r.runId)).toContain(run);
    const ev = (await http.evaluateBudgets()).evaluations.find((e) => e.budget.sli === 'wrong_write_rate' && e.budget.tier === 'auto')!;
    expect(ev.triggers.every((t) => t.harmfulTotal >= 1)).toBe(true);
    await direct.deleteLabel(made.id);
    expect(await http.labels(run)).toEqual([]);
    const bad = await outcome(http.setLabel({ runId: run, category: 'not-a-category', verdict: 'harmful' }));
    expect(bad).toEqual({ error: 'BAD_REQUEST' });
    expect(await outcome(direct.setLabel({ runId: run, category: 'not-a-category', verdict: 'harmful' }))).toEqual(bad);
  });

  it('savePostmortem with optimistic revisions; a stale base revision is refused on both', async () => {
    const cur = await http.getPostmortem();
    const saved = await http.savePostmortem('# Incident\n\nrefunds written in cents', cur.revision);
    expect(saved.revision).toBe(cur.revision + 1);
    expect(await direct.getPostmortem()).toEqual(saved);
    const stale = await outcome(direct.savePostmortem('# other', cur.revision));
    expect(stale).toEqual({ error: 'BAD_REQUEST' });
    expect(await outcome(http.savePostmortem('# other', cur.revision))).toEqual(stale);
  });

  it('saveAffectedSet / affectedSet', async () => {
    const q = { workflow: ['refund-agent'], modelVersion: ['2026.10.2'], hasWrite: true };
    const saved = await http.saveAffectedSet(q, 'canary regression');
    const a = await direct.affectedSet();
    expect(a.count).toBe(saved.count);
    expect(a.query).toMatchObject(q);
    expect(await http.affectedSet()).toEqual(a);
    expect((await http.listRuns({ affectedOnly: true, limit: 1 })).total).toBe(saved.count);
  });

  it('saveAffectedSet with runIds: exactly those runs (other filters ignored); unknown ids refused, nothing saved', async () => {
    const page = await direct.listRuns({ sort: { by: 'runId', dir: 'desc' }, limit: 3 });
    const ids = page.rows.map((r) => r.runId);
    // a filter that matches none of them: runIds wins
    const saved = await http.saveAffectedSet({ runIds: [...ids, ids[0]!], workflow: ['no-such-workflow'] }, 'picked by hand');
    expect(saved).toEqual({ count: 3 });
    const a = await direct.affectedSet();
    expect(a.count).toBe(3);
    expect(a.query).toEqual({ runIds: ids });
    expect(await http.affectedSet()).toEqual(a);
    const inSet = await http.listRuns({ affectedOnly: true, limit: 10 });
    expect(inSet.rows.map((r) => r.runId).sort()).toEqual([...ids].sort());
    expect(inSet.rows.every((r) => r.inAffectedSet)).toBe(true);
    expect((await direct.getRun(ids[1]!)).inAffectedSet).toBe(true);
    // the same refusals on both transports, and the saved set stays as it was
    for (const api of [direct, http] as CasefileApi[]) {
      expect(await outcome(api.saveAffectedSet({ runIds: [ids[0]!, 'no-such-run'] }))).toEqual({ error: 'NOT_FOUND' });
      expect(await outcome(api.saveAffectedSet({ runIds: [] }))).toEqual({ error: 'BAD_REQUEST' });
      expect(await outcome(api.saveAffectedSet({ runIds: 'x' as never }))).toEqual({ error: 'BAD_REQUEST' });
    }
    expect(await http.affectedSet()).toEqual(a);
  });

  it('taxonomy / setTaxonomy: add and remove categories; names checked; a category in use stays', async () => {
    const before = await http.taxonomy();
    expect(await direct.taxonomy()).toEqual(before);
    const added = await http.setTaxonomy([...before, 'unit-mixup']);
    expect(added).toEqual([...before, 'unit-mixup']);
    expect(await direct.taxonomy()).toEqual(added);
    // the new category labels at once; the removed ones no longer do
    const run = (await direct.listRuns({ limit: 1 })).rows[0]!.runId;
    const made = await direct.setLabel({ runId: run, category: 'unit-mixup', verdict: 'unsure', author: 'contract' });
    expect(made.category).toBe('unit-mixup');
    for (const api of [direct, http] as CasefileApi[]) {
      expect(await outcome(api.setTaxonomy(before))).toEqual({ error: 'BAD_REQUEST' }); // unit-mixup is in use
      expect(await outcome(api.setTaxonomy([...added, 'Not A Name']))).toEqual({ error: 'BAD_REQUEST' });
      expect(await outcome(api.setTaxonomy([...added, 'drift']))).toEqual({ error: 'BAD_REQUEST' }); // listed twice
      expect(await outcome(api.setTaxonomy([]))).toEqual({ error: 'BAD_REQUEST' });
      expect(await outcome(api.setTaxonomy('drift' as never))).toEqual({ error: 'BAD_REQUEST' });
    }
    expect(await http.taxonomy()).toEqual(added);
    await http.deleteLabel(made.id);
    const removed = await direct.setTaxonomy(added.filter((c) => c !== 'unit-mixup' && c !== 'drift'));
    expect(removed).toEqual(before.filter((c) => c !== 'drift'));
    expect(await http.taxonomy()).toEqual(removed);
    expect(await outcome(http.setLabel({ runId: run, category: 'drift', verdict: 'harmful' }))).toEqual({ error: 'BAD_REQUEST' });
    // back to where it was; the order is what the caller gives
    expect(await http.setTaxonomy(before)).toEqual(before);
  });

  it('exportCase writes a report through the HTTP transport', async () => {
    const out = join(dir, 'report.md');
    const r = await http.exportCase({ format: 'report-md', outPath: out });
    expect(r.format).toBe('report-md');
    expect(r.files.length).toBeGreaterThan(0);
    expect(await outcome(http.exportCase({ format: 'nope' as never, outPath: out }))).toEqual({ error: 'BAD_REQUEST' });
  });
});

describe('the thread serving the UI never runs a query', () => {
  // a few seconds of pure SQLite work (a statement in progress cannot be stopped before it returns,
  // so keep it short enough for the test's workers to wind down)
  const SLOW = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000000) SELECT count(*) FROM c';

  it('a runaway SQL query is interrupted at its time limit (TIMEOUT), on both transports', async () => {
    for (const api of [direct, http] as CasefileApi[]) {
      const t0 = Date.now();
      expect(await outcome(api.sql(SLOW, 10, 400))).toEqual({ error: 'TIMEOUT' });
      expect(Date.now() - t0).toBeLessThan(5000);
    }
  });

  it('while a long query runs, other calls are answered at once', async () => {
    const slow = outcome(http.sql(SLOW, 10, 2500));
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    const [info, page] = await Promise.all([http.appInfo(), http.listRuns({ limit: 5 })]);
    const took = Date.now() - t0;
    expect(info.casePath).toBe(casePath);
    expect(page.rows).toHaveLength(5);
    expect(took).toBeLessThan(1500);
    // finished or interrupted, depending on the machine's speed — what matters is the answers above
    expect(await slow).toBeDefined();
  });
});

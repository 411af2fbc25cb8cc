/**
 * Reconstruction and finding runs on the generated sample incident, checked against its answer key
 * (`<bundle>.answer-key.json`): every harmful run is found by the documented affected-set query, every
 * planted gap in the evidence is reported with its finding code (and nothing else is), lineage is
 * point-in-time. Plus the run list (filters, facets, keyset pages, FTS), the affected set, the overview,
 * the SLI facts, the SQL console and the CLI.
 */
import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FindingCode, RunQuery, RunRow } from '../../shared/api';
import { generateSample } from '../../electron/core/sample/generate';
import { importInProcess } from '../../electron/core/import/apply';
import { NEW_CASE_PAGE_SIZE, openDb, type Db } from '../../electron/core/store/db';
import { CaseQueries } from '../../electron/core/store/case-queries';
import { affectedSet, deriveRuns, diffRuns, facets, getRun, getRunForApi, leanRun, lineage, listRuns, overviewParts, runFacts, saveAffectedSet, sqlQuery } from '../../electron/core/recon/index';
import { compactRun, expandRun } from '../../shared/run-columns';
import { BIN, cli, cliJson, tempDir } from '../helpers/cli';
import { derivedSnapshot } from '../helpers/derived';

interface Key {
  runs: number;
  affected_set: { structured: { workflow: string; model_version: string; has_write: boolean }; expected_count: number; harmful_in_set: number };
  planted_findings: Array<{ code: FindingCode; run_id: string; event_id?: string; decision_id?: string; span_id?: string; offset_ms?: number; variant?: string }>;
  not_findings: Array<{ kind: string; run_id: string; version: string }>;
  harmful_runs: Array<{ run_id: string; model_version: string; after: number; correct: number; write_event_id: string }>;
  lineage: { model_versions: Record<string, { trainingRunId: string; inputs: Array<{ namespace: string; name: string; version: string }> }> };
  counts: { refund_runs: number; kb_runs: number; writes: number };
}

const RUNS = 1200;

describe('reconstruction on the sample incident, against its answer key', () => {
  let db: Db;
  let key: Key;
  let casePath: string;
  let bundleDir: string;
  const documented = (): RunQuery => ({ workflow: [key.affected_set.structured.workflow], modelVersion: [key.affected_set.structured.model_version], hasWrite: key.affected_set.structured.has_write });
  const all = (q: RunQuery, limit = 250): RunRow[] => {
    const rows: RunRow[] = [];
    let cursor: string | null = null;
    do {
      const page = listRuns(db, { ...q, limit, cursor });
      rows.push(...page.rows);
      cursor = page.nextCursor;
    } while (cursor);
    return rows;
  };

  beforeAll(async () => {
    const dir = tempDir('casefile-recon-sample-');
    const out = join(dir, 'bundle');
    const summary = await generateSample({ out, runs: RUNS, seed: 1 });
    bundleDir = out;
    key = JSON.parse(readFileSync(summary.answerKey, 'utf8')) as Key;
    casePath = join(dir, 'sample.casefile');
    const r = await importInProcess(casePath, [out]);
    expect(r.errors).toEqual([]);
    db = openDb(casePath);
  }, 120_000);

  it('one run per run of the story; totals count the runs table', () => {
    expect(new CaseQueries(db).totals().runs).toBe(key.runs);
    expect(listRuns(db, {}).total).toBe(key.runs);
    expect(listRuns(db, { workflow: ['refund-agent'] }).total).toBe(key.counts.refund_runs);
    expect(listRuns(db, { workflow: ['kb-answer'] }).total).toBe(key.counts.kb_runs);
  });

  it('the documented affected-set query finds every harmful run, and the expected count', () => {
    const rows = all(documented());
    expect(rows).toHaveLength(key.affected_set.expected_count);
    const ids = new Set(rows.map((r) => r.runId));
    const harmful = key.harmful_runs.filter((h) => h.model_version === key.affected_set.structured.model_version);
    expect(harmful.length).toBe(key.affected_set.harmful_in_set);
    for (const h of harmful) expect(ids.has(h.run_id), h.run_id).toBe(true);
  });

  it('the compact read of a run (getRunForApi, thin spans) is exactly the compact form of its lean reconstruction, for every run', () => {
    const runs = all({}).map((r) => r.runId);
    expect(runs.length).toBe(key.runs);
    let withSpans = 0;
    for (const runId of runs) {
      // largeAbove 0: every run takes the large path
      const got = getRunForApi(db, runId, 0);
      const want = compactRun(leanRun(getRun(db, runId)));
      expect(JSON.parse(JSON.stringify(got)), runId).toEqual(JSON.parse(JSON.stringify(want)));
      expect(expandRun(got).steps.length).toBe(getRun(db, runId).steps.length);
      if (got.columns!.spans.spanId.length) withSpans++;
    }
    expect(withSpans).toBeGreaterThan(10);
    // a small run stays whole below the threshold
    expect(getRunForApi(db, runs[0]!).columns).toBeUndefined();
  });

  it('every planted gap in the evidence is reported with its code — and complete runs have no error finding', () => {
    const planted = new Map<string, Set<FindingCode>>();
    for (const p of key.planted_findings) {
      if (!planted.has(p.run_id)) planted.set(p.run_id, new Set());
      planted.get(p.run_id)!.add(p.code);
    }
    for (const [runId, wanted] of planted) {
      const got = new Set(getRun(db, runId).findings.map((f) => f.code));
      for (const c of wanted) expect(got.has(c), `${runId} should have ${c}, has ${[...got].join(',')}`).toBe(true);
    }
    // the listing finds them too, by code
    for (const code of new Set(key.planted_findings.map((p) => p.code))) {
      const expected = new Set(key.planted_findings.filter((p) => p.code === code).map((p) => p.run_id));
      expect(new Set(all({ finding: [code] }).map((r) => r.runId)), code).toEqual(expected);
    }
    // audit completeness = runs without a planted gap / all runs (clock skew is a warning: the evidence is there, its clocks disagree)
    const incomplete = new Set(key.planted_findings.filter((p) => p.code !== 'CLOCK_SKEW').map((p) => p.run_id));
    const o = overviewParts(db);
    expect(o.auditCompleteness.total).toBe(key.runs);
    expect(o.auditCompleteness.complete).toBe(key.runs - incomplete.size);
    expect(o.auditCompleteness.ratio).toBeCloseTo((key.runs - incomplete.size) / key.runs, 10);
    // and no run outside the planted ones has any finding at all
    const withFindings = new Set(all({ finding: [...new Set(key.planted_findings.map((p) => p.code))] }).map((r) => r.runId));
    expect(withFindings).toEqual(new Set(planted.keys()));
    expect(facets(db, {}).finding.reduce((a, f) => a + f.count, 0)).toBe(key.planted_findings.length);
  });

  it('findings point at the evidence: the event, decision, span, and the skew amount', () => {
    for (const p of key.planted_findings) {
      const f = getRun(db, p.run_id).findings.find((x) => x.code === p.code)!;
      if (p.code === 'DECISION_NOT_FOUND') expect(f.message).toContain(p.decision_id);
      if (p.code === 'ORPHAN_SPAN') expect(f.stepId).toBe(`span:${getRun(db, p.run_id).spans.find((s) => s.spanId === p.span_id)!.traceId}:${p.span_id}`);
      if (p.code === 'CLOCK_SKEW') expect(f.message).toContain(`${Math.floor(p.offset_ms! / 60_000)} min`);
      if (p.code === 'HASH_CHAIN_BROKEN' && p.variant === 'hash mismatch') expect(f.stepId).toBe(`audit:${p.event_id}`);
      if (p.code === 'MISSING_MODEL_VERSION') expect(getRun(db, p.run_id).modelVersion.value).toBeNull();
    }
  });

  it('a model version only on the chat span is resolved from it, not reported missing', () => {
    for (const n of key.not_findings.filter((x) => x.kind === 'model_version_only_on_span')) {
      const run = getRun(db, n.run_id);
      expect(run.modelVersion).toMatchObject({ value: n.version, source: 'gen_ai.response.model' });
      expect(run.findings.map((f) => f.code)).not.toContain('MISSING_MODEL_VERSION');
    }
  });

  it('a harmful run reads end to end: ordered steps with sources, the write flagged ×100, the later undo', () => {
    const h = key.harmful_runs.find((x) => x.after / x.correct === 100)!;
    const run = getRun(db, h.run_id);
    const kinds = run.steps.map((s) => s.kind);
    for (const k of ['run-start', 'input', 'model-call', 'decision', 'write', 'output', 'signal'] as const) expect(kinds).toContain(k);
    expect(kinds.indexOf('input')).toBeLessThan(kinds.indexOf('model-call'));
    expect(kinds.indexOf('model-call')).toBeLessThan(kinds.indexOf('write'));
    expect(kinds.lastIndexOf('signal')).toBe(kinds.length - 1);
    const write = run.steps.find((s) => s.id === `audit:${h.write_event_id}`)!;
    expect(write.write!.after).toBe(h.after);
    expect(write.write!.diff[0]!.note).toMatch(/^×100 of /);
    for (const s of run.steps) {
      expect(s.source.path).not.toBe('');
      if (s.id.startsWith('audit:')) expect(s.source.line).toBeGreaterThan(0);
    }
    const at = run.steps.map((s) => s.at!);
    expect(at.every((t, i) => i === 0 || t >= at[i - 1]!)).toBe(true);
    expect(run.modelVersion).toMatchObject({ value: h.model_version, source: 'audit' });
  });

  it('lineage is point in time: the model version, its training run and the dataset versions it read', () => {
    const h = key.harmful_runs[0]!;
    const run = getRun(db, h.run_id);
    const facts = key.lineage.model_versions[h.model_version]!;
    const train = run.lineage.nodes.find((n) => n.kind === 'job-run' && n.runId === facts.trainingRunId);
    expect(train).toBeTruthy();
    const ds = new Set(run.lineage.nodes.filter((n) => n.kind === 'dataset').map((n) => `${n.namespace}/${n.name}@${n.version}`));
    for (const i of facts.inputs) expect(ds.has(`${i.namespace}/${i.name}@${i.version}`), `${i.name}@${i.version}`).toBe(true);
    // versions produced after the run started (the fixed dataset, the retrained model) never appear
    const later = Object.entries(key.lineage.model_versions).filter(([, v]) => !run.lineage.nodes.some((n) => n.runId === v.trainingRunId));
    expect(later.length).toBeGreaterThan(0);
    for (const [v, f] of later) {
      if (v === h.model_version) continue;
      expect(run.lineage.nodes.some((n) => n.runId === f.trainingRunId)).toBe(false);
      for (const i of f.inputs) if (!facts.inputs.some((x) => x.name === i.name && x.version === i.version)) expect(ds.has(`${i.namespace}/${i.name}@${i.version}`)).toBe(false);
    }
    // the same model version as of now is the same graph: lineage of a model does not change once produced
    expect(lineage(db, h.model_version, null, { modelName: 'support-llm' }).nodes.length).toBe(run.lineage.nodes.length);
  });

  it('diff of a good and a harmful run of the same version: same model, writes and steps compared', () => {
    const h = key.harmful_runs.find((x) => x.after / x.correct === 100)!;
    const good = all(documented()).find((r) => !key.harmful_runs.some((x) => x.run_id === r.runId) && r.findings.length === 0)!;
    const d = diffRuns(db, good.runId, h.run_id);
    expect(d.model.same).toBe(true);
    expect(d.writes.find((w) => w.target === 'billing.amount')!.same).toBe(false);
    expect(d.steps.filter((s) => s.a && s.b).length).toBeGreaterThan(5);
    expect(d.summary.join('\n')).toMatch(/×100/);
    // against a 2026.10.1 run: the model and the lineage differ (refund_examples v6 → v7)
    const old = listRuns(db, { workflow: ['refund-agent'], modelVersion: ['2026.10.1'], hasWrite: true, limit: 1 }).rows[0]!;
    const d2 = diffRuns(db, old.runId, h.run_id);
    expect(d2.model.same).toBe(false);
    expect(d2.lineage.onlyA.join(' ')).toContain('refund_examples@v6');
    expect(d2.lineage.onlyB.join(' ')).toContain('refund_examples@v7');
  });

  it('keyset pages cover every match once, in order, both directions and for each sort', () => {
    const q: RunQuery = { workflow: ['refund-agent'] };
    const total = listRuns(db, q).total;
    for (const sort of [undefined, { by: 'started', dir: 'desc' }, { by: 'runId', dir: 'asc' }, { by: 'duration', dir: 'desc' }, { by: 'findings', dir: 'desc' }] as RunQuery['sort'][]) {
      const rows = all({ ...q, ...(sort ? { sort } : {}) }, 97);
      expect(rows).toHaveLength(total);
      expect(new Set(rows.map((r) => r.runId)).size).toBe(total);
      if (!sort) expect(rows.every((r, i) => i === 0 || r.startedAt! >= rows[i - 1]!.startedAt!)).toBe(true);
      if (sort?.by === 'started') expect(rows.every((r, i) => i === 0 || r.startedAt! <= rows[i - 1]!.startedAt!)).toBe(true);
      if (sort?.by === 'runId') expect(rows.every((r, i) => i === 0 || r.runId > rows[i - 1]!.runId)).toBe(true);
      if (sort?.by === 'duration') expect(rows.every((r, i) => i === 0 || r.endedAt! - r.startedAt! <= rows[i - 1]!.endedAt! - rows[i - 1]!.startedAt!)).toBe(true);
    }
    expect(() => listRuns(db, { ...q, sort: { by: 'runId', dir: 'asc' }, cursor: listRuns(db, { ...q, limit: 5 }).nextCursor })).toThrow(/cursor/);
  });

  it('a time window selects the runs that started in it', () => {
    const every = all({}, 500);
    const from = every[Math.floor(every.length / 3)]!.startedAt!;
    const to = every[Math.floor((2 * every.length) / 3)]!.startedAt!;
    const expected = every.filter((r) => r.startedAt! >= from && r.startedAt! <= to && r.workflow === 'kb-answer').map((r) => r.runId);
    expect(all({ from, to, workflow: ['kb-answer'] }).map((r) => r.runId)).toEqual(expected);
    expect(listRuns(db, { from: to + 1, to: from }).total).toBe(0);
    expect(listRuns(db, { from }).total).toBe(every.filter((r) => r.startedAt! >= from).length);
  });

  it('facets count each filter given the others', () => {
    const q: RunQuery = { workflow: ['refund-agent'], hasWrite: true };
    const f = facets(db, q);
    // the workflow facet ignores the workflow filter but keeps has-write
    for (const w of f.workflow) expect(w.count).toBe(listRuns(db, { hasWrite: true, workflow: [w.value] }).total);
    for (const m of f.modelVersion) expect(m.count).toBe(listRuns(db, { ...q, modelVersion: [m.value] }).total);
    for (const d of f.decision) expect(d.count).toBe(listRuns(db, { ...q, decision: [d.value as 'allow'] }).total);
    for (const h of f.hasWrite) expect(h.count).toBe(listRuns(db, { workflow: ['refund-agent'], hasWrite: h.value === 'true' }).total);
    const none = facets(db, {});
    expect(none.workflow.reduce((a, b) => a + b.count, 0)).toBe(key.runs);
    expect(new Set(none.finding.map((x) => x.value))).toEqual(new Set(key.planted_findings.map((p) => p.code)));
  });

  it('full-text search over inputs, outputs and reason codes', () => {
    // runs whose customer message holds a phrase, read from the bundle's audit files
    const byPhrase = (phrase: string) => {
      const ids = new Set<string>();
      for (const f of ['refund-agent.jsonl', 'kb-answer.jsonl'])
        for (const line of readFileSync(join(bundleDir, 'audit', f), 'utf8').split('\n')) {
          if (!line) continue;
          const e = JSON.parse(line) as { run_id: string; type: string; input?: { message?: string } };
          if (e.type === 'input' && e.input?.message?.toLowerCase().includes(phrase.toLowerCase())) ids.add(e.run_id);
        }
      return ids;
    };
    for (const phrase of ['arrived damaged', 'return window for electronics']) {
      const expected = byPhrase(phrase);
      expect(expected.size, phrase).toBeGreaterThan(0);
      expect(new Set(all({ search: `"${phrase}"` }).map((r) => r.runId)), phrase).toEqual(expected);
    }
    const two = all({ search: 'damaged refund' }).length;
    expect(two).toBeGreaterThanOrEqual(byPhrase('arrived damaged').size);
    const byReason = all({ reasonCode: ['PROMPT_INJECTION_SUSPECTED'] }).map((r) => r.runId).sort();
    expect(byReason.length).toBeGreaterThan(0);
    expect(all({ search: 'PROMPT_INJECTION_SUSPECTED' }).map((r) => r.runId).sort()).toEqual(byReason);
    expect(listRuns(db, { search: 'zzzznotaword' }).total).toBe(0);
  });

  it('saves the documented query as the affected set', () => {
    const saved = saveAffectedSet(db, documented(), 'wrong refunds on 2026.10.2');
    expect(saved.count).toBe(key.affected_set.expected_count);
    const a = affectedSet(db);
    expect(a.count).toBe(saved.count);
    expect(a.query).toEqual(expect.objectContaining(documented()));
    expect(a.savedAt).toBeTruthy();
    const page = listRuns(db, { affectedOnly: true, limit: 10 });
    expect(page.total).toBe(saved.count);
    expect(page.rows.every((r) => r.inAffectedSet)).toBe(true);
    expect(getRun(db, key.harmful_runs[0]!.run_id).inAffectedSet).toBe(true);
  });

  it('overview and SLI facts come from the runs', () => {
    const o = overviewParts(db);
    expect(o.histogram.reduce((a, b) => a + b.runs, 0)).toBe(key.runs);
    expect(o.findingCounts.map((f) => f.code).sort()).toEqual([...new Set(key.planted_findings.map((p) => p.code))].sort());
    expect(o.timeRange.from).toBe(listRuns(db, { limit: 1 }).rows[0]!.startedAt);
    const facts = [...runFacts(db)];
    expect(facts).toHaveLength(key.runs);
    expect(facts.reduce((a, f) => a + f.writes, 0)).toBe(key.counts.writes);
    const h = facts.find((f) => f.runId === key.harmful_runs[0]!.run_id)!;
    expect(h).toMatchObject({ workflow: 'refund-agent', modelVersion: key.harmful_runs[0]!.model_version, writes: 1 });
    expect(h.inputLength).toBeGreaterThan(0);
    expect(h.language).toBe('en');
  });

  describe('SQL console and CLI (built dist/)', () => {
    const built = existsSync(join(BIN, '..', '..', 'dist', 'sql-worker.cjs'));
    it.skipIf(!built)('read-only, capped, interrupted on timeout', async () => {
      const r = await sqlQuery(casePath, 'SELECT run_id, workflow FROM runs ORDER BY rid', 10, 5000);
      expect(r.columns).toEqual(['run_id', 'workflow']);
      expect(r.rows).toHaveLength(10);
      expect(r.truncated).toBe(true);
      await expect(sqlQuery(casePath, 'DELETE FROM runs', 10, 5000)).rejects.toThrow(/only queries that return rows/);
      await expect(sqlQuery(casePath, 'SELECT * FROM nope', 10, 5000)).rejects.toThrow(/no such table/);
      const t0 = Date.now();
      await expect(sqlQuery(casePath, 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c', 10, 300)).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(listRuns(db, {}).total).toBe(key.runs);
    });

    it.skipIf(!built)('casefile runs / show / diff / sql', () => {
      const h = key.harmful_runs[0]!;
      const runs = cliJson(['runs', casePath, '--workflow', 'refund-agent', '--model-version', key.affected_set.structured.model_version, '--has-write', '--limit', '500']);
      expect(runs.code).toBe(0);
      expect(runs.json.total).toBe(key.affected_set.expected_count);
      const show = cliJson(['show', casePath, h.run_id]);
      expect(show.code).toBe(0);
      expect(show.json.modelVersion).toMatchObject({ value: h.model_version, source: 'audit' });
      for (const s of show.json.steps) {
        expect(typeof s.kind).toBe('string');
        expect(typeof s.at).toBe('number');
        expect(s.source.path).toMatch(/\S/);
        expect('line' in s.source).toBe(true);
      }
      expect(show.json.lineage.nodes.length).toBeGreaterThan(1);
      expect(Array.isArray(show.json.findings)).toBe(true);
      const human = cli(['show', casePath, h.run_id]);
      expect(human.stdout).toMatch(/model\s+\S+.*from audit/);
      expect(human.stdout).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
      const miss = cli(['show', casePath, 'run_does_not_exist']);
      expect(miss.code).toBe(1);
      const finding = key.planted_findings[0]!;
      const byFinding = cliJson(['runs', casePath, '--finding', finding.code]);
      expect(byFinding.json.rows.map((r: RunRow) => r.runId)).toContain(finding.run_id);
      expect(cli(['runs', casePath, '--finding', 'NOT_A_CODE']).code).toBe(2);
      const diff = cliJson(['diff', casePath, h.run_id, key.harmful_runs[1]!.run_id]);
      expect(diff.code).toBe(0);
      expect(Array.isArray(diff.json.steps)).toBe(true);
      const sql = cliJson(['sql', casePath, 'SELECT count(*) AS n FROM runs']);
      expect(sql.json.rows).toEqual([[key.runs]]);
      expect(cli(['sql', casePath, 'DROP TABLE runs']).code).toBe(1);
    });
  });

  it('a case created by an older build keeps its 16 KiB pages, and the same evidence derives to the same runs', async () => {
    expect(db.pragma('page_size', { simple: true })).toBe(NEW_CASE_PAGE_SIZE);
    expect(NEW_CASE_PAGE_SIZE).toBe(65536);
    // an empty case as builds before the 64 KiB pages created it (page size fixed by the switch to WAL)
    const oldPath = join(tempDir('casefile-recon-16k-'), 'old.casefile');
    const pre = new Database(oldPath);
    pre.pragma('page_size = 16384');
    pre.pragma('journal_mode = WAL');
    pre.close();
    const r = await importInProcess(oldPath, [bundleDir]);
    expect(r.errors).toEqual([]);
    const old = openDb(oldPath);
    try {
      expect(old.pragma('page_size', { simple: true })).toBe(16384);
      expect(derivedSnapshot(old, ['refund', 'cents'])).toEqual(derivedSnapshot(db, ['refund', 'cents']));
    } finally {
      old.close();
    }
  }, 60_000);

  it('records stored before migration 004 (no facts yet) derive to exactly the same runs', () => {
    const snapshot = () => derivedSnapshot(db, ['refund']);
    const before = snapshot();
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    // audit events keep facts only where the derivation reads them one by one (migration 006: the rest is in their parts)
    expect(count('SELECT count(*) n FROM record_facts')).toBe(
      count("SELECT count(*) n FROM records WHERE kind IN ('span', 'decision') OR (kind = 'audit' AND name IN ('policy.decision', 'write'))"),
    );
    // the facts rows the writer stored (each binding only its record kind's columns) are the ones the backfill
    // below computes from the stored records
    const stored = () =>
      db.prepare(`SELECT f.* FROM record_facts f JOIN records r ON r.id = f.id
                  WHERE r.kind IN ('span', 'decision') OR (r.kind = 'audit' AND r.name IN ('policy.decision', 'write')) ORDER BY f.id`).all();
    const written = stored();
    expect(written.length).toBeGreaterThan(0);
    // as a case imported by an older build looks after migration 004 (test/integration/audit-parts.test.ts: before 006)
    db.exec("DELETE FROM record_facts; INSERT OR REPLACE INTO meta(key, value) SELECT 'facts.legacy_max_id', max(id) FROM records");
    const r = deriveRuns(db, { force: true });
    expect(r.skipped).toBe(false);
    expect(count('SELECT count(*) n FROM record_facts')).toBe(count("SELECT count(*) n FROM records WHERE kind IN ('audit', 'span', 'decision')"));
    expect(db.prepare("SELECT 1 FROM meta WHERE key = 'facts.legacy_max_id'").get()).toBeUndefined();
    expect(stored()).toEqual(written);
    expect(snapshot()).toEqual(before);
  });
});

/**
 * Labels, postmortem and every export format on the sample incident (issue 5):
 * generate (500 runs) → import in process → label three runs (one through the CLI, the others through the
 * store functions the API service calls) → export every format and check what a consumer would check:
 * JSONL shapes against OpenAI's fine-tuning format (the corpus file), promptfoo itself on the exported
 * suite (the recorded output fails, the corrected one passes), the Rego tests, the HTML report in Chromium,
 * the PDF's pages, the case archive — and the label log's hash chain, including tampering.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BudgetReport, ExportResult, Label } from '../../shared/api';
import { generateSample } from '../../electron/core/sample/generate';
import { importInProcess } from '../../electron/core/import/apply';
import { openDb, type Db } from '../../electron/core/store/db';
import * as store from '../../electron/core/store/labels-store';
import { caseSources, runRecords } from '../../electron/core/store/evidence-store';
import { exportCase, type ExportManifest } from '../../electron/core/export/index';
import { chromiumPath } from '../../electron/core/export/pdf';
import { checkBlameless } from '../../shared/blameless';
import { cli, cliJson, REPO, tempDir } from '../helpers/cli';
import { HAVE_CORPUS, corpusText } from '../corpus';

interface AnswerKey {
  harmful_runs: Array<{ run_id: string; write_event_id: string; after: number; correct: number; cause: string }>;
  unsafe_completions: Array<{ run_id: string; event_id: string }>;
  prompt_injection_blocked_runs: Array<{ run_id: string; decision_id: string }>;
}

const dir = tempDir('casefile-export-');
const bundle = join(dir, 'sample');
const casePath = join(dir, 'sample.casefile');
const out = join(dir, 'exports');
let key: AnswerKey;
let db: Db;
let budgets: BudgetReport | null = null;
const labelIds: Record<'write' | 'leak' | 'decision' | 'injection', number> = { write: 0, leak: 0, decision: 0, injection: 0 };
let leakedPhone = '';
let refusal = '';

const readJson = <T = any>(p: string): T => JSON.parse(readFileSync(p, 'utf8')) as T;
const jsonl = (p: string) =>
  readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as any);

async function exp(format: Parameters<typeof exportCase>[2]['format'], outPath: string, extra: { redact?: boolean; names?: string[] } = {}): Promise<ExportResult> {
  const { getRun } = await import('../../electron/core/recon/index');
  return exportCase(db, casePath, { format, outPath, ...extra }, { budgetReport: () => budgets, getRun: (id) => getRun(db, id), appVersion: 'test' });
}

/** A message list's shape: role sequence and that every content is a string. */
function shapeOf(line: { messages?: Array<{ role: string; content: unknown }> }): string {
  return JSON.stringify({ keys: Object.keys(line).sort(), roles: (line.messages ?? []).map((m) => m.role), contentTypes: [...new Set((line.messages ?? []).map((m) => typeof m.content))], messageKeys: [...new Set((line.messages ?? []).map((m) => Object.keys(m).sort().join(',')))] });
}

function runPromptfoo(suite: string, mode: 'recorded' | 'corrected'): { code: number; results: Array<{ caseId: string; success: boolean; reason: string }>; stderr: string } {
  const home = join(dir, `pf-home-${mode}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(home, { recursive: true });
  const outFile = join(home, 'out.json');
  const r = spawnSync(join(REPO, 'node_modules', '.bin', 'promptfoo'), ['eval', '-c', join(suite, 'promptfooconfig.yaml'), '--no-cache', '-o', outFile], {
    cwd: suite,
    encoding: 'utf8',
    timeout: 120_000,
    // a throwaway HOME and config dir: promptfoo writes nothing global (and no VITEST* variables leak into it)
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST'))), PROMPTFOO_DISABLE_TELEMETRY: '1', PROMPTFOO_DISABLE_UPDATE: '1', PROMPTFOO_DISABLE_SHARING: '1', HOME: home, PROMPTFOO_CONFIG_DIR: join(home, 'promptfoo-config'), CASEFILE_REPLAY: mode, NO_COLOR: '1' },
  });
  if (!existsSync(outFile)) throw new Error(`promptfoo wrote no results (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  const res = readJson(outFile).results.results as Array<{ success: boolean; vars: { case_id: string }; gradingResult?: { reason?: string }; error?: string }>;
  return { code: r.status ?? -1, stderr: r.stderr, results: res.map((x) => ({ caseId: x.vars.case_id, success: x.success, reason: x.gradingResult?.reason ?? x.error ?? '' })) };
}

/**
 * Renders page 1 of a PDF with pdf.js inside headless Chromium (served from a loopback HTTP server, as module
 * workers do not load from file://) and measures how much of the page is not white. Null when pdfjs-dist or
 * playwright-core or Chromium is unavailable.
 */
async function inkOnFirstPageWithPdfJs(pdfPath: string): Promise<{ ratio: number; pages: number } | null> {
  const pdfjsDir = join(REPO, 'node_modules', 'pdfjs-dist', 'build');
  const bin = chromiumPath();
  if (!bin || !existsSync(join(pdfjsDir, 'pdf.min.mjs'))) return null;
  let pw: typeof import('playwright-core');
  try {
    pw = await import('playwright-core');
  } catch {
    return null;
  }
  const { createServer } = await import('node:http');
  const page = `<!DOCTYPE html><canvas id="c"></canvas><script type="module">
    const pdfjs = await import('/pdf.min.mjs');
    pdfjs.GlobalWorkerOptions.workerSrc = '/pdf.worker.min.mjs';
    const doc = await pdfjs.getDocument({ url: '/doc.pdf' }).promise;
    const p = await doc.getPage(1);
    const vp = p.getViewport({ scale: 1 });
    const c = document.getElementById('c'); c.width = vp.width; c.height = vp.height;
    const ctx = c.getContext('2d'); ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, c.width, c.height);
    await p.render({ canvasContext: ctx, viewport: vp }).promise;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let ink = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) ink++;
    window.result = { ratio: ink / (d.length / 4), pages: doc.numPages };
  </script>`;
  const files: Record<string, [string, string]> = { '/doc.pdf': [pdfPath, 'application/pdf'], '/pdf.min.mjs': [join(pdfjsDir, 'pdf.min.mjs'), 'text/javascript'], '/pdf.worker.min.mjs': [join(pdfjsDir, 'pdf.worker.min.mjs'), 'text/javascript'] };
  const srv = createServer((req, res) => {
    const f = files[req.url ?? ''];
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    else if (f) res.writeHead(200, { 'content-type': f[1] }).end(readFileSync(f[0]));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const browser = await pw.chromium.launch({ executablePath: bin, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const p = await browser.newPage();
    await p.goto(`http://127.0.0.1:${(srv.address() as { port: number }).port}/`);
    await p.waitForFunction(() => (window as any).result !== undefined, null, { timeout: 60_000 });
    await p.screenshot({ path: join(dirname(pdfPath), 'page-1.png') });
    return (await p.evaluate(() => (window as any).result)) as { ratio: number; pages: number };
  } finally {
    await browser.close();
    srv.close();
  }
}

describe('labels, postmortem and exports on the sample incident', () => {
  beforeAll(async () => {
    await generateSample({ out: bundle, runs: 500 });
    key = readJson<AnswerKey>(`${bundle}.answer-key.json`);
    expect(key.harmful_runs.length).toBeGreaterThan(0);
    expect(key.unsafe_completions.length).toBeGreaterThan(0);
    expect(key.prompt_injection_blocked_runs.length).toBeGreaterThan(0);
    const imp = await importInProcess(casePath, [bundle]);
    expect(imp.errors).toEqual([]);

    // 1. through the CLI: the write in cents, corrected to dollars
    const h = key.harmful_runs[0]!;
    const r = cliJson<Label>(['label', casePath, h.run_id, '--step', `audit:${h.write_event_id}`, '--label', 'materially-wrong-write', '--severity', 'sev1', '--corrected', String(h.correct), '--note', 'amount written in cents', '--author', 'investigator-a']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ runId: h.run_id, stepId: `audit:${h.write_event_id}`, category: 'materially-wrong-write', verdict: 'harmful', corrected: h.correct, author: 'investigator-a' });
    labelIds.write = r.json.id;

    db = openDb(casePath);
    // 2. through the store: a draft that leaked another customer's phone number, corrected without it
    const u = key.unsafe_completions[0]!;
    const ev = runRecords(db, u.run_id).find((x) => x.key === `audit:${u.event_id}`)!;
    const e = (ev.data as any).event;
    const text: string = typeof e.output === 'string' ? e.output : (e.output.content ?? e.output.text);
    leakedPhone = /\+1 \d{3} \d{3} \d{4}/.exec(text)![0];
    const corrected = text.replace(/\s*If you need more help[^.]*\./, '');
    expect(corrected).not.toContain(leakedPhone);
    labelIds.leak = store.setLabel(db, { runId: u.run_id, stepId: `audit:${u.event_id}`, category: 'pii-exposure', severity: 'sev2', verdict: 'harmful', corrected, note: 'another customer phone number in the draft', author: 'investigator-b' }).id;

    // 3. through the store: a prompt injection — the guard's deny was right; the model's reply was not
    const inj = key.prompt_injection_blocked_runs[0]!;
    const decisionEv = runRecords(db, inj.run_id).find((x) => x.kind === 'audit' && (x.data as any).event.decision?.decision_id === inj.decision_id)!;
    labelIds.decision = store.setLabel(db, { runId: inj.run_id, stepId: decisionEv.key, category: 'prompt-injection', verdict: 'benign', note: 'refunds/guard blocked it, as it should', author: 'investigator-b' }).id;
    refusal = "I can't process that request. A support specialist will review your ticket and follow up.";
    labelIds.injection = store.setLabel(db, { runId: inj.run_id, category: 'prompt-injection', verdict: 'harmful', severity: 'sev3', corrected: refusal, author: 'investigator-b' }).id;

    try {
      const { evaluateCaseBudgets } = await import('../../electron/core/budgets/evaluate');
      const { loadRunFacts } = await import('../../electron/core/budgets/facts');
      budgets = evaluateCaseBudgets(casePath, (p) => loadRunFacts(p));
    } catch (err) {
      console.warn(`[export test] budgets not evaluated (${(err as Error).message}): the report has only the run-volume chart`);
    }
  }, 240_000);

  afterAll(() => db?.close());

  it('labels: three runs, four labels, every change in the hash-chained log', () => {
    const ls = store.labels(db);
    expect(ls.map((l) => l.id).sort()).toEqual(Object.values(labelIds).sort());
    expect(new Set(ls.map((l) => l.runId)).size).toBe(3);
    // relabelling the same run/step/category updates the label instead of adding one
    const before = store.labelHistory(db).length;
    const upd = store.setLabel(db, { runId: key.harmful_runs[0]!.run_id, stepId: `audit:${key.harmful_runs[0]!.write_event_id}`, category: 'materially-wrong-write', severity: 'sev1', verdict: 'harmful', corrected: key.harmful_runs[0]!.correct, note: 'amount written in cents (ETL stopped dividing by 100)', author: 'investigator-a' });
    expect(upd.id).toBe(labelIds.write);
    const hist = store.labelHistory(db);
    expect(hist.length).toBe(before + 1);
    expect(hist.at(-1)).toMatchObject({ labelId: labelIds.write, action: 'update', author: 'investigator-a' });
    expect((hist.at(-1)!.before as Label).note).toBe('amount written in cents');
    expect(hist.at(-1)!.prevHash).toBe(hist.at(-2)!.hash);
    const v = store.verifyLabelLog(db);
    expect(v).toMatchObject({ ok: true, entries: hist.length, breaks: [] });
    expect(v.head).toEqual({ seq: hist.at(-1)!.seq, hash: hist.at(-1)!.hash });
    // bad input is refused with a clear error
    expect(() => store.setLabel(db, { runId: 'run_nope', category: 'drift', verdict: 'harmful' })).toThrow(/no run 'run_nope'/);
    expect(() => store.setLabel(db, { runId: key.harmful_runs[0]!.run_id, category: 'made-up', verdict: 'harmful' })).toThrow(/unknown label category/);
    // and the CLI lists them
    const l = cliJson<Label[]>(['labels', casePath]);
    expect(l.json.length).toBe(4);
    const hv = cliJson<{ history: unknown[]; verify: { ok: boolean } }>(['labels', casePath, '--history', '--verify']);
    expect(hv.code).toBe(0);
    expect(hv.json.verify.ok).toBe(true);
  });

  it('runs.harmful follows the labels (recon summary table)', async () => {
    const { ensureRuns } = await import('../../electron/core/recon/index');
    ensureRuns(db);
    const harmful = (runId: string) => (db.prepare('SELECT harmful FROM runs WHERE run_id = ?').get(runId) as { harmful: number | null } | undefined)?.harmful;
    expect(harmful(key.harmful_runs[0]!.run_id)).toBe(1);
    const other = (db.prepare('SELECT run_id FROM runs WHERE harmful IS NULL LIMIT 1').get() as { run_id: string }).run_id;
    const l = store.setLabel(db, { runId: other, category: 'other', verdict: 'benign', note: 'looked fine' });
    expect(harmful(other)).toBe(0);
    store.setLabel(db, { id: l.id, runId: other, category: 'other', verdict: 'harmful', note: 'on second look' });
    expect(harmful(other)).toBe(1);
    store.deleteLabel(db, l.id, 'investigator-b');
    expect(harmful(other)).toBe(null);
    expect(store.labelHistory(db, l.id).map((e) => e.action)).toEqual(['create', 'update', 'delete']);
    expect(store.verifyLabelLog(db).ok).toBe(true);
  });

  it('postmortem: template from the evidence, optimistic concurrency, journal', () => {
    const r = cli(['postmortem', casePath, '--init']);
    expect(r.code, r.stderr).toBe(0);
    const pm = store.getPostmortem(db);
    expect(pm.revision).toBe(1);
    expect(pm.markdown).toMatch(/^# Postmortem: /);
    expect(pm.markdown).toContain('| Runs labelled harmful | 3 |');
    expect(pm.markdown).toContain(`[[step:audit:${key.harmful_runs[0]!.write_event_id}]]`);
    expect(checkBlameless(pm.markdown)).toEqual([]);
    const edited = `${pm.markdown}\n\nThe model wrote [[run:${key.harmful_runs[0]!.run_id}]] in cents. Dana failed to notice the canary.\n`;
    const saved = store.savePostmortem(db, edited, pm.revision, 'investigator-a');
    expect(saved.revision).toBe(2);
    expect(() => store.savePostmortem(db, 'stale edit', pm.revision)).toThrow(store.StaleRevisionError);
    expect(() => store.savePostmortem(db, 'stale edit', pm.revision)).toThrow(/based on revision 1, the case now holds revision 2/);
    expect(store.postmortemJournal(db).map((j) => j.revision)).toEqual([2, 1]);
    const check = cliJson<{ advisories: Array<{ rule: string }> }>(['postmortem', casePath, '--check']);
    expect(check.json.advisories.map((a) => a.rule)).toEqual(['person-failed']);
  });

  it('sft-jsonl: OpenAI chat fine-tuning lines, the corrected output as the assistant turn, with a manifest', async () => {
    const r = await exp('sft-jsonl', join(out, 'sft.jsonl'));
    const lines = jsonl(join(out, 'sft.jsonl'));
    expect(r.examples).toBe(lines.length);
    expect(lines.length).toBe(3); // write, leak, injection (the benign decision label has no output correction)
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(['messages']);
      expect(l.messages.at(-1).role).toBe('assistant');
      for (const m of l.messages) {
        expect(['system', 'user', 'assistant']).toContain(m.role);
        expect(typeof m.content).toBe('string');
      }
    }
    if (HAVE_CORPUS) {
      const corpus = corpusText('llm_runs/openai_node_fine-tuning-data.jsonl').split('\n').filter(Boolean).map((x) => JSON.parse(x));
      const corpusShapes = new Set(corpus.map(shapeOf));
      // every line has the corpus file's shape: {"messages": [system, user, assistant]} with string contents
      for (const l of lines) expect(corpusShapes.has(shapeOf(l)), shapeOf(l)).toBe(true);
    } else console.warn('[export test] corpus absent: shape comparison with the OpenAI fine-tuning file SKIPPED');

    const m = readJson<ExportManifest>(r.manifestPath);
    const write = m.examples.find((x) => x.labelId === labelIds.write)!;
    const assistant = JSON.parse(lines[write.index].messages.at(-1).content);
    expect(assistant.tool_calls[0].arguments.amount).toBe(key.harmful_runs[0]!.correct);
    // provenance: the write event, from the refund-agent audit file, with its line and the file's SHA-256
    const sources = new Map(caseSources(db).map((s) => [s.sha256, s]));
    const rec = write.records.find((x) => x.key === `audit:${key.harmful_runs[0]!.write_event_id}`)!;
    expect(rec.sourcePath).toMatch(/audit\/refund-agent\.jsonl$/);
    expect(rec.line).toBeGreaterThan(0);
    expect(sources.get(rec.sourceSha256)?.path).toBe(rec.sourcePath);
    expect(m.sources.length).toBeGreaterThan(0);
    for (const s of m.sources) expect(sources.get(s.sha256)).toBeDefined();
    expect(m).toMatchObject({ format: 'sft-jsonl', redacted: true, no_redact: false, label_log: { verified: true } });
    expect(readJson(join(out, m.redaction.report!))).toMatchObject({ redacted: true });
    const leak = lines[m.examples.find((x) => x.labelId === labelIds.leak)!.index];
    expect(JSON.stringify(leak)).not.toContain(leakedPhone);
  });

  it('dpo-jsonl: preferred = corrected, non-preferred = what the model produced', async () => {
    const r = await exp('dpo-jsonl', join(out, 'dpo.jsonl'));
    const lines = jsonl(join(out, 'dpo.jsonl'));
    expect(lines.length).toBe(3);
    for (const l of lines) {
      expect(Object.keys(l).sort()).toEqual(['input', 'non_preferred_output', 'preferred_output']);
      expect(Object.keys(l.input)).toEqual(['messages']);
      expect(l.input.messages.every((x: any) => typeof x.content === 'string' && x.role !== 'assistant')).toBe(true);
      for (const k of ['preferred_output', 'non_preferred_output']) {
        expect(l[k]).toHaveLength(1);
        expect(l[k][0].role).toBe('assistant');
        expect(typeof l[k][0].content).toBe('string');
      }
      expect(l.preferred_output[0].content).not.toBe(l.non_preferred_output[0].content);
    }
    const m = readJson<ExportManifest>(r.manifestPath);
    const w = lines[m.examples.find((x) => x.labelId === labelIds.write)!.index];
    expect(JSON.parse(w.non_preferred_output[0].content).tool_calls[0].arguments.amount).toBe(key.harmful_runs[0]!.after);
    expect(JSON.parse(w.preferred_output[0].content).tool_calls[0].arguments.amount).toBe(key.harmful_runs[0]!.correct);
    const inj = lines[m.examples.find((x) => x.labelId === labelIds.injection)!.index];
    expect(inj.preferred_output[0].content).toBe(refusal);
  });

  it('promptfoo: the suite fails on the recorded outputs and passes on the corrected ones (promptfoo itself)', async () => {
    const suite = join(out, 'promptfoo');
    const r = await exp('promptfoo', suite);
    expect(r.examples).toBe(4);
    for (const f of ['promptfooconfig.yaml', 'prompt.json', 'providers/casefile-replay.cjs', 'assertions/casefile.cjs', 'replay.json', 'manifest.json', 'redaction-report.json']) expect(existsSync(join(suite, f)), f).toBe(true);
    expect(readdirSync(join(suite, 'tests')).length).toBe(4);

    const recorded = runPromptfoo(suite, 'recorded');
    const corrected = runPromptfoo(suite, 'corrected');
    const byCase = (x: typeof recorded) => Object.fromEntries(x.results.map((y) => [y.caseId, y]));
    const rec = byCase(recorded);
    const cor = byCase(corrected);
    expect(Object.keys(rec).sort()).toEqual(Object.values(labelIds).map((id) => `label-${id}`).sort());
    // harmful labels: the incident's output fails the test
    for (const k of ['write', 'leak', 'injection'] as const) expect(rec[`label-${labelIds[k]}`]!.success, `${k}: ${rec[`label-${labelIds[k]}`]!.reason}`).toBe(false);
    expect(rec[`label-${labelIds.write}`]!.reason).toMatch(/expected 38|expected \d+/);
    // the benign decision label is a guard against regressions: the recorded deny passes
    expect(rec[`label-${labelIds.decision}`]!.success).toBe(true);
    // the corrected outputs pass everything
    for (const [id, x] of Object.entries(cor)) expect(x.success, `${id}: ${x.reason}`).toBe(true);
    expect(recorded.code).not.toBe(0);
    expect(corrected.code, corrected.stderr).toBe(0);
  }, 300_000);

  it('promptfoo --no-redact: leaked data is checked with not-contains, and the manifest records it', () => {
    const suite = join(out, 'promptfoo-raw');
    const r = cli(['export', casePath, '--format', 'promptfoo', '--out', suite, '--no-redact', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const test = readFileSync(join(suite, 'tests', `label-${labelIds.leak}.yaml`), 'utf8');
    expect(test).toContain('type: not-contains');
    expect(test).toContain(leakedPhone);
    expect(readJson<ExportManifest>(join(suite, 'manifest.json'))).toMatchObject({ redacted: false, no_redact: true });
    const recorded = runPromptfoo(suite, 'recorded');
    const leak = recorded.results.find((x) => x.caseId === `label-${labelIds.leak}`)!;
    expect(leak.success).toBe(false);
    expect(leak.reason).toContain(leakedPhone);
  }, 300_000);

  it('opa-tests: recorded policy inputs with the decision the investigators say was right', async () => {
    const d = join(out, 'opa');
    await exp('opa-tests', d);
    const cases = readJson<any[]>(join(d, 'cases.json'));
    expect(cases).toHaveLength(1);
    const inj = key.prompt_injection_blocked_runs[0]!;
    expect(cases[0]).toMatchObject({ run_id: inj.run_id, decision_id: inj.decision_id, path: 'refunds/guard', expected: { decision: 'deny', reason_codes: ['PROMPT_INJECTION_SUSPECTED'] } });
    expect(cases[0].input.run_id).toBe(inj.run_id);
    const rego = readFileSync(join(d, 'refunds_guard_casefile_test.rego'), 'utf8');
    expect(rego).toMatch(/^package casefile\.regression\.refunds_guard_test$/m);
    expect(rego).toContain('import rego.v1');
    expect(rego).toMatch(new RegExp(`^test_casefile_label_${labelIds.decision}_\\w+ if \\{$`, 'm'));
    expect(rego).toContain('result := data.refunds.guard with input as {');
    expect(rego).toContain('result.decision == "deny"');
    expect(rego).toContain('"PROMPT_INJECTION_SUSPECTED" in result.reason_codes');
    expect((rego.match(/\{/g) ?? []).length).toBe((rego.match(/\}/g) ?? []).length);
    const opa = spawnSync('opa', ['version'], { encoding: 'utf8' });
    if (opa.status === 0) {
      const chk = spawnSync('opa', ['check', '--v1-compatible', join(d, 'refunds_guard_casefile_test.rego')], { encoding: 'utf8' });
      expect(chk.status, chk.stderr).toBe(0);
    } else console.warn('[export test] opa is not installed: `opa check` of the Rego tests SKIPPED');
  });

  it('report-md and report-html: the postmortem with evidence, budget charts and a chain-of-custody appendix', async () => {
    const md = await exp('report-md', join(out, 'report.md'), { names: ['Dana'] });
    const mdText = readFileSync(join(out, 'report.md'), 'utf8');
    expect(mdText).toContain(`(#run-${key.harmful_runs[0]!.run_id})`);
    expect(mdText).toContain('## Appendix D — Chain of custody');
    expect(mdText).toContain('[REDACTED:NAME] failed to notice');
    expect(md.redactions.NAME).toBeGreaterThan(0);

    const r = await exp('report-html', join(out, 'report.html'));
    expect(r.files.filter((f) => f.endsWith('.html'))).toEqual([join(out, 'report.html')]);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script|<link\b|<iframe|\bsrc="https?:/i); // one self-contained file
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(budgets?.evaluations.length ? 3 : 1);
    if (budgets?.evaluations.length) {
      expect(html).toContain('class="cf-objective"');
      expect(html).toContain('class="cf-trigger"');
    }
    expect(html).toContain('class="cf-custody"');
    for (const s of caseSources(db)) expect(html).toContain(s.sha256);
    expect(html).toContain(store.verifyLabelLog(db).head!.hash);
    expect(html).toContain(`id="run-${key.harmful_runs[0]!.run_id}"`);
    expect(html).toContain('@media print');

    const bin = chromiumPath();
    if (!bin) return console.warn('[export test] Chromium not found: opening the HTML report SKIPPED');
    const home = join(dir, 'chromium-home');
    mkdirSync(home, { recursive: true });
    const dom = spawnSync(bin, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${join(home, 'p')}`, '--dump-dom', `file://${join(out, 'report.html')}`], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: home }, maxBuffer: 64 * 1024 * 1024 });
    expect(dom.stdout).toContain('class="cf-custody"');
    expect((dom.stdout.match(/<svg/g) ?? []).length).toBe((html.match(/<svg/g) ?? []).length);
  }, 120_000);

  it('report-pdf: Chromium prints the report; the PDF has pages', async () => {
    if (!chromiumPath()) return console.warn('[export test] Chromium not found: report-pdf SKIPPED');
    const pdfPath = join(out, 'report.pdf');
    await exp('report-pdf', pdfPath);
    const buf = readFileSync(pdfPath);
    expect(buf.subarray(0, 5).toString()).toBe('%PDF-');
    const pages = (buf.toString('latin1').match(/\/Type\s*\/Page(?![s\w])/g) ?? []).length;
    expect(pages).toBeGreaterThanOrEqual(2);
    const ppm = spawnSync('pdftoppm', ['-v'], { encoding: 'utf8' });
    if (ppm.error) {
      const ink = await inkOnFirstPageWithPdfJs(pdfPath);
      if (ink === null) return console.warn('[export test] neither pdftoppm (poppler-utils) nor pdfjs-dist + Chromium available: rendering page 1 SKIPPED');
      console.warn(`[export test] pdftoppm not installed: page 1 rendered with pdf.js in Chromium instead (${(ink.ratio * 100).toFixed(1)}% of pixels inked, ${ink.pages} pages)`);
      expect(ink.pages).toBe(pages);
      expect(ink.ratio).toBeGreaterThan(0.01); // not a blank page
      return;
    }
    const png = spawnSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', pdfPath, join(out, 'page')], { encoding: 'utf8' });
    expect(png.status, png.stderr).toBe(0);
    const file = readdirSync(out).find((f) => /^page-0*1\.png$/.test(f));
    expect(file).toBeDefined();
    const img = readFileSync(join(out, file!));
    expect(img.subarray(1, 4).toString()).toBe('PNG');
    // a rendered page is not blank: the PNG of a text page is well above a blank page's size
    expect(img.length).toBeGreaterThan(5000);
  }, 120_000);

  it('case-archive: a consistent copy of the case plus a manifest that says it is raw evidence', async () => {
    const d = join(out, 'archive');
    const r = await exp('case-archive', d);
    const m = readJson<ExportManifest>(r.manifestPath);
    expect(m).toMatchObject({ format: 'case-archive', redacted: false });
    expect(m.redaction.note).toMatch(/cannot be redacted/);
    expect(m.files.find((f) => f.path === 'case.casefile')?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.sources.length).toBe(caseSources(db).length);
    const copy = openDb(join(d, 'case.casefile'), { readonly: true });
    try {
      expect(store.labels(copy).length).toBe(store.labels(db).length);
      expect(store.verifyLabelLog(copy)).toMatchObject({ ok: true, head: store.verifyLabelLog(db).head });
      expect(store.getPostmortem(copy).revision).toBe(2);
    } finally {
      copy.close();
    }
  });

  it('the label log detects tampering (on the archived copy)', () => {
    const copyPath = join(out, 'archive', 'case.casefile');
    const copy = openDb(copyPath);
    try {
      const hist = store.labelHistory(copy);
      // rewrite what an entry says the label became, with plain SQL
      const target = hist[1]!;
      const after = { ...(target.after as Label), verdict: 'benign' };
      store.tamperForTest(copy, 'label_log', target.seq, { after: JSON.stringify(after) });
      let v = store.verifyLabelLog(copy);
      expect(v.ok).toBe(false);
      expect(v.breaks.some((b) => b.seq === target.seq && /modified/.test(b.reason))).toBe(true);
      // and a labels row edited behind the log's back
      store.tamperForTest(copy, 'label_log', target.seq, { after: JSON.stringify(target.after) });
      expect(store.verifyLabelLog(copy).ok).toBe(true);
      store.tamperForTest(copy, 'labels', labelIds.write, { corrected: '3800' });
      v = store.verifyLabelLog(copy);
      expect(v.breaks).toEqual([expect.objectContaining({ labelId: labelIds.write, reason: expect.stringMatching(/differs from the state recorded/) })]);
    } finally {
      copy.close();
    }
    const r = cli(['labels', copyPath, '--verify']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CHAIN BROKEN/);
  });

  it('the CLI exports every format', () => {
    for (const f of ['sft-jsonl', 'dpo-jsonl', 'opa-tests', 'report-md', 'report-html', 'case-archive']) {
      const o = join(out, 'cli', f.includes('jsonl') || f.startsWith('report') ? `${f}.out` : f);
      const r = cliJson<ExportResult>(['export', casePath, '--format', f, '--out', o, '--names', 'Dana,Omar']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json.format).toBe(f);
      expect(existsSync(r.json.manifestPath)).toBe(true);
    }
    const bad = cli(['export', casePath, '--format', 'csv', '--out', join(out, 'x')]);
    expect(bad.code).toBe(2);
  });
});

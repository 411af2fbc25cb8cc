/**
 * Trigger replay on the sample incident against its answer key (`<out>.answer-key.json`, trigger_replay):
 * the instant each rollback rule fires, and the harm after it. Runs the real pipeline: generate → import
 * (CLI) → reconstruction → labels (through the API service) → evaluateBudgets, and `casefile budget --json`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BudgetReport, TriggerFiring } from '../../shared/api';
import { CasefileService } from '../../electron/core/api/service';
import { cli, cliJson, REPO, tempDir } from '../helpers/cli';

const HAVE_GENERATOR = existsSync(join(REPO, 'electron/core/sample/generate.ts'));
if (!HAVE_GENERATOR) console.warn('[casefile tests] the sample generator (electron/core/sample/generate.ts) is not there yet: trigger replay against the answer key is SKIPPED');

interface KeyTrigger {
  budget_id: string;
  rule: string;
  sli: string;
  fires_at: string | null;
  /** the same replay before any label (newer keys) */
  fires_at_evidence_only?: string | null;
  harmful_runs_after?: number;
  harmful_runs_total?: number;
  window_at_firing: { bad: number; total: number; burn: number } | null;
  harmful_writes_after: number;
  harmful_writes_total: number;
}
interface AnswerKey {
  trigger_replay: KeyTrigger[];
  harmful_runs: Array<{ run_id: string; write_event_id: string; tier: string }>;
  undo_signals: Array<{ run_id: string }>;
  unsafe_completions: Array<{ run_id: string; event_id: string }>;
  /** the investigators' labels the key's `fires_at` assumes (newer keys carry category and verdict) */
  labels_to_apply?: Array<{ run_id: string; event_id: string; category?: string; verdict?: 'harmful' | 'benign' | 'unsure'; corrected?: unknown; label?: string }>;
}

const dir = tempDir('casefile-budgets-');
const bundle = join(dir, 'sample');
const casePath = join(dir, 'sample.casefile');
let key: AnswerKey;
let service: CasefileService;
let before: BudgetReport;
let after: BudgetReport;

function trigger(r: BudgetReport, budgetId: string, rule: string): TriggerFiring {
  const e = r.evaluations.find((x) => x.budget.id === budgetId);
  expect(e, `budget ${budgetId} evaluated`).toBeDefined();
  const t = e!.triggers.find((x) => x.rule === rule);
  expect(t, `${budgetId}/${rule}`).toBeDefined();
  return t!;
}

const ms = (us: number | null) => (us === null ? null : Math.floor(us / 1000));
const keyMs = (iso: string | null) => (iso === null ? null : Date.parse(iso));

describe.skipIf(!HAVE_GENERATOR)('trigger replay on the sample incident matches the answer key', () => {
  beforeAll(async () => {
    const g = cli(['sample', '--out', bundle]);
    expect(g.code, g.stderr).toBe(0);
    key = JSON.parse(readFileSync(`${bundle}.answer-key.json`, 'utf8')) as AnswerKey;
    const i = cli(['import', bundle, '--case', casePath, '--quiet']);
    expect(i.code, i.stderr).toBe(0);
    service = new CasefileService({ dataDir: join(dir, 'data'), transport: 'http' });
    await service.openCase(casePath);
    before = await service.evaluateBudgets();
    // the investigators' work (docs/budgets.md, "The sample's answer key"): label each harmful write,
    // clear each undone write that was not harmful, label each leaked draft
    const toApply = key.labels_to_apply?.every((l) => l.category && l.verdict) ? key.labels_to_apply : null;
    if (toApply) {
      for (const l of toApply) await service.setLabel({ runId: l.run_id, stepId: `audit:${l.event_id}`, category: l.category!, verdict: l.verdict!, ...(l.corrected !== undefined ? { corrected: l.corrected } : {}), author: 'test' });
    } else {
      const harmful = new Set(key.harmful_runs.map((h) => h.run_id));
      for (const h of key.harmful_runs) await service.setLabel({ runId: h.run_id, stepId: `audit:${h.write_event_id}`, category: 'materially-wrong-write', verdict: 'harmful', author: 'test' });
      for (const u of key.undo_signals) if (!harmful.has(u.run_id)) await service.setLabel({ runId: u.run_id, category: 'materially-wrong-write', verdict: 'benign', author: 'test', note: 'undone, but the amount was right' });
      for (const u of key.unsafe_completions) await service.setLabel({ runId: u.run_id, category: 'pii-exposure', verdict: 'harmful', author: 'test' });
    }
    after = await service.evaluateBudgets();
  }, 300_000);

  afterAll(async () => {
    await service?.close();
  });

  it('reads every budget of the sample budgets.yaml without problems', () => {
    expect(after.problems).toEqual([]);
    const ids = new Set(key.trigger_replay.map((t) => t.budget_id));
    expect(new Set(after.evaluations.map((e) => e.budget.id))).toEqual(ids);
  });

  it('before any label, every rule fires when the key says for the evidence alone', () => {
    for (const k of key.trigger_replay) {
      // older keys lack fires_at_evidence_only: then only label-independent SLIs can be checked
      const expected = k.fires_at_evidence_only !== undefined ? k.fires_at_evidence_only : ['block_rate', 'undo_rate', 'escalation_rate', 'policy_violation_rate'].includes(k.sli) ? k.fires_at : undefined;
      if (expected === undefined) continue;
      expect(ms(trigger(before, k.budget_id, k.rule).firedAt), `${k.budget_id}/${k.rule}`).toBe(keyMs(expected));
    }
  });

  it('with the investigators labels applied, every rule fires at the instant the key says (or not at all)', () => {
    expect(key.trigger_replay.length).toBeGreaterThan(5);
    expect(key.trigger_replay.some((t) => t.fires_at !== null)).toBe(true);
    for (const k of key.trigger_replay) {
      const t = trigger(after, k.budget_id, k.rule);
      expect(ms(t.firedAt), `${k.budget_id}/${k.rule}`).toBe(keyMs(k.fires_at));
      if (k.window_at_firing) expect(t.burnAtFiring!, `${k.budget_id}/${k.rule} burn`).toBeCloseTo(k.window_at_firing.burn, 6);
    }
  });

  it('harm after each firing: the harmful runs the trigger would have spared', () => {
    for (const k of key.trigger_replay) {
      const t = trigger(after, k.budget_id, k.rule);
      if (k.harmful_runs_after !== undefined) {
        expect(t.harmfulTotal, `${k.budget_id} harmful total`).toBe(k.harmful_runs_total);
        expect(t.harmfulAfter, `${k.budget_id}/${k.rule} harmful after`).toBe(k.harmful_runs_after);
      } else if (k.budget_id.startsWith('refund-')) {
        // older keys: harmful writes only (the same thing for the refund budgets)
        expect(t.harmfulTotal, `${k.budget_id} harmful total`).toBe(k.harmful_writes_total);
        expect(t.harmfulAfter, `${k.budget_id}/${k.rule} harmful after`).toBe(k.harmful_writes_after);
      }
    }
  });

  it('the columnar fact table (one aggregate scan) gives exactly what per-run facts give, labels included', async () => {
    const { loadFactTable, loadRunFacts } = await import('../../electron/core/budgets/facts');
    const { evaluateBudgets } = await import('../../shared/sli');
    const doc = await service.budgets();
    const fast = evaluateBudgets(doc, loadFactTable(casePath));
    const slow = evaluateBudgets(doc, loadRunFacts(casePath));
    expect(fast).toEqual(slow);
    expect(fast).toEqual(after);
    expect(loadFactTable(casePath).time.length).toBe(loadRunFacts(casePath).length);
  });

  it('`casefile budget <case> --json` reports the same firings; the text form names them', () => {
    const r = cliJson<BudgetReport & { runs: number }>(['budget', casePath]);
    expect(r.code).toBe(0);
    for (const k of key.trigger_replay) {
      const e = r.json.evaluations.find((x) => x.budget.id === k.budget_id)!;
      expect(ms(e.triggers.find((x) => x.rule === k.rule)!.firedAt), `${k.budget_id}/${k.rule}`).toBe(keyMs(k.fires_at));
    }
    const text = cli(['budget', casePath]);
    expect(text.code).toBe(0);
    const fired = key.trigger_replay.find((t) => t.fires_at !== null)!;
    expect(text.stdout).toContain(`FIRED at ${new Date(Date.parse(fired.fires_at!)).toISOString().slice(0, 19)}`);
    expect(text.stdout).toMatch(/did not fire/);
  });

  it('`casefile budget --budgets FILE` evaluates another file; invalid entries are named', () => {
    const file = join(dir, 'other-budgets.yaml');
    writeFileSync(
      file,
      ['budgets_version: 1', 'budgets:', '  - id: all-blocks', '    workflow: "*"', '    sli: block_rate', '    objective: 1 in 100', '    rollback: [{ name: r, burn_rate: 2, over: 1h, action: page }]', '  - id: broken', '    workflow: x', '    sli: nonsense', '    objective: 1 in 10', ''].join('\n'),
    );
    const r = cliJson<BudgetReport & { budgetsSource: string }>(['budget', casePath, '--budgets', file]);
    expect(r.code).toBe(0);
    expect(r.json.budgetsSource).toBe(file);
    expect(r.json.evaluations.map((e) => e.budget.id)).toEqual(['all-blocks']);
    expect(r.json.problems.join('\n')).toMatch(/broken.*sli "nonsense"/);
  });
});

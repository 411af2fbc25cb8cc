import { describe, expect, it } from 'vitest';
import type { Budget, RunFact } from '../../shared/api';
import { budgetsFromObject, formatDuration, parseDuration, parseObjective } from '../../shared/budgets';
import { budgetStatus, compareFacts, evaluateBudget, evaluateBudgets, guessLanguage, isBad, makeBuckets, percentile, replayRule, shapeKey, tableFromFacts } from '../../shared/sli';
import { parseNumberList } from '../../electron/core/budgets/facts';

const MIN = 60e6;
const H = 3600e6;
const T0 = Date.UTC(2026, 9, 12, 8, 0, 0) * 1000;

function fact(over: Partial<RunFact> = {}): RunFact {
  return {
    runId: 'r',
    workflow: 'refund-agent',
    tier: 'auto',
    modelVersion: 'm1',
    startedAt: null,
    endedAt: null,
    writes: 0,
    denied: 0,
    escalated: 0,
    redacted: 0,
    reasonCodes: [],
    undos: 0,
    reruns: 0,
    escalations: 0,
    complaints: 0,
    approvalsRejected: 0,
    labels: [],
    inputLength: 0,
    tools: [],
    ...over,
  };
}

function budget(over: Partial<Budget> = {}): Budget {
  return { workflow: 'refund-agent', tier: 'auto', sli: 'wrong_write_rate', objective: 0.01, objectiveText: '1 in 100', windowUs: 30 * 24 * H, window: '30d', rollback: [], ...over };
}

describe('budgets document', () => {
  it('reads objectives in every documented form', () => {
    expect(parseObjective('1 in 10000')).toEqual({ value: 0.0001, text: '1 in 10000' });
    expect(parseObjective('1 in 10,000')).toMatchObject({ value: 0.0001 });
    expect(parseObjective(0.0001)).toMatchObject({ value: 0.0001 });
    expect(parseObjective('0.01%')).toMatchObject({ value: 0.0001 });
    expect(parseObjective('1%')).toMatchObject({ value: 0.01 });
    expect(parseObjective('1/1000')).toMatchObject({ value: 0.001 });
    expect(parseObjective('0.005')).toMatchObject({ value: 0.005 });
    for (const bad of [5, 0, -0.1, 'abc', '60%', '10 in 5', '', null]) expect(parseObjective(bad)).toHaveProperty('problem');
  });

  it('reads durations, compound ones included', () => {
    expect(parseDuration('30d')).toBe(30 * 24 * H);
    expect(parseDuration('1h')).toBe(H);
    expect(parseDuration('6h')).toBe(6 * H);
    expect(parseDuration('3d')).toBe(72 * H);
    expect(parseDuration('90m')).toBe(90 * MIN);
    expect(parseDuration('15min')).toBe(15 * MIN);
    expect(parseDuration('1h30m')).toBe(90 * MIN);
    expect(parseDuration('2w')).toBe(14 * 24 * H);
    for (const bad of ['1x', '', 'h', '-1h', '0h', 12, null]) expect(parseDuration(bad)).toBeNull();
    expect(formatDuration(90 * MIN)).toBe('90m');
    expect(formatDuration(72 * H)).toBe('3d');
  });

  it('validates entries one by one: good ones are kept, each bad one is named with its reason', () => {
    const doc = budgetsFromObject(
      {
        budgets_version: 1,
        defaults: { window: '30d', min_events: 1 },
        budgets: [
          { id: 'ok', workflow: 'refund-agent', tier: 'auto', sli: 'wrong_write_rate', objective: '1 in 10000', owner: 'dana', rollback: [{ name: 'fast-burn', burn_rate: 14.4, over: '1h', min_events: 2, action: 'downgrade auto->approve' }, { name: 'ticket', burn_rate: 1, over: '3d', action: 'ticket' }] },
          { id: 'no-tier', workflow: 'refund-agent', sli: 'block_rate', objective: '1%', window: '7d', rollback: [] },
          { id: 'bad-sli', workflow: 'x', tier: 'auto', sli: 'accuracy', objective: '1 in 10' },
          { id: 'bad-objective', workflow: 'x', tier: 'auto', sli: 'undo_rate', objective: 'often' },
          { id: 'bad-rule', workflow: 'x', tier: 'auto', sli: 'undo_rate', objective: 0.01, rollback: [{ name: 'r1', burn_rate: 'fast', over: '1 hour', action: 'page' }, { name: 'r2', burn_rate: 2, over: '1h', action: 'page' }] },
          'not a mapping',
        ],
      },
      'budgets.yaml',
    );
    expect(doc.budgets.map((b) => b.id)).toEqual(['ok', 'no-tier', 'bad-rule']);
    const ok = doc.budgets[0]!;
    expect(ok).toMatchObject({ workflow: 'refund-agent', tier: 'auto', sli: 'wrong_write_rate', objective: 0.0001, objectiveText: '1 in 10000', windowUs: 30 * 24 * H, window: '30d', owner: 'dana' });
    expect(ok.rollback).toEqual([
      { name: 'fast-burn', burnRate: 14.4, overUs: H, over: '1h', action: 'downgrade auto->approve', minEvents: 2 },
      { name: 'ticket', burnRate: 1, overUs: 72 * H, over: '3d', action: 'ticket', minEvents: 1 },
    ]);
    expect(doc.budgets[1]).toMatchObject({ tier: '*', objective: 0.01, windowUs: 7 * 24 * H });
    expect(doc.budgets[2]!.rollback.map((r) => r.name)).toEqual(['r2']);
    expect(doc.problems).toHaveLength(4);
    expect(doc.problems.find((p) => p.includes('budgets[2]'))).toMatch(/sli "accuracy" is not one of/);
    expect(doc.problems.find((p) => p.includes('budgets[3]'))).toMatch(/objective "often" is not understood/);
    expect(doc.problems.find((p) => p.includes('budgets[4].rollback[0]'))).toMatch(/burn_rate "fast".*over "1 hour"/);
    expect(doc.problems.find((p) => p.includes('budgets[5]'))).toMatch(/must be a mapping/);
  });

  it('refuses a document without a budgets list', () => {
    expect(budgetsFromObject({ foo: 1 }, 'b.yaml').problems[0]).toMatch(/"budgets" must be a list/);
    expect(budgetsFromObject(null, 'b.yaml').problems[0]).toMatch(/expected a mapping/);
  });
});

describe('SLI definitions (which runs are bad)', () => {
  it('wrong_write_rate: a write later undone, or a harmful wrong-write label; a benign label clears it', () => {
    expect(isBad('wrong_write_rate', fact({ writes: 1, undos: 1 }))).toBe(true);
    expect(isBad('wrong_write_rate', fact({ writes: 0, undos: 1 }))).toBe(false);
    expect(isBad('wrong_write_rate', fact({ writes: 1 }))).toBe(false);
    expect(isBad('wrong_write_rate', fact({ writes: 1, labels: [{ category: 'materially-wrong-write', verdict: 'harmful' }] }))).toBe(true);
    expect(isBad('wrong_write_rate', fact({ writes: 1, labels: [{ category: 'Materially_Wrong_Write', verdict: 'harmful' }] }))).toBe(true);
    expect(isBad('wrong_write_rate', fact({ writes: 1, undos: 1, labels: [{ category: 'materially-wrong-write', verdict: 'benign' }] }))).toBe(false);
    expect(isBad('wrong_write_rate', fact({ writes: 1, undos: 1, labels: [{ category: 'hallucination', verdict: 'benign' }] }))).toBe(true);
  });
  it('policy_violation_rate: a boundary reason code, whatever the outcome', () => {
    expect(isBad('policy_violation_rate', fact({ denied: 1, reasonCodes: ['PII_IN_OUTPUT'] }))).toBe(true);
    expect(isBad('policy_violation_rate', fact({ redacted: 1, reasonCodes: ['PROMPT_INJECTION_SUSPECTED'] }))).toBe(true);
    expect(isBad('policy_violation_rate', fact({ denied: 1, reasonCodes: ['AMOUNT_OVER_AUTO_LIMIT'] }))).toBe(false);
    expect(isBad('policy_violation_rate', fact({ labels: [{ category: 'pii-exposure', verdict: 'harmful' }] }))).toBe(true);
  });
  it('block_rate, escalation_rate, undo_rate: straight from the evidence', () => {
    expect(isBad('block_rate', fact({ denied: 2 }))).toBe(true);
    expect(isBad('block_rate', fact({ redacted: 1 }))).toBe(false);
    expect(isBad('escalation_rate', fact({ escalated: 1 }))).toBe(true);
    expect(isBad('escalation_rate', fact({ escalations: 1 }))).toBe(true);
    expect(isBad('escalation_rate', fact({ complaints: 1 }))).toBe(false);
    expect(isBad('undo_rate', fact({ undos: 1 }))).toBe(true);
    expect(isBad('undo_rate', fact({ reruns: 1 }))).toBe(false);
  });
  it('unsafe_completion_rate: PII raised but neither denied nor redacted, or a harmful unsafe-output label', () => {
    expect(isBad('unsafe_completion_rate', fact({ reasonCodes: ['PII_DETECTED'] }))).toBe(true);
    expect(isBad('unsafe_completion_rate', fact({ reasonCodes: ['PII_DETECTED'], redacted: 1 }))).toBe(false);
    expect(isBad('unsafe_completion_rate', fact({ reasonCodes: ['PII_DETECTED'], denied: 1 }))).toBe(false);
    expect(isBad('unsafe_completion_rate', fact({ labels: [{ category: 'hallucination', verdict: 'harmful' }] }))).toBe(true);
    expect(isBad('unsafe_completion_rate', fact({ labels: [{ category: 'hallucination', verdict: 'unsure' }] }))).toBe(false);
  });
});

/** 100 runs, one per minute (ends at T0 + k min, k = 0..99); wrong writes (undone) at minutes 30, 40 and 50. */
function minuteFacts(): RunFact[] {
  return Array.from({ length: 100 }, (_, k) => fact({ runId: `r${k}`, startedAt: T0 + k * MIN - 1e6, endedAt: T0 + k * MIN, writes: 1, undos: [30, 40, 50].includes(k) ? 1 : 0 }));
}

describe('budget evaluation and trigger replay (hand-computed)', () => {
  it('consumed, SLI and the instant a rule first fires', () => {
    const b = budget({
      rollback: [
        // at minute 40 the window (−20 min, 40 min] holds runs 0..40 = 41 runs, 2 bad: (2/41)/0.01 = 4.878 ≥ 4
        { name: 'four-x-1h', burnRate: 4, overUs: H, over: '1h', action: 'downgrade auto->approve', minEvents: 2 },
        // at minute 30 the window (20, 30] holds runs 21..30 = 10 runs, 1 bad: (1/10)/0.01 = 10 (exactly the threshold)
        { name: 'ten-x-10m', burnRate: 10, overUs: 10 * MIN, over: '10m', action: 'page' },
        // best 1 h window: minute 50 → runs 0..50 = 51, 3 bad: 5.88; minute 59 → 60 runs, 3 bad: 5.0 — never 6
        { name: 'six-x-1h', burnRate: 6, overUs: H, over: '1h', action: 'page', minEvents: 3 },
      ],
    });
    const e = evaluateBudget(b, minuteFacts());
    expect(e.total).toBe(100);
    expect(e.bad).toBe(3);
    expect(e.sli).toBeCloseTo(0.03, 12);
    expect(e.consumed).toBeCloseTo(3, 12); // 3 / (0.01 × 100)
    expect(e.triggers[0]).toMatchObject({ rule: 'four-x-1h', firedAt: T0 + 40 * MIN, harmfulAfter: 1, harmfulTotal: 3 });
    expect(e.triggers[0]!.burnAtFiring).toBeCloseTo(2 / 41 / 0.01, 9);
    expect(e.triggers[1]).toMatchObject({ rule: 'ten-x-10m', firedAt: T0 + 30 * MIN, harmfulAfter: 2 });
    expect(e.triggers[1]!.burnAtFiring).toBeCloseTo(10, 9);
    expect(e.triggers[2]).toMatchObject({ rule: 'six-x-1h', firedAt: null, burnAtFiring: null, harmfulAfter: 0, harmfulTotal: 3 });
    expect(budgetStatus(e)).toBe('exhausted');
  });

  it('runs that end at the same instant are all in the window before it is evaluated', () => {
    // t1: one bad run and three good ones end together → (1/4)/0.1 = 2.5, below 3 — the rule must not fire on the bad run alone
    const f = [fact({ endedAt: T0, writes: 1, undos: 1 }), fact({ endedAt: T0 }), fact({ endedAt: T0 }), fact({ endedAt: T0 })];
    const b = budget({ objective: 0.1, rollback: [{ name: 'r', burnRate: 3, overUs: H, over: '1h', action: 'x' }] });
    expect(evaluateBudget(b, f).triggers[0]!.firedAt).toBeNull();
    // one more bad run 1 s later: 2/5 / 0.1 = 4 ≥ 3
    f.push(fact({ endedAt: T0 + 1e6, writes: 1, undos: 1 }));
    expect(evaluateBudget(b, f).triggers[0]).toMatchObject({ firedAt: T0 + 1e6, harmfulAfter: 0, harmfulTotal: 2 });
  });

  it('scopes by workflow and tier ("*" and a missing tier cover all)', () => {
    const f = [fact({ tier: 'auto', undos: 1, writes: 1, endedAt: T0 }), fact({ tier: 'approve', endedAt: T0 }), fact({ workflow: 'kb-answer', endedAt: T0 })];
    expect(evaluateBudget(budget({ tier: 'auto' }), f).total).toBe(1);
    expect(evaluateBudget(budget({ tier: '*' }), f).total).toBe(2);
    expect(evaluateBudget(budget({ workflow: '*', tier: '*' }), f).total).toBe(3);
  });

  it('series buckets and burn points', () => {
    const b = budget({ rollback: [{ name: 'r', burnRate: 1, overUs: 10 * MIN, over: '10m', action: 'x' }] });
    const e = evaluateBudget(b, minuteFacts(), { maxBuckets: 10 });
    // 99 minutes over ≤ 10 buckets → 10-minute buckets aligned on the clock; T0 is on the hour
    expect(e.series).toHaveLength(10);
    expect(e.series[0]).toEqual({ at: T0, good: 10, bad: 0, sli: 0 });
    expect(e.series[3]).toEqual({ at: T0 + 30 * MIN, good: 9, bad: 1, sli: 0.1 });
    expect(e.series.reduce((n, p) => n + p.good + p.bad, 0)).toBe(100);
    // burn at the end of bucket 3 (minute 40): window (30, 40] = runs 31..40, one bad (40) → 0.1/0.01 = 10
    expect(e.burn[0]!.points[3]!.at).toBe(T0 + 40 * MIN);
    expect(e.burn[0]!.points[3]!.burn).toBeCloseTo(10, 9);
  });

  it('harm: before any verdict the bad runs stand in; once the case is labelled, only harmful labels count', () => {
    const b = budget({ rollback: [{ name: 'r', burnRate: 4, overUs: H, over: '1h', action: 'x', minEvents: 2 }] });
    const f = minuteFacts();
    expect(evaluateBudget(b, f).triggers[0]).toMatchObject({ harmfulAfter: 1, harmfulTotal: 3 });
    // a benign verdict anywhere in the case switches to labels: the undone writes are no longer "harm" by themselves
    f[30] = { ...f[30]!, labels: [{ category: 'materially-wrong-write', verdict: 'harmful' }] };
    f[70] = { ...f[70]!, labels: [{ category: 'hallucination', verdict: 'harmful' }] };
    f[80] = { ...f[80]!, labels: [{ category: 'other', verdict: 'benign' }] };
    const e = evaluateBudget(b, f);
    expect(e.bad).toBe(3); // runs 30, 40, 50 (undone writes, run 30 also labelled)
    expect(e.triggers[0]).toMatchObject({ firedAt: T0 + 40 * MIN, harmfulTotal: 2, harmfulAfter: 1 }); // runs 30 and 70 are harmful; 70 is after
  });

  it('the columnar fact table gives the same report as the fact objects', () => {
    const f: RunFact[] = minuteFacts().map((x, i) => ({ ...x, tier: i % 7 === 0 ? 'approve' : 'auto', denied: i % 11 === 0 ? 1 : 0, reasonCodes: i % 13 === 0 ? ['PII_EMAIL', 'AMOUNT_OVER_LIMIT'] : [], labels: i === 44 ? [{ category: 'pii-exposure', verdict: 'harmful' as const }] : [] }));
    f.push(fact({ endedAt: null, startedAt: null, writes: 1, undos: 1 }));
    const doc = { source: null, problems: [], budgets: (['wrong_write_rate', 'block_rate', 'policy_violation_rate', 'unsafe_completion_rate'] as const).map((sli) => budget({ sli, tier: '*', rollback: [{ name: 'r', burnRate: 2, overUs: H, over: '1h', action: 'x' }] })) };
    const t = tableFromFacts(f);
    expect(t.shapes.length).toBeLessThan(20);
    expect(evaluateBudgets(doc, t)).toEqual(evaluateBudgets(doc, f));
    // irrelevant reason codes do not split shapes
    expect(shapeKey(fact({ reasonCodes: ['AMOUNT_OVER_LIMIT'] }))).toBe(shapeKey(fact()));
    expect(shapeKey(fact({ reasonCodes: ['PII_EMAIL'] }))).not.toBe(shapeKey(fact()));
  });

  it('parses the scan strings of the columnar reader', () => {
    expect(Array.from(parseNumberList('1,22,,1791417600000123,-5', 5))).toEqual([1, 22, NaN, 1791417600000123, -5]);
    expect(Array.from(parseNumberList('', 0))).toEqual([]);
    expect(Array.from(parseNumberList('', 1))).toEqual([NaN]);
  });

  it('agrees with a brute-force O(n²) replay on random data', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let trial = 0; trial < 30; trial++) {
      const n = 50 + Math.floor(rnd() * 300);
      const runs = Array.from({ length: n }, () => ({ t: T0 + Math.floor(rnd() * 40) * 5 * MIN, bad: rnd() < 0.08 }));
      const objective = [0.01, 0.02, 0.05][trial % 3]!;
      const rule = { burnRate: 1 + rnd() * 6, overUs: [H, 3 * H, 30 * MIN][trial % 3]!, minEvents: 1 + (trial % 3) };
      let expected: number | null = null;
      for (const t of [...new Set(runs.map((r) => r.t))].sort((a, b) => a - b)) {
        const w = runs.filter((r) => r.t > t - rule.overUs && r.t <= t);
        const bad = w.filter((r) => r.bad).length;
        if (bad >= rule.minEvents && bad / w.length / objective >= rule.burnRate) {
          expected = t;
          break;
        }
      }
      const all = Float64Array.from(runs.map((r) => r.t)).sort();
      const bad = Float64Array.from(runs.filter((r) => r.bad).map((r) => r.t)).sort();
      expect(replayRule(all, bad, objective, rule).firedAt).toBe(expected);
    }
  });

  it('handles 1M runs and 7 budgets well within 5 s', () => {
    const n = 1_000_000;
    const facts: RunFact[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const wf = i % 3 === 0 ? 'kb-answer' : 'refund-agent';
      facts[i] = fact({ runId: `r${i}`, workflow: wf, tier: wf === 'kb-answer' ? 'draft' : i % 5 === 0 ? 'approve' : 'auto', endedAt: T0 + i * 2e6, writes: 1, undos: i % 997 === 0 ? 1 : 0, denied: i % 211 === 0 ? 1 : 0, escalated: i % 50 === 0 ? 1 : 0, reasonCodes: i % 401 === 0 ? ['PII_DETECTED'] : [], labels: i % 10007 === 0 ? [{ category: 'hallucination', verdict: 'harmful' }] : [] });
    }
    const rules = [
      { name: 'fast', burnRate: 14.4, overUs: H, over: '1h', action: 'a', minEvents: 2 },
      { name: 'slow', burnRate: 6, overUs: 6 * H, over: '6h', action: 'a', minEvents: 2 },
      { name: 'ticket', burnRate: 1, overUs: 72 * H, over: '3d', action: 'a' },
    ];
    const doc = {
      source: null,
      problems: [],
      budgets: [
        budget({ sli: 'wrong_write_rate', objective: 0.0001, rollback: rules }),
        budget({ tier: 'approve', sli: 'wrong_write_rate', objective: 0.001, rollback: rules }),
        budget({ tier: '*', sli: 'block_rate', rollback: rules }),
        budget({ sli: 'undo_rate', objective: 0.005, rollback: rules }),
        budget({ workflow: 'kb-answer', tier: 'draft', sli: 'unsafe_completion_rate', objective: 0.001, rollback: rules }),
        budget({ workflow: 'kb-answer', tier: 'draft', sli: 'policy_violation_rate', rollback: rules }),
        budget({ workflow: 'kb-answer', tier: 'draft', sli: 'escalation_rate', objective: 0.05, rollback: rules }),
      ] as Budget[],
    };
    let t = performance.now();
    const table = tableFromFacts(facts);
    const tableMs = performance.now() - t;
    t = performance.now();
    const r = evaluateBudgets(doc, table);
    const ms = performance.now() - t;
    console.log(`[bench] 1M runs: fact objects → table ${tableMs.toFixed(0)} ms; evaluateBudgets (7 budgets × 3 rules) ${ms.toFixed(0)} ms`);
    expect(r.evaluations).toHaveLength(7);
    expect(r.evaluations[0]!.total).toBe(facts.filter((f) => f.workflow === 'refund-agent' && f.tier === 'auto').length);
    expect(ms + tableMs).toBeLessThan(5000);
  });
});

describe('comparison of two model versions or windows', () => {
  it('SLIs, input length percentiles (nearest rank), languages and tool mix side by side', () => {
    const facts = [
      ...Array.from({ length: 10 }, (_, i) => fact({ modelVersion: 'v1', inputLength: (i + 1) * 10, tools: ['lookup_order'], language: 'en' })),
      ...Array.from({ length: 4 }, (_, i) => fact({ modelVersion: 'v2', inputLength: 100 * (i + 1), tools: ['lookup_order', 'issue_refund'], language: i < 1 ? 'es' : 'en', undos: 1, writes: 1 })),
    ];
    const r = compareFacts(facts, { a: { modelVersion: 'v1' }, b: { modelVersion: 'v2' } });
    expect(r.a.runs).toBe(10);
    expect(r.a.label).toBe('model v1');
    expect(r.a.inputLength).toEqual({ p50: 50, p90: 90, p99: 100, mean: 55 });
    expect(r.b.inputLength).toEqual({ p50: 200, p90: 400, p99: 400, mean: 250 });
    expect(r.b.slis.find((s) => s.sli === 'undo_rate')).toEqual({ sli: 'undo_rate', value: 1, bad: 4, total: 4 });
    expect(r.a.slis.find((s) => s.sli === 'undo_rate')!.value).toBe(0);
    expect(r.b.languages).toEqual([{ value: 'en', count: 3 }, { value: 'es', count: 1 }]);
    expect(r.b.toolMix).toEqual([{ value: 'issue_refund', count: 4 }, { value: 'lookup_order', count: 4 }]);
  });

  it('time windows select runs by their start, [from, to)', () => {
    const facts = [fact({ startedAt: T0 }), fact({ startedAt: T0 + H }), fact({ startedAt: T0 + 2 * H })];
    const r = compareFacts(facts, { a: { from: T0, to: T0 + H }, b: { from: T0 + H } });
    expect([r.a.runs, r.b.runs]).toEqual([1, 2]);
  });

  it('percentile is nearest-rank', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(percentile([], 0.5)).toBe(0);
  });

  it('guesses the language from the script, and Latin text from function words', () => {
    expect(guessLanguage('Please refund my order, the item was broken')).toBe('en');
    expect(guessLanguage('Por favor, quiero la devolución de mi pedido')).toBe('es');
    expect(guessLanguage('Je voudrais le remboursement de ma commande, merci pour votre aide')).toBe('fr');
    expect(guessLanguage('Ich möchte bitte eine Erstattung für meine Bestellung')).toBe('de');
    expect(guessLanguage('Верните деньги за заказ')).toBe('ru');
    expect(guessLanguage('注文の返金をお願いします')).toBe('ja');
    expect(guessLanguage('请退还我的订单')).toBe('zh');
    expect(guessLanguage('주문 환불 부탁드립니다')).toBe('ko');
    expect(guessLanguage('أريد استرداد المبلغ')).toBe('ar');
    expect(guessLanguage('12345 !!!')).toBe('und');
    // ties: the script seen first, the language listed first (en before es, es before pt for 'de que')
    expect(guessLanguage('ab αβ')).toBe('latin');
    expect(guessLanguage('αβ ab')).toBe('el');
    expect(guessLanguage('Верните іїєґ')).toBe('uk');
    expect(guessLanguage('la de que')).toBe('es');
    expect(guessLanguage('the el')).toBe('en');
  });

  it('buckets use nice clock-aligned widths', () => {
    expect(makeBuckets(T0 + 5 * MIN, T0 + 5 * H, 240).step).toBe(5 * MIN);
  });
});

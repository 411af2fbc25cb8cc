/**
 * Safety SLIs, risk-budget consumption, burn rates and trigger replay — pure math over RunFact[]
 * (one row per run, see shared/api.ts). Definitions are in docs/budgets.md; keep the two in step.
 *
 * Time axis: a run counts at its END (`endedAt`, falling back to `startedAt`); runs with neither are
 * counted in totals but cannot be placed on a chart or in a burn window.
 *
 * Complexity: per budget one O(n) pass over the facts, two typed-array sorts (all run times, bad run
 * times) and two-pointer sliding windows — O(n log n) overall, never O(n²).
 */
import type { Budget, BudgetEvaluation, BudgetReport, BudgetsDoc, CompareReport, CompareRequest, CompareSide, RollbackRule, RunFact, SliName, SliSeriesPoint, TriggerFiring } from './api';
import { budgetApplies, SLI_NAMES } from './budgets';

export { SLI_NAMES };

// ---------------------------------------------------------------- which runs are bad

/** Label categories are compared after normalizing: lower case, spaces and underscores → '-'. */
export function normCategory(c: string): string {
  return c.trim().toLowerCase().replace(/[\s_]+/g, '-');
}

/** Investigator label categories that decide an SLI (a harmful verdict makes the run bad; a benign one clears it). */
export const SLI_LABEL_CATEGORIES: Record<SliName, readonly string[]> = {
  wrong_write_rate: ['materially-wrong-write', 'wrong-write', 'incorrect-write'],
  policy_violation_rate: ['policy-violation', 'policy-boundary-attempt', 'pii-exposure', 'pii-leak', 'prompt-injection', 'disallowed-content', 'data-exfiltration', 'jailbreak'],
  block_rate: [],
  escalation_rate: [],
  unsafe_completion_rate: ['unsafe-completion', 'unsafe-output', 'pii-exposure', 'pii-leak', 'hallucination', 'harmful-content', 'disallowed-content', 'prompt-injection'],
  undo_rate: [],
};

/** Reason codes that mean a run reached a policy boundary (PII, prompt injection, disallowed content, secrets...). */
export const BOUNDARY_REASON = /PII|PERSONAL[_-]?DATA|SSN|CREDIT[_-]?CARD|\bPHI\b|INJECTION|JAILBREAK|DISALLOWED|PROHIBITED|SECRET|CREDENTIAL|TOXIC|SELF[_-]?HARM|HATE|VIOLENCE|EXFILTRAT/i;
/** Reason codes about personal data. */
export const PII_REASON = /PII|PERSONAL[_-]?DATA|SSN|CREDIT[_-]?CARD|\bPHI\b/i;

export const SLI_DESCRIPTIONS: Record<SliName, string> = {
  wrong_write_rate: 'runs with a write that was later undone, or labelled harmful as a (materially) wrong write',
  policy_violation_rate: 'runs whose policy decisions carry a boundary reason code (PII, prompt injection, disallowed content, secrets...), or labelled harmful as a policy violation',
  block_rate: 'runs with at least one denied policy decision',
  escalation_rate: 'runs routed to a human: an escalate decision or a user escalation signal',
  unsafe_completion_rate: 'runs whose output went out although a PII reason code was raised (no deny, no redact), or labelled harmful as PII exposure, hallucination or unsafe output',
  undo_rate: 'runs the user undid',
};

function labelVerdict(f: RunFact, sli: SliName): 'harmful' | 'benign' | null {
  const cats = SLI_LABEL_CATEGORIES[sli];
  if (cats.length === 0 || f.labels.length === 0) return null;
  let benign = false;
  for (const l of f.labels) {
    if (!cats.includes(normCategory(l.category))) continue;
    if (l.verdict === 'harmful') return 'harmful';
    if (l.verdict === 'benign') benign = true;
  }
  return benign ? 'benign' : null;
}

/** Is this run a bad event for the SLI? Investigators' labels take precedence over the evidence rule. */
export function isBad(sli: SliName, f: RunFact): boolean {
  const v = labelVerdict(f, sli);
  if (v !== null) return v === 'harmful';
  switch (sli) {
    case 'wrong_write_rate':
      return f.writes > 0 && f.undos > 0;
    case 'policy_violation_rate':
      return f.reasonCodes.some((c) => BOUNDARY_REASON.test(c));
    case 'block_rate':
      return f.denied > 0;
    case 'escalation_rate':
      return f.escalated > 0 || f.escalations > 0;
    case 'unsafe_completion_rate':
      return f.denied === 0 && f.redacted === 0 && f.reasonCodes.some((c) => PII_REASON.test(c));
    case 'undo_rate':
      return f.undos > 0;
  }
}

/**
 * Harm, for "what a trigger would have spared". Once investigators have labelled (any run of the case
 * carries a harmful or benign verdict), a run is harmful when it is labelled harmful (any category).
 * In a case nobody has labelled yet, the budget's bad runs stand in (the evidence's best guess).
 */
export function isHarmful(f: RunFact, bad: boolean, caseLabelled: boolean): boolean {
  if (!caseLabelled) return bad;
  for (const l of f.labels) if (l.verdict === 'harmful') return true;
  return false;
}

/** Has any run of the case a harmful or benign verdict? */
export function caseIsLabelled(facts: readonly RunFact[]): boolean {
  for (const f of facts) for (const l of f.labels) if (l.verdict === 'harmful' || l.verdict === 'benign') return true;
  return false;
}

/** The instant a run counts at: its end, else its start. */
export function runTime(f: Pick<RunFact, 'endedAt' | 'startedAt'>): number | null {
  return f.endedAt ?? f.startedAt ?? null;
}

// ---------------------------------------------------------------- sorted-array helpers

/** Number of elements ≤ x in a sorted array. */
export function countLe(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Relative tolerance when comparing a burn rate to a rule's threshold (floating point). */
const EPS = 1e-9;

export interface ReplayResult {
  firedAt: number | null;
  burnAtFiring: number | null;
  /** bad and total runs in the window at the firing instant */
  badInWindow: number;
  totalInWindow: number;
}

/**
 * Trigger replay for one rule: evaluated at each distinct run end t (ascending), the window is
 * (t − over, t]; burn = (bad/total) / objective; the rule fires at the first t where burn ≥ burn_rate
 * and bad ≥ min_events (default 1). Two pointers per array: O(n).
 */
export function replayRule(allTimes: Float64Array, badTimes: Float64Array, objective: number, rule: Pick<RollbackRule, 'burnRate' | 'overUs' | 'minEvents'>): ReplayResult {
  const n = allTimes.length;
  const minEvents = rule.minEvents ?? 1;
  const threshold = rule.burnRate * (1 - EPS);
  let lo = 0;
  let bLo = 0;
  let bHi = 0;
  let i = 0;
  while (i < n) {
    const t = allTimes[i]!;
    let hi = i + 1;
    while (hi < n && allTimes[hi] === t) hi++;
    const start = t - rule.overUs;
    while (allTimes[lo]! <= start) lo++;
    while (bHi < badTimes.length && badTimes[bHi]! <= t) bHi++;
    while (bLo < bHi && badTimes[bLo]! <= start) bLo++;
    const bad = bHi - bLo;
    if (bad >= minEvents) {
      const total = hi - lo;
      const burn = bad / total / objective;
      if (burn >= threshold) return { firedAt: t, burnAtFiring: burn, badInWindow: bad, totalInWindow: total };
    }
    i = hi;
  }
  return { firedAt: null, burnAtFiring: null, badInWindow: 0, totalInWindow: 0 };
}

/** Burn over (e − over, e] at each given instant (ascending). */
export function burnAt(allTimes: Float64Array, badTimes: Float64Array, objective: number, overUs: number, at: number[]): Array<{ at: number; burn: number }> {
  const out: Array<{ at: number; burn: number }> = [];
  let lo = 0;
  let hi = 0;
  let bLo = 0;
  let bHi = 0;
  for (const e of at) {
    const start = e - overUs;
    while (hi < allTimes.length && allTimes[hi]! <= e) hi++;
    while (lo < hi && allTimes[lo]! <= start) lo++;
    while (bHi < badTimes.length && badTimes[bHi]! <= e) bHi++;
    while (bLo < bHi && badTimes[bLo]! <= start) bLo++;
    const total = hi - lo;
    out.push({ at: e, burn: total === 0 ? 0 : (bHi - bLo) / total / objective });
  }
  return out;
}

// ---------------------------------------------------------------- buckets

const NICE_STEPS_US = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400, 30 * 86_400].map((s) => s * 1e6);

/** A bucket width from the list of "nice" durations giving at most maxBuckets buckets over [from, to]. */
export function niceStep(from: number, to: number, maxBuckets: number): number {
  const span = Math.max(1, to - from);
  for (const s of NICE_STEPS_US) if (span / s <= maxBuckets) return s;
  const last = NICE_STEPS_US[NICE_STEPS_US.length - 1]!;
  return Math.ceil(span / maxBuckets / last) * last;
}

export interface Buckets {
  from: number;
  step: number;
  count: number;
}

export function makeBuckets(from: number, to: number, maxBuckets = 240): Buckets {
  const step = niceStep(from, to, maxBuckets);
  const start = Math.floor(from / step) * step;
  const count = Math.max(1, Math.floor((to - start) / step) + 1);
  return { from: start, step, count };
}

/** Good/bad counts per bucket [from + k·step, from + (k+1)·step). */
export function seriesOf(allTimes: Float64Array, badTimes: Float64Array, b: Buckets): SliSeriesPoint[] {
  const out: SliSeriesPoint[] = [];
  let i = 0;
  let j = 0;
  while (i < allTimes.length && allTimes[i]! < b.from) i++;
  while (j < badTimes.length && badTimes[j]! < b.from) j++;
  for (let k = 0; k < b.count; k++) {
    const end = b.from + (k + 1) * b.step;
    let total = 0;
    let bad = 0;
    while (i < allTimes.length && allTimes[i]! < end) {
      i++;
      total++;
    }
    while (j < badTimes.length && badTimes[j]! < end) {
      j++;
      bad++;
    }
    out.push({ at: b.from + k * b.step, good: total - bad, bad, sli: total === 0 ? 0 : bad / total });
  }
  return out;
}

// ---------------------------------------------------------------- budgets

/**
 * The runs of a case in columnar form, for budgets at scale: each run is an instant and a *shape* — an
 * index into `shapes`, representative facts carrying every field the SLI and harm rules read (workflow,
 * tier, whether there were writes, denies, escalations, redactions, undos, user escalations, the reason
 * codes those rules look at, labels). Runs with the same shape are bad or harmful alike, so the rules run
 * once per shape and the per-run work is typed-array arithmetic.
 */
export interface FactTable {
  /** per run: its instant (end, else start), NaN when unknown */
  time: Float64Array;
  /** per run: index into shapes */
  shape: Uint32Array;
  shapes: RunFact[];
}

/** Does any SLI rule read this reason code? (Codes no rule reads can be left out of a shape.) */
export function reasonCodeMatters(code: string): boolean {
  return BOUNDARY_REASON.test(code) || PII_REASON.test(code);
}

const labelKey = (f: RunFact) => (f.labels.length === 0 ? '' : f.labels.map((l) => `${normCategory(l.category)}=${l.verdict}`).sort().join(','));

/** The key of a fact's shape: equal keys ⇒ the same verdict under every SLI and harm rule. */
export function shapeKey(f: RunFact): string {
  const b = (n: number) => (n > 0 ? '1' : '0');
  const codes = f.reasonCodes.filter(reasonCodeMatters).sort().join(' ');
  return `${f.workflow ?? '\0'}\t${f.tier ?? '\0'}\t${b(f.writes)}${b(f.denied)}${b(f.escalated)}${b(f.redacted)}${b(f.undos)}${b(f.escalations)}\t${codes}\t${labelKey(f)}`;
}

export function tableFromFacts(facts: readonly RunFact[]): FactTable {
  const time = new Float64Array(facts.length);
  const shape = new Uint32Array(facts.length);
  const shapes: RunFact[] = [];
  const ids = new Map<string, number>();
  facts.forEach((f, i) => {
    const k = shapeKey(f);
    let id = ids.get(k);
    if (id === undefined) {
      id = shapes.length;
      ids.set(k, id);
      shapes.push(f);
    }
    shape[i] = id;
    time[i] = runTime(f) ?? NaN;
  });
  return { time, shape, shapes };
}

export interface ScopedFacts {
  total: number;
  bad: number;
  harmful: number;
  /** sorted times of all timed runs in scope, of the bad ones and of the harmful ones */
  allTimes: Float64Array;
  badTimes: Float64Array;
  harmfulTimes: Float64Array;
}

export function tableIsLabelled(t: FactTable): boolean {
  return caseIsLabelled(t.shapes);
}

/** The budget's runs (workflow × tier), and which of them are bad and harmful, as sorted time arrays. */
export function scopeFacts(budget: Pick<Budget, 'workflow' | 'tier' | 'sli'>, facts: readonly RunFact[] | FactTable, caseLabelled?: boolean): ScopedFacts {
  const t = Array.isArray(facts) ? tableFromFacts(facts as readonly RunFact[]) : (facts as FactTable);
  const labelled = caseLabelled ?? tableIsLabelled(t);
  const m = t.shapes.length;
  // 0 = out of scope, 1 = in scope, |2 = bad, |4 = harmful
  const cls = new Uint8Array(m);
  for (let k = 0; k < m; k++) {
    const f = t.shapes[k]!;
    if (!budgetApplies(budget, f.workflow, f.tier)) continue;
    const bad = isBad(budget.sli, f);
    cls[k] = 1 | (bad ? 2 : 0) | (isHarmful(f, bad, labelled) ? 4 : 0);
  }
  const n = t.time.length;
  let total = 0;
  let bad = 0;
  let harmful = 0;
  let na = 0;
  let nb = 0;
  let nh = 0;
  for (let i = 0; i < n; i++) {
    const c = cls[t.shape[i]!]!;
    if (c === 0) continue;
    total++;
    if (c & 2) bad++;
    if (c & 4) harmful++;
    if (t.time[i] === t.time[i]) {
      na++;
      if (c & 2) nb++;
      if (c & 4) nh++;
    }
  }
  const all = new Float64Array(na);
  const badT = new Float64Array(nb);
  const harmT = new Float64Array(nh);
  na = nb = nh = 0;
  for (let i = 0; i < n; i++) {
    const c = cls[t.shape[i]!]!;
    const x = t.time[i]!;
    if (c === 0 || x !== x) continue;
    all[na++] = x;
    if (c & 2) badT[nb++] = x;
    if (c & 4) harmT[nh++] = x;
  }
  return { total, bad, harmful, allTimes: all.sort(), badTimes: badT.sort(), harmfulTimes: harmT.sort() };
}

export interface EvaluateOptions {
  /** Chart range; defaults to the span of all timed facts. */
  range?: { from: number; to: number };
  /** Whether the case carries investigators' verdicts (computed from the facts when omitted). */
  caseLabelled?: boolean;
  maxBuckets?: number;
}

export function timeRange(facts: readonly RunFact[] | FactTable): { from: number; to: number } | null {
  let from = Infinity;
  let to = -Infinity;
  if (Array.isArray(facts)) {
    for (const f of facts as readonly RunFact[]) {
      const t = runTime(f);
      if (t === null) continue;
      if (t < from) from = t;
      if (t > to) to = t;
    }
  } else {
    const time = (facts as FactTable).time;
    for (let i = 0; i < time.length; i++) {
      const t = time[i]!;
      if (t < from) from = t;
      if (t > to) to = t;
    }
  }
  return from === Infinity ? null : { from, to };
}

export function evaluateBudget(budget: Budget, facts: readonly RunFact[] | FactTable, opts: EvaluateOptions = {}): BudgetEvaluation {
  const s = scopeFacts(budget, facts, opts.caseLabelled);
  const range = opts.range ?? (s.allTimes.length ? { from: s.allTimes[0]!, to: s.allTimes[s.allTimes.length - 1]! } : null);
  const buckets = range ? makeBuckets(range.from, range.to, opts.maxBuckets ?? 240) : null;
  const series = buckets ? seriesOf(s.allTimes, s.badTimes, buckets) : [];
  const ends = buckets ? Array.from({ length: buckets.count }, (_, k) => buckets.from + (k + 1) * buckets.step) : [];
  const burn = budget.rollback.map((r) => ({ rule: r.name, overUs: r.overUs, points: burnAt(s.allTimes, s.badTimes, budget.objective, r.overUs, ends) }));
  const triggers: TriggerFiring[] = budget.rollback.map((r) => {
    const rep = replayRule(s.allTimes, s.badTimes, budget.objective, r);
    const harmfulAfter = rep.firedAt === null ? 0 : s.harmfulTimes.length - countLe(s.harmfulTimes, rep.firedAt);
    return { rule: r.name, action: r.action, firedAt: rep.firedAt, burnAtFiring: rep.burnAtFiring, harmfulAfter, harmfulTotal: s.harmful };
  });
  return {
    budget,
    total: s.total,
    bad: s.bad,
    sli: s.total === 0 ? 0 : s.bad / s.total,
    consumed: s.total === 0 ? 0 : s.bad / (budget.objective * s.total),
    series,
    burn,
    triggers,
  };
}

/** Evaluate every budget of a document over the case's runs (one shared chart range). */
export function evaluateBudgets(doc: BudgetsDoc, facts: readonly RunFact[] | FactTable, opts: EvaluateOptions = {}): BudgetReport {
  const table = Array.isArray(facts) ? tableFromFacts(facts as readonly RunFact[]) : (facts as FactTable);
  const range = opts.range ?? timeRange(table) ?? undefined;
  const caseLabelled = opts.caseLabelled ?? tableIsLabelled(table);
  const evaluations = doc.budgets.map((b) => evaluateBudget(b, table, { ...opts, caseLabelled, ...(range ? { range } : {}) }));
  const problems = [...doc.problems];
  for (const e of evaluations) if (e.total === 0) problems.push(`budget ${e.budget.id ?? `${e.budget.workflow}/${e.budget.tier}/${e.budget.sli}`}: no run of the case falls under it`);
  return { evaluations, problems };
}

/** The one-word status shown on the case overview. */
export function budgetStatus(e: BudgetEvaluation): 'ok' | 'burning' | 'exhausted' {
  if (e.consumed >= 1) return 'exhausted';
  if (e.triggers.some((t) => t.firedAt !== null)) return 'burning';
  return 'ok';
}

// ---------------------------------------------------------------- comparison (drift, canary)

/** Nearest-rank percentile of an ascending array (0 for an empty one). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const k = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[k - 1]!;
}

const STOPWORDS: Record<string, string[]> = {
  en: ['the', 'and', 'is', 'to', 'of', 'for', 'my', 'you', 'please', 'was', 'with', 'this', 'what', 'i'],
  es: ['el', 'la', 'de', 'que', 'y', 'los', 'por', 'para', 'mi', 'una', 'es', 'con', 'del', 'favor'],
  fr: ['le', 'la', 'les', 'et', 'est', 'des', 'une', 'pour', 'mon', 'vous', 'je', 'pas', 'du', 'avec'],
  de: ['der', 'die', 'das', 'und', 'ist', 'nicht', 'ich', 'mein', 'bitte', 'mit', 'ein', 'eine', 'für', 'zu'],
  pt: ['o', 'a', 'de', 'que', 'e', 'do', 'da', 'não', 'para', 'meu', 'uma', 'com', 'por', 'favor'],
  it: ['il', 'la', 'di', 'che', 'e', 'per', 'non', 'mio', 'una', 'sono', 'con', 'del', 'grazie', 'il'],
  nl: ['de', 'het', 'een', 'en', 'van', 'ik', 'niet', 'mijn', 'is', 'voor', 'met', 'graag', 'dat', 'je'],
};

/** Scripts counted by guessLanguage, by index; a script's language when it dominates ('' for Latin: by words). */
const SCRIPT_LANG = ['', 'ru', 'el', 'he', 'ar', 'hi', 'th', 'ja', 'ko', 'zh'] as const;
const LATIN = 0;
const CYRILLIC = 1;
const KANA = 7;
const HAN = 9;

/** The script (index in SCRIPT_LANG) of a UTF-16 unit, or -1. */
function scriptOf(c: number): number {
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7)) return LATIN;
  if (c < 0x370) return -1;
  if (c >= 0x400 && c <= 0x4ff) return CYRILLIC;
  if (c <= 0x3ff) return 2; // greek
  if (c >= 0x590 && c <= 0x5ff) return 3; // hebrew
  if ((c >= 0x600 && c <= 0x6ff) || (c >= 0x750 && c <= 0x77f)) return 4; // arabic
  if (c >= 0x900 && c <= 0x97f) return 5; // devanagari
  if (c >= 0xe00 && c <= 0xe7f) return 6; // thai
  if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0x31f0 && c <= 0x31ff)) return KANA;
  if ((c >= 0xac00 && c <= 0xd7af) || (c >= 0x1100 && c <= 0x11ff)) return 8; // hangul
  if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf)) return HAN;
  return -1;
}

/**
 * A simple language guess: the dominant Unicode script decides (Han+kana → ja, Hangul → ko, Cyrillic → ru,
 * Arabic → ar, ...); Latin text is told apart by common function words (en, es, fr, de, pt, it, nl),
 * else 'latin'. 'und' when there are no letters. Good enough to see a shift in the input mix. Ties go to
 * the script seen first, and to the language listed first.
 */
export function guessLanguage(text: string): string {
  const s = text.length > 2000 ? text.slice(0, 2000) : text;
  const counts = new Int32Array(SCRIPT_LANG.length);
  const seen: number[] = []; // scripts in the order first seen
  let letters = 0;
  // UTF-16 units: characters outside the BMP (surrogate pairs) belong to none of the scripts either way
  for (let i = 0; i < s.length; i++) {
    const k = scriptOf(s.charCodeAt(i));
    if (k < 0) continue;
    if (counts[k]++ === 0) seen.push(k);
    letters++;
  }
  if (letters === 0) return 'und';
  if (counts[KANA]! > 0 && counts[KANA]! + counts[HAN]! >= letters / 2) return 'ja';
  let top = LATIN;
  let best = -1;
  for (const k of seen) if (counts[k]! > best) [top, best] = [k, counts[k]!];
  if (top === CYRILLIC) return /[іїєґ]/i.test(s) ? 'uk' : 'ru';
  if (top !== LATIN) return SCRIPT_LANG[top]!;
  const hits = new Int32Array(STOPWORD_LANGS.length);
  for (const w of s.toLowerCase().match(/\p{L}+/gu) ?? []) {
    const langs = stopwordIndex().get(w);
    if (langs) for (const l of langs) hits[l]!++;
  }
  let lang = 'latin';
  let hi = 0;
  for (let l = 0; l < hits.length; l++) if (hits[l]! > hi) [lang, hi] = [STOPWORD_LANGS[l]!, hits[l]!];
  return lang;
}

const STOPWORD_LANGS = Object.keys(STOPWORDS);
let STOPWORD_INDEX: Map<string, number[]> | null = null;
/** Each stop word with the languages (indexes in STOPWORD_LANGS) that list it, built once. */
function stopwordIndex(): Map<string, number[]> {
  if (STOPWORD_INDEX) return STOPWORD_INDEX;
  const m = new Map<string, number[]>();
  STOPWORD_LANGS.forEach((lang, l) => {
    for (const w of new Set(STOPWORDS[lang])) m.set(w, [...(m.get(w) ?? []), l]);
  });
  return (STOPWORD_INDEX = m);
}

type Side = CompareRequest['a'];

/** Is the run on this side of a comparison? Model version exact; window [from, to) on the run's start (runs without a start are in no window). */
export function inSide(f: RunFact, side: Side, workflow?: string): boolean {
  if (workflow && f.workflow !== workflow) return false;
  if (side.modelVersion !== undefined && side.modelVersion !== null && f.modelVersion !== side.modelVersion) return false;
  if ((side.from !== undefined && side.from !== null) || (side.to !== undefined && side.to !== null)) {
    const t = f.startedAt;
    if (t === null) return false;
    if (side.from !== undefined && side.from !== null && t < side.from) return false;
    if (side.to !== undefined && side.to !== null && t >= side.to) return false;
  }
  return true;
}

export function sideLabel(side: Side, fmtTime: (us: number) => string = (us) => new Date(us / 1000).toISOString()): string {
  const parts: string[] = [];
  if (side.modelVersion) parts.push(`model ${side.modelVersion}`);
  if (side.from !== undefined || side.to !== undefined) parts.push(`${side.from != null ? fmtTime(side.from) : '…'} → ${side.to != null ? fmtTime(side.to) : '…'}`);
  return parts.length ? parts.join(', ') : 'all runs';
}

function topCounts(m: Map<string, number>): Array<{ value: string; count: number }> {
  return [...m.entries()].map(([value, count]) => ({ value, count })).sort((x, y) => y.count - x.count || (x.value < y.value ? -1 : 1));
}

/** SLIs and input distributions of the runs on one side of a comparison. */
export function describeSide(facts: readonly RunFact[], label: string, languageOf: (f: RunFact) => string | null | undefined = (f) => f.language): CompareSide {
  const bad: Record<SliName, number> = { wrong_write_rate: 0, policy_violation_rate: 0, block_rate: 0, escalation_rate: 0, unsafe_completion_rate: 0, undo_rate: 0 };
  const lengths = new Float64Array(facts.length);
  const langs = new Map<string, number>();
  const tools = new Map<string, number>();
  let sum = 0;
  facts.forEach((f, i) => {
    for (const s of SLI_NAMES) if (isBad(s, f)) bad[s]++;
    lengths[i] = f.inputLength;
    sum += f.inputLength;
    const l = languageOf(f) ?? 'unknown';
    langs.set(l, (langs.get(l) ?? 0) + 1);
    for (const t of f.tools) tools.set(t, (tools.get(t) ?? 0) + 1);
  });
  lengths.sort();
  const n = facts.length;
  return {
    label,
    runs: n,
    slis: SLI_NAMES.map((s) => ({ sli: s, value: n === 0 ? 0 : bad[s] / n, bad: bad[s], total: n })),
    inputLength: { p50: percentile(lengths, 0.5), p90: percentile(lengths, 0.9), p99: percentile(lengths, 0.99), mean: n === 0 ? 0 : sum / n },
    languages: topCounts(langs),
    toolMix: topCounts(tools),
  };
}

/** Two model versions or two time windows side by side (drift, canary questions). */
export function compareFacts(facts: readonly RunFact[], req: CompareRequest, languageOf?: (f: RunFact) => string | null | undefined): CompareReport {
  return compareSides(facts, facts, req, languageOf);
}

/** The same, when each side's candidate runs were fetched separately (each is filtered again with inSide). */
export function compareSides(candA: readonly RunFact[], candB: readonly RunFact[], req: CompareRequest, languageOf?: (f: RunFact) => string | null | undefined): CompareReport {
  const a = candA.filter((f) => inSide(f, req.a, req.workflow));
  const b = candB.filter((f) => inSide(f, req.b, req.workflow));
  return { a: describeSide(a, sideLabel(req.a), languageOf), b: describeSide(b, sideLabel(req.b), languageOf) };
}

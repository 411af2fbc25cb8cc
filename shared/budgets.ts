/**
 * Risk budgets: validation of the budgets document (docs/budgets.md).
 *
 * Pure: this module takes an object that has already been parsed (the core parses the YAML text with
 * the `yaml` package, see electron/core/budgets/load.ts) and turns it into typed `Budget`s, with one
 * clear problem message for every entry it has to refuse. A refused entry never stops the others.
 */
import type { Budget, BudgetsDoc, RollbackRule, SliName } from './api';

export const SLI_NAMES: readonly SliName[] = ['wrong_write_rate', 'policy_violation_rate', 'block_rate', 'escalation_rate', 'unsafe_completion_rate', 'undo_rate'];

export const KNOWN_TIERS = ['draft', 'approve', 'auto'] as const;

const US = { us: 1, ms: 1e3, s: 1e6, m: 60e6, min: 60e6, h: 3600e6, d: 86_400e6, w: 7 * 86_400e6 } as const;

/**
 * A duration such as "30d", "6h", "1h", "90m", "15min", "45s", "2w", "1h30m" (also "1.5h", "1 h") → microseconds.
 * Returns null when the text is not a positive duration.
 */
export function parseDuration(v: unknown): number | null {
  if (typeof v !== 'string' || !v.trim()) return null;
  const s = v.trim().toLowerCase();
  const re = /(\d+(?:\.\d+)?)\s*(us|ms|min|s|m|h|d|w)\s*/y;
  let us = 0;
  let at = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    us += Number(m[1]) * US[m[2] as keyof typeof US];
    at = re.lastIndex;
  }
  if (at !== s.length) return null;
  us = Math.round(us);
  return us > 0 ? us : null;
}

/** Microseconds → the shortest exact duration text ("1h", "90m", "30d", "1500ms"). */
export function formatDuration(us: number): string {
  for (const [unit, f] of [['w', US.w], ['d', US.d], ['h', US.h], ['m', US.m], ['s', US.s], ['ms', US.ms]] as const) {
    if (us >= f && us % f === 0) return `${us / f}${unit}`;
  }
  return `${us}us`;
}

/**
 * An objective, the tolerated fraction of bad runs: "1 in 10000", "1 in 10,000", "1/1000", "0.01%",
 * or a plain fraction 0.0001. Returns a problem string instead when it cannot be read.
 */
export function parseObjective(v: unknown): { value: number; text: string } | { problem: string } {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v <= 0) return { problem: `objective ${v} must be a positive fraction (e.g. 0.0001, "1 in 10000", "0.01%")` };
    if (v >= 1) return { problem: `objective ${v} is not a fraction: write "1 in ${v}" for one bad run in ${v}, or a fraction below 1` };
    return { value: v, text: String(v) };
  }
  if (typeof v !== 'string' || !v.trim()) return { problem: 'objective is missing (e.g. "1 in 10000", 0.0001 or "0.01%")' };
  const s = v.trim();
  const num = (t: string) => Number(t.replace(/[,_\s]/g, ''));
  let m = /^(\d[\d,_\s]*(?:\.\d+)?)\s*(?:in|\/|per|out of)\s*(\d[\d,_\s]*(?:\.\d+)?)$/i.exec(s);
  if (m) {
    const a = num(m[1]!);
    const b = num(m[2]!);
    if (!(a > 0) || !(b > 0) || a >= b) return { problem: `objective "${s}": expected "N in M" with 0 < N < M` };
    return { value: a / b, text: s };
  }
  m = /^(\d+(?:\.\d+)?)\s*%$/.exec(s);
  if (m) {
    const p = Number(m[1]);
    if (!(p > 0) || p >= 50) return { problem: `objective "${s}": the objective is the tolerated share of BAD runs; ${p}% is out of range (0% < p < 50%)` };
    return { value: p / 100, text: s };
  }
  if (/^\d*\.\d+(?:e-?\d+)?$|^\d+e-\d+$/i.test(s)) return parseObjective(Number(s));
  return { problem: `objective "${s}" is not understood (use "1 in 10000", 0.0001 or "0.01%")` };
}

function pick(o: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined) return o[k];
  return undefined;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Rule-level keys a `defaults:` block (document or budget) may set for every rollback rule. */
function pickRuleDefaults(d: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['min_events', 'minEvents']) if (d[k] !== undefined) out[k] = d[k];
  return out;
}

function parseRule(r0: unknown, where: string, problems: string[], defaults: Record<string, unknown>): RollbackRule | null {
  const r = isObj(r0) ? { ...pickRuleDefaults(defaults), ...r0 } : r0;
  if (!isObj(r)) {
    problems.push(`${where}: a rollback rule must be a mapping with name, burn_rate, over and action`);
    return null;
  }
  const name = pick(r, 'name', 'id');
  const burn = pick(r, 'burn_rate', 'burnRate', 'burn');
  const over = pick(r, 'over', 'window');
  const action = pick(r, 'action', 'then');
  const minEvents = pick(r, 'min_events', 'minEvents');
  const bad: string[] = [];
  const burnN = typeof burn === 'string' ? Number(burn.replace(/x$|×$/i, '')) : burn;
  if (typeof burnN !== 'number' || !Number.isFinite(burnN) || burnN <= 0) bad.push(`burn_rate ${JSON.stringify(burn)} must be a positive number (e.g. 14.4)`);
  const overUs = parseDuration(over);
  if (overUs === null) bad.push(`over ${JSON.stringify(over)} must be a duration such as "1h", "6h" or "3d"`);
  if (action !== undefined && typeof action !== 'string') bad.push('action must be text (e.g. "downgrade auto -> approve")');
  if (minEvents !== undefined && (typeof minEvents !== 'number' || !Number.isInteger(minEvents) || minEvents < 1)) bad.push(`min_events ${JSON.stringify(minEvents)} must be a whole number ≥ 1`);
  const label = typeof name === 'string' && name ? name : `${burnN}x over ${String(over)}`;
  if (bad.length) {
    problems.push(`${where} rule "${label}": ${bad.join('; ')} — rule ignored`);
    return null;
  }
  const rule: RollbackRule = { name: label, burnRate: burnN as number, overUs: overUs!, over: String(over).trim(), action: typeof action === 'string' ? action : 'alert' };
  if (minEvents !== undefined) rule.minEvents = minEvents as number;
  return rule;
}

/**
 * Validate an already-parsed budgets document. Each budget entry carries workflow, tier, sli,
 * objective, window, optional owner and rollback rules (docs/budgets.md). An entry may instead list
 * several SLIs under `slis:` (each with sli, objective, window, rollback), inheriting workflow, tier
 * and owner. Invalid entries are reported in `problems` and left out.
 */
export function budgetsFromObject(obj: unknown, sourceName: string | null): BudgetsDoc {
  const problems: string[] = [];
  const budgets: Budget[] = [];
  const src = sourceName ?? 'budgets';
  if (!isObj(obj)) return { source: sourceName, budgets, problems: [`${src}: expected a mapping with a "budgets:" list`] };
  const version = pick(obj, 'budgets_version', 'version');
  if (version !== undefined && version !== 1 && version !== '1') problems.push(`${src}: budgets_version ${JSON.stringify(version)} is not supported (expected 1); reading it as version 1`);
  const list = obj.budgets;
  if (!Array.isArray(list)) return { source: sourceName, budgets, problems: [...problems, `${src}: "budgets" must be a list`] };
  const defaults = isObj(obj.defaults) ? obj.defaults : {};

  list.forEach((raw, i) => {
    const where = `${src} budgets[${i}]`;
    if (!isObj(raw)) {
      problems.push(`${where}: must be a mapping`);
      return;
    }
    const subs = pick(raw, 'slis', 'slos');
    const entries: Array<{ e: Record<string, unknown>; where: string }> = Array.isArray(subs)
      ? subs.map((s, j) => ({ e: isObj(s) ? { ...raw, ...s } : { ...raw, sli: s }, where: `${where}.slis[${j}]` }))
      : [{ e: raw, where }];
    for (const { e, where: w } of entries) {
      const merged: Record<string, unknown> = { ...defaults, ...e };
      const bad: string[] = [];
      const workflow = pick(merged, 'workflow');
      const tier = pick(merged, 'tier', 'autonomy_tier', 'autonomy');
      const sli = pick(merged, 'sli');
      const window = pick(merged, 'window', 'period');
      const owner = pick(merged, 'owner', 'risk_owner');
      const id = pick(e, 'id', 'name');
      const description = pick(e, 'description');
      if (typeof workflow !== 'string' || !workflow) bad.push('workflow is missing (use "*" for every workflow)');
      if (tier !== undefined && (typeof tier !== 'string' || !tier)) bad.push(`tier ${JSON.stringify(tier)} must be text (${KNOWN_TIERS.join(', ')} or "*")`);
      if (typeof sli !== 'string' || !(SLI_NAMES as readonly string[]).includes(sli)) bad.push(`sli ${JSON.stringify(sli)} is not one of ${SLI_NAMES.join(', ')}`);
      const obj2 = parseObjective(pick(merged, 'objective', 'budget', 'target'));
      if ('problem' in obj2) bad.push(obj2.problem);
      const windowUs = window === undefined ? 30 * US.d : parseDuration(window);
      if (windowUs === null) bad.push(`window ${JSON.stringify(window)} must be a duration such as "30d"`);
      if (owner !== undefined && typeof owner !== 'string') bad.push('owner must be text');
      const rulesRaw = pick(merged, 'rollback', 'rollback_rules', 'triggers');
      if (rulesRaw !== undefined && !Array.isArray(rulesRaw)) bad.push('rollback must be a list of rules');
      if (bad.length) {
        const label = [workflow, tier, sli].filter((x) => typeof x === 'string').join('/');
        const idText = typeof pick(e, 'id') === 'string' ? `${pick(e, 'id') as string}: ` : '';
        problems.push(`${w}${label ? ` (${label})` : ''}: ${idText}${bad.join('; ')} — budget ignored`);
        continue;
      }
      const rollback: RollbackRule[] = [];
      (Array.isArray(rulesRaw) ? rulesRaw : []).forEach((r, k) => {
        const rule = parseRule(r, `${w}.rollback[${k}]`, problems, merged);
        if (rule) rollback.push(rule);
      });
      const b: Budget = {
        workflow: workflow as string,
        tier: typeof tier === 'string' ? tier : '*',
        sli: sli as SliName,
        objective: (obj2 as { value: number }).value,
        objectiveText: (obj2 as { text: string }).text,
        windowUs: windowUs!,
        window: window === undefined ? '30d' : String(window).trim(),
        rollback,
      };
      if (typeof id === 'string' && id) b.id = entries.length > 1 ? `${id}.${sli as string}` : id;
      if (typeof owner === 'string') b.owner = owner;
      if (typeof description === 'string') b.description = description;
      budgets.push(b);
    }
  });
  return { source: sourceName, budgets, problems };
}

/** Does a run of this workflow and tier fall under the budget? ("*" matches everything; a missing tier matches only "*"). */
export function budgetApplies(b: Pick<Budget, 'workflow' | 'tier'>, workflow: string | null, tier: string | null): boolean {
  return (b.workflow === '*' || b.workflow === workflow) && (b.tier === '*' || b.tier === tier);
}

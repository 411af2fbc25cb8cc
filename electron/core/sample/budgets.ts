/**
 * The sample team's risk budgets (budgets.yaml, format in docs/budgets.md), and the generator's own
 * small trigger-replay used to write the answer key's expectations.
 */

export const SLI_NAMES = [
  'wrong_write_rate',
  'policy_violation_rate',
  'block_rate',
  'escalation_rate',
  'unsafe_completion_rate',
  'undo_rate',
] as const;
export type SliName = (typeof SLI_NAMES)[number];

/** Bit of each SLI in a run's "bad" mask. */
export const SLI_BIT: Record<SliName, number> = {
  wrong_write_rate: 1,
  policy_violation_rate: 2,
  block_rate: 4,
  escalation_rate: 8,
  unsafe_completion_rate: 16,
  undo_rate: 32,
};

export interface RollbackRule {
  name: string;
  burn_rate: number;
  over: string;
  min_events?: number;
  action: string;
}

export interface Budget {
  id: string;
  workflow: string;
  /** Omitted: the budget covers every tier of the workflow. */
  tier?: 'auto' | 'approve' | 'draft';
  sli: SliName;
  objective: string | number;
  window: string;
  owner: string;
  description?: string;
  rollback: RollbackRule[];
}

const PAYMENTS_OWNER = 'dana.okafor@acme.example';
const SUPPORT_OWNER = 'lee.nakamura@acme.example';

export const SAMPLE_BUDGETS: Budget[] = [
  {
    id: 'refund-auto-wrong-writes',
    workflow: 'refund-agent',
    tier: 'auto',
    sli: 'wrong_write_rate',
    objective: '1 in 10000',
    window: '30d',
    owner: PAYMENTS_OWNER,
    description: 'Refunds written to billing without a human: at most 1 in 10,000 runs may write a materially wrong amount.',
    rollback: [
      { name: 'fast-burn', burn_rate: 14.4, over: '1h', min_events: 2, action: 'downgrade auto->approve' },
      { name: 'slow-burn', burn_rate: 6, over: '6h', min_events: 2, action: 'downgrade auto->approve' },
      { name: 'budget-ticket', burn_rate: 1, over: '3d', action: 'ticket' },
    ],
  },
  {
    id: 'refund-approve-wrong-writes',
    workflow: 'refund-agent',
    tier: 'approve',
    sli: 'wrong_write_rate',
    objective: '1 in 1000',
    window: '30d',
    owner: PAYMENTS_OWNER,
    description: 'Refunds over the auto limit, written after a human approval.',
    rollback: [
      { name: 'fast-burn', burn_rate: 14.4, over: '1h', min_events: 2, action: 'downgrade approve->draft' },
      { name: 'slow-burn', burn_rate: 6, over: '6h', min_events: 2, action: 'downgrade approve->draft' },
    ],
  },
  {
    id: 'refund-undo',
    workflow: 'refund-agent',
    tier: 'auto',
    sli: 'undo_rate',
    objective: 0.005,
    window: '30d',
    owner: PAYMENTS_OWNER,
    description: 'User-harm proxy: auto refunds later reversed by finance or the customer.',
    rollback: [{ name: 'undo-spike', burn_rate: 6, over: '6h', min_events: 3, action: 'page' }],
  },
  {
    id: 'refund-blocks',
    workflow: 'refund-agent',
    sli: 'block_rate',
    objective: '1%',
    window: '7d',
    owner: PAYMENTS_OWNER,
    description: 'Guardrail blocks (prompt injection, PII) across all refund tiers; a spike means an attack or a bad policy push.',
    rollback: [{ name: 'boundary-spike', burn_rate: 14.4, over: '1h', min_events: 3, action: 'throttle' }],
  },
  {
    id: 'kb-unsafe-completions',
    workflow: 'kb-answer',
    tier: 'draft',
    sli: 'unsafe_completion_rate',
    objective: '1 in 1000',
    window: '30d',
    owner: SUPPORT_OWNER,
    description: 'Drafts that reached an agent with content the output filter should have stopped.',
    rollback: [
      { name: 'fast-burn', burn_rate: 14.4, over: '1h', min_events: 2, action: 'page' },
      { name: 'budget-ticket', burn_rate: 1, over: '3d', action: 'ticket' },
    ],
  },
  {
    id: 'kb-policy-violations',
    workflow: 'kb-answer',
    tier: 'draft',
    sli: 'policy_violation_rate',
    objective: '1 in 50',
    window: '7d',
    owner: SUPPORT_OWNER,
    description: 'Drafts that hit the output filter (blocked or redacted).',
    rollback: [{ name: 'slow-burn', burn_rate: 6, over: '6h', min_events: 4, action: 'ticket' }],
  },
  {
    id: 'kb-escalations',
    workflow: 'kb-answer',
    tier: 'draft',
    sli: 'escalation_rate',
    objective: '1 in 20',
    window: '7d',
    owner: SUPPORT_OWNER,
    description: 'Conversations handed to a human after a draft answer.',
    rollback: [{ name: 'slow-burn', burn_rate: 6, over: '6h', min_events: 5, action: 'ticket' }],
  },
];

function yamlScalar(v: string | number): string {
  if (typeof v === 'number') return String(v);
  return /^[A-Za-z0-9_.@ ()\-<>,']+$/.test(v) && !/^[-?:,[\]{}#&*!|>'"%@`]/.test(v) && !v.includes(': ') && !v.includes(' #')
    ? v
    : JSON.stringify(v);
}

/** budgets.yaml as the team keeps it (comments, block style). */
export function renderBudgetsYaml(budgets: Budget[]): string {
  const out: string[] = [
    '# Risk budgets of the support-automation team.',
    '# Casefile budgets format, version 1 (docs/budgets.md). One entry per workflow, tier and SLI;',
    '# burn-rate rules say when autonomy is reduced without redeploying anything.',
    'budgets_version: 1',
    'team: support-automation',
    'defaults:',
    '  window: 30d',
    '  min_events: 1',
    'budgets:',
  ];
  for (const b of budgets) {
    out.push(`  - id: ${yamlScalar(b.id)}`);
    out.push(`    workflow: ${yamlScalar(b.workflow)}`);
    if (b.tier) out.push(`    tier: ${b.tier}`);
    else out.push('    # no tier: the budget covers every tier of the workflow');
    out.push(`    sli: ${b.sli}`);
    out.push(`    objective: ${typeof b.objective === 'number' ? String(b.objective) : yamlScalar(b.objective)}`);
    out.push(`    window: ${b.window}`);
    out.push(`    owner: ${yamlScalar(b.owner)}`);
    if (b.description) out.push(`    description: ${JSON.stringify(b.description)}`);
    out.push('    rollback:');
    for (const r of b.rollback) {
      out.push(`      - name: ${yamlScalar(r.name)}`);
      out.push(`        burn_rate: ${r.burn_rate}`);
      out.push(`        over: ${r.over}`);
      if (r.min_events !== undefined) out.push(`        min_events: ${r.min_events}`);
      out.push(`        action: ${JSON.stringify(r.action)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90m", "1h", "30d", "2w", "1h30m" → milliseconds. */
export function parseDurationMs(s: string): number {
  const str = String(s).trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  for (const m of str.matchAll(re)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed !== str.length || consumed === 0 || !(total > 0)) throw new Error(`bad duration: ${s}`);
  return total;
}

/** 0.0001 | "1 in 10000" | "1 in 10,000" | "0.01%" → a fraction in (0, 1]. */
export function parseObjective(v: string | number): number {
  let x: number;
  if (typeof v === 'number') x = v;
  else {
    const s = v.trim().replace(/[,_]/g, '');
    const oneIn = s.match(/^(\d+(?:\.\d+)?)\s+in\s+(\d+(?:\.\d+)?)$/i);
    const pct = s.match(/^(\d+(?:\.\d+)?)\s*%$/);
    if (oneIn) x = Number(oneIn[1]) / Number(oneIn[2]);
    else if (pct) x = Number(pct[1]) / 100;
    else x = Number(s);
  }
  if (!(x > 0 && x <= 1)) throw new Error(`bad objective: ${String(v)}`);
  return x;
}

/** One run as the replay sees it. */
export interface ReplayRun {
  endMs: number;
  bad: number;
  runIndex: number;
}

export interface RuleFiring {
  firesAtMs: number | null;
  runIndex: number | null;
  bad: number;
  total: number;
}

/**
 * Hindsight burn-rate replay (semantics in docs/budgets.md): evaluated at each run's end time t, in
 * end-time order; window (t − over, t]; burn = (bad/total) / objective; fires at the first t with
 * burn ≥ burn_rate and bad ≥ min_events.
 */
export function replayRule(runs: ReplayRun[], bit: number, objective: number, burnRate: number, overMs: number, minEvents: number): RuleFiring {
  let lo = 0;
  let bad = 0;
  for (let hi = 0; hi < runs.length; hi++) {
    const t = runs[hi]!.endMs;
    if (runs[hi]!.bad & bit) bad++;
    while (runs[lo]!.endMs <= t - overMs) {
      if (runs[lo]!.bad & bit) bad--;
      lo++;
    }
    // runs sharing the end instant t are all in the window before we evaluate at t
    if (hi + 1 < runs.length && runs[hi + 1]!.endMs === t) continue;
    const total = hi - lo + 1;
    if (bad >= minEvents && bad / total / objective >= burnRate * (1 - 1e-9)) {
      return { firesAtMs: t, runIndex: runs[hi]!.runIndex, bad, total };
    }
  }
  return { firesAtMs: null, runIndex: null, bad: 0, total: 0 };
}

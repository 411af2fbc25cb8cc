/**
 * The blameless postmortem: the template (generated from facts gathered from the evidence, then edited
 * by investigators) and the evidence embeds `[[run:ID]]` / `[[step:ID]]` (found, and replaced by links
 * in exports). Pure: the facts are gathered by the core (electron/core/export/facts.ts).
 */
import type { Verdict } from './api';

export type EmbedKind = 'run' | 'step';

/** `[[run:ID]]` or `[[step:ID]]`; ids are record keys or run ids (no whitespace, no `]`). */
export const EMBED_PATTERN = /\[\[(run|step):([^\]\s]+)\]\]/;

export interface Embed {
  kind: EmbedKind;
  id: string;
  /** offsets of the whole token in the Markdown */
  start: number;
  end: number;
  raw: string;
}

/** Ranges of fenced code blocks (embeds inside them are literal text). */
function fencedRanges(md: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const re = /^(```|~~~)[^\n]*\n[\s\S]*?(?:^\1[^\n]*$|(?![\s\S]))/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(md)) !== null) {
    out.push([m.index, m.index + m[0].length]);
    if (m[0].length === 0) re.lastIndex++;
  }
  return out;
}

/** Every evidence embed in the Markdown, in order (not those inside fenced code blocks). */
export function findEmbeds(md: string): Embed[] {
  const fences = fencedRanges(md);
  const re = new RegExp(EMBED_PATTERN.source, 'g');
  const out: Embed[] = [];
  for (const m of md.matchAll(re)) {
    const start = m.index!;
    if (fences.some(([a, b]) => start >= a && start < b)) continue;
    out.push({ kind: m[1] as EmbedKind, id: m[2]!, start, end: start + m[0].length, raw: m[0] });
  }
  return out;
}

/** Replaces each embed with `fn(embed)` (e.g. a Markdown link for exports). */
export function replaceEmbeds(md: string, fn: (e: Embed) => string): string {
  let out = '';
  let at = 0;
  for (const e of findEmbeds(md)) {
    out += md.slice(at, e.start) + fn(e);
    at = e.end;
  }
  return out + md.slice(at);
}

/** The fragment id an embed links to (`run-<id>`, `step-<id>`), safe for HTML ids and URLs. */
export function embedAnchor(kind: EmbedKind, id: string): string {
  return `${kind}-${id.replace(/[^A-Za-z0-9_.:-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
}

/** Embeds → Markdown links `[run r-123](#run-r-123)` pointing at the evidence appendix. */
export function embedsToLinks(md: string, href: (e: Embed) => string = (e) => `#${embedAnchor(e.kind, e.id)}`): string {
  return replaceEmbeds(md, (e) => `[${e.kind} ${e.id.replace(/([\\`*_[\]])/g, '\\$1')}](${href(e).replace(/[()\s]/g, encodeURIComponent)})`);
}

export const embedToken = (kind: EmbedKind, id: string): string => `[[${kind}:${id}]]`;

// ---------------------------------------------------------------- facts and template

export const CONTRIBUTING_LAYERS = ['Model', 'Data', 'Retrieval', 'Policy', 'Tool', 'Product'] as const;

export interface PostmortemLabelFact {
  runId: string;
  stepId: string | null;
  category: string;
  verdict: Verdict;
  severity: string | null;
  /** when the labelled event happened (the step's time, else the run's start), epoch µs */
  at: number | null;
  note: string | null;
  /** the workflow / model version of the run, when known */
  workflow?: string | null;
  modelVersion?: string | null;
}

export interface PostmortemBudgetFact {
  workflow: string;
  tier: string;
  sli: string;
  objectiveText: string;
  /** fraction of the error budget consumed (1 = exhausted) */
  consumed: number;
  bad: number;
  total: number;
  status: 'ok' | 'burning' | 'exhausted';
  owner?: string | null;
  triggers: Array<{ rule: string; action: string; firedAt: number | null }>;
}

export interface PostmortemEvent {
  at: number;
  kind: 'detection' | 'mitigation' | 'change' | 'signal' | 'label' | 'trigger' | 'other';
  text: string;
  /** an embed token (`[[run:ID]]`) for the evidence */
  ref?: string | null;
}

export interface PostmortemFacts {
  title?: string | null;
  /** ISO time the template was generated */
  generatedAt: string;
  /** evidence window (epoch µs) */
  window: { from: number | null; to: number | null };
  workflows: string[];
  sources: number;
  runsTotal: number;
  /** runs in the saved affected set, when there is one */
  affectedSet: number | null;
  labeledRuns: number;
  harmfulRuns: number;
  harmfulWrites: number;
  modelVersions: Array<{ version: string; runs: number; firstSeen: number | null; lastSeen: number | null }>;
  budgets: PostmortemBudgetFact[];
  labels: PostmortemLabelFact[];
  events: PostmortemEvent[];
  detection?: { at: number | null; how: string } | null;
  mitigation?: { at: number | null; what: string } | null;
}

/** "2026-10-14 09:00:00 UTC" */
export function fmtUs(us: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return '—';
  return `${new Date(Math.floor(us / 1000)).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function fmtDuration(us: number): string {
  const min = Math.round(us / 60_000_000);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 2 : 1)}%`;

/** The labelled-event timeline rows: first and last harmful occurrence per category, plus given events. */
export function timelineRows(f: PostmortemFacts): PostmortemEvent[] {
  const rows: PostmortemEvent[] = [...f.events];
  const byCat = new Map<string, PostmortemLabelFact[]>();
  for (const l of f.labels) {
    if (l.verdict !== 'harmful' || l.at === null) continue;
    const list = byCat.get(l.category) ?? [];
    list.push(l);
    byCat.set(l.category, list);
  }
  for (const [cat, list] of byCat) {
    list.sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
    const first = list[0]!;
    const ref = (l: PostmortemLabelFact) => (l.stepId ? embedToken('step', l.stepId) : embedToken('run', l.runId));
    rows.push({ at: first.at!, kind: 'label', text: `First labelled harmful ${cat}${first.modelVersion ? ` (model ${first.modelVersion})` : ''}`, ref: ref(first) });
    if (list.length > 1) {
      const last = list[list.length - 1]!;
      rows.push({ at: last.at!, kind: 'label', text: `Last labelled harmful ${cat} (${list.length} labelled in all)`, ref: ref(last) });
    }
  }
  for (const b of f.budgets)
    for (const t of b.triggers)
      if (t.firedAt !== null) rows.push({ at: t.firedAt, kind: 'trigger', text: `Rollback rule "${t.rule}" on ${b.workflow} ${b.sli} would fire → ${t.action}` });
  if (f.detection?.at != null) rows.push({ at: f.detection.at, kind: 'detection', text: `Detected: ${f.detection.how}` });
  if (f.mitigation?.at != null) rows.push({ at: f.mitigation.at, kind: 'mitigation', text: `Mitigated: ${f.mitigation.what}` });
  rows.sort((a, b) => a.at - b.at || a.kind.localeCompare(b.kind));
  // drop exact duplicates
  return rows.filter((r, i) => i === 0 || !(r.at === rows[i - 1]!.at && r.text === rows[i - 1]!.text));
}

/** The autonomy downgrade to propose for a tier (auto → approve → draft). */
function tierChange(tier: string): string {
  if (tier === 'auto') return 'auto → approve until the budget is met for N days';
  if (tier === 'approve') return 'approve → draft until the budget is met for N days';
  if (tier === 'draft') return 'draft (lowest tier): pause or add review until the budget is met';
  return `${tier}: one tier down (auto → approve → draft) until the budget is met for N days`;
}

/** Generates the blameless postmortem template from the evidence facts. Everything in it is editable. */
export function generatePostmortemTemplate(f: PostmortemFacts): string {
  const L: string[] = [];
  const title = f.title?.trim() || (f.workflows.length ? `${f.workflows.join(', ')} incident` : 'Incident');
  const window = f.window.from !== null && f.window.to !== null ? `${fmtUs(f.window.from)} – ${fmtUs(f.window.to)}` : 'unknown';
  const harmfulCats = [...new Set(f.labels.filter((l) => l.verdict === 'harmful').map((l) => l.category))];

  L.push(`# Postmortem: ${title}`, '');
  L.push(`_Blameless: this document describes systems, conditions and decisions — not culprits. Generated from the case on ${f.generatedAt.slice(0, 10)}; every section is editable. Evidence embeds such as \`[[run:<run id>]]\` render as cards in the preview and as links in exports._`, '');

  L.push('## Summary', '');
  L.push(
    `Between ${window}, the case holds ${f.runsTotal} runs${f.workflows.length ? ` of ${f.workflows.join(', ')}` : ''} from ${f.sources} source file${f.sources === 1 ? '' : 's'}. ` +
      `Investigators labelled ${f.labeledRuns} run${f.labeledRuns === 1 ? '' : 's'}; ${f.harmfulRuns} ${f.harmfulRuns === 1 ? 'was' : 'were'} judged harmful${harmfulCats.length ? ` (${harmfulCats.join(', ')})` : ''}.`,
    '',
  );
  L.push('_What happened, in two or three sentences: the user-visible effect, the system that produced it, and how it was stopped._', '');

  L.push('## Impact', '');
  L.push('| Measure | Value |', '|---|---|');
  L.push(`| Evidence window | ${cell(window)} |`);
  L.push(`| Runs in the case | ${f.runsTotal} |`);
  if (f.affectedSet !== null) L.push(`| Runs in the affected set | ${f.affectedSet} |`);
  L.push(`| Runs labelled | ${f.labeledRuns} |`);
  L.push(`| Runs labelled harmful | ${f.harmfulRuns} |`);
  L.push(`| Harmful writes to a system of record | ${f.harmfulWrites} |`);
  for (const v of f.modelVersions) L.push(`| Runs on model ${cell(v.version)} | ${v.runs} (first ${fmtUs(v.firstSeen)}) |`);
  L.push('');
  if (f.budgets.length) {
    L.push('Budget consumed over the evidence window:', '');
    L.push('| Workflow | Tier | SLI | Objective | Bad / total | Budget consumed | Status |', '|---|---|---|---|---|---|---|');
    for (const b of f.budgets) L.push(`| ${cell(b.workflow)} | ${cell(b.tier)} | ${b.sli} | ${cell(b.objectiveText)} | ${b.bad} / ${b.total} | ${pct(b.consumed)} | ${b.status} |`);
    L.push('');
  } else L.push('_No risk budgets in the case: state which SLOs applied and whether they were adequate._', '');

  L.push('## Timeline', '');
  L.push('| Time (UTC) | Event | Evidence |', '|---|---|---|');
  const rows = timelineRows(f);
  for (const r of rows) L.push(`| ${fmtUs(r.at).replace(' UTC', '')} | ${cell(r.text)} | ${r.ref ?? ''} |`);
  if (rows.length === 0) L.push('| _time_ | _event_ | `[[run:<run id>]]` |');
  L.push('');
  if (f.detection?.at != null && f.window.from !== null) {
    const firstHarm = f.labels.filter((l) => l.verdict === 'harmful' && l.at !== null).reduce<number | null>((m, l) => (m === null || l.at! < m ? l.at! : m), null);
    if (firstHarm !== null && f.detection.at >= firstHarm) L.push(`Time to detect (first labelled harm → detection): ${fmtDuration(f.detection.at - firstHarm)}.`);
    if (f.mitigation?.at != null && f.mitigation.at >= f.detection.at) L.push(`Time to mitigate (detection → mitigation): ${fmtDuration(f.mitigation.at - f.detection.at)}.`);
    L.push('');
  }

  L.push('## Detection', '');
  L.push(f.detection ? `${f.detection.how}${f.detection.at != null ? ` (${fmtUs(f.detection.at)})` : ''}.` : '_How was the problem noticed — an alert, a reconciliation, a user report? Which signal would have caught it sooner?_');
  L.push('', '_Which SLI or rollback trigger should have fired, and did it? Was the canary large and representative enough?_', '');

  L.push('## Contributing factors', '');
  L.push('_Conditions, not culprits. For each layer: what made this failure possible and what kept it from being caught._', '');
  const hints: Record<(typeof CONTRIBUTING_LAYERS)[number], string> = {
    Model: 'model version, training data, evaluation gaps',
    Data: 'datasets, ETL, lineage, drift',
    Retrieval: 'sources, snippets, grounding',
    Policy: 'guardrails, thresholds, reason codes, approvals',
    Tool: 'internal tools and APIs, units, validation of writes',
    Product: 'UI, autonomy tier, rollout process, alerting',
  };
  for (const layer of CONTRIBUTING_LAYERS) L.push(`### ${layer}`, '', `- _${hints[layer]}_`, '');

  L.push('## What went well', '', '- _Signals, tools and decisions that limited the impact._', '');

  L.push('## Action items', '');
  L.push('| Action | Owner | Due | Autonomy-tier change | Rollback trigger | Status |', '|---|---|---|---|---|---|');
  if (f.harmfulRuns > 0) {
    L.push(`| Add the ${f.harmfulRuns} labelled harmful runs as behavioural tests in CI (promptfoo export) | _owner_ | _YYYY-MM-DD_ | — | — | open |`);
    L.push('| Add the corrected outputs to the retraining set (SFT / preference export) | _owner_ | _YYYY-MM-DD_ | — | — | open |');
  }
  for (const b of f.budgets.filter((x) => x.status !== 'ok'))
    L.push(`| Rebuild confidence in ${cell(b.workflow)} before expanding autonomy again (${b.sli} budget ${b.status}) | ${cell(b.owner ?? '_owner_')} | _YYYY-MM-DD_ | ${cell(tierChange(b.tier))} | ${cell(b.triggers[0] ? `${b.triggers[0].rule} (${b.triggers[0].action})` : '_define one_')} | open |`);
  L.push('| _action_ | _owner_ | _YYYY-MM-DD_ | _e.g. auto → approve_ | _e.g. burn > 4× for 1 h_ | open |', '');

  L.push('## Lessons', '', '- _What would we tell another team running a similar workflow?_', '');
  return L.join('\n');
}

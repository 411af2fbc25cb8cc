/** Facts for the postmortem template, gathered from the case (evidence, labels) and the budget report. */
import type { BudgetReport } from '../../../shared/api';
import { generatePostmortemTemplate, type PostmortemEvent, type PostmortemFacts } from '../../../shared/postmortem';
import { budgetStatus } from '../../../shared/sli';
import type { Db } from '../store/db';
import { affectedRunCount, caseSources, recordTimes, runBriefs, runTotal, signalEvents } from '../store/evidence-store';
import { labels as listLabels } from '../store/labels-store';
import { embedToken } from '../../../shared/postmortem';

export function collectPostmortemFacts(db: Db, budgetReport: BudgetReport | null, opts: { title?: string | null; now?: Date } = {}): PostmortemFacts {
  const briefs = runBriefs(db);
  const byRun = new Map(briefs.map((b) => [b.runId, b]));
  const labels = listLabels(db);
  const times = recordTimes(db, labels.map((l) => l.stepId).filter((s): s is string => !!s));

  let from: number | null = null;
  let to: number | null = null;
  for (const b of briefs) {
    if (b.startedAt !== null && (from === null || b.startedAt < from)) from = b.startedAt;
    const end = b.endedAt ?? b.startedAt;
    if (end !== null && (to === null || end > to)) to = end;
  }
  const workflows = [...new Set(briefs.map((b) => b.workflow).filter((w): w is string => !!w))].sort();

  const versions = new Map<string, { version: string; runs: number; firstSeen: number | null; lastSeen: number | null; firstRun: string }>();
  for (const b of briefs) {
    if (!b.modelVersion) continue;
    const v = versions.get(b.modelVersion) ?? { version: b.modelVersion, runs: 0, firstSeen: null, lastSeen: null, firstRun: b.runId };
    v.runs++;
    if (b.startedAt !== null && (v.firstSeen === null || b.startedAt < v.firstSeen)) {
      v.firstSeen = b.startedAt;
      v.firstRun = b.runId;
    }
    if (b.startedAt !== null && (v.lastSeen === null || b.startedAt > v.lastSeen)) v.lastSeen = b.startedAt;
    versions.set(b.modelVersion, v);
  }
  const modelVersions = [...versions.values()].sort((a, b) => (a.firstSeen ?? 0) - (b.firstSeen ?? 0));

  const labelFacts = labels.map((l) => {
    const t = l.stepId ? times.get(l.stepId) : undefined;
    const b = byRun.get(l.runId);
    return { runId: l.runId, stepId: l.stepId, category: l.category, verdict: l.verdict, severity: l.severity, at: t?.ts ?? b?.startedAt ?? null, note: l.note, workflow: b?.workflow ?? null, modelVersion: b?.modelVersion ?? null };
  });
  const harmful = labels.filter((l) => l.verdict === 'harmful');
  const harmfulWrites = new Set<string>();
  for (const l of harmful) {
    const t = l.stepId ? times.get(l.stepId) : undefined;
    if (t?.type === 'write') harmfulWrites.add(l.stepId!);
    else if (!l.stepId && l.category === 'materially-wrong-write') for (let i = 0; i < Math.max(1, byRun.get(l.runId)?.writes ?? 1); i++) harmfulWrites.add(`${l.runId}#${i}`);
  }

  const events: PostmortemEvent[] = [];
  for (const v of modelVersions.slice(1)) if (v.firstSeen !== null) events.push({ at: v.firstSeen, kind: 'change', text: `Model version ${v.version} first seen (${v.runs} runs in all)`, ref: embedToken('run', v.firstRun) });
  const firstSignal = new Map<string, { ts: number; runId: string | null; n: number }>();
  for (const s of signalEvents(db)) {
    if (s.ts === null) continue;
    const f = firstSignal.get(s.kind);
    if (!f) firstSignal.set(s.kind, { ts: s.ts, runId: s.runId, n: 1 });
    else f.n++;
  }
  for (const [kind, f] of firstSignal) events.push({ at: f.ts, kind: 'signal', text: `First user ${kind} signal (${f.n} in the case)`, ref: f.runId ? embedToken('run', f.runId) : null });

  const budgets = (budgetReport?.evaluations ?? []).map((e) => ({
    workflow: e.budget.workflow,
    tier: e.budget.tier,
    sli: e.budget.sli,
    objectiveText: e.budget.objectiveText,
    consumed: e.consumed,
    bad: e.bad,
    total: e.total,
    status: budgetStatus(e),
    owner: e.budget.owner ?? null,
    triggers: e.triggers.map((t) => ({ rule: t.rule, action: t.action, firedAt: t.firedAt })),
  }));

  return {
    title: opts.title ?? null,
    generatedAt: (opts.now ?? new Date()).toISOString(),
    window: { from, to },
    workflows,
    sources: caseSources(db).filter((s) => s.status === 'complete').length,
    runsTotal: runTotal(db),
    affectedSet: affectedRunCount(db),
    labeledRuns: new Set(labels.map((l) => l.runId)).size,
    harmfulRuns: new Set(harmful.map((l) => l.runId)).size,
    harmfulWrites: harmfulWrites.size,
    modelVersions: modelVersions.map(({ firstRun: _f, ...v }) => v),
    budgets,
    labels: labelFacts,
    events,
    detection: null,
    mitigation: null,
  };
}

/** The postmortem template for the case (what `casefile postmortem --init` saves and the UI starts from). */
export function postmortemTemplate(db: Db, budgetReport: BudgetReport | null, opts: { title?: string | null; now?: Date } = {}): string {
  return generatePostmortemTemplate(collectPostmortemFacts(db, budgetReport, opts));
}

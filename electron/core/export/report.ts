/**
 * The incident report: the postmortem with its embedded evidence, budget charts, the labels, and a
 * chain-of-custody appendix — as Markdown (report-md) or as ONE self-contained, print-ready HTML file
 * (report-html; report-pdf prints it). Imported text is untrusted: Markdown is rendered with raw HTML
 * disabled (shared/markdown.ts) and everything else is escaped.
 */
import { basename } from 'node:path';
import type { BudgetReport, Label } from '../../../shared/api';
import { checkBlameless } from '../../../shared/blameless';
import { createMarkdownRenderer, escapeHtml } from '../../../shared/markdown';
import { embedAnchor, embedsToLinks, findEmbeds, fmtUs, type EmbedKind } from '../../../shared/postmortem';
import { budgetStatus } from '../../../shared/sli';
import type { Db } from '../store/db';
import { caseMeta, caseSources, recordsByKeys, runBriefs, runRecords, schemaVersion, type EvidenceRecord } from '../store/evidence-store';
import { getPostmortem, labels as listLabels, verifyLabelLog, type LabelLogReport } from '../store/labels-store';
import { budgetChartsSvg, volumeBuckets, volumeChartSvg } from './charts';
import type { ExportContext } from './common';
import { postmortemTemplate } from './facts';

const MAX_CARDS = 150;
const CLIP = 400;

export interface EvidenceCard {
  kind: EmbedKind;
  id: string;
  anchor: string;
  title: string;
  rows: Array<[string, string]>;
  labels: Label[];
  missing: boolean;
}

export interface ReportModel {
  title: string;
  generatedAt: string;
  caseFile: string;
  caseCreated: string | null;
  schema: number;
  redacted: boolean;
  postmortem: { markdown: string; revision: number; updatedAt: string | null; generated: boolean };
  advisories: number;
  cards: EvidenceCard[];
  labels: Label[];
  budgets: BudgetReport | null;
  volumeSvg: string;
  sources: Array<{ id: number; path: string; sha256: string; size: number; format: string; importedAt: string; status: string; records: number }>;
  labelLog: LabelLogReport;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const clip = (s: string, n = CLIP) => (s.length > n ? `${s.slice(0, n)}…` : s);
const text = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

function where(r: EvidenceRecord): string {
  const s = r.sources[0];
  if (!s) return '';
  return `${basename(s.path)}${s.line != null ? `:${s.line}` : ''}${s.jsonPath ? ` ${s.jsonPath}` : ''}`;
}

function stepRows(r: EvidenceRecord): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  if (r.kind === 'audit' && isObj(r.data) && isObj(r.data.event)) {
    const e = r.data.event;
    rows.push(['event', `${String(e.type)} at ${fmtUs(r.ts)}`]);
    if (isObj(e.write)) rows.push(['write', `${String(e.write.system)} ${String(e.write.record)} ${String(e.write.field)}: ${text(e.write.before)} → ${text(e.write.after)}${e.write.unit ? ` ${String(e.write.unit)}` : ''}`]);
    if (isObj(e.decision)) rows.push(['decision', `${String(e.decision.policy_id)}: ${String(e.decision.decision)}${Array.isArray(e.decision.reason_codes) && e.decision.reason_codes.length ? ` [${e.decision.reason_codes.join(', ')}]` : ''}`]);
    if (isObj(e.tool)) rows.push(['tool', clip(`${String(e.tool.name)}(${text(e.tool.arguments)})${e.tool.result !== undefined ? ` → ${text(e.tool.result)}` : ''}`)]);
    if (isObj(e.model)) rows.push(['model', [e.model.provider, e.model.name, e.model.version].filter(Boolean).join(' ')]);
    if (e.input !== undefined && e.type !== 'run.start') rows.push(['input', clip(text(isObj(e.input) && typeof e.input.message === 'string' ? e.input.message : e.input))]);
    if (e.output !== undefined) rows.push(['output', clip(text(isObj(e.output) && typeof (e.output.text ?? e.output.content) === 'string' ? (e.output.text ?? e.output.content) : e.output))]);
    if (isObj(e.approval)) rows.push(['approval', `${String(e.approval.decision)} by ${String(e.approval.approver)}${e.approval.reason ? `: ${String(e.approval.reason)}` : ''}`]);
    if (isObj(e.signal)) rows.push(['signal', `${String(e.signal.kind)}${e.signal.note ? `: ${String(e.signal.note)}` : ''}`]);
  } else if (r.kind === 'decision' && isObj(r.data)) {
    rows.push(['decision', `${String(r.data.path ?? r.data.policyId ?? '')}: ${String(r.data.decision)}${Array.isArray(r.data.reasonCodes) && r.data.reasonCodes.length ? ` [${r.data.reasonCodes.join(', ')}]` : ''} at ${fmtUs(r.ts)}`]);
    rows.push(['input', clip(text(r.data.input))]);
  } else if (r.kind === 'span' && isObj(r.data)) {
    rows.push(['span', `${String(r.data.name)} (${String(r.data.service ?? '')}) ${fmtUs(r.ts)}`]);
    const g = isObj(r.data.genai) ? r.data.genai : null;
    if (g?.prompt) rows.push(['prompt', clip(String(g.prompt))]);
    if (g?.completion) rows.push(['completion', clip(String(g.completion))]);
  } else {
    rows.push([r.kind, `${r.name ?? ''} ${fmtUs(r.ts)}`]);
  }
  rows.push(['source', where(r)]);
  return rows;
}

function runCard(db: Db, runId: string, labels: Label[]): EvidenceCard {
  const anchor = embedAnchor('run', runId);
  const records = runRecords(db, runId, 2000);
  if (records.length === 0) return { kind: 'run', id: runId, anchor, title: `run ${runId}`, rows: [['evidence', 'not found in this case']], labels, missing: true };
  const evs = records.filter((r) => r.kind === 'audit' && isObj(r.data) && isObj(r.data.event)).map((r) => ({ r, e: (r.data as Obj).event as Obj }));
  const first = (t: string) => evs.find((x) => x.e.type === t);
  const rows: Array<[string, string]> = [];
  const wf = evs.find((x) => x.e.workflow)?.e.workflow;
  const tier = evs.find((x) => x.e.tier)?.e.tier;
  const model = first('model.call')?.e.model;
  const ts = records.map((r) => r.ts).filter((t): t is number => t !== null);
  rows.push(['workflow', `${text(wf) || '—'}${tier ? ` (tier ${text(tier)})` : ''}`]);
  rows.push(['model', isObj(model) ? [model.provider, model.name, model.version].filter(Boolean).join(' ') : '—']);
  rows.push(['time', ts.length ? `${fmtUs(Math.min(...ts))} → ${fmtUs(Math.max(...ts))}` : '—']);
  rows.push(['records', `${records.length} (${evs.length} audit events, ${records.filter((r) => r.kind === 'span').length} spans, ${records.filter((r) => r.kind === 'decision').length} policy decisions)`]);
  const input = first('input');
  if (input) rows.push(['input', clip(text(isObj(input.e.input) && typeof input.e.input.message === 'string' ? input.e.input.message : input.e.input))]);
  for (const x of evs.filter((x) => x.e.type === 'write')) {
    const w = x.e.write as Obj;
    rows.push(['write', `${String(w.system)} ${String(w.record)} ${String(w.field)}: ${text(w.before)} → ${text(w.after)}${w.unit ? ` ${String(w.unit)}` : ''}  (${x.r.key})`]);
  }
  for (const x of evs.filter((x) => x.e.type === 'policy.decision')) {
    const d = x.e.decision as Obj;
    rows.push(['decision', `${String(d.policy_id)}: ${String(d.decision)}${Array.isArray(d.reason_codes) && d.reason_codes.length ? ` [${d.reason_codes.join(', ')}]` : ''}`]);
  }
  const approval = first('approval');
  if (approval && isObj(approval.e.approval)) rows.push(['approval', `${String(approval.e.approval.decision)} by ${String(approval.e.approval.approver)}`]);
  const out = [...evs].reverse().find((x) => x.e.type === 'output');
  if (out) rows.push(['output', clip(text(isObj(out.e.output) && typeof out.e.output.text === 'string' ? out.e.output.text : out.e.output))]);
  for (const x of evs.filter((x) => x.e.type === 'user.signal')) rows.push(['signal', `${String((x.e.signal as Obj).kind)} at ${fmtUs(x.r.ts)}${(x.e.signal as Obj).note ? `: ${String((x.e.signal as Obj).note)}` : ''}`]);
  const src = [...new Set(records.flatMap((r) => r.sources.map((s) => basename(s.path))))];
  rows.push(['sources', src.join(', ')]);
  return { kind: 'run', id: runId, anchor, title: `run ${runId}`, rows, labels, missing: false };
}

function stepCard(db: Db, stepId: string, labels: Label[]): EvidenceCard {
  const anchor = embedAnchor('step', stepId);
  const r = recordsByKeys(db, [stepId])[0];
  if (!r) return { kind: 'step', id: stepId, anchor, title: `step ${stepId}`, rows: [['evidence', 'not found in this case']], labels, missing: true };
  const rows = stepRows(r);
  if (r.runId) rows.unshift(['run', r.runId]);
  return { kind: 'step', id: stepId, anchor, title: `step ${stepId}`, rows, labels, missing: false };
}

/** Gathers everything the report shows (redacted through ctx.redactor). */
export async function buildReportModel(ctx: ExportContext, fileRel: string): Promise<ReportModel> {
  const db = ctx.db;
  const red = (s: string, path: string) => ctx.redactor.text(s, fileRel, null, path);
  const budgets = ctx.deps.budgetReport ? await ctx.deps.budgetReport() : null;
  const pm = getPostmortem(db);
  const generated = pm.markdown.trim() === '';
  const markdownRaw = generated ? postmortemTemplate(db, budgets, { now: ctx.now }) : pm.markdown;
  const labels = listLabels(db);
  const names = ctx.req.names ?? [];
  const advisories = checkBlameless(markdownRaw, { names }).length;

  // evidence cards: embeds in order, then labelled runs not embedded
  const wanted: Array<{ kind: EmbedKind; id: string }> = [];
  const seen = new Set<string>();
  const want = (kind: EmbedKind, id: string) => {
    const k = `${kind}:${id}`;
    if (seen.has(k) || wanted.length >= MAX_CARDS) return;
    seen.add(k);
    wanted.push({ kind, id });
  };
  for (const e of findEmbeds(markdownRaw)) want(e.kind, e.id);
  for (const l of labels) want('run', l.runId);
  const cards: EvidenceCard[] = [];
  for (const w of wanted) {
    const card = w.kind === 'run' ? runCard(db, w.id, labels.filter((l) => l.runId === w.id)) : stepCard(db, w.id, labels.filter((l) => l.stepId === w.id));
    // reconstruction's completeness findings (missing model version, decision not found, …), when available
    if (w.kind === 'run' && !card.missing && ctx.deps.getRun) {
      try {
        const run = await ctx.deps.getRun(w.id);
        for (const f of run?.findings ?? []) card.rows.push(['finding', `${f.code} (${f.severity}): ${f.message}`]);
      } catch {
        // a run reconstruction cannot resolve keeps its card without findings
      }
    }
    if (!card.missing) ctx.useRecords(w.kind === 'run' ? runRecords(db, w.id, 2000) : recordsByKeys(db, [w.id]));
    cards.push({ ...card, title: red(card.title, `$.evidence["${card.anchor}"].title`), rows: card.rows.map(([k, v]) => [k, red(v, `$.evidence["${card.anchor}"].${k}`)] as [string, string]) });
  }
  if (wanted.length >= MAX_CARDS) ctx.notes.push(`evidence cards capped at ${MAX_CARDS}`);

  const harmfulRuns = new Set(labels.filter((l) => l.verdict === 'harmful').map((l) => l.runId));
  const briefs = runBriefs(db);
  const starts = briefs.filter((b) => b.startedAt !== null).map((b) => ({ at: b.startedAt!, harmful: harmfulRuns.has(b.runId) }));
  const firstByVersion = new Map<string, number>();
  for (const b of briefs) if (b.modelVersion && b.startedAt !== null && !firstByVersion.has(b.modelVersion)) firstByVersion.set(b.modelVersion, b.startedAt);
  const markers = [...firstByVersion.entries()].slice(1).map(([v, at]) => ({ at, text: `model ${v}` }));
  const meta = caseMeta(db);
  return {
    title: red((markdownRaw.match(/^#\s+(.+)$/m)?.[1] ?? 'Incident report').trim(), '$.title'),
    generatedAt: ctx.now.toISOString(),
    caseFile: basename(ctx.casePath),
    caseCreated: meta.created_at ?? null,
    schema: schemaVersion(db),
    redacted: ctx.redacting,
    postmortem: { markdown: red(markdownRaw, '$.postmortem'), revision: pm.revision, updatedAt: pm.updatedAt, generated },
    advisories,
    cards,
    labels: labels.map((l) => ctx.redactor.value(l, fileRel, null, `$.labels[${l.id}]`)),
    budgets,
    volumeSvg: volumeChartSvg(volumeBuckets(starts), markers),
    sources: caseSources(db).map((s) => ({ id: s.id, path: red(s.path, '$.custody.sources[].path'), sha256: s.sha256, size: s.size, format: s.format, importedAt: s.imported_at, status: s.status, records: s.records_in })),
    labelLog: verifyLabelLog(db),
  };
}

// ---------------------------------------------------------------- Markdown

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function renderReportMarkdown(m: ReportModel): string {
  const L: string[] = [];
  L.push(embedsToLinks(m.postmortem.markdown).trimEnd(), '');
  if (m.postmortem.generated) L.push('> _No postmortem was saved in the case: this is the generated template._', '');
  L.push('---', '', '## Appendix A — Evidence', '');
  for (const c of m.cards) {
    L.push(`### <a id="${escapeHtml(c.anchor)}"></a>${c.title}`, '');
    for (const [k, v] of c.rows) L.push(`- **${k}**: ${v.replace(/\r?\n/g, ' ')}`);
    for (const l of c.labels) L.push(`- **label ${l.id}**: ${l.category} · ${l.verdict}${l.severity ? ` · ${l.severity}` : ''}${l.note ? ` — ${l.note.replace(/\r?\n/g, ' ')}` : ''}`);
    L.push('');
  }
  L.push('## Appendix B — Risk budgets', '');
  if (m.budgets && m.budgets.evaluations.length) {
    L.push('| Workflow | Tier | SLI | Objective | Bad / total | Consumed | Status | Triggers |', '|---|---|---|---|---|---|---|---|');
    for (const e of m.budgets.evaluations)
      L.push(`| ${mdCell(e.budget.workflow)} | ${e.budget.tier} | ${e.budget.sli} | ${mdCell(e.budget.objectiveText)} | ${e.bad} / ${e.total} | ${(e.consumed * 100).toFixed(1)}% | ${budgetStatus(e)} | ${mdCell(e.triggers.map((t) => `${t.rule}${t.firedAt !== null ? ` fired ${fmtUs(t.firedAt)}` : ' did not fire'}`).join('; '))} |`);
    L.push('', '_Charts of SLI and burn rate over time are in the HTML/PDF report._', '');
  } else L.push('_No budget evaluation available for this case._', '');
  L.push('## Appendix C — Labels', '');
  if (m.labels.length) {
    L.push('| # | Run | Step | Category | Verdict | Severity | Author | At | Corrected | Note |', '|---|---|---|---|---|---|---|---|---|---|');
    for (const l of m.labels) L.push(`| ${l.id} | ${mdCell(l.runId)} | ${mdCell(l.stepId ?? '')} | ${l.category} | ${l.verdict} | ${mdCell(l.severity ?? '')} | ${mdCell(l.author)} | ${l.at} | ${mdCell(clip(text(l.corrected), 120))} | ${mdCell(l.note ?? '')} |`);
  } else L.push('_No labels._');
  L.push('', '## Appendix D — Chain of custody', '');
  L.push(`Case file \`${m.caseFile}\` (schema ${m.schema}, created ${m.caseCreated ?? 'unknown'}); report generated ${m.generatedAt}; ${m.redacted ? 'personal data and secrets redacted' : 'NOT redacted'}.`, '');
  L.push('| # | Source | Format | Size | SHA-256 | Imported | Status | Records |', '|---|---|---|---|---|---|---|---|');
  for (const s of m.sources) L.push(`| ${s.id} | ${mdCell(s.path)} | ${s.format} | ${s.size} | \`${s.sha256}\` | ${s.importedAt} | ${s.status} | ${s.records} |`);
  L.push('');
  L.push(`Label log: ${m.labelLog.entries} entries, head ${m.labelLog.head ? `#${m.labelLog.head.seq} \`${m.labelLog.head.hash}\`` : '(empty)'}, chain ${m.labelLog.ok ? 'verified' : `BROKEN (${m.labelLog.breaks.length} problems)`}.`, '');
  return `${L.join('\n')}\n`;
}

// ---------------------------------------------------------------- HTML

const CSS = `
:root { --fg:#1f2328; --muted:#57606a; --line:#d0d7de; --bg-soft:#f6f8fa; --red:#cf222e; --accent:#0969da; }
* { box-sizing: border-box; }
html { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--fg); }
body { max-width: 960px; margin: 0 auto; padding: 32px 28px 64px; }
h1 { font-size: 26px; margin: 0 0 8px; } h2 { font-size: 20px; margin: 32px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 20px 0 8px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 12.5px; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: var(--bg-soft); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.hash { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 11px; word-break: break-all; }
pre { background: var(--bg-soft); padding: 8px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
blockquote { margin: 0; padding: 0 12px; border-left: 3px solid var(--line); color: var(--muted); }
a { color: var(--accent); }
.cf-meta { color: var(--muted); font-size: 12.5px; margin-bottom: 20px; }
.cf-banner { border: 1px solid var(--line); background: var(--bg-soft); padding: 8px 12px; border-radius: 6px; font-size: 12.5px; margin: 12px 0; }
.cf-banner.warn { border-color: var(--red); color: var(--red); }
.cf-embed { display: inline-block; padding: 0 6px; border: 1px solid var(--line); border-radius: 10px; background: var(--bg-soft); text-decoration: none; font-size: 12px; white-space: nowrap; }
.cf-embed.harmful { border-color: var(--red); color: var(--red); }
.cf-cards { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.cf-card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; break-inside: avoid; page-break-inside: avoid; }
.cf-card h3 { margin: 0 0 6px; font-size: 13.5px; word-break: break-all; }
.cf-card dl { display: grid; grid-template-columns: 78px 1fr; gap: 2px 8px; margin: 0; font-size: 12px; }
.cf-card dt { color: var(--muted); } .cf-card dd { margin: 0; word-break: break-word; }
.cf-card.missing { border-style: dashed; color: var(--muted); }
.cf-label { display: inline-block; margin: 4px 4px 0 0; padding: 0 6px; border-radius: 10px; font-size: 11.5px; background: #ddf4ff; }
.cf-label.harmful { background: #ffebe9; color: var(--red); }
.cf-chart { display: block; width: 100%; height: auto; margin: 8px 0 4px; }
.cf-muted { color: var(--muted); }
.cf-labels td, td.mono { word-break: break-all; } .cf-labels { font-size: 11.5px; }
.status-exhausted { color: var(--red); font-weight: 600; } .status-burning { color: #9a6700; font-weight: 600; }
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print {
  html { font-size: 11.5px; } body { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; page-break-after: avoid; } h3 { break-after: avoid; }
  tr, .cf-chart, figure { break-inside: avoid; page-break-inside: avoid; }
  .cf-cards { grid-template-columns: 1fr 1fr; }
  .cf-appendix { break-before: page; page-break-before: always; }
}
`;

function cardHtml(c: EvidenceCard): string {
  const rows = c.rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('');
  const labels = c.labels.map((l) => `<span class="cf-label ${l.verdict}">${escapeHtml(`#${l.id} ${l.category} · ${l.verdict}${l.severity ? ` · ${l.severity}` : ''}`)}</span>`).join('');
  return `<article class="cf-card${c.missing ? ' missing' : ''}" id="${escapeHtml(c.anchor)}"><h3>${escapeHtml(c.title)}</h3><dl>${rows}</dl>${labels ? `<div>${labels}</div>` : ''}</article>`;
}

export function renderReportHtml(m: ReportModel): string {
  const byAnchor = new Map(m.cards.map((c) => [c.anchor, c]));
  const md = createMarkdownRenderer({
    renderEmbed: (e) => {
      const anchor = embedAnchor(e.kind, e.id);
      const c = byAnchor.get(anchor);
      const harmful = c?.labels.some((l) => l.verdict === 'harmful');
      const wf = c?.rows.find(([k]) => k === 'workflow')?.[1];
      const label = `${e.kind} ${e.id}${wf && wf !== '—' ? ` · ${wf.split(' ')[0]}` : ''}${harmful ? ' · harmful' : ''}`;
      return `<a class="cf-embed${harmful ? ' harmful' : ''}" href="#${escapeHtml(anchor)}" data-embed-kind="${e.kind}" data-embed-id="${escapeHtml(e.id)}">${escapeHtml(label)}</a>`;
    },
  });
  const H: string[] = [];
  H.push('<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">');
  H.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  H.push(`<meta name="generator" content="Casefile">`, `<title>${escapeHtml(m.title)}</title>`, `<style>${CSS}</style></head><body>`);
  H.push(`<div class="cf-meta">Case <code>${escapeHtml(m.caseFile)}</code> · report generated ${escapeHtml(m.generatedAt)} · postmortem revision ${m.postmortem.revision}${m.postmortem.updatedAt ? ` (${escapeHtml(m.postmortem.updatedAt)})` : ''} · ${m.redacted ? 'personal data and secrets redacted' : '<strong>not redacted</strong>'}</div>`);
  if (m.postmortem.generated) H.push('<div class="cf-banner">No postmortem was saved in the case: this is the generated template.</div>');
  if (m.advisories) H.push(`<div class="cf-banner">Blameless-language check: ${m.advisories} advisor${m.advisories === 1 ? 'y' : 'ies'} in the postmortem text (shown in the editor; advisory only).</div>`);
  if (!m.labelLog.ok) H.push(`<div class="cf-banner warn">The label log's hash chain does NOT verify (${m.labelLog.breaks.length} problems): see the chain-of-custody appendix.</div>`);
  H.push(`<main class="cf-postmortem">${md.render(m.postmortem.markdown)}</main>`);

  H.push('<section class="cf-appendix"><h2 id="budgets">Risk budgets</h2>');
  if (m.volumeSvg) H.push(`<figure>${m.volumeSvg}</figure>`);
  if (m.budgets && m.budgets.evaluations.length) {
    H.push('<table><thead><tr><th>Workflow</th><th>Tier</th><th>SLI</th><th>Objective</th><th>Bad / total</th><th>Budget consumed</th><th>Status</th></tr></thead><tbody>');
    for (const e of m.budgets.evaluations) {
      const st = budgetStatus(e);
      H.push(`<tr><td>${escapeHtml(e.budget.workflow)}</td><td>${escapeHtml(e.budget.tier)}</td><td>${escapeHtml(e.budget.sli)}</td><td>${escapeHtml(e.budget.objectiveText)}</td><td>${e.bad} / ${e.total}</td><td>${(e.consumed * 100).toFixed(1)}%</td><td class="status-${st}">${st}</td></tr>`);
    }
    H.push('</tbody></table>');
    for (const e of m.budgets.evaluations) H.push(`<figure class="cf-budget">${budgetChartsSvg(e)}</figure>`);
    if (m.budgets.problems.length) H.push(`<p class="cf-muted">${m.budgets.problems.map(escapeHtml).join('<br>')}</p>`);
  } else H.push('<p class="cf-muted">No budget evaluation available for this case.</p>');
  H.push('</section>');

  H.push('<section class="cf-appendix"><h2 id="evidence">Evidence</h2><div class="cf-cards">');
  for (const c of m.cards) H.push(cardHtml(c));
  H.push('</div></section>');

  H.push('<section><h2 id="labels">Labels</h2>');
  if (m.labels.length) {
    H.push('<table class="cf-labels"><thead><tr><th>#</th><th>Run</th><th>Step</th><th>Category</th><th>Verdict</th><th>Severity</th><th>Author</th><th>At</th><th>Corrected</th><th>Note</th></tr></thead><tbody>');
    for (const l of m.labels)
      H.push(`<tr><td>${l.id}</td><td class="mono">${escapeHtml(l.runId)}</td><td class="mono">${escapeHtml(l.stepId ?? '')}</td><td>${escapeHtml(l.category)}</td><td>${escapeHtml(l.verdict)}</td><td>${escapeHtml(l.severity ?? '')}</td><td>${escapeHtml(l.author)}</td><td>${escapeHtml(l.at)}</td><td class="mono">${escapeHtml(clip(text(l.corrected), 160))}</td><td>${escapeHtml(l.note ?? '')}</td></tr>`);
    H.push('</tbody></table>');
  } else H.push('<p class="cf-muted">No labels.</p>');
  H.push('</section>');

  H.push('<section class="cf-appendix"><h2 id="custody">Chain of custody</h2>');
  H.push(`<p>Case file <code>${escapeHtml(m.caseFile)}</code>, schema ${m.schema}, created ${escapeHtml(m.caseCreated ?? 'unknown')}. Every source below was hashed (SHA-256) as it was read at import; <code>casefile verify</code> re-hashes the files still on disk.</p>`);
  H.push('<table class="cf-custody"><thead><tr><th>#</th><th>Source</th><th>Format</th><th>Size (bytes)</th><th>SHA-256</th><th>Imported</th><th>Status</th><th>Records</th></tr></thead><tbody>');
  for (const s of m.sources)
    H.push(`<tr><td>${s.id}</td><td class="mono">${escapeHtml(s.path)}</td><td>${escapeHtml(s.format)}</td><td>${s.size}</td><td class="hash">${s.sha256}</td><td>${escapeHtml(s.importedAt)}</td><td>${escapeHtml(s.status)}</td><td>${s.records}</td></tr>`);
  H.push('</tbody></table>');
  const head = m.labelLog.head;
  H.push(`<p>Label log: ${m.labelLog.entries} entries; chain head ${head ? `#${head.seq} <span class="hash">${head.hash}</span>` : '(empty)'}; ${m.labelLog.ok ? 'hash chain verified.' : `<strong>hash chain broken</strong>:`}</p>`);
  if (!m.labelLog.ok) H.push(`<ul>${m.labelLog.breaks.map((b) => `<li>entry ${b.seq}${b.labelId !== null ? ` (label ${b.labelId})` : ''}: ${escapeHtml(b.reason)}</li>`).join('')}</ul>`);
  H.push('</section></body></html>');
  return `${H.join('\n')}\n`;
}

/**
 * Server-side SVG charts for reports (no DOM): d3-scale / d3-shape compute scales and paths, the markup
 * is written here. Charts are self-contained inline <svg> elements with a <title> for accessibility.
 */
import { scaleLinear, scaleSymlog, scaleUtc } from 'd3-scale';
import { line } from 'd3-shape';
import type { BudgetEvaluation } from '../../../shared/api';
import { escapeHtml } from '../../../shared/markdown';

const W = 720;
const M = { top: 26, right: 16, bottom: 28, left: 64 };
const COLORS = ['#b4232a', '#1f6feb', '#8250df', '#bf8700', '#1a7f37'];

const ms = (us: number) => new Date(Math.floor(us / 1000));
const r1 = (n: number) => Math.round(n * 10) / 10;

function fmtTime(d: Date, spanMs: number): string {
  const iso = d.toISOString();
  return spanMs > 3 * 86_400_000 ? iso.slice(5, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

function fmtNum(n: number): string {
  if (n === 0) return '0';
  const a = Math.abs(n);
  if (a >= 1000) return `${Math.round(n / 100) / 10}k`;
  if (a >= 1) return String(Math.round(n * 100) / 100);
  if (a >= 0.001) return n.toPrecision(2).replace(/0+$/, '').replace(/\.$/, '');
  return n.toExponential(1);
}

interface Frame {
  svg: string[];
  x: ReturnType<typeof scaleUtc<number, number>>;
  y: { (v: number): number; domain(): number[]; ticks(n: number): number[] };
  h: number;
}

/** 0, 1, 2, 5, 10, 20, 50, … up to max: readable ticks for a symmetric-log axis. */
function logTicks(max: number): number[] {
  const out = [0];
  for (let p = 1; p <= max * 1.0001; p *= 10) for (const m of [1, 2, 5]) if (p * m <= max * 1.0001) out.push(p * m);
  return out.length > 8 ? out.filter((t) => t === 0 || Math.log10(t) % 1 === 0) : out;
}

function frame(title: string, from: number, to: number, yMax: number, h: number, yLabel: string, log = false): Frame {
  const x = scaleUtc<number, number>().domain([ms(from), ms(to)]).range([M.left, W - M.right]);
  const top = yMax > 0 ? yMax : 1;
  const sy = scaleSymlog<number, number>().constant(1).domain([0, Math.pow(10, Math.ceil(Math.log10(top)))]).range([h - M.bottom, M.top]);
  const y: Frame['y'] = log
    ? Object.assign((v: number) => sy(v), { domain: () => sy.domain(), ticks: () => logTicks(sy.domain()[1]!) })
    : scaleLinear<number, number>().domain([0, top]).nice().range([h - M.bottom, M.top]);
  const svg: string[] = [];
  svg.push(`<svg class="cf-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" font-family="system-ui, sans-serif" font-size="11">`);
  svg.push(`<title>${escapeHtml(title)}</title>`);
  svg.push(`<text x="${M.left}" y="14" font-weight="600" font-size="12" fill="#24292f">${escapeHtml(title)}</text>`);
  const spanMs = (to - from) / 1000;
  for (const t of y.ticks(4)) {
    const yy = r1(y(t));
    svg.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${yy}" y2="${yy}" stroke="#d0d7de" stroke-width="0.5"/>`);
    svg.push(`<text x="${M.left - 6}" y="${yy + 3}" text-anchor="end" fill="#57606a">${fmtNum(t)}</text>`);
  }
  for (const t of x.ticks(6)) {
    const xx = r1(x(t));
    svg.push(`<line x1="${xx}" x2="${xx}" y1="${h - M.bottom}" y2="${h - M.bottom + 4}" stroke="#57606a"/>`);
    svg.push(`<text x="${xx}" y="${h - M.bottom + 15}" text-anchor="middle" fill="#57606a">${fmtTime(t, spanMs)}</text>`);
  }
  svg.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${h - M.bottom}" y2="${h - M.bottom}" stroke="#57606a"/>`);
  svg.push(`<text transform="translate(12 ${(h - M.bottom + M.top) / 2}) rotate(-90)" text-anchor="middle" fill="#57606a">${escapeHtml(yLabel)}</text>`);
  return { svg, x, y, h };
}

function triggerMarkers(f: Frame, e: BudgetEvaluation): void {
  e.triggers.forEach((t, i) => {
    if (t.firedAt === null) return;
    const xx = r1(f.x(ms(t.firedAt)));
    f.svg.push(`<g class="cf-trigger"><line x1="${xx}" x2="${xx}" y1="${M.top}" y2="${f.h - M.bottom}" stroke="#cf222e" stroke-width="1.2" stroke-dasharray="3 2"/>`);
    f.svg.push(`<path d="M${xx - 4},${M.top - 6} L${xx + 4},${M.top - 6} L${xx},${M.top} Z" fill="#cf222e"/>`);
    f.svg.push(`<text x="${xx + 4}" y="${M.top + 10 + i * 12}" fill="#cf222e">${escapeHtml(`${t.rule} → ${t.action}`)}</text></g>`);
  });
}

/** SLI over time with the objective line, and burn rate per rollback rule with thresholds and trigger firings. */
export function budgetChartsSvg(e: BudgetEvaluation): string {
  const pts = e.series.filter((p) => Number.isFinite(p.sli));
  const allAt = [...pts.map((p) => p.at), ...e.burn.flatMap((b) => b.points.map((p) => p.at)), ...e.triggers.map((t) => t.firedAt).filter((x): x is number => x !== null)];
  if (allAt.length === 0) return `<p class="cf-muted">No runs in scope for ${escapeHtml(e.budget.workflow)} ${escapeHtml(e.budget.sli)}: nothing to chart.</p>`;
  let from = Math.min(...allAt);
  let to = Math.max(...allAt);
  if (to <= from) {
    from -= 3_600_000_000;
    to += 3_600_000_000;
  }
  const name = `${e.budget.workflow} · ${e.budget.tier} · ${e.budget.sli}`;

  // 1. SLI with the objective
  const maxSli = Math.max(e.budget.objective * 1.5, ...pts.map((p) => p.sli));
  const f1 = frame(`${name}: SLI per interval (objective ${e.budget.objectiveText})`, from, to, maxSli, 200, 'bad / total');
  const path = line<{ at: number; sli: number }>()
    .x((p) => r1(f1.x(ms(p.at))))
    .y((p) => r1(f1.y(p.sli)))(pts);
  if (path) f1.svg.push(`<path class="cf-sli" d="${path}" fill="none" stroke="#1f6feb" stroke-width="1.5"/>`);
  for (const p of pts) if (p.bad > 0) f1.svg.push(`<circle cx="${r1(f1.x(ms(p.at)))}" cy="${r1(f1.y(p.sli))}" r="2" fill="#1f6feb"><title>${escapeHtml(`${p.bad} bad of ${p.good + p.bad}`)}</title></circle>`);
  const oy = r1(f1.y(e.budget.objective));
  f1.svg.push(`<line class="cf-objective" x1="${M.left}" x2="${W - M.right}" y1="${oy}" y2="${oy}" stroke="#1a7f37" stroke-width="1.5" stroke-dasharray="6 3"/>`);
  f1.svg.push(`<text x="${W - M.right}" y="${oy - 4}" text-anchor="end" fill="#1a7f37">objective ${escapeHtml(e.budget.objectiveText)}</text>`);
  triggerMarkers(f1, e);
  f1.svg.push('</svg>');

  // 2. burn rate per rule
  const maxBurn = Math.max(1, ...e.budget.rollback.map((r) => r.burnRate * 1.2), ...e.burn.flatMap((b) => b.points.map((p) => (Number.isFinite(p.burn) ? p.burn : 0))));
  const f2 = frame(`${name}: burn rate (× budget, log scale) per rollback rule`, from, to, maxBurn, 220, 'burn rate', true);
  e.burn.forEach((b, i) => {
    const color = COLORS[i % COLORS.length]!;
    const d = line<{ at: number; burn: number }>()
      .defined((p) => Number.isFinite(p.burn))
      .x((p) => r1(f2.x(ms(p.at))))
      .y((p) => r1(f2.y(Math.min(p.burn, f2.y.domain()[1]!))))(b.points);
    if (d) f2.svg.push(`<path class="cf-burn" d="${d}" fill="none" stroke="${color}" stroke-width="1.4"/>`);
    const rule = e.budget.rollback.find((r) => r.name === b.rule);
    if (rule) {
      const ty = r1(f2.y(rule.burnRate));
      f2.svg.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${ty}" y2="${ty}" stroke="${color}" stroke-width="1" stroke-dasharray="2 3"/>`);
      f2.svg.push(`<text x="${W - M.right - 4 - i * 170}" y="${ty - 3}" text-anchor="end" fill="${color}">${escapeHtml(`${rule.name}: ${rule.burnRate}× over ${rule.over}`)}</text>`);
    }
  });
  triggerMarkers(f2, e);
  f2.svg.push('</svg>');
  return `${f1.svg.join('')}\n${f2.svg.join('')}`;
}

export interface VolumeBucket {
  from: number;
  to: number;
  runs: number;
  harmful: number;
}

/** Buckets run starts over the window (runs, and runs labelled harmful). */
export function volumeBuckets(starts: Array<{ at: number; harmful: boolean }>, maxBuckets = 72): VolumeBucket[] {
  if (starts.length === 0) return [];
  const from = Math.min(...starts.map((s) => s.at));
  const to = Math.max(...starts.map((s) => s.at)) + 1;
  const HOUR = 3_600_000_000;
  const steps = [HOUR / 4, HOUR / 2, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, 24 * HOUR, 7 * 24 * HOUR];
  const step = steps.find((s) => (to - from) / s <= maxBuckets) ?? Math.ceil((to - from) / maxBuckets);
  const start = Math.floor(from / step) * step;
  const n = Math.max(1, Math.ceil((to - start) / step));
  const out: VolumeBucket[] = Array.from({ length: n }, (_, i) => ({ from: start + i * step, to: start + (i + 1) * step, runs: 0, harmful: 0 }));
  for (const s of starts) {
    const b = out[Math.min(n - 1, Math.floor((s.at - start) / step))]!;
    b.runs++;
    if (s.harmful) b.harmful++;
  }
  return out;
}

/** Bar chart of runs per interval, with runs labelled harmful in red and marker lines (e.g. model rollouts). */
export function volumeChartSvg(buckets: VolumeBucket[], markers: Array<{ at: number; text: string }> = []): string {
  if (buckets.length === 0) return '';
  const from = buckets[0]!.from;
  const to = buckets[buckets.length - 1]!.to;
  const f = frame('Runs per interval (labelled harmful in red)', from, to, Math.max(...buckets.map((b) => b.runs)), 190, 'runs');
  for (const b of buckets) {
    const x0 = f.x(ms(b.from));
    const x1 = f.x(ms(b.to));
    const w = Math.max(0.5, x1 - x0 - 0.6);
    if (b.runs) f.svg.push(`<rect x="${r1(x0)}" y="${r1(f.y(b.runs))}" width="${r1(w)}" height="${r1(f.y(0) - f.y(b.runs))}" fill="#8c959f"><title>${escapeHtml(`${new Date(b.from / 1000).toISOString()}: ${b.runs} runs, ${b.harmful} labelled harmful`)}</title></rect>`);
    if (b.harmful) f.svg.push(`<rect x="${r1(x0)}" y="${r1(f.y(b.harmful))}" width="${r1(w)}" height="${r1(Math.max(1.5, f.y(0) - f.y(b.harmful)))}" fill="#cf222e"/>`);
  }
  markers.forEach((m, i) => {
    const xx = r1(f.x(ms(m.at)));
    f.svg.push(`<line x1="${xx}" x2="${xx}" y1="${M.top}" y2="${f.h - M.bottom}" stroke="#8250df" stroke-dasharray="4 2"/><text x="${xx + 3}" y="${M.top + 10 + i * 12}" fill="#8250df">${escapeHtml(m.text)}</text>`);
  });
  f.svg.push('</svg>');
  return f.svg.join('');
}

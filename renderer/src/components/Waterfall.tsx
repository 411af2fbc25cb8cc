/**
 * The waterfall of a run: audit steps and trace spans on one time axis, drawn on CANVAS (only visible rows
 * are drawn, so 100k-span traces stay fluid). d3-scale for the axis, d3-zoom for zoom and pan (Ctrl+wheel
 * or W/S to zoom, drag or A/D to pan, wheel scrolls rows), collapse per subtree, hit-testing for hover
 * and selection. Text from the evidence is drawn with fillText: never parsed as HTML.
 */
import { useCallback, useEffect, useImperativeHandle, useMemo, useRef, useState, type Ref } from 'react';
import { scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { zoom as d3zoom, zoomIdentity, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import type { ReconstructedRun, RunColumns } from '../../../shared/api';
import { compactRun, orphanSet, RunSteps, spanIdAt } from '../../../shared/run-columns';
import { cssVar, useSize } from './useSize';
import { fmtDuration, fmtTime } from '../lib/format';

export interface WfRow {
  id: string;
  depth: number;
  label: string;
  sub: string;
  start: number | null;
  end: number | null;
  kind: string;
  error: boolean;
  group: boolean;
  hasChildren: boolean;
  /** id of the step to inspect when selected (spans map to their span step when there is one) */
  stepId: string | null;
  orphan?: boolean;
  inferred?: boolean;
}

const ROW_H = 20;
const AXIS_H = 24;
const LABEL_W = 300;

export const KIND_COLORS: Record<string, string> = {
  'run-start': '--fg-faint',
  input: '--chart-1',
  retrieval: '--chart-4',
  'model-call': '--chart-1',
  decision: '--chart-3',
  'tool-call': '--chart-4',
  write: '--chart-2',
  approval: '--chart-3',
  output: '--chart-1',
  signal: '--chart-5',
  'run-end': '--fg-faint',
  span: '--chart-1',
  log: '--fg-faint',
};

/**
 * The waterfall's rows, column by column (no object per row: a 100k-span trace opens without building
 * 100k of them): an "Audit trail" group with every step that is not a span step, by time, then one group per
 * trace with its spans in the run's waterfall order (depth-first, children by start: the core's spanTree).
 * A row is built as a WfRow only when needed (hover, selection, tests).
 */
export interface WfModel {
  /** rows of the full tree, before collapsing */
  n: number;
  depth: Int32Array;
  /** 0 group, 1 step (of the run's step list, `ref` its position in RunSteps), 2 span (`ref` its span row) */
  type: Uint8Array;
  ref: Int32Array;
  /** times (µs); NaN when unknown */
  start: Float64Array;
  end: Float64Array;
  /** the first row after this row's subtree */
  next: Int32Array;
  error: Uint8Array;
  groups: string[];
  steps: RunSteps;
  cols: RunColumns;
  /** span rows that are the step of the same id */
  spanHasStep: Uint8Array;
  /** [lowest start, highest start or end] of all rows (NaN when none) */
  extent: [number, number];
}

/** Build the row model of a run (whatever its form: a large run's columns are used as they are). */
export function buildModel(run: ReconstructedRun, steps: RunSteps = new RunSteps(run)): WfModel {
  const compact = run.columns ? run : compactRun({ ...run, steps: [] });
  const cols = compact.columns!;
  const sp = cols.spans;
  const nSpans = sp.spanId.length;
  // the audit group: every step but span steps, by time (RunSteps' order)
  const audit: number[] = [];
  for (let i = 0; i < steps.count; i++) if (steps.kindAt(i) !== 'span') audit.push(i);
  const rel = (v: number | null) => (v === null ? null : cols.t0 + v);
  const stepTime = (si: number): number | null => {
    const o = steps.objectAt(si);
    if (o) return o.at;
    const k = steps.columnAt(si);
    const r = cols.steps.span[k]!;
    return r >= 0 ? rel(sp.start[r]!) : rel(cols.steps.at[k]!);
  };
  // by time (RunSteps has them so already, but for steps given out of order)
  audit.sort((a, b) => (stepTime(a) ?? 0) - (stepTime(b) ?? 0));
  // traces in order of first appearance; spans of a trace keep the run's order
  const traceRows = new Map<number, number[]>();
  for (let r = 0; r < nSpans; r++) {
    const t = sp.traceId[r]!;
    const l = traceRows.get(t);
    if (l) l.push(r);
    else traceRows.set(t, [r]);
  }
  const n = (audit.length ? audit.length + 1 : 0) + traceRows.size + nSpans;
  const m: WfModel = {
    n,
    depth: new Int32Array(n),
    type: new Uint8Array(n),
    ref: new Int32Array(n),
    start: new Float64Array(n).fill(NaN),
    end: new Float64Array(n).fill(NaN),
    next: new Int32Array(n),
    error: new Uint8Array(n),
    groups: [],
    steps,
    cols,
    spanHasStep: new Uint8Array(nSpans),
    extent: [NaN, NaN],
  };
  let lo = Infinity;
  let hi = -Infinity;
  const time = (i: number, a: number | null, b: number | null) => {
    if (a !== null) {
      m.start[i] = a;
      if (a < lo) lo = a;
      if (a > hi) hi = a;
    }
    if (b !== null) {
      m.end[i] = b;
      if (b > hi) hi = b;
    }
  };
  let i = 0;
  if (audit.length) {
    m.groups.push(`Audit trail · ${audit.length} steps`);
    m.type[i] = 0;
    m.ref[i] = 0;
    m.next[i] = audit.length + 1;
    i++;
    for (const si of audit) {
      m.depth[i] = 1;
      m.type[i] = 1;
      m.ref[i] = si;
      m.next[i] = i + 1;
      const o = steps.objectAt(si);
      if (o) {
        time(i, o.at, o.endAt);
        m.error[i] = (o.decision && o.decision.decision === 'deny') || (o.kind === 'decision' && o.decision?.found === false) ? 1 : 0;
      } else {
        const k = steps.columnAt(si);
        const r = cols.steps.span[k]!;
        if (r >= 0) time(i, rel(sp.start[r]!), rel(sp.end[r]!));
        else time(i, rel(cols.steps.at[k]!), rel(cols.steps.endAt[k]!));
      }
      i++;
    }
  }
  // which spans are steps: column steps that refer to their span, and steps by id
  const stepIds = new Set<string>();
  for (const s of run.steps) stepIds.add(s.id);
  if (run.columns) {
    const st = run.columns.steps;
    for (let k = 0; k < st.span.length; k++) {
      if (st.span[k]! >= 0) m.spanHasStep[st.span[k]!] = 1;
      else stepIds.add(st.id[k] as string);
    }
  }
  if (stepIds.size) for (let r = 0; r < nSpans; r++) if (!m.spanHasStep[r] && stepIds.has(spanIdAt(cols, r))) m.spanHasStep[r] = 1;
  const errorIdx = cols.strings.indexOf('error');
  for (const [t, rows] of traceRows) {
    const g = i;
    m.groups.push(`Trace ${cols.strings[t]!.slice(0, 16)}… · ${rows.length} spans`);
    m.type[g] = 0;
    m.ref[g] = m.groups.length - 1;
    m.next[g] = g + rows.length + 1;
    i++;
    // subtree ends: the next row at the same or a lower depth
    const stack: number[] = [];
    for (const r of rows) {
      const d = sp.depth[r]! + 1;
      while (stack.length && m.depth[stack[stack.length - 1]!]! >= d) m.next[stack.pop()!] = i;
      m.depth[i] = d;
      m.type[i] = 2;
      m.ref[i] = r;
      const a = sp.start[r]!;
      const b = sp.end[r]!;
      time(i, a === null ? null : cols.t0 + a, b === null ? null : cols.t0 + b);
      m.error[i] = sp.status[r] === errorIdx ? 1 : 0;
      stack.push(i);
      i++;
    }
    for (const j of stack) m.next[j] = i;
  }
  if (Number.isFinite(lo)) m.extent = [lo, hi];
  return m;
}

/** Row i has rows under it. */
export function hasChildren(m: WfModel, i: number): boolean {
  return m.next[i]! > i + 1;
}

/** The id of row i: a group's, `step:<step id>` or `span:<span id>`. */
export function rowId(m: WfModel, i: number): string {
  if (m.type[i] === 0) return m.groups[m.ref[i]!]!.startsWith('Audit') ? '#audit' : `#trace:${m.cols.strings[m.cols.spans.traceId[m.ref[i + 1]!]!]!}`;
  if (m.type[i] === 1) return `step:${m.steps.idAt(m.ref[i]!)}`;
  return `span:${spanIdAt(m.cols, m.ref[i]!)}`;
}

/** Row i as an object. */
export function rowAt(m: WfModel, i: number): WfRow {
  const t = m.type[i]!;
  const start = Number.isNaN(m.start[i]!) ? null : m.start[i]!;
  const end = Number.isNaN(m.end[i]!) ? null : m.end[i]!;
  const base = { id: rowId(m, i), depth: m.depth[i]!, start, end, error: m.error[i] === 1, hasChildren: hasChildren(m, i) };
  if (t === 0) return { ...base, label: m.groups[m.ref[i]!]!, sub: '', start: null, end: null, kind: 'group', group: true, stepId: null };
  if (t === 1) {
    const s = m.steps.at(m.ref[i]!)!;
    return { ...base, label: s.title, sub: s.kind, kind: s.kind, group: false, stepId: s.id, inferred: s.link.inferred };
  }
  const c = m.cols;
  const r = m.ref[i]!;
  const svc = c.spans.service[r]!;
  return {
    ...base,
    label: c.strings[c.spans.name[r]!]!,
    sub: svc < 0 ? '' : c.strings[svc]!,
    kind: 'span',
    group: false,
    stepId: m.spanHasStep[r] ? spanIdAt(c, r) : null,
    orphan: orphanSet(c).has(r),
  };
}

/** The row of the step with this id (-1: none): an audit step's row, else the row of the span that is it. */
export function stepRow(m: WfModel, stepId: string): number {
  for (let i = 0; i < m.n; i++) {
    if (m.type[i] === 1 && m.steps.idAt(m.ref[i]!) === stepId) return i;
    if (m.type[i] === 2 && m.spanHasStep[m.ref[i]!] && spanIdAt(m.cols, m.ref[i]!) === stepId) return i;
  }
  return -1;
}

/** The rows shown given the collapsed rows (their subtrees hidden). */
export function visibleRowIndexes(m: WfModel, collapsed: ReadonlySet<number>): Int32Array {
  const out = new Int32Array(m.n);
  let k = 0;
  for (let i = 0; i < m.n; ) {
    out[k++] = i;
    i = collapsed.has(i) ? m.next[i]! : i + 1;
  }
  return out.subarray(0, k);
}

/** Flatten the visible rows given the collapsed row ids (tests, small runs). */
export function visibleRows(m: WfModel, collapsedIds: ReadonlySet<string> = new Set()): WfRow[] {
  const collapsed = new Set<number>();
  if (collapsedIds.size) for (let i = 0; i < m.n; i++) if (collapsedIds.has(rowId(m, i))) collapsed.add(i);
  return Array.from(visibleRowIndexes(m, collapsed), (i) => rowAt(m, i));
}

export interface WaterfallHandle {
  zoomBy(k: number): void;
  reset(): void;
  collapseAll(): void;
  expandAll(): void;
}

export interface WaterfallProps {
  run: ReconstructedRun;
  /** the run's steps (shared with the step list) */
  steps: RunSteps;
  selectedStepId: string | null;
  onSelect: (row: WfRow) => void;
  theme: string;
  handle?: Ref<WaterfallHandle>;
  active: boolean;
  /** the time range shown first (e.g. the run itself, when late signals stretch the full extent) */
  initialRange?: [number, number] | null;
}

export function Waterfall({ run, steps, selectedStepId, onSelect, theme, handle, active, initialRange }: WaterfallProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const { width, height } = useSize(scroller);
  const model = useMemo(() => buildModel(run, steps), [run, steps]);
  const [collapsed, setCollapsed] = useState<Set<number>>(() => new Set());
  /** the visible rows (indexes into the model) */
  const rows = useMemo(() => visibleRowIndexes(model, collapsed), [model, collapsed]);
  const [selRow, setSelRow] = useState(-1);
  const [hover, setHover] = useState<{ row: WfRow; i: number; x: number; y: number } | null>(null);
  const transform = useRef<ZoomTransform>(zoomIdentity);
  const scrollTop = useRef(0);
  const zoomRef = useRef<ZoomBehavior<HTMLCanvasElement, unknown> | null>(null);
  const raf = useRef(0);
  const initialApplied = useRef(false);

  const [t0, t1] = useMemo(() => {
    const lo = model.extent[0];
    let hi = model.extent[1];
    if (!Number.isFinite(lo)) return [0, 1];
    if (hi <= lo) hi = lo + 1000;
    const pad = (hi - lo) * 0.02;
    return [lo - pad, hi + pad];
  }, [model]);

  // keep the selected row in sync with the selected step from outside
  useEffect(() => {
    if (!selectedStepId) return;
    const i = stepRow(model, selectedStepId);
    if (i >= 0) setSelRow(i);
  }, [selectedStepId, model]);

  const draw = useCallback(() => {
    const c = canvas.current;
    if (!c || width <= 0 || height <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(width * dpr) || c.height !== Math.round(height * dpr)) {
      c.width = Math.round(width * dpr);
      c.height = Math.round(height * dpr);
      c.style.width = `${width}px`;
      c.style.height = `${height}px`;
    }
    const ctx = c.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const col = {
      bg: cssVar('--bg', '#fff'),
      alt: cssVar('--bg-alt', '#f6f7f9'),
      fg: cssVar('--fg', '#222'),
      muted: cssVar('--fg-muted', '#666'),
      faint: cssVar('--fg-faint', '#999'),
      border: cssVar('--border', '#ddd'),
      grid: cssVar('--chart-grid', '#eee'),
      sel: cssVar('--bg-selected', '#d6e6fb'),
      hover: cssVar('--bg-hover', '#eef'),
      danger: cssVar('--danger', '#c00'),
      warn: cssVar('--warn', '#960'),
      accent: cssVar('--accent', '#06c'),
    };
    const kindColor = new Map<string, string>();
    for (const [k, v] of Object.entries(KIND_COLORS)) kindColor.set(k, cssVar(v, '#888'));
    ctx.fillStyle = col.bg;
    ctx.fillRect(0, 0, width, height);
    const base = scaleLinear().domain([t0, t1]).range([LABEL_W, width - 8]);
    const x = transform.current.rescaleX(base);
    const top = scrollTop.current;
    const first = Math.max(0, Math.floor(top / ROW_H));
    const last = Math.min(rows.length - 1, Math.ceil((top + height - AXIS_H) / ROW_H));
    const font = getComputedStyle(document.body).fontFamily;
    ctx.font = `11px ${font}`;
    ctx.textBaseline = 'middle';

    // grid lines: ticks at round offsets from t=0 (the run's start when known)
    const origin0 = initialRange?.[0] ?? t0;
    const [d0, d1] = x.domain() as [number, number];
    const ticks = scaleLinear()
      .domain([d0 - origin0, d1 - origin0])
      .ticks(Math.max(2, Math.floor((width - LABEL_W) / 120)))
      .map((v) => v + origin0);
    ctx.strokeStyle = col.grid;
    ctx.lineWidth = 1;
    for (const t of ticks) {
      const xx = Math.round(x(t)) + 0.5;
      if (xx < LABEL_W) continue;
      ctx.beginPath();
      ctx.moveTo(xx, AXIS_H);
      ctx.lineTo(xx, height);
      ctx.stroke();
    }

    for (let i = first; i <= last; i++) {
      const ri = rows[i]!;
      const r = rowAt(model, ri);
      const y = AXIS_H + i * ROW_H - top;
      if (ri === selRow) {
        ctx.fillStyle = col.sel;
        ctx.fillRect(0, y, width, ROW_H);
      } else if (hover?.i === ri) {
        ctx.fillStyle = col.hover;
        ctx.fillRect(0, y, width, ROW_H);
      } else if (r.group) {
        ctx.fillStyle = col.alt;
        ctx.fillRect(0, y, width, ROW_H);
      }
      // label pane
      ctx.save();
      ctx.beginPath();
      ctx.rect(0, y, LABEL_W - 6, ROW_H);
      ctx.clip();
      const indent = 8 + r.depth * 12;
      if (r.hasChildren) {
        ctx.fillStyle = col.muted;
        ctx.font = `9px ${font}`;
        ctx.fillText(collapsed.has(ri) ? '▶' : '▼', indent - 2, y + ROW_H / 2);
        ctx.font = `11px ${font}`;
      }
      const lx = indent + 12;
      if (!r.group) {
        ctx.fillStyle = r.error ? col.danger : (kindColor.get(r.kind) ?? col.accent);
        ctx.fillRect(lx, y + ROW_H / 2 - 3, 6, 6);
      }
      ctx.fillStyle = r.group ? col.fg : r.error ? col.danger : col.fg;
      ctx.font = r.group ? `600 11px ${font}` : `11px ${font}`;
      const text = r.label;
      ctx.fillText(text, lx + (r.group ? 0 : 10), y + ROW_H / 2);
      if (r.sub && !r.group) {
        const w = ctx.measureText(text).width;
        ctx.fillStyle = col.faint;
        ctx.font = `10px ${font}`;
        ctx.fillText(`${r.sub}${r.orphan ? ' · orphan' : ''}${r.inferred ? ' · inferred' : ''}`, lx + 16 + w, y + ROW_H / 2);
      }
      ctx.restore();
      // timeline
      if (r.start != null) {
        ctx.save();
        ctx.beginPath();
        ctx.rect(LABEL_W, y, width - LABEL_W, ROW_H);
        ctx.clip();
        const x0 = x(r.start);
        const color = r.error ? col.danger : (kindColor.get(r.kind) ?? col.accent);
        ctx.fillStyle = color;
        if (r.end != null && r.end > r.start) {
          const x1 = x(r.end);
          const w = Math.max(2, x1 - x0);
          ctx.globalAlpha = r.inferred ? 0.5 : 0.9;
          ctx.fillRect(x0, y + 4, w, ROW_H - 8);
          ctx.globalAlpha = 1;
          const label = fmtDuration(r.end - r.start);
          ctx.font = `10px ${font}`;
          const lw = ctx.measureText(label).width;
          ctx.fillStyle = col.muted;
          if (x1 + lw + 6 < width) ctx.fillText(label, x1 + 4, y + ROW_H / 2);
        } else {
          // an instant: a diamond
          const cy = y + ROW_H / 2;
          ctx.beginPath();
          ctx.moveTo(x0, cy - 5);
          ctx.lineTo(x0 + 5, cy);
          ctx.lineTo(x0, cy + 5);
          ctx.lineTo(x0 - 5, cy);
          ctx.closePath();
          ctx.fill();
        }
        ctx.restore();
      }
    }
    // separators and axis
    ctx.strokeStyle = col.border;
    ctx.beginPath();
    ctx.moveTo(LABEL_W - 0.5, 0);
    ctx.lineTo(LABEL_W - 0.5, height);
    ctx.stroke();
    ctx.fillStyle = col.alt;
    ctx.fillRect(0, 0, width, AXIS_H);
    ctx.strokeStyle = col.border;
    ctx.beginPath();
    ctx.moveTo(0, AXIS_H - 0.5);
    ctx.lineTo(width, AXIS_H - 0.5);
    ctx.stroke();
    ctx.fillStyle = col.muted;
    ctx.font = `10px ${font}`;
    ctx.textAlign = 'center';
    const origin = initialRange?.[0] ?? t0;
    const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : t1 - t0;
    for (const t of ticks) {
      const xx = x(t);
      if (xx < LABEL_W + 20 || xx > width - 20) continue;
      ctx.fillText(fmtOffset(t - origin, step), xx, AXIS_H / 2);
      ctx.fillRect(Math.round(xx), AXIS_H - 4, 1, 4);
    }
    ctx.textAlign = 'left';
    ctx.fillStyle = col.fg;
    ctx.font = `600 10px ${font}`;
    ctx.fillText(`${rows.length} rows · t=0 at ${fmtTime(origin)} UTC`, 8, AXIS_H / 2);
  }, [width, height, model, rows, selRow, hover, collapsed, t0, t1, theme, initialRange]);

  const schedule = useCallback(() => {
    cancelAnimationFrame(raf.current);
    raf.current = requestAnimationFrame(draw);
  }, [draw]);

  useEffect(() => {
    if (active) draw();
  }, [draw, active]);

  // d3-zoom: x only; wheel zooms only with Ctrl/Cmd (plain wheel scrolls rows); no dblclick zoom.
  useEffect(() => {
    const c = canvas.current;
    if (!c || width <= 0) return;
    const maxK = Math.max(2, (t1 - t0) / 50); // down to ~50 µs across the view
    const z = d3zoom<HTMLCanvasElement, unknown>()
      .scaleExtent([1, maxK])
      .extent([
        [LABEL_W, 0],
        [width - 8, height],
      ])
      .translateExtent([
        [LABEL_W, 0],
        [width - 8, height],
      ])
      .filter((ev: Event) => {
        if (ev.type === 'wheel') return (ev as WheelEvent).ctrlKey || (ev as WheelEvent).metaKey;
        const me = ev as MouseEvent;
        return !me.button && me.offsetX > LABEL_W && me.offsetY > AXIS_H - 24;
      })
      .on('zoom', (ev: { transform: ZoomTransform }) => {
        transform.current = ev.transform;
        schedule();
      });
    zoomRef.current = z;
    const sel = select(c);
    sel.call(z).on('dblclick.zoom', null);
    if (!initialApplied.current && initialRange && (initialRange[1] - initialRange[0]) / (t1 - t0) < 0.8) {
      // open on the run itself, with a little room on both sides
      initialApplied.current = true;
      const base = scaleLinear().domain([t0, t1]).range([LABEL_W, width - 8]);
      const pad = (initialRange[1] - initialRange[0]) * 0.06;
      const x0 = base(initialRange[0] - pad);
      const x1 = base(initialRange[1] + pad);
      const k = Math.min(maxK, Math.max(1, (width - 8 - LABEL_W) / Math.max(1e-6, x1 - x0)));
      transform.current = zoomIdentity.translate(LABEL_W - k * x0, 0).scale(k);
    }
    sel.call(z.transform, transform.current);
    return () => {
      sel.on('.zoom', null);
    };
  }, [width, height, t0, t1, schedule]);  

  useImperativeHandle(handle, () => ({
    zoomBy(k: number) {
      const c = canvas.current;
      if (c && zoomRef.current) select(c).call(zoomRef.current.scaleBy, k, [LABEL_W + (width - LABEL_W) / 2, 0]);
    },
    reset() {
      const c = canvas.current;
      if (c && zoomRef.current) select(c).call(zoomRef.current.transform, zoomIdentity);
    },
    collapseAll() {
      const all = new Set<number>();
      for (let i = 0; i < model.n; i++) if (model.type[i] !== 0 && hasChildren(model, i)) all.add(i);
      setCollapsed(all);
    },
    expandAll() {
      setCollapsed(new Set());
    },
  }));

  /** the visible line under a client y (-1 on the axis) */
  const lineAt = (clientY: number): number => {
    const rect = canvas.current!.getBoundingClientRect();
    const y = clientY - rect.top - AXIS_H + scrollTop.current;
    if (clientY - rect.top < AXIS_H) return -1;
    return Math.floor(y / ROW_H);
  };

  const toggle = (i: number) => {
    if (!hasChildren(model, i)) return;
    setCollapsed((s) => {
      const n = new Set(s);
      if (n.has(i)) n.delete(i);
      else n.add(i);
      return n;
    });
  };

  const select_ = (i: number) => {
    setSelRow(i);
    onSelect(rowAt(model, i));
  };

  const ensureVisible = (i: number) => {
    const sc = scroller.current;
    if (!sc) return;
    const y = i * ROW_H;
    const view = height - AXIS_H;
    if (y < sc.scrollTop) sc.scrollTop = y;
    else if (y + ROW_H > sc.scrollTop + view) sc.scrollTop = y + ROW_H - view;
  };

  const zoomToRow = (r: WfRow) => {
    const c = canvas.current;
    if (!c || !zoomRef.current || r.start == null) return;
    const end = r.end != null && r.end > r.start ? r.end : r.start + 1000;
    const base = scaleLinear().domain([t0, t1]).range([LABEL_W, width - 8]);
    const span = base(end) - base(r.start);
    const k = Math.max(1, Math.min((width - 8 - LABEL_W) / Math.max(span * 1.1, 0.0001), (t1 - t0) / 50));
    const tx = LABEL_W - k * base(r.start) + (width - 8 - LABEL_W) * 0.05;
    select(c).call(zoomRef.current.transform, zoomIdentity.translate(tx, 0).scale(k));
  };

  const selIndex = rows.indexOf(selRow);
  const totalH = AXIS_H + rows.length * ROW_H;

  return (
    <div
      className="waterfall"
      ref={scroller}
      style={{ overflowY: 'auto', overflowX: 'hidden' }}
      onScroll={(e) => {
        scrollTop.current = (e.target as HTMLDivElement).scrollTop;
        schedule();
      }}
    >
      <div style={{ height: Math.max(totalH, height), position: 'relative' }}>
        <canvas
          ref={canvas}
          tabIndex={0}
          role="application"
          aria-label="Waterfall of steps and spans. Arrow keys or j/k move, Left/Right collapse and expand, W/S zoom, A/D pan, 0 resets, Enter zooms to the selection."
          data-testid="waterfall"
          data-rows={rows.length}
          style={{ position: 'sticky', top: 0 }}
          onMouseMove={(e) => {
            const i = lineAt(e.clientY);
            const ri = i >= 0 && i < rows.length ? rows[i]! : -1;
            const rect = canvas.current!.getBoundingClientRect();
            if (ri < 0) return hover && setHover(null);
            if (hover?.i !== ri || Math.abs(hover.x - (e.clientX - rect.left)) > 2) setHover({ row: rowAt(model, ri), i: ri, x: e.clientX - rect.left, y: e.clientY - rect.top });
          }}
          onMouseLeave={() => setHover(null)}
          onClick={(e) => {
            const i = lineAt(e.clientY);
            if (i < 0 || i >= rows.length) return;
            const ri = rows[i]!;
            const rect = canvas.current!.getBoundingClientRect();
            const lx = e.clientX - rect.left;
            if (hasChildren(model, ri) && (lx < 20 + model.depth[ri]! * 12 || model.type[ri] === 0)) toggle(ri);
            else select_(ri);
          }}
          onDoubleClick={(e) => {
            const i = lineAt(e.clientY);
            if (i >= 0 && i < rows.length) zoomToRow(rowAt(model, rows[i]!));
          }}
          onKeyDown={(e) => {
            const cur = selIndex;
            let handled = true;
            const z = zoomRef.current;
            const c = canvas.current!;
            switch (e.key) {
              case 'ArrowDown':
              case 'j': {
                const n = rows[Math.min(rows.length - 1, cur + 1)];
                if (n !== undefined) { select_(n); ensureVisible(Math.min(rows.length - 1, cur + 1)); }
                break;
              }
              case 'ArrowUp':
              case 'k': {
                const n = rows[Math.max(0, cur - 1)];
                if (n !== undefined) { select_(n); ensureVisible(Math.max(0, cur - 1)); }
                break;
              }
              case 'ArrowLeft':
              case 'ArrowRight': {
                const r = rows[cur];
                if (r !== undefined && hasChildren(model, r) && collapsed.has(r) === (e.key === 'ArrowRight')) toggle(r);
                break;
              }
              case 'w':
                if (z) select(c).call(z.scaleBy, 1.5, [LABEL_W + (width - LABEL_W) / 2, 0]);
                break;
              case 's':
                if (z) select(c).call(z.scaleBy, 1 / 1.5, [LABEL_W + (width - LABEL_W) / 2, 0]);
                break;
              case 'a':
                if (z) select(c).call(z.translateBy, (width - LABEL_W) / 8 / transform.current.k, 0);
                break;
              case 'd':
                if (z) select(c).call(z.translateBy, -(width - LABEL_W) / 8 / transform.current.k, 0);
                break;
              case '0':
                if (z) select(c).call(z.transform, zoomIdentity);
                break;
              case 'Enter': {
                const r = rows[cur];
                if (r !== undefined) zoomToRow(rowAt(model, r));
                break;
              }
              default:
                handled = false;
            }
            if (handled) e.preventDefault();
          }}
        />
        {hover && !hover.row.group ? (
          <div className="wf-tooltip" style={{ left: Math.min(hover.x + 14, width - 330), top: Math.min(hover.y + 14 + scrollTop.current, scrollTop.current + height - 70) }}>
            <b>{hover.row.label}</b>
            {'\n'}
            {hover.row.sub}
            {hover.row.start != null ? `\n${fmtTime(hover.row.start)} UTC` : ''}
            {hover.row.start != null && hover.row.end != null ? ` · ${fmtDuration(hover.row.end - hover.row.start)}` : ''}
            {hover.row.error ? '\nerror / denied' : ''}
          </div>
        ) : null}
      </div>
    </div>
  );
}

/** An axis label relative to t=0, with as many decimals as the tick step needs (so ticks never repeat). */
export function fmtOffset(us: number, step: number): string {
  const units: Array<[number, string]> = [
    [3_600_000_000, 'h'],
    [60_000_000, 'min'],
    [1_000_000, 's'],
    [1000, 'ms'],
    [1, 'µs'],
  ];
  const [size, name] = units.find(([u]) => step >= u) ?? units[units.length - 1]!;
  // the fewest decimals that represent the step exactly (1.5 s steps need one; 2 s steps none)
  let decimals = 0;
  while (decimals < 6 && Math.abs(Math.round((step / size) * 10 ** decimals) - (step / size) * 10 ** decimals) > 1e-6) decimals++;
  const v = us / size;
  return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(decimals)} ${name}`;
}

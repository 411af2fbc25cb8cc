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
import type { SpanNode, Step } from '../../../shared/api';
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

interface Tree {
  rows: WfRow[];
  children: Map<string, string[]>;
  byId: Map<string, WfRow>;
  roots: string[];
}

/** Build the full row tree (before collapsing). Pure. */
export function buildTree(steps: Step[], spans: SpanNode[]): Tree {
  const byId = new Map<string, WfRow>();
  const children = new Map<string, string[]>();
  const roots: string[] = [];
  const stepIds = new Set(steps.map((s) => s.id));
  const add = (r: WfRow, parent: string | null) => {
    byId.set(r.id, r);
    if (parent) {
      const c = children.get(parent);
      if (c) c.push(r.id);
      else children.set(parent, [r.id]);
    } else roots.push(r.id);
  };
  const audit = steps.filter((s) => s.kind !== 'span').sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
  if (audit.length) {
    add({ id: '#audit', depth: 0, label: `Audit trail · ${audit.length} steps`, sub: '', start: null, end: null, kind: 'group', error: false, group: true, hasChildren: true, stepId: null }, null);
    for (const s of audit) {
      const deny = s.decision && s.decision.decision === 'deny';
      add(
        {
          id: `step:${s.id}`,
          depth: 1,
          label: s.title,
          sub: s.kind,
          start: s.at,
          end: s.endAt,
          kind: s.kind,
          error: !!deny || (s.kind === 'decision' && s.decision?.found === false),
          group: false,
          hasChildren: false,
          stepId: s.id,
          inferred: s.link.inferred,
        },
        '#audit',
      );
    }
  }
  const traces = new Map<string, SpanNode[]>();
  for (const sp of spans) {
    const l = traces.get(sp.traceId);
    if (l) l.push(sp);
    else traces.set(sp.traceId, [sp]);
  }
  for (const [traceId, list] of traces) {
    const gid = `#trace:${traceId}`;
    add({ id: gid, depth: 0, label: `Trace ${traceId.slice(0, 16)}… · ${list.length} spans`, sub: '', start: null, end: null, kind: 'group', error: false, group: true, hasChildren: true, stepId: null }, null);
    const present = new Set(list.map((s) => s.spanId));
    const sorted = list.slice().sort((a, b) => (a.startAt ?? 0) - (b.startAt ?? 0));
    const kids = new Map<string, SpanNode[]>();
    const top: SpanNode[] = [];
    for (const sp of sorted) {
      if (sp.parentSpanId && present.has(sp.parentSpanId) && sp.parentSpanId !== sp.spanId) {
        const k = kids.get(sp.parentSpanId);
        if (k) k.push(sp);
        else kids.set(sp.parentSpanId, [sp]);
      } else top.push(sp);
    }
    // iterative DFS (deep traces must not overflow the stack); guard against cycles
    const seen = new Set<string>();
    const stack: Array<{ sp: SpanNode; depth: number; parent: string }> = top
      .slice()
      .reverse()
      .map((sp) => ({ sp, depth: 1, parent: gid }));
    while (stack.length) {
      const { sp, depth, parent } = stack.pop()!;
      if (seen.has(sp.spanId)) continue;
      seen.add(sp.spanId);
      const id = `span:${sp.id}`;
      const ch = kids.get(sp.spanId) ?? [];
      add(
        {
          id,
          depth,
          label: sp.name,
          sub: sp.service ?? '',
          start: sp.startAt,
          end: sp.endAt,
          kind: 'span',
          error: sp.status === 'error',
          group: false,
          hasChildren: ch.length > 0,
          stepId: stepIds.has(sp.id) ? sp.id : null,
          orphan: sp.orphan,
        },
        parent,
      );
      for (let i = ch.length - 1; i >= 0; i--) stack.push({ sp: ch[i]!, depth: depth + 1, parent: id });
    }
  }
  return { rows: [], children, byId, roots };
}

/** Flatten the visible rows given the collapsed set. */
export function visibleRows(tree: Tree, collapsed: Set<string>): WfRow[] {
  const out: WfRow[] = [];
  const stack = tree.roots.slice().reverse();
  while (stack.length) {
    const id = stack.pop()!;
    const r = tree.byId.get(id);
    if (!r) continue;
    out.push(r);
    if (!collapsed.has(id)) {
      const c = tree.children.get(id);
      if (c) for (let i = c.length - 1; i >= 0; i--) stack.push(c[i]!);
    }
  }
  return out;
}

export interface WaterfallHandle {
  zoomBy(k: number): void;
  reset(): void;
  collapseAll(): void;
  expandAll(): void;
}

export interface WaterfallProps {
  steps: Step[];
  spans: SpanNode[];
  selectedStepId: string | null;
  onSelect: (row: WfRow) => void;
  theme: string;
  handle?: Ref<WaterfallHandle>;
  active: boolean;
  /** the time range shown first (e.g. the run itself, when late signals stretch the full extent) */
  initialRange?: [number, number] | null;
}

export function Waterfall({ steps, spans, selectedStepId, onSelect, theme, handle, active, initialRange }: WaterfallProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const { width, height } = useSize(scroller);
  const tree = useMemo(() => buildTree(steps, spans), [steps, spans]);
  const [collapsed, setCollapsed] = useState<Set<string>>(() => new Set());
  const rows = useMemo(() => visibleRows(tree, collapsed), [tree, collapsed]);
  const [selRow, setSelRow] = useState<string | null>(null);
  const [hover, setHover] = useState<{ row: WfRow; x: number; y: number } | null>(null);
  const transform = useRef<ZoomTransform>(zoomIdentity);
  const scrollTop = useRef(0);
  const zoomRef = useRef<ZoomBehavior<HTMLCanvasElement, unknown> | null>(null);
  const raf = useRef(0);
  const initialApplied = useRef(false);

  const [t0, t1] = useMemo(() => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of tree.byId.values()) {
      if (r.start != null) { lo = Math.min(lo, r.start); (hi = Math.max(hi, r.start)); }
      if (r.end != null) hi = Math.max(hi, r.end);
    }
    if (!Number.isFinite(lo)) return [0, 1];
    if (hi <= lo) hi = lo + 1000;
    const pad = (hi - lo) * 0.02;
    return [lo - pad, hi + pad];
  }, [tree]);

  // keep the selected row in sync with the selected step from outside
  useEffect(() => {
    if (!selectedStepId) return;
    for (const r of tree.byId.values()) if (r.stepId === selectedStepId) return setSelRow(r.id);
  }, [selectedStepId, tree]);

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
      const r = rows[i]!;
      const y = AXIS_H + i * ROW_H - top;
      if (r.id === selRow) {
        ctx.fillStyle = col.sel;
        ctx.fillRect(0, y, width, ROW_H);
      } else if (hover?.row.id === r.id) {
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
        ctx.fillText(collapsed.has(r.id) ? '▶' : '▼', indent - 2, y + ROW_H / 2);
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
  }, [width, height, rows, selRow, hover, collapsed, t0, t1, theme, initialRange]);  

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
      setCollapsed(new Set([...tree.byId.values()].filter((r) => r.hasChildren && !r.group).map((r) => r.id)));
    },
    expandAll() {
      setCollapsed(new Set());
    },
  }));

  const rowAt = (clientY: number): number => {
    const rect = canvas.current!.getBoundingClientRect();
    const y = clientY - rect.top - AXIS_H + scrollTop.current;
    if (clientY - rect.top < AXIS_H) return -1;
    return Math.floor(y / ROW_H);
  };

  const toggle = (r: WfRow) => {
    if (!r.hasChildren) return;
    setCollapsed((s) => {
      const n = new Set(s);
      if (n.has(r.id)) n.delete(r.id);
      else n.add(r.id);
      return n;
    });
  };

  const select_ = (r: WfRow) => {
    setSelRow(r.id);
    onSelect(r);
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

  const selIndex = rows.findIndex((r) => r.id === selRow);
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
            const i = rowAt(e.clientY);
            const r = i >= 0 ? rows[i] : undefined;
            const rect = canvas.current!.getBoundingClientRect();
            if (!r) return hover && setHover(null);
            if (hover?.row.id !== r.id || Math.abs(hover.x - (e.clientX - rect.left)) > 2) setHover({ row: r, x: e.clientX - rect.left, y: e.clientY - rect.top });
          }}
          onMouseLeave={() => setHover(null)}
          onClick={(e) => {
            const i = rowAt(e.clientY);
            const r = i >= 0 ? rows[i] : undefined;
            if (!r) return;
            const rect = canvas.current!.getBoundingClientRect();
            const lx = e.clientX - rect.left;
            if (r.hasChildren && (lx < 20 + r.depth * 12 || r.group)) toggle(r);
            else select_(r);
          }}
          onDoubleClick={(e) => {
            const i = rowAt(e.clientY);
            const r = i >= 0 ? rows[i] : undefined;
            if (r) zoomToRow(r);
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
                if (n) { select_(n); ensureVisible(Math.min(rows.length - 1, cur + 1)); }
                break;
              }
              case 'ArrowUp':
              case 'k': {
                const n = rows[Math.max(0, cur - 1)];
                if (n) { select_(n); ensureVisible(Math.max(0, cur - 1)); }
                break;
              }
              case 'ArrowLeft':
              case 'ArrowRight': {
                const r = rows[cur];
                if (r?.hasChildren && collapsed.has(r.id) === (e.key === 'ArrowRight')) toggle(r);
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
                if (r) zoomToRow(r);
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

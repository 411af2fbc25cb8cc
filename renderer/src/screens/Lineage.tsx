/**
 * Lineage graph: model version → training runs → dataset versions, as a layered layout (columns by
 * distance from the model) in SVG with d3-zoom. Stays readable at hundreds of nodes: search highlights
 * and centres, clicking focuses a node's neighbourhood, collapsing hides a subtree.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { select } from 'd3-selection';
import { zoom as d3zoom, zoomIdentity, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import type { LineageGraph, LineageNode } from '../../../shared/api';
import { api } from '../api/client';
import { useApp, useAsync } from '../state/app';
import { useSize } from '../components/useSize';
import { fmtTime } from '../lib/format';

const NODE_W = 190;
const NODE_H = 24;
const COL_GAP = 44;
const ROW_GAP = 8;

const KIND_FILL: Record<LineageNode['kind'], string> = { model: 'var(--chart-1)', 'job-run': 'var(--chart-4)', dataset: 'var(--chart-3)' };

interface Placed {
  node: LineageNode;
  x: number;
  y: number;
  layer: number;
}

/** Layered layout: layer = BFS distance from the root over edges (either direction). Pure. */
export function layoutLineage(g: LineageGraph, hidden: Set<string>): { placed: Map<string, Placed>; width: number; height: number } {
  const adj = new Map<string, string[]>();
  for (const e of g.edges) {
    (adj.get(e.from) ?? adj.set(e.from, []).get(e.from)!).push(e.to);
    (adj.get(e.to) ?? adj.set(e.to, []).get(e.to)!).push(e.from);
  }
  const rootId = g.nodes.find((n) => n.kind === 'model' && (n.version === g.root || n.label === g.root || n.id === g.root))?.id ?? g.nodes.find((n) => n.kind === 'model')?.id ?? g.nodes[0]?.id;
  const layer = new Map<string, number>();
  if (rootId) {
    layer.set(rootId, 0);
    const q = [rootId];
    while (q.length) {
      const id = q.shift()!;
      if (hidden.has(id) && id !== rootId) continue;
      for (const n of adj.get(id) ?? []) if (!layer.has(n)) { layer.set(n, layer.get(id)! + 1); q.push(n); }
    }
  }
  let maxLayer = 0;
  for (const v of layer.values()) maxLayer = Math.max(maxLayer, v);
  // nodes not connected to the model (e.g. invalid events) get a column of their own
  for (const n of g.nodes) if (!layer.has(n.id) && !hidden.has(n.id)) layer.set(n.id, maxLayer + 1);
  const cols = new Map<number, LineageNode[]>();
  for (const n of g.nodes) {
    const l = layer.get(n.id);
    if (l == null) continue;
    (cols.get(l) ?? cols.set(l, []).get(l)!).push(n);
  }
  const placed = new Map<string, Placed>();
  let height = 0;
  for (const [l, list] of [...cols].sort((a, b) => a[0] - b[0])) {
    list.sort((a, b) => (a.kind === b.kind ? a.label.localeCompare(b.label) : a.kind.localeCompare(b.kind)));
    list.forEach((node, i) => placed.set(node.id, { node, x: l * (NODE_W + COL_GAP), y: i * (NODE_H + ROW_GAP), layer: l }));
    height = Math.max(height, list.length * (NODE_H + ROW_GAP));
  }
  return { placed, width: (cols.size || 1) * (NODE_W + COL_GAP), height };
}

/** Nodes hidden by collapsing: everything reachable from a collapsed node only through it (one layer outward). */
function hiddenBy(g: LineageGraph, collapsed: Set<string>, layerOf: Map<string, number>): Set<string> {
  const out = new Set<string>();
  const fwd = new Map<string, string[]>();
  for (const e of g.edges) {
    for (const [a, b] of [
      [e.from, e.to],
      [e.to, e.from],
    ] as const) {
      if ((layerOf.get(b) ?? 0) > (layerOf.get(a) ?? 0)) (fwd.get(a) ?? fwd.set(a, []).get(a)!).push(b);
    }
  }
  const stack = [...collapsed];
  while (stack.length) {
    const id = stack.pop()!;
    for (const c of fwd.get(id) ?? []) if (!out.has(c)) { out.add(c); stack.push(c); }
  }
  return out;
}

export function LineageView({ graph, onOpenRun }: { graph: LineageGraph; onOpenRun?: (runId: string) => void }) {
  const host = useRef<HTMLDivElement>(null);
  const svg = useRef<SVGSVGElement>(null);
  const { width, height } = useSize(host);
  const [t, setT] = useState<ZoomTransform>(zoomIdentity);
  const [focus, setFocus] = useState<string | null>(null);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [q, setQ] = useState('');
  const zb = useRef<ZoomBehavior<SVGSVGElement, unknown> | null>(null);

  const base = useMemo(() => layoutLineage(graph, new Set()), [graph]);
  const layerOf = useMemo(() => new Map([...base.placed].map(([id, p]) => [id, p.layer])), [base]);
  const hidden = useMemo(() => hiddenBy(graph, collapsed, layerOf), [graph, collapsed, layerOf]);
  const { placed } = useMemo(() => {
    const g = { ...graph, nodes: graph.nodes.filter((n) => !hidden.has(n.id)), edges: graph.edges.filter((e) => !hidden.has(e.from) && !hidden.has(e.to)) };
    return layoutLineage(g, new Set());
  }, [graph, hidden]);

  const neighbours = useMemo(() => {
    if (!focus) return null;
    const s = new Set([focus]);
    for (const e of graph.edges) {
      if (e.from === focus) s.add(e.to);
      if (e.to === focus) s.add(e.from);
    }
    return s;
  }, [focus, graph]);

  const matches = useMemo(() => {
    const s = q.trim().toLowerCase();
    if (!s) return null;
    return new Set(graph.nodes.filter((n) => `${n.label} ${n.name ?? ''} ${n.version ?? ''} ${n.namespace ?? ''}`.toLowerCase().includes(s)).map((n) => n.id));
  }, [q, graph]);

  useEffect(() => {
    const el = svg.current;
    if (!el) return;
    const z = d3zoom<SVGSVGElement, unknown>()
      .scaleExtent([0.15, 3])
      .on('zoom', (ev: { transform: ZoomTransform }) => setT(ev.transform));
    zb.current = z;
    select(el).call(z).on('dblclick.zoom', null);
    return () => void select(el).on('.zoom', null);
  }, []);

  const fit = () => {
    const el = svg.current;
    if (!el || !zb.current || !width) return;
    const w = Math.max(1, base.width - COL_GAP);
    const h = Math.max(base.height, 1);
    const k = Math.min(1.2, Math.max(0.15, Math.min((width - 40) / w, (height - 40) / h)));
    select(el).call(zb.current.transform, zoomIdentity.translate(20, Math.max(20, (height - h * k) / 2)).scale(k));
  };
  useEffect(fit, [width > 0, graph]);  

  const centerOn = (id: string) => {
    const p = placed.get(id);
    const el = svg.current;
    if (!p || !el || !zb.current) return;
    const k = Math.max(t.k, 0.8);
    select(el).call(zb.current.transform, zoomIdentity.translate(width / 2 - (p.x + NODE_W / 2) * k, height / 2 - (p.y + NODE_H / 2) * k).scale(k));
  };

  const nodeOpacity = (id: string) => (neighbours ? (neighbours.has(id) ? 1 : 0.2) : matches ? (matches.has(id) ? 1 : 0.3) : 1);
  const focused = focus ? graph.nodes.find((n) => n.id === focus) : null;

  return (
    <div className="lineage">
      <div className="lineage-canvas" ref={host} data-testid="lineage-graph">
        <svg ref={svg} role="img" aria-label={`Lineage graph, ${graph.nodes.length} nodes`}>
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" fill="var(--fg-faint)" />
            </marker>
          </defs>
          <g transform={t.toString()}>
            {graph.edges.map((e, i) => {
              const a = placed.get(e.from);
              const b = placed.get(e.to);
              if (!a || !b) return null;
              const [l, r] = a.x <= b.x ? [a, b] : [b, a];
              const x1 = l.x + NODE_W;
              const y1 = l.y + NODE_H / 2;
              const x2 = r.x;
              const y2 = r.y + NODE_H / 2;
              const mx = (x1 + x2) / 2;
              const op = neighbours ? (neighbours.has(e.from) && neighbours.has(e.to) ? 0.9 : 0.08) : 0.45;
              return <path key={i} d={`M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`} fill="none" stroke="var(--fg-faint)" strokeWidth={1} opacity={op} markerEnd="url(#arrow)" strokeDasharray={e.kind === 'parent' ? '4 3' : undefined} />;
            })}
            {[...placed.values()].map((p) => {
              const n = p.node;
              const isCollapsed = collapsed.has(n.id);
              return (
                <g
                  key={n.id}
                  transform={`translate(${p.x},${p.y})`}
                  opacity={nodeOpacity(n.id)}
                  style={{ cursor: 'pointer' }}
                  onClick={() => setFocus((f) => (f === n.id ? null : n.id))}
                  onDoubleClick={() =>
                    setCollapsed((s) => {
                      const c = new Set(s);
                      if (c.has(n.id)) c.delete(n.id);
                      else c.add(n.id);
                      return c;
                    })
                  }
                  data-testid={`lineage-node-${n.kind}`}
                >
                  <title>{`${n.kind}: ${n.label}${n.version ? `\nversion ${n.version}` : ''}${n.at ? `\n${fmtTime(n.at)} UTC` : ''}${n.valid === false ? '\nINVALID event' : ''}\nclick: focus · double-click: collapse`}</title>
                  <rect width={NODE_W} height={NODE_H} rx={4} fill="var(--bg)" stroke={focus === n.id || matches?.has(n.id) ? 'var(--accent)' : n.valid === false ? 'var(--danger)' : 'var(--border-strong)'} strokeWidth={focus === n.id || matches?.has(n.id) ? 2 : 1} />
                  <rect width={5} height={NODE_H} rx={2} fill={KIND_FILL[n.kind]} />
                  <text className="node-label" x={11} y={NODE_H / 2} dy="0.35em">
                    {(n.kind === 'dataset' ? `${n.name ?? n.label}${n.version ? ` @ ${n.version}` : ''}` : n.label).slice(0, 30)}
                  </text>
                  {isCollapsed ? (
                    <text x={NODE_W - 8} y={NODE_H / 2} dy="0.35em" textAnchor="end" fontSize={11} fill="var(--accent)">
                      +
                    </text>
                  ) : null}
                </g>
              );
            })}
          </g>
        </svg>
        <div className="lineage-legend">
          <span>
            <span className="legend-dot" style={{ background: KIND_FILL.model }} />
            model version
          </span>
          <span>
            <span className="legend-dot" style={{ background: KIND_FILL['job-run'] }} />
            training / ETL run
          </span>
          <span>
            <span className="legend-dot" style={{ background: KIND_FILL.dataset }} />
            dataset version
          </span>
          <span>{graph.nodes.length} nodes · {graph.edges.length} edges</span>
        </div>
      </div>
      <div className="lineage-side">
        <div className="toolbar">
          <input
            className="input"
            style={{ flex: 1 }}
            placeholder="Search nodes…"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && matches?.size) centerOn([...matches][0]!);
            }}
            aria-label="Search lineage nodes"
          />
          <button className="btn small" onClick={fit}>
            Fit
          </button>
        </div>
        {matches ? <div className="notice">{matches.size} matching nodes (Enter centres on the first)</div> : null}
        {focused ? (
          <div style={{ padding: 10 }}>
            <h2 style={{ marginBottom: 6 }}>{focused.label}</h2>
            <dl className="side-kv" style={{ padding: 0 }}>
              <dt>kind</dt>
              <dd>{focused.kind}</dd>
              {focused.namespace ? (
                <>
                  <dt>namespace</dt>
                  <dd title={focused.namespace}>{focused.namespace}</dd>
                </>
              ) : null}
              {focused.name ? (
                <>
                  <dt>name</dt>
                  <dd title={focused.name}>{focused.name}</dd>
                </>
              ) : null}
              <dt>version</dt>
              <dd>{focused.version ?? '—'}</dd>
              <dt>at</dt>
              <dd>{fmtTime(focused.at ?? null)}</dd>
              <dt>state</dt>
              <dd>{focused.state ?? '—'}</dd>
              {focused.valid === false ? (
                <>
                  <dt>valid</dt>
                  <dd style={{ color: 'var(--danger)' }}>no</dd>
                </>
              ) : null}
            </dl>
            {focused.runId && onOpenRun ? (
              <button className="btn small" style={{ marginTop: 8 }} onClick={() => onOpenRun(focused.runId!)}>
                Open run {focused.runId.slice(0, 12)}
              </button>
            ) : null}
          </div>
        ) : (
          <div className="muted" style={{ padding: 10 }}>
            Click a node to focus its neighbours; double-click to collapse what hangs off it. Ctrl+wheel or wheel zooms, drag pans.
          </div>
        )}
        <div className="side-section">
          <h3 style={{ padding: '4px 10px' }}>Nodes</h3>
          {graph.nodes
            .filter((n) => !matches || matches.has(n.id))
            .slice(0, 300)
            .map((n) => (
              <button key={n.id} className={`side-item ${focus === n.id ? 'active' : ''}`} onClick={() => (setFocus(n.id), centerOn(n.id))} title={n.label}>
                <span className="legend-dot" style={{ background: KIND_FILL[n.kind] }} />
                <span className="ellipsis">{n.kind === 'dataset' ? `${n.name ?? n.label} @ ${n.version ?? '?'}` : n.label}</span>
              </button>
            ))}
        </div>
        {graph.findings.map((f, i) => (
          <div key={i} className="finding">
            <span className="badge warn">{f.code}</span>
            <span>{f.message}</span>
          </div>
        ))}
      </div>
    </div>
  );
}

export function LineageScreen({ modelVersion, asOf, active }: { modelVersion?: string; asOf: number | null; active: boolean }) {
  const app = useApp();
  const [mv, setMv] = useState(modelVersion ?? '');
  const [when, setWhen] = useState<number | null>(asOf);
  const versions = useAsync(() => api.facets({}).then((f) => f.modelVersion.map((v) => v.value).filter(Boolean)), [app.casePath]);
  useEffect(() => {
    if (modelVersion) setMv(modelVersion);
    setWhen(asOf);
  }, [modelVersion, asOf]);
  useEffect(() => {
    if (!mv && versions.data?.length) {
      const numeric = versions.data.filter((v) => /^\d/.test(v)).sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
      setMv(numeric[0] ?? versions.data[0]!);
    }
  }, [versions.data, mv]);
  const graph = useAsync(() => (mv ? api.lineage(mv, when) : Promise.resolve(null)), [mv, when]);
  void active;
  return (
    <div className="col" style={{ height: '100%', gap: 0 }}>
      <div className="toolbar">
        <span className="title">Lineage</span>
        <label className="row muted">
          model version
          <select className="input" value={mv} onChange={(e) => setMv(e.target.value)} aria-label="Model version">
            {mv && !versions.data?.includes(mv) ? <option value={mv}>{mv}</option> : null}
            {(versions.data ?? []).map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
        </label>
        <label className="row muted">
          as of (UTC)
          <input
            className="input"
            type="datetime-local"
            step={1}
            value={when != null ? new Date(when / 1000).toISOString().slice(0, 19) : ''}
            onChange={(e) => setWhen(e.target.value ? Date.parse(`${e.target.value}Z`) * 1000 : null)}
            aria-label="As of"
          />
        </label>
        {when != null ? (
          <button className="btn small" onClick={() => setWhen(null)}>
            latest
          </button>
        ) : null}
        <span className="grow" />
        {graph.data ? <span className="meta">{graph.data.nodes.length} nodes</span> : null}
      </div>
      {graph.error ? <div className="error-box">{graph.error}</div> : null}
      {graph.loading && !graph.data ? <div className="loading">Resolving lineage…</div> : null}
      {graph.data ? (
        <div className="grow" style={{ display: 'flex', flexDirection: 'column' }}>
          <LineageView graph={graph.data} onOpenRun={(id) => app.openTab('run', { runId: id }, id.slice(0, 16))} />
        </div>
      ) : !graph.loading && !mv ? (
        <div className="empty">No model version in this case.</div>
      ) : null}
    </div>
  );
}

/**
 * Runs: a virtualized table over every run of the case (keyset pages fetched on demand and prefetched
 * ahead, so scrolling shows no blank rows), full-text search, facet filters with counts, sort, keyboard
 * navigation, multi-select into the affected set, compare two runs.
 */
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { FacetName, Facets, RunQuery, RunRow } from '../../../shared/api';
import { api } from '../api/client';
import { useApp } from '../state/app';
import { caseKey, getKv, setKv } from '../state/db';
import { VirtualTable, type Column } from '../components/VirtualTable';
import { Icon } from '../components/Icon';
import { errorText, fmtDuration, fmtInt, fmtTime } from '../lib/format';

const PAGE = 500;
const AHEAD = 3 * PAGE;

type Filters = Partial<Record<FacetName, string[]>>;
type SortBy = NonNullable<RunQuery['sort']>['by'];

export interface RunsUiState {
  search: string;
  filters: Filters;
  sort: { by: SortBy; dir: 'asc' | 'desc' };
  affectedOnly: boolean;
}

const DEFAULT_STATE: RunsUiState = { search: '', filters: {}, sort: { by: 'started', dir: 'asc' }, affectedOnly: false };

export function toQuery(s: RunsUiState): RunQuery {
  const f = s.filters;
  const q: RunQuery = { sort: s.sort };
  if (s.search.trim()) q.search = s.search.trim();
  if (f.workflow?.length) q.workflow = f.workflow;
  if (f.tier?.length) q.tier = f.tier;
  if (f.modelVersion?.length) q.modelVersion = f.modelVersion;
  if (f.decision?.length) q.decision = f.decision as RunQuery['decision'];
  if (f.reasonCode?.length) q.reasonCode = f.reasonCode;
  if (f.label?.length) q.label = f.label;
  if (f.finding?.length) q.finding = f.finding as RunQuery['finding'];
  if (f.hasWrite?.length === 1) q.hasWrite = f.hasWrite[0] === 'true';
  if (s.affectedOnly) q.affectedOnly = true;
  return q;
}

/** Keyset pager: pages are fetched in order (each needs the previous cursor), on demand and ahead. */
class RunPager {
  rows: RunRow[] = [];
  total = -1;
  private next: string | null | undefined = undefined; // undefined: first page not asked yet
  private busy = false;
  private want = 0;
  dead = false;
  error: string | null = null;
  constructor(
    readonly query: RunQuery,
    private onChange: () => void,
  ) {}
  ensure(index: number): void {
    this.want = Math.max(this.want, index);
    void this.pump();
  }
  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (!this.dead && this.next !== null && this.rows.length <= this.want) {
        const page = await api.listRuns({ ...this.query, limit: PAGE, cursor: this.next ?? null });
        if (this.dead) return;
        this.rows.push(...page.rows);
        this.total = page.total;
        this.next = page.rows.length === 0 ? null : page.nextCursor;
        this.onChange();
      }
    } catch (e) {
      this.error = errorText(e);
      this.onChange();
    } finally {
      this.busy = false;
    }
  }
}

const FACET_TITLES: Array<[FacetName, string]> = [
  ['workflow', 'Workflow'],
  ['tier', 'Tier'],
  ['modelVersion', 'Model version'],
  ['decision', 'Decision'],
  ['reasonCode', 'Reason code'],
  ['hasWrite', 'Has write'],
  ['label', 'Label'],
  ['finding', 'Finding'],
];

export const FacetPanel = memo(function FacetPanel({ facets, filters, onChange }: { facets: Facets | null; filters: Filters; onChange: (f: Filters) => void }) {
  return (
    <div className="facets" aria-label="Filters" data-testid="facets">
      {FACET_TITLES.map(([name, title]) => {
        const values = facets?.[name] ?? [];
        const on = filters[name] ?? [];
        if (!values.length && !on.length) return null;
        const shown = [...values];
        for (const v of on) if (!shown.some((x) => x.value === v)) shown.push({ value: v, count: 0 });
        return (
          <div className="facet" key={name}>
            <h3>
              {title}
              {on.length ? <button onClick={() => onChange({ ...filters, [name]: [] })}>clear</button> : null}
            </h3>
            {shown.slice(0, 40).map((v) => (
              <label key={v.value} title={v.value}>
                <input
                  type="checkbox"
                  checked={on.includes(v.value)}
                  onChange={(e) => {
                    const next = e.target.checked ? [...on, v.value] : on.filter((x) => x !== v.value);
                    onChange({ ...filters, [name]: next });
                  }}
                />
                <span className="v">{v.value === '' ? '(none)' : v.value}</span>
                <span className="count">{fmtInt(v.count)}</span>
              </label>
            ))}
          </div>
        );
      })}
      {!facets ? <div className="loading">facets</div> : null}
    </div>
  );
});

const DEFAULT_WIDTHS: Record<string, number> = {
  sel: 28,
  runId: 232,
  started: 174,
  duration: 78,
  workflow: 104,
  tier: 62,
  modelVersion: 92,
  steps: 56,
  writes: 58,
  decisions: 110,
  reasonCodes: 190,
  findings: 160,
  labels: 150,
};

export function RunsScreen({ active }: { active: boolean }) {
  const app = useApp();
  const { casePath, dataVersion } = app;
  const [ui, setUi] = useState<RunsUiState>(DEFAULT_STATE);
  const [searchText, setSearchText] = useState('');
  const [facets, setFacets] = useState<Facets | null>(null);
  const [tick, setTick] = useState(0);
  const [cursor, setCursor] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [widths, setWidths] = useState<Record<string, number>>(DEFAULT_WIDTHS);
  const [loaded, setLoaded] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const query = useMemo(() => toQuery(ui), [ui]);
  const queryKey = JSON.stringify(query);

  // Restore per-case filters and global column widths.
  useEffect(() => {
    void (async () => {
      const saved = await getKv<RunsUiState | null>(caseKey(casePath, 'runs.ui'), null);
      const preset = sessionStorage.getItem('casefile.runs.preset');
      let s = saved ? { ...DEFAULT_STATE, ...saved } : DEFAULT_STATE;
      if (preset) {
        sessionStorage.removeItem('casefile.runs.preset');
        const p = JSON.parse(preset) as { reasonCode?: string; finding?: string };
        s = { ...DEFAULT_STATE, filters: { ...(p.reasonCode ? { reasonCode: [p.reasonCode] } : {}), ...(p.finding ? { finding: [p.finding] } : {}) } };
      }
      setUi(s);
      setSearchText(s.search);
      setWidths({ ...DEFAULT_WIDTHS, ...(await getKv<Record<string, number>>('runs.columns', {})) });
      setLoaded(true);
    })();
  }, [casePath]);

  useEffect(() => {
    const onPreset = () => {
      const preset = sessionStorage.getItem('casefile.runs.preset');
      if (!preset) return;
      sessionStorage.removeItem('casefile.runs.preset');
      const p = JSON.parse(preset) as { reasonCode?: string; finding?: string };
      setUi({ ...DEFAULT_STATE, filters: { ...(p.reasonCode ? { reasonCode: [p.reasonCode] } : {}), ...(p.finding ? { finding: [p.finding] } : {}) } });
      setSearchText('');
    };
    window.addEventListener('casefile:runs-preset', onPreset);
    return () => window.removeEventListener('casefile:runs-preset', onPreset);
  }, []);

  useEffect(() => {
    if (loaded) void setKv(caseKey(casePath, 'runs.ui'), ui);
  }, [ui, casePath, loaded]);

  // Debounced full-text search.
  useEffect(() => {
    const t = setTimeout(() => setUi((u) => (u.search === searchText ? u : { ...u, search: searchText })), 220);
    return () => clearTimeout(t);
  }, [searchText]);

  const pager = useMemo(() => {
    if (!loaded || !casePath) return null;
    const p = new RunPager(JSON.parse(queryKey) as RunQuery, () => setTick((t) => t + 1));
    p.ensure(AHEAD);
    return p;
    // dataVersion: labels / affected set changed → refetch
  }, [queryKey, loaded, casePath, dataVersion]);
  useEffect(() => () => void (pager && (pager.dead = true)), [pager]);
  useEffect(() => setCursor(0), [queryKey]);

  useEffect(() => {
    if (!loaded || !casePath) return;
    let live = true;
    setFacets(null);
    api
      .facets(JSON.parse(queryKey) as RunQuery)
      .then((f) => live && setFacets(f))
      .catch(() => live && setFacets(null));
    return () => {
      live = false;
    };
  }, [queryKey, loaded, casePath, dataVersion]);

  void tick;
  const total = pager ? Math.max(pager.total, 0) : 0;
  const rows = pager?.rows ?? [];
  const getRow = useCallback((i: number) => rows[i], [rows, tick]);  

  const openRun = useCallback((r: RunRow) => app.openTab('run', { runId: r.runId }, r.runId.length > 18 ? `${r.runId.slice(0, 16)}…` : r.runId), [app]);
  const toggle = useCallback((r: RunRow) => {
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(r.runId)) n.delete(r.runId);
      else n.add(r.runId);
      return n;
    });
  }, []);

  const saveAffected = async (which: 'selected' | 'filter') => {
    try {
      // selected: exactly these runs (saveAffectedSet with runIds saves those ids, each checked to exist)
      const q: RunQuery = which === 'selected' ? { runIds: [...selected] } : { ...query };
      delete q.sort;
      const r = await api.saveAffectedSet(q, which === 'selected' ? `${selected.size} runs picked in the Runs table` : `filter: ${JSON.stringify(q)}`);
      app.toast(`Affected set saved: ${fmtInt(r.count)} runs`, 'ok');
      app.bumpData();
    } catch (e) {
      app.toast(`Could not save the affected set: ${errorText(e)}`, 'error');
    }
  };

  const compareSelected = () => {
    const [a, b] = [...selected];
    if (a && b) app.openTab('compare', { a, b }, `${a.slice(0, 8)} ↔ ${b.slice(0, 8)}`);
  };

  useEffect(() => {
    if (!active) return;
    return app.registerCommands('runs', [
      { id: 'runs.search', title: 'Search runs', category: 'Runs', keys: ['/'], run: () => searchRef.current?.focus() },
      { id: 'runs.affected.selected', title: 'Add selected runs to the affected set', category: 'Runs', enabled: () => selected.size > 0, run: () => void saveAffected('selected') },
      { id: 'runs.affected.filter', title: 'Save current filter as the affected set', category: 'Runs', run: () => void saveAffected('filter') },
      { id: 'runs.compare', title: 'Compare the two selected runs', category: 'Runs', keys: ['c'], enabled: () => selected.size === 2, run: compareSelected },
      { id: 'runs.clear', title: 'Clear filters', category: 'Runs', run: () => (setUi(DEFAULT_STATE), setSearchText('')) },
    ]);
     
  }, [active, selected, queryKey]);

  const onFilters = useCallback((f: Filters) => setUi((u) => ({ ...u, filters: f })), []);

  const onSort = (id: string) => {
    const map: Record<string, SortBy> = { started: 'started', runId: 'runId', duration: 'duration', findings: 'findings' };
    const by = map[id];
    if (!by) return;
    setUi((u) => ({ ...u, sort: { by, dir: u.sort.by === by && u.sort.dir === 'asc' ? 'desc' : 'asc' } }));
  };

  const columns = useMemo((): Array<Column<RunRow>> => [
    { id: 'sel', title: '', width: widths.sel!, render: (r) => <input type="checkbox" tabIndex={-1} aria-label={`select ${r.runId}`} checked={selected.has(r.runId)} onChange={() => toggle(r)} onClick={(e) => e.stopPropagation()} /> },
    {
      id: 'runId',
      title: 'Run',
      width: widths.runId!,
      sortable: true,
      render: (r) => (
        <span className="mono ellipsis" title={r.runId}>
          {r.harmful ? <span className="kind-dot" style={{ background: 'var(--danger)', marginRight: 5 }} title="harmful" /> : null}
          {r.runId}
        </span>
      ),
    },
    { id: 'started', title: 'Started (UTC)', width: widths.started!, sortable: true, render: (r) => <span className="mono">{fmtTime(r.startedAt)}</span> },
    { id: 'duration', title: 'Duration', width: widths.duration!, align: 'right', sortable: true, render: (r) => fmtDuration(r.startedAt != null && r.endedAt != null ? r.endedAt - r.startedAt : null) },
    { id: 'workflow', title: 'Workflow', width: widths.workflow!, render: (r) => r.workflow ?? <span className="faint">—</span> },
    { id: 'tier', title: 'Tier', width: widths.tier!, render: (r) => r.tier ?? <span className="faint">—</span> },
    { id: 'modelVersion', title: 'Model', width: widths.modelVersion!, render: (r) => (r.modelVersion ? <span className="mono">{r.modelVersion}</span> : <span className="badge warn">unknown</span>) },
    { id: 'steps', title: 'Steps', width: widths.steps!, align: 'right', render: (r) => fmtInt(r.steps) },
    { id: 'writes', title: 'Writes', width: widths.writes!, align: 'right', render: (r) => fmtInt(r.writes) },
    {
      id: 'decisions',
      title: 'Decisions',
      width: widths.decisions!,
      render: (r) => (
        <>
          {r.decisions.map((d, i) => (
            <span key={i} className={`chip ${d === 'deny' ? 'danger' : ''}`}>
              {d}
            </span>
          ))}
        </>
      ),
    },
    { id: 'reasonCodes', title: 'Reason codes', width: widths.reasonCodes!, render: (r) => <span className="mono ellipsis">{r.reasonCodes.join(', ')}</span> },
    {
      id: 'findings',
      title: 'Findings',
      width: widths.findings!,
      sortable: true,
      render: (r) => (r.findings.length ? <span className="ellipsis" title={r.findings.join('\n')}>{r.findings.map((f) => <span key={f} className="chip">{f}</span>)}</span> : <span className="faint">—</span>),
    },
    {
      id: 'labels',
      title: 'Labels',
      width: widths.labels!,
      render: (r) => (
        <span className="ellipsis">
          {r.inAffectedSet ? <span className="badge info" style={{ marginRight: 4 }}>affected</span> : null}
          {r.labels.join(', ')}
        </span>
      ),
    },
  ], [widths, selected, toggle]);

  const nFilters = Object.values(ui.filters).reduce((a, v) => a + (v?.length ?? 0), 0);

  return (
    <div className="runs" data-testid="runs-screen">
      <FacetPanel facets={facets} filters={ui.filters} onChange={onFilters} />
      <div className="runs-main">
        <div className="toolbar">
          <div className="searchbox">
            <Icon name="search" />
            <input
              ref={searchRef}
              className="input"
              type="search"
              placeholder="Search inputs, outputs, reason codes, ids…  ( / )"
              value={searchText}
              onChange={(e) => setSearchText(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') setUi((u) => ({ ...u, search: searchText }));
                if (e.key === 'ArrowDown' || e.key === 'Escape') (e.currentTarget.closest('.runs-main')?.querySelector('.vt-body') as HTMLElement | null)?.focus();
              }}
              aria-label="Search runs"
              data-testid="runs-search"
            />
          </div>
          <label className="row muted" style={{ gap: 4 }}>
            <input type="checkbox" checked={ui.affectedOnly} onChange={(e) => setUi((u) => ({ ...u, affectedOnly: e.target.checked }))} />
            affected set only
          </label>
          {nFilters || ui.search ? (
            <button className="btn small" onClick={() => (setUi((u) => ({ ...DEFAULT_STATE, sort: u.sort })), setSearchText(''))}>
              Clear {nFilters ? `${nFilters} filter${nFilters > 1 ? 's' : ''}` : 'search'}
            </button>
          ) : null}
          <span className="grow" />
          <span className="meta" data-testid="runs-total">
            {pager && pager.total >= 0 ? `${fmtInt(total)} run${total === 1 ? '' : 's'}` : 'counting…'}
            {selected.size ? ` · ${fmtInt(selected.size)} selected` : ''}
          </span>
          <button className="btn small" disabled={selected.size !== 2} onClick={compareSelected} title="Compare the two selected runs (c)">
            <Icon name="compare" size={13} /> Compare
          </button>
          <button className="btn small" disabled={!selected.size} onClick={() => void saveAffected('selected')} data-testid="add-affected" title="Save exactly the selected runs as the affected set (it replaces the saved set)">
            Add to affected set
          </button>
          <button className="btn small" onClick={() => void saveAffected('filter')} title="Save the current filter as the affected set">
            Save filter as set
          </button>
        </div>
        {pager?.error ? <div className="error-box">{pager.error}</div> : null}
        <VirtualTable<RunRow>
          ariaLabel="Runs"
          testId="runs-table"
          columns={columns}
          rowCount={total}
          getRow={getRow}
          rowKey={(r, i) => r?.runId ?? `p${i}`}
          cursor={cursor}
          onCursor={setCursor}
          onOpen={(_, r) => openRun(r)}
          onToggle={(_, r) => toggle(r)}
          isSelected={(r) => selected.has(r.runId)}
          onRange={(_, end) => pager?.ensure(end + AHEAD)}
          sort={{ by: ui.sort.by, dir: ui.sort.dir }}
          onSort={onSort}
          onResize={(id, w) =>
            setWidths((ws) => {
              const n = { ...ws, [id]: w };
              void setKv('runs.columns', n);
              return n;
            })
          }
          onKey={(e) => {
            if (e.key === '/') {
              e.preventDefault();
              searchRef.current?.focus();
              return true;
            }
            if (e.key === 'c' && selected.size === 2) {
              compareSelected();
              return true;
            }
            return false;
          }}
        />
        {pager && pager.total === 0 ? <div className="empty">No run matches.</div> : null}
      </div>
    </div>
  );
}

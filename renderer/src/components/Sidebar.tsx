/** The side bar: the open case at a glance, the screens, the affected set, recent cases. */
import { useEffect, useState } from 'react';
import { useApp } from '../state/app';
import { recentCases, type RecentRow } from '../state/db';
import { api } from '../api/client';
import { basename, fmtInt, fmtPct } from '../lib/format';

export function Sidebar({ hidden }: { hidden: boolean }) {
  const app = useApp();
  const { overview, casePath, dataVersion } = app;
  const [recent, setRecent] = useState<RecentRow[]>([]);
  const [affected, setAffected] = useState<{ count: number; savedAt: string | null } | null>(null);

  useEffect(() => {
    void recentCases().then(setRecent);
  }, [casePath]);

  useEffect(() => {
    if (!casePath) return setAffected(null);
    api
      .affectedSet()
      .then((a) => setAffected({ count: a.count, savedAt: a.savedAt }))
      .catch(() => setAffected(null));
  }, [casePath, dataVersion]);

  const activeKind = app.tabs.find((t) => t.id === app.active)?.kind;
  const nav = (kind: Parameters<typeof app.openTab>[0], label: string, count?: number | null) => (
    <button className={`side-item ${activeKind === kind ? 'active' : ''}`} onClick={() => app.openTab(kind)} disabled={!casePath && kind !== 'start'}>
      <span>{label}</span>
      {count != null ? <span className="count">{fmtInt(count)}</span> : null}
    </button>
  );

  return (
    <aside className={`sidebar ${hidden ? 'hidden' : ''}`} aria-label="Case explorer">
      <div className="sidebar-title">Case explorer</div>
      <div className="sidebar-body">
        {overview ? (
          <div className="side-section">
            <h3 title={overview.casePath}>{basename(overview.casePath)}</h3>
            <dl className="side-kv">
              <dt>Runs</dt>
              <dd>{fmtInt(overview.totals.runs)}</dd>
              <dt>Spans</dt>
              <dd>{fmtInt(overview.totals.spans)}</dd>
              <dt>Decisions</dt>
              <dd>{fmtInt(overview.totals.decisions)}</dd>
              <dt>Audit complete</dt>
              <dd>{fmtPct(overview.auditCompleteness.ratio)}</dd>
            </dl>
          </div>
        ) : (
          <div className="side-section">
            <h3>No case open</h3>
            <div className="muted" style={{ padding: '2px 12px' }}>
              Open a bundle, a case, or the sample incident from Start.
            </div>
          </div>
        )}
        <div className="side-section">
          <h3>Investigate</h3>
          {nav('overview', 'Overview')}
          {nav('runs', 'Runs', overview?.totals.runs)}
          {nav('lineage', 'Lineage')}
          {nav('budgets', 'Budgets', overview?.budgetStatus.length)}
          {nav('sql', 'SQL console')}
          {nav('quarantine', 'Quarantine', overview?.totals.quarantined)}
        </div>
        <div className="side-section">
          <h3>Conclude</h3>
          {nav('review', 'Review queue', affected?.count ?? null)}
          {nav('labels', 'Labels & history')}
          {nav('postmortem', 'Postmortem')}
          <button className="side-item" disabled={!casePath} onClick={() => app.setExportOpen(true)}>
            Export…
          </button>
        </div>
        {recent.length ? (
          <div className="side-section">
            <h3>Recent cases</h3>
            {recent.slice(0, 6).map((r) => (
              <button key={r.path} className="side-item" title={r.path} onClick={() => void app.openCase(r.path)}>
                {basename(r.path)}
              </button>
            ))}
          </div>
        ) : null}
      </div>
    </aside>
  );
}

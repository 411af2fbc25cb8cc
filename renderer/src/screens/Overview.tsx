/** Case overview: sources (hash, counts, verify), totals, audit completeness, time histogram, reason codes, budgets. */
import { useState } from 'react';
import type { CaseOverview, SourceStatus, VerifyReport } from '../../../shared/api';
import { api } from '../api/client';
import { useApp } from '../state/app';
import { Histogram } from '../components/Histogram';
import { basename, errorText, fmtBytes, fmtInt, fmtPct, fmtTime, fmtDuration } from '../lib/format';

type VerifyStatus = VerifyReport['sources'][number]['status'];

function statusBadge(s: VerifyStatus | undefined) {
  if (!s) return <span className="badge">not verified</span>;
  if (s === 'ok') return <span className="badge ok">verified</span>;
  if (s === 'not-checked') return <span className="badge">not checked</span>;
  return <span className="badge danger">{s}</span>;
}

export function SourcesTable({ sources, verify }: { sources: SourceStatus[]; verify: VerifyReport | null }) {
  const byId = new Map(verify?.sources.map((s) => [s.id, s]) ?? []);
  return (
    <table className="grid" data-testid="sources-table">
      <thead>
        <tr>
          <th>Source</th>
          <th>Format</th>
          <th className="num">Records</th>
          <th className="num">Stored</th>
          <th className="num">Quarantined</th>
          <th className="num">Skipped</th>
          <th className="num">Size</th>
          <th>SHA-256</th>
          <th>Verify</th>
        </tr>
      </thead>
      <tbody>
        {sources.map((s) => {
          const v = byId.get(s.id);
          return (
            <tr key={s.id}>
              <td className="ellipsis" style={{ maxWidth: 280 }} title={[s.storedPath, ...s.aliases].join('\n')}>
                {basename(s.storedPath)}
                {s.aliases.length ? <span className="faint"> +{s.aliases.length}</span> : null}
                {s.status !== 'complete' ? <span className="badge danger" style={{ marginLeft: 6 }}>{s.status}</span> : null}
              </td>
              <td>
                <span className="chip">{s.format}</span>
              </td>
              <td className="num">{fmtInt(s.records)}</td>
              <td className="num">{fmtInt(s.stored)}</td>
              <td className="num" style={s.quarantined ? { color: 'var(--danger)' } : undefined}>
                {fmtInt(s.quarantined)}
              </td>
              <td className="num">{fmtInt(s.skipped)}</td>
              <td className="num">{fmtBytes(s.size)}</td>
              <td className="sha" title={s.sha256 + (s.manifestSha256 && s.manifestSha256 !== s.sha256 ? `\nmanifest says ${s.manifestSha256}` : '')}>
                {s.sha256.slice(0, 16)}…{s.manifestSha256 ? (s.manifestSha256 === s.sha256 ? <span className="badge ok" style={{ marginLeft: 4 }}>manifest</span> : <span className="badge danger" style={{ marginLeft: 4 }}>manifest ≠</span>) : null}
              </td>
              <td title={v?.note ?? v?.actual ?? ''}>{statusBadge(v?.status)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function Kpi({ label, value, sub, tone, testId }: { label: string; value: string; sub?: string; tone?: 'danger' | 'ok'; testId?: string }) {
  return (
    <div className="stat">
      <div className="label">{label}</div>
      <div className={`value ${tone ?? ''}`} data-testid={testId}>
        {value}
      </div>
      {sub ? <div className="sub">{sub}</div> : null}
    </div>
  );
}

export function BarList({ items, onPick, danger }: { items: Array<{ label: string; count: number }>; onPick?: (label: string) => void; danger?: boolean }) {
  const max = Math.max(1, ...items.map((i) => i.count));
  if (!items.length) return <div className="muted">none</div>;
  return (
    <div className="bar-list">
      {items.map((i) => (
        <div className="item" key={i.label} onClick={() => onPick?.(i.label)} style={onPick ? { cursor: 'pointer' } : undefined} title={i.label}>
          <div className="bar">
            <i style={{ width: `${(100 * i.count) / max}%`, ...(danger ? { background: 'var(--danger-bg)', borderLeftColor: 'var(--danger)' } : {}) }} />
            <span>{i.label}</span>
          </div>
          <span className="num">{fmtInt(i.count)}</span>
        </div>
      ))}
    </div>
  );
}

export function OverviewView({ ov, verify, verifying, onVerify, onOpenRuns }: { ov: CaseOverview; verify: VerifyReport | null; verifying: boolean; onVerify: () => void; onOpenRuns: (f?: { reasonCode?: string; finding?: string }) => void }) {
  const t = ov.totals;
  const harmful = ov.histogram.reduce((a, b) => a + b.harmful, 0);
  const span = ov.timeRange.from != null && ov.timeRange.to != null ? ov.timeRange.to - ov.timeRange.from : null;
  return (
    <div className="overview" data-testid="overview">
      <div className="span-12 kpis" data-testid="overview-totals">
        <Kpi label="Runs" value={fmtInt(t.runs)} testId="total-runs" />
        <Kpi label="Spans" value={fmtInt(t.spans)} testId="total-spans" />
        <Kpi label="Audit events" value={fmtInt(t.auditEvents)} testId="total-auditEvents" />
        <Kpi label="Decisions" value={fmtInt(t.decisions)} testId="total-decisions" />
        <Kpi label="Lineage events" value={fmtInt(t.lineageEvents)} testId="total-lineageEvents" />
        <Kpi label="Logs" value={fmtInt(t.logs)} testId="total-logs" />
        <Kpi label="Quarantined" value={fmtInt(t.quarantined)} tone={t.quarantined ? 'danger' : undefined} testId="total-quarantined" />
        <Kpi label="Skipped" value={fmtInt(t.skipped)} testId="total-skipped" />
        <Kpi label="Audit completeness" value={fmtPct(ov.auditCompleteness.ratio)} sub={`${fmtInt(ov.auditCompleteness.complete)} of ${fmtInt(ov.auditCompleteness.total)} runs`} tone={ov.auditCompleteness.ratio < 1 ? 'danger' : 'ok'} testId="audit-completeness" />
        <Kpi label="Harmful runs" value={fmtInt(harmful)} tone={harmful ? 'danger' : undefined} sub="labelled or inferred" />
      </div>
      <div className="panel span-8">
        <header>
          <h2>Incident time range</h2>
          <span className="muted">
            {fmtTime(ov.timeRange.from)} → {fmtTime(ov.timeRange.to)} ({fmtDuration(span)})
          </span>
        </header>
        <div className="body">
          <Histogram buckets={ov.histogram} />
        </div>
      </div>
      <div className="panel span-4">
        <header>
          <h2>Budget status</h2>
        </header>
        <div className="body flush scroll" style={{ maxHeight: 190 }}>
          <table className="grid" data-testid="budget-status">
            <thead>
              <tr>
                <th>Workflow</th>
                <th>SLI</th>
                <th className="num">Consumed</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {ov.budgetStatus.length === 0 ? (
                <tr>
                  <td colSpan={4} className="muted">
                    no budgets in this case
                  </td>
                </tr>
              ) : null}
              {ov.budgetStatus.map((b, i) => (
                <tr key={i}>
                  <td className="ellipsis" style={{ maxWidth: 150 }} title={`${b.workflow} (${b.tier})`}>
                    {b.workflow} <span className="faint">{b.tier}</span>
                  </td>
                  <td className="mono ellipsis" style={{ maxWidth: 150 }} title={b.sli}>
                    {b.sli}
                  </td>
                  <td className="num">{b.consumed >= 10 ? `${fmtInt(Math.round(b.consumed))}×` : fmtPct(b.consumed, 0)}</td>
                  <td>
                    <span className={`badge ${b.status === 'ok' ? 'ok' : b.status === 'burning' ? 'warn' : 'danger'}`}>{b.status}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
      <div className="panel span-12">
        <header>
          <h2>Sources</h2>
          <span className="muted">{fmtInt(ov.sources.length)} files</span>
          <span className="grow" />
          {verify ? (
            <span className={`badge ${verify.ok ? 'ok' : 'danger'}`} data-testid="verify-result">
              {verify.ok ? 'verified: no mismatch' : 'VERIFY FAILED'} · {fmtInt(verify.chains.runsChecked)} chains, {verify.chains.breaks.length} breaks
            </span>
          ) : null}
          <button className="btn small" onClick={onVerify} disabled={verifying} data-testid="verify-button">
            {verifying ? 'Verifying…' : 'Verify'}
          </button>
        </header>
        <div className="body flush scroll" style={{ maxHeight: 300 }}>
          <SourcesTable sources={ov.sources} verify={verify} />
        </div>
        {verify && (verify.chains.breaks.length || verify.integrity.length || verify.manifest.length) ? (
          <div className="body scroll" style={{ borderTop: '1px solid var(--border)', maxHeight: 150 }}>
            {verify.chains.breaks.slice(0, 20).map((b, i) => (
              <div key={i} className="finding">
                <span className="badge danger">chain</span>
                <span className="mono">{b.runId}</span>
                <span>{b.reason}</span>
                <span className="faint">
                  {basename(b.sourcePath)}
                  {b.line != null ? `:${b.line}` : ''}
                </span>
              </div>
            ))}
            {[...verify.integrity, ...verify.manifest].map((s, i) => (
              <div key={`i${i}`} className="finding">
                <span className="badge danger">integrity</span>
                <span>{s}</span>
              </div>
            ))}
          </div>
        ) : null}
      </div>
      <div className="panel span-6">
        <header>
          <h2>Top reason codes</h2>
        </header>
        <div className="body" data-testid="reason-codes">
          <BarList items={ov.topReasonCodes.map((r) => ({ label: r.code, count: r.count }))} onPick={(c) => onOpenRuns({ reasonCode: c })} />
        </div>
      </div>
      <div className="panel span-6">
        <header>
          <h2>Completeness findings</h2>
        </header>
        <div className="body">
          <BarList items={ov.findingCounts.map((r) => ({ label: r.code, count: r.count }))} onPick={(c) => onOpenRuns({ finding: c })} danger />
        </div>
      </div>
    </div>
  );
}

export function OverviewScreen({ active }: { active: boolean }) {
  const app = useApp();
  const [verify, setVerify] = useState<VerifyReport | null>(null);
  const [verifying, setVerifying] = useState(false);
  const ov = app.overview;
  void active;
  if (!ov) return <div className="empty">No case open.</div>;
  return (
    <OverviewView
      ov={ov}
      verify={verify}
      verifying={verifying}
      onVerify={async () => {
        setVerifying(true);
        try {
          setVerify(await api.verify());
        } catch (e) {
          app.toast(`Verify failed: ${errorText(e)}`, 'error');
        } finally {
          setVerifying(false);
        }
      }}
      onOpenRuns={(f) => {
        sessionStorage.setItem('casefile.runs.preset', JSON.stringify(f ?? {}));
        window.dispatchEvent(new CustomEvent('casefile:runs-preset'));
        app.openTab('runs');
      }}
    />
  );
}

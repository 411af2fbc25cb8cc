/** Budgets: SLI and burn-rate charts with the objective line and the moments each rollback rule would have fired. */
import type { BudgetEvaluation } from '../../../shared/api';
import { api } from '../api/client';
import { useApp, useAsync } from '../state/app';
import { TimeChart, type Marker } from '../components/TimeChart';
import { fmtInt, fmtPct, fmtRate, fmtTime } from '../lib/format';

const RULE_COLORS = ['var(--chart-2)', 'var(--chart-4)', 'var(--chart-5)', 'var(--chart-3)'];

export function BudgetCard({ ev }: { ev: BudgetEvaluation }) {
  const b = ev.budget;
  const fired = ev.triggers.filter((t) => t.firedAt != null);
  const markers: Marker[] = fired.map((t) => ({ at: t.firedAt!, label: `${t.rule} → ${t.action}`, color: 'var(--danger)' }));
  const allAts = [...ev.series.map((p) => p.at), ...ev.burn.flatMap((r) => r.points.map((p) => p.at))];
  const domain: [number, number] | undefined = allAts.length ? [Math.min(...allAts), Math.max(...allAts)] : undefined;
  const status = ev.consumed >= 1 ? 'exhausted' : ev.consumed >= 0.5 ? 'burning' : 'ok';
  return (
    <div className="panel" data-testid="budget-card" data-workflow={b.workflow} data-sli={b.sli}>
      <header>
        <h2>
          {b.workflow} · <span className="mono">{b.sli}</span>
        </h2>
        <span className="badge">{b.tier}</span>
        <span className="muted">
          objective {b.objectiveText} over {b.window}
          {b.owner ? ` · owner ${b.owner}` : ''}
        </span>
        <span className="grow" />
        <span className={`badge ${status === 'ok' ? 'ok' : status === 'burning' ? 'warn' : 'danger'}`}>
          {fmtPct(ev.consumed, 0)} of budget consumed
        </span>
      </header>
      <div className="body">
        <div className="row muted" style={{ gap: 16, marginBottom: 4 }}>
          <span>
            SLI <b style={{ color: 'var(--fg)' }}>{fmtRate(ev.sli)}</b> ({fmtInt(ev.bad)} bad of {fmtInt(ev.total)})
          </span>
          <span>objective {fmtRate(b.objective)}</span>
          {b.description ? <span className="ellipsis">{b.description}</span> : null}
        </div>
        <div style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 10 }}>
          <div>
            <h3>SLI over time (cumulative, log scale)</h3>
            <TimeChart
              ariaLabel={`${b.sli} over time`}
              testId="sli-chart"
              domain={domain}
              series={[{ name: 'sli', color: 'var(--chart-1)', points: cumulative(ev) }]}
              yLog={Math.max(b.objective / 2, 1e-6)}
              thresholds={[{ value: b.objective, label: `objective ${fmtRate(b.objective)}`, color: 'var(--ok)' }]}
              markers={markers}
              yFormat={fmtRate}
            />
          </div>
          <div>
            <h3>Burn rate per rule window (log scale)</h3>
            <TimeChart
              ariaLabel={`burn rate of ${b.sli}`}
              testId="burn-chart"
              domain={domain}
              series={ev.burn.map((r, i) => ({ name: r.rule, color: RULE_COLORS[i % RULE_COLORS.length]!, points: r.points.map((p) => ({ at: p.at, v: p.burn })) }))}
              thresholds={b.rollback.map((r, i) => ({ value: r.burnRate, label: `${r.name}: ${r.burnRate}× over ${r.over}`, color: RULE_COLORS[i % RULE_COLORS.length]! }))}
              markers={markers}
              yFormat={(v) => `${v >= 10 ? Math.round(v) : +v.toFixed(2)}×`}
              yLog={1}
            />
          </div>
        </div>
        <table className="grid" style={{ marginTop: 6 }} data-testid="trigger-table">
          <thead>
            <tr>
              <th>Rollback rule</th>
              <th>Action</th>
              <th>Would have fired (UTC)</th>
              <th className="num">Burn at firing</th>
              <th className="num">Harmful runs after firing</th>
            </tr>
          </thead>
          <tbody>
            {ev.triggers.map((t, i) => (
              <tr key={i}>
                <td>
                  <span className="legend-dot" style={{ background: RULE_COLORS[i % RULE_COLORS.length] }} />
                  {t.rule}
                </td>
                <td>{t.action}</td>
                <td className="mono">{t.firedAt != null ? fmtTime(t.firedAt) : <span className="faint">never</span>}</td>
                <td className="num">{t.burnAtFiring != null ? `${t.burnAtFiring.toFixed(1)}×` : '—'}</td>
                <td className="num">
                  {fmtInt(t.harmfulAfter)} of {fmtInt(t.harmfulTotal)}
                  {t.firedAt != null && t.harmfulTotal ? <span className="faint"> ({fmtPct(t.harmfulAfter / t.harmfulTotal, 0)} preventable)</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function BudgetsScreen({ active }: { active: boolean }) {
  const app = useApp();
  const { data, error, loading } = useAsync(() => api.evaluateBudgets(), [app.casePath, app.dataVersion]);
  void active;
  return (
    <div className="budgets" data-testid="budgets">
      {loading && !data ? <div className="loading">Evaluating budgets over the incident…</div> : null}
      {error ? <div className="error-box">{error}</div> : null}
      {data?.problems.map((p, i) => (
        <div key={i} className="error-box">
          {p}
        </div>
      ))}
      {data && data.evaluations.length === 0 ? <div className="empty">No budgets in this case (add a budgets.yaml to the bundle).</div> : null}
      {data?.evaluations.map((ev, i) => <BudgetCard key={i} ev={ev} />)}
    </div>
  );
}

/** The SLI as it stood at each moment: bad / total so far (per-bucket ratios are too spiky to read). */
function cumulative(ev: BudgetEvaluation): Array<{ at: number; v: number }> {
  let good = 0;
  let bad = 0;
  return ev.series.map((p) => {
    good += p.good;
    bad += p.bad;
    return { at: p.at, v: good + bad ? bad / (good + bad) : 0 };
  });
}

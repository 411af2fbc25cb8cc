/** Compare two runs side by side (diffRuns): model, lineage, decisions, writes, aligned steps; differences highlighted. */
import type { RunDiff } from '../../../shared/api';
import { api } from '../api/client';
import { useApp, useAsync } from '../state/app';
import { DiffView, toJsonText } from '../monaco/Editors';
import { oneLine } from '../lib/format';

export function CompareView({ d, onOpenRun }: { d: RunDiff; onOpenRun: (id: string) => void }) {
  const differing = d.writes.filter((w) => !w.same);
  return (
    <div className="compare-body" data-testid="compare">
      <div className="panel">
        <header>
          <h2>Summary</h2>
        </header>
        <div className="body">
          {d.summary.length ? (
            <ul style={{ margin: 0, paddingLeft: 18 }}>
              {d.summary.map((s, i) => (
                <li key={i}>{s}</li>
              ))}
            </ul>
          ) : (
            <span className="muted">No differences found.</span>
          )}
        </div>
      </div>
      <div className="panel">
        <header>
          <h2>Side by side</h2>
        </header>
        <div className="body flush">
          <table className="grid">
            <thead>
              <tr>
                <th style={{ width: 140 }}>Aspect</th>
                <th>
                  A ·{' '}
                  <a href="#" onClick={(e) => (e.preventDefault(), onOpenRun(d.a))} className="mono">
                    {d.a}
                  </a>
                </th>
                <th>
                  B ·{' '}
                  <a href="#" onClick={(e) => (e.preventDefault(), onOpenRun(d.b))} className="mono">
                    {d.b}
                  </a>
                </th>
              </tr>
            </thead>
            <tbody>
              <tr className={d.model.same ? '' : 'diff'}>
                <td>Model version</td>
                <td className="mono a">{d.model.a.value ?? 'unknown'}</td>
                <td className="mono">{d.model.b.value ?? 'unknown'}</td>
              </tr>
              <tr className={d.lineage.onlyA.length || d.lineage.onlyB.length ? 'diff' : ''}>
                <td>Lineage only in</td>
                <td className="mono a wrap">{d.lineage.onlyA.join(', ') || '—'}</td>
                <td className="mono wrap">{d.lineage.onlyB.join(', ') || '—'}</td>
              </tr>
              {d.decisions.map((x, i) => (
                <tr key={`d${i}`} className={x.same ? '' : 'diff'}>
                  <td className="mono">{x.policyId}</td>
                  <td className="a">{x.a ? `${x.a.decision} ${x.a.reasonCodes.join(', ')}` : '—'}</td>
                  <td>{x.b ? `${x.b.decision} ${x.b.reasonCodes.join(', ')}` : '—'}</td>
                </tr>
              ))}
              {d.writes.map((w, i) => (
                <tr key={`w${i}`} className={w.same ? '' : 'diff'}>
                  <td className="mono ellipsis" title={w.target} style={{ maxWidth: 140 }}>
                    write {w.target}
                  </td>
                  <td className="mono a">{w.a ? `${oneLine(w.a.before, 30)} → ${oneLine(w.a.after, 30)}` : '—'}</td>
                  <td className="mono">{w.b ? `${oneLine(w.b.before, 30)} → ${oneLine(w.b.after, 30)}` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
      {differing.length ? (
        <div className="panel" style={{ height: 220 }}>
          <header>
            <h2>Written values: A (left) vs B (right)</h2>
            <span className="muted mono">{differing[0]!.target}</span>
          </header>
          <div className="body flush col grow">
            <DiffView original={toJsonText(differing[0]!.a?.after ?? null)} modified={toJsonText(differing[0]!.b?.after ?? null)} />
          </div>
        </div>
      ) : null}
      <div className="panel">
        <header>
          <h2>Aligned steps</h2>
          <span className="muted">{d.steps.filter((s) => !s.same).length} differ</span>
        </header>
        <div className="body flush">
          <table className="grid">
            <thead>
              <tr>
                <th>Kind</th>
                <th>Title</th>
                <th>A step</th>
                <th>B step</th>
              </tr>
            </thead>
            <tbody>
              {d.steps.map((s, i) => (
                <tr key={i} className={s.same ? '' : 'diff'}>
                  <td>{s.kind}</td>
                  <td className="ellipsis" style={{ maxWidth: 360 }}>
                    {s.title}
                  </td>
                  <td className={`mono ${s.a ? 'a' : 'same'}`}>{s.a ?? '— missing —'}</td>
                  <td className={`mono ${s.b ? '' : 'same'}`}>{s.b ?? '— missing —'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
      {d.spans.length ? (
        <div className="panel">
          <header>
            <h2>Spans by name</h2>
          </header>
          <div className="body flush">
            <table className="grid">
              <thead>
                <tr>
                  <th>Span</th>
                  <th className="num">A</th>
                  <th className="num">B</th>
                  <th className="num">Δ</th>
                </tr>
              </thead>
              <tbody>
                {d.spans.map((s, i) => (
                  <tr key={i} className={s.a !== s.b ? 'diff' : ''}>
                    <td>{s.name}</td>
                    <td className="num">{s.a}</td>
                    <td className="num">{s.b}</td>
                    <td className="num">{s.b - s.a > 0 ? `+${s.b - s.a}` : s.b - s.a}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ) : null}
    </div>
  );
}

export function CompareScreen({ a, b, active }: { a: string; b: string; active: boolean }) {
  const app = useApp();
  const { data, error, loading } = useAsync(() => api.diffRuns(a, b), [a, b]);
  void active;
  return (
    <div className="compare">
      <div className="toolbar">
        <span className="title">Compare runs</span>
        <span className="mono">{a}</span>↔<span className="mono">{b}</span>
      </div>
      {loading && !data ? <div className="loading">Comparing…</div> : null}
      {error ? <div className="error-box">{error}</div> : null}
      {data ? <CompareView d={data} onOpenRun={(id) => app.openTab('run', { runId: id }, id.slice(0, 16))} /> : null}
    </div>
  );
}

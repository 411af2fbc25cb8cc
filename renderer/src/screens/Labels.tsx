/** Labels and their hash-chained history (who, when, before, after): the history of the evidence is evidence. */
import { api } from '../api/client';
import { useApp, useAsync } from '../state/app';
import { oneLine } from '../lib/format';

export function LabelsScreen({ active }: { active: boolean }) {
  const app = useApp();
  const labels = useAsync(() => api.labels(), [app.casePath, app.dataVersion]);
  const history = useAsync(() => api.labelHistory(), [app.casePath, app.dataVersion]);
  void active;
  return (
    <div className="budgets" data-testid="labels">
      <div className="panel">
        <header>
          <h2>Labels</h2>
          <span className="muted">{labels.data?.length ?? 0}</span>
        </header>
        <div className="body flush scroll" style={{ maxHeight: '45vh' }}>
          {labels.error ? <div className="error-box">{labels.error}</div> : null}
          <table className="grid">
            <thead>
              <tr>
                <th>#</th>
                <th>Run</th>
                <th>Step</th>
                <th>Category</th>
                <th>Severity</th>
                <th>Verdict</th>
                <th>Corrected</th>
                <th>Note</th>
                <th>Author</th>
                <th>At</th>
              </tr>
            </thead>
            <tbody>
              {(labels.data ?? []).map((l) => (
                <tr key={l.id} style={{ cursor: 'pointer' }} onClick={() => app.openTab('run', { runId: l.runId, stepId: l.stepId ?? undefined }, l.runId.slice(0, 16))}>
                  <td className="num">{l.id}</td>
                  <td className="mono">{l.runId}</td>
                  <td className="mono ellipsis" style={{ maxWidth: 160 }}>
                    {l.stepId ?? '—'}
                  </td>
                  <td>{l.category}</td>
                  <td>{l.severity ?? '—'}</td>
                  <td>
                    <span className={`badge ${l.verdict === 'harmful' ? 'danger' : l.verdict === 'benign' ? 'ok' : 'warn'}`}>{l.verdict}</span>
                  </td>
                  <td className="mono ellipsis" style={{ maxWidth: 220 }}>
                    {oneLine(l.corrected, 80)}
                  </td>
                  <td className="ellipsis" style={{ maxWidth: 220 }}>
                    {l.note ?? ''}
                  </td>
                  <td>{l.author}</td>
                  <td className="mono">{l.at.slice(0, 19).replace('T', ' ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {labels.data?.length === 0 ? <div className="empty">No labels yet. Label runs in the run detail or the review queue.</div> : null}
        </div>
      </div>
      <div className="panel">
        <header>
          <h2>History (hash-chained)</h2>
          <span className="muted">{history.data?.length ?? 0} changes</span>
        </header>
        <div className="body flush scroll" style={{ maxHeight: '40vh' }}>
          <table className="grid">
            <thead>
              <tr>
                <th className="num">Seq</th>
                <th>Action</th>
                <th className="num">Label</th>
                <th>Author</th>
                <th>At</th>
                <th>Before</th>
                <th>After</th>
                <th>Hash</th>
              </tr>
            </thead>
            <tbody>
              {(history.data ?? []).map((h) => (
                <tr key={h.seq}>
                  <td className="num">{h.seq}</td>
                  <td>{h.action}</td>
                  <td className="num">{h.labelId}</td>
                  <td>{h.author}</td>
                  <td className="mono">{h.at.slice(0, 19).replace('T', ' ')}</td>
                  <td className="mono ellipsis" style={{ maxWidth: 200 }}>
                    {oneLine(h.before, 60)}
                  </td>
                  <td className="mono ellipsis" style={{ maxWidth: 200 }}>
                    {oneLine(h.after, 60)}
                  </td>
                  <td className="mono" title={`prev ${h.prevHash ?? '—'}\nhash ${h.hash}`}>
                    {h.hash.slice(0, 12)}…
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </div>
  );
}

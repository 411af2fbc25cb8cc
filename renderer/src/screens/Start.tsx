/** Start: open a bundle, open a case, open the sample incident; import progress with Cancel. */
import { useEffect, useState } from 'react';
import { useApp, type ImportState } from '../state/app';
import { api, inElectron, shell } from '../api/client';
import { recentCases, type RecentRow } from '../state/db';
import { basename, fmtBytes, fmtInt, fmtDuration } from '../lib/format';

export function ImportProgressView({ state, onCancel, onOpenOverview }: { state: ImportState; onCancel: () => void; onOpenOverview?: () => void }) {
  const p = state.progress;
  const done = !!state.result;
  const cancelled = !!state.result?.cancelled;
  const frac = done && !cancelled ? 1 : p && p.bytesTotal ? Math.min(1, p.bytesDone / p.bytesTotal) : 0;
  const elapsedUs = ((done ? Date.now() : Date.now()) - state.startedAt) * 1000;
  const totals = state.result?.totals;
  return (
    <div className="panel" data-testid="import-progress" data-state={state.error ? 'error' : cancelled ? 'cancelled' : done ? 'done' : 'running'}>
      <header>
        <h2>{done ? (cancelled ? 'Import cancelled' : 'Import complete') : state.error ? 'Import failed' : 'Importing'}</h2>
        <span className="muted ellipsis">{state.label}</span>
        <span className="grow" />
        {!done && !state.error ? (
          <button className="btn small danger" onClick={onCancel} data-testid="import-cancel">
            Cancel
          </button>
        ) : null}
        {done && !cancelled && onOpenOverview ? (
          <button className="btn small primary" onClick={onOpenOverview}>
            Open overview
          </button>
        ) : null}
      </header>
      <div className="body">
        <div
          className={`progress ${done ? (cancelled ? 'cancelled' : 'done') : ''}`}
          role="progressbar"
          aria-label="Import progress"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(frac * 100)}
        >
          <div style={{ width: `${(frac * 100).toFixed(1)}%` }} />
        </div>
        <div className="row muted" style={{ marginTop: 4, fontSize: 11 }}>
          <span className="ellipsis" style={{ flex: 1 }}>
            {p?.currentPath ? `reading ${p.currentPath}` : done ? `${state.result!.sources.length} sources` : 'starting…'}
          </span>
          <span className="nowrap">{(frac * 100).toFixed(1)}%</span>
        </div>
        <div className="progress-stats">
          <div className="stat">
            <div className="label">Bytes</div>
            <div className="value" data-testid="import-bytes">
              {p ? fmtBytes(p.bytesDone) : '—'}
            </div>
            <div className="sub">of {p ? fmtBytes(p.bytesTotal) : '—'}</div>
          </div>
          <div className="stat">
            <div className="label">Records</div>
            <div className="value" data-testid="import-records">
              {fmtInt(p?.records ?? 0)}
            </div>
            <div className="sub">{p ? `${fmtInt(p.sourcesDone)} sources done` : ''}</div>
          </div>
          <div className="stat">
            <div className="label">Rate</div>
            <div className="value">{p ? `${fmtInt(Math.round(p.recordsPerSec))}/s` : '—'}</div>
            <div className="sub">{p ? `${fmtBytes(p.bytesPerSec)}/s` : ''}</div>
          </div>
          <div className="stat">
            <div className="label">Quarantined</div>
            <div className={`value ${p && p.quarantined ? 'danger' : ''}`} data-testid="import-quarantined">
              {fmtInt(p?.quarantined ?? 0)}
            </div>
            <div className="sub">{p ? `${fmtInt(p.skipped)} skipped` : ''}</div>
          </div>
        </div>
        {totals ? (
          <div className="muted" style={{ marginTop: 8 }} data-testid="import-summary">
            {fmtInt(totals.runs)} runs · {fmtInt(totals.spans)} spans · {fmtInt(totals.auditEvents)} audit events · {fmtInt(totals.decisions)} decisions · {fmtInt(totals.lineageEvents)} lineage events · {fmtInt(totals.quarantined)} quarantined · {fmtDuration(elapsedUs)}
          </div>
        ) : null}
        {state.error ? <div className="error-box">{state.error}</div> : null}
        {state.result?.errors.length ? (
          <div className="error-box">
            {state.result.errors.map((e, i) => (
              <div key={i}>{e}</div>
            ))}
          </div>
        ) : null}
        {state.result?.manifestProblems.length ? (
          <div className="error-box" style={{ borderColor: 'var(--warn)', color: 'var(--warn)', background: 'var(--warn-bg)' }}>
            {state.result.manifestProblems.map((e, i) => (
              <div key={i}>manifest: {e}</div>
            ))}
          </div>
        ) : null}
      </div>
    </div>
  );
}

export function StartScreen() {
  const app = useApp();
  const [bundlePath, setBundlePath] = useState('');
  const [casePathInput, setCasePathInput] = useState('');
  const [recent, setRecent] = useState<Array<{ path: string; when: string }>>([]);
  const [over, setOver] = useState(false);

  useEffect(() => {
    void (async () => {
      const local: RecentRow[] = await recentCases();
      let remote: Array<{ path: string; openedAt: string }> = [];
      try {
        remote = await api.recentCases();
      } catch {}
      const m = new Map<string, string>();
      for (const r of remote) m.set(r.path, r.openedAt);
      for (const r of local) if (!m.has(r.path)) m.set(r.path, new Date(r.openedAt).toISOString());
      setRecent([...m].map(([path, when]) => ({ path, when })).sort((a, b) => b.when.localeCompare(a.when)).slice(0, 8));
    })();
  }, [app.casePath]);

  const importing = app.importState && !app.importState.result && !app.importState.error;

  const browse = async (kind: 'bundle' | 'case') => {
    const picked = await shell.pickPaths(kind);
    if (!picked.length) return;
    if (kind === 'bundle') void app.startImport(picked);
    else void app.openCase(picked[0]!);
  };

  return (
    <div className="start" data-testid="start-screen">
      <div className="start-grid">
        <div className="actions">
          <div>
            <h1>Casefile</h1>
            <div className="tagline">Offline incident forensics for AI systems: import the evidence, rebuild every run, measure against the risk budget, write the postmortem.</div>
          </div>
          <div className="panel">
            <header>
              <h2>Open an incident bundle</h2>
            </header>
            <div className="body col">
              <form
                className="action-row"
                onSubmit={(e) => {
                  e.preventDefault();
                  const paths = bundlePath.split(/\n|;/).map((s) => s.trim()).filter(Boolean);
                  if (paths.length) void app.startImport(paths);
                }}
              >
                <input className="input" placeholder="/path/to/bundle (folder, .zip or .tar.gz)" value={bundlePath} onChange={(e) => setBundlePath(e.target.value)} aria-label="Bundle path" data-testid="bundle-path" />
                {inElectron ? (
                  <button type="button" className="btn" onClick={() => void browse('bundle')}>
                    Browse…
                  </button>
                ) : null}
                <button className="btn primary" type="submit" disabled={!bundlePath.trim() || !!importing} data-testid="bundle-import">
                  Import
                </button>
              </form>
              <div
                className={`dropzone ${over ? 'over' : ''}`}
                onDragOver={(e) => {
                  e.preventDefault();
                  setOver(true);
                }}
                onDragLeave={() => setOver(false)}
                onDrop={(e) => {
                  e.preventDefault();
                  setOver(false);
                  if (!inElectron) app.toast('Dropping files works in the desktop app. Here, type the bundle path above.', 'info');
                }}
              >
                {inElectron ? 'Drop a bundle folder, .zip or .tar.gz anywhere on the window' : 'In the desktop app you can drop a bundle here'}
              </div>
            </div>
          </div>
          <div className="panel">
            <header>
              <h2>Open a case file</h2>
            </header>
            <div className="body col">
              <form
                className="action-row"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (casePathInput.trim()) void app.openCase(casePathInput.trim());
                }}
              >
                <input className="input" placeholder="/path/to/incident.casefile" value={casePathInput} onChange={(e) => setCasePathInput(e.target.value)} aria-label="Case path" />
                {inElectron ? (
                  <button type="button" className="btn" onClick={() => void browse('case')}>
                    Browse…
                  </button>
                ) : null}
                <button className="btn" type="submit" disabled={!casePathInput.trim()}>
                  Open
                </button>
              </form>
            </div>
          </div>
          <div className="panel">
            <header>
              <h2>Try it</h2>
            </header>
            <div className="body">
              <button className="big-link" onClick={() => void app.openSample()} disabled={!!importing} data-testid="open-sample">
                Open the sample incident
                <span className="sub">a unit-change bug in a refunds agent: cents written as dollars</span>
              </button>
            </div>
          </div>
          {app.importState ? <ImportProgressView state={app.importState} onCancel={() => void app.cancelImport()} onOpenOverview={() => app.openTab('overview')} /> : null}
        </div>
        <div className="actions">
          <div className="panel">
            <header>
              <h2>Recent cases</h2>
            </header>
            <div className="body flush">
              {recent.length === 0 ? <div className="empty">No recent cases yet.</div> : null}
              {recent.map((r) => (
                <button key={r.path} className="big-link" title={r.path} onClick={() => void app.openCase(r.path)}>
                  <span className="ellipsis">{basename(r.path)}</span>
                  <span className="sub">{r.when.slice(0, 16).replace('T', ' ')}</span>
                </button>
              ))}
            </div>
          </div>
          <div className="panel">
            <header>
              <h2>Keyboard</h2>
            </header>
            <div className="body">
              <table className="grid">
                <tbody>
                  {[
                    ['Command palette', 'Ctrl+Shift+P  ·  Ctrl+K'],
                    ['Screens', 'Alt+1 … Alt+9'],
                    ['Rows: down / up / open', 'j  k  Enter'],
                    ['Select row into the affected set', 'x  ·  Space'],
                    ['Focus the search box', '/'],
                    ['Toggle side bar', 'Ctrl+B'],
                    ['Close tab / next / previous', 'Alt+W  Alt+]  Alt+['],
                  ].map(([a, b]) => (
                    <tr key={a}>
                      <td>{a}</td>
                      <td className="num">
                        <kbd>{b}</kbd>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
        </div>
      </div>
    </div>
  );
}

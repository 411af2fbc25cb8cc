/**
 * Labels and their hash-chained history (who, when, before, after): the history of the evidence is evidence.
 * Also the case's label categories (the taxonomy the label editor and the review queue offer): add, remove.
 */
import { useMemo, useState } from 'react';
import type { Label } from '../../../shared/api';
import { api } from '../api/client';
import { useApp, useAsync, useTaxonomy } from '../state/app';
import { errorText, oneLine } from '../lib/format';

/** Category names as the store accepts them (electron/core/store/labels-store.ts setTaxonomy). */
const CATEGORY_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** "Unit Mix-up " → "unit-mix-up": what a typed name most likely meant, in the accepted form. */
export function normalizeCategory(s: string): string {
  return s
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-')
    .replace(/-+/g, '-');
}

/** Settings: the label categories of the case. A category still used by a label cannot be removed. */
export function TaxonomyPanel({ labels }: { labels: Label[] | null }) {
  const app = useApp();
  const { categories, error } = useTaxonomy();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const used = useMemo(() => {
    const m = new Map<string, number>();
    for (const l of labels ?? []) m.set(l.category, (m.get(l.category) ?? 0) + 1);
    return m;
  }, [labels]);
  const candidate = normalizeCategory(name);
  const problem = !candidate
    ? null
    : !CATEGORY_NAME.test(candidate)
      ? 'lowercase letters, digits and “-” only (up to 64)'
      : categories?.includes(candidate)
        ? 'already a category'
        : null;

  const save = async (next: string[], done: string) => {
    setBusy(true);
    try {
      await api.setTaxonomy(next);
      app.toast(done, 'ok');
      app.bumpData();
      return true;
    } catch (e) {
      app.toast(`The categories were not changed: ${errorText(e)}`, 'error');
      return false;
    } finally {
      setBusy(false);
    }
  };
  const add = async () => {
    if (!categories || !candidate || problem) return;
    if (await save([...categories, candidate], `Category ${candidate} added`)) setName('');
  };

  return (
    <div className="panel" data-testid="taxonomy">
      <header>
        <h2>Categories</h2>
        <span className="muted">{categories?.length ?? 0} · the label editor and the review queue offer these, in this order (keys 1…0 pick the first ten)</span>
      </header>
      <div className="body">
        {error ? <div className="error-box">{error}</div> : null}
        <div className="taxonomy-list" role="list" aria-label="Label categories">
          {(categories ?? []).map((c, i) => {
            const n = used.get(c) ?? 0;
            return (
              <span key={c} className="taxonomy-item" role="listitem" data-category={c}>
                {i < 10 ? <kbd>{(i + 1) % 10}</kbd> : null}
                <span className="mono">{c}</span>
                {n ? <span className="faint">· {n} label{n === 1 ? '' : 's'}</span> : null}
                <button
                  className="remove"
                  aria-label={`Remove category ${c}`}
                  title={n ? `In use by ${n} label${n === 1 ? '' : 's'}: it cannot be removed` : `Remove ${c}`}
                  disabled={busy || n > 0 || categories!.length <= 1}
                  onClick={() => void save(categories!.filter((x) => x !== c), `Category ${c} removed`)}
                >
                  ×
                </button>
              </span>
            );
          })}
        </div>
        <form
          className="row"
          style={{ marginTop: 8 }}
          onSubmit={(e) => {
            e.preventDefault();
            void add();
          }}
        >
          <input className="input" style={{ width: 240 }} placeholder="new category, e.g. unit-mixup" value={name} onChange={(e) => setName(e.target.value)} aria-label="New category" data-testid="taxonomy-new" />
          <button className="btn small" type="submit" disabled={busy || !categories || !candidate || !!problem} data-testid="taxonomy-add">
            Add category
          </button>
          {candidate && candidate !== name.trim() && !problem ? <span className="muted">adds “{candidate}”</span> : null}
          {problem ? <span style={{ color: 'var(--danger)' }}>{problem}</span> : null}
        </form>
      </div>
    </div>
  );
}

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
      <TaxonomyPanel labels={labels.data} />
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

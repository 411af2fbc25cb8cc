/**
 * Review queue over the affected set: one run at a time, keyboard shortcuts (n/p next/previous, s skip to
 * the next unreviewed, z undo, 1–0 category, h/b/u verdict, Ctrl+Enter save), progress "47 of 312 reviewed".
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Label, LabelInput, RunRow } from '../../../shared/api';
import { api } from '../api/client';
import { useApp, useAsync, useTaxonomy } from '../state/app';
import { LabelEditor } from '../components/LabelEditor';
import { DiffView, CodeView, toJsonText } from '../monaco/Editors';
import { errorText, fmtInt, fmtTime } from '../lib/format';

async function allAffected(): Promise<RunRow[]> {
  const out: RunRow[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 200; i++) {
    const page = await api.listRuns({ affectedOnly: true, sort: { by: 'started', dir: 'asc' }, limit: 1000, cursor });
    out.push(...page.rows);
    if (!page.nextCursor || page.rows.length === 0) break;
    cursor = page.nextCursor;
  }
  return out;
}

export function ReviewProgress({ reviewed, total }: { reviewed: number; total: number }) {
  return (
    <div className="progress-line" data-testid="review-progress">
      <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={reviewed} aria-label="Review progress">
        <div style={{ width: `${total ? (100 * reviewed) / total : 0}%` }} />
      </div>
      <span className="nowrap">
        <b>{fmtInt(reviewed)}</b> of {fmtInt(total)} reviewed
      </span>
    </div>
  );
}

export function ReviewScreen({ active }: { active: boolean }) {
  const app = useApp();
  const queue = useAsync(allAffected, [app.casePath]);
  const taxonomy = useTaxonomy();
  const [labels, setLabels] = useState<Label[]>([]);
  const [index, setIndex] = useState(0);
  const [busy, setBusy] = useState(false);
  const [undo, setUndo] = useState<Array<{ labelId: number; before: Label | null }>>([]);

  const refreshLabels = useCallback(async () => {
    try {
      setLabels(await api.labels());
    } catch {}
  }, []);
  useEffect(() => void refreshLabels(), [refreshLabels, app.casePath, app.dataVersion]);

  const runs = queue.data ?? [];
  const labelled = useMemo(() => new Set(labels.map((l) => l.runId)), [labels]);
  const reviewed = runs.filter((r) => labelled.has(r.runId)).length;
  const cur = runs[index];
  const run = useAsync(() => (cur ? api.getRun(cur.runId) : Promise.resolve(null)), [cur?.runId, app.dataVersion]);
  const curLabel = useMemo(() => labels.find((l) => l.runId === cur?.runId && l.stepId == null) ?? null, [labels, cur]);
  const write = run.data?.steps.find((s) => s.write?.diff.some((d) => d.note)) ?? run.data?.steps.find((s) => s.write);
  const input = run.data?.steps.find((s) => s.kind === 'input');
  const output = run.data?.steps.find((s) => s.kind === 'output');

  const go = useCallback((d: number) => setIndex((i) => Math.max(0, Math.min(runs.length - 1, i + d))), [runs.length]);
  const skip = useCallback(() => {
    for (let i = index + 1; i < runs.length; i++) if (!labelled.has(runs[i]!.runId)) return setIndex(i);
    app.toast('No unreviewed run after this one', 'info');
  }, [index, runs, labelled, app]);

  const save = async (input: LabelInput) => {
    setBusy(true);
    try {
      const before = input.id != null ? (labels.find((l) => l.id === input.id) ?? null) : null;
      const saved = await api.setLabel(input);
      setUndo((u) => [...u, { labelId: saved.id, before }]);
      await refreshLabels();
      app.bumpData();
      go(1);
    } catch (e) {
      app.toast(`Could not save the label: ${errorText(e)}`, 'error');
    } finally {
      setBusy(false);
    }
  };

  const undoLast = useCallback(async () => {
    const last = undo[undo.length - 1];
    if (!last) return app.toast('Nothing to undo', 'info');
    setBusy(true);
    try {
      if (last.before) {
        const b = last.before;
        await api.setLabel({ id: b.id, runId: b.runId, stepId: b.stepId, category: b.category, severity: b.severity, verdict: b.verdict, corrected: b.corrected, note: b.note });
      } else await api.deleteLabel(last.labelId);
      setUndo((u) => u.slice(0, -1));
      await refreshLabels();
      const l = last.before?.runId ?? labels.find((x) => x.id === last.labelId)?.runId;
      const i = runs.findIndex((r) => r.runId === l);
      if (i >= 0) setIndex(i);
      app.bumpData();
      app.toast('Undone', 'ok');
    } catch (e) {
      app.toast(`Undo failed: ${errorText(e)}`, 'error');
    } finally {
      setBusy(false);
    }
  }, [undo, labels, runs, app, refreshLabels]);

  useEffect(() => {
    if (!active) return;
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (t.closest('input, textarea, select, .monaco-editor') || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'n' || e.key === 'ArrowRight' || e.key === 'j') { e.preventDefault(); go(1); }
      else if (e.key === 'p' || e.key === 'ArrowLeft' || e.key === 'k') { e.preventDefault(); go(-1); }
      else if (e.key === 's') { e.preventDefault(); skip(); }
      else if (e.key === 'z') { e.preventDefault(); void undoLast(); }
      else if (e.key === 'o' && cur) app.openTab('run', { runId: cur.runId }, cur.runId.slice(0, 16));
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [active, go, skip, undoLast, cur, app]);

  if (queue.loading && !queue.data) return <div className="loading">Loading the affected set…</div>;
  if (queue.error) return <div className="error-box">{queue.error}</div>;
  if (!runs.length)
    return (
      <div className="empty">
        The affected set is empty. In <a href="#" onClick={(e) => (e.preventDefault(), app.openTab('runs'))}>Runs</a>, select runs (x) and add them, or save a filter as the affected set.
      </div>
    );

  return (
    <div className="review" data-testid="review">
      <div className="review-main">
        <div className="toolbar">
          <span className="title">Review queue</span>
          <div style={{ width: 280 }}>
            <ReviewProgress reviewed={reviewed} total={runs.length} />
          </div>
          <span className="grow" />
          <button className="btn small" onClick={() => go(-1)} disabled={index === 0} title="Previous (p)">
            ← Prev <kbd>p</kbd>
          </button>
          <span className="meta">
            {fmtInt(index + 1)} / {fmtInt(runs.length)}
          </span>
          <button className="btn small" onClick={() => go(1)} disabled={index >= runs.length - 1} title="Next (n)">
            Next → <kbd>n</kbd>
          </button>
          <button className="btn small" onClick={skip} title="Skip to the next unreviewed run (s)">
            Skip <kbd>s</kbd>
          </button>
          <button className="btn small" onClick={() => void undoLast()} disabled={!undo.length} title="Undo the last label change (z)">
            Undo <kbd>z</kbd>
          </button>
        </div>
        {cur ? (
          <div className="run-head">
            <span className="mono" style={{ fontWeight: 600 }}>
              {cur.runId}
            </span>
            {labelled.has(cur.runId) ? <span className="badge ok">reviewed</span> : <span className="badge">to review</span>}
            <span className="muted">{cur.workflow}</span>
            <span className="mono muted">{cur.modelVersion ?? 'model unknown'}</span>
            <span className="mono muted">{fmtTime(cur.startedAt)}</span>
            {cur.reasonCodes.map((c) => (
              <span key={c} className="chip">
                {c}
              </span>
            ))}
            <span className="grow" style={{ flex: 1 }} />
            <button className="btn small" onClick={() => app.openTab('run', { runId: cur.runId }, cur.runId.slice(0, 16))}>
              Open run <kbd>o</kbd>
            </button>
          </div>
        ) : null}
        {run.loading && !run.data ? <div className="loading">Loading run…</div> : null}
        {run.data ? (
          <div style={{ display: 'grid', gridTemplateRows: write ? '1fr 1fr' : '1fr', minHeight: 0, flex: 1 }}>
            <div style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', minHeight: 0, borderBottom: '1px solid var(--border)' }}>
              <div className="col" style={{ gap: 0, borderRight: '1px solid var(--border)' }}>
                <div className="notice">Input</div>
                <CodeView value={toJsonText(eventField(input?.data, 'input') ?? input?.text ?? null)} language="json" readOnly ariaLabel="Run input" />
              </div>
              <div className="col" style={{ gap: 0 }}>
                <div className="notice">Output</div>
                <CodeView value={toJsonText(eventField(output?.data, 'output') ?? output?.text ?? null)} language="json" readOnly ariaLabel="Run output" />
              </div>
            </div>
            {write?.write ? (
              <div className="col" style={{ gap: 0 }}>
                <div className="notice">
                  Write {write.write.system} · {write.write.record} · <span className="mono">{write.write.field}</span>
                  {write.write.diff
                    .filter((d) => d.note)
                    .map((d, i) => (
                      <span key={i} className="badge danger" style={{ marginLeft: 6 }}>
                        {d.note}
                      </span>
                    ))}
                </div>
                <DiffView original={toJsonText(write.write.before)} modified={toJsonText(write.write.after)} />
              </div>
            ) : null}
          </div>
        ) : null}
      </div>
      <div className="review-side">
        {cur ? (
          <LabelEditor
            runId={cur.runId}
            label={curLabel}
            categories={taxonomy.categories}
            categoriesError={taxonomy.error}
            shortcuts={active}
            busy={busy}
            suggestCorrected={write?.write ? { [write.write.field]: write.write.after } : undefined}
            onSave={save}
            onDelete={async (id) => {
              setBusy(true);
              try {
                await api.deleteLabel(id);
                setUndo((u) => [...u, { labelId: id, before: curLabel }]);
                await refreshLabels();
                app.bumpData();
              } catch (e) {
                app.toast(errorText(e), 'error');
              } finally {
                setBusy(false);
              }
            }}
          />
        ) : null}
        <div className="muted" style={{ fontSize: 11 }}>
          <kbd>1</kbd>…<kbd>0</kbd> category · <kbd>h</kbd>/<kbd>b</kbd>/<kbd>u</kbd> verdict · <kbd>n</kbd>/<kbd>p</kbd> next/previous · <kbd>s</kbd> skip · <kbd>z</kbd> undo · <kbd>o</kbd> open run
        </div>
      </div>
    </div>
  );
}

/** The input/output of an audit event record (falls back to the whole record for other sources). */
function eventField(data: unknown, field: 'input' | 'output'): unknown {
  const ev = (data as { event?: Record<string, unknown> } | null)?.event;
  return ev && field in ev ? ev[field] : data;
}

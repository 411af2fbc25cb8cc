/**
 * Run detail: the waterfall (canvas), a step inspector (Monaco, read-only JSON), writes in Monaco's diff
 * editor, decisions with reason codes, completeness findings, the source file and line of every step, the
 * point-in-time lineage of the model used, and the run's labels.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Label, LabelInput, LineageGraph, ReconstructedRun, Step } from '../../../shared/api';
import { api } from '../api/client';
import { useApp, useAsync, useTaxonomy } from '../state/app';
import { Waterfall, KIND_COLORS, type WaterfallHandle } from '../components/Waterfall';
import { VirtualTable, type Column } from '../components/VirtualTable';
import { CodeView, DiffView, toJsonText } from '../monaco/Editors';
import { LabelEditor } from '../components/LabelEditor';
import { basename, errorText, fmtDuration, fmtInt, fmtTime, oneLine } from '../lib/format';
import { RunSteps, spanCount } from '../../../shared/run-columns';

type SideTab = 'steps' | 'writes' | 'decisions' | 'findings' | 'lineage' | 'labels';

export function sourceText(s: Step['source']): string {
  return `${basename(s.path)}${s.line != null ? `:${s.line}` : ''}${s.jsonPath ? ` ${s.jsonPath}` : ''}`;
}

export function LineagePanel({ lineage, model, onOpenGraph }: { lineage: LineageGraph; model: ReconstructedRun['modelVersion']; onOpenGraph?: () => void }) {
  const byKind = (k: string) => lineage.nodes.filter((n) => n.kind === k);
  const datasets = byKind('dataset');
  const jobs = byKind('job-run');
  return (
    <div className="scroll" style={{ padding: '8px 10px' }} data-testid="lineage-panel">
      <div className="row" style={{ marginBottom: 6 }}>
        <h2>Model</h2>
        <span className="mono">{model.value ?? 'unknown'}</span>
        {model.source ? <span className="badge">from {model.source}</span> : <span className="badge warn">no model version recorded</span>}
        <span className="grow" />
        {onOpenGraph && model.value ? (
          <button className="btn small" onClick={onOpenGraph}>
            Open lineage graph
          </button>
        ) : null}
      </div>
      <div className="muted" style={{ marginBottom: 8 }}>
        Resolved as of {fmtTime(lineage.asOf)} UTC (what was true when the run happened)
      </div>
      <h3 style={{ margin: '6px 0 3px' }}>Training runs ({jobs.length})</h3>
      {jobs.map((n) => (
        <div key={n.id} className="finding">
          <span className={`badge ${n.valid === false ? 'danger' : 'info'}`}>{n.state ?? 'run'}</span>
          <span className="mono ellipsis">{n.label}</span>
          <span className="faint">{fmtTime(n.at ?? null)}</span>
        </div>
      ))}
      <h3 style={{ margin: '8px 0 3px' }}>Dataset versions ({datasets.length})</h3>
      {datasets.map((n) => (
        <div key={n.id} className="finding" data-testid="lineage-dataset">
          <span className="badge ok">dataset</span>
          <span className="mono ellipsis" title={`${n.namespace ?? ''} ${n.name ?? ''}`}>
            {n.name ?? n.label}
          </span>
          <span className="chip">{n.version ?? 'unversioned'}</span>
        </div>
      ))}
      {lineage.findings.map((f, i) => (
        <div key={`f${i}`} className="finding">
          <span className={`badge ${f.severity === 'error' ? 'danger' : 'warn'}`}>{f.code}</span>
          <span>{f.message}</span>
        </div>
      ))}
      {lineage.nodes.length === 0 ? <div className="muted">No lineage for this model version at that time.</div> : null}
    </div>
  );
}

/**
 * The step to inspect, whole: a large run comes without the records of its span and log steps
 * (`dataOmitted`), so the selected one is fetched with getStep.
 */
export function useFullStep(runId: string, step: Step | null): { step: Step | null; loading: boolean; error: string | null } {
  const omitted = step?.dataOmitted ? step.id : null;
  const full = useAsync(() => (omitted ? api.getStep(runId, omitted) : Promise.resolve(null)), [runId, omitted]);
  if (!step || !omitted) return { step, loading: false, error: null };
  if (full.data?.id === omitted) return { step: full.data, loading: false, error: null };
  return { step, loading: full.loading, error: full.error };
}

export function StepInspector({ step, loading, error }: { step: Step | null; loading?: boolean; error?: string | null }) {
  const [view, setView] = useState<'json' | 'diff'>('json');
  useEffect(() => setView(step?.write ? 'diff' : 'json'), [step]);
  if (!step) return <div className="empty">Select a step in the waterfall or the list.</div>;
  return (
    <div className="inspector" data-testid="step-inspector">
      <div className="meta">
        <span className="k">Step</span>
        <span className="v mono" title={step.id}>
          {step.id}
        </span>
        <span className="k">Kind</span>
        <span className="v">{step.kind}</span>
        <span className="k">At</span>
        <span className="v mono">
          {fmtTime(step.at)}
          {step.endAt != null && step.at != null ? ` (+${fmtDuration(step.endAt - step.at)})` : ''}
        </span>
        <span className="k">Source</span>
        <span className="v mono" title={[step.source, ...step.alsoIn].map((s) => `${s.path}${s.line != null ? `:${s.line}` : ''}`).join('\n')} data-testid="step-source">
          {sourceText(step.source)}
          {step.alsoIn.length ? ` +${step.alsoIn.length}` : ''}
        </span>
        <span className="k">Linked by</span>
        <span className="v">
          {step.link.rule}
          {step.link.inferred ? <span className="badge warn" style={{ marginLeft: 4 }}>inferred</span> : null}
        </span>
        <span className="k">Actor</span>
        <span className="v">{step.actor ?? '—'}</span>
        {step.model ? (
          <>
            <span className="k">Model</span>
            <span className="v mono">{[step.model.provider, step.model.name, step.model.version].filter(Boolean).join(' / ') || '—'}</span>
          </>
        ) : null}
        {step.decision ? (
          <>
            <span className="k">Decision</span>
            <span className="v">
              <span className={`chip ${step.decision.decision === 'deny' ? 'danger' : ''}`}>{step.decision.decision}</span>
              {step.decision.reasonCodes.map((c) => (
                <span key={c} className="chip">
                  {c}
                </span>
              ))}
            </span>
          </>
        ) : null}
      </div>
      <div className="subtabs">
        <button className={view === 'json' ? 'active' : ''} onClick={() => setView('json')}>
          Record (JSON)
        </button>
        {step.write ? (
          <button className={view === 'diff' ? 'active' : ''} onClick={() => setView('diff')} data-testid="write-diff-tab">
            Write: before → after
          </button>
        ) : null}
      </div>
      {view === 'diff' && step.write ? (
        <div className="col grow" style={{ gap: 0 }}>
          <div className="notice">
            <b>{step.write.system}</b> · {step.write.record} · <span className="mono">{step.write.field}</span>
            {step.write.unit ? ` · unit ${step.write.unit}` : ''}
            {step.write.diff.map((d, i) => (
              <span key={i} className={`badge ${d.note ? 'danger' : 'warn'}`} style={{ marginLeft: 6 }} data-testid="write-diff-note">
                {d.pointer || '(value)'} {d.op}
                {d.note ? `: ${d.note}` : ''}
              </span>
            ))}
          </div>
          <DiffView original={toJsonText(step.write.before)} modified={toJsonText(step.write.after)} testId="write-diff" />
        </div>
      ) : step.dataOmitted ? (
        error ? (
          <div className="error-box">The record of this step could not be loaded: {error}</div>
        ) : (
          <div className="loading" data-testid="step-json-loading">
            {loading === false ? 'The record of this step was left out of this large run.' : 'Loading the record of this step…'}
          </div>
        )
      ) : (
        <CodeView value={toJsonText(step.data)} language="json" readOnly ariaLabel="Step record (read-only JSON)" testId="step-json" />
      )}
    </div>
  );
}

export function RunDetailScreen({ runId, focusStep, active }: { runId: string; focusStep?: string; active: boolean }) {
  const app = useApp();
  const { data: run, error, loading, reload } = useAsync(() => api.getRun(runId), [runId, app.dataVersion]);
  const [stepId, setStepId] = useState<string | null>(focusStep ?? null);
  const [side, setSide] = useState<SideTab>('steps');
  const [cursor, setCursor] = useState(0);
  const [compareWith, setCompareWith] = useState('');
  const [editing, setEditing] = useState<Label | null>(null);
  const wf = useRef<WaterfallHandle>(null);

  // every step, in time order (steps without a time first); a large run's span and log steps are read from
  // its columns, one at a time, as the list and the waterfall show them
  const runSteps = useMemo(() => (run ? new RunSteps(run) : null), [run]);
  const step = useMemo(() => (runSteps && stepId ? runSteps.byId(stepId) : null), [runSteps, stepId]);
  const inspected = useFullStep(runId, step);
  const taxonomy = useTaxonomy();
  // writes and decisions are never column steps: the run's step objects have them all, in order
  const objects = useMemo(() => (run ? run.steps.slice().sort((a, b) => (a.at ?? 0) - (b.at ?? 0)) : []), [run]);
  const writes = useMemo(() => objects.filter((s) => s.write), [objects]);
  const decisions = useMemo(() => objects.filter((s) => s.decision), [objects]);

  // open on the first wrong-looking write, else the first write, else nothing
  useEffect(() => {
    if (!run || stepId) return;
    const w = run.steps.find((s) => s.write?.diff.some((d) => d.note)) ?? run.steps.find((s) => s.write);
    if (w) setStepId(w.id);
  }, [run, stepId]);

  if (loading && !run) return <div className="loading">Rebuilding run {runId}…</div>;
  if (error) return <div className="error-box">{error}</div>;
  if (!run || !runSteps) return null;

  const duration = run.startedAt != null && run.endedAt != null ? run.endedAt - run.startedAt : null;
  const stepCols: Array<Column<Step>> = [
    { id: 'at', title: 'At (UTC)', width: 92, render: (s) => <span className="mono">{fmtTime(s.at, false)}</span> },
    {
      id: 'kind',
      title: 'Kind',
      width: 92,
      render: (s) => (
        <span className="row" style={{ gap: 5 }}>
          <span className="kind-dot" style={{ background: `var(${KIND_COLORS[s.kind] ?? '--accent'})` }} />
          {s.kind}
        </span>
      ),
    },
    { id: 'title', title: 'Title', width: 200, render: (s) => <span className="ellipsis">{s.title}</span> },
    { id: 'source', title: 'Source file : line', width: 190, render: (s) => <span className="mono ellipsis" title={s.source.path}>{sourceText(s.source)}</span> },
  ];

  const saveLabel = async (input: LabelInput) => {
    try {
      await api.setLabel(input);
      app.toast('Label saved', 'ok');
      setEditing(null);
      app.bumpData();
      reload();
    } catch (e) {
      app.toast(`Could not save the label: ${errorText(e)}`, 'error');
    }
  };

  return (
    <div className="rundetail" data-testid="run-detail" data-run={run.runId}>
      <div className="run-head">
        <h1 className="mono" style={{ fontSize: 14 }}>
          {run.runId}
        </h1>
        <span className="kv">
          <span className="k">workflow</span> {run.workflow ?? '—'}
        </span>
        <span className="kv">
          <span className="k">tier</span> {run.tier ?? '—'}
        </span>
        <span className="kv">
          <span className="k">model</span>
          <span className="mono">{run.modelVersion.value ?? <span className="badge warn">unknown</span>}</span>
        </span>
        <span className="kv">
          <span className="k">started</span>
          <span className="mono">{fmtTime(run.startedAt)}</span>
        </span>
        <span className="kv">
          <span className="k">duration</span> {fmtDuration(duration)}
        </span>
        <span className="kv">
          <span className="k">steps</span> {fmtInt(runSteps.count)} <span className="k">spans</span> {fmtInt(spanCount(run))}
        </span>
        {run.findings.length ? <span className="badge warn">{run.findings.length} findings</span> : <span className="badge ok">complete</span>}
        {run.labels.map((l) => (
          <span key={l.id} className={`badge ${l.verdict === 'harmful' ? 'danger' : l.verdict === 'benign' ? 'ok' : 'warn'}`}>
            {l.category}
          </span>
        ))}
        {run.inAffectedSet ? <span className="badge info">affected set</span> : null}
      </div>
      <div className="waterfall-wrap">
        <div className="waterfall-tools">
          <b>Waterfall</b>
          <span className="muted ellipsis" style={{ flex: 1 }} title="Ctrl+wheel or W/S zoom · drag or A/D pan · click ▶ to collapse · double-click or Enter zooms to a row · 0 fits">
            Ctrl+wheel or W/S zoom · drag or A/D pan · ▶ collapses · double-click zooms to a row
          </span>
                <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (compareWith.trim()) app.openTab('compare', { a: run.runId, b: compareWith.trim() }, `${run.runId.slice(0, 8)} ↔ ${compareWith.trim().slice(0, 8)}`);
          }}
        >
          <input className="input" style={{ width: 150, height: 20 }} placeholder="compare with run id…" value={compareWith} onChange={(e) => setCompareWith(e.target.value)} aria-label="Compare with run" />
          <button className="btn small" type="submit" disabled={!compareWith.trim()}>
            Compare
          </button>
        </form>
          <button className="btn small" onClick={() => wf.current?.zoomBy(1.6)} aria-label="Zoom in">
            +
          </button>
          <button className="btn small" onClick={() => wf.current?.zoomBy(1 / 1.6)} aria-label="Zoom out">
            −
          </button>
          <button className="btn small" onClick={() => wf.current?.reset()}>
            Fit
          </button>
          <button className="btn small" onClick={() => wf.current?.collapseAll()}>
            Collapse all
          </button>
          <button className="btn small" onClick={() => wf.current?.expandAll()}>
            Expand all
          </button>
        </div>
        <Waterfall
          run={run}
          steps={runSteps}
          selectedStepId={stepId}
          onSelect={(r) => {
            if (r.stepId) setStepId(r.stepId);
          }}
          theme={app.theme}
          handle={wf}
          initialRange={run.startedAt != null && run.endedAt != null && run.endedAt > run.startedAt ? [run.startedAt, run.endedAt] : null}
          active={active}
        />
      </div>
      <div className="splitter" />
      <div className="detail-bottom">
        <div className="detail-side">
          <div className="subtabs" role="tablist">
            {(
              [
                ['steps', 'Steps', runSteps.count],
                ['writes', 'Writes', writes.length],
                ['decisions', 'Decisions', decisions.length],
                ['findings', 'Findings', run.findings.length],
                ['lineage', 'Lineage', run.lineage.nodes.length],
                ['labels', 'Labels', run.labels.length],
              ] as Array<[SideTab, string, number]>
            ).map(([k, t, n]) => (
              <button key={k} role="tab" aria-selected={side === k} className={side === k ? 'active' : ''} onClick={() => setSide(k)} data-testid={`run-tab-${k}`}>
                {t}
                <span className="badge">{n}</span>
              </button>
            ))}
          </div>
          {side === 'steps' ? (
            <div className="step-list col grow" style={{ gap: 0 }}>
              <VirtualTable<Step>
                ariaLabel="Steps"
                columns={stepCols}
                rowCount={runSteps.count}
                getRow={(i) => runSteps.at(i)}
                rowKey={(s, i) => s?.id ?? i}
                cursor={cursor}
                onCursor={(i) => {
                  setCursor(i);
                  if (i >= 0 && i < runSteps.count) setStepId(runSteps.idAt(i));
                }}
                onOpen={(_, s) => setStepId(s.id)}
                isSelected={(s) => s.id === stepId}
              />
            </div>
          ) : null}
          {side === 'writes' ? (
            <div className="scroll grow">
              {writes.length === 0 ? <div className="empty">No writes in this run.</div> : null}
              {writes.map((s) => (
                <div key={s.id} className="decision-row" style={{ cursor: 'pointer', background: s.id === stepId ? 'var(--bg-selected)' : undefined }} onClick={() => setStepId(s.id)} data-testid="write-row">
                  <span className="chip">{s.write!.system}</span>
                  <span className="mono">
                    {s.write!.record}.{s.write!.field}
                  </span>
                  <span className="mono">{oneLine(s.write!.before, 40)}</span>→<span className="mono">{oneLine(s.write!.after, 40)}</span>
                  {s.write!.diff.filter((d) => d.note).map((d, i) => (
                    <span key={i} className="badge danger">
                      {d.note}
                    </span>
                  ))}
                  <span className="faint">{sourceText(s.source)}</span>
                </div>
              ))}
            </div>
          ) : null}
          {side === 'decisions' ? (
            <div className="scroll grow">
              {decisions.length === 0 ? <div className="empty">No policy decisions in this run.</div> : null}
              {decisions.map((s) => (
                <div key={s.id} className="decision-row" style={{ cursor: 'pointer', background: s.id === stepId ? 'var(--bg-selected)' : undefined }} onClick={() => setStepId(s.id)}>
                  <span className={`badge ${s.decision!.decision === 'deny' ? 'danger' : s.decision!.decision === 'escalate' ? 'warn' : 'ok'}`}>{s.decision!.decision}</span>
                  <span className="mono">
                    {s.decision!.policyId ?? '—'}
                    {s.decision!.policyVersion ? `@${s.decision!.policyVersion}` : ''}
                  </span>
                  {s.decision!.reasonCodes.map((c) => (
                    <span key={c} className="chip">
                      {c}
                    </span>
                  ))}
                  {!s.decision!.found ? <span className="badge warn">decision log not found</span> : null}
                  <span className="faint">{fmtTime(s.at, false)}</span>
                </div>
              ))}
            </div>
          ) : null}
          {side === 'findings' ? (
            <div className="scroll grow">
              {run.findings.length === 0 ? <div className="empty">The evidence for this run is complete.</div> : null}
              {run.findings.map((f, i) => (
                <div key={i} className="finding" style={{ cursor: f.stepId ? 'pointer' : undefined }} onClick={() => f.stepId && setStepId(f.stepId)}>
                  <span className={`badge ${f.severity === 'error' ? 'danger' : f.severity === 'warning' ? 'warn' : 'info'}`}>{f.severity}</span>
                  <span className="code">{f.code}</span>
                  <span>{f.message}</span>
                </div>
              ))}
            </div>
          ) : null}
          {side === 'lineage' ? <LineagePanel lineage={run.lineage} model={run.modelVersion} onOpenGraph={() => app.openTab('lineage', { modelVersion: run.modelVersion.value ?? undefined, asOf: run.lineage.asOf })} /> : null}
          {side === 'labels' ? (
            <div className="scroll grow" style={{ padding: 10 }}>
              {run.labels.map((l) => (
                <div key={l.id} className="decision-row" style={{ cursor: 'pointer' }} onClick={() => setEditing(l)}>
                  <span className={`badge ${l.verdict === 'harmful' ? 'danger' : l.verdict === 'benign' ? 'ok' : 'warn'}`}>{l.verdict}</span>
                  <span>{l.category}</span>
                  {l.severity ? <span className="chip">{l.severity}</span> : null}
                  <span className="faint">{l.stepId ?? 'whole run'}</span>
                  <span className="faint">{l.author}</span>
                </div>
              ))}
              <div style={{ marginTop: 10 }}>
                <LabelEditor
                  runId={run.runId}
                  stepId={editing ? editing.stepId : (step?.id ?? null)}
                  label={editing}
                  categories={taxonomy.categories}
                  categoriesError={taxonomy.error}
                  suggestCorrected={!editing && step?.write ? { [step.write.field]: step.write.after } : undefined}
                  onSave={saveLabel}
                  onDelete={async (id) => {
                    try {
                      await api.deleteLabel(id);
                      setEditing(null);
                      app.bumpData();
                      reload();
                    } catch (e) {
                      app.toast(errorText(e), 'error');
                    }
                  }}
                />
                {editing ? (
                  <button className="btn small" style={{ marginTop: 6 }} onClick={() => setEditing(null)}>
                    New label instead
                  </button>
                ) : null}
              </div>
            </div>
          ) : null}
        </div>
        <StepInspector step={inspected.step} loading={inspected.loading} error={inspected.error} />
      </div>
    </div>
  );
}

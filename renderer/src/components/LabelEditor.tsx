/**
 * Label editor for a run or a step: category (digit shortcuts), severity, verdict (h/b/u), the corrected
 * output or write as JSON in Monaco, and a note. Props in, callbacks out: the categories are the case's
 * taxonomy (CasefileApi.taxonomy, via useTaxonomy), edited in the Labels screen.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Label, LabelInput, Verdict } from '../../../shared/api';
import { CodeView, toJsonText } from '../monaco/Editors';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'];
const VERDICTS: Verdict[] = ['harmful', 'benign', 'unsure'];

export interface LabelEditorProps {
  runId: string;
  stepId?: string | null;
  /** the label being edited (null: a new one) */
  label: Label | null;
  /** the case's taxonomy, in order (null while it loads) */
  categories: string[] | null;
  /** why the categories could not be loaded */
  categoriesError?: string | null;
  /** value the corrected JSON starts from for a new label (e.g. the write's `after`) */
  suggestCorrected?: unknown;
  onSave: (input: LabelInput) => Promise<void> | void;
  onDelete?: (id: number) => Promise<void> | void;
  /** when true, digit/h/b/u shortcuts work while focus is not in a text field */
  shortcuts?: boolean;
  busy?: boolean;
}

const NO_CATEGORIES: string[] = [];

export function LabelEditor({ runId, stepId, label, categories: loaded, categoriesError, suggestCorrected, onSave, onDelete, shortcuts, busy }: LabelEditorProps) {
  const categories = loaded ?? NO_CATEGORIES;
  const [category, setCategory] = useState(label?.category ?? '');
  const [severity, setSeverity] = useState<string>(label?.severity ?? '');
  const [verdict, setVerdict] = useState<Verdict>(label?.verdict ?? 'harmful');
  const [corrected, setCorrected] = useState(() => (label ? toJsonText(label.corrected ?? null) : suggestCorrected !== undefined ? toJsonText(suggestCorrected) : ''));
  const [note, setNote] = useState(label?.note ?? '');

  useEffect(() => {
    setCategory(label?.category ?? '');
    setSeverity(label?.severity ?? '');
    setVerdict(label?.verdict ?? 'harmful');
    setCorrected(label ? (label.corrected == null ? '' : toJsonText(label.corrected)) : suggestCorrected !== undefined ? toJsonText(suggestCorrected) : '');
    setNote(label?.note ?? '');
  }, [label, runId, stepId, suggestCorrected]);

  const parsed = useMemo((): { ok: true; value: unknown } | { ok: false; error: string } => {
    if (!corrected.trim()) return { ok: true, value: null };
    try {
      return { ok: true, value: JSON.parse(corrected) };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }, [corrected]);

  const save = () => {
    if (!category || !parsed.ok) return;
    void onSave({ id: label?.id ?? null, runId, stepId: stepId ?? null, category, severity: severity || null, verdict, corrected: parsed.value, note: note.trim() || null });
  };

  const saveRef = useRef(save);
  saveRef.current = save;

  useEffect(() => {
    if (!shortcuts) return;
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !t.closest('.monaco-editor')) {
        e.preventDefault();
        saveRef.current();
        return;
      }
      if (t.closest('input, textarea, select, .monaco-editor, [contenteditable]') || e.ctrlKey || e.metaKey || e.altKey) return;
      if (/^[0-9]$/.test(e.key)) {
        const i = e.key === '0' ? 9 : Number(e.key) - 1;
        const c = categories[i];
        if (c) { setCategory(c); e.preventDefault(); }
      } else if (e.key === 'h') setVerdict('harmful');
      else if (e.key === 'b') setVerdict('benign');
      else if (e.key === 'u') setVerdict('unsure');
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [shortcuts, categories]);

  return (
    <div className="label-editor" data-testid="label-editor">
      <div className="row">
        <h2>{label ? `Edit label #${label.id}` : 'New label'}</h2>
        <span className="muted ellipsis">{stepId ? `step ${stepId}` : `run ${runId}`}</span>
      </div>
      <div className="cats" role="radiogroup" aria-label="Category">
        {loaded === null ? <span className="muted">{categoriesError ? `Categories could not be loaded: ${categoriesError}` : 'Loading categories…'}</span> : null}
        {loaded?.length === 0 ? <span className="muted">No categories: add some in the Labels screen.</span> : null}
        {categories.map((c, i) => (
          <button key={c} role="radio" aria-checked={category === c} className={category === c ? 'on' : ''} onClick={() => setCategory(c)} title={`${c}${i < 10 ? ` (${(i + 1) % 10})` : ''}`}>
            {i < 10 ? <kbd>{(i + 1) % 10}</kbd> : null}
            {c}
          </button>
        ))}
      </div>
      <div className="row" style={{ flexWrap: 'wrap' }}>
        <div className="seg" role="radiogroup" aria-label="Verdict">
          {VERDICTS.map((v) => (
            <button key={v} role="radio" aria-checked={verdict === v} className={verdict === v ? 'on' : ''} onClick={() => setVerdict(v)} title={`${v} (${v[0]})`}>
              {v}
            </button>
          ))}
        </div>
        <select className="input" value={severity} onChange={(e) => setSeverity(e.target.value)} aria-label="Severity">
          <option value="">severity…</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <label className="field">
        Corrected output or write (JSON)
        <div className="corrected">
          <CodeView value={corrected} language="json" onChange={setCorrected} ariaLabel="Corrected value (JSON)" testId="corrected-editor" />
        </div>
        {!parsed.ok ? <span style={{ color: 'var(--danger)' }}>Not JSON: {parsed.error}</span> : null}
      </label>
      <label className="field">
        Note
        <textarea className="input" rows={2} value={note} onChange={(e) => setNote(e.target.value)} />
      </label>
      <div className="row">
        <button className="btn primary" onClick={save} disabled={!category || !parsed.ok || busy} data-testid="label-save">
          {label ? 'Update label' : 'Save label'}
        </button>
        {label && onDelete ? (
          <button className="btn danger" onClick={() => void onDelete(label.id)} disabled={busy}>
            Delete
          </button>
        ) : null}
        <span className="muted">{label ? `by ${label.author} · ${label.at.slice(0, 19).replace('T', ' ')}` : ''}</span>
      </div>
    </div>
  );
}

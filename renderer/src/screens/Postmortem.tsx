/**
 * The postmortem: on a case with none saved yet, the blameless template the core generates from the evidence
 * (getPostmortem at revision 0), saved into the case at the first edit. Markdown in Monaco with a live preview (markdown-it with html:false via shared/markdown,
 * then DOMPurify as defence in depth), evidence embeds [[run:ID]] / [[step:ID]] as cards, blameless-language
 * hints (advice, never blocking), and never losing typing: every change is journaled to Dexie within a
 * second and saved durably into the case; after a crash the newer draft is restored.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import DOMPurify from 'dompurify';
import type * as M from 'monaco-editor/editor/editor.api';
import type { Label, Postmortem, ReconstructedRun } from '../../../shared/api';
import { renderMarkdown, escapeHtml } from '../../../shared/markdown';
import { checkBlameless, type BlameFlag } from '../../../shared/blameless';
import { api } from '../api/client';
import { useApp } from '../state/app';
import { clearDraft, journalDraft, loadDraft } from '../state/db';
import { CodeView } from '../monaco/Editors';
import { errorText, fmtTime } from '../lib/format';

const JOURNAL_MS = 250; // ≤ 1 s from keystroke to IndexedDB
const SAVE_MS = 1500; // durable save into the case

/** Markdown → sanitized HTML. Embeds become inert placeholders filled in as text afterwards. */
export function renderPreviewHtml(markdown: string): string {
  const html = renderMarkdown(markdown, {
    renderEmbed: (e) => `<span class="evidence-card" data-embed-kind="${e.kind}" data-embed-id="${escapeHtml(e.id)}" tabindex="0" role="link"><span class="ec-title">${e.kind} ${escapeHtml(e.id)}</span></span>`,
  });
  return DOMPurify.sanitize(html, {
    ALLOWED_ATTR: ['href', 'title', 'class', 'data-embed-kind', 'data-embed-id', 'tabindex', 'role', 'align', 'colspan', 'rowspan', 'start', 'id'],
    FORBID_TAGS: ['style', 'script', 'iframe', 'object', 'embed', 'form', 'input', 'img', 'svg', 'math'],
    ALLOW_DATA_ATTR: false,
  });
}

interface CardInfo {
  title: string;
  sub: string;
  harmful: boolean;
  missing: boolean;
}

function runCard(r: ReconstructedRun): CardInfo {
  const harmful = r.labels.some((l) => l.verdict === 'harmful');
  const write = r.steps.find((s) => s.write);
  return {
    title: `run ${r.runId}`,
    sub: [r.workflow, r.modelVersion.value, fmtTime(r.startedAt), r.labels.map((l) => `${l.category} (${l.verdict})`).join(', '), write?.write ? `${write.write.field}: ${JSON.stringify(write.write.before)} → ${JSON.stringify(write.write.after)}` : ''].filter(Boolean).join(' · '),
    harmful,
    missing: false,
  };
}

export function PostmortemScreen({ active }: { active: boolean }) {
  const app = useApp();
  const casePath = app.casePath;
  const [pm, setPm] = useState<Postmortem | null>(null);
  const [text, setText] = useState('');
  const [status, setStatus] = useState<'loading' | 'template' | 'saved' | 'journaled' | 'saving' | 'error' | 'restored'>('loading');
  const [restoredFrom, setRestoredFrom] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [preview, setPreview] = useState('');
  const [cards, setCards] = useState<Map<string, CardInfo>>(new Map());
  const [labels, setLabels] = useState<Label[]>([]);
  const editor = useRef<M.editor.IStandaloneCodeEditor | null>(null);
  const monacoRef = useRef<typeof M | null>(null);
  const previewRef = useRef<HTMLDivElement>(null);
  const base = useRef(0);
  const textRef = useRef('');
  const journalTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const saveTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const lastJournal = useRef(0);

  // load: the saved revision, and a newer draft from the journal if there is one
  useEffect(() => {
    if (!casePath) return;
    let live = true;
    void (async () => {
      try {
        const saved = await api.getPostmortem();
        const draft = await loadDraft(casePath);
        if (!live) return;
        setPm(saved);
        base.current = saved.revision;
        const savedAt = saved.updatedAt ? Date.parse(saved.updatedAt) : 0;
        if (draft && draft.markdown !== saved.markdown && draft.baseRevision >= saved.revision && draft.journaledAt > savedAt - 1000) {
          textRef.current = draft.markdown;
          setText(draft.markdown);
          setRestoredFrom(draft.journaledAt);
          setStatus('restored');
          scheduleSave();
        } else {
          textRef.current = saved.markdown;
          setText(saved.markdown);
          setStatus(saved.revision === 0 ? 'template' : 'saved');
          if (draft) void clearDraft(casePath);
        }
      } catch (e) {
        setError(errorText(e));
        setStatus('error');
      }
    })();
    void api.labels().then((l) => live && setLabels(l)).catch(() => {});
    return () => {
      live = false;
    };
     
  }, [casePath]);

  const saveNow = useCallback(async () => {
    if (!casePath) return;
    const md = textRef.current;
    setStatus('saving');
    try {
      const r = await api.savePostmortem(md, base.current);
      base.current = r.revision;
      setPm(r);
      if (textRef.current === md) {
        setStatus('saved');
        void journalDraft({ casePath, markdown: md, baseRevision: r.revision, journaledAt: Date.now() });
      }
    } catch (e) {
      setError(`Not saved into the case (the draft is kept in the journal): ${errorText(e)}`);
      setStatus('error');
    }
  }, [casePath]);

  const scheduleSave = useCallback(() => {
    if (saveTimer.current) clearTimeout(saveTimer.current);
    saveTimer.current = setTimeout(() => void saveNow(), SAVE_MS);
  }, [saveNow]);

  const onChange = (md: string) => {
    textRef.current = md;
    setText(md);
    setError(null);
    if (!casePath) return;
    // journal: at most JOURNAL_MS after the keystroke (throttled, trailing edge guaranteed)
    const doJournal = () => {
      journalTimer.current = null;
      lastJournal.current = Date.now();
      void journalDraft({ casePath, markdown: textRef.current, baseRevision: base.current, journaledAt: Date.now() }).then(() => setStatus((s) => (s === 'saving' ? s : 'journaled')));
    };
    if (!journalTimer.current) journalTimer.current = setTimeout(doJournal, Math.max(0, JOURNAL_MS - (Date.now() - lastJournal.current)));
    scheduleSave();
  };

  // flush on leaving the page
  useEffect(() => {
    const flush = () => {
      if (casePath) void journalDraft({ casePath, markdown: textRef.current, baseRevision: base.current, journaledAt: Date.now() });
    };
    window.addEventListener('beforeunload', flush);
    window.addEventListener('pagehide', flush);
    return () => {
      window.removeEventListener('beforeunload', flush);
      window.removeEventListener('pagehide', flush);
    };
  }, [casePath]);

  // live preview (debounced a little so large documents stay responsive)
  useEffect(() => {
    const t = setTimeout(() => setPreview(renderPreviewHtml(text)), 120);
    return () => clearTimeout(t);
  }, [text]);

  // evidence cards: fetch each embedded run once, fill the placeholders with TEXT
  useEffect(() => {
    const el = previewRef.current;
    if (!el) return;
    const nodes = [...el.querySelectorAll<HTMLElement>('[data-embed-id]')];
    const stepRun = new Map(labels.filter((l) => l.stepId).map((l) => [l.stepId!, l.runId]));
    for (const n of nodes) {
      const kind = n.dataset.embedKind!;
      const id = n.dataset.embedId!;
      const key = `${kind}:${id}`;
      const info = cards.get(key);
      n.classList.toggle('harmful', !!info?.harmful);
      n.classList.toggle('missing', !!info?.missing);
      n.replaceChildren();
      const title = document.createElement('span');
      title.className = 'ec-title';
      title.textContent = info?.title ?? `${kind} ${id}`;
      const sub = document.createElement('span');
      sub.className = 'ec-sub';
      sub.textContent = info ? info.sub : kind === 'step' && stepRun.get(id) ? `in run ${stepRun.get(id)}` : 'loading…';
      n.append(title, sub);
      if (!info && kind === 'run') {
        cards.set(key, { title: `run ${id}`, sub: 'loading…', harmful: false, missing: false });
        api
          .getRun(id)
          .then((r) => setCards((c) => new Map(c).set(key, runCard(r))))
          .catch(() => setCards((c) => new Map(c).set(key, { title: `run ${id}`, sub: 'not found in this case', harmful: false, missing: true })));
      } else if (!info && kind === 'step') {
        const runId = stepRun.get(id);
        const l = labels.find((x) => x.stepId === id);
        cards.set(key, { title: `step ${id}`, sub: runId ? `in run ${runId}${l ? ` · ${l.category} (${l.verdict})` : ''}` : 'step', harmful: l?.verdict === 'harmful', missing: false });
      }
    }
  }, [preview, cards, labels]);

  // blameless hints as Monaco markers too
  const flags = useMemo<BlameFlag[]>(() => {
    try {
      return checkBlameless(text);
    } catch {
      return [];
    }
  }, [text]);
  useEffect(() => {
    const ed = editor.current;
    const monaco = monacoRef.current;
    const model = ed?.getModel();
    if (!ed || !monaco || !model) return;
    monaco.editor.setModelMarkers(
      model,
      'blameless',
      flags.map((f) => {
        const s = model.getPositionAt(f.matchStart);
        const e = model.getPositionAt(f.matchEnd);
        return { severity: monaco.MarkerSeverity.Info, message: `Blameless: ${f.suggestion}`, startLineNumber: s.lineNumber, startColumn: s.column, endLineNumber: e.lineNumber, endColumn: e.column, source: f.rule };
      }),
    );
  }, [flags]);

  const reveal = (f: BlameFlag) => {
    const ed = editor.current;
    const model = ed?.getModel();
    if (!ed || !model) return;
    const s = model.getPositionAt(f.matchStart);
    const e = model.getPositionAt(f.matchEnd);
    ed.setSelection({ startLineNumber: s.lineNumber, startColumn: s.column, endLineNumber: e.lineNumber, endColumn: e.column });
    ed.revealLineInCenter(s.lineNumber);
    ed.focus();
  };

  useEffect(() => {
    if (!active) return;
    return app.registerCommands('postmortem', [
      { id: 'pm.save', title: 'Save the postmortem into the case now', category: 'Postmortem', keys: ['Ctrl+S'], run: () => void saveNow() },
      { id: 'pm.export', title: 'Export the report…', category: 'Postmortem', run: () => app.setExportOpen(true) },
    ]);
     
  }, [active, saveNow]);

  const statusText = {
    loading: 'loading…',
    template: 'template · kept in the case once edited',
    saved: `saved · revision ${pm?.revision ?? 0}`,
    journaled: 'draft journaled · saving…',
    saving: 'saving…',
    error: 'not saved (draft kept)',
    restored: 'draft restored',
  }[status];

  return (
    <div className="postmortem" data-testid="postmortem">
      <div className="editor-col">
        <div className="toolbar">
          <span className="title">Postmortem</span>
          <span
            className={`badge ${status === 'error' ? 'danger' : status === 'saved' ? 'ok' : 'info'}`}
            data-testid="pm-status"
            title={status === 'template' ? 'Generated from the evidence, labels and budgets of the case. It becomes revision 1 of the postmortem at the first edit (or Ctrl+S).' : undefined}
          >
            {statusText}
          </span>
          <span className="grow" />
          <button className="btn small" onClick={() => void saveNow()}>
            Save <kbd>Ctrl+S</kbd>
          </button>
          <button className="btn small" onClick={() => app.setExportOpen(true)}>
            Export…
          </button>
        </div>
        {restoredFrom ? (
          <div className="notice" data-testid="pm-restored">
            Restored an unsaved draft journaled {new Date(restoredFrom).toLocaleString()} (newer than the saved revision).{' '}
            <button
              className="btn small"
              onClick={() => {
                if (!pm) return;
                textRef.current = pm.markdown;
                setText(pm.markdown);
                setRestoredFrom(null);
                setStatus(pm.revision === 0 ? 'template' : 'saved');
                if (casePath) void clearDraft(casePath);
              }}
            >
              Discard draft
            </button>
          </div>
        ) : null}
        {error ? <div className="error-box">{error}</div> : null}
        <CodeView
          value={text}
          language="markdown"
          onChange={onChange}
          ariaLabel="Postmortem (Markdown)"
          testId="pm-editor"
          onReady={(ed, monaco) => {
            editor.current = ed;
            monacoRef.current = monaco;
            ed.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => void saveNow());
          }}
        />
        <div className="hints" aria-label="Blameless hints" data-testid="blameless-hints">
          <div className="notice" style={{ borderBottom: '1px solid var(--border)' }}>
            Blameless check: {flags.length === 0 ? 'no sentence blames a person.' : `${flags.length} sentence${flags.length > 1 ? 's' : ''} to reconsider (advice only).`}
          </div>
          {flags.map((f, i) => (
            <div key={i} className="hint" onClick={() => reveal(f)} role="button" tabIndex={0} onKeyDown={(e) => e.key === 'Enter' && reveal(f)}>
              <span className="badge warn">{f.rule}</span>
              <span>
                “{f.sentence.trim()}”<br />
                <span className="sugg">→ {f.suggestion}</span>
              </span>
            </div>
          ))}
        </div>
      </div>
      <div className="preview-col">
        <div className="toolbar">
          <span className="title">Preview</span>
          <span className="muted">evidence embeds render as cards; click one to open it</span>
        </div>
        <div
          ref={previewRef}
          className="md-preview"
          data-testid="pm-preview"
          onClick={(e) => {
            const card = (e.target as HTMLElement).closest<HTMLElement>('[data-embed-id]');
            if (card?.dataset.embedKind === 'run') app.openTab('run', { runId: card.dataset.embedId! }, card.dataset.embedId!.slice(0, 16));
            else if (card?.dataset.embedKind === 'step') {
              const runId = labels.find((l) => l.stepId === card.dataset.embedId)?.runId;
              if (runId) app.openTab('run', { runId, stepId: card.dataset.embedId! }, runId.slice(0, 16));
            }
            if ((e.target as HTMLElement).closest('a')) e.preventDefault();
          }}
          // The ONLY injected HTML: markdown-it (html:false) output, sanitized by DOMPurify.
          dangerouslySetInnerHTML={{ __html: preview }}
        />
      </div>
    </div>
  );
}

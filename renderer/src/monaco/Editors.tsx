/** React wrappers around Monaco: a code editor (read-only or editable) and a read-only diff editor. */
import { useEffect, useRef, useState } from 'react';
import type * as M from 'monaco-editor/editor/editor.api';
import { loadMonaco, monacoTheme } from './load';

const baseOptions: M.editor.IStandaloneEditorConstructionOptions = {
  automaticLayout: true,
  minimap: { enabled: false },
  fontSize: 12,
  lineHeight: 18,
  scrollBeyondLastLine: false,
  renderLineHighlight: 'line',
  folding: true,
  wordWrap: 'on',
  tabSize: 2,
  fixedOverflowWidgets: true,
  links: false,
  // Untrusted text: no hover link activation, no unicode trickery hidden.
  unicodeHighlight: { ambiguousCharacters: true, invisibleCharacters: true },
};

export interface CodeViewProps {
  value: string;
  language: 'json' | 'sql' | 'markdown' | 'plaintext';
  readOnly?: boolean;
  onChange?: (value: string) => void;
  /** Called once with the editor instance (e.g. to add key bindings or read the selection). */
  onReady?: (editor: M.editor.IStandaloneCodeEditor, monaco: typeof M) => void;
  className?: string;
  ariaLabel?: string;
  testId?: string;
}

export function CodeView({ value, language, readOnly, onChange, onReady, className, ariaLabel, testId }: CodeViewProps) {
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<M.editor.IStandaloneCodeEditor | null>(null);
  const changeRef = useRef(onChange);
  changeRef.current = onChange;
  const readyRef = useRef(onReady);
  readyRef.current = onReady;
  const valueRef = useRef(value);
  valueRef.current = value;
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    let disposed = false;
    let ed: M.editor.IStandaloneCodeEditor | null = null;
    loadMonaco()
      .then((monaco) => {
        if (disposed || !host.current) return;
        ed = monaco.editor.create(host.current, {
          ...baseOptions,
          value: valueRef.current,
          language,
          readOnly: !!readOnly,
          theme: monacoTheme(),
          ariaLabel: ariaLabel ?? 'editor',
        });
        editorRef.current = ed;
        ed.onDidChangeModelContent(() => {
          const v = ed!.getValue();
          if (v !== valueRef.current) changeRef.current?.(v);
        });
        readyRef.current?.(ed, monaco);
      })
      .catch((e: Error) => setFailed(e.message));
    return () => {
      disposed = true;
      ed?.getModel()?.dispose();
      ed?.dispose();
      editorRef.current = null;
    };
  }, [language]);

  useEffect(() => {
    const ed = editorRef.current;
    if (ed && ed.getValue() !== value) {
      if (readOnly) ed.setValue(value);
      else {
        const model = ed.getModel();
        if (model) ed.executeEdits('external', [{ range: model.getFullModelRange(), text: value }]);
      }
    }
  }, [value, readOnly]);

  useEffect(() => {
    editorRef.current?.updateOptions({ readOnly: !!readOnly });
  }, [readOnly]);

  if (failed) return <pre className={`code-fallback ${className ?? ''}`}>{value}</pre>;
  return <div ref={host} className={`monaco-host ${className ?? ''}`} data-testid={testId} />;
}

export interface DiffViewProps {
  original: string;
  modified: string;
  language?: 'json' | 'plaintext';
  className?: string;
  testId?: string;
  sideBySide?: boolean;
}

export function DiffView({ original, modified, language = 'json', className, testId, sideBySide = true }: DiffViewProps) {
  const host = useRef<HTMLDivElement>(null);
  const state = useRef<{ ed: M.editor.IStandaloneDiffEditor; a: M.editor.ITextModel; b: M.editor.ITextModel } | null>(null);
  const init = useRef({ original, modified });
  init.current = { original, modified };

  useEffect(() => {
    let disposed = false;
    void loadMonaco().then((monaco) => {
      if (disposed || !host.current) return;
      const ed = monaco.editor.createDiffEditor(host.current, {
        ...baseOptions,
        readOnly: true,
        originalEditable: false,
        renderSideBySide: sideBySide,
        useInlineViewWhenSpaceIsLimited: false,
        enableSplitViewResizing: true,
        theme: monacoTheme(),
        renderOverviewRuler: false,
        hideUnchangedRegions: { enabled: false },
      } as M.editor.IStandaloneDiffEditorConstructionOptions);
      const a = monaco.editor.createModel(init.current.original, language);
      const b = monaco.editor.createModel(init.current.modified, language);
      ed.setModel({ original: a, modified: b });
      state.current = { ed, a, b };
    });
    return () => {
      disposed = true;
      const s = state.current;
      s?.ed.dispose();
      s?.a.dispose();
      s?.b.dispose();
      state.current = null;
    };
  }, [language, sideBySide]);

  useEffect(() => {
    const s = state.current;
    if (!s) return;
    if (s.a.getValue() !== original) s.a.setValue(original);
    if (s.b.getValue() !== modified) s.b.setValue(modified);
  }, [original, modified]);

  return <div ref={host} className={`monaco-host ${className ?? ''}`} data-testid={testId} />;
}

/** Pretty JSON for an editor model: strings stay strings (no HTML, no interpretation). */
export function toJsonText(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') {
    // A string that is itself JSON is shown parsed, so nested documents are readable.
    const t = v.trim();
    if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
      try {
        return JSON.stringify(JSON.parse(t), null, 2);
      } catch {}
    }
  }
  try {
    return JSON.stringify(v, null, 2) ?? String(v);
  } catch {
    return String(v);
  }
}

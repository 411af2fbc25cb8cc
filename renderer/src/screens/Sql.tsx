/** SQL console: Monaco with SQL highlighting, a virtualized results grid, a row cap, a timeout and Cancel. */
import { useEffect, useRef, useState } from 'react';
import type { SqlResult } from '../../../shared/api';
import { api } from '../api/client';
import { useApp } from '../state/app';
import { getKv, setKv } from '../state/db';
import { CodeView } from '../monaco/Editors';
import { VirtualTable, type Column } from '../components/VirtualTable';
import { errorText, fmtInt } from '../lib/format';

const DEFAULT_SQL = `-- read-only: the case is opened read-only for the console
SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name;`;

function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function ResultGrid({ result }: { result: SqlResult }) {
  const [widths, setWidths] = useState<Record<string, number>>({});
  const cols: Array<Column<unknown[]>> = [
    { id: '#', title: '#', width: 56, align: 'right', render: (_r, i) => <span className="faint">{i + 1}</span> },
    ...result.columns.map((c, ci) => ({
      id: `c${ci}`,
      title: c,
      width: widths[`c${ci}`] ?? 160,
      render: (r: unknown[]) => {
        const v = r[ci];
        return v === null || v === undefined ? <span className="faint">NULL</span> : <span className={typeof v === 'number' ? 'num' : ''} title={cellText(v).slice(0, 2000)}>{cellText(v).slice(0, 500)}</span>;
      },
    })),
  ];
  return <VirtualTable<unknown[]> ariaLabel="Query results" testId="sql-results" columns={cols} rowCount={result.rows.length} getRow={(i) => result.rows[i]} onResize={(id, w) => setWidths((x) => ({ ...x, [id]: w }))} />;
}

export function SqlScreen({ active }: { active: boolean }) {
  const app = useApp();
  const [text, setText] = useState(DEFAULT_SQL);
  const [rowCap, setRowCap] = useState(1000);
  const [timeoutS, setTimeoutS] = useState(10);
  const [result, setResult] = useState<SqlResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState<number | null>(null);
  const runId = useRef(0);
  const textRef = useRef(text);
  textRef.current = text;

  useEffect(() => {
    void getKv<string | null>('sql.text', null).then((t) => t && setText(t));
  }, []);
  useEffect(() => {
    const t = setTimeout(() => void setKv('sql.text', text), 500);
    return () => clearTimeout(t);
  }, [text]);

  const run = async (sqlText?: string) => {
    const q = (sqlText ?? textRef.current).trim();
    if (!q) return;
    const id = ++runId.current;
    setRunning(Date.now());
    setError(null);
    try {
      const r = await api.sql(q, rowCap, timeoutS * 1000);
      if (id !== runId.current) return; // cancelled or superseded
      setResult(r);
    } catch (e) {
      if (id === runId.current) setError(errorText(e));
    } finally {
      if (id === runId.current) setRunning(null);
    }
  };
  const cancel = () => {
    runId.current++;
    setRunning(null);
    setError('Cancelled: the result will be discarded (the query is also bounded by its timeout).');
  };

  useEffect(() => {
    if (!active) return;
    return app.registerCommands('sql', [
      { id: 'sql.run', title: 'Run query', category: 'SQL', keys: ['Ctrl+Enter'], run: () => void run() },
      { id: 'sql.cancel', title: 'Cancel query', category: 'SQL', keys: ['Esc'], run: cancel },
    ]);
     
  }, [active, rowCap, timeoutS]);

  return (
    <div className="sql" data-testid="sql">
      <div className="editor">
        <CodeView
          value={text}
          language="sql"
          onChange={setText}
          ariaLabel="SQL query"
          testId="sql-editor"
          onReady={(ed, monaco) => {
            ed.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, () => {
              const sel = ed.getSelection();
              const model = ed.getModel();
              const picked = sel && model && !sel.isEmpty() ? model.getValueInRange(sel) : undefined;
              void run(picked);
            });
          }}
        />
      </div>
      <div className="toolbar">
        <button className="btn primary" onClick={() => void run()} disabled={running != null} data-testid="sql-run">
          Run <kbd style={{ background: 'transparent', color: 'inherit', borderColor: 'rgba(255,255,255,.5)' }}>Ctrl+Enter</kbd>
        </button>
        <button className="btn" onClick={cancel} disabled={running == null}>
          Cancel
        </button>
        <label className="row muted">
          row cap
          <input className="input" type="number" min={1} max={100000} style={{ width: 80 }} value={rowCap} onChange={(e) => setRowCap(Math.max(1, Number(e.target.value) || 1))} />
        </label>
        <label className="row muted">
          timeout s
          <input className="input" type="number" min={1} max={600} style={{ width: 60 }} value={timeoutS} onChange={(e) => setTimeoutS(Math.max(1, Number(e.target.value) || 1))} />
        </label>
        <span className="grow" />
        {running != null ? <span className="loading" style={{ padding: 0 }}>running…</span> : null}
        {result && running == null ? (
          <span className="meta" data-testid="sql-meta">
            {fmintRows(result)} · {result.elapsedMs.toFixed(0)} ms{result.truncated ? ` · capped at ${fmtInt(result.rowCap)} rows` : ''}
          </span>
        ) : null}
      </div>
      <div className="col" style={{ minHeight: 0, gap: 0 }}>
        {error ? <div className="error-box">{error}</div> : null}
        {result ? <ResultGrid result={result} /> : <div className="empty">Write a query and press Ctrl+Enter. The case is read-only here.</div>}
      </div>
    </div>
  );
}

function fmintRows(r: SqlResult): string {
  return `${fmtInt(r.rows.length)} row${r.rows.length === 1 ? '' : 's'}`;
}

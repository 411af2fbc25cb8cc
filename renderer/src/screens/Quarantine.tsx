/** Quarantine: every record set aside at import, with file, line, reason and the raw text (as text). */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { QuarantineItem } from '../../../shared/api';
import { api } from '../api/client';
import { useApp } from '../state/app';
import { VirtualTable, type Column } from '../components/VirtualTable';
import { basename, errorText, fmtInt } from '../lib/format';

const PAGE = 500;

export function QuarantineScreen({ active }: { active: boolean }) {
  const app = useApp();
  const [total, setTotal] = useState(0);
  const [, setTick] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [cursor, setCursor] = useState(0);
  const pages = useRef(new Map<number, QuarantineItem[] | 'loading'>());

  const load = useCallback(async (page: number) => {
    if (pages.current.has(page)) return;
    pages.current.set(page, 'loading');
    try {
      const r = await api.quarantine(page * PAGE, PAGE);
      pages.current.set(page, r.items);
      setTotal(r.total);
      setTick((t) => t + 1);
    } catch (e) {
      pages.current.delete(page);
      setError(errorText(e));
    }
  }, []);

  useEffect(() => {
    pages.current = new Map();
    setTotal(0);
    void load(0);
  }, [app.casePath, load]);
  void active;

  const getRow = (i: number) => {
    const p = pages.current.get(Math.floor(i / PAGE));
    return Array.isArray(p) ? p[i % PAGE] : undefined;
  };
  const sel = getRow(cursor);

  const cols: Array<Column<QuarantineItem>> = [
    { id: 'file', title: 'File', width: 220, render: (q) => <span className="mono ellipsis" title={q.sourcePath}>{basename(q.sourcePath)}</span> },
    { id: 'line', title: 'Line', width: 64, align: 'right', render: (q) => (q.line != null ? fmtInt(q.line) : '—') },
    { id: 'path', title: 'JSON path', width: 150, render: (q) => <span className="mono ellipsis">{q.path ?? '—'}</span> },
    { id: 'reason', title: 'Reason', width: 360, render: (q) => <span className="ellipsis" title={q.reason}>{q.reason}</span> },
    { id: 'raw', title: 'Raw text', width: 520, render: (q) => <span className="mono ellipsis">{(q.raw ?? '').slice(0, 300)}</span> },
  ];

  return (
    <div className="col" style={{ height: '100%', gap: 0 }} data-testid="quarantine">
      <div className="toolbar">
        <span className="title">Quarantine</span>
        <span className="meta">{fmtInt(total)} records set aside at import — nothing is dropped silently</span>
      </div>
      {error ? <div className="error-box">{error}</div> : null}
      {total === 0 && !error ? <div className="empty">Nothing was quarantined.</div> : null}
      <div style={{ display: 'grid', gridTemplateRows: '1fr 150px', minHeight: 0, flex: 1 }}>
        <VirtualTable<QuarantineItem>
          ariaLabel="Quarantined records"
          testId="quarantine-table"
          columns={cols}
          rowCount={total}
          getRow={getRow}
          cursor={cursor}
          onCursor={setCursor}
          onRange={(s, e) => {
            for (let p = Math.floor(s / PAGE); p <= Math.floor((e + PAGE) / PAGE); p++) if (p * PAGE < total) void load(p);
          }}
        />
        <div style={{ borderTop: '1px solid var(--border)', padding: '6px 10px', overflow: 'auto' }}>
          {sel ? (
            <>
              <div className="row" style={{ marginBottom: 4 }}>
                <span className="mono">
                  {sel.sourcePath}
                  {sel.line != null ? `:${sel.line}` : ''}
                </span>
                <span className="badge danger">{sel.reason}</span>
              </div>
              <pre className="raw" data-testid="quarantine-raw">
                {sel.raw ?? '(no raw text kept)'}
              </pre>
            </>
          ) : (
            <span className="muted">Select a record to see its raw text.</span>
          )}
        </div>
      </div>
    </div>
  );
}

/** The command palette (Ctrl/Cmd+Shift+P, Ctrl+K): fuzzy filter, arrows, Enter, Escape. */
import { useEffect, useMemo, useRef, useState } from 'react';

export interface PaletteCommand {
  id: string;
  title: string;
  category?: string;
  keys?: string[];
}

/** Subsequence match; returns the matched indexes and a score (lower is better), or null. */
export function fuzzy(query: string, text: string): { score: number; hits: number[] } | null {
  if (!query) return { score: 0, hits: [] };
  const q = query.toLowerCase();
  const t = text.toLowerCase();
  const direct = t.indexOf(q);
  if (direct >= 0) return { score: direct, hits: Array.from({ length: q.length }, (_, i) => direct + i) };
  const hits: number[] = [];
  let j = 0;
  for (let i = 0; i < t.length && j < q.length; i++) if (t[i] === q[j]) { hits.push(i); j++; }
  if (j < q.length) return null;
  return { score: 100 + hits[hits.length - 1]! - hits[0]!, hits };
}

function Highlighted({ text, hits }: { text: string; hits: number[] }) {
  if (!hits.length) return <>{text}</>;
  const set = new Set(hits);
  return (
    <>
      {Array.from(text).map((ch, i) => (set.has(i) ? <mark key={i}>{ch}</mark> : <span key={i}>{ch}</span>))}
    </>
  );
}

export function CommandPalette({ commands, onRun, onClose }: { commands: PaletteCommand[]; onRun: (id: string) => void; onClose: () => void }) {
  const [q, setQ] = useState('');
  const [sel, setSel] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const list = useRef<HTMLUListElement>(null);

  const items = useMemo(() => {
    const r: Array<{ c: PaletteCommand; hits: number[]; score: number; label: string }> = [];
    for (const c of commands) {
      const label = c.category ? `${c.category}: ${c.title}` : c.title;
      const m = fuzzy(q, label);
      if (m) r.push({ c, hits: m.hits, score: m.score, label });
    }
    return q ? r.sort((a, b) => a.score - b.score) : r;
  }, [commands, q]);

  useEffect(() => input.current?.focus(), []);
  useEffect(() => setSel(0), [q]);
  useEffect(() => {
    list.current?.children[sel]?.scrollIntoView({ block: 'nearest' });
  }, [sel]);

  const run = (i: number) => {
    const it = items[i];
    if (!it) return;
    onClose();
    onRun(it.c.id);
  };

  return (
    <div className="overlay" onMouseDown={onClose} role="presentation">
      <div className="palette" role="dialog" aria-label="Command palette" onMouseDown={(e) => e.stopPropagation()}>
        <input
          ref={input}
          className="input"
          placeholder="Type a command…"
          value={q}
          aria-label="Command"
          aria-controls="palette-list"
          aria-activedescendant={items[sel] ? `pal-${items[sel]!.c.id}` : undefined}
          onChange={(e) => setQ(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') { e.preventDefault(); setSel((s) => Math.min(items.length - 1, s + 1)); }
            else if (e.key === 'ArrowUp') { e.preventDefault(); setSel((s) => Math.max(0, s - 1)); }
            else if (e.key === 'Enter') { e.preventDefault(); run(sel); }
            else if (e.key === 'Escape') { e.preventDefault(); onClose(); }
          }}
        />
        <ul id="palette-list" ref={list} role="listbox">
          {items.length === 0 ? <li className="muted">No matching command</li> : null}
          {items.map((it, i) => (
            <li key={it.c.id} id={`pal-${it.c.id}`} role="option" aria-selected={i === sel} className={i === sel ? 'sel' : ''} onMouseEnter={() => setSel(i)} onClick={() => run(i)}>
              <span>
                <Highlighted text={it.label} hits={it.hits} />
              </span>
              {it.c.keys ? (
                <span className="keys">
                  {it.c.keys.map((k) => (
                    <kbd key={k}>{k}</kbd>
                  ))}
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

/**
 * A virtualized table (@tanstack/react-virtual): only visible rows are in the DOM, so it stays smooth at
 * millions of rows. Rows not loaded yet render as placeholders (the caller prefetches ahead via onRange).
 * Keyboard: j/k or arrows move, PageUp/PageDown, Home/End, Enter opens, x or Space toggles selection.
 * Column widths are resizable (onResize). Cells render text only — callers pass React nodes, never HTML.
 */
import { memo, useCallback, useEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';

export interface Column<T> {
  id: string;
  title: string;
  width: number;
  align?: 'left' | 'right';
  sortable?: boolean;
  render: (row: T, index: number) => ReactNode;
}

export interface VirtualTableProps<T> {
  columns: Array<Column<T>>;
  rowCount: number;
  getRow: (index: number) => T | undefined;
  rowKey?: (row: T | undefined, index: number) => string | number;
  rowHeight?: number;
  cursor?: number;
  onCursor?: (index: number) => void;
  onOpen?: (index: number, row: T) => void;
  isSelected?: (row: T) => boolean;
  onToggle?: (index: number, row: T) => void;
  onRange?: (start: number, end: number) => void;
  onResize?: (columnId: string, width: number) => void;
  sort?: { by: string; dir: 'asc' | 'desc' } | null;
  onSort?: (columnId: string) => void;
  rowClass?: (row: T) => string;
  ariaLabel: string;
  testId?: string;
  /** extra keys handled by the caller (return true when consumed) */
  onKey?: (e: KeyboardEvent<HTMLDivElement>) => boolean;
  autoFocus?: boolean;
}

export function VirtualTable<T>(props: VirtualTableProps<T>) {
  const { columns, rowCount, getRow, rowHeight = 22, cursor = -1, onCursor, onOpen, isSelected, onToggle, onRange, onResize, sort, onSort, ariaLabel, testId } = props;
  const body = useRef<HTMLDivElement>(null);
  const head = useRef<HTMLDivElement>(null);
  const totalWidth = columns.reduce((a, c) => a + c.width, 0);

  const v = useVirtualizer({
    count: rowCount,
    getScrollElement: () => body.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  const items = v.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  // stable callbacks for the memoized rows
  const cbs = useRef({ onCursor, onToggle, onOpen });
  cbs.current = { onCursor, onToggle, onOpen };
  const rowCursor = useCallback((i: number) => cbs.current.onCursor?.(i), []);
  const rowToggle = useCallback((i: number, r: T) => cbs.current.onToggle?.(i, r), []);
  const rowOpen = useCallback((i: number, r: T) => cbs.current.onOpen?.(i, r), []);

  const rangeRef = useRef(onRange);
  rangeRef.current = onRange;
  useEffect(() => {
    if (rowCount > 0) rangeRef.current?.(first, last);
  }, [first, last, rowCount]);

  useEffect(() => {
    if (props.autoFocus) body.current?.focus();
  }, [props.autoFocus]);

  const moveTo = useCallback(
    (i: number) => {
      if (rowCount === 0) return;
      const n = Math.max(0, Math.min(rowCount - 1, i));
      onCursor?.(n);
      v.scrollToIndex(n, { align: 'auto' });
    },
    [rowCount, onCursor, v],
  );

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (props.onKey?.(e)) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const page = Math.max(1, Math.floor((body.current?.clientHeight ?? 200) / rowHeight) - 1);
    const cur = cursor < 0 ? -1 : cursor;
    let handled = true;
    switch (e.key) {
      case 'j':
      case 'ArrowDown':
        moveTo(cur + 1);
        break;
      case 'k':
      case 'ArrowUp':
        moveTo(cur - 1);
        break;
      case 'PageDown':
        moveTo(cur + page);
        break;
      case 'PageUp':
        moveTo(cur - page);
        break;
      case 'Home':
        moveTo(0);
        break;
      case 'End':
        moveTo(rowCount - 1);
        break;
      case 'Enter': {
        const r = cur >= 0 ? getRow(cur) : undefined;
        if (r !== undefined) onOpen?.(cur, r);
        break;
      }
      case 'x':
      case ' ': {
        const r = cur >= 0 ? getRow(cur) : undefined;
        if (r !== undefined) onToggle?.(cur, r);
        break;
      }
      default:
        handled = false;
    }
    if (handled) e.preventDefault();
  };

  const startResize = (colId: string, startWidth: number, startX: number) => {
    const move = (ev: PointerEvent) => onResize?.(colId, Math.max(36, Math.round(startWidth + ev.clientX - startX)));
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };

  return (
    <div className="vt" data-testid={testId}>
      <div className="vt-head" ref={head} role="row">
        <div style={{ display: 'flex', width: totalWidth, flex: 'none' }}>
          {columns.map((c) => (
            <div
              key={c.id}
              role="columnheader"
              className={`vt-cell ${c.align === 'right' ? 'num' : ''} ${c.sortable ? 'sortable' : ''}`}
              style={{ width: c.width }}
              onClick={() => c.sortable && onSort?.(c.id)}
              aria-sort={sort?.by === c.id ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined}
              title={c.sortable ? `Sort by ${c.title}` : c.title}
            >
              <span className="ellipsis">{c.title}</span>
              {sort?.by === c.id ? <span>{sort.dir === 'asc' ? '▲' : '▼'}</span> : null}
              {onResize ? (
                <span
                  className="vt-resize"
                  onClick={(e) => e.stopPropagation()}
                  onPointerDown={(e) => {
                    e.preventDefault();
                    e.stopPropagation();
                    startResize(c.id, c.width, e.clientX);
                  }}
                />
              ) : null}
            </div>
          ))}
        </div>
      </div>
      <div
        className="vt-body"
        ref={body}
        tabIndex={0}
        role="grid"
        aria-label={ariaLabel}
        aria-rowcount={rowCount}
        onKeyDown={onKeyDown}
        onScroll={(e) => {
          if (head.current) head.current.scrollLeft = (e.target as HTMLDivElement).scrollLeft;
        }}
      >
        <div style={{ height: v.getTotalSize(), width: totalWidth, position: 'relative' }}>
          {items.map((it) => {
            const row = getRow(it.index);
            const sel = row !== undefined && !!isSelected?.(row);
            return (
              <Row<T>
                key={props.rowKey ? props.rowKey(row, it.index) : it.index}
                row={row}
                index={it.index}
                start={it.start}
                height={rowHeight}
                width={totalWidth}
                selected={sel}
                cursor={it.index === cursor}
                extraClass={row !== undefined && props.rowClass ? props.rowClass(row) : ''}
                columns={columns}
                onCursor={rowCursor}
                onToggle={rowToggle}
                onOpen={rowOpen}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}

interface RowProps<T> {
  row: T | undefined;
  index: number;
  start: number;
  height: number;
  width: number;
  selected: boolean;
  cursor: boolean;
  extraClass: string;
  columns: Array<Column<T>>;
  onCursor?: (index: number) => void;
  onToggle?: (index: number, row: T) => void;
  onOpen?: (index: number, row: T) => void;
}

/** One row; memoized so scrolling renders only the rows that come into view. */
const Row = memo(function Row<T>({ row, index, start, height, width, selected, cursor, extraClass, columns, onCursor, onToggle, onOpen }: RowProps<T>) {
  return (
    <div
      role="row"
      aria-rowindex={index + 1}
      aria-selected={selected || undefined}
      data-index={index}
      className={`vt-row ${row === undefined ? 'placeholder' : ''} ${selected ? 'selected' : ''} ${cursor ? 'cursor' : ''} ${extraClass}`}
      style={{ top: start, width, height }}
      onClick={(e) => {
        onCursor?.(index);
        if (row !== undefined && (e.ctrlKey || e.metaKey)) onToggle?.(index, row);
      }}
      onDoubleClick={() => row !== undefined && onOpen?.(index, row)}
    >
      {columns.map((c) => (
        <div key={c.id} role="gridcell" className={`vt-cell ${c.align === 'right' ? 'num' : ''}`} style={{ width: c.width }}>
          {row === undefined ? <span className="skeleton" /> : c.render(row, index)}
        </div>
      ))}
    </div>
  );
}) as <T>(p: RowProps<T>) => ReactNode;

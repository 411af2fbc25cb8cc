/** A small stroke icon set (inline SVG, no icon font, nothing fetched). */
const PATHS: Record<string, string> = {
  start: 'M4 4h7l2 2h7v13H4z',
  overview: 'M4 4h7v7H4zM13 4h7v4h-7zM13 10h7v10h-7zM4 13h7v7H4z',
  runs: 'M4 6h16M4 10h16M4 14h16M4 18h16',
  lineage: 'M6 5a2 2 0 1 0 0 .1M18 12a2 2 0 1 0 0 .1M6 19a2 2 0 1 0 0 .1M8 6l8 5M8 18l8-5',
  budgets: 'M4 20V4M4 20h16M7 16l4-5 3 3 5-7',
  sql: 'M4 6c0-2 16-2 16 0v12c0 2-16 2-16 0zM4 6c0 2 16 2 16 0M4 12c0 2 16 2 16 0',
  quarantine: 'M12 3l9 16H3zM12 10v4M12 17v.5',
  review: 'M5 12l4 4 10-10M4 20h16',
  postmortem: 'M6 3h9l4 4v14H6zM14 3v5h5M9 12h7M9 16h7',
  labels: 'M3 12l9-9h8v8l-9 9zM16 7.5a.5.5 0 1 0 0 .1',
  search: 'M10.5 17a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13zM15.5 15.5L21 21',
  close: 'M6 6l12 12M18 6L6 18',
  theme: 'M12 3a9 9 0 1 0 9 9 7 7 0 0 1-9-9z',
  palette: 'M4 6h16M4 12h10M4 18h7',
  export: 'M12 3v12M7 8l5-5 5 5M5 21h14',
  compare: 'M8 4v16M16 4v16M4 8h4M16 16h4',
};

export function Icon({ name, size = 18, title }: { name: string; size?: number; title?: string }) {
  return (
    <svg viewBox="0 0 24 24" width={size} height={size} fill="none" stroke="currentColor" strokeWidth={1.6} strokeLinecap="round" strokeLinejoin="round" aria-hidden={title ? undefined : true} role={title ? 'img' : undefined}>
      {title ? <title>{title}</title> : null}
      <path d={PATHS[name] ?? PATHS.start} />
    </svg>
  );
}

/** Formatting helpers. Times are epoch microseconds throughout Casefile. */

export function fmtTime(us: number | null | undefined, withDate = true): string {
  if (us == null || !Number.isFinite(us)) return '—';
  const d = new Date(us / 1000);
  const iso = d.toISOString(); // UTC, as evidence is compared across systems
  const ms = iso.slice(11, 23);
  return withDate ? `${iso.slice(0, 10)} ${ms}` : ms;
}

export function fmtDuration(us: number | null | undefined): string {
  if (us == null || !Number.isFinite(us)) return '—';
  const a = Math.abs(us);
  if (a < 1000) return `${Math.round(us)} µs`;
  if (a < 1_000_000) return `${(us / 1000).toFixed(a < 10_000 ? 2 : 1)} ms`;
  if (a < 60_000_000) return `${(us / 1_000_000).toFixed(2)} s`;
  if (a < 3_600_000_000) return `${(us / 60_000_000).toFixed(1)} min`;
  return `${(us / 3_600_000_000).toFixed(1)} h`;
}

export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export const fmtInt = (n: number | null | undefined) => (n == null ? '—' : n.toLocaleString('en-US'));

export function fmtPct(x: number | null | undefined, digits = 1): string {
  if (x == null || !Number.isFinite(x)) return '—';
  return `${(x * 100).toFixed(digits)}%`;
}

/** A rate like 0.0001 as "1 in 10,000" when that reads better. */
export function fmtRate(x: number): string {
  if (!Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  if (x < 0.01) return `${(x * 100).toPrecision(2)}%`;
  return fmtPct(x, 2);
}

export function shortId(id: string, n = 12): string {
  return id.length > n + 1 ? `${id.slice(0, n)}…` : id;
}

export function basename(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] || p;
}

/** Clamp a piece of untrusted text for one-line display (still rendered as a text node). */
export function oneLine(s: unknown, max = 200): string {
  const t = typeof s === 'string' ? s : s == null ? '' : JSON.stringify(s);
  const flat = (t ?? '').replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

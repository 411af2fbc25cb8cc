import { describe, expect, it } from 'vitest';
import { isoToUs } from '../../shared/model';

/** The general reading (a regular expression and Date.parse), as isoToUs did it for every string before its fast path. */
function reference(s: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i.exec(s.trim());
  if (!m) {
    const t = Date.parse(s);
    return Number.isFinite(t) ? t * 1000 : null;
  }
  const off = m[3] ? (m[3].toUpperCase() === 'Z' ? 'Z' : m[3].includes(':') ? m[3] : `${m[3].slice(0, 3)}:${m[3].slice(3)}`) : 'Z';
  const base = Date.parse(`${m[1]!.replace(' ', 'T')}${off}`);
  if (!Number.isFinite(base)) return null;
  return base * 1000 + Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
}

/** A deterministic generator (mulberry32), so that a failure names a string that can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

describe('isoToUs', () => {
  it('reads known instants to the microsecond', () => {
    expect(isoToUs('1970-01-01T00:00:00Z')).toBe(0);
    expect(isoToUs('2026-10-12T00:07:00.821Z')).toBe(Date.UTC(2026, 9, 12, 0, 7, 0, 821) * 1000);
    expect(isoToUs('2026-10-12T00:20:26.803894928Z')).toBe(Date.UTC(2026, 9, 12, 0, 20, 26, 803) * 1000 + 894);
    expect(isoToUs('2024-02-29T23:59:59.999999Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999) * 1000 + 999);
    expect(isoToUs('2000-03-01T00:00:00.5Z')).toBe(Date.UTC(2000, 2, 1) * 1000 + 500000);
    expect(isoToUs('2100-03-01T00:00:00Z')).toBe(Date.UTC(2100, 2, 1) * 1000);
  });

  it('agrees with the general reading on 200,000 generated UTC timestamps (1970–2199, 0–9 fraction digits)', () => {
    const r = rng(20261124);
    let differing = 0;
    const firstDiffering: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      const year = 1970 + Math.floor(r() * 230);
      const month = 1 + Math.floor(r() * 12);
      const day = 1 + Math.floor(r() * 31); // day 31 of a 30-day month, 29–31 February: both must say the same
      const digits = Math.floor(r() * 10);
      let frac = '';
      for (let d = 0; d < digits; d++) frac += String(Math.floor(r() * 10));
      const s = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(Math.floor(r() * 24), 2)}:${pad(Math.floor(r() * 60), 2)}:${pad(Math.floor(r() * 60), 2)}${digits ? `.${frac}` : ''}Z`;
      if (isoToUs(s) !== reference(s)) {
        differing++;
        if (firstDiffering.length < 5) firstDiffering.push(s);
      }
    }
    expect(firstDiffering).toEqual([]);
    expect(differing).toBe(0);
  });

  it('agrees with the general reading on the forms and values its fast path leaves to it', () => {
    const cases = [
      '2026-02-29T00:00:00Z', // not a leap year
      '2024-02-30T00:00:00Z',
      '2026-04-31T12:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-01-00T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T23:60:00Z',
      '2026-01-01T23:59:60Z',
      '1969-12-31T23:59:59.999Z',
      '1900-01-01T00:00:00Z',
      '2026-10-12t00:07:00.821z',
      '2026-10-12 00:07:00.821Z',
      ' 2026-10-12T00:07:00.821Z ',
      '2026-10-12T00:07:00.821+02:00',
      '2026-10-12T00:07:00.821-0530',
      '2026-10-12T00:07:00',
      '2026-10-12T00:07:00.Z',
      '2026-10-12T00:07:00.1234567890123Z',
      '2026-10-12T00:07:0a.000Z',
      '2026-10-12',
      'Mon, 12 Oct 2026 00:07:00 GMT',
      'not a time',
      '',
    ];
    for (const s of cases) expect({ s, us: isoToUs(s) }).toEqual({ s, us: reference(s) });
    expect(isoToUs(1791763620821000)).toBeNull();
    expect(isoToUs(null)).toBeNull();
  });
});

/**
 * Finding runs: listRuns (filters, full-text search, sort, keyset pagination, exact total), facets, and the
 * incident's affected set. SQL is built in electron/core/store/runs-store.ts; this module normalizes the
 * query, turns the search text into an FTS5 query and encodes the opaque cursor.
 */
import type { FacetName, Facets, FindingCode, RunPage, RunQuery, RunRow } from '../../../shared/api';
import type { PolicyDecision } from '../../../shared/model';
import type { Db } from '../store/db';
import { affectedInfo, countRuns, facetCounts, labelsOfRuns, queryRunPage, saveAffected, tagsOfRuns, type Keyset, type RunListRow } from '../store/runs-store';
import { ReconError } from './reconstruct';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

/**
 * Search text → FTS5 query: each word must occur (AND); "quoted phrases" stay phrases; a trailing * makes a
 * prefix; OR between words is kept. Everything else is quoted, so user text can never be FTS5 syntax.
 */
export function toFtsQuery(text: string | undefined | null): string | null {
  if (!text) return null;
  const parts: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    if (m[1] !== undefined) {
      const phrase = m[1].trim();
      if (phrase) parts.push(`"${phrase.replace(/"/g, '""')}"`);
      continue;
    }
    const w = m[2]!;
    if (w === 'OR' && parts.length && parts[parts.length - 1] !== 'OR') {
      parts.push('OR');
      continue;
    }
    const prefix = w.endsWith('*') && w.length > 1;
    const core = prefix ? w.slice(0, -1) : w;
    // a word with no letter or digit would be an empty phrase: FTS5 rejects those
    if (!/[\p{L}\p{N}]/u.test(core)) continue;
    parts.push(`"${core.replace(/"/g, '""')}"${prefix ? '*' : ''}`);
  }
  while (parts[parts.length - 1] === 'OR') parts.pop();
  return parts.length ? parts.join(' ') : null;
}

function encodeCursor(q: RunQuery, row: RunListRow): string {
  const by = q.sort?.by ?? 'started';
  const v = by === 'runId' ? row.run_id : by === 'duration' ? row.duration : by === 'findings' ? row.n_findings : undefined;
  return Buffer.from(JSON.stringify({ s: by, d: q.sort?.dir ?? 'asc', r: row.rid, ...(v !== undefined ? { v } : {}) })).toString('base64url');
}

function decodeCursor(q: RunQuery, cursor: string | null | undefined): Keyset | null {
  if (!cursor) return null;
  let c: { s?: string; d?: string; r?: number; v?: number | string };
  try {
    c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as typeof c;
  } catch {
    throw new ReconError('invalid cursor', 'BAD_REQUEST');
  }
  if (c.s !== (q.sort?.by ?? 'started') || c.d !== (q.sort?.dir ?? 'asc') || typeof c.r !== 'number') throw new ReconError('the cursor belongs to another sort order', 'BAD_REQUEST');
  return { rid: c.r, ...(c.v !== undefined ? { v: c.v } : {}) };
}

const split = (s: string) => (s ? s.split(' ') : []);

/** Normalizes list filters: drops empty lists, trims values. */
export function normalizeQuery(q: RunQuery): RunQuery {
  const list = <T extends string>(v: T[] | undefined) => {
    const out = (v ?? []).map((x) => String(x).trim()).filter((x) => x !== '') as T[];
    return out.length ? out : undefined;
  };
  const out: RunQuery = {};
  if (q.search && q.search.trim()) out.search = q.search.trim();
  if (typeof q.from === 'number') out.from = q.from;
  if (typeof q.to === 'number') out.to = q.to;
  for (const k of ['workflow', 'tier', 'modelVersion', 'decision', 'reasonCode', 'label', 'finding'] as const) {
    const v = list(q[k] as string[] | undefined);
    if (v) (out as Record<string, unknown>)[k] = v;
  }
  if (typeof q.hasWrite === 'boolean') out.hasWrite = q.hasWrite;
  if (q.affectedOnly) out.affectedOnly = true;
  if (q.sort) out.sort = { by: q.sort.by ?? 'started', dir: q.sort.dir === 'desc' ? 'desc' : 'asc' };
  if (q.limit !== undefined) out.limit = q.limit;
  if (q.cursor) out.cursor = q.cursor;
  return out;
}

export function listRuns(db: Db, query: RunQuery): RunPage {
  const q = normalizeQuery(query);
  const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(q.limit ?? DEFAULT_LIMIT)));
  const fts = toFtsQuery(q.search);
  if (q.search && !fts) return { rows: [], nextCursor: null, total: 0 };
  const after = decodeCursor(q, q.cursor);
  const total = countRuns(db, q, fts);
  const rows = total === 0 ? [] : queryRunPage(db, q, fts, after, limit, total);
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const tags = tagsOfRuns(
    db,
    page.map((r) => r.rid),
  );
  const labels = labelsOfRuns(
    db,
    page.map((r) => r.run_id),
  );
  const out: RunRow[] = page.map((r) => {
    const t = tags.get(r.rid) ?? [];
    const of = (letter: string) => t.filter((x) => x.startsWith(`${letter}:`)).map((x) => x.slice(2));
    return {
      runId: r.run_id,
      workflow: r.workflow,
      tier: r.tier,
      modelVersion: r.model_version,
      startedAt: r.started,
      endedAt: r.ended,
      steps: r.n_steps,
      writes: r.n_writes,
      decisions: of('d') as PolicyDecision[],
      reasonCodes: of('r'),
      findings: (t.length ? of('f') : split(r.findings)) as FindingCode[],
      labels: labels.get(r.run_id) ?? [],
      harmful: r.harmful === null ? null : r.harmful === 1,
      inAffectedSet: r.in_affected === 1,
    };
  });
  return { rows: out, nextCursor: more ? encodeCursor(q, page[page.length - 1]!) : null, total };
}

export function facets(db: Db, query: RunQuery): Facets {
  const q = normalizeQuery(query);
  const fts = toFtsQuery(q.search);
  if (q.search && !fts) {
    const empty = {} as Facets;
    for (const f of ['workflow', 'tier', 'modelVersion', 'decision', 'reasonCode', 'hasWrite', 'label', 'finding'] as FacetName[]) empty[f] = [];
    return empty;
  }
  const counts = facetCounts(db, q, fts);
  // has-write values read as booleans
  counts.hasWrite = counts.hasWrite.map((v) => ({ value: v.value === '1' ? 'true' : 'false', count: v.count }));
  return counts as Facets;
}

export function saveAffectedSet(db: Db, query: RunQuery, note?: string | null): { count: number } {
  const q = normalizeQuery(query);
  delete q.cursor;
  delete q.limit;
  const fts = toFtsQuery(q.search);
  const count = saveAffected(db, q, fts, JSON.stringify(q), note ?? null);
  return { count };
}

export function affectedSet(db: Db): { query: RunQuery | null; count: number; savedAt: string | null; note: string | null } {
  const a = affectedInfo(db);
  return { query: a.query ? (JSON.parse(a.query) as RunQuery) : null, count: a.count, savedAt: a.savedAt, note: a.note };
}

/**
 * UI state that survives restarts, kept in IndexedDB via Dexie: open tabs, filters, column widths, recent
 * cases, theme — and the postmortem draft journal (never lose typing).
 * Nothing here is evidence: the case file is the source of truth; this is the workstation's memory.
 */
import Dexie, { type EntityTable } from 'dexie';

export interface KvRow {
  key: string;
  value: unknown;
}

export interface RecentRow {
  path: string;
  openedAt: number;
}

/** One draft per case: the text as last typed, the revision it was based on, when it was journaled. */
export interface DraftRow {
  casePath: string;
  markdown: string;
  baseRevision: number;
  journaledAt: number;
}

class UiDb extends Dexie {
  kv!: EntityTable<KvRow, 'key'>;
  recent!: EntityTable<RecentRow, 'path'>;
  drafts!: EntityTable<DraftRow, 'casePath'>;
  constructor() {
    super('casefile-ui');
    this.version(1).stores({ kv: 'key', recent: 'path, openedAt', drafts: 'casePath, journaledAt' });
  }
}

export const db = new UiDb();

export async function getKv<T>(key: string, fallback: T): Promise<T> {
  try {
    const row = await db.kv.get(key);
    return row ? (row.value as T) : fallback;
  } catch {
    return fallback;
  }
}

export async function setKv(key: string, value: unknown): Promise<void> {
  try {
    await db.kv.put({ key, value });
  } catch {}
}

export async function rememberRecent(path: string): Promise<void> {
  try {
    await db.recent.put({ path, openedAt: Date.now() });
    const all = await db.recent.orderBy('openedAt').reverse().toArray();
    const stale = all.slice(12).map((r) => r.path);
    if (stale.length) await db.recent.bulkDelete(stale);
  } catch {}
}

export async function recentCases(): Promise<RecentRow[]> {
  try {
    return await db.recent.orderBy('openedAt').reverse().limit(12).toArray();
  } catch {
    return [];
  }
}

export async function journalDraft(row: DraftRow): Promise<void> {
  await db.drafts.put(row);
}

export async function loadDraft(casePath: string): Promise<DraftRow | undefined> {
  try {
    return await db.drafts.get(casePath);
  } catch {
    return undefined;
  }
}

export async function clearDraft(casePath: string): Promise<void> {
  try {
    await db.drafts.delete(casePath);
  } catch {}
}

/** Per-case UI state key, e.g. caseKey('/x/a.casefile', 'runs.filters'). */
export const caseKey = (casePath: string | null, what: string) => `case:${casePath ?? '-'}:${what}`;

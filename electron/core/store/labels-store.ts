/**
 * Investigators' work inside the case (migration 003): labels with a hash-chained change log, the label
 * taxonomy, and the postmortem document with its journal of saved revisions.
 *
 * Label log chain (verifyLabelLog recomputes it):
 *   hash = sha256_hex((prev_hash ?? '') + '\n' + canonicalJson({seq, label_id, action, author, at, before, after}))
 * `before` / `after` are the label as the API shows it (shared/api.ts Label), null for the side that does
 * not exist. The chain makes the history of the evidence itself evidence: an edit of any logged row, a
 * removed row or a labels row that no longer matches its last logged state is reported.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import type { Label, LabelHistoryEntry, LabelInput, Postmortem, Verdict } from '../../../shared/api';
import { canonicalJson } from '../../../shared/model';
import type { Db } from './db';
import { sha256Hex } from './hash';
import { refreshHarmful } from './runs-derive';

export const VERDICTS: readonly Verdict[] = ['harmful', 'benign', 'unsure'];
export const DEFAULT_AUTHOR = 'investigator';

/** A failure the API maps to `{ error, code }` (code kept by electron/core/api/errors.ts toApiError). */
export class LabelStoreError extends Error {
  constructor(
    message: string,
    readonly code: 'NOT_FOUND' | 'BAD_REQUEST',
  ) {
    super(message);
    this.name = 'LabelStoreError';
  }
}

/** savePostmortem was given a base revision that is no longer the current one. */
export class StaleRevisionError extends LabelStoreError {
  readonly conflict = true;
  constructor(
    readonly baseRevision: number,
    readonly currentRevision: number,
  ) {
    super(
      `the postmortem changed since this edit started: it was based on revision ${baseRevision}, the case now holds revision ${currentRevision}. Reload the current text (your draft is kept in the journal) and re-apply the edit.`,
      'BAD_REQUEST',
    );
    this.name = 'StaleRevisionError';
  }
}

const sha256 = sha256Hex;
const nowIso = () => new Date().toISOString();

interface LabelRow {
  id: number;
  run_id: string;
  step_id: string | null;
  category: string;
  severity: string | null;
  verdict: Verdict;
  corrected: string | null;
  note: string | null;
  author: string;
  created_at: string;
  updated_at: string;
  deleted: number;
}

interface LogRow {
  seq: number;
  label_id: number;
  action: 'create' | 'update' | 'delete';
  author: string;
  at: string;
  before: string | null;
  after: string | null;
  prev_hash: string | null;
  hash: string;
}

function parseJson(s: string | null): unknown {
  if (s === null) return null;
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}

function toLabel(r: LabelRow): Label {
  return {
    id: r.id,
    runId: r.run_id,
    stepId: r.step_id,
    category: r.category,
    severity: r.severity,
    verdict: r.verdict,
    corrected: parseJson(r.corrected),
    note: r.note,
    author: r.author,
    at: r.updated_at,
  };
}

/** The logged form of a label: every key present (null when empty) so the canonical JSON is stable. */
function logged(l: Label | null): Label | null {
  if (!l) return null;
  return { id: l.id, runId: l.runId, stepId: l.stepId ?? null, category: l.category, severity: l.severity ?? null, verdict: l.verdict, corrected: l.corrected ?? null, note: l.note ?? null, author: l.author, at: l.at };
}

/** The hash of one label-log entry given its fields (prev_hash included). */
export function labelLogHash(e: { seq: number; label_id: number; action: string; author: string; at: string; before: unknown; after: unknown; prev_hash: string | null }): string {
  const body = canonicalJson({ seq: e.seq, label_id: e.label_id, action: e.action, author: e.author, at: e.at, before: e.before ?? null, after: e.after ?? null });
  return sha256(`${e.prev_hash ?? ''}\n${body}`);
}

function tableExists(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

function columns(db: Db, table: string): Set<string> {
  return new Set((db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map((c) => c.name));
}

// ---------------------------------------------------------------- taxonomy

export interface TaxonomyEntry {
  name: string;
  description: string | null;
}

export function getTaxonomy(db: Db): TaxonomyEntry[] {
  return db.prepare('SELECT name, description FROM taxonomy ORDER BY position, name').all() as TaxonomyEntry[];
}

/**
 * Replaces the taxonomy (order kept). Categories still used by active labels cannot be removed.
 * Names: lowercase words joined by '-' (e.g. `refund-unit-error`).
 */
export function setTaxonomy(db: Db, entries: Array<TaxonomyEntry | string>): TaxonomyEntry[] {
  const list = entries.map((e) => (typeof e === 'string' ? { name: e, description: null } : e));
  const seen = new Set<string>();
  for (const e of list) {
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(e.name)) throw new LabelStoreError(`invalid category name '${e.name}': use lowercase letters, digits and '-'`, 'BAD_REQUEST');
    if (seen.has(e.name)) throw new LabelStoreError(`category '${e.name}' is listed twice`, 'BAD_REQUEST');
    seen.add(e.name);
  }
  const used = db.prepare('SELECT DISTINCT category FROM labels WHERE deleted = 0').all() as Array<{ category: string }>;
  const missing = used.map((u) => u.category).filter((c) => !seen.has(c));
  if (missing.length) throw new LabelStoreError(`categories still used by labels cannot be removed: ${missing.join(', ')}`, 'BAD_REQUEST');
  db.transaction(() => {
    db.prepare('DELETE FROM taxonomy').run();
    const ins = db.prepare('INSERT INTO taxonomy(name, description, position) VALUES (?, ?, ?)');
    list.forEach((e, i) => ins.run(e.name, e.description ?? null, i));
  })();
  return getTaxonomy(db);
}

// ---------------------------------------------------------------- labels

/** Whether the case has evidence for a run id (`trace:<id>` runs are traces no record ties to a run). */
export function runExists(db: Db, runId: string): boolean {
  if (tableExists(db, 'runs') && columns(db, 'runs').has('run_id') && db.prepare('SELECT 1 FROM runs WHERE run_id = ?').get(runId)) return true;
  if (db.prepare('SELECT 1 FROM records WHERE run_id = ? LIMIT 1').get(runId)) return true;
  const m = /^trace:([0-9a-f]{32})$/.exec(runId);
  return !!m && !!db.prepare('SELECT 1 FROM records WHERE trace_id = ? LIMIT 1').get(m[1]);
}

function stepExists(db: Db, stepId: string): boolean {
  return db.prepare('SELECT 1 FROM records WHERE key = ?').get(stepId) !== undefined;
}

function appendLog(db: Db, labelId: number, action: LogRow['action'], author: string, at: string, before: Label | null, after: Label | null): LabelHistoryEntry {
  const last = db.prepare('SELECT seq, hash FROM label_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
  const seq = (last?.seq ?? 0) + 1;
  const prev = last?.hash ?? null;
  const b = logged(before);
  const a = logged(after);
  const hash = labelLogHash({ seq, label_id: labelId, action, author, at, before: b, after: a, prev_hash: prev });
  db.prepare('INSERT INTO label_log(seq, label_id, action, author, at, before, after, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)').run(
    seq,
    labelId,
    action,
    author,
    at,
    b === null ? null : canonicalJson(b),
    a === null ? null : canonicalJson(a),
    prev,
    hash,
  );
  return { seq, labelId, action, author, at, before: b, after: a, prevHash: prev, hash };
}

/**
 * Keeps runs.harmful (recon's summary table, migration 002) in step with the labels of one run: the
 * rule lives with the runs table (store/runs-derive.ts refreshHarmful: 1 when a label says harmful,
 * 0 when labelled but none says harmful, NULL when unlabelled). A no-op while the table does not exist.
 */
export function refreshRunHarmful(db: Db, runId: string): void {
  if (!tableExists(db, 'runs')) return;
  refreshHarmful(db, runId);
}

export interface SetLabelOptions {
  /** ISO time to record (tests); defaults to now. */
  at?: string;
}

/**
 * Creates or updates a label. With `id`: updates that label. Without: updates the active label with the
 * same run, step and category if there is one (so re-labelling is idempotent), else creates one.
 * Validates the run, the step (a record key in the case), the category (taxonomy) and the verdict.
 */
export function setLabel(db: Db, input: LabelInput & { id?: number | null }, opts: SetLabelOptions = {}): Label {
  const runId = typeof input.runId === 'string' ? input.runId.trim() : '';
  if (!runId) throw new LabelStoreError('runId is required', 'BAD_REQUEST');
  const category = typeof input.category === 'string' ? input.category.trim() : '';
  const taxonomy = getTaxonomy(db).map((t) => t.name);
  if (!taxonomy.includes(category)) throw new LabelStoreError(`unknown label category '${category}': one of ${taxonomy.join(', ')}`, 'BAD_REQUEST');
  if (!VERDICTS.includes(input.verdict)) throw new LabelStoreError(`verdict must be one of ${VERDICTS.join(', ')} (got '${String(input.verdict)}')`, 'BAD_REQUEST');
  const stepId = input.stepId ? String(input.stepId) : null;
  const author = (input.author ?? '').trim() || DEFAULT_AUTHOR;
  const corrected = input.corrected === undefined || input.corrected === null ? null : canonicalJsonSafe(input.corrected);
  const at = opts.at ?? nowIso();

  return db.transaction((): Label => {
    if (!runExists(db, runId)) throw new LabelStoreError(`no run '${runId}' in this case`, 'NOT_FOUND');
    if (stepId && !stepExists(db, stepId)) throw new LabelStoreError(`no step '${stepId}' in this case (step ids are record keys such as audit:<event_id>)`, 'NOT_FOUND');
    let existing: LabelRow | undefined;
    if (input.id != null) {
      existing = db.prepare('SELECT * FROM labels WHERE id = ? AND deleted = 0').get(input.id) as LabelRow | undefined;
      if (!existing) throw new LabelStoreError(`no label ${input.id}`, 'NOT_FOUND');
    } else {
      existing = db.prepare('SELECT * FROM labels WHERE run_id = ? AND step_id IS ? AND category = ? AND deleted = 0 ORDER BY id LIMIT 1').get(runId, stepId, category) as LabelRow | undefined;
    }
    const fields = [runId, stepId, category, input.severity ?? null, input.verdict, corrected, input.note ?? null, author];
    let row: LabelRow;
    if (existing) {
      const same = existing.run_id === runId && existing.step_id === stepId && existing.category === category && existing.severity === (input.severity ?? null) && existing.verdict === input.verdict && existing.corrected === corrected && existing.note === (input.note ?? null) && existing.author === author;
      if (same) return toLabel(existing); // nothing changed: nothing to log
      db.prepare('UPDATE labels SET run_id = ?, step_id = ?, category = ?, severity = ?, verdict = ?, corrected = ?, note = ?, author = ?, updated_at = ? WHERE id = ?').run(...fields, at, existing.id);
      row = db.prepare('SELECT * FROM labels WHERE id = ?').get(existing.id) as LabelRow;
      appendLog(db, row.id, 'update', author, at, toLabel(existing), toLabel(row));
      if (existing.run_id !== runId) refreshRunHarmful(db, existing.run_id);
    } else {
      const r = db.prepare('INSERT INTO labels(run_id, step_id, category, severity, verdict, corrected, note, author, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)').run(...fields, at, at);
      row = db.prepare('SELECT * FROM labels WHERE id = ?').get(r.lastInsertRowid) as LabelRow;
      appendLog(db, row.id, 'create', author, at, null, toLabel(row));
    }
    refreshRunHarmful(db, runId);
    return toLabel(row);
  })();
}

function canonicalJsonSafe(v: unknown): string {
  try {
    return canonicalJson(v);
  } catch (e) {
    throw new LabelStoreError(`corrected value is not JSON-serializable: ${(e as Error).message}`, 'BAD_REQUEST');
  }
}

/** Marks a label deleted (the row stays, the log records the deletion). */
export function deleteLabel(db: Db, labelId: number, author?: string, opts: SetLabelOptions = {}): void {
  db.transaction(() => {
    const row = db.prepare('SELECT * FROM labels WHERE id = ? AND deleted = 0').get(labelId) as LabelRow | undefined;
    if (!row) throw new LabelStoreError(`no label ${labelId}`, 'NOT_FOUND');
    const at = opts.at ?? nowIso();
    const who = (author ?? '').trim() || DEFAULT_AUTHOR;
    db.prepare('UPDATE labels SET deleted = 1, updated_at = ? WHERE id = ?').run(at, labelId);
    appendLog(db, labelId, 'delete', who, at, toLabel(row), null);
    refreshRunHarmful(db, row.run_id);
  })();
}

/** Active labels, oldest first; only those of one run when runId is given. */
export function labels(db: Db, runId?: string): Label[] {
  const rows = (runId === undefined
    ? db.prepare('SELECT * FROM labels WHERE deleted = 0 ORDER BY id').all()
    : db.prepare('SELECT * FROM labels WHERE deleted = 0 AND run_id = ? ORDER BY id').all(runId)) as LabelRow[];
  return rows.map(toLabel);
}

export function labelById(db: Db, id: number): Label | null {
  const r = db.prepare('SELECT * FROM labels WHERE id = ? AND deleted = 0').get(id) as LabelRow | undefined;
  return r ? toLabel(r) : null;
}

function toEntry(r: LogRow): LabelHistoryEntry {
  return { seq: r.seq, labelId: r.label_id, action: r.action, author: r.author, at: r.at, before: parseJson(r.before), after: parseJson(r.after), prevHash: r.prev_hash, hash: r.hash };
}

/** The whole label log, in order (optionally the entries of one label). */
export function labelHistory(db: Db, labelId?: number): LabelHistoryEntry[] {
  const rows = (labelId === undefined
    ? db.prepare('SELECT * FROM label_log ORDER BY seq').all()
    : db.prepare('SELECT * FROM label_log WHERE label_id = ? ORDER BY seq').all(labelId)) as LogRow[];
  return rows.map(toEntry);
}

export interface LabelLogBreak {
  seq: number;
  labelId: number | null;
  reason: string;
}

export interface LabelLogReport {
  ok: boolean;
  entries: number;
  /** The last entry's hash: the value to quote as the state of the labels (chain-of-custody). */
  head: { seq: number; hash: string } | null;
  breaks: LabelLogBreak[];
}

/**
 * Recomputes the label log's hash chain and replays it against the labels table. Reports: an entry whose
 * hash does not match its content, an entry whose prev_hash is not its predecessor's hash, a gap in seq
 * (a removed entry), and a label row that differs from the state its last log entry recorded.
 */
export function verifyLabelLog(db: Db): LabelLogReport {
  const breaks: LabelLogBreak[] = [];
  let prev: LogRow | null = null;
  const lastState = new Map<number, { after: unknown; seq: number }>();
  let entries = 0;
  for (const r of db.prepare('SELECT * FROM label_log ORDER BY seq').iterate() as IterableIterator<LogRow>) {
    entries++;
    const expectedSeq = (prev?.seq ?? 0) + 1;
    if (r.seq !== expectedSeq) breaks.push({ seq: r.seq, labelId: r.label_id, reason: `entries ${expectedSeq}..${r.seq - 1} are missing` });
    const expectedPrev = prev?.hash ?? null;
    if ((r.prev_hash ?? null) !== expectedPrev) breaks.push({ seq: r.seq, labelId: r.label_id, reason: `prev_hash ${r.prev_hash ?? 'null'} does not match the previous entry's hash ${expectedPrev ?? 'null'}` });
    const before = parseJson(r.before);
    const after = parseJson(r.after);
    const recomputed = labelLogHash({ seq: r.seq, label_id: r.label_id, action: r.action, author: r.author, at: r.at, before, after, prev_hash: r.prev_hash });
    if (recomputed !== r.hash) breaks.push({ seq: r.seq, labelId: r.label_id, reason: `content does not match its hash (recorded ${r.hash.slice(0, 16)}…, recomputed ${recomputed.slice(0, 16)}…): the entry was modified` });
    lastState.set(r.label_id, { after, seq: r.seq });
    prev = r;
  }
  // the labels table must be what the log says it is
  const rows = db.prepare('SELECT * FROM labels ORDER BY id').all() as LabelRow[];
  const seenIds = new Set<number>();
  for (const row of rows) {
    seenIds.add(row.id);
    const st = lastState.get(row.id);
    if (!st) {
      breaks.push({ seq: 0, labelId: row.id, reason: `label ${row.id} has no entry in the label log` });
      continue;
    }
    const current = row.deleted ? null : logged(toLabel(row));
    if (canonicalJson(current) !== canonicalJson(st.after)) breaks.push({ seq: st.seq, labelId: row.id, reason: `label ${row.id} differs from the state recorded by log entry ${st.seq}` });
  }
  for (const [id, st] of lastState) if (!seenIds.has(id) && st.after !== null) breaks.push({ seq: st.seq, labelId: id, reason: `label ${id} is in the log but missing from the labels table` });
  return { ok: breaks.length === 0, entries, head: prev ? { seq: prev.seq, hash: prev.hash } : null, breaks };
}

export function labelLogHead(db: Db): { seq: number; hash: string } | null {
  return (db.prepare('SELECT seq, hash FROM label_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined) ?? null;
}

/**
 * FOR TESTS AND FORENSIC DRILLS ONLY: rewrites columns of one label_log row (or labels row) with plain
 * SQL, bypassing the chain, so that verifyLabelLog can be shown to detect it.
 */
export function tamperForTest(db: Db, table: 'label_log' | 'labels', key: number, set: Record<string, string | number | null>): void {
  const cols = Object.keys(set);
  const allowed = columns(db, table);
  for (const c of cols) if (!allowed.has(c)) throw new Error(`no column ${c} in ${table}`);
  db.prepare(`UPDATE ${table} SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE ${table === 'label_log' ? 'seq' : 'id'} = ?`).run(...cols.map((c) => set[c]!), key);
}

// ---------------------------------------------------------------- postmortem

export function getPostmortem(db: Db): Postmortem {
  const r = db.prepare('SELECT markdown, revision, updated_at FROM postmortem WHERE id = 1').get() as { markdown: string; revision: number; updated_at: string | null } | undefined;
  return r ? { markdown: r.markdown, revision: r.revision, updatedAt: r.updated_at } : { markdown: '', revision: 0, updatedAt: null };
}

/**
 * Saves the postmortem if `baseRevision` is the current revision (optimistic concurrency), bumping the
 * revision and journaling the text. A stale base revision throws StaleRevisionError; saving identical
 * text is a no-op that returns the current document.
 */
export function savePostmortem(db: Db, markdown: string, baseRevision: number, author?: string | null): Postmortem {
  if (typeof markdown !== 'string') throw new LabelStoreError('markdown must be a string', 'BAD_REQUEST');
  if (!Number.isInteger(baseRevision) || baseRevision < 0) throw new LabelStoreError(`baseRevision must be a non-negative integer (got ${String(baseRevision)})`, 'BAD_REQUEST');
  return db.transaction((): Postmortem => {
    const cur = getPostmortem(db);
    if (cur.revision !== baseRevision) throw new StaleRevisionError(baseRevision, cur.revision);
    if (cur.markdown === markdown && cur.revision > 0) return cur;
    const at = nowIso();
    const revision = cur.revision + 1;
    db.prepare('UPDATE postmortem SET markdown = ?, revision = ?, updated_at = ? WHERE id = 1').run(markdown, revision, at);
    db.prepare('INSERT INTO postmortem_journal(revision, markdown, at, author) VALUES (?, ?, ?, ?)').run(revision, markdown, at, author ?? null);
    return { markdown, revision, updatedAt: at };
  })();
}

export interface PostmortemRevision {
  revision: number;
  at: string;
  author: string | null;
  markdown: string;
}

/** Saved revisions, newest first. */
export function postmortemJournal(db: Db, limit = 100): PostmortemRevision[] {
  return db.prepare('SELECT revision, at, author, markdown FROM postmortem_journal ORDER BY revision DESC LIMIT ?').all(limit) as PostmortemRevision[];
}

// ---------------------------------------------------------------- case copy

/**
 * Writes a consistent copy of the open case to `dest` with SQLite's online backup API (after a WAL
 * checkpoint), into a temporary file renamed into place. The copy is a single file (journal_mode DELETE).
 */
export async function backupCase(db: Db, dest: string): Promise<void> {
  db.pragma('wal_checkpoint(TRUNCATE)');
  const tmp = `${dest}.partial`;
  rmSync(tmp, { force: true });
  await db.backup(tmp);
  // the backup keeps WAL mode in its header; a standalone archive copy reads fine either way
  if (existsSync(dest)) rmSync(dest, { force: true });
  renameSync(tmp, dest);
  for (const ext of ['-wal', '-shm']) rmSync(`${tmp}${ext}`, { force: true });
}

/** Recomputes runs.harmful for every run from the labels. */
export function refreshAllRunHarmful(db: Db): void {
  if (!tableExists(db, 'runs')) return;
  refreshHarmful(db);
}

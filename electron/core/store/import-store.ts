import type { Db } from './db';
import type { Statement } from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { dropBulkIndexes, ensureBulkIndexes } from './indexes';
import { FACT_COLUMNS, type FactsRow, type FactValue } from '../../../shared/record-facts';
import { forEachPacked, type PackedRecords } from './packed-rows';
import { AuditPartBuilder, PART_COLUMNS } from '../../../shared/audit-parts';

/** A record ready to insert, as produced by the reader worker (compact, already serialized). */
export type RecordRow = [
  kind: string,
  key: string,
  runId: string | null,
  traceId: string | null,
  spanId: string | null,
  parentSpanId: string | null,
  ts: number | null,
  endTs: number | null,
  name: string | null,
  /** the record's JSON: a string, or its UTF-8 bytes (rows packed by a parse worker: packed-rows.ts) */
  data: string | Uint8Array,
  line: number | null,
  path: string | null,
  /** what run derivation reads from the record (shared/record-facts.ts), null for logs and lineage */
  facts: FactsRow | null,
];
export type QuarantineRow = [line: number | null, path: string | null, reason: string, raw: string | null];
export type SkipRow = [line: number | null, path: string | null, reason: string];

export interface SourceInfo {
  path: string;
  container: string | null;
  member: string | null;
  size: number;
  format: string;
  manifestSha256?: string | null;
}

export interface SourceCounts {
  recordsIn: number;
  stored: number;
  duplicates: number;
  quarantined: number;
  skipped: number;
}

export interface SourceRow {
  id: number;
  path: string;
  container: string | null;
  member: string | null;
  sha256: string;
  size: number;
  format: string;
  status: 'complete' | 'refused' | 'failed';
  records_in: number;
  stored: number;
  duplicates: number;
  quarantined: number;
  skipped: number;
  error: string | null;
  manifest_sha256: string | null;
  imported_at: string;
}

const MAX_RAW = 64 * 1024;
const H_BAD = FACT_COLUMNS.indexOf('h_bad');

/** The facts columns each kind of record fills (shared/record-facts.ts): the rest of its row is NULL. */
const FACT_KINDS: Record<string, (column: string) => boolean> = {
  audit: (c) => c.startsWith('a_') || c === 'h_bad',
  span: (c) => c.startsWith('s_') || c === 'g_json',
  decision: (c) => c.startsWith('o_'),
};

/**
 * Writes facts rows binding only the columns of their record's kind: a span's row binds 5 values instead of
 * 30, an OPA decision's 6 (the columns left out are NULL in the row either way). A row with a value outside
 * its kind's columns, or of another kind, is written whole.
 */
class FactsWriter {
  private readonly kinds = new Map<string, { idx: number[]; outside: number[]; stmt: Statement; args: FactValue[] }>();

  constructor(db: Db, private readonly whole: Statement) {
    for (const [kind, has] of Object.entries(FACT_KINDS)) {
      const idx = FACT_COLUMNS.flatMap((c, i) => (has(c) ? [i] : []));
      const outside = FACT_COLUMNS.flatMap((c, i) => (has(c) ? [] : [i]));
      const stmt = db.prepare(`INSERT INTO record_facts(id, ${idx.map((i) => FACT_COLUMNS[i]).join(', ')}) VALUES (?${', ?'.repeat(idx.length)})`);
      this.kinds.set(kind, { idx, outside, stmt, args: new Array<FactValue>(idx.length + 1).fill(null) });
    }
  }

  write(id: number, kind: string, facts: FactsRow): void {
    const k = this.kinds.get(kind);
    let own = k !== undefined;
    if (k) for (const i of k.outside) if (facts[i] != null) own = false;
    if (k && own) {
      const args = k.args;
      args[0] = id;
      for (let j = 0; j < k.idx.length; j++) args[j + 1] = facts[k.idx[j]!] ?? null;
      k.stmt.run(args);
      return;
    }
    this.whole.run(id, ...facts);
  }
}

/** A record's data as hashed to compare contents: a string and its UTF-8 bytes give the same digest. */
function digest(s: string | Uint8Array): string {
  return createHash('sha1').update(s).digest('base64');
}

function asText(data: string | Uint8Array): string {
  return typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
}

/**
 * Writes one source at a time, each inside its own transaction: a crash or a cancel at any moment
 * leaves the case as it was before that source (WAL rollback), and a re-import redoes it whole.
 */
export class ImportStore {
  private readonly st: {
    insertSource: Statement;
    finishSource: Statement;
    insertRecord: Statement;
    findRecord: Statement;
    provInSource: Statement;
    insertProv: Statement;
    insertFacts: Statement;
    insertQuarantine: Statement;
    insertSkip: Statement;
    completeBySha: Statement;
    addAlias: Statement;
    insertDocument: Statement;
    insertPart: Statement;
    insertHashBad: Statement;
    toText: Statement;
  };
  /** per-run partial aggregates of the audit events being stored (migration 006) */
  private readonly parts: AuditPartBuilder;
  private readonly factsWriter: FactsWriter;
  private current: { id: number; counts: SourceCounts; seenHere: Map<string, string> } | null = null;

  constructor(private readonly db: Db) {
    this.st = {
      insertSource: db.prepare(
        `INSERT INTO sources(path, container, member, sha256, size, format, status, manifest_sha256, imported_at)
         VALUES (?, ?, ?, '', ?, ?, 'complete', ?, ?)`,
      ),
      finishSource: db.prepare(
        `UPDATE sources SET sha256 = ?, size = ?, status = ?, error = ?, records_in = ?, stored = ?, duplicates = ?, quarantined = ?, skipped = ? WHERE id = ?`,
      ),
      insertRecord: db.prepare(
        `INSERT INTO records(kind, key, run_id, trace_id, span_id, parent_span_id, ts, end_ts, name, data, source_id, line, path)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT), ?, ?, ?) ON CONFLICT(key) DO NOTHING`,
      ),
      findRecord: db.prepare('SELECT id, data FROM records WHERE key = ?'),
      provInSource: db.prepare('SELECT line, path FROM record_provenance WHERE record_id = ? AND source_id = ? LIMIT 1'),
      insertProv: db.prepare('INSERT INTO provenance(record_id, source_id, line, path) VALUES (?, ?, ?, ?)'),
      insertFacts: db.prepare(`INSERT INTO record_facts(id, ${FACT_COLUMNS.join(', ')}) VALUES (?${', ?'.repeat(FACT_COLUMNS.length)})`),
      insertQuarantine: db.prepare('INSERT INTO quarantine(source_id, line, path, reason, raw) VALUES (?, ?, ?, ?, ?)'),
      insertSkip: db.prepare('INSERT INTO skipped(source_id, line, path, reason) VALUES (?, ?, ?, ?)'),
      completeBySha: db.prepare("SELECT * FROM sources WHERE sha256 = ? AND status = 'complete' ORDER BY id LIMIT 1"),
      addAlias: db.prepare('INSERT OR IGNORE INTO source_aliases(source_id, path, seen_at) VALUES (?, ?, ?)'),
      insertDocument: db.prepare('INSERT OR REPLACE INTO documents(source_id, format, text) VALUES (?, ?, ?)'),
      insertPart: db.prepare(`INSERT INTO audit_run_parts(${PART_COLUMNS.join(', ')}) VALUES (?${', ?'.repeat(PART_COLUMNS.length - 1)})`),
      insertHashBad: db.prepare('INSERT OR REPLACE INTO audit_hash_bad(record_id, problem) VALUES (?, ?)'),
      toText: db.prepare('SELECT CAST(? AS TEXT)').pluck(),
    };
    this.factsWriter = new FactsWriter(db, this.st.insertFacts);
    const toText = this.st.toText;
    this.parts = new AuditPartBuilder((v) => toText.get(v) as string);
  }

  /** A source with this content that is already fully in the case, if any. */
  findComplete(sha256: string): SourceRow | undefined {
    return this.st.completeBySha.get(sha256) as SourceRow | undefined;
  }

  /** Large imports: drop the secondary indexes now and rebuild them once at the end (leaveBulkMode). */
  enterBulkMode(): void {
    dropBulkIndexes(this.db);
  }

  leaveBulkMode(): void {
    ensureBulkIndexes(this.db);
  }

  /** No source has been imported into this case yet. */
  isEmpty(): boolean {
    return !this.db.prepare('SELECT 1 FROM sources LIMIT 1').get();
  }

  /** SHA-256 of every source already complete in the case. */
  knownHashes(): Set<string> {
    return new Set((this.db.prepare("SELECT sha256 FROM sources WHERE status = 'complete'").all() as Array<{ sha256: string }>).map((r) => r.sha256));
  }

  /** Note that the same content was seen again at another path (idempotent re-import). */
  addAlias(sourceId: number, path: string): void {
    this.st.addAlias.run(sourceId, path, new Date().toISOString());
  }

  begin(info: SourceInfo): number {
    if (this.current) throw new Error('a source is already open');
    this.db.exec('BEGIN IMMEDIATE');
    const r = this.st.insertSource.run(info.path, info.container, info.member, info.size, info.format, info.manifestSha256 ?? null, new Date().toISOString());
    this.parts.reset();
    this.current = { id: Number(r.lastInsertRowid), counts: { recordsIn: 0, stored: 0, duplicates: 0, quarantined: 0, skipped: 0 }, seenHere: new Map() };
    return this.current.id;
  }

  writeRecords(rows: RecordRow[]): void {
    const cur = this.mustCurrent();
    for (const row of rows) this.writeRecord(cur, row);
  }

  /** Rows packed by a parse worker (electron/core/import/packed-rows.ts), read back one at a time. */
  writePacked(p: PackedRecords): void {
    const cur = this.mustCurrent();
    forEachPacked(p, (row) => this.writeRecord(cur, row));
  }

  private writeRecord(cur: NonNullable<ImportStore['current']>, row: RecordRow): void {
    const st = this.st;
    cur.counts.recordsIn++;
    const [kind, key, runId, traceId, spanId, parent, ts, endTs, name, data, line, path, facts] = row;
    // the record and its first provenance in one row (migration 004)
    const res = st.insertRecord.run(kind, key, runId, traceId, spanId, parent, ts, endTs, name, data, cur.id, line, path);
    if (res.changes === 1) {
      const id = Number(res.lastInsertRowid);
      if (kind === 'audit') {
        // the run's part takes what the derivation groups per run; the event keeps facts only where the
        // derivation reads them event by event (migration 006)
        if (runId !== null) {
          const done = this.parts.add(id, runId, name, ts, traceId, key, facts);
          if (done) st.insertPart.run(done);
        }
        if (facts && (name === 'policy.decision' || name === 'write')) this.factsWriter.write(id, kind, facts);
        if (facts && facts[H_BAD] !== null) st.insertHashBad.run(id, facts[H_BAD]);
      } else if (facts) this.factsWriter.write(id, kind, facts);
      cur.counts.stored++;
      return;
    }
    // Same identity already in the case.
    const existing = st.findRecord.get(key) as { id: number; data: string };
    const sameSource = st.provInSource.get(existing.id, cur.id) as { line: number | null; path: string | null } | undefined;
    // What this source said the first time it gave this identity (the stored data may come from another file).
    const ownEarlier = sameSource ? (cur.seenHere.get(key) ?? digest(existing.data)) : undefined;
    if (!sameSource) cur.seenHere.set(key, digest(data));
    if (sameSource && ownEarlier !== digest(data)) {
      const where = sameSource.line != null ? `line ${sameSource.line}` : (sameSource.path ?? 'earlier');
      this.quarantineOne(line, path, `duplicate id ${key}: already read at ${where} of this file with different content`, asText(data), false);
      return;
    }
    st.insertProv.run(existing.id, cur.id, line, path);
    cur.counts.stored++;
    cur.counts.duplicates++;
  }

  writeQuarantine(rows: QuarantineRow[]): void {
    for (const [line, path, reason, raw] of rows) this.quarantineOne(line, path, reason, raw);
  }

  private quarantineOne(line: number | null, path: string | null, reason: string, raw: string | null, countIn = true): void {
    const cur = this.mustCurrent();
    if (countIn) cur.counts.recordsIn++;
    cur.counts.quarantined++;
    const clipped = raw != null && raw.length > MAX_RAW ? `${raw.slice(0, MAX_RAW)}… [${raw.length - MAX_RAW} more characters not kept]` : raw;
    this.st.insertQuarantine.run(cur.id, line, path, reason, clipped);
  }

  writeSkips(rows: SkipRow[]): void {
    const cur = this.mustCurrent();
    for (const [line, path, reason] of rows) {
      cur.counts.recordsIn++;
      cur.counts.skipped++;
      this.st.insertSkip.run(cur.id, line, path, reason);
    }
  }

  writeDocument(format: string, text: string): void {
    this.st.insertDocument.run(this.mustCurrent().id, format, text);
  }

  /**
   * Finish the open source. If the same content is already complete in the case, the work is rolled back
   * and the earlier source is returned with an alias (idempotence). Returns the source row as stored.
   */
  commit(sha256: string, size: number, status: 'complete' | 'failed' = 'complete', error: string | null = null): { source: SourceRow; alreadyPresent: boolean } {
    const cur = this.mustCurrent();
    for (const part of this.parts.flush()) this.st.insertPart.run(part);
    const existing = this.findComplete(sha256);
    if (existing && status === 'complete') {
      this.db.exec('ROLLBACK');
      this.current = null;
      return { source: existing, alreadyPresent: true };
    }
    const c = cur.counts;
    this.st.finishSource.run(sha256, size, status, error, c.recordsIn, c.stored, c.duplicates, c.quarantined, c.skipped, cur.id);
    this.db.exec('COMMIT');
    this.current = null;
    return { source: this.db.prepare('SELECT * FROM sources WHERE id = ?').get(cur.id) as SourceRow, alreadyPresent: false };
  }

  rollback(): void {
    this.parts.reset();
    if (!this.current) return;
    this.db.exec('ROLLBACK');
    this.current = null;
  }

  /** Record a source that was refused (unsafe archive entry, unreadable file): nothing of it is stored but the fact. */
  recordRefused(info: SourceInfo, sha256: string, reason: string, status: 'refused' | 'failed' = 'refused'): SourceRow {
    const r = this.db
      .prepare(
        `INSERT INTO sources(path, container, member, sha256, size, format, status, error, manifest_sha256, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(info.path, info.container, info.member, sha256, info.size, info.format, status, reason, info.manifestSha256 ?? null, new Date().toISOString());
    return this.db.prepare('SELECT * FROM sources WHERE id = ?').get(r.lastInsertRowid) as SourceRow;
  }

  counts(): SourceCounts | null {
    return this.current ? { ...this.current.counts } : null;
  }

  private mustCurrent() {
    if (!this.current) throw new Error('no source is open');
    return this.current;
  }
}

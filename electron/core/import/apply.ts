import type { ImportProgress, ImportResult, ImportedSource } from '../../../shared/import-types';
import { beginExclusiveJournal, endExclusiveJournal, openDb, type Db } from '../store/db';
import { CaseQueries } from '../store/case-queries';
import { ImportStore, type SourceRow } from '../store/import-store';
import { readInputs, type ReaderMsg } from './reader';
import { checkManifests } from './manifest';
import { ensureRuns } from '../recon/index';

/** Applies reader messages to the store, one transaction per source, and keeps the running tally. */
export class ImportApplier {
  readonly store: ImportStore;
  readonly sources: ImportedSource[] = [];
  readonly errors: string[] = [];
  records = 0;
  quarantined = 0;
  skipped = 0;
  currentPath: string | null = null;
  private open = false;

  constructor(readonly db: Db) {
    this.store = new ImportStore(db);
  }

  apply(m: ReaderMsg): void {
    switch (m.t) {
      case 'begin':
        this.store.begin(m.info);
        this.open = true;
        this.currentPath = m.info.path;
        break;
      case 'rows':
        if (m.records.length) this.store.writeRecords(m.records);
        if (m.packed) this.store.writePacked(m.packed);
        if (m.quarantine.length) this.store.writeQuarantine(m.quarantine);
        if (m.skips.length) this.store.writeSkips(m.skips);
        this.records += m.records.length + (m.packed?.count ?? 0);
        this.quarantined += m.quarantine.length;
        this.skipped += m.skips.length;
        break;
      case 'document':
        this.store.writeDocument(m.format, m.text);
        break;
      case 'end': {
        const status = m.error ? 'failed' : 'complete';
        const { source, alreadyPresent } = this.store.commit(m.sha256, m.size, status, m.error ?? null);
        this.open = false;
        if (alreadyPresent && this.currentPath) this.store.addAlias(source.id, this.currentPath);
        this.sources.push(toImported(source, alreadyPresent, alreadyPresent ? this.currentPath : null));
        if (m.error) this.errors.push(`${source.path}: ${m.error}`);
        break;
      }
      case 'known': {
        const src = this.store.findComplete(m.sha256);
        if (src) {
          this.store.addAlias(src.id, m.info.path);
          this.sources.push(toImported(src, true, m.info.path));
        }
        break;
      }
      case 'refused': {
        const row = this.store.recordRefused(m.info, m.sha256, m.reason, m.status);
        this.sources.push(toImported(row, false, null));
        this.errors.push(`${m.info.path}: ${m.reason}`);
        break;
      }
      case 'fatal':
        this.errors.push(m.reason);
        break;
    }
  }

  /** Abandon the source being written (cancel or crash of the reader): the case stays as before it. */
  abort(): void {
    if (this.open) this.store.rollback();
    this.open = false;
  }

  progress(bytesDone: number, bytesTotal: number, startedAt: number): ImportProgress {
    const secs = Math.max(0.001, (Date.now() - startedAt) / 1000);
    return {
      bytesDone,
      bytesTotal,
      records: this.records,
      quarantined: this.quarantined,
      skipped: this.skipped,
      sourcesDone: this.sources.length,
      currentPath: this.currentPath,
      recordsPerSec: Math.round(this.records / secs),
      bytesPerSec: Math.round(bytesDone / secs),
    };
  }

  /** Inputs larger than this are imported with secondary indexes dropped and rebuilt once at the end. */
  static readonly BULK_THRESHOLD = 64 * 1024 * 1024;
  private bulk = false;
  private rollbackJournal = false;

  startBulkIfLarge(inputBytes: number): void {
    if (inputBytes < ImportApplier.BULK_THRESHOLD) return;
    // a new case (no evidence yet, so nobody reads it): a rollback journal while this import is its only
    // connection (store/db.ts), back to WAL at the end
    if (this.store.isEmpty()) this.rollbackJournal = beginExclusiveJournal(this.db);
    this.store.enterBulkMode();
    this.bulk = true;
  }

  private readonly createdAt = performance.now();

  finish(casePath: string, cancelled: boolean): ImportResult {
    const t0 = performance.now();
    if (this.bulk) {
      this.store.leaveBulkMode();
      this.bulk = false;
    }
    const t1 = performance.now();
    const q = new CaseQueries(this.db);
    const manifestProblems = checkManifests(this.db);
    // rebuild the runs (electron/core/recon/derive.ts) when this import changed the evidence
    const derivePhases: Record<string, number> = {};
    try {
      ensureRuns(this.db, { onPhase: (name, ms) => (derivePhases[name] = ms) });
    } catch (e) {
      this.errors.push(`run reconstruction failed: ${(e as Error).message}`);
    }
    if (this.rollbackJournal) {
      endExclusiveJournal(this.db);
      this.rollbackJournal = false;
    }
    const t2 = performance.now();
    return {
      case: casePath,
      sources: this.sources,
      totals: q.totals(),
      errors: this.errors,
      manifestProblems,
      cancelled,
      timings: { writeMs: Math.round(t0 - this.createdAt), indexMs: Math.round(t1 - t0), deriveMs: Math.round(t2 - t1), derivePhases },
    };
  }
}

export function toImported(s: SourceRow, alreadyPresent: boolean, seenAt: string | null): ImportedSource {
  return {
    id: s.id,
    path: seenAt ?? s.path,
    storedPath: s.path,
    sha256: s.sha256,
    size: s.size,
    format: s.format,
    status: s.status,
    records: s.records_in,
    stored: s.stored,
    duplicates: s.duplicates,
    quarantined: s.quarantined,
    skipped: s.skipped,
    error: s.error,
    alreadyPresent,
  };
}

/** Total bytes on disk of the inputs (for progress). */
export async function inputBytes(inputs: string[]): Promise<number> {
  const { promises: fsp } = await import('node:fs');
  const { join } = await import('node:path');
  let total = 0;
  const walk = async (p: string) => {
    const st = await fsp.lstat(p).catch(() => null);
    if (!st) return;
    if (st.isDirectory()) for (const e of await fsp.readdir(p)) await walk(join(p, e));
    else if (st.isFile()) total += st.size;
  };
  for (const i of inputs) await walk(i);
  return total;
}

/** Single-threaded import (tests, and the fallback when workers are unavailable). Same semantics as the worker pipeline. */
export async function importInProcess(
  casePath: string,
  inputs: string[],
  opts: { onProgress?: (p: ImportProgress) => void; isCancelled?: () => boolean } = {},
): Promise<ImportResult> {
  const db = openDb(casePath);
  try {
    const applier = new ImportApplier(db);
    const known = applier.store.knownHashes();
    const total = await inputBytes(inputs);
    applier.startBulkIfLarge(total);
    let done = 0;
    const started = Date.now();
    let cancelled = false;
    for await (const m of readInputs(inputs, { known, onRawBytes: (n) => (done += n), isCancelled: opts.isCancelled })) {
      applier.apply(m);
      if (m.t === 'rows' || m.t === 'end') opts.onProgress?.(applier.progress(done, total, started));
      if (opts.isCancelled?.()) {
        cancelled = true;
        break;
      }
    }
    applier.abort();
    return applier.finish(casePath, cancelled);
  } finally {
    db.close();
  }
}

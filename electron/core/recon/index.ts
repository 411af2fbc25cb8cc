/**
 * Run reconstruction and finding runs (issue 3). Every function takes a better-sqlite3 connection
 * (electron/core/store/db.ts) as first argument, except sqlQuery (a case path: it opens its own
 * read-only connection on a worker thread).
 */
import type { Db } from '../store/db';
import { derivedSignature, evidenceSignature, refreshHarmful } from '../store/runs-derive';
import { deriveRuns, type DeriveOptions } from './derive';

export { deriveRuns, type DeriveOptions, type DeriveResult } from './derive';
export { listRuns, facets, saveAffectedSet, affectedSet, toFtsQuery, normalizeQuery } from './query';
export { getRun, getRunForApi, leanRun, assembleRun, resolveModelVersion, spanTree, ReconError } from './reconstruct';
export { diffRuns, diffReconstructed, alignSequences } from './diff-runs';
export { lineage, lineageGraph, lineageIndex, LineageIndex } from './lineage';
export { overviewParts, runFacts, type OverviewParts } from './overview';
export { sqlQuery, SqlTimeoutError, DEFAULT_ROW_CAP, DEFAULT_TIMEOUT_MS } from './sql';
export { refreshHarmful };

/** Derives the runs when the evidence changed since the last derivation (or never was). True when it derived. */
export function ensureRuns(db: Db, opts: Pick<DeriveOptions, 'onPhase'> = {}): boolean {
  if (derivedSignature(db) === evidenceSignature(db)) return false;
  return !deriveRuns(db, opts).skipped;
}

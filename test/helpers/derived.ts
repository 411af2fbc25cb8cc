import type { Db } from '../../electron/core/store/db';

/**
 * Everything a derivation writes, in a stable order, for comparing two derivations of the same evidence:
 * runs, findings, tags, trace links, record links, audit hash problems, and the runs the full-text index
 * finds for each of `words`.
 */
export function derivedSnapshot(db: Db, words: string[]) {
  return {
    runs: db.prepare('SELECT * FROM runs ORDER BY rid').all(),
    findings: db.prepare('SELECT run_id, code, severity, message, step_id FROM run_findings ORDER BY run_id, code, message').all(),
    tags: db.prepare('SELECT tag, rid FROM run_tags ORDER BY tag, rid').all(),
    traces: db.prepare('SELECT * FROM run_traces ORDER BY run_id, trace_id').all(),
    links: db.prepare('SELECT * FROM run_links ORDER BY run_id, record_id').all(),
    hashBad: db.prepare('SELECT * FROM audit_hash_bad ORDER BY record_id').all(),
    fts: words.map((w) => db.prepare('SELECT rowid FROM runs_fts WHERE runs_fts MATCH ? ORDER BY rowid').all(w)),
  };
}

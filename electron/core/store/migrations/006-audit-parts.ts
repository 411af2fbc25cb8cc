/**
 * 006 — per-run partial aggregates of audit events, written at import.
 *
 * `audit_run_parts`: one row per run and stretch of consecutive audit events of that run in a source
 * (shared/audit-parts.ts says what each column is), written by the import's writer next to the events it
 * stores. Run derivation merges these rows (a few per run) instead of grouping every audit event of the
 * case again, and `record_facts` no longer needs to hold what only that grouping read (inputs, outputs,
 * tools, models, hash-chain fields of every event): new audit events keep facts only where the derivation
 * still reads them event by event (policy decisions and writes). Records stored before this migration (ids
 * up to meta 'parts.legacy_max_id') have full facts; their parts are computed in SQL at the case's next
 * derivation (RunsDeriveStore.backfillParts). Audit events whose own hash is wrong go to audit_hash_bad at
 * import too.
 */
export const up = `
CREATE TABLE audit_run_parts (
  run_id TEXT NOT NULL,
  first_id INTEGER NOT NULL,
  n INTEGER NOT NULL,
  started, ended,
  n_writes, n_undo, n_rerun, n_esc_sig, n_complaint, n_appr_rej, n_start,
  input_len, input_head, wf, tier, session_id, tools,
  m_rank, m_ts, m_id, m_ver, m_name, m_prov, m_key,
  n_chained, chain_prevs, chain_hashes, n_seq, chain_bad,
  n_traces, trace1, trace2, ftxt
);
INSERT OR REPLACE INTO meta(key, value) SELECT 'parts.legacy_max_id', max(id) FROM records HAVING max(id) IS NOT NULL;
`;

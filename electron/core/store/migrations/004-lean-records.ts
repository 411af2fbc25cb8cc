/**
 * 004 — leaner records (what each imported record costs).
 *
 * - A record's FIRST provenance (source, line, JSON path) lives in its own row: `records.source_id/line/path`.
 *   The `provenance` table only holds the further ones (the same record read again from another file, e.g. a
 *   span in both an OTLP and a Jaeger export). `record_provenance` is the union, first provenance first
 *   (`seq` 0, then the provenance rowids). Cases imported before this migration keep every provenance in the
 *   `provenance` table (their records have `source_id` NULL): the view reads both kinds the same way.
 * - `records_fts` is dropped: it indexed every record's text at import time and nothing ever queried it.
 *   Full-text search is run-level (`runs_fts`, migration 002), built in bulk at each derivation.
 * - `record_facts`: what run derivation reads from each audit event, span and OPA decision (shared/record-facts.ts
 *   names the columns), extracted at import from the object the importer already parsed, so a derivation
 *   never re-parses the records' JSON. Records stored before this migration (ids up to meta
 *   'facts.legacy_max_id') get theirs at their case's next derivation, from the same function.
 *   `h_bad` is the audit event's own-hash check (replaces meta 'recon.audit_hash_checked').
 */
export const up = `
ALTER TABLE records ADD COLUMN source_id INTEGER;
ALTER TABLE records ADD COLUMN line INTEGER;
ALTER TABLE records ADD COLUMN path TEXT;
DROP TABLE records_fts;
CREATE VIEW record_provenance AS
  SELECT id AS record_id, source_id, line, path, 0 AS seq FROM records WHERE source_id IS NOT NULL
  UNION ALL
  SELECT record_id, source_id, line, path, rowid AS seq FROM provenance;

CREATE TABLE record_facts (
  id INTEGER PRIMARY KEY,
  a_seq, a_prev, a_hash, h_bad,
  a_wf, a_tier, a_session, a_sig, a_appr, a_in, a_ftxt, a_tool,
  a_mver, a_mname, a_mprov, a_did, a_dout, a_dpol, a_dreasons, a_write,
  s_links, s_session, s_wf, g_json,
  o_did, o_out, o_reasons, o_pol, o_wf
);
INSERT OR REPLACE INTO meta(key, value) SELECT 'facts.legacy_max_id', max(id) FROM records HAVING max(id) IS NOT NULL;
DELETE FROM meta WHERE key = 'recon.audit_hash_checked';
`;

/**
 * 002 — runs: what reconstruction derives from the evidence (rebuilt after every import by
 * electron/core/recon/derive.ts), and the incident's affected set (kept across rebuilds).
 *
 * - runs: one row per run. `rid` is assigned in (started, run_id) order at each rebuild, so the rowid
 *   order IS the default keyset order and runs_fts (rowid = rid) returns matches already sorted.
 *   Multi-valued fields (decisions, reason_codes, findings, tools, trace_ids) are space-separated for
 *   reading (whitespace inside a value becomes '_'); run_tags holds them exactly, for filters and facets.
 * - run_tags: (tag, rid) with tag = '<facet letter>:<value>' — w workflow, t tier, m model version,
 *   d decision outcome, r reason code, f finding code, h has-write (0/1). run_tag_counts: counts per tag.
 * - run_traces: which traces belong to which run and by which rule (docs/correlation.md); `shared` is 1
 *   when several runs carry the trace (its records are then assigned one by one through run_links).
 * - run_links: records tied to a run by a rule other than their own run id / an unshared trace
 *   (decision id, session id, span parentage, time window), with `inferred` and its reason.
 * - run_findings: the completeness verdict of each run (codes in shared/api.ts FindingCode).
 * - affected_set / affected_runs: the saved query (JSON RunQuery) and the run ids it matched.
 * - runs_fts: contentless FTS5 over each run's inputs, outputs, reason codes (rowid = runs.rid).
 * - audit_hash_bad: audit events whose own hash does not match their content. Records never change once
 *   stored, so each event is checked once (meta 'recon.audit_hash_checked' = the highest record id checked).
 */
export const up = `
CREATE TABLE runs (
  rid INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL UNIQUE,
  workflow TEXT,
  tier TEXT,
  model_version TEXT,
  model_source TEXT,
  model_name TEXT,
  model_provider TEXT,
  started INTEGER,
  ended INTEGER,
  duration INTEGER NOT NULL DEFAULT 0,
  n_steps INTEGER NOT NULL DEFAULT 0,
  n_audit INTEGER NOT NULL DEFAULT 0,
  n_spans INTEGER NOT NULL DEFAULT 0,
  n_decisions INTEGER NOT NULL DEFAULT 0,
  n_logs INTEGER NOT NULL DEFAULT 0,
  n_writes INTEGER NOT NULL DEFAULT 0,
  has_write INTEGER NOT NULL DEFAULT 0,
  decisions TEXT NOT NULL DEFAULT '',
  reason_codes TEXT NOT NULL DEFAULT '',
  findings TEXT NOT NULL DEFAULT '',
  n_findings INTEGER NOT NULL DEFAULT 0,
  n_errors INTEGER NOT NULL DEFAULT 0,
  n_deny INTEGER NOT NULL DEFAULT 0,
  n_escalate INTEGER NOT NULL DEFAULT 0,
  n_redact INTEGER NOT NULL DEFAULT 0,
  n_undo INTEGER NOT NULL DEFAULT 0,
  n_rerun INTEGER NOT NULL DEFAULT 0,
  n_escalation_signal INTEGER NOT NULL DEFAULT 0,
  n_complaint INTEGER NOT NULL DEFAULT 0,
  n_approval_rejected INTEGER NOT NULL DEFAULT 0,
  input_len INTEGER NOT NULL DEFAULT 0,
  input_lang TEXT,
  tools TEXT NOT NULL DEFAULT '',
  trace_ids TEXT NOT NULL DEFAULT '',
  session_id TEXT,
  harmful INTEGER
);
CREATE INDEX runs_started ON runs(started, run_id);
CREATE INDEX runs_workflow ON runs(workflow, rid);
CREATE INDEX runs_tier ON runs(tier, rid);
CREATE INDEX runs_model ON runs(model_version, rid);
CREATE INDEX runs_has_write ON runs(has_write, rid);
CREATE INDEX runs_duration ON runs(duration, rid);
CREATE INDEX runs_nfindings ON runs(n_findings, rid);
CREATE INDEX runs_harmful ON runs(harmful, rid) WHERE harmful IS NOT NULL;
CREATE INDEX runs_session ON runs(session_id) WHERE session_id IS NOT NULL;

CREATE TABLE run_tags (
  tag TEXT NOT NULL,
  rid INTEGER NOT NULL,
  PRIMARY KEY (tag, rid)
) WITHOUT ROWID;
CREATE INDEX run_tags_rid ON run_tags(rid, tag);

CREATE TABLE run_tag_counts (
  tag TEXT PRIMARY KEY,
  n INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE run_traces (
  run_id TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  rule TEXT NOT NULL,
  shared INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, trace_id)
) WITHOUT ROWID;
CREATE INDEX run_traces_trace ON run_traces(trace_id, run_id);

CREATE TABLE run_links (
  run_id TEXT NOT NULL,
  record_id INTEGER NOT NULL,
  rule TEXT NOT NULL,
  inferred INTEGER NOT NULL DEFAULT 0,
  reason TEXT,
  PRIMARY KEY (run_id, record_id)
) WITHOUT ROWID;
CREATE INDEX run_links_record ON run_links(record_id);

CREATE TABLE run_findings (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  code TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('error','warning','info')),
  message TEXT NOT NULL,
  step_id TEXT
);
CREATE INDEX run_findings_run ON run_findings(run_id);

CREATE TABLE affected_set (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  query TEXT NOT NULL,
  note TEXT,
  saved_at TEXT NOT NULL
);
CREATE TABLE affected_runs (
  run_id TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE TABLE audit_hash_bad (
  record_id INTEGER PRIMARY KEY,
  problem TEXT NOT NULL
);

CREATE VIRTUAL TABLE runs_fts USING fts5(text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
`;

/** 001 — the evidence store: sources, records with provenance, quarantine, skips, full-text index. */
export const up = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

CREATE TABLE sources (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,
  container TEXT,
  member TEXT,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  format TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('complete','refused','failed')),
  records_in INTEGER NOT NULL DEFAULT 0,
  stored INTEGER NOT NULL DEFAULT 0,
  duplicates INTEGER NOT NULL DEFAULT 0,
  quarantined INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  manifest_sha256 TEXT,
  imported_at TEXT NOT NULL
);
CREATE INDEX sources_sha ON sources(sha256);

CREATE TABLE source_aliases (
  source_id INTEGER NOT NULL REFERENCES sources(id),
  path TEXT NOT NULL,
  seen_at TEXT NOT NULL,
  PRIMARY KEY (source_id, path)
) WITHOUT ROWID;

CREATE TABLE records (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  run_id TEXT,
  trace_id TEXT,
  span_id TEXT,
  parent_span_id TEXT,
  ts INTEGER,
  end_ts INTEGER,
  name TEXT,
  data TEXT NOT NULL
);
CREATE UNIQUE INDEX records_key ON records(key);

CREATE TABLE provenance (
  record_id INTEGER NOT NULL,
  source_id INTEGER NOT NULL,
  line INTEGER,
  path TEXT
);

CREATE TABLE quarantine (
  id INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL,
  line INTEGER,
  path TEXT,
  reason TEXT NOT NULL,
  raw TEXT
);
CREATE INDEX quarantine_source ON quarantine(source_id);

CREATE TABLE skipped (
  id INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL,
  line INTEGER,
  path TEXT,
  reason TEXT NOT NULL
);

CREATE TABLE documents (
  source_id INTEGER PRIMARY KEY REFERENCES sources(id),
  format TEXT NOT NULL,
  text TEXT NOT NULL
);

CREATE VIRTUAL TABLE records_fts USING fts5(text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');

CREATE INDEX records_run ON records(run_id, ts) WHERE run_id IS NOT NULL;
CREATE INDEX records_trace ON records(trace_id, span_id) WHERE trace_id IS NOT NULL;
CREATE INDEX records_kind_ts ON records(kind, ts);
CREATE INDEX provenance_record ON provenance(record_id);
CREATE INDEX provenance_source ON provenance(source_id);
`;



/**
 * 003 — investigators' work inside the case: labels (with a hash-chained change log), the label
 * taxonomy, and the postmortem document with a journal of every saved revision.
 *
 * label_log is append-only and hash-chained (electron/core/store/labels-store.ts):
 *   hash = sha256_hex((prev_hash ?? '') + '\n' + canonicalJson({seq, label_id, action, author, at, before, after}))
 * where before/after are the label as the API shows it (null for the side that does not exist).
 */
export const DEFAULT_TAXONOMY: ReadonlyArray<{ name: string; description: string }> = [
  { name: 'materially-wrong-write', description: 'A wrong value was written to a system of record' },
  { name: 'low-stakes-factual-error', description: 'A factual error with low stakes, not written to a system of record' },
  { name: 'hallucination', description: 'Confident output not supported by the evidence' },
  { name: 'pii-exposure', description: 'Personal data shown or sent where it should not be' },
  { name: 'policy-boundary-attempt', description: 'The run attempted something a policy disallows (blocked or not)' },
  { name: 'false-positive-block', description: 'A safe request was blocked or escalated' },
  { name: 'prompt-injection', description: 'Untrusted input tried to override instructions' },
  { name: 'tool-misuse', description: 'A tool was called with wrong arguments or for the wrong purpose' },
  { name: 'drift', description: 'Behaviour degraded relative to the baseline' },
  { name: 'other', description: 'Anything else (describe it in the note)' },
];

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

export const up = `
CREATE TABLE labels (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  step_id TEXT,
  category TEXT NOT NULL,
  severity TEXT,
  verdict TEXT NOT NULL CHECK (verdict IN ('harmful','benign','unsure')),
  corrected TEXT,
  note TEXT,
  author TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0,1))
);
CREATE INDEX labels_run ON labels(run_id, deleted);

CREATE TABLE label_log (
  seq INTEGER PRIMARY KEY,
  label_id INTEGER NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('create','update','delete')),
  author TEXT NOT NULL,
  at TEXT NOT NULL,
  before TEXT,
  after TEXT,
  prev_hash TEXT,
  hash TEXT NOT NULL
);
CREATE INDEX label_log_label ON label_log(label_id);

CREATE TABLE taxonomy (
  name TEXT PRIMARY KEY,
  description TEXT,
  position INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO taxonomy(name, description, position) VALUES
${DEFAULT_TAXONOMY.map((t, i) => `  (${sqlString(t.name)}, ${sqlString(t.description)}, ${i})`).join(',\n')};

CREATE TABLE postmortem (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  markdown TEXT NOT NULL,
  revision INTEGER NOT NULL,
  updated_at TEXT
);
INSERT INTO postmortem(id, markdown, revision, updated_at) VALUES (1, '', 0, NULL);

CREATE TABLE postmortem_journal (
  revision INTEGER PRIMARY KEY,
  markdown TEXT NOT NULL,
  at TEXT NOT NULL,
  author TEXT
);
`;

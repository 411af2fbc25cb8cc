/**
 * Run facts in columnar form for budget evaluation at scale (electron/core/budgets/facts.ts →
 * shared/sli.ts FactTable). Reading one row per run through the driver costs about a microsecond per row
 * and per value, too much at a million runs, so the runs table is read in ONE aggregate scan: each run
 * reduced in SQL to a small integer "shape code" and its instant, concatenated into two strings.
 * Runs carrying labels are read apart, one row each (there are few).
 */
import type { Db } from './db';
import { hasTable } from './runs-derive';

export interface FactDimensions {
  workflows: string[];
  tiers: string[];
}

/** Distinct workflows and tiers of the derived runs (index scans). */
export function factDimensions(db: Db): FactDimensions {
  const col = (c: 'workflow' | 'tier') => (db.prepare(`SELECT DISTINCT ${c} FROM runs WHERE ${c} IS NOT NULL ORDER BY ${c}`).pluck().all() as string[]);
  return { workflows: col('workflow'), tiers: col('tier') };
}

/** Distinct reason codes seen on runs (from the tag counts recon keeps). */
export function reasonCodeTags(db: Db): string[] {
  if (!hasTable(db, 'run_tag_counts')) return [];
  return (db.prepare("SELECT substr(tag, 3) FROM run_tag_counts WHERE tag >= 'r:' AND tag < 'r;' ORDER BY tag").pluck().all() as string[]);
}

export interface FactScan {
  /** comma-separated shape codes, one per run */
  codes: string;
  /** comma-separated instants (ended, else started; '' when neither), aligned with codes */
  times: string;
  runs: number;
}

/**
 * One scan over the unlabelled runs. Shape code bits, low to high: workflow index + 1 (8 bits, 0 = none),
 * tier index + 1 (8 bits), flags (6 bits: writes, deny, escalate, redact, undo, user escalation), then one
 * bit per reason code of `codes` (at most 30). Workflows/tiers must be those of factDimensions().
 */
export function scanFactCodes(db: Db, dims: FactDimensions, codes: string[]): FactScan {
  if (dims.workflows.length > 254 || dims.tiers.length > 254 || codes.length > 30) throw new Error('too many distinct workflows, tiers or reason codes for the columnar scan');
  const params: unknown[] = [];
  const caseOf = (col: string, values: string[]) => {
    if (values.length === 0) return '0';
    params.push(...values);
    return `(CASE ${col} ${values.map((_, i) => `WHEN ? THEN ${i + 1}`).join(' ')} ELSE 0 END)`;
  };
  const wf = caseOf('workflow', dims.workflows);
  const tier = caseOf('tier', dims.tiers);
  // arithmetic only: in SQLite's grammar << and | share one precedence level, below + (easy to get wrong)
  const flags = '((n_writes > 0) + (n_deny > 0) * 2 + (n_escalate > 0) * 4 + (n_redact > 0) * 8 + (n_undo > 0) * 16 + (n_escalation_signal > 0) * 32)';
  const rc = codes.length
    ? `(CASE WHEN reason_codes = '' THEN 0 ELSE ${codes
        .map((c, i) => {
          params.push(` ${c} `);
          return `((instr(' ' || reason_codes || ' ', ?) > 0) * ${2 ** (22 + i)})`;
        })
        .join(' + ')} END)`
    : '0';
  const labelled = hasTable(db, 'labels') ? 'WHERE run_id NOT IN (SELECT run_id FROM labels WHERE deleted = 0)' : '';
  const row = db
    .prepare(
      `SELECT group_concat(${wf} + ${tier} * 256 + ${flags} * 65536 + ${rc}) AS codes,
              group_concat(ifnull(coalesce(ended, started), '')) AS times,
              count(*) AS runs
       FROM runs ${labelled}`,
    )
    .get(...params) as { codes: string | null; times: string | null; runs: number };
  return { codes: row.codes ?? '', times: row.times ?? '', runs: row.runs };
}

export interface LabelledFactRow {
  run_id: string;
  workflow: string | null;
  tier: string | null;
  started: number | null;
  ended: number | null;
  n_writes: number;
  n_deny: number;
  n_escalate: number;
  n_redact: number;
  n_undo: number;
  n_escalation_signal: number;
  reason_codes: string;
  /** category \t verdict, joined by \n */
  labels: string;
}

/** The runs that carry active labels, with the fields the SLI rules read. */
export function labelledFactRows(db: Db): LabelledFactRow[] {
  if (!hasTable(db, 'labels')) return [];
  return db
    .prepare(
      `SELECT r.run_id, r.workflow, r.tier, r.started, r.ended, r.n_writes, r.n_deny, r.n_escalate, r.n_redact, r.n_undo, r.n_escalation_signal, r.reason_codes,
              group_concat(l.category || char(9) || l.verdict, char(10)) AS labels
       FROM labels l JOIN runs r ON r.run_id = l.run_id
       WHERE l.deleted = 0
       GROUP BY r.rid`,
    )
    .all() as LabelledFactRow[];
}

export interface FactColumns {
  dims: FactDimensions;
  /** the reason codes given a bit in the shape codes */
  codes: string[];
  scan: FactScan;
  labelled: LabelledFactRow[];
}

/**
 * Everything the columnar fact table needs, read in one read transaction (consistent even while an
 * import commits). `keepCode` chooses the reason codes worth a bit (the ones some SLI rule reads).
 * Returns null when the case has no derived runs, or too many distinct values for the scan.
 */
export function readFactColumns(db: Db, keepCode: (code: string) => boolean): FactColumns | null {
  if (!hasTable(db, 'runs')) return null;
  return db.transaction((): FactColumns | null => {
    const dims = factDimensions(db);
    const codes = reasonCodeTags(db).filter(keepCode);
    if (dims.workflows.length > 254 || dims.tiers.length > 254 || codes.length > 30) return null;
    return { dims, codes, scan: scanFactCodes(db, dims, codes), labelled: labelledFactRows(db) };
  })();
}

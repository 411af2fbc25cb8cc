/**
 * The completeness findings reconstruction reports on a run (docs/correlation.md). Codes are stable:
 * saved queries, exports and tests refer to them. A run is *complete* when it has no finding of
 * severity 'error'; the case's audit completeness is complete runs / all runs.
 */
import type { FindingCode } from './api';

export interface FindingInfo {
  code: FindingCode;
  severity: 'error' | 'warning' | 'info';
  title: string;
  /** what evidence is missing or doubtful */
  description: string;
}

export const FINDINGS: Record<FindingCode, FindingInfo> = {
  MISSING_MODEL_VERSION: {
    code: 'MISSING_MODEL_VERSION',
    severity: 'error',
    title: 'Model version missing',
    description: 'No audit model.call event nor span attribute says which model version the run used.',
  },
  ORPHAN_SPAN: {
    code: 'ORPHAN_SPAN',
    severity: 'error',
    title: 'Orphan span',
    description: 'A span names a parent span that is not in the case: part of the trace is missing.',
  },
  SPAN_CYCLE: {
    code: 'SPAN_CYCLE',
    severity: 'error',
    title: 'Span parent cycle',
    description: 'Spans name each other as parents in a loop: the trace cannot be a tree.',
  },
  DECISION_NOT_FOUND: {
    code: 'DECISION_NOT_FOUND',
    severity: 'error',
    title: 'Policy decision not in the decision logs',
    description: 'An audit policy.decision event references a decision id that no OPA decision log holds.',
  },
  NO_TRACE: {
    code: 'NO_TRACE',
    severity: 'error',
    title: 'Trace missing',
    description: 'Audit events carry a trace id but no span of that trace is in the case.',
  },
  CLOCK_SKEW: {
    code: 'CLOCK_SKEW',
    severity: 'warning',
    title: 'Clock skew',
    description: 'Span times and audit event times of the same step or run disagree by more than the threshold.',
  },
  HASH_CHAIN_BROKEN: {
    code: 'HASH_CHAIN_BROKEN',
    severity: 'error',
    title: 'Audit hash chain broken',
    description: 'An audit event of the run was removed, inserted, reordered or altered after it was hashed.',
  },
  WRITE_WITHOUT_DECISION: {
    code: 'WRITE_WITHOUT_DECISION',
    severity: 'error',
    title: 'Write without a policy decision',
    description: 'The run wrote to a system of record with no policy decision in the run before the write.',
  },
  NO_AUDIT_TRAIL: {
    code: 'NO_AUDIT_TRAIL',
    severity: 'error',
    title: 'No audit trail',
    description: 'The run is known only from traces or decision logs: it has no audit events.',
  },
  INFERRED_LINK: {
    code: 'INFERRED_LINK',
    severity: 'warning',
    title: 'Inferred link',
    description: 'Some evidence was tied to the run only by a time-window (or similar) match, not by an id.',
  },
  INVALID_LINEAGE_EVENT: {
    code: 'INVALID_LINEAGE_EVENT',
    severity: 'warning',
    title: 'Invalid lineage event',
    description: "An OpenLineage event in the run's model lineage breaks the spec.",
  },
  LINEAGE_NOT_FOUND: {
    code: 'LINEAGE_NOT_FOUND',
    severity: 'warning',
    title: 'Lineage not found',
    description: "No OpenLineage job run produced the run's model version before the run started.",
  },
};

export const FINDING_CODES = Object.keys(FINDINGS) as FindingCode[];

export function findingSeverity(code: FindingCode): 'error' | 'warning' | 'info' {
  return FINDINGS[code]?.severity ?? 'warning';
}

export function isFindingCode(s: string): s is FindingCode {
  return Object.prototype.hasOwnProperty.call(FINDINGS, s);
}

/** Default CLOCK_SKEW threshold: 2 minutes, in microseconds. */
export const CLOCK_SKEW_THRESHOLD_US = 120_000_000;

/** "2 min 13 s", "4.2 s", "850 ms" for a duration in microseconds. */
export function formatDurationUs(us: number): string {
  const a = Math.abs(us);
  if (a < 1000) return `${Math.round(a)} µs`;
  if (a < 1_000_000) return `${Math.round(a / 1000)} ms`;
  if (a < 60_000_000) return `${(a / 1e6).toFixed(1)} s`;
  const totalS = Math.round(a / 1e6);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  if (h > 0) return `${h} h ${m} min`;
  return s ? `${m} min ${s} s` : `${m} min`;
}

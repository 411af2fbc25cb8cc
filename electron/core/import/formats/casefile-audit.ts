/**
 * Casefile audit JSONL, version 1 (docs/formats.md; schema shared/schema/casefile-audit.schema.json).
 *
 * One event per line. Every line is validated against the JSON Schema (compiled once, on first use).
 * A valid event becomes an 'audit' record keyed `audit:<event_id>`; a line that is not JSON or fails the
 * schema is quarantined with the failing JSON pointers and messages. Hash chains span lines and are
 * verified over whole runs by shared/audit.ts (verifyAuditChains), not here.
 */
import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import type { AuditEvent, Emit, NormalizedRecord } from '../../../../shared/model';
import { LazyTextRecord, isoToUs, normalizeHexId } from '../../../../shared/model';
import auditSchema from '../../../../shared/schema/casefile-audit.schema.json';
import type { FormatHandler, Sniff, SniffResult, Unit } from './types';

const TEXT_LIMIT = 8 * 1024;
/** A record's data: the line as received, inside {"origin": "casefile", "event": …}. */
const AROUND = ['{"origin":"casefile","event":', '}'] as const;

let validator: ValidateFunction<AuditEvent> | undefined;

/** The schema validator, compiled once. */
export function auditValidator(): ValidateFunction<AuditEvent> {
  if (!validator) {
    // allowUnionTypes: prev_hash is ["string", "null"]
    const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true });
    validator = ajv.compile<AuditEvent>(auditSchema);
  }
  return validator;
}

function errorText(e: ErrorObject): string | null {
  const at = e.instancePath || '';
  switch (e.keyword) {
    case 'if':
      return null; // always paired with the failing "then" error, which says what is missing
    case 'required':
      return `${at}/${String((e.params as { missingProperty: string }).missingProperty)} is required`;
    case 'enum':
      return `${at || '/'} must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${at || '/'} must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    default:
      return `${at || '/'} ${e.message ?? `fails ${e.keyword}`}`;
  }
}

/** Validates one parsed line. Returns null when valid, else the reasons ("/write/before is required; ..."). */
export function auditSchemaProblems(value: unknown): string | null {
  const validate = auditValidator();
  if (validate(value)) return null;
  const texts = [...new Set((validate.errors ?? []).map(errorText).filter((t): t is string => t !== null))];
  return texts.length ? texts.join('; ') : 'does not match the Casefile audit v1 schema';
}

function truncate(s: string, limit: number): string {
  if (s.length <= limit) return s;
  let cut = limit;
  const code = s.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${s.slice(0, cut)}…`;
}

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Flattens the searchable content of an event: what went in and out, why, and what was touched. */
export function auditSearchText(e: AuditEvent): string {
  const parts: string[] = [e.type];
  if (e.workflow) parts.push(`workflow: ${e.workflow}`);
  if (e.actor) parts.push(`actor: ${e.actor.type}${e.actor.id ? ` ${e.actor.id}` : ''}`);
  if (e.model) parts.push(`model: ${[e.model.provider, e.model.name, e.model.version].filter(Boolean).join(' ')}`);
  if (e.decision) {
    const d = e.decision;
    parts.push(`decision: ${d.decision} by ${d.policy_id}${d.policy_version ? `@${d.policy_version}` : ''}`);
    if (d.reason_codes?.length) parts.push(`reasons: ${d.reason_codes.join(', ')}`);
  }
  if (e.tool) {
    const t = e.tool;
    parts.push(`tool: ${t.name}${t.status ? ` (${t.status})` : ''}`);
    if (t.arguments !== undefined) parts.push(`arguments: ${text(t.arguments)}`);
    if (t.result !== undefined) parts.push(`result: ${text(t.result)}`);
    if (t.error) parts.push(`error: ${t.error}`);
  }
  if (e.write) {
    const w = e.write;
    parts.push(`write: ${w.system} ${w.record} ${w.field}: ${text(w.before)} -> ${text(w.after)}${w.unit ? ` ${w.unit}` : ''}`);
  }
  if (e.approval) parts.push(`approval: ${e.approval.decision} by ${e.approval.approver}${e.approval.reason ? `: ${e.approval.reason}` : ''}`);
  if (e.signal) parts.push(`signal: ${e.signal.kind}${e.signal.by ? ` by ${e.signal.by}` : ''}${e.signal.note ? `: ${e.signal.note}` : ''}`);
  if (e.input !== undefined) parts.push(`input: ${text(e.input)}`);
  if (e.output !== undefined) parts.push(`output: ${text(e.output)}`);
  for (const ev of e.evidence ?? []) parts.push(`evidence: ${ev.source_id}${ev.snippet ? ` ${ev.snippet}` : ''}`);
  if (e.labels) parts.push(...Object.entries(e.labels).map(([k, v]) => `${k}=${v}`));
  return truncate(parts.join('\n'), TEXT_LIMIT);
}

/** Maps one schema-valid event to its record. */
export function auditRecord(e: AuditEvent): NormalizedRecord {
  return new LazyTextRecord(
    {
      kind: 'audit',
      key: `audit:${e.event_id}`,
      runId: e.run_id,
      traceId: normalizeHexId(e.trace_id, 32),
      spanId: normalizeHexId(e.span_id, 16),
      parentSpanId: null,
      tsUs: isoToUs(e.ts),
      endUs: null,
      name: e.type,
      data: { origin: 'casefile', event: e },
    },
    // search text on demand (nothing in the import path reads it: search is run-level, built at derivation)
    auditSearchText,
    e,
  );
}

function mapUnit(unit: Unit): Emit[] {
  const { value, locator, rawLine } = unit;
  const raw = rawLine ?? (value === undefined ? undefined : JSON.stringify(value));
  if (value === undefined) {
    let reason = 'invalid JSON';
    try {
      JSON.parse(rawLine ?? '');
    } catch (err) {
      reason = `invalid JSON: ${(err as Error).message}`;
    }
    return [{ type: 'quarantine', reason, locator, ...(raw !== undefined ? { raw } : {}) }];
  }
  const problems = auditSchemaProblems(value);
  if (problems !== null) return [{ type: 'quarantine', reason: problems, locator, ...(raw !== undefined ? { raw } : {}) }];
  // The stored data is {origin, event} around the line exactly as received: no re-serialization.
  if (rawLine === undefined) return [{ type: 'record', record: auditRecord(value as AuditEvent), locator }];
  return [{ type: 'record', record: auditRecord(value as AuditEvent), locator, dataJson: `${AROUND[0]}${rawLine}${AROUND[1]}`, dataAround: AROUND }];
}

function isAuditLine(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'audit_version' in v && ('event_id' in v || 'run_id' in v);
}

function sniff(s: Sniff): SniffResult | null {
  const parsed = s.lines.filter((l) => l !== undefined);
  if (parsed.length === 0 || !parsed.some(isAuditLine)) return null;
  return { confidence: 0.99, framing: { kind: 'lines' } };
}

export const casefileAuditHandler: FormatHandler = {
  format: 'casefile-audit',
  sniff,
  map: mapUnit,
};

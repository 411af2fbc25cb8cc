/**
 * OTLP/JSON logs: `ExportLogsServiceRequest` = `{resourceLogs:[{resource, scopeLogs:[{scope, logRecords:[…]}]}]}`,
 * also with the pre-1.0 `instrumentationLibraryLogs`, wrapped as `{"result": {…}}`, or as JSON Lines of
 * requests (Collector file exporter). Framing and encoding rules are those of otlp-traces.ts.
 *
 * Each log record becomes a record of kind 'log' (LogData): times in µs, severity, `eventName` (events are log
 * records with a name), body decoded from AnyValue, attributes, resource, scope, trace/span ids when present.
 *
 * Key: log records have no id of their own, so the key is a content hash:
 * `log:<sha256 of the canonical JSON of {resource, scope, record as decoded}>` (first 32 hex digits). The same
 * record read twice (two copies of a file, or the same batch exported twice) dedups; two records that differ
 * in anything keep apart.
 *
 * A JSON Lines file mixing logs and traces lines (one file exporter in two pipelines) is read whole here:
 * trace lines are mapped by the otlp-traces span mapper (this handler sniffs such files with a higher confidence).
 */
import { createHash } from 'node:crypto';
import type { AttrValue, Emit, LogData, NormalizedRecord } from '../../../../shared/model';
import { LazyTextRecord, canonicalJson } from '../../../../shared/model';
import { clip, MAX_GENAI_TEXT, runIdFromAttributes } from './genai';
import {
  decodeAnyValue,
  decodeKeyValues,
  FieldError,
  isObject,
  mapOtlpUnit,
  OTLP_TRACES_SIGNAL,
  otlpStreamFraming,
  type OtlpContext,
  type OtlpSignal,
  optString,
  otlpId,
  otlpTime,
  show,
  sniffOtlp,
  typeName,
} from './otlp-traces';
import type { FormatHandler, Sniff, SniffResult, Unit } from './types';

/** OTLP SeverityNumber enum names → numbers (SEVERITY_NUMBER_TRACE = 1 … SEVERITY_NUMBER_FATAL4 = 24). */
const SEVERITY_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;

function severityNumber(v: unknown): number | undefined {
  if (v === undefined || v === null || v === 0 || v === 'SEVERITY_NUMBER_UNSPECIFIED') return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string') {
    const m = v.match(/^SEVERITY_NUMBER_([A-Z]+)([2-4]?)$/);
    const level = m ? SEVERITY_LEVELS.indexOf(m[1] as (typeof SEVERITY_LEVELS)[number]) : -1;
    if (m && level >= 0) return level * 4 + (m[2] ? Number(m[2]) : 1);
    if (/^\d+$/.test(v)) return Number(v);
  }
  throw new FieldError(`log record has an invalid severityNumber (got ${show(v)})`);
}

function bodyText(body: AttrValue): string | undefined {
  if (body === null) return undefined;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/** A log's search text: its non-empty parts, one per line. */
function logSearchText(parts: Array<string | undefined>): string {
  return parts.filter((p): p is string => !!p && p.trim() !== '').join('\n');
}

/** Map one OTLP LogRecord to a record. Throws FieldError on bad data. */
export function mapOtlpLogRecord(rec: unknown, ctx: OtlpContext): NormalizedRecord {
  const what = 'log record';
  if (!isObject(rec)) throw new FieldError(`${what} is not an object (got ${typeName(rec)})`);
  const traceId = otlpId(rec.traceId, 32, what, 'traceId', true);
  const spanId = otlpId(rec.spanId, 16, what, 'spanId', true);
  const attributes = decodeKeyValues(rec.attributes, `${what}.attributes`);
  const body = decodeAnyValue(rec.body, `${what}.body`);
  const severityText = optString(rec, 'severityText', what);
  const sev = severityNumber(rec.severityNumber);
  const eventName = optString(rec, 'eventName', what);
  const data: LogData = {
    origin: 'otlp',
    tsUs: otlpTime(rec.timeUnixNano, what, 'timeUnixNano'),
    observedUs: otlpTime(rec.observedTimeUnixNano, what, 'observedTimeUnixNano'),
    ...(severityText ? { severityText } : {}),
    ...(sev !== undefined ? { severityNumber: sev } : {}),
    ...(eventName ? { eventName } : {}),
    body,
    attributes,
    ...(ctx.resource ? { resource: ctx.resource } : {}),
    ...(ctx.scope ? { scope: ctx.scope } : {}),
    traceId,
    spanId,
  };
  const service = ctx.resource?.['service.name'];
  const text = bodyText(body);
  const hash = createHash('sha256').update(canonicalJson(data)).digest('hex').slice(0, 32);
  const searchParts = [eventName, severityText, typeof service === 'string' ? service : undefined, text ? clip(text, MAX_GENAI_TEXT) : undefined];
  for (const k of ['exception.type', 'exception.message']) {
    const v = attributes[k];
    if (typeof v === 'string') searchParts.push(clip(v, 1024));
  }
  return new LazyTextRecord(
    {
      kind: 'log',
      key: `log:${hash}`,
      runId: runIdFromAttributes(attributes) ?? runIdFromAttributes(ctx.resource),
      traceId,
      spanId,
      parentSpanId: null,
      tsUs: data.tsUs ?? data.observedUs,
      endUs: null,
      name: eventName ?? (text ? clip(text.split('\n')[0]!, 120) : (severityText ?? null)),
      data,
    },
    logSearchText,
    searchParts,
  );
}

export const OTLP_LOGS_SIGNAL: OtlpSignal = {
  label: 'logs',
  resourceKey: 'resourceLogs',
  scopeLists: [
    { key: 'scopeLogs', scopeField: 'scope' },
    { key: 'instrumentationLibraryLogs', scopeField: 'instrumentationLibrary' },
  ],
  itemsKey: 'logRecords',
  mapItem: mapOtlpLogRecord,
};

export const otlpLogsHandler: FormatHandler = {
  format: 'otlp-logs',
  sniff(s: Sniff): SniffResult | null {
    try {
      return sniffOtlp(s, OTLP_LOGS_SIGNAL, [OTLP_TRACES_SIGNAL]);
    } catch {
      return null;
    }
  },
  map(unit: Unit): Emit[] {
    return mapOtlpUnit(unit, OTLP_LOGS_SIGNAL, [OTLP_LOGS_SIGNAL, OTLP_TRACES_SIGNAL]);
  },
  // its JSON Lines may hold requests of both signals
  overlongLine: otlpStreamFraming(OTLP_LOGS_SIGNAL, OTLP_TRACES_SIGNAL),
};

export const handler = otlpLogsHandler;

/**
 * Jaeger JSON (the query service's /api/traces responses and UI downloads).
 *
 * Accepted shapes
 * - API response `{"data": [trace, …], "total", "limit", "offset", "errors"}` → units `$.data[*]`;
 * - a bare trace `{traceID, spans, processes, warnings}` (UI "Download JSON", converter fixtures) → the whole document;
 * - jaeger-ui's internal trace state `{data: {spans, processes, services, …}, id, state}` → unit `$.data`;
 * - an array of traces → units `$[*]`.
 * Units are whole traces because spans point into the trace's `processes` map, which usually comes after them.
 *
 * Mapping
 * - ids: trace ids of 16, 31 or 32 hex digits (leading zeros trimmed) are left-padded to 32; span ids to 16;
 * - times and durations are microseconds; `endUs = startTime + duration`;
 * - tags (string, int64, float64, bool, binary) → attributes (int64 beyond 2^53 stays a decimal string,
 *   binary stays base64); `span.kind` → kind; `error=true` / `otel.status_code` → status;
 *   `otel.scope.name|version` (or `otel.library.*`) → scope;
 * - references: the first CHILD_OF in the same trace → parentSpanId (Jaeger's own rule); every other reference
 *   (FOLLOWS_FROM, CHILD_OF to another trace or a second parent) → a link with `type` = refType;
 *   an old-style `parentSpanID` field is read when no reference names a parent;
 * - span `logs` → events (name from the `event` field, else "log");
 * - process (`processes[processID]`, or the span's inline `process` in jaeger-ui state) → service and resource;
 * - span `warnings` → attribute `jaeger.warnings`; trace `warnings` → attribute `jaeger.trace.warnings` on the
 *   trace's root spans; stray keys (`_comment`, UI-only fields) are ignored.
 *
 * Keys: `span:<traceId32>:<spanId16>`, so a span also read from OTLP dedups. When one trace holds the same span id
 * twice with different content (Zipkin-style shared spans stored by Jaeger, or fixtures), the later ones get
 * `:dup<n>` (n = 2, 3, … in file order) so that none is lost; identical repeats keep the plain key (true duplicates).
 */
import type { AttrValue, Attributes, Emit, Locator, SpanData } from '../../../../shared/model';
import { canonicalJson, normalizeHexId } from '../../../../shared/model';
import { genaiFromAttributes, runIdFromAttributes, sessionIdFromAttributes } from './genai';
import { FieldError, isObject, type Json, show, spanRecord, typeName } from './otlp-traces';
import type { FormatHandler, Framing, JsonPath, Sniff, SniffResult, Unit } from './types';
import { subLocator } from './types';

const SPAN_KINDS = new Set(['internal', 'server', 'client', 'producer', 'consumer']);

/** A Jaeger trace object: `spans` beside `traceID` / `processes`, or spans spelled the Jaeger way. Malformed inside is fine (the mapper quarantines). */
function isTraceLike(v: unknown): boolean {
  if (!isObject(v) || !('spans' in v)) return false;
  if ('traceID' in v || 'processes' in v) return true;
  const first: unknown = Array.isArray(v.spans) ? v.spans[0] : undefined;
  return isObject(first) && 'spanID' in first && 'operationName' in first;
}

/** Which framing fits a parsed Jaeger document; null when it is not one. */
function framingForDoc(doc: unknown): Framing | null {
  if (Array.isArray(doc)) return doc.length > 0 && isTraceLike(doc[0]) ? { kind: 'document', units: [['*']] } : null;
  if (!isObject(doc)) return null;
  if (Array.isArray(doc.data)) return doc.data.length > 0 && isTraceLike(doc.data[0]) ? { kind: 'document', units: [['data', '*']] } : null;
  if (isTraceLike(doc.data)) return { kind: 'document', units: [['data']] };
  if (isTraceLike(doc)) return { kind: 'document', units: [[]] };
  return null;
}

function sniffJaeger(s: Sniff): SniffResult | null {
  const confidence = 0.9;
  if (s.doc !== undefined) {
    const framing = framingForDoc(s.doc);
    return framing ? { confidence, framing } : null;
  }
  const head = s.head.replace(/^\uFEFF/, '');
  // Jaeger's own spelling: traceID / spanID / operationName (Zipkin and OTLP spell them differently).
  if (!/"traceID"\s*:/.test(head) || !/"spanID"\s*:/.test(head) || !/"operationName"\s*:/.test(head)) return null;
  if (/^\s*\[/.test(head)) return { confidence, framing: { kind: 'document', units: [['*']] } };
  if (!/^\s*\{/.test(head)) return null;
  const data = head.match(/"data"\s*:\s*([[{])/);
  if (data && (s.topKeys.length === 0 || s.topKeys.includes('data'))) {
    return { confidence, framing: { kind: 'document', units: data[1] === '[' ? [['data', '*']] : [['data']] } };
  }
  return { confidence, framing: { kind: 'document', units: [[]] } };
}

// ----------------------------------------------------------------------------------------- values

function int64(v: unknown, where: string): number | string {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  throw new FieldError(`${where} is not an int64 (got ${show(v)})`);
}

/** A typed Jaeger tag/field value → attribute value. */
function tagValue(t: Json, where: string): AttrValue {
  const type = typeof t.type === 'string' ? t.type.toLowerCase() : 'string';
  const v = t.value;
  switch (type) {
    case 'string':
      return typeof v === 'string' ? v : v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : String(v);
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw new FieldError(`${where} has type bool but value ${show(v)}`);
    case 'int64':
      return int64(v, `${where} (int64)`);
    case 'float64':
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
      throw new FieldError(`${where} has type float64 but value ${show(v)}`);
    case 'binary':
      if (typeof v === 'string') return v; // base64, kept as is
      throw new FieldError(`${where} has type binary but value ${show(v)}`);
    default:
      return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : v === undefined ? null : JSON.stringify(v);
  }
}

/** `[{key, type, value}]` → attributes. */
function decodeTags(list: unknown, where: string): Attributes {
  if (list === undefined || list === null) return {};
  if (!Array.isArray(list)) throw new FieldError(`${where} is not an array (got ${typeName(list)})`);
  const out: Attributes = {};
  list.forEach((t, i) => {
    if (!isObject(t) || typeof t.key !== 'string') throw new FieldError(`${where}[${i}] is not a {key, type, value} tag`);
    out[t.key] = tagValue(t, `${where}[${i}] "${t.key}"`);
  });
  return out;
}

function micros(v: unknown, where: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  throw new FieldError(`${where} is not a number of microseconds (got ${show(v)})`);
}

function hexId(v: unknown, width: 32 | 16, what: string, field: string): string {
  const id = normalizeHexId(v, width);
  if (!id) throw new FieldError(`${what} has no valid ${field} (got ${show(v)})`);
  return id;
}

function stringList(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new FieldError(`${where} is not an array (got ${typeName(v)})`);
  return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
}

// ----------------------------------------------------------------------------------------- spans

interface TraceCtx {
  traceId: string | null;
  processes: Json;
}

function mapJaegerSpan(span: unknown, t: TraceCtx): SpanData {
  if (!isObject(span)) throw new FieldError(`span is not an object (got ${typeName(span)})`);
  const traceId = hexId(span.traceID ?? t.traceId ?? undefined, 32, 'span', 'traceID');
  const spanId = hexId(span.spanID, 16, 'span', 'spanID');
  const name = span.operationName ?? '';
  if (typeof name !== 'string') throw new FieldError(`span.operationName is not a string (got ${typeName(name)})`);

  let parentSpanId: string | null = null;
  const links: NonNullable<SpanData['links']> = [];
  const refs = span.references ?? [];
  if (!Array.isArray(refs)) throw new FieldError(`span.references is not an array (got ${typeName(refs)})`);
  refs.forEach((r, i) => {
    const w = `span.references[${i}]`;
    if (!isObject(r)) throw new FieldError(`${w} is not an object (got ${typeName(r)})`);
    const refTrace = hexId(r.traceID ?? traceId, 32, w, 'traceID');
    const refSpan = hexId(r.spanID, 16, w, 'spanID');
    const type = typeof r.refType === 'string' ? r.refType.toUpperCase() : 'CHILD_OF';
    if (parentSpanId === null && type === 'CHILD_OF' && refTrace === traceId) parentSpanId = refSpan;
    else links.push({ traceId: refTrace, spanId: refSpan, type });
  });
  if (parentSpanId === null && span.parentSpanID !== undefined && span.parentSpanID !== null && !/^0*$/.test(String(span.parentSpanID))) {
    parentSpanId = hexId(span.parentSpanID, 16, 'span', 'parentSpanID');
  }

  const attributes = decodeTags(span.tags, 'span.tags');
  const warnings = stringList(span.warnings, 'span.warnings');
  if (warnings.length > 0) attributes['jaeger.warnings'] = warnings;

  const logs = span.logs ?? [];
  if (!Array.isArray(logs)) throw new FieldError(`span.logs is not an array (got ${typeName(logs)})`);
  const events = logs.map((l, i) => {
    const w = `span.logs[${i}]`;
    if (!isObject(l)) throw new FieldError(`${w} is not an object (got ${typeName(l)})`);
    const fields = decodeTags(l.fields, `${w}.fields`);
    const ev = fields.event;
    let evName = 'log';
    if (typeof ev === 'string' && ev) {
      evName = ev;
      delete fields.event;
    }
    return { tsUs: micros(l.timestamp, `${w}.timestamp`), name: evName, ...(Object.keys(fields).length > 0 ? { attributes: fields } : {}) };
  });

  const procRef = typeof span.processID === 'string' ? t.processes[span.processID] : undefined;
  const proc = isObject(procRef) ? procRef : isObject(span.process) ? span.process : undefined;
  const service = proc && typeof proc.serviceName === 'string' && proc.serviceName ? proc.serviceName : null;
  const procTags = proc ? decodeTags(proc.tags, 'process.tags') : {};
  const resource: Attributes | undefined = proc ? { ...procTags, ...(service ? { 'service.name': service } : {}) } : undefined;

  const kindTag = attributes['span.kind'];
  const kind = typeof kindTag === 'string' && SPAN_KINDS.has(kindTag.toLowerCase()) ? kindTag.toLowerCase() : 'unspecified';

  const statusTag = attributes['otel.status_code'];
  const errorTag = attributes.error;
  const code: SpanData['status']['code'] =
    statusTag === 'ERROR' || errorTag === true || errorTag === 'true' ? 'error' : statusTag === 'OK' ? 'ok' : 'unset';
  const statusMessage = attributes['otel.status_description'];
  const status: SpanData['status'] = typeof statusMessage === 'string' && statusMessage ? { code, message: statusMessage } : { code };

  const scopeName = attributes['otel.scope.name'] ?? attributes['otel.library.name'];
  const scopeVersion = attributes['otel.scope.version'] ?? attributes['otel.library.version'];
  const scope = typeof scopeName === 'string' ? { name: scopeName, ...(typeof scopeVersion === 'string' ? { version: scopeVersion } : {}) } : undefined;

  const startUs = micros(span.startTime, 'span.startTime');
  const duration = micros(span.duration, 'span.duration');
  const genai = genaiFromAttributes(attributes);
  const runId = runIdFromAttributes(attributes) ?? runIdFromAttributes(resource);
  const sessionId = sessionIdFromAttributes(attributes) ?? sessionIdFromAttributes(resource);
  return {
    origin: 'jaeger',
    traceId,
    spanId,
    parentSpanId,
    name,
    kind,
    service,
    startUs,
    endUs: startUs !== null && duration !== null ? startUs + duration : null,
    status,
    attributes,
    ...(resource ? { resource } : {}),
    ...(scope ? { scope } : {}),
    ...(events.length > 0 ? { events } : {}),
    ...(links.length > 0 ? { links } : {}),
    ...(genai ? { genai } : {}),
    ...(runId ? { runId } : {}),
    ...(sessionId ? { sessionId } : {}),
  };
}

function quarantine(reason: string, locator: Locator, raw: unknown): Emit {
  return { type: 'quarantine', reason, locator, raw: JSON.stringify(raw) ?? String(raw) };
}

/** Map one whole Jaeger trace to one emit per span. */
export function mapJaegerTrace(trace: unknown, locator: Locator, path: JsonPath | undefined): Emit[] {
  const at = (rel: JsonPath): Locator => subLocator(locator, path, rel);
  if (!isObject(trace)) return [quarantine(`Jaeger trace is not an object (got ${typeName(trace)})`, at([]), trace)];
  const spans = trace.spans;
  if (!Array.isArray(spans)) return [quarantine(`trace.spans is not an array (got ${typeName(spans)})`, at([]), trace)];
  const processes = trace.processes ?? {};
  if (!isObject(processes)) return [quarantine(`trace.processes is not an object (got ${typeName(processes)})`, at([]), trace)];
  let traceWarnings: string[];
  try {
    traceWarnings = stringList(trace.warnings, 'trace.warnings');
  } catch (e) {
    if (!(e instanceof FieldError)) throw e;
    return [quarantine(e.message, at([]), trace)];
  }
  const ctx: TraceCtx = { traceId: normalizeHexId(trace.traceID, 32), processes };

  const out: Emit[] = [];
  /** per plain key: content → key suffix ('' for the first content seen, then ':dup2', ':dup3', …) */
  const seen = new Map<string, Map<string, string>>();
  spans.forEach((span, i) => {
    const loc = at(['spans', i]);
    let data: SpanData;
    try {
      data = mapJaegerSpan(span, ctx);
    } catch (e) {
      if (!(e instanceof FieldError)) throw e;
      out.push(quarantine(e.message, loc, span));
      return;
    }
    if (traceWarnings.length > 0 && data.parentSpanId === null) data.attributes['jaeger.trace.warnings'] = traceWarnings;
    const base = `span:${data.traceId}:${data.spanId}`;
    const content = canonicalJson(data);
    let variants = seen.get(base);
    if (!variants) seen.set(base, (variants = new Map()));
    let suffix = variants.get(content);
    if (suffix === undefined) {
      suffix = variants.size === 0 ? '' : `:dup${variants.size + 1}`;
      variants.set(content, suffix);
    }
    out.push({ type: 'record', record: spanRecord(data, suffix), locator: loc });
  });
  return out;
}

export const jaegerHandler: FormatHandler = {
  format: 'jaeger',
  sniff(s: Sniff): SniffResult | null {
    try {
      return sniffJaeger(s);
    } catch {
      return null;
    }
  },
  map(unit: Unit): Emit[] {
    return mapJaegerTrace(unit.value, unit.locator, unit.path);
  },
};

export const handler = jaegerHandler;

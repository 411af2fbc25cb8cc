/**
 * OTLP/JSON traces: `ExportTraceServiceRequest` = `{resourceSpans:[{resource, scopeSpans:[{scope, spans:[…]}], schemaUrl}]}`.
 *
 * Accepted shapes
 * - one request per file (pretty or minified), also with the pre-1.0 key `instrumentationLibrarySpans`
 *   (+ `instrumentationLibrary`) and wrapped as `{"result": {…}}` (Jaeger v3 API / grpc-gateway);
 * - JSON Lines, one whole request per line (OpenTelemetry Collector file exporter; Jaeger v3 streaming).
 *   Lines of other OTLP signals (logs, metrics, profiles) are skipped with a reason naming the signal
 *   (the otlp-logs handler imports logs lines *and* spans lines of a mixed file).
 *
 * Framing
 * - a single document whose head is the whole file → one unit (the whole request), validated fully, so a
 *   wrong-typed container (`"spans": "x"`) is quarantined with a reason;
 * - a larger single document → streamed: units at the span level, resource/scope kept as context
 *   (a 2 GB document never sits in memory). A wrong-typed container in such a file yields no unit (the
 *   framer only sees matching paths);
 * - JSON Lines → one unit per line, expanded to one emit per span; locator = line + JSON path inside the line.
 *   A head with no newline at all (one line ≥ 64 KiB) is read as JSON Lines: the Collector writes batches
 *   that long, and a JSON Lines file must not be streamed as one document.
 *
 * Encoding (OTLP/JSON spec): int64 as decimal strings (or numbers), times in ns → µs with `nanosToUs`;
 * ids are hex (upper case in the spec examples → `normalizeHexId`; a base64 id, as written by proto3 JSON
 * libraries that ignore the OTLP rule, is decoded too); `kind` and `status.code` as ints or enum names;
 * AnyValue is unwrapped (`bytesValue` stays a base64 string; `intValue` beyond 2^53 stays a decimal string).
 * Resource `schemaUrl` is not kept: SpanData has no field for it.
 *
 * Also exports the OTLP helpers reused by otlp-logs.ts.
 */
import type { AttrValue, Attributes, Emit, GenAiInfo, Locator, NormalizedRecord, SpanData } from '../../../../shared/model';
import { LazyTextRecord, nanosToUs, normalizeHexId } from '../../../../shared/model';
import { genaiFromAttributes, runIdFromAttributes, sessionIdFromAttributes, spanSearchText } from './genai';
import type { FormatHandler, Framing, JsonPath, Sniff, SniffResult, Unit } from './types';
import { pathToString, subLocator } from './types';

// =====================================================================================================
// Shared OTLP machinery (used by otlp-logs.ts too)
// =====================================================================================================

/** A field of the input has the wrong type or an invalid value. Caught per unit and turned into a quarantine. */
export class FieldError extends Error {}

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Short description of a value for reasons: `"xyz"`, `42`, `an object`, `nothing`. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/** JSON type name for reasons: string, number, boolean, null, array, object. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

const B64_16 = /^[A-Za-z0-9+/]{22}==$/;
const B64_8 = /^[A-Za-z0-9+/]{11}=$/;

/**
 * An OTLP trace/span id → normalized hex, or null when absent (missing, null, "" or all zeros for a parent).
 * Hex of any case, left-padded; base64 of exactly 16/8 bytes is accepted too. Throws FieldError when present but invalid.
 */
export function otlpId(v: unknown, width: 32 | 16, what: string, field: string, optional: boolean): string | null {
  if (v === undefined || v === null || v === '') {
    if (optional) return null;
    throw new FieldError(`${what} has no valid ${field} (got ${show(v)})`);
  }
  if (typeof v === 'string') {
    const hex = normalizeHexId(v, width);
    if (hex) return hex;
    if (/^0+$/.test(v)) {
      if (optional) return null;
    } else if ((width === 32 ? B64_16 : B64_8).test(v)) {
      const decoded = normalizeHexId(Buffer.from(v, 'base64').toString('hex'), width);
      if (decoded) return decoded;
    }
  }
  throw new FieldError(`${what} has no valid ${field} (got ${show(v)})`);
}

/** OTLP fixed64 nanoseconds (decimal string or number) → µs; null when absent or 0. Throws FieldError when not an integer. */
export function otlpTime(v: unknown, what: string, field: string): number | null {
  if (v === undefined || v === null || v === '' || v === 0 || v === '0') return null;
  const us = nanosToUs(v);
  if (us === null) throw new FieldError(`${what} has an invalid ${field} (got ${show(v)}; expected nanoseconds as a decimal string)`);
  return us;
}

/** Optional string field; throws FieldError on another type. */
export function optString(o: Json, field: string, what: string): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new FieldError(`${what}.${field} is not a string (got ${typeName(v)})`);
  return v;
}

/** Optional array field; throws FieldError on another type. */
export function optArray(o: Json, field: string, what: string): unknown[] {
  const v = o[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new FieldError(`${what}.${field} is not an array (got ${typeName(v)})`);
  return v;
}

/**
 * Decode an OTLP AnyValue to a plain value: stringValue, boolValue, intValue (number when safe, else the
 * decimal string), doubleValue, bytesValue (kept as its base64 string), arrayValue.values, kvlistValue.values.
 * An empty AnyValue `{}` is null. Throws FieldError for a value that is not an AnyValue.
 */
export function decodeAnyValue(v: unknown, where: string): AttrValue {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) throw new FieldError(`${where} is not an OTLP AnyValue (got ${typeName(v)})`);
  if ('stringValue' in v) return typeof v.stringValue === 'string' ? v.stringValue : String(v.stringValue);
  if ('boolValue' in v) {
    if (typeof v.boolValue === 'boolean') return v.boolValue;
    if (v.boolValue === 'true' || v.boolValue === 'false') return v.boolValue === 'true';
    throw new FieldError(`${where}.boolValue is not a boolean (got ${show(v.boolValue)})`);
  }
  if ('intValue' in v) return decodeInt(v.intValue, `${where}.intValue`);
  if ('doubleValue' in v) {
    const d = v.doubleValue;
    if (typeof d === 'number') return d;
    if (typeof d === 'string' && (/^-?(Infinity|NaN)$/.test(d) || Number.isFinite(Number(d)))) return Number.isFinite(Number(d)) ? Number(d) : d;
    throw new FieldError(`${where}.doubleValue is not a number (got ${show(d)})`);
  }
  if ('bytesValue' in v) {
    if (typeof v.bytesValue === 'string') return v.bytesValue; // base64, kept as is
    throw new FieldError(`${where}.bytesValue is not a base64 string (got ${typeName(v.bytesValue)})`);
  }
  if ('arrayValue' in v) {
    const av = v.arrayValue;
    if (av === null || av === undefined) return [];
    if (!isObject(av)) throw new FieldError(`${where}.arrayValue is not an object (got ${typeName(av)})`);
    return optArray(av, 'values', `${where}.arrayValue`).map((x, i) => decodeAnyValue(x, `${where}.arrayValue.values[${i}]`));
  }
  if ('kvlistValue' in v) {
    const kv = v.kvlistValue;
    if (kv === null || kv === undefined) return {};
    if (!isObject(kv)) throw new FieldError(`${where}.kvlistValue is not an object (got ${typeName(kv)})`);
    return decodeKeyValues(kv.values, `${where}.kvlistValue.values`);
  }
  return null; // {} = empty AnyValue
}

function decodeInt(v: unknown, where: string): number | string {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  throw new FieldError(`${where} is not an integer (got ${show(v)})`);
}

/** A `KeyValue[]` list → plain attributes (a repeated key: the last wins). Absent → {}. */
export function decodeKeyValues(list: unknown, where: string): Attributes {
  if (list === undefined || list === null) return {};
  if (!Array.isArray(list)) throw new FieldError(`${where} is not an array (got ${typeName(list)})`);
  const out: Attributes = {};
  list.forEach((kv, i) => {
    if (!isObject(kv) || typeof kv.key !== 'string') throw new FieldError(`${where}[${i}] is not a {key, value} pair`);
    out[kv.key] = decodeAnyValue(kv.value, `${where}[${i}].value`);
  });
  return out;
}

/** Resource → its attributes (undefined when absent). */
export function decodeResource(v: unknown, where: string): Attributes | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new FieldError(`${where} is not an object (got ${typeName(v)})`);
  return decodeKeyValues(v.attributes, `${where}.attributes`);
}

/** InstrumentationScope → {name, version} (undefined when absent or empty). Scope attributes are not kept. */
export function decodeScope(v: unknown, where: string): { name?: string; version?: string } | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new FieldError(`${where} is not an object (got ${typeName(v)})`);
  const out: { name?: string; version?: string } = {};
  const name = optString(v, 'name', where);
  const version = optString(v, 'version', where);
  if (name) out.name = name;
  if (version) out.version = version;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** What an item (span, log record) sees of its enclosing resource and scope. */
export interface OtlpContext {
  resource?: Attributes;
  scope?: { name?: string; version?: string };
}

/** Describes one OTLP signal's request layout and how to map one item of it. */
export interface OtlpSignal {
  /** 'spans' | 'logs', for messages */
  label: string;
  resourceKey: string;
  /** Current and pre-1.0 names of the scope list, with the scope field name each uses. */
  scopeLists: ReadonlyArray<{ key: string; scopeField: string }>;
  itemsKey: string;
  /** Map one item; throw FieldError for bad data. */
  mapItem(item: unknown, ctx: OtlpContext, locator: Locator): NormalizedRecord;
}

const OTHER_SIGNALS: Record<string, string> = {
  resourceSpans: 'traces',
  resourceLogs: 'logs',
  resourceMetrics: 'metrics',
  resourceProfiles: 'profiles',
};

/** A whole request is wrapped as {"result": {...}} by Jaeger's v3 API. Returns the request and its path. */
function unwrapRequest(v: Json): { req: Json; prefix: JsonPath } {
  if (isObject(v.result) && !Object.keys(OTHER_SIGNALS).some((k) => k in v)) return { req: v.result, prefix: ['result'] };
  return { req: v, prefix: [] };
}

/** Which signal an OTLP request (possibly wrapped in `result`) carries, by its top-level key. */
export function requestSignalKey(v: unknown): string | undefined {
  if (!isObject(v)) return undefined;
  const { req } = unwrapRequest(v);
  return Object.keys(OTHER_SIGNALS).find((k) => k in req);
}

function quarantine(reason: string, locator: Locator, raw: unknown): Emit {
  let text: string | undefined;
  try {
    text = typeof raw === 'string' ? raw : JSON.stringify(raw);
  } catch {
    text = undefined;
  }
  return text === undefined ? { type: 'quarantine', reason, locator } : { type: 'quarantine', reason, locator, raw: text };
}

function mapItemSafely(signal: OtlpSignal, item: unknown, ctx: OtlpContext, locator: Locator): Emit {
  try {
    return { type: 'record', record: signal.mapItem(item, ctx, locator), locator };
  } catch (e) {
    if (e instanceof FieldError) return quarantine(e.message, locator, item);
    throw e;
  }
}

/**
 * Map a whole OTLP request (one document or one line) to one emit per item.
 * `base` is the unit's locator and `basePath` the request's path inside it ([] for a line or a whole document).
 */
export function mapOtlpRequest(value: unknown, signal: OtlpSignal, base: Locator, basePath: JsonPath, rawLine?: string): Emit[] {
  const at = (rel: JsonPath): Locator => subLocator(base, basePath, rel);
  if (value === undefined) return [quarantine('line is not valid JSON', base, rawLine)];
  if (!isObject(value)) return [quarantine(`expected an OTLP export request object, got ${typeName(value)}`, at([]), rawLine ?? value)];
  if (Object.keys(value).length === 0) return [{ type: 'skip', reason: 'empty OTLP export request', locator: at([]) }];
  const { req, prefix } = unwrapRequest(value);
  const key = requestSignalKey(value);
  if (key === undefined) {
    return [quarantine(`not an OTLP export request: no ${signal.resourceKey} array (keys: ${Object.keys(req).slice(0, 8).join(', ')})`, at(prefix), rawLine ?? value)];
  }
  if (key !== signal.resourceKey) {
    return [{ type: 'skip', reason: `OTLP ${OTHER_SIGNALS[key]} request (${key}): not imported by this ${signal.label} handler`, locator: at(prefix) }];
  }
  const out: Emit[] = [];
  const resources = req[signal.resourceKey];
  if (!Array.isArray(resources)) return [quarantine(`${signal.resourceKey} is not an array (got ${typeName(resources)})`, at(prefix), rawLine ?? value)];
  resources.forEach((rs, i) => {
    const rsPath: JsonPath = [...prefix, signal.resourceKey, i];
    const rsWhere = `${signal.resourceKey}[${i}]`;
    try {
      if (!isObject(rs)) throw new FieldError(`${rsWhere} is not an object (got ${typeName(rs)})`);
      const resource = decodeResource(rs.resource, `${rsWhere}.resource`);
      for (const { key: listKey, scopeField } of signal.scopeLists) {
        optArray(rs, listKey, rsWhere).forEach((ss, j) => {
          const ssPath: JsonPath = [...rsPath, listKey, j];
          const ssWhere = `${rsWhere}.${listKey}[${j}]`;
          try {
            if (!isObject(ss)) throw new FieldError(`${ssWhere} is not an object (got ${typeName(ss)})`);
            const scope = decodeScope(ss[scopeField], `${ssWhere}.${scopeField}`);
            const ctx: OtlpContext = { ...(resource ? { resource } : {}), ...(scope ? { scope } : {}) };
            optArray(ss, signal.itemsKey, ssWhere).forEach((item, k) => {
              out.push(mapItemSafely(signal, item, ctx, at([...ssPath, signal.itemsKey, k])));
            });
          } catch (e) {
            if (!(e instanceof FieldError)) throw e;
            out.push(quarantine(e.message, at(ssPath), ss));
          }
        });
      }
    } catch (e) {
      if (!(e instanceof FieldError)) throw e;
      out.push(quarantine(e.message, at(rsPath), rs));
    }
  });
  return out;
}

/** Streaming framing for one signal: items as units, resource and scope as context; plain and `result`-wrapped. */
export function otlpStreamFraming(...signals: OtlpSignal[]): Extract<Framing, { kind: 'document' }> {
  const units: JsonPath[] = [];
  const context: JsonPath[] = [];
  for (const signal of signals) {
    for (const prefix of [[], ['result']] as JsonPath[]) {
      context.push([...prefix, signal.resourceKey, '*', 'resource']);
      for (const { key, scopeField } of signal.scopeLists) {
        context.push([...prefix, signal.resourceKey, '*', key, '*', scopeField]);
        units.push([...prefix, signal.resourceKey, '*', key, '*', signal.itemsKey, '*']);
      }
    }
  }
  return { kind: 'document', units, context };
}

/** Map one streamed item, finding its resource and scope in the unit's context by concrete path. */
export function mapStreamedItem(unit: Unit, signal: OtlpSignal): Emit[] {
  const p = unit.path ?? [];
  const n = p.length;
  // p = [...prefix, resourceKey, i, scopeListKey, j, itemsKey, k]
  const scopeList = signal.scopeLists.find((s) => s.key === p[n - 4]);
  const ctxValues = unit.context ?? {};
  const resourceKey = [...p.slice(0, n - 4), 'resource'].join('.');
  const scopeKey = [...p.slice(0, n - 2), scopeList?.scopeField ?? 'scope'].join('.');
  let ctx: OtlpContext;
  try {
    const resource = decodeResource(ctxValues[resourceKey], pathToString([...p.slice(0, n - 4), 'resource']));
    const scope = decodeScope(ctxValues[scopeKey], pathToString([...p.slice(0, n - 2), scopeList?.scopeField ?? 'scope']));
    ctx = { ...(resource ? { resource } : {}), ...(scope ? { scope } : {}) };
  } catch (e) {
    if (!(e instanceof FieldError)) throw e;
    return [quarantine(e.message, unit.locator, unit.value)];
  }
  return [mapItemSafely(signal, unit.value, ctx, unit.locator)];
}

/** Map any unit of an OTLP file: a JSON line, a whole document, or a streamed item. */
export function mapOtlpUnit(unit: Unit, signal: OtlpSignal, lineSignals: readonly OtlpSignal[] = [signal]): Emit[] {
  if (unit.rawLine !== undefined || unit.path === undefined || unit.path.length === 0) {
    const basePath: JsonPath = unit.rawLine !== undefined ? [] : (unit.path ?? []);
    const key = requestSignalKey(unit.value);
    const chosen = lineSignals.find((s) => s.resourceKey === key) ?? signal;
    return mapOtlpRequest(unit.value, chosen, unit.locator, basePath, unit.rawLine);
  }
  // a streamed item (a document, or an overlong line of a file that mixes signals): its signal is in its path
  const p = unit.path;
  return mapStreamedItem(unit, lineSignals.find((s) => p[p.length - 6] === s.resourceKey) ?? signal);
}

/**
 * Sniff an OTLP request file for one signal. JSON Lines when the first line is a whole request (or when a
 * long head has no newline at all); one document otherwise (whole when complete and parseable, streamed when
 * not). `mixedWith`: other signals this handler also reads in JSON Lines; a head holding lines of this signal
 * and of one of those wins with a higher confidence (a Collector file exporter shared by two pipelines).
 */
export function sniffOtlp(s: Sniff, signal: OtlpSignal, mixedWith: readonly OtlpSignal[] = []): SniffResult | null {
  const key = signal.resourceKey;
  const isReq = (v: unknown): boolean => requestSignalKey(v) === key;
  const confidence = 0.95;
  if (s.doc !== undefined) return isReq(s.doc) ? { confidence, framing: { kind: 'document', units: [[]] } } : null;
  if (s.lines.length > 0 && s.lines[0] !== undefined) {
    // The first line is complete JSON on its own: JSON Lines of requests (a one-line document would be `doc`).
    const keys = s.lines.map(requestSignalKey);
    const mixed = keys.includes(key) && mixedWith.some((m) => keys.includes(m.resourceKey));
    if (mixed) return { confidence: 0.97, framing: { kind: 'lines' } };
    return keys[0] === key ? { confidence, framing: { kind: 'lines' } } : null;
  }
  const head = s.head.replace(/^\uFEFF/, '');
  const startsWithKey = new RegExp(`^\\s*\\{\\s*(?:"result"\\s*:\\s*\\{\\s*)?"${key}"\\s*:`).test(head);
  if (!startsWithKey && !s.topKeys.includes(key)) return null;
  // One line of 64 KiB or more: the Collector's JSON Lines batches are that long; a JSON Lines file must not be
  // streamed as one document (a huge minified single document is then read as one line).
  if (!s.complete && !head.includes('\n')) return { confidence, framing: { kind: 'lines' } };
  // A pretty-printed document too big for the head, or a truncated one: stream the items that are whole.
  return { confidence, framing: otlpStreamFraming(signal) };
}

// =====================================================================================================
// Spans
// =====================================================================================================

const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;

function spanKind(v: unknown, what: string): string {
  if (v === undefined || v === null) return 'unspecified';
  if (typeof v === 'number' && Number.isInteger(v)) return SPAN_KINDS[v] ?? `unknown(${v})`;
  if (typeof v === 'string') {
    const m = v.match(/^SPAN_KIND_([A-Z]+)$/);
    const k = (m ? m[1]! : v).toLowerCase();
    if ((SPAN_KINDS as readonly string[]).includes(k)) return k;
    if (/^\d+$/.test(v)) return SPAN_KINDS[Number(v)] ?? `unknown(${v})`;
  }
  throw new FieldError(`${what} has an invalid kind (got ${show(v)})`);
}

function spanStatus(v: unknown, what: string): SpanData['status'] {
  if (v === undefined || v === null) return { code: 'unset' };
  if (!isObject(v)) throw new FieldError(`${what}.status is not an object (got ${typeName(v)})`);
  const c = v.code;
  let code: SpanData['status']['code'];
  if (c === undefined || c === null || c === 0 || c === 'STATUS_CODE_UNSET' || c === 'UNSET') code = 'unset';
  else if (c === 1 || c === 'STATUS_CODE_OK' || c === 'OK') code = 'ok';
  else if (c === 2 || c === 'STATUS_CODE_ERROR' || c === 'ERROR') code = 'error';
  else if (typeof c === 'number' && Number.isInteger(c) && c > 2) code = 'error'; // pre-1.0 OTLP used gRPC-like codes: non-zero = error
  else throw new FieldError(`${what}.status has an invalid code (got ${show(c)})`);
  const message = optString(v, 'message', `${what}.status`);
  return message ? { code, message } : { code };
}

/** Map one OTLP span object to a record. Throws FieldError on bad data. */
export function mapOtlpSpan(span: unknown, ctx: OtlpContext): NormalizedRecord {
  if (!isObject(span)) throw new FieldError(`span is not an object (got ${typeName(span)})`);
  const traceId = otlpId(span.traceId, 32, 'span', 'traceId', false)!;
  const spanId = otlpId(span.spanId, 16, 'span', 'spanId', false)!;
  const parentSpanId = otlpId(span.parentSpanId, 16, 'span', 'parentSpanId', true);
  const name = optString(span, 'name', 'span') ?? '';
  const attributes = decodeKeyValues(span.attributes, 'span.attributes');
  const events = optArray(span, 'events', 'span').map((ev, i) => {
    const w = `span.events[${i}]`;
    if (!isObject(ev)) throw new FieldError(`${w} is not an object (got ${typeName(ev)})`);
    const attrs = decodeKeyValues(ev.attributes, `${w}.attributes`);
    return {
      tsUs: otlpTime(ev.timeUnixNano, w, 'timeUnixNano'),
      name: optString(ev, 'name', w) ?? '',
      ...(Object.keys(attrs).length > 0 ? { attributes: attrs } : {}),
    };
  });
  const links = optArray(span, 'links', 'span').map((l, i) => {
    const w = `span.links[${i}]`;
    if (!isObject(l)) throw new FieldError(`${w} is not an object (got ${typeName(l)})`);
    const attrs = decodeKeyValues(l.attributes, `${w}.attributes`);
    return {
      traceId: otlpId(l.traceId, 32, w, 'traceId', false)!,
      spanId: otlpId(l.spanId, 16, w, 'spanId', false)!,
      ...(Object.keys(attrs).length > 0 ? { attributes: attrs } : {}),
    };
  });
  const serviceName = ctx.resource?.['service.name'];
  const genai: GenAiInfo | undefined = genaiFromAttributes(attributes);
  const runId = runIdFromAttributes(attributes) ?? runIdFromAttributes(ctx.resource);
  const sessionId = sessionIdFromAttributes(attributes) ?? sessionIdFromAttributes(ctx.resource);
  const data: SpanData = {
    origin: 'otlp',
    traceId,
    spanId,
    parentSpanId,
    name,
    kind: spanKind(span.kind, 'span'),
    service: typeof serviceName === 'string' && serviceName ? serviceName : null,
    startUs: otlpTime(span.startTimeUnixNano, 'span', 'startTimeUnixNano'),
    endUs: otlpTime(span.endTimeUnixNano, 'span', 'endTimeUnixNano'),
    status: spanStatus(span.status, 'span'),
    attributes,
    ...(ctx.resource ? { resource: ctx.resource } : {}),
    ...(ctx.scope ? { scope: ctx.scope } : {}),
    ...(events.length > 0 ? { events } : {}),
    ...(links.length > 0 ? { links } : {}),
    ...(genai ? { genai } : {}),
    ...(runId ? { runId } : {}),
    ...(sessionId ? { sessionId } : {}),
  };
  return spanRecord(data);
}

/** The NormalizedRecord for a span: key `span:<traceId32>:<spanId16>` (plus `keySuffix`, e.g. Zipkin's shared half). */
export function spanRecord(data: SpanData, keySuffix = ''): NormalizedRecord {
  return new LazyTextRecord(
    {
      kind: 'span',
      key: `span:${data.traceId}:${data.spanId}${keySuffix}`,
      runId: data.runId ?? null,
      traceId: data.traceId,
      spanId: data.spanId,
      parentSpanId: data.parentSpanId,
      tsUs: data.startUs,
      endUs: data.endUs,
      name: data.name,
      data,
    },
    spanSearchText,
    data,
  );
}

export const OTLP_TRACES_SIGNAL: OtlpSignal = {
  label: 'traces',
  resourceKey: 'resourceSpans',
  scopeLists: [
    { key: 'scopeSpans', scopeField: 'scope' },
    { key: 'instrumentationLibrarySpans', scopeField: 'instrumentationLibrary' },
  ],
  itemsKey: 'spans',
  mapItem: mapOtlpSpan,
};

export const otlpTracesHandler: FormatHandler = {
  format: 'otlp-traces',
  sniff(s: Sniff): SniffResult | null {
    try {
      return sniffOtlp(s, OTLP_TRACES_SIGNAL);
    } catch {
      return null;
    }
  },
  map(unit: Unit): Emit[] {
    return mapOtlpUnit(unit, OTLP_TRACES_SIGNAL);
  },
  overlongLine: otlpStreamFraming(OTLP_TRACES_SIGNAL),
};

export const handler = otlpTracesHandler;

/**
 * Zipkin v2 JSON: an array of spans (`POST /api/v2/spans` bodies, `GET /api/v2/trace/{id}`), or an array of
 * traces (`GET /api/v2/traces`: an array of span arrays). Units: each span (`$[*]`, or `$[*][*]`).
 * Zipkin v1 (`binaryAnnotations`) is not claimed.
 *
 * Mapping
 * - ids: 64- or 128-bit hex trace ids → 32 hex (left-padded); span ids 16 hex;
 * - `timestamp` / `duration` are microseconds; a span without them is kept with startUs / endUs null
 *   (Zipkin reports such halves, e.g. a shared server half that only carries a timestamp);
 * - `localEndpoint.serviceName` → service (and resource `service.name`);
 * - `kind` CLIENT/SERVER/PRODUCER/CONSUMER → lower case; absent → 'unspecified' (a local span);
 * - `tags` → attributes; endpoints kept as attributes `zipkin.localEndpoint` / `zipkin.remoteEndpoint`
 *   (objects), `shared` / `debug` as `zipkin.shared` / `zipkin.debug`;
 * - the `error` tag → status error (its value, when not empty, is the message);
 * - `annotations` → events.
 *
 * Keys. Zipkin lets a client and a server report the same span id: the server half has `shared: true`, and a
 * messaging fan-out can have several shared halves for one id (the real smartthings trace has five). So that
 * neither half is lost (the store would quarantine a second record with the same key and other content):
 * - a span without `shared` → `span:<traceId32>:<spanId16>` (the client / only half; dedups with OTLP and Jaeger);
 * - a shared half → `span:<traceId32>:<spanId16>:shared:<service>@<ipv4|ipv6>:<port>:<timestamp>`
 *   (`-` for a missing part): deterministic, so the same file imported twice still dedups.
 */
import type { AttrValue, Attributes, Emit, SpanData } from '../../../../shared/model';
import { normalizeHexId } from '../../../../shared/model';
import { genaiFromAttributes, runIdFromAttributes, sessionIdFromAttributes } from './genai';
import { FieldError, isObject, type Json, show, spanRecord, typeName } from './otlp-traces';
import type { FormatHandler, Sniff, SniffResult, Unit } from './types';

const KINDS = new Set(['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER']);

function isZipkinSpan(v: unknown): boolean {
  if (!isObject(v) || typeof v.traceId !== 'string' || typeof v.id !== 'string') return false;
  if ('binaryAnnotations' in v) return false; // Zipkin v1
  return (
    isObject(v.localEndpoint) ||
    isObject(v.remoteEndpoint) ||
    (typeof v.kind === 'string' && KINDS.has(v.kind)) ||
    typeof v.timestamp === 'number' ||
    typeof v.shared === 'boolean'
  );
}

function sniffZipkin(s: Sniff): SniffResult | null {
  const confidence = 0.9;
  if (s.doc !== undefined) {
    if (!Array.isArray(s.doc) || s.doc.length === 0) return null;
    const first: unknown = s.doc[0];
    if (Array.isArray(first)) return first.length > 0 && isZipkinSpan(first[0]) ? { confidence, framing: { kind: 'document', units: [['*', '*']] } } : null;
    return isZipkinSpan(first) ? { confidence, framing: { kind: 'document', units: [['*']] } } : null;
  }
  if (s.firstElement !== undefined) return isZipkinSpan(s.firstElement) ? { confidence, framing: { kind: 'document', units: [['*']] } } : null;
  // A large (or truncated) file: look at the head.
  const head = s.head.replace(/^\uFEFF/, '');
  const nested = /^\s*\[\s*\[\s*\{/.test(head);
  if (!nested && !/^\s*\[\s*\{/.test(head)) return null;
  if (/"binaryAnnotations"\s*:/.test(head)) return null;
  if (!/"traceId"\s*:\s*"[0-9a-fA-F]+"/.test(head) || !/"id"\s*:\s*"[0-9a-fA-F]+"/.test(head)) return null;
  if (!/"(localEndpoint|remoteEndpoint)"\s*:\s*\{/.test(head) && !/"kind"\s*:\s*"(CLIENT|SERVER|PRODUCER|CONSUMER)"/.test(head)) return null;
  return { confidence, framing: { kind: 'document', units: nested ? [['*', '*']] : [['*']] } };
}

function micros(o: Json, field: string): number | null {
  const v = o[field];
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  throw new FieldError(`span.${field} is not a number of microseconds (got ${show(v)})`);
}

function endpoint(o: Json, field: string): Attributes | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new FieldError(`span.${field} is not an object (got ${typeName(v)})`);
  const out: Attributes = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out[k] = x;
  }
  return out;
}

/** Map one Zipkin v2 span. Throws FieldError on bad data. Returns the data and its key suffix. */
export function mapZipkinSpan(span: unknown): { data: SpanData; keySuffix: string } {
  if (!isObject(span)) throw new FieldError(`span is not an object (got ${typeName(span)})`);
  const traceId = normalizeHexId(span.traceId, 32);
  if (!traceId) throw new FieldError(`span has no valid traceId (got ${show(span.traceId)})`);
  const spanId = normalizeHexId(span.id, 16);
  if (!spanId) throw new FieldError(`span has no valid id (got ${show(span.id)})`);
  let parentSpanId: string | null = null;
  if (span.parentId !== undefined && span.parentId !== null && span.parentId !== '') {
    parentSpanId = normalizeHexId(span.parentId, 16);
    if (!parentSpanId) throw new FieldError(`span has no valid parentId (got ${show(span.parentId)})`);
  }
  const name = span.name ?? '';
  if (typeof name !== 'string') throw new FieldError(`span.name is not a string (got ${typeName(name)})`);
  const rawKind = span.kind;
  if (rawKind !== undefined && rawKind !== null && typeof rawKind !== 'string') throw new FieldError(`span.kind is not a string (got ${typeName(rawKind)})`);
  const kind = typeof rawKind === 'string' && rawKind ? rawKind.toLowerCase() : 'unspecified';
  const startUs = micros(span, 'timestamp');
  const duration = micros(span, 'duration');
  const local = endpoint(span, 'localEndpoint');
  const remote = endpoint(span, 'remoteEndpoint');

  const tags = span.tags ?? {};
  if (!isObject(tags)) throw new FieldError(`span.tags is not an object (got ${typeName(tags)})`);
  const attributes: Attributes = {};
  for (const [k, v] of Object.entries(tags)) {
    attributes[k] = (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v)) as AttrValue;
  }
  if (local) attributes['zipkin.localEndpoint'] = local;
  if (remote) attributes['zipkin.remoteEndpoint'] = remote;
  const shared = span.shared === true;
  if (shared) attributes['zipkin.shared'] = true;
  if (span.debug === true) attributes['zipkin.debug'] = true;

  const anns = span.annotations ?? [];
  if (!Array.isArray(anns)) throw new FieldError(`span.annotations is not an array (got ${typeName(anns)})`);
  const events = anns.map((a, i) => {
    if (!isObject(a)) throw new FieldError(`span.annotations[${i}] is not an object (got ${typeName(a)})`);
    const ts = a.timestamp;
    if (ts !== undefined && ts !== null && typeof ts !== 'number') throw new FieldError(`span.annotations[${i}].timestamp is not a number (got ${show(ts)})`);
    return { tsUs: typeof ts === 'number' ? ts : null, name: typeof a.value === 'string' ? a.value : JSON.stringify(a.value ?? null) };
  });

  const service = typeof local?.serviceName === 'string' && local.serviceName ? local.serviceName : null;
  const errorTag = tags.error;
  const statusCode = tags['otel.status_code'];
  const code: SpanData['status']['code'] = errorTag !== undefined || statusCode === 'ERROR' ? 'error' : statusCode === 'OK' ? 'ok' : 'unset';
  const message = typeof errorTag === 'string' && errorTag ? errorTag : typeof tags['otel.status_description'] === 'string' ? tags['otel.status_description'] : '';
  const resource: Attributes | undefined = service ? { 'service.name': service } : undefined;
  const genai = genaiFromAttributes(attributes);
  const runId = runIdFromAttributes(attributes);
  const sessionId = sessionIdFromAttributes(attributes);
  const data: SpanData = {
    origin: 'zipkin',
    traceId,
    spanId,
    parentSpanId,
    name,
    kind,
    service,
    startUs,
    endUs: startUs !== null && duration !== null ? startUs + duration : null,
    status: message ? { code, message } : { code },
    attributes,
    ...(resource ? { resource } : {}),
    ...(events.length > 0 ? { events } : {}),
    ...(genai ? { genai } : {}),
    ...(runId ? { runId } : {}),
    ...(sessionId ? { sessionId } : {}),
  };
  let keySuffix = '';
  if (shared) {
    const host = local?.ipv4 ?? local?.ipv6 ?? '-';
    keySuffix = `:shared:${service ?? '-'}@${String(host)}:${String(local?.port ?? '-')}:${startUs ?? '-'}`;
  }
  return { data, keySuffix };
}

export const zipkinHandler: FormatHandler = {
  format: 'zipkin',
  sniff(s: Sniff): SniffResult | null {
    try {
      return sniffZipkin(s);
    } catch {
      return null;
    }
  },
  map(unit: Unit): Emit[] {
    try {
      const { data, keySuffix } = mapZipkinSpan(unit.value);
      return [{ type: 'record', record: spanRecord(data, keySuffix), locator: unit.locator }];
    } catch (e) {
      if (!(e instanceof FieldError)) throw e;
      return [{ type: 'quarantine', reason: e.message, locator: unit.locator, raw: JSON.stringify(unit.value) ?? 'undefined' }];
    }
  },
};

export const handler = zipkinHandler;

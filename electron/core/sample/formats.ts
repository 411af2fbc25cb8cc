/**
 * Wire shapes of the formats the sample bundle is written in, modelled on what the real tools write
 * (see ../shared/corpus): OTLP/JSON (collector file exporter), Jaeger query API JSON, Zipkin v2,
 * OPA decision logs (file/console), Go/Python/JS timestamp spellings.
 */

/** Typed span/log attribute: string, int, double, bool, string array. */
export type Attr =
  | readonly ['s', string, string]
  | readonly ['i', string, number]
  | readonly ['d', string, number]
  | readonly ['b', string, boolean]
  | readonly ['as', string, readonly string[]];

export interface SpanRec {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client */
  kind: 1 | 2 | 3;
  startUs: number;
  endUs: number;
  /** extra nanoseconds (0–999) so OTLP times look like real clocks */
  ns: number;
  attrs: Attr[];
  status?: { code: 1 | 2; message?: string };
  /** key into the resource table */
  res: string;
  /** key into the scope table */
  scope: string;
}

export interface Scope {
  name: string;
  version: string;
}

const PAD3: string[] = [];
for (let i = 0; i < 1000; i++) PAD3.push(String(i).padStart(3, '0'));

export function pad(n: number, w: number): string {
  return w === 3 && n >= 0 && n < 1000 ? PAD3[n]! : String(n).padStart(w, '0');
}

// "YYYY-MM-DDTHH:MM:SS" of a whole second, memoised (a hot path: ~20 timestamps per run)
const SEC_KEYS = new Float64Array(1024).fill(-1);
const SEC_TEXT: string[] = new Array<string>(1024).fill('');
function secText(sec: number): string {
  const slot = sec & 1023;
  if (SEC_KEYS[slot] !== sec) {
    SEC_KEYS[slot] = sec;
    SEC_TEXT[slot] = new Date(sec * 1000).toISOString().slice(0, 19);
  }
  return SEC_TEXT[slot]!;
}

/** 2026-10-13T15:04:05.123Z */
export function isoMs(ms: number): string {
  const sec = Math.floor(ms / 1000);
  return `${secText(sec)}.${pad(ms - sec * 1000, 3)}Z`;
}

/** Python datetime.isoformat() with microseconds and +00:00 (OpenLineage, LangSmith). */
export function isoPy(us: number): string {
  const sec = Math.floor(us / 1_000_000);
  return `${secText(sec)}.${pad(us - sec * 1_000_000, 6)}+00:00`;
}

/** Go time.RFC3339Nano (trailing zeros of the fraction trimmed; OPA decision timestamps). */
export function isoGoNano(us: number, ns: number): string {
  const sec = Math.floor(us / 1_000_000);
  let frac = `${pad(us - sec * 1_000_000, 6)}${pad(ns, 3)}`.replace(/0+$/, '');
  if (frac) frac = `.${frac}`;
  return `${secText(sec)}${frac}Z`;
}

/** Go time.RFC3339 (logrus "time" field). */
export function isoGoSec(ms: number): string {
  return `${secText(Math.floor(ms / 1000))}Z`;
}

export function nanos(us: number, ns: number): string {
  return `${us}${pad(ns, 3)}`;
}

export function otlpValue(a: Attr): Record<string, unknown> {
  switch (a[0]) {
    case 's':
      return { stringValue: a[2] };
    case 'i':
      return { intValue: String(a[2]) };
    case 'd':
      return { doubleValue: a[2] };
    case 'b':
      return { boolValue: a[2] };
    case 'as':
      return { arrayValue: { values: a[2].map((v) => ({ stringValue: v })) } };
  }
}

export function otlpAttrs(attrs: readonly Attr[]): Array<{ key: string; value: Record<string, unknown> }> {
  return attrs.map((a) => ({ key: a[1], value: otlpValue(a) }));
}

/** One span as pdata's JSON marshaller writes it (enums as numbers, int64 as strings). */
export function otlpSpan(s: SpanRec): Record<string, unknown> {
  const o: Record<string, unknown> = { traceId: s.traceId, spanId: s.spanId };
  if (s.parentSpanId) o.parentSpanId = s.parentSpanId;
  o.name = s.name;
  o.kind = s.kind;
  o.startTimeUnixNano = nanos(s.startUs, s.ns);
  o.endTimeUnixNano = nanos(s.endUs, (s.ns * 7 + 311) % 1000);
  o.attributes = otlpAttrs(s.attrs);
  o.status = s.status ? (s.status.message ? { message: s.status.message, code: s.status.code } : { code: s.status.code }) : {};
  return o;
}

const KEY_JSON = new Map<string, string>();
function keyJson(k: string): string {
  let j = KEY_JSON.get(k);
  if (j === undefined) {
    j = `{"key":${JSON.stringify(k)},"value":{`;
    KEY_JSON.set(k, j);
  }
  return j;
}

function attrJson(a: Attr): string {
  switch (a[0]) {
    case 's':
      return `${keyJson(a[1])}"stringValue":${JSON.stringify(a[2])}}}`;
    case 'i':
      return `${keyJson(a[1])}"intValue":"${a[2]}"}}`;
    case 'd':
      return `${keyJson(a[1])}"doubleValue":${JSON.stringify(a[2])}}}`;
    case 'b':
      return `${keyJson(a[1])}"boolValue":${a[2]}}}`;
    case 'as':
      return `${keyJson(a[1])}"arrayValue":{"values":[${a[2].map((v) => `{"stringValue":${JSON.stringify(v)}}`).join(',')}]}}}`;
  }
}

/** Same text as JSON.stringify(otlpSpan(s)), built without intermediate objects (hot path). */
export function otlpSpanJson(s: SpanRec): string {
  let out = `{"traceId":"${s.traceId}","spanId":"${s.spanId}"`;
  if (s.parentSpanId) out += `,"parentSpanId":"${s.parentSpanId}"`;
  out += `,"name":${JSON.stringify(s.name)},"kind":${s.kind},"startTimeUnixNano":"${nanos(s.startUs, s.ns)}","endTimeUnixNano":"${nanos(s.endUs, (s.ns * 7 + 311) % 1000)}","attributes":[`;
  for (let i = 0; i < s.attrs.length; i++) out += (i ? ',' : '') + attrJson(s.attrs[i]!);
  out += '],"status":';
  if (!s.status) out += '{}}';
  else out += s.status.message ? `{"message":${JSON.stringify(s.status.message)},"code":${s.status.code}}}` : `{"code":${s.status.code}}}`;
  return out;
}

/** Jaeger prints a 128-bit trace id as %x of the high half (no leading zeros) + %016x of the low half. */
export function jaegerTraceId(hex32: string): string {
  const high = hex32.slice(0, 16).replace(/^0+/, '');
  return high ? `${high}${hex32.slice(16)}` : hex32.slice(16);
}

function jaegerTag(a: Attr): { key: string; type: string; value: unknown } {
  switch (a[0]) {
    case 's':
      return { key: a[1], type: 'string', value: a[2] };
    case 'i':
      return { key: a[1], type: 'int64', value: a[2] };
    case 'd':
      return { key: a[1], type: 'float64', value: a[2] };
    case 'b':
      return { key: a[1], type: 'bool', value: a[2] };
    case 'as':
      return { key: a[1], type: 'string', value: JSON.stringify(a[2]) };
  }
}

const KIND_NAME: Record<number, string> = { 1: 'internal', 2: 'server', 3: 'client' };

/** Jaeger query API JSON for a set of spans of one trace (as /api/traces/{id} returns it). */
export function jaegerTrace(
  spans: SpanRec[],
  resources: Record<string, { service: string; attrs: Attr[] }>,
  scopes: Record<string, Scope>,
): Record<string, unknown> {
  const traceID = jaegerTraceId(spans[0]!.traceId);
  const processes: Record<string, unknown> = {};
  const pidOf = new Map<string, string>();
  for (const s of spans) {
    if (pidOf.has(s.res)) continue;
    const pid = `p${pidOf.size + 1}`;
    pidOf.set(s.res, pid);
    const r = resources[s.res]!;
    processes[pid] = { serviceName: r.service, tags: r.attrs.filter((a) => a[1] !== 'service.name').map(jaegerTag) };
  }
  const sorted = [...spans].sort((a, b) => a.startUs - b.startUs);
  return {
    traceID,
    spans: sorted.map((s) => {
      const sc = scopes[s.scope]!;
      const tags = [
        { key: 'otel.scope.name', type: 'string', value: sc.name },
        { key: 'otel.scope.version', type: 'string', value: sc.version },
        ...s.attrs.map(jaegerTag),
        { key: 'span.kind', type: 'string', value: KIND_NAME[s.kind] },
      ];
      if (s.status?.code === 2) {
        tags.push({ key: 'otel.status_code', type: 'string', value: 'ERROR' }, { key: 'error', type: 'bool', value: true });
        if (s.status.message) tags.push({ key: 'otel.status_description', type: 'string', value: s.status.message });
      }
      return {
        traceID,
        spanID: s.spanId,
        operationName: s.name,
        references: s.parentSpanId ? [{ refType: 'CHILD_OF', traceID, spanID: s.parentSpanId }] : [],
        startTime: s.startUs,
        duration: s.endUs - s.startUs,
        tags,
        logs: [],
        processID: pidOf.get(s.res),
        warnings: null,
      };
    }),
    processes,
    warnings: null,
  };
}

/** Fields of one OPA decision, as the generator knows it. */
export interface OpaDecision {
  instance: { id: string; ip: string };
  decisionId: string;
  /** null when the request carried no trace context (OPA then logs neither id) */
  traceId: string | null;
  spanId: string | null;
  path: string;
  bundles: Record<string, { revision: string }>;
  input: Record<string, unknown>;
  result: Record<string, unknown>;
  erased?: string[];
  requestedBy: string;
  us: number;
  ns: number;
  metrics: Record<string, number>;
  reqId: number;
}

/** A decision log event in the field order of OPA's EventV1 struct (file / HTTP upload form). */
export function opaDecisionJson(d: OpaDecision): string {
  const o: Record<string, unknown> = {
    labels: { id: d.instance.id, type: 'opa', version: OPA_VER },
    decision_id: d.decisionId,
  };
  if (d.traceId) {
    o.trace_id = d.traceId;
    o.span_id = d.spanId;
  }
  o.bundles = d.bundles;
  o.path = d.path;
  o.input = d.input;
  o.result = d.result;
  if (d.erased) o.erased = d.erased;
  o.requested_by = d.requestedBy;
  o.timestamp = isoGoNano(d.us, d.ns);
  o.metrics = d.metrics;
  o.req_id = d.reqId;
  return JSON.stringify(o);
}

const OPA_VER = '1.9.0';

/** The same decision as OPA's console decision logger prints it (logrus JSON: keys sorted). */
export function opaConsoleJson(d: OpaDecision): string {
  const o: Record<string, unknown> = {
    bundles: d.bundles,
    decision_id: d.decisionId,
  };
  if (d.erased) o.erased = d.erased;
  o.input = d.input;
  o.labels = { id: d.instance.id, type: 'opa', version: OPA_VER };
  o.level = 'info';
  o.metrics = d.metrics;
  o.msg = 'Decision Log';
  o.path = d.path;
  o.req_id = d.reqId;
  o.requested_by = d.requestedBy;
  o.result = d.result;
  if (d.spanId) o.span_id = d.spanId;
  o.time = isoGoSec(Math.floor(d.us / 1000));
  o.timestamp = isoGoNano(d.us, d.ns);
  if (d.traceId) o.trace_id = d.traceId;
  o.type = 'openpolicyagent.org/decision_logs';
  return JSON.stringify(o);
}

/** Recursively sort object keys (Python clients serialise OpenLineage events with sorted keys). */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = sortKeys(o[k]);
    return out;
  }
  return v;
}

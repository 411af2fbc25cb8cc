/**
 * Normalized evidence records: what every importer produces and what the store keeps.
 * Pure types and tiny helpers only — no Node, DOM or Electron imports (lint-enforced).
 *
 * Time is always epoch MICROseconds as a JS number (safe up to year 2255 within 2^53).
 * Trace ids are 32 lowercase hex chars (left-padded), span ids 16 lowercase hex chars.
 */

export const FORMAT_NAMES = [
  'casefile-audit',
  'otlp-traces',
  'otlp-logs',
  'jaeger',
  'zipkin',
  'openlineage',
  'opa-decisions',
  'langfuse',
  'langsmith',
  'budgets',
  'manifest',
  'unknown',
] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

export type RecordKind = 'audit' | 'span' | 'log' | 'decision' | 'lineage';

/** Where a unit came from inside its source file. line is 1-based; path is a JSONPath like $.data[0].spans[3]. */
export interface Locator {
  line?: number;
  path?: string;
}

export type AttrValue = string | number | boolean | null | AttrValue[] | { [k: string]: AttrValue };
export type Attributes = Record<string, AttrValue>;

export interface GenAiInfo {
  system?: string;
  operation?: string;
  requestModel?: string;
  responseModel?: string;
  inputTokens?: number;
  outputTokens?: number;
  prompt?: string;
  completion?: string;
  toolName?: string;
}

export type SpanOrigin = 'otlp' | 'jaeger' | 'zipkin' | 'langfuse' | 'langsmith';

export interface SpanData {
  origin: SpanOrigin;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** internal | server | client | producer | consumer | unspecified, or the source's own (e.g. GENERATION for Langfuse) */
  kind: string;
  service: string | null;
  startUs: number | null;
  endUs: number | null;
  status: { code: 'unset' | 'ok' | 'error'; message?: string };
  attributes: Attributes;
  resource?: Attributes;
  scope?: { name?: string; version?: string };
  events?: Array<{ tsUs: number | null; name: string; attributes?: Attributes }>;
  links?: Array<{ traceId: string; spanId: string; type?: string; attributes?: Attributes }>;
  genai?: GenAiInfo;
  /** Run id found on the span itself (e.g. casefile.run_id attribute, Langfuse trace id). */
  runId?: string | null;
  /** Session / conversation id if present. */
  sessionId?: string | null;
}

export interface LogData {
  origin: 'otlp';
  tsUs: number | null;
  observedUs: number | null;
  severityText?: string;
  severityNumber?: number;
  eventName?: string;
  body: AttrValue;
  attributes: Attributes;
  resource?: Attributes;
  scope?: { name?: string; version?: string };
  traceId: string | null;
  spanId: string | null;
}

export type PolicyDecision = 'allow' | 'deny' | 'escalate' | 'redact' | 'unknown';

export interface DecisionData {
  origin: 'opa';
  decisionId: string;
  path: string | null;
  input: unknown;
  /** undefined when OPA's result was undefined (not present in the log) */
  result?: unknown;
  timestamp: string | null;
  labels?: Record<string, unknown>;
  bundles?: Record<string, unknown>;
  requestedBy?: string;
  reqId?: number | string;
  metrics?: Record<string, unknown>;
  erased?: string[];
  masked?: string[];
  /** Derived: normalized decision and reason codes, when they can be read from result/input. */
  decision: PolicyDecision;
  reasonCodes: string[];
  policyId: string | null;
  policyVersion: string | null;
  runId: string | null;
  traceId: string | null;
}

export interface LineageDataset {
  namespace: string;
  name: string;
  /** From the datasetVersion facet, if any */
  version?: string | null;
  facets?: Record<string, unknown>;
  inputFacets?: Record<string, unknown>;
  outputFacets?: Record<string, unknown>;
}

export interface LineageData {
  origin: 'openlineage';
  /** RunEvent | DatasetEvent | JobEvent */
  eventClass: 'RunEvent' | 'DatasetEvent' | 'JobEvent';
  eventType: string | null;
  eventTime: string;
  eventTimeUs: number | null;
  producer: string | null;
  schemaURL: string | null;
  runId: string | null;
  job: { namespace: string; name: string } | null;
  parent: { runId: string; job: { namespace: string; name: string } } | null;
  inputs: LineageDataset[];
  outputs: LineageDataset[];
  /** For DatasetEvent */
  dataset?: LineageDataset | null;
  runFacets?: Record<string, unknown>;
  jobFacets?: Record<string, unknown>;
  /** Spec conformance: false events are kept and flagged */
  valid: boolean;
  problems: string[];
  /** The event exactly as received */
  event: unknown;
}

export type AuditEventType =
  | 'run.start'
  | 'input'
  | 'retrieval'
  | 'model.call'
  | 'policy.decision'
  | 'tool.call'
  | 'write'
  | 'approval'
  | 'output'
  | 'user.signal'
  | 'run.end';

export const AUDIT_EVENT_TYPES: readonly AuditEventType[] = [
  'run.start',
  'input',
  'retrieval',
  'model.call',
  'policy.decision',
  'tool.call',
  'write',
  'approval',
  'output',
  'user.signal',
  'run.end',
];

export type AutonomyTier = 'draft' | 'approve' | 'auto';

/** Casefile audit JSONL, version 1 — see shared/schema/casefile-audit.schema.json and docs/formats.md. */
export interface AuditEvent {
  audit_version: 1;
  event_id: string;
  run_id: string;
  seq?: number;
  ts: string;
  type: AuditEventType;
  workflow?: string;
  tier?: AutonomyTier;
  actor?: { type: 'agent' | 'human' | 'system'; id?: string };
  trace_id?: string;
  span_id?: string;
  session_id?: string;
  model?: { provider?: string; name?: string; version?: string };
  dataset_version?: string;
  policy_version?: string;
  input?: unknown;
  output?: unknown;
  evidence?: Array<{ source_id: string; uri?: string; snippet?: string; score?: number }>;
  decision?: {
    decision_id?: string;
    policy_id: string;
    policy_version?: string;
    decision: 'allow' | 'deny' | 'escalate' | 'redact';
    reason_codes?: string[];
  };
  tool?: { name: string; call_id?: string; arguments?: unknown; result?: unknown; status?: 'ok' | 'error'; error?: string };
  write?: { system: string; record: string; field: string; before: unknown; after: unknown; unit?: string; write_id?: string };
  approval?: { approver: string; decision: 'approved' | 'rejected'; reason?: string; ref_event_id?: string };
  signal?: { kind: 'undo' | 'rerun' | 'escalation' | 'complaint'; by?: string; ref_event_id?: string; note?: string };
  labels?: Record<string, string>;
  prev_hash?: string | null;
  hash?: string;
}

export interface AuditData {
  origin: 'casefile';
  event: AuditEvent;
}

export type RecordData = SpanData | LogData | DecisionData | LineageData | AuditData;

/** One normalized record as produced by an importer. */
export interface NormalizedRecord {
  kind: RecordKind;
  /** Natural identity used for de-duplication across files (e.g. span:<trace>:<span>). */
  key: string;
  runId: string | null;
  traceId: string | null;
  spanId: string | null;
  parentSpanId: string | null;
  tsUs: number | null;
  endUs: number | null;
  name: string | null;
  /** The record's search text (inputs, outputs, reason codes, names); computed on demand (LazyTextRecord). */
  text: string;
  data: RecordData;
}

/**
 * A mapped record whose search text is computed only when read (nothing on the import path reads it). Every
 * mapper builds its records with this one class, whose `text` getter lives on the prototype: an object literal
 * with its own `get text()` creates a new getter function at each evaluation, and with it a new hidden class
 * per record. Measured on 340,833 audit lines in one thread (docs/performance.md, eighth session): the literal
 * cost 0.52 s of the mapper's 1.4 s, and the per-record hidden classes made each young-generation collection
 * ~12× slower (0.17 → 2.1 ms) — at import, a third of the parse threads' time.
 */
export class LazyTextRecord<S> implements NormalizedRecord {
  kind: RecordKind;
  key: string;
  runId: string | null;
  traceId: string | null;
  spanId: string | null;
  parentSpanId: string | null;
  tsUs: number | null;
  endUs: number | null;
  name: string | null;
  data: RecordData;
  readonly #textOf: (src: S) => string;
  readonly #src: S;

  constructor(r: Omit<NormalizedRecord, 'text'>, textOf: (src: S) => string, src: S) {
    this.kind = r.kind;
    this.key = r.key;
    this.runId = r.runId;
    this.traceId = r.traceId;
    this.spanId = r.spanId;
    this.parentSpanId = r.parentSpanId;
    this.tsUs = r.tsUs;
    this.endUs = r.endUs;
    this.name = r.name;
    this.data = r.data;
    this.#textOf = textOf;
    this.#src = src;
  }

  get text(): string {
    return this.#textOf(this.#src);
  }
}

/** What a format mapper emits for one unit of input. */
export type Emit =
  /**
   * dataJson: the record's data already serialized (e.g. built around the raw line), saving a JSON.stringify.
   * dataAround: dataJson is exactly these two texts around the unit's raw line (a reader holding the line's bytes
   * may copy them instead of encoding dataJson again).
   */
  | { type: 'record'; record: NormalizedRecord; locator: Locator; dataJson?: string; dataAround?: readonly [string, string] }
  | { type: 'quarantine'; reason: string; locator: Locator; raw?: string }
  | { type: 'skip'; reason: string; locator: Locator };

// ---------- small pure helpers shared by importers and readers ----------

/** Normalize a hex id (trace or span) to lowercase and the given width, left-padding with zeros. Returns null when not hex. */
/** The value at a path of object keys (undefined where a step is not an object). */
export function getPath(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

export function normalizeHexId(id: unknown, width: 32 | 16): string | null {
  if (typeof id !== 'string' || id.length === 0) return null;
  const s = id.toLowerCase();
  if (!/^[0-9a-f]+$/.test(s) || s.length > width) return null;
  if (/^0+$/.test(s)) return null; // all-zero ids are invalid per W3C/OTLP
  return s.padStart(width, '0');
}

/** Parse an RFC 3339 timestamp to epoch microseconds, keeping sub-millisecond digits. Returns null when invalid. */
export function isoToUs(s: unknown): number | null {
  if (typeof s !== 'string') return null;
  const fast = utcIsoToUs(s);
  if (fast !== null) return fast;
  const m = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i.exec(s.trim());
  if (!m) {
    const t = Date.parse(s);
    return Number.isFinite(t) ? t * 1000 : null;
  }
  const base = Date.parse(`${m[1]!.replace(' ', 'T')}${m[3] ? (m[3].toUpperCase() === 'Z' ? 'Z' : fixOffset(m[3])) : 'Z'}`);
  if (!Number.isFinite(base)) return null;
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return base * 1000 + Number(frac);
}

const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/** `s.charCodeAt(i)` as a decimal digit, or -1. */
function digitAt(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/**
 * The common form, `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with fields in range, read digit by digit (what every
 * audit event and OPA decision of a large bundle carries: ~7 % of a parse thread's time went to the regular
 * expression and Date.parse below). Null for anything else, which isoToUs then reads the general way — with
 * the same result for every string this accepts (test/unit/model-time.test.ts compares them).
 */
function utcIsoToUs(s: string): number | null {
  const n = s.length;
  if (n < 20 || n > 40 || s.charCodeAt(n - 1) !== 90 /* Z */ || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 /* T */ || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return null;
  const y0 = digitAt(s, 0), y1 = digitAt(s, 1), y2 = digitAt(s, 2), y3 = digitAt(s, 3);
  const mo0 = digitAt(s, 5), mo1 = digitAt(s, 6), d0 = digitAt(s, 8), d1 = digitAt(s, 9);
  const h0 = digitAt(s, 11), h1 = digitAt(s, 12), mi0 = digitAt(s, 14), mi1 = digitAt(s, 15), s0 = digitAt(s, 17), s1 = digitAt(s, 18);
  if ((y0 | y1 | y2 | y3 | mo0 | mo1 | d0 | d1 | h0 | h1 | mi0 | mi1 | s0 | s1) < 0) return null;
  const year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
  const month = mo0 * 10 + mo1;
  const day = d0 * 10 + d1;
  const hour = h0 * 10 + h1;
  const minute = mi0 * 10 + mi1;
  const second = s0 * 10 + s1;
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  if (day > monthDays) return null;
  // the fraction: none, or '.' and 1–9 digits; microseconds are its first six (padded), the rest dropped
  let frac = 0;
  if (n > 20) {
    if (s.charCodeAt(19) !== 46 /* . */ || n === 21 || n - 21 > 9) return null;
    let scale = 100000;
    for (let i = 20; i < n - 1; i++) {
      const d = digitAt(s, i);
      if (d < 0) return null;
      frac += d * scale;
      scale /= 10;
    }
    frac = Math.floor(frac);
  }
  // days since 1970-01-01 (proleptic Gregorian, years from 1970)
  const y = year - 1;
  const days = 365 * (year - 1970) + (Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400)) - 477 + DAYS_BEFORE_MONTH[month - 1]! + (leap && month > 2 ? 1 : 0) + day - 1;
  return ((days * 86400 + hour * 3600 + minute * 60 + second) * 1000) * 1000 + frac;
}

function fixOffset(o: string): string {
  return o.includes(':') ? o : `${o.slice(0, 3)}:${o.slice(3)}`;
}

/** Epoch microseconds → ISO string with microsecond precision. */
export function usToIso(us: number): string {
  const ms = Math.floor(us / 1000);
  const rest = Math.round(us - ms * 1000);
  const iso = new Date(ms).toISOString(); // ...sss Z
  return `${iso.slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}

/** Nanoseconds given as a decimal string or number (OTLP int64) → microseconds. */
export function nanosToUs(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? Math.floor(v / 1000) : null;
  if (typeof v === 'string' && /^\d+$/.test(v)) {
    if (v === '0') return null;
    // drop the last three digits without going through a lossy float
    return v.length <= 3 ? 0 : Number(v.slice(0, -3));
  }
  return null;
}

/** JSON with keys sorted recursively, no whitespace: used for hash chains and content identity. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x === undefined ? null : x)).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

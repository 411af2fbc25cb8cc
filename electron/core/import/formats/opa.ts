/**
 * OPA decision logs (https://www.openpolicyagent.org/docs/management-decision-logs):
 *  - JSON Lines, one decision event per line (e.g. EOPA's Kafka / S3 sinks),
 *  - the JSON array OPA uploads to a decision-log service (POST /logs body),
 *  - console output (`decision_logs.console=true`), where decision events are JSON log lines with
 *    "msg":"Decision Log" mixed with OPA's other JSON log lines and possibly lines that are not JSON.
 *
 * Each decision becomes a 'decision' record keyed `decision:<decision_id>`. Every other console line is
 * emitted as a `skip` with its reason, so the counts add up. A decision without a decision_id is quarantined.
 *
 * The normalized verdict (allow / deny / escalate / redact / unknown) and reason codes are derived from
 * `result` — see deriveDecision().
 */
import type { DecisionData, Emit, NormalizedRecord, PolicyDecision } from '../../../../shared/model';
import { LazyTextRecord, canonicalJson, isoToUs, normalizeHexId } from '../../../../shared/model';
import type { FormatHandler, Sniff, SniffResult, Unit } from './types';

type Obj = Record<string, unknown>;

/**
 * DecisionData plus fields OPA logs that the shared model has no slot for yet (kept, not dropped):
 * the non-deterministic builtin cache and, for ad-hoc queries, the query text instead of a path.
 */
export interface OpaDecisionData extends DecisionData {
  ndBuiltinCache?: unknown;
  query?: string;
}

const TEXT_LIMIT = 8 * 1024;
const DECISION_LOG_MSG = 'Decision Log';
const DECISION_LOG_TYPE = 'openpolicyagent.org/decision_logs';

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function truncate(s: string, limit: number): string {
  if (s.length <= limit) return s;
  let cut = limit;
  const code = s.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${s.slice(0, cut)}…`;
}

// ---------------------------------------------------------------------------------------------------
// Finding run / trace ids inside a decision's input
// ---------------------------------------------------------------------------------------------------

const RUN_ID_KEYS = new Set(['run_id', 'runid', 'casefile.run_id', 'casefile_run_id', 'x-run-id', 'x-casefile-run-id']);
const TRACE_ID_KEYS = new Set(['trace_id', 'traceid', 'x-b3-traceid', 'x-trace-id', 'x-amzn-trace-id-hex']);
const SPAN_ID_KEYS = new Set(['span_id', 'spanid', 'x-b3-spanid']);

/** Parses a W3C traceparent header: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. */
export function parseTraceparent(v: unknown): { traceId: string; spanId: string } | null {
  if (typeof v !== 'string') return null;
  const m = /^\s*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})/i.exec(v);
  if (!m || m[1]!.toLowerCase() === 'ff') return null;
  const traceId = normalizeHexId(m[2], 32);
  const spanId = normalizeHexId(m[3], 16);
  return traceId && spanId ? { traceId, spanId } : null;
}

function headerValue(v: unknown): unknown {
  // Envoy and HTTP frameworks give headers as strings; some give a list of values.
  return Array.isArray(v) ? v[0] : v;
}

export interface FoundIds {
  runId: string | null;
  traceId: string | null;
  spanId: string | null;
}

/**
 * Looks for a run id and a trace context inside a value (typically a policy decision's input), breadth
 * first so the shallowest match wins: keys run_id / runId (any depth, e.g. context.run_id or
 * request.run_id), trace_id / traceId / x-b3-traceid, span_id, and a W3C `traceparent` header (trace and
 * parent span id). Key matching is case-insensitive. Bounded: at most `maxNodes` values are visited.
 */
export function findRunAndTraceIds(value: unknown, maxDepth = 8, maxNodes = 5000): FoundIds {
  const found: FoundIds = { runId: null, traceId: null, spanId: null };
  let queue: unknown[] = [value];
  let visited = 0;
  for (let depth = 0; depth <= maxDepth && queue.length > 0; depth++) {
    const next: unknown[] = [];
    for (const v of queue) {
      if (++visited > maxNodes) return found;
      if (Array.isArray(v)) {
        for (const x of v) {
          if (next.length >= maxNodes) break;
          if (typeof x === 'object' && x !== null) next.push(x);
        }
        continue;
      }
      if (!isObj(v)) continue;
      // first the keys of this level, so a shallower id beats a deeper one
      for (const [k, raw] of Object.entries(v)) {
        const key = k.toLowerCase();
        const val = headerValue(raw);
        if (found.runId === null && RUN_ID_KEYS.has(key) && (typeof val === 'string' || typeof val === 'number') && String(val) !== '') {
          found.runId = String(val);
        } else if (found.traceId === null && key === 'traceparent') {
          const tp = parseTraceparent(val);
          if (tp) {
            found.traceId = tp.traceId;
            found.spanId ??= tp.spanId;
          }
        } else if (found.traceId === null && TRACE_ID_KEYS.has(key)) {
          found.traceId = normalizeHexId(typeof val === 'string' ? val.replace(/-/g, '') : val, 32);
        } else if (found.spanId === null && SPAN_ID_KEYS.has(key)) {
          found.spanId = normalizeHexId(val, 16);
        }
      }
      if (found.runId !== null && found.traceId !== null && found.spanId !== null) return found;
      for (const child of Object.values(v)) if (typeof child === 'object' && child !== null && next.length < maxNodes) next.push(child);
    }
    queue = next;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------
// Deriving the verdict
// ---------------------------------------------------------------------------------------------------

const VERDICT_WORDS: Record<string, PolicyDecision> = {
  allow: 'allow',
  allowed: 'allow',
  permit: 'allow',
  permitted: 'allow',
  approve: 'allow',
  approved: 'allow',
  true: 'allow',
  deny: 'deny',
  denied: 'deny',
  forbid: 'deny',
  forbidden: 'deny',
  reject: 'deny',
  rejected: 'deny',
  block: 'deny',
  blocked: 'deny',
  false: 'deny',
  escalate: 'escalate',
  escalated: 'escalate',
  review: 'escalate',
  requires_approval: 'escalate',
  require_approval: 'escalate',
  needs_approval: 'escalate',
  redact: 'redact',
  redacted: 'redact',
  mask: 'redact',
};

function verdictWord(s: string): PolicyDecision | null {
  return VERDICT_WORDS[s.trim().toLowerCase().replace(/[\s-]+/g, '_')] ?? null;
}

/** A message or code from a deny rule / reasons list entry. */
function reasonText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isObj(v)) {
    for (const k of ['code', 'reason_code', 'reason', 'msg', 'message', 'id']) if (typeof v[k] === 'string') return v[k] as string;
    return canonicalJson(v);
  }
  return null;
}

function reasonList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const items = Array.isArray(v) ? v : isObj(v) ? Object.keys(v).length > 0 ? [v] : [] : [v];
  return items.map(reasonText).filter((s): s is string => s !== null && s !== '');
}

/** true for `true` or a non-empty list/set/object; false for false/empty; null when absent or unclear. */
function flag(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.length > 0;
  if (isObj(v)) return Object.keys(v).length > 0;
  if (typeof v === 'string') return v.trim().toLowerCase() === 'true' ? true : v.trim().toLowerCase() === 'false' ? false : v !== '';
  return null;
}

/**
 * Derives a normalized verdict and reason codes from an OPA result:
 *  - booleans and the strings "true"/"false" → allow / deny;
 *  - a string naming a verdict ("deny", "escalate", ...) → that verdict;
 *  - an object: an explicit `decision` string wins; else a non-empty `deny` (or `violation(s)`) set → deny,
 *    its messages becoming reason codes; else `escalate` / `requires_approval` → escalate; else
 *    `allow` / `allowed` false → deny; else `redact` / `redactions` → redact; else `allow` / `allowed`
 *    true → allow; else a present but empty `deny` set → allow;
 *  - `reason_codes`, `reasons` and `reason` add reason codes;
 *  - anything else (undefined result, arrays of query bindings, numbers) → unknown.
 */
export function deriveDecision(result: unknown): { decision: PolicyDecision; reasonCodes: string[] } {
  if (typeof result === 'boolean') return { decision: result ? 'allow' : 'deny', reasonCodes: [] };
  if (typeof result === 'string') return { decision: verdictWord(result) ?? 'unknown', reasonCodes: [] };
  if (!isObj(result)) return { decision: 'unknown', reasonCodes: [] };

  const denyValue = result.deny ?? result.violations ?? result.violation;
  const denyMessages = typeof denyValue === 'boolean' ? [] : reasonList(denyValue);
  const reasons = [
    ...denyMessages,
    ...reasonList(result.reason_codes),
    ...reasonList(result.reasons),
    ...reasonList(result.reason),
  ];
  const reasonCodes = [...new Set(reasons)];

  let decision: PolicyDecision = 'unknown';
  const explicit = typeof result.decision === 'string' ? verdictWord(result.decision) : null;
  const allow = typeof result.allow === 'boolean' ? result.allow : typeof result.allowed === 'boolean' ? result.allowed : null;
  const escalate = flag(result.escalate) === true || flag(result.requires_approval) === true || flag(result.require_approval) === true;
  const redact = flag(result.redact) === true || flag(result.redactions) === true;
  if (explicit) decision = explicit;
  else if (denyValue === true || denyMessages.length > 0) decision = 'deny';
  else if (escalate) decision = 'escalate';
  else if (allow === false) decision = 'deny';
  else if (redact) decision = 'redact';
  else if (allow === true) decision = 'allow';
  else if (Array.isArray(denyValue) || denyValue === false) decision = 'allow';
  return { decision, reasonCodes };
}

// ---------------------------------------------------------------------------------------------------
// Mapping
// ---------------------------------------------------------------------------------------------------

function decisionIdOf(o: Obj): unknown {
  return 'decision_id' in o ? o.decision_id : o['decision-id'];
}

/** A JSON object that is (or claims to be) a decision log event. */
export function isDecisionLogEvent(v: unknown): v is Obj {
  if (!isObj(v)) return false;
  if (v.msg === DECISION_LOG_MSG || v.type === DECISION_LOG_TYPE) return true;
  if ('decision_id' in v || 'decision-id' in v) return true;
  // a decision event whose id was lost: path or query, input or result, and OPA's bookkeeping fields
  return ('path' in v || 'query' in v) && ('result' in v || 'input' in v) && ('timestamp' in v || 'requested_by' in v || 'labels' in v);
}

function policyVersionOf(result: unknown, bundles: unknown, path: string | null): string | null {
  if (isObj(result) && typeof result.policy_version === 'string') return result.policy_version;
  if (!isObj(bundles)) return null;
  const revs = Object.entries(bundles)
    .filter(([, b]) => isObj(b) && typeof b.revision === 'string')
    .map(([name, b]) => [name, (b as Obj).revision as string] as const);
  if (revs.length === 0) return null;
  if (revs.length === 1) return revs[0]![1];
  const segments = new Set((path ?? '').split('/'));
  const match = revs.find(([name]) => segments.has(name));
  if (match) return match[1];
  return revs
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, rev]) => `${name}:${rev}`)
    .join(',');
}

function stringArray(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

function toText(v: unknown): string {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : canonicalJson(v);
}

/** Maps one decision event that has a usable decision_id; also returns the span id of its trace context, if any. */
export function decisionFromEvent(o: Obj, decisionId: string): { data: OpaDecisionData; spanId: string | null } {
  const path = typeof o.path === 'string' ? o.path : null;
  const hasResult = 'result' in o && o.result !== undefined;
  const { decision, reasonCodes } = deriveDecision(hasResult ? o.result : undefined);
  const inInput = findRunAndTraceIds(o.input);
  // EOPA with tracing enabled logs the server span's context at the top level of the event
  const topTrace = normalizeHexId(o.trace_id, 32);
  const topSpan = topTrace ? normalizeHexId(o.span_id, 16) : null;
  const result = o.result;
  const policyId = isObj(result) && typeof result.policy_id === 'string' ? result.policy_id : path;
  const data: OpaDecisionData = {
    origin: 'opa',
    decisionId,
    path,
    input: o.input,
    timestamp: typeof o.timestamp === 'string' ? o.timestamp : null,
    decision,
    reasonCodes,
    policyId,
    policyVersion: policyVersionOf(result, o.bundles, path),
    runId: inInput.runId,
    traceId: topTrace ?? inInput.traceId,
  };
  if (hasResult) data.result = result;
  if (isObj(o.labels)) data.labels = o.labels;
  if (isObj(o.bundles)) data.bundles = o.bundles;
  if (typeof o.requested_by === 'string') data.requestedBy = o.requested_by;
  if (typeof o.req_id === 'number' || typeof o.req_id === 'string') data.reqId = o.req_id;
  if (isObj(o.metrics)) data.metrics = o.metrics;
  const erased = stringArray(o.erased);
  if (erased) data.erased = erased;
  const masked = stringArray(o.masked);
  if (masked) data.masked = masked;
  if ('nd_builtin_cache' in o) data.ndBuiltinCache = o.nd_builtin_cache;
  if (typeof o.query === 'string') data.query = o.query;
  return { data, spanId: topTrace ? topSpan : inInput.spanId };
}

function searchText(d: OpaDecisionData): string {
  const parts = [d.path ?? d.query ?? '', `decision: ${d.decision}`];
  if (d.reasonCodes.length) parts.push(`reasons: ${d.reasonCodes.join(', ')}`);
  if (d.policyVersion) parts.push(`policy version: ${d.policyVersion}`);
  if (d.result !== undefined) parts.push(`result: ${toText(d.result)}`);
  if (d.input !== undefined) parts.push(`input: ${toText(d.input)}`);
  if (d.labels) parts.push(`labels: ${toText(d.labels)}`);
  return truncate(parts.filter(Boolean).join('\n'), TEXT_LIMIT);
}

function skipReason(raw: string | undefined, value: unknown): string {
  const shown = raw ?? JSON.stringify(value) ?? String(value);
  return `not a decision log line: ${truncate(shown.trim(), 120)}`;
}

function mapUnit(unit: Unit): Emit[] {
  const { value, locator, rawLine } = unit;
  const inDocument = unit.path !== undefined; // an element of an uploaded array, or a whole-document event

  if (value === undefined) {
    // A line that is not JSON: console noise, unless it is a broken decision event.
    if (rawLine !== undefined && /"decision[_-]id"\s*:|"msg"\s*:\s*"Decision Log"/.test(rawLine)) {
      let reason = 'invalid JSON in a decision log line';
      try {
        JSON.parse(rawLine);
      } catch (err) {
        reason = `invalid JSON in a decision log line: ${(err as Error).message}`;
      }
      return [{ type: 'quarantine', reason, locator, raw: rawLine }];
    }
    return [{ type: 'skip', reason: skipReason(rawLine, value), locator }];
  }
  if (!isDecisionLogEvent(value)) {
    if (inDocument) {
      // every element of an uploaded array (or a whole document) is supposed to be a decision event
      return [{ type: 'quarantine', reason: 'not a decision log event (no decision_id, path or result)', locator, raw: truncate(JSON.stringify(value) ?? String(value), TEXT_LIMIT) }];
    }
    return [{ type: 'skip', reason: skipReason(rawLine, value), locator }];
  }
  const id = decisionIdOf(value);
  if (typeof id !== 'string' || id.trim() === '') {
    const reason = id === undefined ? 'decision log without decision_id' : `decision log with an unusable decision_id (got ${JSON.stringify(id)})`;
    return [{ type: 'quarantine', reason, locator, raw: truncate(rawLine ?? JSON.stringify(value), 64 * 1024) }];
  }
  const { data, spanId } = decisionFromEvent(value, id);
  const record: NormalizedRecord = new LazyTextRecord(
    {
      kind: 'decision',
      key: `decision:${id}`,
      runId: data.runId,
      traceId: data.traceId,
      spanId,
      parentSpanId: null,
      tsUs: isoToUs(data.timestamp),
      endUs: null,
      name: data.path ?? data.query ?? null,
      data,
    },
    searchText,
    data,
  );
  return [{ type: 'record', record, locator }];
}

// ---------------------------------------------------------------------------------------------------
// Sniffing
// ---------------------------------------------------------------------------------------------------

/** Strong signature of a decision event: an id plus OPA's own fields, or the console logger's markers. */
function looksLikeDecision(v: unknown): boolean {
  if (!isObj(v)) return false;
  if (v.msg === DECISION_LOG_MSG || v.type === DECISION_LOG_TYPE) return true;
  if (!('decision_id' in v || 'decision-id' in v)) return false;
  return ('path' in v || 'query' in v) && ('input' in v || 'result' in v || 'timestamp' in v || 'labels' in v);
}

/** An OPA server log line (console output), e.g. {"level":"info","msg":"Initializing server.","time":...}. */
function looksLikeOpaLogLine(v: unknown): boolean {
  return isObj(v) && typeof v.msg === 'string' && typeof v.level === 'string';
}

function sniff(s: Sniff): SniffResult | null {
  const first = s.head.trimStart()[0];
  if (isObj(s.doc)) {
    // one event as a whole (possibly pretty-printed) document
    return looksLikeDecision(s.doc) ? { confidence: 0.9, framing: { kind: 'document', units: [[]] } } : null;
  }
  if (first === '[') {
    const el = s.firstElement ?? (Array.isArray(s.doc) ? s.doc[0] : undefined);
    if (el !== undefined) return looksLikeDecision(el) ? { confidence: 0.9, framing: { kind: 'document', units: [['*']] } } : null;
    // a large pretty-printed upload body: look at the text of its first element
    if (s.doc === undefined && /^\s*\[\s*\{/.test(s.head) && /"decision_id"\s*:/.test(s.head) && /"(?:path|query)"\s*:/.test(s.head) && /"(?:requested_by|labels|bundles|timestamp)"\s*:/.test(s.head)) {
      return { confidence: 0.8, framing: { kind: 'document', units: [['*']] } };
    }
    return null;
  }
  const parsed = s.lines.filter((l) => l !== undefined);
  if (parsed.some(looksLikeDecision)) return { confidence: 0.9, framing: { kind: 'lines' } };
  // Console output whose first lines are server logs: decision lines further down the head.
  const consoleMarker = /"msg"\s*:\s*"Decision Log"|"type"\s*:\s*"openpolicyagent\.org\/decision_logs"/.test(s.head);
  if (consoleMarker && (parsed.length === 0 || parsed.some(looksLikeOpaLogLine))) return { confidence: 0.85, framing: { kind: 'lines' } };
  return null;
}

export const opaHandler: FormatHandler = {
  format: 'opa-decisions',
  sniff,
  map: mapUnit,
};

/**
 * Langfuse trace export: one JSON document `{ "trace": {...}, "observations": [...] }` (the UI's trace
 * download merged with its observations). The whole document is one unit.
 *
 * Each observation becomes a span (origin 'langfuse'):
 *  - ids: Langfuse ids are free-form strings. An id that already is a W3C id (32 hex for a trace, 16 hex
 *    for an observation, as Langfuse's OpenTelemetry ingestion produces) is used as is, lower-cased, so
 *    the spans join the same run's OTLP/Jaeger spans. Any other id (UUIDs and custom ids from the
 *    native SDKs) is replaced by the first 32 / 16 hex chars of sha256(<id as UTF-8>). The original ids
 *    are always kept in attributes `langfuse.trace.id` and `langfuse.observation.id`;
 *  - parentObservationId → parentSpanId (same derivation); type (SPAN, GENERATION, AGENT, TOOL, CHAIN,
 *    EVENT, ...) → kind; startTime/endTime → times; level ERROR → status error;
 *  - the OpenTelemetry attributes Langfuse keeps in metadata.attributes become span attributes,
 *    metadata.resourceAttributes the resource, metadata.scope the scope;
 *  - genai: what genai.ts reads from those attributes, overlaid with Langfuse's model, usageDetails
 *    (or legacy usage) tokens, input and output (JSON encoded inside strings, sometimes twice: decoded);
 *  - runId = the Langfuse trace id (or a `casefile.run_id` / `run.id` / `run_id` OTel attribute, as for
 *    OTLP spans, so the same span joins the same run from either source); sessionId = trace.sessionId,
 *    else the `session.id` attribute.
 *
 * The trace itself: when exactly one observation has no parent (what Langfuse's OpenTelemetry ingestion
 * produces: the trace mirrors its root span), that root span also carries the trace's name, tags, user,
 * scores and metadata (attributes `langfuse.trace.*`), and the trace's input/output when the root has
 * none. Otherwise (no root, or several top-level observations, as the native SDKs produce) the trace
 * becomes its own root span of kind 'TRACE' (span id: first 16 hex of sha256("langfuse-trace:" + trace
 * id)), timed from trace.timestamp and trace.latency, parent of the top-level observations.
 */
import type { AttrValue, Attributes, Emit, GenAiInfo, NormalizedRecord, SpanData } from '../../../../shared/model';
import { LazyTextRecord, isoToUs } from '../../../../shared/model';
import { MAX_GENAI_TEXT, clip, genaiFromAttributes, runIdFromAttributes, sessionIdFromAttributes, spanSearchText } from './genai';
import type { FormatHandler, Sniff, SniffResult, Unit } from './types';
import { subLocator } from './types';
import { sha256Hex } from '../../store/hash';

type Obj = Record<string, unknown>;

const TEXT_LIMIT = 8 * 1024;

// ---------------------------------------------------------------------------------------------------
// Helpers shared with the LangSmith handler
// ---------------------------------------------------------------------------------------------------

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export { sha256Hex };

/**
 * A W3C-shaped hex id for a foreign id: the id itself when it is already `width` hex digits (lower-cased,
 * and not all zeros), otherwise the first `width` hex digits of sha256(id).
 */
export function derivedHexId(id: string, width: 32 | 16): string {
  if (id.length === width && /^[0-9a-f]+$/i.test(id) && !/^0+$/.test(id)) return id.toLowerCase();
  return sha256Hex(id).slice(0, width);
}

export function truncateText(s: string, limit = TEXT_LIMIT): string {
  if (s.length <= limit) return s;
  let cut = limit;
  const code = s.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${s.slice(0, cut)}…`;
}

/** Decodes values that are JSON encoded inside strings (possibly several times over). */
export function decodeJsonString(v: unknown, maxDepth = 4): unknown {
  let cur = v;
  for (let i = 0; i < maxDepth && typeof cur === 'string'; i++) {
    const t = cur.trim();
    if (!(t.startsWith('{') || t.startsWith('[') || t.startsWith('"'))) break;
    try {
      cur = JSON.parse(t);
    } catch {
      break;
    }
  }
  return cur;
}

/** A JSON value as a span attribute value (drops undefined and functions; non-finite numbers become strings). */
export function toAttrValue(v: unknown, depth = 0): AttrValue | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (depth > 64) return JSON.stringify(v) ?? null;
  if (Array.isArray(v)) return v.map((x) => toAttrValue(x, depth + 1) ?? null);
  if (isObj(v)) {
    const out: { [k: string]: AttrValue } = {};
    for (const [k, x] of Object.entries(v)) {
      const a = toAttrValue(x, depth + 1);
      if (a !== undefined) out[k] = a;
    }
    return out;
  }
  return undefined;
}

/** Sets an attribute when the value is present (not undefined/null/empty string). */
export function setAttr(attrs: Attributes, key: string, v: unknown): void {
  if (v === undefined || v === null || v === '') return;
  const a = toAttrValue(v);
  if (a !== undefined) attrs[key] = a;
}

/** A finite number from a number or a numeric string. */
export function numberish(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*-?\d+(?:\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function messageContent(c: unknown): string | undefined {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) {
    // content parts: [{type:'text', text:'...'}, ...]
    const texts = c.map((p) => (isObj(p) && typeof p.text === 'string' ? p.text : typeof p === 'string' ? p : undefined)).filter((t): t is string => t !== undefined);
    if (texts.length) return texts.join('\n');
  }
  return undefined;
}

/** Chat messages as "role: content" lines; undefined unless every entry is a message with a role. */
function renderMessages(list: unknown[]): string | undefined {
  const lines: string[] = [];
  for (const m of list) {
    if (!isObj(m)) return undefined;
    // LangChain serialized messages: {lc: 1, type: 'constructor', id: [..., 'HumanMessage'], kwargs: {type: 'human', content}}
    const kw = isObj(m.kwargs) ? m.kwargs : undefined;
    const lcClass = m.type === 'constructor' && Array.isArray(m.id) ? str(m.id[m.id.length - 1]) : undefined;
    const role = str(m.role) ?? (kw ? (str(kw.role) ?? str(kw.type)) : undefined) ?? (m.type !== 'constructor' ? str(m.type) : lcClass);
    if (role === undefined) return undefined;
    const raw = m.content ?? kw?.content;
    let content = messageContent(raw) ?? (raw === undefined || raw === null || raw === '' ? '' : JSON.stringify(raw));
    const calls = m.tool_calls ?? m.function_call ?? (isObj(m.additional_kwargs) ? m.additional_kwargs.tool_calls : undefined);
    if (calls !== undefined && calls !== null && !(Array.isArray(calls) && calls.length === 0)) content = `${content}${content ? ' ' : ''}${JSON.stringify(calls)}`;
    lines.push(`${role}: ${content}`);
  }
  return lines.length ? lines.join('\n') : undefined;
}

/**
 * Readable text for a prompt or completion: plain strings as they are, chat message lists as
 * "role: content" lines, OpenAI-style completions as their message, anything else as JSON.
 */
export function renderLlmText(v: unknown): string | undefined {
  const d = decodeJsonString(v);
  if (d === undefined || d === null || d === '') return undefined;
  if (typeof d === 'string') return d;
  if (Array.isArray(d)) return renderMessages(d) ?? JSON.stringify(d);
  if (isObj(d)) {
    if (typeof d.role === 'string' && 'content' in d) {
      const r = renderMessages([d]);
      if (r) return r;
    }
    if (Array.isArray(d.messages)) {
      const flat = d.messages.length > 0 && d.messages.every(Array.isArray) ? d.messages.flat() : d.messages;
      const r = renderMessages(flat);
      if (r) return r;
    }
    if (Array.isArray(d.choices) && d.choices.length > 0) {
      const parts = d.choices
        .map((c) => (isObj(c) ? (isObj(c.message) ? renderMessages([c.message]) : str(c.text)) : undefined))
        .filter((t): t is string => t !== undefined);
      if (parts.length) return parts.join('\n');
    }
    if (Object.keys(d).length === 0) return undefined;
  }
  return JSON.stringify(d);
}

/** Drops undefined fields; returns undefined when nothing is left. */
export function compactGenai(g: GenAiInfo): GenAiInfo | undefined {
  const out: GenAiInfo = {};
  for (const [k, v] of Object.entries(g) as Array<[keyof GenAiInfo, GenAiInfo[keyof GenAiInfo]]>) {
    if (v !== undefined && v !== '') (out as Record<string, unknown>)[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

/** The span record; key `span:<traceId>:<spanId>` and search text as for OTLP spans (genai.ts spanSearchText). */
export function spanRecord(span: SpanData): NormalizedRecord {
  return new LazyTextRecord(
    {
      kind: 'span',
      key: `span:${span.traceId}:${span.spanId}`,
      runId: span.runId ?? null,
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      tsUs: span.startUs,
      endUs: span.endUs,
      name: span.name,
      data: span,
    },
    spanSearchText,
    span,
  );
}

// ---------------------------------------------------------------------------------------------------
// Langfuse mapping
// ---------------------------------------------------------------------------------------------------

interface TraceContext {
  rawId: string;
  traceId: string;
  sessionId: string | null;
}

function metadataParts(meta: unknown): { attributes: Attributes; resource?: Attributes; scope?: SpanData['scope']; rest?: Obj } {
  const m = decodeJsonString(meta);
  const out: { attributes: Attributes; resource?: Attributes; scope?: SpanData['scope']; rest?: Obj } = { attributes: {} };
  if (!isObj(m)) {
    if (m !== undefined && m !== null) out.rest = { value: m };
    return out;
  }
  const rest: Obj = {};
  for (const [k, v] of Object.entries(m)) {
    if (k === 'attributes' && isObj(v)) {
      for (const [ak, av] of Object.entries(v)) setAttr(out.attributes, ak, av);
    } else if (k === 'resourceAttributes' && isObj(v)) {
      const res: Attributes = {};
      for (const [rk, rv] of Object.entries(v)) setAttr(res, rk, rv);
      out.resource = res;
    } else if (k === 'scope' && isObj(v)) {
      out.scope = { ...(str(v.name) ? { name: v.name as string } : {}), ...(str(v.version) ? { version: v.version as string } : {}) };
    } else {
      rest[k] = v;
    }
  }
  if (Object.keys(rest).length) out.rest = rest;
  return out;
}

function usageTokens(o: Obj): { inputTokens?: number; outputTokens?: number } {
  const details = isObj(o.usageDetails) ? o.usageDetails : {};
  const usage = isObj(o.usage) ? o.usage : {};
  return {
    inputTokens: numberish(details.input) ?? numberish(usage.input) ?? numberish(usage.promptTokens),
    outputTokens: numberish(details.output) ?? numberish(usage.output) ?? numberish(usage.completionTokens),
  };
}

/** Clipped like genai.ts clips attribute-derived prompts and completions. */
export function llmText(v: unknown): string | undefined {
  const t = renderLlmText(v);
  return t === undefined ? undefined : clip(t, MAX_GENAI_TEXT);
}

/**
 * GenAI facts: what the OpenTelemetry attributes say (genai.ts), overlaid with Langfuse's own fields,
 * which win: model, usageDetails (or legacy usage) tokens, input and output.
 */
function observationGenai(o: Obj, attrs: Attributes): GenAiInfo | undefined {
  const type = str(o.type)?.toUpperCase();
  const base = genaiFromAttributes(attrs) ?? {};
  const model = str(o.model);
  const { inputTokens, outputTokens } = usageTokens(o);
  return compactGenai({
    ...base,
    operation: base.operation ?? (type === 'GENERATION' ? 'chat' : type === 'TOOL' ? 'execute_tool' : undefined),
    requestModel: base.requestModel ?? model,
    responseModel: base.responseModel ?? model,
    inputTokens: inputTokens ?? base.inputTokens,
    outputTokens: outputTokens ?? base.outputTokens,
    prompt: llmText(o.input) ?? base.prompt,
    completion: llmText(o.output) ?? base.completion,
    toolName: base.toolName ?? (type === 'TOOL' ? str(o.name) : undefined),
  });
}

function scoreAttr(s: Obj): Obj {
  const out: Obj = {};
  for (const k of ['name', 'value', 'stringValue', 'dataType', 'source', 'comment']) if (s[k] !== undefined && s[k] !== null) out[k] = s[k];
  return out;
}

function traceAttributes(trace: Obj, scores: Obj[]): Attributes {
  const a: Attributes = {};
  setAttr(a, 'langfuse.trace.name', str(trace.name));
  if (Array.isArray(trace.tags) && trace.tags.length) setAttr(a, 'langfuse.trace.tags', trace.tags);
  setAttr(a, 'langfuse.trace.user_id', str(trace.userId));
  setAttr(a, 'langfuse.trace.release', str(trace.release));
  setAttr(a, 'langfuse.trace.version', str(trace.version));
  setAttr(a, 'langfuse.trace.environment', str(trace.environment));
  setAttr(a, 'langfuse.trace.timestamp', str(trace.timestamp));
  setAttr(a, 'langfuse.trace.latency_s', numberish(trace.latency));
  const meta = decodeJsonString(trace.metadata);
  if (meta !== undefined && meta !== null && !(isObj(meta) && Object.keys(meta).length === 0)) setAttr(a, 'langfuse.trace.metadata', meta);
  if (scores.length) setAttr(a, 'langfuse.scores', scores.map(scoreAttr));
  return a;
}

function observationSpan(o: Obj, ctx: TraceContext, parentOverride: string | null, scores: Obj[]): SpanData {
  const meta = metadataParts(o.metadata);
  const attributes: Attributes = { ...meta.attributes };
  const id = o.id as string;
  const parentRaw = str(o.parentObservationId);
  const level = str(o.level);
  attributes['langfuse.trace.id'] = ctx.rawId;
  attributes['langfuse.observation.id'] = id;
  setAttr(attributes, 'langfuse.observation.type', str(o.type));
  setAttr(attributes, 'langfuse.parent_observation.id', parentRaw);
  if (typeof o.traceId === 'string' && o.traceId !== ctx.rawId) attributes['langfuse.observation.trace_id'] = o.traceId;
  setAttr(attributes, 'langfuse.level', level);
  setAttr(attributes, 'langfuse.status_message', str(o.statusMessage));
  setAttr(attributes, 'langfuse.environment', str(o.environment));
  setAttr(attributes, 'langfuse.project.id', str(o.projectId));
  setAttr(attributes, 'langfuse.version', str(o.version));
  setAttr(attributes, 'langfuse.completion_start_time', str(o.completionStartTime));
  if (isObj(o.modelParameters) && Object.keys(o.modelParameters).length) setAttr(attributes, 'langfuse.model_parameters', o.modelParameters);
  if (isObj(o.usageDetails) && Object.keys(o.usageDetails).length) setAttr(attributes, 'langfuse.usage_details', o.usageDetails);
  if (isObj(o.costDetails) && Object.keys(o.costDetails).length) setAttr(attributes, 'langfuse.cost_details', o.costDetails);
  if (typeof o.totalCost === 'number' && o.totalCost > 0) attributes['langfuse.total_cost'] = o.totalCost;
  setAttr(attributes, 'langfuse.prompt.name', str(o.promptName));
  setAttr(attributes, 'langfuse.prompt.version', o.promptVersion);
  if (meta.rest) setAttr(attributes, 'langfuse.metadata', meta.rest);
  if (scores.length) setAttr(attributes, 'langfuse.scores', scores.map(scoreAttr));

  const span: SpanData = {
    origin: 'langfuse',
    traceId: ctx.traceId,
    spanId: derivedHexId(id, 16),
    parentSpanId: parentRaw ? derivedHexId(parentRaw, 16) : parentOverride,
    name: str(o.name) ?? str(o.type) ?? 'observation',
    kind: str(o.type) ?? 'SPAN',
    service: meta.resource && typeof meta.resource['service.name'] === 'string' ? meta.resource['service.name'] : null,
    startUs: isoToUs(o.startTime),
    endUs: isoToUs(o.endTime),
    status: level === 'ERROR' ? { code: 'error', ...(str(o.statusMessage) ? { message: o.statusMessage as string } : {}) } : { code: 'unset' },
    attributes,
    runId: runIdFromAttributes(meta.attributes) ?? ctx.rawId,
    sessionId: ctx.sessionId ?? sessionIdFromAttributes(meta.attributes),
  };
  if (meta.resource) span.resource = meta.resource;
  if (meta.scope && (meta.scope.name || meta.scope.version)) span.scope = meta.scope;
  const genai = observationGenai(o, meta.attributes);
  if (genai) span.genai = genai;
  return span;
}

function mapExport(unit: Unit): Emit[] {
  const doc = unit.value;
  const at = (rel: Array<string | number>) => subLocator(unit.locator, unit.path, rel);
  if (!isObj(doc) || !isObj(doc.trace) || !Array.isArray(doc.observations)) {
    return [{ type: 'quarantine', reason: 'not a Langfuse trace export: expected {"trace": {...}, "observations": [...]}', locator: unit.locator }];
  }
  const trace = doc.trace;
  const observations = doc.observations;
  const firstObsTrace = observations.map((o) => (isObj(o) ? str(o.traceId) : undefined)).find((t) => t !== undefined);
  const rawId = str(trace.id) ?? firstObsTrace;
  if (rawId === undefined) {
    return [{ type: 'quarantine', reason: 'Langfuse trace export without a trace id (trace.id)', locator: at(['trace']) }];
  }
  const ctx: TraceContext = { rawId, traceId: derivedHexId(rawId, 32), sessionId: str(trace.sessionId) ?? null };

  const scores = Array.isArray(trace.scores) ? trace.scores.filter(isObj) : [];
  const scoresFor = (obsId: string | null) => scores.filter((s) => (str(s.observationId) ?? null) === obsId);

  const emits: Emit[] = [];
  const valid: Array<{ o: Obj; i: number }> = [];
  observations.forEach((o, i) => {
    if (!isObj(o)) {
      emits.push({ type: 'quarantine', reason: `Langfuse observation is not an object (got ${o === null ? 'null' : Array.isArray(o) ? 'an array' : typeof o})`, locator: at(['observations', i]), raw: truncateText(JSON.stringify(o) ?? String(o)) });
    } else if (typeof o.id !== 'string' || o.id === '') {
      emits.push({ type: 'quarantine', reason: 'Langfuse observation without an id', locator: at(['observations', i]), raw: truncateText(JSON.stringify(o)) });
    } else {
      valid.push({ o, i });
    }
  });

  const roots = valid.filter(({ o }) => !str(o.parentObservationId));
  const traceIsRoot = roots.length === 1;
  let traceSpanId: string | null = null;

  if (!traceIsRoot) {
    traceSpanId = sha256Hex(`langfuse-trace:${rawId}`).slice(0, 16);
    const startUs = isoToUs(trace.timestamp);
    const latency = numberish(trace.latency);
    const ends = valid.map(({ o }) => isoToUs(o.endTime)).filter((x): x is number => x !== null);
    const endUs = startUs !== null && latency !== undefined ? startUs + Math.round(latency * 1e6) : ends.length ? Math.max(...ends) : null;
    const attributes: Attributes = { 'langfuse.trace.id': rawId, ...traceAttributes(trace, scoresFor(null)) };
    setAttr(attributes, 'langfuse.project.id', str(trace.projectId));
    const span: SpanData = {
      origin: 'langfuse',
      traceId: ctx.traceId,
      spanId: traceSpanId,
      parentSpanId: null,
      name: str(trace.name) ?? 'trace',
      kind: 'TRACE',
      service: null,
      startUs,
      endUs,
      status: { code: 'unset' },
      attributes,
      runId: rawId,
      sessionId: ctx.sessionId,
    };
    const genai = compactGenai({ prompt: llmText(trace.input), completion: llmText(trace.output) });
    if (genai) span.genai = genai;
    emits.push({ type: 'record', record: spanRecord(span), locator: at(['trace']) });
  }

  for (const { o, i } of valid) {
    const span = observationSpan(o, ctx, traceSpanId, scoresFor(o.id as string));
    if (traceIsRoot && o === roots[0]!.o) {
      Object.assign(span.attributes, traceAttributes(trace, scoresFor(null)));
      // the trace's own input/output, when its root span lacks them
      const prompt = span.genai?.prompt ?? llmText(trace.input);
      const completion = span.genai?.completion ?? llmText(trace.output);
      const genai = compactGenai({ ...span.genai, prompt, completion });
      if (genai) span.genai = genai;
    }
    emits.push({ type: 'record', record: spanRecord(span), locator: at(['observations', i]) });
  }
  return emits;
}

// ---------------------------------------------------------------------------------------------------
// Sniffing
// ---------------------------------------------------------------------------------------------------

function sniff(s: Sniff): SniffResult | null {
  if (isObj(s.doc)) {
    const d = s.doc;
    return isObj(d.trace) && Array.isArray(d.observations) ? { confidence: 0.95, framing: { kind: 'document', units: [[]] } } : null;
  }
  if (s.topKeys.includes('trace') && s.topKeys.includes('observations')) return { confidence: 0.9, framing: { kind: 'document', units: [[]] } };
  // A large export: {"trace": {"id": ..., "projectId": ...}, ..."observations": [ — as far as the head shows.
  const h = s.head;
  if (/^\s*\{\s*"trace"\s*:\s*\{/.test(h) && /"projectId"\s*:/.test(h) && (/"observations"\s*:\s*\[/.test(h) || /"timestamp"\s*:/.test(h))) {
    return { confidence: 0.85, framing: { kind: 'document', units: [[]] } };
  }
  if (/^\s*\{\s*"observations"\s*:\s*\[/.test(h) && /"parentObservationId"\s*:/.test(h)) {
    return { confidence: 0.85, framing: { kind: 'document', units: [[]] } };
  }
  return null;
}

export const langfuseHandler: FormatHandler = {
  format: 'langfuse',
  sniff,
  map: mapExport,
};

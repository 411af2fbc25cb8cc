/**
 * LangSmith run ingest payload: `{ "post": [run, ...], "patch": [run update, ...] }` as the LangSmith
 * SDKs send to /runs/batch. The whole document is one unit (patches must meet their posts).
 *
 * Runs are merged by run id (a patch's fields override its post's, except nulls; `extra.metadata` is
 * merged key by key). A run's id is `id`, or — for patches that omit it, as the JS SDK does — the last
 * segment of `dotted_order` (`<UTC timestamp>Z<run uuid>` segments joined by '.', root first).
 * Each run becomes a span (origin 'langsmith'):
 *  - traceId: the trace_id UUID without dashes (32 hex) — any other form: first 32 hex of sha256(id);
 *  - spanId: the first 16 hex of sha256(<run id as 32 hex, i.e. UUID without dashes>). (Not the UUID's
 *    own first 16 hex: with UUIDv7 those are mostly a timestamp, and runs started in the same millisecond
 *    would collide.) parent_run_id (or the dotted_order's previous segment) → parentSpanId, same rule;
 *  - run_type → kind; start_time/end_time as ISO strings (Python SDK) or epoch milliseconds (JS SDK);
 *  - error → status error; events (e.g. streamed tokens) → span events;
 *  - inputs/outputs → genai prompt/completion; extra.metadata ls_provider / ls_model_name, the response's
 *    model and usage_metadata → genai model and tokens;
 *  - runId = metadata `casefile.run_id` if set, else the trace id (the root run's UUID); sessionId from metadata session_id / thread_id /
 *    conversation_id. Original ids are kept in attributes `langsmith.run.id`, `langsmith.trace.id`, ...
 * A patch with no matching post still becomes a span, flagged `langsmith.patch_only: true`.
 */
import type { Attributes, Emit, GenAiInfo, Locator, SpanData } from '../../../../shared/model';
import { getPath, isoToUs } from '../../../../shared/model';
import { MAX_GENAI_TEXT, clip } from './genai';
import type { FormatHandler, Sniff, SniffResult, Unit } from './types';
import { subLocator } from './types';
import {
  compactGenai,
  decodeJsonString,
  isObj,
  numberish,
  llmText,
  renderLlmText,
  setAttr,
  sha256Hex,
  spanRecord,
  str,
  toAttrValue,
  truncateText,
} from './langfuse';

type Obj = Record<string, unknown>;

/** The run ids in a dotted_order, root first. */
export function dottedOrderIds(dotted: unknown): string[] {
  if (typeof dotted !== 'string' || dotted === '') return [];
  const ids: string[] = [];
  for (const seg of dotted.split('.')) {
    const m = /^\d{8}T\d{6,}Z(.+)$/.exec(seg);
    if (!m) return [];
    ids.push(m[1]!);
  }
  return ids;
}

/** A UUID (or other id) as 32 lowercase hex: the UUID without dashes, else the first 32 hex of its sha256. */
export function langsmithTraceHex(id: string): string {
  const h = id.replace(/-/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(h) && !/^0+$/.test(h) ? h : sha256Hex(id).slice(0, 32);
}

/** Span id of a run: the first 16 hex of sha256 of the run id's 32-hex form. */
export function langsmithSpanHex(runId: string): string {
  return sha256Hex(langsmithTraceHex(runId)).slice(0, 16);
}

/** start_time / end_time: ISO 8601 strings, or epoch numbers (ms from the JS SDK; s, µs and ns told apart by magnitude). */
export function langsmithTimeUs(v: unknown): number | null {
  if (typeof v === 'string') {
    const n = numberish(v);
    return n !== undefined ? langsmithTimeUs(n) : isoToUs(v);
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return null;
  if (v < 1e11) return Math.round(v * 1e6); // seconds
  if (v < 1e14) return Math.round(v * 1e3); // milliseconds
  if (v < 1e17) return Math.round(v); // microseconds
  return Math.floor(v / 1e3); // nanoseconds
}

interface MergedRun {
  id: string;
  run: Obj;
  hasPost: boolean;
  hasPatch: boolean;
  locator: Locator;
}

function runIdOf(r: Obj): string | undefined {
  return str(r.id) ?? dottedOrderIds(r.dotted_order).at(-1);
}

function mergeInto(target: Obj, patch: Obj): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || v === null) {
      if (!(k in target)) target[k] = v;
      continue;
    }
    if (k === 'extra' && isObj(v) && isObj(target.extra)) {
      const extra: Obj = { ...target.extra, ...v };
      if (isObj(target.extra.metadata) && isObj(v.metadata)) extra.metadata = { ...target.extra.metadata, ...v.metadata };
      target.extra = extra;
    } else {
      target[k] = v;
    }
  }
}

function firstNumber(...vs: unknown[]): number | undefined {
  for (const v of vs) {
    const n = numberish(v);
    if (n !== undefined) return n;
  }
  return undefined;
}

const get = getPath;

function completionText(outputs: unknown): string | undefined {
  // LangChain LLM results: {generations: [[{text, message}]]}
  const gens = get(outputs, 'generations');
  if (Array.isArray(gens)) {
    const texts = gens
      .flat()
      .map((g) => (isObj(g) ? (str(g.text) ?? renderLlmText(get(g, 'message', 'kwargs', 'content'))) : undefined))
      .filter((t): t is string => t !== undefined);
    if (texts.length) return clip(texts.join('\n'), MAX_GENAI_TEXT);
  }
  return llmText(outputs);
}

function promptText(inputs: unknown): string | undefined {
  const prompts = get(inputs, 'prompts');
  if (Array.isArray(prompts) && prompts.length > 0 && prompts.every((p) => typeof p === 'string')) return clip(prompts.join('\n'), MAX_GENAI_TEXT);
  return llmText(inputs);
}

function runGenai(r: Obj): GenAiInfo | undefined {
  const meta = get(r, 'extra', 'metadata');
  const inv = get(r, 'extra', 'invocation_params');
  const inputs = decodeJsonString(r.inputs);
  const outputs = decodeJsonString(r.outputs);
  const runType = str(r.run_type);
  return compactGenai({
    system: str(get(meta, 'ls_provider')),
    operation: runType === 'llm' ? (str(get(meta, 'ls_model_type')) ?? 'chat') : runType === 'tool' ? 'execute_tool' : runType === 'embedding' ? 'embeddings' : undefined,
    requestModel: str(get(meta, 'ls_model_name')) ?? str(get(inputs, 'model')) ?? str(get(inv, 'model')) ?? str(get(inv, 'model_name')),
    responseModel: str(get(outputs, 'model')) ?? str(get(outputs, 'llm_output', 'model_name')) ?? str(get(outputs, 'response_metadata', 'model_name')),
    inputTokens: firstNumber(
      get(outputs, 'usage_metadata', 'input_tokens'),
      get(outputs, 'usage', 'prompt_tokens'),
      get(outputs, 'usage', 'input_tokens'),
      get(outputs, 'llm_output', 'token_usage', 'prompt_tokens'),
      get(meta, 'usage_metadata', 'input_tokens'),
      r.prompt_tokens,
    ),
    outputTokens: firstNumber(
      get(outputs, 'usage_metadata', 'output_tokens'),
      get(outputs, 'usage', 'completion_tokens'),
      get(outputs, 'usage', 'output_tokens'),
      get(outputs, 'llm_output', 'token_usage', 'completion_tokens'),
      get(meta, 'usage_metadata', 'output_tokens'),
      r.completion_tokens,
    ),
    prompt: promptText(inputs),
    completion: completionText(outputs),
    toolName: runType === 'tool' ? str(r.name) : undefined,
  });
}

function runEvents(v: unknown): SpanData['events'] {
  const list = decodeJsonString(v);
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return list.filter(isObj).map((e) => {
    const attrs = toAttrValue(e.kwargs);
    return {
      tsUs: langsmithTimeUs(e.time),
      name: str(e.name) ?? 'event',
      ...(isObj(attrs) && !Array.isArray(attrs) && Object.keys(attrs).length ? { attributes: attrs as Attributes } : {}),
    };
  });
}

function runSpan(m: MergedRun, traceRaw: string, parentRaw: string | undefined): SpanData {
  const r = m.run;
  const meta = get(r, 'extra', 'metadata');
  const attributes: Attributes = {
    'langsmith.run.id': m.id,
    'langsmith.trace.id': traceRaw,
  };
  setAttr(attributes, 'langsmith.parent_run.id', parentRaw);
  setAttr(attributes, 'langsmith.run_type', str(r.run_type));
  setAttr(attributes, 'langsmith.dotted_order', str(r.dotted_order));
  setAttr(attributes, 'langsmith.project', str(r.session_name) ?? str(r.session_id));
  if (Array.isArray(r.tags) && r.tags.length) setAttr(attributes, 'langsmith.tags', r.tags);
  if (isObj(meta) && Object.keys(meta).length) setAttr(attributes, 'langsmith.metadata', meta);
  setAttr(attributes, 'langsmith.runtime', get(r, 'extra', 'runtime'));
  setAttr(attributes, 'langsmith.invocation_params', get(r, 'extra', 'invocation_params'));
  setAttr(attributes, 'langsmith.reference_example_id', str(r.reference_example_id));
  setAttr(attributes, 'langsmith.status', str(r.status));
  if (!m.hasPost) attributes['langsmith.patch_only'] = true;

  const error = str(r.error);
  const span: SpanData = {
    origin: 'langsmith',
    traceId: langsmithTraceHex(traceRaw),
    spanId: langsmithSpanHex(m.id),
    parentSpanId: parentRaw ? langsmithSpanHex(parentRaw) : null,
    name: str(r.name) ?? str(r.run_type) ?? 'run',
    kind: str(r.run_type) ?? 'unspecified',
    service: null,
    startUs: langsmithTimeUs(r.start_time),
    endUs: langsmithTimeUs(r.end_time),
    status: error || r.status === 'error' ? { code: 'error', ...(error ? { message: error } : {}) } : r.status === 'success' ? { code: 'ok' } : { code: 'unset' },
    attributes,
    runId: str(get(meta, 'casefile.run_id')) ?? traceRaw,
    sessionId: str(get(meta, 'session_id')) ?? str(get(meta, 'thread_id')) ?? str(get(meta, 'conversation_id')) ?? null,
  };
  const events = runEvents(r.events);
  if (events?.length) span.events = events;
  const genai = runGenai(r);
  if (genai) span.genai = genai;
  return span;
}

function mapPayload(unit: Unit): Emit[] {
  const doc = unit.value;
  const at = (rel: Array<string | number>) => subLocator(unit.locator, unit.path, rel);
  if (!isObj(doc) || !(Array.isArray(doc.post) || Array.isArray(doc.patch))) {
    return [{ type: 'quarantine', reason: 'not a LangSmith run payload: expected {"post": [...], "patch": [...]}', locator: unit.locator }];
  }
  const emits: Emit[] = [];
  const runs = new Map<string, MergedRun>();
  for (const part of ['post', 'patch'] as const) {
    const list = doc[part];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      emits.push({ type: 'quarantine', reason: `LangSmith "${part}" is not an array`, locator: at([part]) });
      continue;
    }
    list.forEach((r, i) => {
      const locator = at([part, i]);
      if (!isObj(r)) {
        emits.push({ type: 'quarantine', reason: `LangSmith ${part} entry is not an object`, locator, raw: truncateText(JSON.stringify(r) ?? String(r)) });
        return;
      }
      const id = runIdOf(r);
      if (id === undefined) {
        emits.push({ type: 'quarantine', reason: `LangSmith ${part} entry without a run id (no id and no dotted_order)`, locator, raw: truncateText(JSON.stringify(r)) });
        return;
      }
      const existing = runs.get(id);
      if (existing) {
        mergeInto(existing.run, r);
        if (part === 'post') existing.hasPost = true;
        else existing.hasPatch = true;
      } else {
        runs.set(id, { id, run: { ...r }, hasPost: part === 'post', hasPatch: part === 'patch', locator });
      }
    });
  }
  for (const m of runs.values()) {
    const r = m.run;
    const dotted = dottedOrderIds(r.dotted_order);
    const parentRaw = str(r.parent_run_id) ?? (dotted.length >= 2 ? dotted[dotted.length - 2] : undefined);
    const traceRaw = str(r.trace_id) ?? dotted[0] ?? (parentRaw === undefined ? m.id : undefined);
    if (traceRaw === undefined) {
      emits.push({ type: 'quarantine', reason: `LangSmith run ${m.id} has a parent but no trace_id or dotted_order`, locator: m.locator });
      continue;
    }
    const span = runSpan(m, traceRaw, parentRaw);
    emits.push({ type: 'record', record: spanRecord(span), locator: m.locator });
  }
  return emits;
}

// ---------------------------------------------------------------------------------------------------
// Sniffing
// ---------------------------------------------------------------------------------------------------

function looksLikeRun(v: unknown): boolean {
  return isObj(v) && ('dotted_order' in v || 'run_type' in v || ('trace_id' in v && ('start_time' in v || 'end_time' in v)));
}

function sniff(s: Sniff): SniffResult | null {
  if (isObj(s.doc)) {
    const d = s.doc;
    const keys = Object.keys(d);
    if (!keys.every((k) => k === 'post' || k === 'patch') || keys.length === 0) return null;
    const first = [...(Array.isArray(d.post) ? d.post : []), ...(Array.isArray(d.patch) ? d.patch : [])][0];
    return looksLikeRun(first) ? { confidence: 0.95, framing: { kind: 'document', units: [[]] } } : null;
  }
  const h = s.head;
  if (/^\s*\{\s*"(?:post|patch)"\s*:\s*\[/.test(h) && /"(?:dotted_order|run_type)"\s*:/.test(h)) {
    return { confidence: 0.85, framing: { kind: 'document', units: [[]] } };
  }
  return null;
}

export const langsmithHandler: FormatHandler = {
  format: 'langsmith',
  sniff,
  map: mapPayload,
};

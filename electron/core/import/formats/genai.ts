/**
 * GenAI / LLM facts read from span attributes, shared by every span-producing format handler
 * (OTLP, Jaeger, Zipkin, Langfuse, LangSmith).
 *
 * Public API (keep it small):
 * - `genaiFromAttributes(attrs)`   → `GenAiInfo | undefined`: model, provider, tokens, prompt/completion text, tool.
 * - `runIdFromAttributes(attrs)`   → the run id: `casefile.run_id`, `run.id`, `run_id` (first non-empty wins).
 * - `sessionIdFromAttributes(attrs)` → the session: `session.id`, `gen_ai.conversation.id`, `langfuse.session.id`.
 * - `spanSearchText(span)`         → the compact full-text-search string for a SpanData record.
 * - `clip(text, max)`              → truncate a string with a visible marker.
 *
 * Attribute names come from `@opentelemetry/semantic-conventions` (GenAI conventions, incubating entry point)
 * and `@arizeai/openinference-semantic-conventions` (OpenInference), so renames there show up here as type errors.
 * Older GenAI names still emitted by many instrumentations are read too: `gen_ai.system`, `gen_ai.prompt` /
 * `gen_ai.completion` (also flattened as `gen_ai.prompt.<i>.content`), `gen_ai.usage.prompt_tokens` /
 * `gen_ai.usage.completion_tokens`.
 */
import { ATTR_EXCEPTION_MESSAGE, ATTR_OTEL_STATUS_DESCRIPTION } from '@opentelemetry/semantic-conventions';
import {
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_COMPLETION,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROMPT,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_SYSTEM,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_USAGE_COMPLETION_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_PROMPT_TOKENS,
  ATTR_SESSION_ID,
} from '@opentelemetry/semantic-conventions/incubating';
import {
  INPUT_VALUE,
  LLM_INPUT_MESSAGES,
  LLM_MODEL_NAME,
  LLM_OUTPUT_MESSAGES,
  LLM_PROMPTS,
  LLM_PROVIDER,
  LLM_REQUEST_MODEL_NAME,
  LLM_RESPONSE_MODEL_NAME,
  LLM_SYSTEM,
  LLM_TOKEN_COUNT_COMPLETION,
  LLM_TOKEN_COUNT_PROMPT,
  MESSAGE_CONTENT,
  MESSAGE_CONTENTS,
  MESSAGE_CONTENT_TEXT,
  MESSAGE_ROLE,
  OUTPUT_VALUE,
  SemanticConventions,
  TOOL_NAME,
} from '@arizeai/openinference-semantic-conventions';
import type { AttrValue, Attributes, GenAiInfo, SpanData } from '../../../../shared/model';

/** Longest prompt / completion text kept in `GenAiInfo` and in the search text. */
export const MAX_GENAI_TEXT = 4096;

/** Run-id attributes, most specific first. Casefile's own names: no package defines them. */
const RUN_ID_KEYS = ['casefile.run_id', 'run.id', 'run_id'] as const;
/** Session attributes, most specific first (`langfuse.session.id` is Langfuse's own OTel attribute). */
const SESSION_ID_KEYS = [ATTR_SESSION_ID, ATTR_GEN_AI_CONVERSATION_ID, 'langfuse.session.id'] as const;

/**
 * Read GenAI facts from span attributes (OpenTelemetry GenAI conventions first, then OpenInference).
 * Returns undefined when the attributes carry none of them.
 *
 * - `system`: `gen_ai.provider.name`, `gen_ai.system`, `llm.provider`, `llm.system`
 * - `operation`: `gen_ai.operation.name`, else OpenInference's `openinference.span.kind` as given (e.g. "LLM")
 * - `requestModel`: `gen_ai.request.model`, `llm.request.model_name`, `llm.model_name`
 * - `responseModel`: `gen_ai.response.model`, `llm.response.model_name`
 * - tokens: `gen_ai.usage.input_tokens|output_tokens`, `gen_ai.usage.prompt_tokens|completion_tokens`,
 *   `llm.token_count.prompt|completion` (numbers or numeric strings)
 * - `prompt`: `gen_ai.system_instructions` + `gen_ai.input.messages` (rendered as `role: text` lines),
 *   `gen_ai.prompt` (whole or flattened), `input.value`, `llm.input_messages.<i>.message.*`, `llm.prompts`
 * - `completion`: `gen_ai.output.messages`, `gen_ai.completion`, `output.value`, `llm.output_messages.<i>.message.*`
 * - for tool spans without any of those: `gen_ai.tool.call.arguments` as prompt, `gen_ai.tool.call.result` as completion
 * - `toolName`: `gen_ai.tool.name`, `tool.name`
 * Prompt and completion are clipped to MAX_GENAI_TEXT characters.
 */
export function genaiFromAttributes(attrs: Attributes): GenAiInfo | undefined {
  const info: GenAiInfo = {};
  const system = firstString(attrs, [ATTR_GEN_AI_PROVIDER_NAME, ATTR_GEN_AI_SYSTEM, LLM_PROVIDER, LLM_SYSTEM]);
  if (system) info.system = system;
  const operation = firstString(attrs, [ATTR_GEN_AI_OPERATION_NAME, SemanticConventions.OPENINFERENCE_SPAN_KIND]);
  if (operation) info.operation = operation;
  const requestModel = firstString(attrs, [ATTR_GEN_AI_REQUEST_MODEL, LLM_REQUEST_MODEL_NAME, LLM_MODEL_NAME]);
  if (requestModel) info.requestModel = requestModel;
  const responseModel = firstString(attrs, [ATTR_GEN_AI_RESPONSE_MODEL, LLM_RESPONSE_MODEL_NAME]);
  if (responseModel) info.responseModel = responseModel;
  const inputTokens = firstCount(attrs, [ATTR_GEN_AI_USAGE_INPUT_TOKENS, ATTR_GEN_AI_USAGE_PROMPT_TOKENS, LLM_TOKEN_COUNT_PROMPT]);
  if (inputTokens !== undefined) info.inputTokens = inputTokens;
  const outputTokens = firstCount(attrs, [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, ATTR_GEN_AI_USAGE_COMPLETION_TOKENS, LLM_TOKEN_COUNT_COMPLETION]);
  if (outputTokens !== undefined) info.outputTokens = outputTokens;
  const prompt = promptText(attrs);
  if (prompt) info.prompt = clip(prompt, MAX_GENAI_TEXT);
  const completion = completionText(attrs);
  if (completion) info.completion = clip(completion, MAX_GENAI_TEXT);
  const toolName = firstString(attrs, [ATTR_GEN_AI_TOOL_NAME, TOOL_NAME]);
  if (toolName) info.toolName = toolName;
  return Object.keys(info).length > 0 ? info : undefined;
}

/** The run id carried on a span: `casefile.run_id`, then `run.id`, then `run_id`. Null when none. */
export function runIdFromAttributes(attrs: Attributes | undefined): string | null {
  return attrs ? (firstString(attrs, RUN_ID_KEYS) ?? null) : null;
}

/** The session / conversation id: `session.id`, then `gen_ai.conversation.id`, then `langfuse.session.id`. Null when none. */
export function sessionIdFromAttributes(attrs: Attributes | undefined): string | null {
  return attrs ? (firstString(attrs, SESSION_ID_KEYS) ?? null) : null;
}

/**
 * Compact full-text-search string for a span: name, service, status message, provider, operation, models, tool, agent,
 * prompt and completion (each clipped to ~4 KB), exception / error messages from attributes and events.
 */
export function spanSearchText(span: SpanData): string {
  const parts: Array<string | null | undefined> = [span.name, span.service, span.status.message];
  const g = span.genai;
  if (g) parts.push(g.system, g.operation, g.requestModel, g.responseModel, g.toolName);
  const agent = span.attributes[ATTR_GEN_AI_AGENT_NAME];
  if (typeof agent === 'string') parts.push(agent);
  parts.push(...errorTexts(span.attributes));
  for (const e of span.events ?? []) {
    if (e.attributes && (e.name === 'exception' || e.name === 'error' || hasErrorText(e.attributes))) parts.push(e.name, ...errorTexts(e.attributes));
  }
  if (g?.prompt) parts.push(clip(g.prompt, MAX_GENAI_TEXT));
  if (g?.completion) parts.push(clip(g.completion, MAX_GENAI_TEXT));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of parts) {
    const s = p?.trim();
    if (!s || seen.has(s)) continue;
    seen.add(s);
    out.push(s);
  }
  return out.join('\n');
}

/** Clip a string to `max` characters, marking the cut. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}… [${s.length - max} more characters]`;
}

// ---------------------------------------------------------------- internals

const ERROR_TEXT_KEYS = [ATTR_EXCEPTION_MESSAGE, 'exception.type', 'error.message', 'error.type', 'error.object', ATTR_OTEL_STATUS_DESCRIPTION];

function errorTexts(attrs: Attributes): string[] {
  const out: string[] = [];
  for (const k of ERROR_TEXT_KEYS) {
    const v = attrs[k];
    if (typeof v === 'string' && v) out.push(clip(v, 1024));
  }
  return out;
}

function hasErrorText(attrs: Attributes): boolean {
  return ERROR_TEXT_KEYS.some((k) => typeof attrs[k] === 'string');
}

function firstString(attrs: Attributes, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = attrs[k];
    if (typeof v === 'string' && v.trim() !== '') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  }
  return undefined;
}

function firstCount(attrs: Attributes, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    const v = attrs[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && /^\d+$/.test(v.trim())) return Number(v.trim());
  }
  return undefined;
}

function promptText(attrs: Attributes): string | undefined {
  const system = renderMessages(attrs[ATTR_GEN_AI_SYSTEM_INSTRUCTIONS], 'system');
  const input =
    renderMessages(attrs[ATTR_GEN_AI_INPUT_MESSAGES]) ??
    renderMessages(attrs[ATTR_GEN_AI_PROMPT]) ??
    flattenedMessages(attrs, `${ATTR_GEN_AI_PROMPT}.`, 'role', 'content') ??
    textOf(attrs[INPUT_VALUE]) ??
    openInferenceMessages(attrs, LLM_INPUT_MESSAGES) ??
    renderMessages(attrs[LLM_PROMPTS]) ??
    textOf(attrs[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]);
  if (system && input) return `${system}\n${input}`;
  return system ?? input;
}

function completionText(attrs: Attributes): string | undefined {
  return (
    renderMessages(attrs[ATTR_GEN_AI_OUTPUT_MESSAGES]) ??
    renderMessages(attrs[ATTR_GEN_AI_COMPLETION]) ??
    flattenedMessages(attrs, `${ATTR_GEN_AI_COMPLETION}.`, 'role', 'content') ??
    textOf(attrs[OUTPUT_VALUE]) ??
    openInferenceMessages(attrs, LLM_OUTPUT_MESSAGES) ??
    textOf(attrs[ATTR_GEN_AI_TOOL_CALL_RESULT])
  );
}

/** A value as text: strings as they are, anything else as JSON. */
function textOf(v: AttrValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  return JSON.stringify(v);
}

/**
 * Render chat messages as `role: text` lines. Accepts the GenAI JSON shapes (`[{role, parts:[{type, content}]}]`,
 * system instructions as `[{type, content}]`), the older `[{role, content}]`, a JSON string of either,
 * or plain text (returned as is).
 */
function renderMessages(v: AttrValue | undefined, defaultRole?: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  let value: unknown = v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '') return undefined;
    if (!(t.startsWith('[') || t.startsWith('{'))) return v;
    try {
      value = JSON.parse(t);
    } catch {
      return v;
    }
  }
  const list = Array.isArray(value) ? value : [value];
  const lines: string[] = [];
  for (const m of list) {
    const line = renderMessage(m, defaultRole);
    if (line) lines.push(line);
  }
  return lines.length > 0 ? lines.join('\n') : typeof v === 'string' ? v : JSON.stringify(v);
}

function renderMessage(m: unknown, defaultRole?: string): string | undefined {
  if (typeof m === 'string') return defaultRole ? `${defaultRole}: ${m}` : m;
  if (!isObject(m)) return m === undefined || m === null ? undefined : JSON.stringify(m);
  const role = typeof m.role === 'string' ? m.role : defaultRole;
  let body: string | undefined;
  if (Array.isArray(m.parts)) body = m.parts.map(renderPart).filter(Boolean).join(' ');
  else if (typeof m.content === 'string') body = m.content;
  else if (Array.isArray(m.content)) body = m.content.map(renderPart).filter(Boolean).join(' ');
  else if ('type' in m) body = renderPart(m);
  else body = JSON.stringify(m);
  if (!body) return undefined;
  return role ? `${role}: ${body}` : body;
}

function renderPart(p: unknown): string {
  if (typeof p === 'string') return p;
  if (!isObject(p)) return p === undefined || p === null ? '' : JSON.stringify(p);
  const type = typeof p.type === 'string' ? p.type : '';
  if (typeof p.content === 'string') return p.content;
  if (typeof p.text === 'string') return p.text;
  if (type === 'tool_call') return `tool_call ${typeof p.name === 'string' ? p.name : ''}(${JSON.stringify(p.arguments ?? null)})`;
  if (type === 'tool_call_response') return `tool_call_response ${JSON.stringify(p.response ?? p.result ?? null)}`;
  return JSON.stringify(p);
}

/** Flattened messages such as `gen_ai.prompt.0.role` / `gen_ai.prompt.0.content` (OpenLLMetry style). */
function flattenedMessages(attrs: Attributes, prefix: string, roleKey: string, contentKey: string): string | undefined {
  const byIndex = new Map<number, { role?: string; content?: string }>();
  for (const [k, v] of Object.entries(attrs)) {
    if (!k.startsWith(prefix)) continue;
    const m = k.slice(prefix.length).match(/^(\d+)\.(.+)$/);
    if (!m) continue;
    const i = Number(m[1]);
    const slot = byIndex.get(i) ?? {};
    if (m[2] === roleKey && typeof v === 'string') slot.role = v;
    else if (m[2] === contentKey) slot.content = textOf(v);
    byIndex.set(i, slot);
  }
  const lines = [...byIndex.entries()]
    .sort((a, b) => a[0] - b[0])
    .filter(([, s]) => s.content)
    .map(([, s]) => (s.role ? `${s.role}: ${s.content}` : s.content!));
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/**
 * OpenInference flattened messages: `llm.input_messages.<i>.message.role`, `.message.content`, or
 * `.message.contents.<j>.message_content.text`.
 */
function openInferenceMessages(attrs: Attributes, prefix: string): string | undefined {
  if (!hasKeyPrefix(attrs, `${prefix}.`)) return undefined; // the common case: no such attributes
  const simple = flattenedMessages(attrs, `${prefix}.`, MESSAGE_ROLE, MESSAGE_CONTENT);
  if (simple) return simple;
  const byIndex = new Map<number, { role?: string; texts: string[] }>();
  const re = new RegExp(`^(\\d+)\\.${escapeRe(MESSAGE_CONTENTS)}\\.(\\d+)\\.${escapeRe(MESSAGE_CONTENT_TEXT)}$`);
  const roleRe = new RegExp(`^(\\d+)\\.${escapeRe(MESSAGE_ROLE)}$`);
  for (const [k, v] of Object.entries(attrs)) {
    if (!k.startsWith(`${prefix}.`)) continue;
    const rest = k.slice(prefix.length + 1);
    const m = rest.match(re);
    const roleM = rest.match(roleRe);
    if (m && typeof v === 'string') {
      const slot = byIndex.get(Number(m[1])) ?? { texts: [] };
      slot.texts.push(v);
      byIndex.set(Number(m[1]), slot);
    } else if (roleM && typeof v === 'string') {
      const slot = byIndex.get(Number(roleM[1])) ?? { texts: [] };
      slot.role = v;
      byIndex.set(Number(roleM[1]), slot);
    }
  }
  const lines = [...byIndex.entries()]
    .sort((a, b) => a[0] - b[0])
    .filter(([, s]) => s.texts.length > 0)
    .map(([, s]) => (s.role ? `${s.role}: ${s.texts.join(' ')}` : s.texts.join(' ')));
  return lines.length > 0 ? lines.join('\n') : undefined;
}

function hasKeyPrefix(attrs: Attributes, prefix: string): boolean {
  for (const k in attrs) if (k.startsWith(prefix)) return true;
  return false;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

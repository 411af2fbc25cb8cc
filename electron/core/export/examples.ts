/**
 * From labels to examples: for each label, the evidence it is about (the labelled step, or the run's
 * natural target for its category), the conversation that led to it, what the model actually produced,
 * the correction the investigators gave, and the source records it all came from.
 *
 * Targets:
 *   - a labelled step: a write (its value), a model call (its output), an output event, a policy decision
 *     (audit policy.decision or OPA decision record), a tool call (name + arguments), a GenAI span (completion);
 *   - a run-level label, by category: materially-wrong-write / tool-misuse → the run's first write;
 *     policy-boundary-attempt / false-positive-block → its first non-allow decision (else its first one);
 *     everything else (hallucination, pii-exposure, prompt-injection, …) → the model's output.
 *
 * A write is traced back to the model call that proposed it: when the model's output holds the written
 * value (e.g. tool_calls[0].arguments.amount = 4599), the corrected output is the model output with that
 * value replaced by the corrected one — so training data and tests keep the model's own output shape.
 */
import type { Label } from '../../../shared/api';
import { canonicalJson } from '../../../shared/model';
import { findSensitive, type RedactionKind } from '../../../shared/redact';
import type { Db } from '../store/db';
import { recordsByKeys, runRecords, type EvidenceRecord } from '../store/evidence-store';
import type { ExampleSourceRef } from './types';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export type TargetKind = 'write' | 'output' | 'decision' | 'tool';

export interface DecisionInfo {
  decisionId: string | null;
  /** OPA query path, e.g. refunds/guard */
  path: string | null;
  policyId: string | null;
  policyVersion: string | null;
  /** the policy input as logged (null when no OPA decision record was found) */
  input: unknown;
  /** the policy result as logged */
  result: unknown;
  decision: string;
  reasonCodes: string[];
  erased: string[];
}

export interface LabelExample {
  label: Label;
  kind: TargetKind;
  /** the record the example is about */
  targetKey: string | null;
  workflow: string | null;
  modelVersion: string | null;
  /** when the target happened (epoch µs) */
  at: number | null;
  messages: ChatMessage[];
  promptSource: 'recorded-messages' | 'reconstructed-from-audit' | 'none';
  /** what the system produced, in the representation used for the assistant turn */
  actual: unknown;
  actualText: string;
  /** the investigators' correction in the same representation (undefined when none was given) */
  corrected: unknown;
  correctedText: string | null;
  /** where inside the output the correction applies (JSON pointer), when it was traced from a write */
  patch: { pointer: string; before: unknown; after: unknown } | null;
  write: { system: string; record: string; field: string; before: unknown; after: unknown; unit: string | null } | null;
  decision: DecisionInfo | null;
  /** personal data / secrets in the actual output that the corrected output does not contain */
  leaked: Array<{ kind: RedactionKind; value: string }>;
  records: EvidenceRecord[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

interface AuditEv {
  rec: EvidenceRecord;
  e: Obj;
  type: string;
}

function auditEvents(records: EvidenceRecord[]): AuditEv[] {
  const out: AuditEv[] = [];
  for (const r of records) {
    if (r.kind !== 'audit' || !isObj(r.data) || !isObj(r.data.event)) continue;
    out.push({ rec: r, e: r.data.event, type: String(r.data.event.type) });
  }
  out.sort((a, b) => (a.rec.ts ?? 0) - (b.rec.ts ?? 0) || num(a.e.seq) - num(b.e.seq));
  return out;
}
const num = (v: unknown) => (typeof v === 'number' ? v : 0);

/** Text of a value for a chat message: strings as they are, objects as compact JSON. */
export function asText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function parseMaybeJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v;
  }
}

/**
 * A model's output reduced to what it said and did: a string when it only produced text, else
 * `{content, tool_calls: [{name, arguments}]}` (ids, usage and finish reasons dropped — they are noise).
 */
export function normalizeModelOutput(o: unknown): unknown {
  if (typeof o === 'string') return o;
  if (!isObj(o)) return o;
  const choice0 = Array.isArray(o.choices) && isObj(o.choices[0]) ? o.choices[0] : null;
  const msg = isObj(o.message) ? o.message : choice0 && isObj(choice0.message) ? choice0.message : null;
  const content = typeof o.content === 'string' ? o.content : typeof o.text === 'string' ? o.text : msg && typeof msg.content === 'string' ? msg.content : null;
  const calls = Array.isArray(o.tool_calls) ? o.tool_calls : msg && Array.isArray(msg.tool_calls) ? msg.tool_calls : [];
  if (calls.length === 0) return content ?? o;
  return {
    content,
    tool_calls: calls.map((tc) => {
      const t = isObj(tc) ? tc : {};
      const fn = isObj(t.function) ? t.function : {};
      return { name: t.name ?? fn.name ?? null, arguments: parseMaybeJson(t.arguments ?? fn.arguments ?? null) };
    }),
  };
}

/** JSON pointers of the leaves of `v` equal to `target` (numbers compared by value). */
function findLeaf(v: unknown, target: unknown, at = ''): string[] {
  if (v === null || typeof v !== 'object') return canonicalJson(v) === canonicalJson(target) ? [at] : [];
  const out: string[] = [];
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v as Obj);
  for (const [k, x] of entries) out.push(...findLeaf(x, target, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  return out;
}

function setAt(v: unknown, pointer: string, value: unknown): unknown {
  const clone = JSON.parse(JSON.stringify(v)) as unknown;
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts.length === 0) return value;
  let cur = clone as Obj;
  for (const p of parts.slice(0, -1)) cur = cur[p] as Obj;
  cur[parts[parts.length - 1]!] = value;
  return clone;
}

/** The chat messages recorded for the model call, if some record kept them ([{role, content}]). */
function findRecordedMessages(v: unknown, depth = 0): ChatMessage[] | null {
  if (depth > 5) return null;
  const parsed = parseMaybeJson(v);
  if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((m) => isObj(m) && typeof m.role === 'string' && (typeof m.content === 'string' || Array.isArray(m.content) || Array.isArray(m.parts)))) {
    return parsed.map((m) => {
      const o = m as Obj;
      const parts = Array.isArray(o.content) ? o.content : Array.isArray(o.parts) ? o.parts : null;
      const content = typeof o.content === 'string' ? o.content : (parts ?? []).map((p) => (isObj(p) ? String(p.text ?? p.content ?? '') : String(p))).join('');
      // a tool result without its tool_call_id cannot be replayed as a `tool` turn: it becomes context
      if (o.role === 'tool' || o.role === 'function') return { role: 'system' as const, content: `Tool result: ${content}` };
      const role: ChatMessage['role'] = o.role === 'assistant' ? 'assistant' : o.role === 'system' || o.role === 'developer' ? 'system' : 'user';
      return { role, content };
    });
  }
  if (isObj(parsed)) {
    for (const k of ['messages', 'gen_ai.input.messages', 'input_messages', 'inputs', 'input', 'prompt']) {
      if (k in parsed) {
        const m = findRecordedMessages(parsed[k], depth + 1);
        if (m) return m;
      }
    }
  }
  return null;
}

const TEXT_KEYS = ['message', 'text', 'content', 'prompt', 'query', 'question', 'input'];

function userText(input: unknown): string {
  if (typeof input === 'string') return input;
  if (isObj(input)) for (const k of TEXT_KEYS) if (typeof input[k] === 'string') return input[k] as string;
  return asText(input);
}

/** The conversation that led to the target: recorded messages when a record kept them, else rebuilt from the audit trail. */
function conversation(evs: AuditEv[], records: EvidenceRecord[], beforeTs: number | null): { messages: ChatMessage[]; source: LabelExample['promptSource'] } {
  const modelCall = [...evs].reverse().find((x) => x.type === 'model.call' && (beforeTs === null || (x.rec.ts ?? 0) <= beforeTs)) ?? evs.find((x) => x.type === 'model.call');
  const candidates: unknown[] = [];
  if (modelCall) candidates.push(modelCall.e.input);
  for (const r of records) if (r.kind === 'span' && isObj(r.data)) candidates.push((r.data as Obj).attributes);
  for (const c of candidates) {
    const m = findRecordedMessages(c);
    if (m && m.some((x) => x.role === 'user')) {
      // the conversation up to the assistant turn being corrected (trailing assistant turns dropped)
      let end = m.length;
      while (end > 0 && m[end - 1]!.role === 'assistant') end--;
      return { messages: m.slice(0, end), source: 'recorded-messages' };
    }
  }
  const input = evs.find((x) => x.type === 'input');
  if (!input) {
    const span = records.find((r) => r.kind === 'span' && isObj(r.data) && isObj((r.data as Obj).genai) && typeof ((r.data as Obj).genai as Obj).prompt === 'string');
    if (span) return { messages: [{ role: 'user', content: ((span.data as Obj).genai as Obj).prompt as string }], source: 'reconstructed-from-audit' };
    return { messages: [], source: 'none' };
  }
  const messages: ChatMessage[] = [];
  // what the run looked up before answering: tool results and retrieved evidence, as recorded
  const ctx: string[] = [];
  for (const x of evs) {
    if (beforeTs !== null && (x.rec.ts ?? 0) > beforeTs) break;
    if (x.type === 'tool.call' && isObj(x.e.tool) && x.e.tool.result !== undefined) ctx.push(`Tool ${String(x.e.tool.name)} returned: ${asText(x.e.tool.result)}`);
    if (x.type === 'retrieval' && Array.isArray(x.e.evidence)) for (const ev of x.e.evidence) if (isObj(ev) && typeof ev.snippet === 'string') ctx.push(`Retrieved ${String(ev.source_id ?? '')}: ${ev.snippet}`);
  }
  if (ctx.length) messages.push({ role: 'system', content: `Context recorded for this run:\n${ctx.join('\n')}` });
  messages.push({ role: 'user', content: userText(input.e.input) });
  return { messages, source: 'reconstructed-from-audit' };
}

function decisionFromRecord(r: EvidenceRecord): DecisionInfo | null {
  if (r.kind !== 'decision' || !isObj(r.data)) return null;
  const d = r.data;
  return {
    decisionId: (d.decisionId as string) ?? null,
    path: (d.path as string) ?? null,
    policyId: (d.policyId as string) ?? null,
    policyVersion: (d.policyVersion as string) ?? null,
    input: d.input ?? null,
    result: d.result ?? null,
    decision: String(d.decision ?? 'unknown'),
    reasonCodes: Array.isArray(d.reasonCodes) ? (d.reasonCodes as string[]) : [],
    erased: Array.isArray(d.erased) ? (d.erased as string[]) : [],
  };
}

function decisionFromAudit(x: AuditEv, records: EvidenceRecord[], db: Db): { info: DecisionInfo; extra: EvidenceRecord[] } {
  const d = isObj(x.e.decision) ? x.e.decision : {};
  const id = typeof d.decision_id === 'string' ? d.decision_id : null;
  let rec = id ? records.find((r) => r.key === `decision:${id}`) : undefined;
  const extra: EvidenceRecord[] = [];
  if (!rec && id) {
    rec = recordsByKeys(db, [`decision:${id}`])[0];
    if (rec) extra.push(rec);
  }
  const fromOpa = rec ? decisionFromRecord(rec) : null;
  const info: DecisionInfo = {
    decisionId: id,
    path: fromOpa?.path ?? (typeof d.policy_id === 'string' ? d.policy_id : null),
    policyId: typeof d.policy_id === 'string' ? d.policy_id : (fromOpa?.policyId ?? null),
    policyVersion: typeof d.policy_version === 'string' ? d.policy_version : (fromOpa?.policyVersion ?? null),
    input: fromOpa?.input ?? null,
    result: fromOpa?.result ?? null,
    decision: String(d.decision ?? fromOpa?.decision ?? 'unknown'),
    reasonCodes: Array.isArray(d.reason_codes) ? (d.reason_codes as string[]) : (fromOpa?.reasonCodes ?? []),
    erased: fromOpa?.erased ?? [],
  };
  return { info, extra: rec ? [rec] : [] };
}

const WRITE_CATEGORIES = new Set(['materially-wrong-write', 'tool-misuse']);
const DECISION_CATEGORIES = new Set(['policy-boundary-attempt', 'false-positive-block']);

/** The corrected value as given for a write: `{after: v}` or `v`. */
function correctedWriteValue(c: unknown): unknown {
  return isObj(c) && 'after' in c && Object.keys(c).every((k) => ['after', 'unit', 'field', 'note'].includes(k)) ? c.after : c;
}

function leakedValues(actualText: string, correctedText: string | null, inputs: string[]): Array<{ kind: RedactionKind; value: string }> {
  const out: Array<{ kind: RedactionKind; value: string }> = [];
  const seen = new Set<string>();
  for (const h of findSensitive(actualText)) {
    const value = actualText.slice(h.start, h.end);
    if (seen.has(value)) continue;
    if (correctedText !== null && correctedText.includes(value)) continue;
    if (inputs.some((i) => i.includes(value))) continue; // the user gave it: echoing it back is not a leak of someone else's data
    seen.add(value);
    out.push({ kind: h.kind, value });
  }
  return out;
}

export class ExampleError extends Error {}

/** Builds the example for one label. Throws ExampleError when the run has no usable target. */
export function buildExample(db: Db, label: Label): LabelExample {
  const records = runRecords(db, label.runId);
  if (records.length === 0) throw new ExampleError(`run ${label.runId} has no records in the case`);
  const evs = auditEvents(records);
  const wfEv = evs.find((x) => typeof x.e.workflow === 'string');
  const workflow = (wfEv?.e.workflow as string | undefined) ?? null;
  const mvEv = evs.find((x) => x.type === 'model.call' && isObj(x.e.model));
  const modelVersion = mvEv ? ((mvEv.e.model as Obj).version as string | undefined) ?? null : null;

  // ---- locate the target
  let target: EvidenceRecord | null = null;
  if (label.stepId) {
    target = records.find((r) => r.key === label.stepId) ?? recordsByKeys(db, [label.stepId])[0] ?? null;
    if (!target) throw new ExampleError(`step ${label.stepId} is not in the case`);
    if (!records.includes(target)) records.push(target);
  } else if (WRITE_CATEGORIES.has(label.category)) {
    target = evs.find((x) => x.type === 'write')?.rec ?? evs.find((x) => x.type === 'tool.call')?.rec ?? null;
  } else if (DECISION_CATEGORIES.has(label.category)) {
    const decs = evs.filter((x) => x.type === 'policy.decision');
    target = (decs.find((x) => isObj(x.e.decision) && x.e.decision.decision !== 'allow') ?? decs[0])?.rec ?? records.find((r) => r.kind === 'decision') ?? null;
  }
  if (!target) {
    target = [...evs].reverse().find((x) => x.type === 'model.call')?.rec ?? [...evs].reverse().find((x) => x.type === 'output')?.rec ?? records.find((r) => r.kind === 'span' && isObj(r.data) && isObj((r.data as Obj).genai) && typeof ((r.data as Obj).genai as Obj).completion === 'string') ?? null;
  }
  if (!target) throw new ExampleError(`run ${label.runId} has no model output, write or decision to attach the label to`);

  const used: EvidenceRecord[] = [target];
  const tEv = target.kind === 'audit' && isObj(target.data) && isObj((target.data as Obj).event) ? ((target.data as Obj).event as Obj) : null;
  const tType = tEv ? String(tEv.type) : null;
  const { messages, source } = conversation(evs, records, target.ts);
  const inputEv = evs.find((x) => x.type === 'input');
  if (inputEv) used.push(inputEv.rec);
  for (const x of evs) if ((x.type === 'tool.call' || x.type === 'retrieval') && (target.ts === null || (x.rec.ts ?? 0) <= target.ts) && source === 'reconstructed-from-audit') used.push(x.rec);

  const base = {
    label,
    targetKey: target.key,
    workflow,
    modelVersion,
    at: target.ts,
    messages,
    promptSource: source,
    records: used,
  };
  const hasCorrection = label.corrected !== null && label.corrected !== undefined;

  // ---- decisions
  if (target.kind === 'decision' || tType === 'policy.decision') {
    let info: DecisionInfo;
    if (target.kind === 'decision') info = decisionFromRecord(target)!;
    else {
      const r = decisionFromAudit(evs.find((x) => x.rec === target)!, records, db);
      info = r.info;
      for (const x of r.extra) if (!used.includes(x)) used.push(x);
    }
    const actual = { decision: info.decision, reason_codes: info.reasonCodes };
    const expected = expectedDecision(label, info);
    return finish({ ...base, kind: 'decision', actual, corrected: expected, patch: null, write: null, decision: info });
  }

  // ---- writes (traced back to the model call that proposed the value)
  if (tType === 'write' && isObj(tEv!.write)) {
    const w = tEv!.write as Obj;
    const write = { system: String(w.system), record: String(w.record), field: String(w.field), before: w.before, after: w.after, unit: typeof w.unit === 'string' ? w.unit : null };
    const mc = [...evs].reverse().find((x) => x.type === 'model.call' && (x.rec.ts ?? 0) <= (target!.ts ?? Infinity));
    const corr = hasCorrection ? correctedWriteValue(label.corrected) : undefined;
    if (mc) {
      const out = normalizeModelOutput(mc.e.output);
      const hits = findLeaf(out, w.after);
      const pointer = hits.find((p) => p.endsWith(`/${write.field}`)) ?? hits.find((p) => p.includes('/arguments/')) ?? hits[0];
      if (pointer !== undefined && typeof out === 'object') {
        used.push(mc.rec);
        const corrected = corr === undefined ? undefined : isObj(corr) && ('tool_calls' in corr || 'content' in corr) ? corr : setAt(out, pointer, corr);
        return finish({ ...base, kind: 'write', actual: out, corrected, patch: { pointer, before: w.after, after: corr }, write, decision: null });
      }
    }
    return finish({ ...base, kind: 'write', actual: w.after, corrected: corr, patch: { pointer: '', before: w.after, after: corr }, write, decision: null });
  }

  // ---- tool calls
  if (tType === 'tool.call' && isObj(tEv!.tool)) {
    const t = tEv!.tool as Obj;
    const actual = { name: t.name ?? null, arguments: t.arguments ?? null };
    return finish({ ...base, kind: 'tool', actual, corrected: hasCorrection ? label.corrected : undefined, patch: null, write: null, decision: null });
  }

  // ---- model outputs
  let actual: unknown;
  if (tType === 'model.call') actual = normalizeModelOutput(tEv!.output);
  else if (tType === 'output') actual = normalizeModelOutput(tEv!.output);
  else if (target.kind === 'span') actual = ((target.data as Obj).genai as Obj | undefined)?.completion ?? null;
  else if (tEv) actual = normalizeModelOutput(tEv.output ?? null);
  else actual = null;
  // the correction replaces the whole output (a corrected refusal drops the tool calls the model made)
  const corrected: unknown = hasCorrection ? label.corrected : undefined;
  return finish({ ...base, kind: 'output', actual, corrected, patch: null, write: null, decision: null });
}

function finish(x: Omit<LabelExample, 'actualText' | 'correctedText' | 'leaked'>): LabelExample {
  const actualText = asText(x.actual);
  const correctedText = x.corrected === undefined ? null : asText(x.corrected);
  const inputs = x.messages.filter((m) => m.role === 'user').map((m) => m.content);
  const leaked = x.kind === 'output' || x.kind === 'write' ? leakedValues(actualText, correctedText, inputs) : [];
  return { ...x, actualText, correctedText, leaked };
}

/**
 * The decision investigators say was right: the corrected value when given (a verdict word, or
 * `{decision, reason_codes}`), else for a false-positive block 'allow', else for a harmful boundary case
 * that was allowed 'deny', else the recorded decision (confirmed by the label).
 */
function expectedDecision(label: Label, info: DecisionInfo): { decision: string; reason_codes: string[] } {
  const c = label.corrected;
  if (typeof c === 'string' && c.trim()) return { decision: c.trim(), reason_codes: [] };
  if (typeof c === 'boolean') return { decision: c ? 'allow' : 'deny', reason_codes: [] };
  if (isObj(c)) {
    const decision = typeof c.decision === 'string' ? c.decision : typeof c.allow === 'boolean' ? (c.allow ? 'allow' : 'deny') : info.decision;
    const codes = Array.isArray(c.reason_codes) ? c.reason_codes.map(String) : Array.isArray(c.reasonCodes) ? c.reasonCodes.map(String) : decision === info.decision ? info.reasonCodes : [];
    return { decision, reason_codes: codes };
  }
  if (label.category === 'false-positive-block') return { decision: 'allow', reason_codes: [] };
  if (label.verdict === 'harmful' && info.decision === 'allow' && ['policy-boundary-attempt', 'pii-exposure', 'prompt-injection'].includes(label.category)) return { decision: 'deny', reason_codes: [] };
  return { decision: info.decision, reason_codes: info.reasonCodes };
}

/** Where each record used by an example was read from (first file + the others). */
export function sourceRefs(records: EvidenceRecord[]): ExampleSourceRef[] {
  const seen = new Set<string>();
  const out: ExampleSourceRef[] = [];
  for (const r of records) {
    if (seen.has(r.key)) continue;
    seen.add(r.key);
    const [first, ...rest] = r.sources;
    out.push({
      key: r.key,
      kind: r.kind,
      sourcePath: first?.path ?? '',
      sourceSha256: first?.sha256 ?? '',
      line: first?.line ?? null,
      jsonPath: first?.jsonPath ?? null,
      ...(rest.length ? { alsoIn: rest.map((s) => ({ sourcePath: s.path, sourceSha256: s.sha256, line: s.line, jsonPath: s.jsonPath })) } : {}),
    });
  }
  return out;
}

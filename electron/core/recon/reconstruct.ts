/**
 * getRun: one ordered record of everything that happened in a run — inputs, retrieval, model calls,
 * policy decisions, tool calls, writes (with a structured diff), approvals, outputs, later user-harm
 * signals — each step with the file and line it was read from; plus the span waterfall, the run's model
 * version (and where it came from), its point-in-time lineage and its completeness findings.
 */
import type { Finding, FindingCode, ModelVersionInfo, ReconstructedRun, SpanNode, Step, StepKind, StepSource } from '../../../shared/api';
import type { AuditData, AuditEvent, DecisionData, LogData, PolicyDecision, SpanData } from '../../../shared/model';
import { diffValues, numericLeaves, scaledFromNote } from '../../../shared/diff';
import type { Db } from '../store/db';
import {
  hasRuns,
  largeRunJson,
  isInAffectedSet,
  provenanceOf,
  recordData,
  recordsByKeys,
  runFindingRows,
  runLabels,
  runMemberCount,
  runMemberRecords,
  runMemberRecordsThin,
  runRow,
  type MemberRecord,
  type ProvenanceRow,
  type RunDbRow,
} from '../store/runs-store';
import { lineage } from './lineage';
import { versionFromSpanModel } from '../store/runs-derive';
import { COLUMN_STEP_KINDS, ColumnsWriter, compactRun, LARGE_RUN_ITEMS, spanCount, stepCount } from '../../../shared/run-columns';

export class ReconError extends Error {
  constructor(
    message: string,
    readonly code: 'NOT_FOUND' | 'BAD_REQUEST' = 'NOT_FOUND',
  ) {
    super(message);
    this.name = 'ReconError';
  }
}

const AUDIT_KIND: Record<string, StepKind> = {
  'run.start': 'run-start',
  input: 'input',
  retrieval: 'retrieval',
  'model.call': 'model-call',
  'policy.decision': 'decision',
  'tool.call': 'tool-call',
  write: 'write',
  approval: 'approval',
  output: 'output',
  'user.signal': 'signal',
  'run.end': 'run-end',
};

/** Tie-break order of step kinds at the same instant: the order a run goes through. */
const KIND_RANK: Record<StepKind, number> = {
  'run-start': 0,
  input: 1,
  retrieval: 2,
  'model-call': 3,
  decision: 4,
  'tool-call': 5,
  write: 6,
  approval: 7,
  output: 8,
  'run-end': 9,
  signal: 10,
  span: 11,
  log: 12,
};

const TEXT_MAX = 4000;

function clip(s: string, n = TEXT_MAX): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { text?: unknown }).text === 'string') return (v as { text: string }).text;
  return JSON.stringify(v);
}

function short(v: unknown, n = 60): string {
  const s = v === undefined ? '∅' : typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

type Rec = Omit<MemberRecord, 'via' | 'rule' | 'inferred' | 'reason'> & Partial<Pick<MemberRecord, 'via' | 'rule' | 'inferred' | 'reason'>>;

interface Parsed {
  rec: Rec;
  data: unknown;
  /** a span record's index among the run's spans (assembleParts) */
  span?: number;
}

// ----------------------------------------------------------------------------------------------- model version

const SPAN_MODEL_ORDER: Array<ModelVersionInfo['source']> = ['gen_ai.response.model', 'gen_ai.request.model', 'llm.model_name', 'langfuse', 'langsmith'];

/** Model of a span, with the attribute (or tool) that named it; rank as in the derivation (lower wins). */
export function spanModel(s: SpanData): { value: string; source: NonNullable<ModelVersionInfo['source']>; rank: number } | null {
  const a = s.attributes ?? {};
  const str = (k: string) => (typeof a[k] === 'string' && a[k] !== '' ? (a[k] as string) : null);
  if (!s.genai || !(s.genai.responseModel || s.genai.requestModel)) return null;
  const resp = str('gen_ai.response.model');
  if (resp) return { value: resp, source: 'gen_ai.response.model', rank: 0 };
  const req = str('gen_ai.request.model');
  if (req) return { value: req, source: 'gen_ai.request.model', rank: 1 };
  const llm = str('llm.model_name');
  if (llm) return { value: llm, source: 'llm.model_name', rank: 2 };
  const g = s.genai.responseModel ?? s.genai.requestModel!;
  if (s.origin === 'langfuse') return { value: g, source: 'langfuse', rank: 3 };
  if (s.origin === 'langsmith') return { value: g, source: 'langsmith', rank: 4 };
  return { value: g, source: 'llm.model_name', rank: 5 };
}

/**
 * The run's model version: audit model.call events first (then run.start), each by time, preferring events
 * that carry a version; then span attributes gen_ai.response.model, gen_ai.request.model, llm.model_name,
 * then the tracing tool's own model field (Langfuse, LangSmith) — the earliest span of the best source.
 * When the audit trail names the model, a span value equal to that name is only an alias (skipped) and
 * `<name>-<version>` gives `<version>` (store/runs-derive.ts versionFromSpanModel).
 */
export function resolveModelVersion(records: Array<{ key: string; kind: string; ts: number | null; id: number; data: unknown }>): ModelVersionInfo {
  let audit: { rank: number; ts: number; id: number; m: NonNullable<AuditEvent['model']>; key: string } | null = null;
  let span: { rank: number; ts: number; id: number; value: string; source: NonNullable<ModelVersionInfo['source']>; key: string; provider: string | null } | null = null;
  for (const r of records) {
    const ts = r.ts ?? Number.MAX_SAFE_INTEGER;
    if (r.kind === 'audit') {
      const ev = (r.data as AuditData).event;
      if (!ev.model || (ev.type !== 'model.call' && ev.type !== 'run.start')) continue;
      const rank = (ev.type === 'model.call' ? 0 : 1) + (ev.model.version ? 0 : 2);
      if (!audit || rank < audit.rank || (rank === audit.rank && (ts < audit.ts || (ts === audit.ts && r.id < audit.id)))) audit = { rank, ts, id: r.id, m: ev.model, key: r.key };
    }
  }
  const auditName = audit?.m.name ?? null;
  for (const r of records) {
    if (r.kind !== 'span') continue;
    const ts = r.ts ?? Number.MAX_SAFE_INTEGER;
    const s = r.data as SpanData;
    const m = spanModel(s);
    if (!m) continue;
    const value = versionFromSpanModel(m.value, auditName);
    if (value === null) continue;
    if (!span || m.rank < span.rank || (m.rank === span.rank && (ts < span.ts || (ts === span.ts && r.id < span.id))))
      span = { rank: m.rank, ts, id: r.id, value, source: m.source, key: r.key, provider: s.genai?.system ?? null };
  }
  if (audit && audit.m.version) return { value: audit.m.version, source: 'audit', stepId: audit.key, name: audit.m.name ?? null, provider: audit.m.provider ?? null };
  if (span) return { value: span.value, source: span.source, stepId: span.key, name: audit?.m.name ?? null, provider: audit?.m.provider ?? span.provider };
  if (audit) return { value: null, source: null, stepId: audit.key, name: audit.m.name ?? null, provider: audit.m.provider ?? null };
  return { value: null, source: null };
}
void SPAN_MODEL_ORDER;

// ----------------------------------------------------------------------------------------------- steps

function sourceOf(p: ProvenanceRow): StepSource {
  return { sourceId: p.sourceId, path: p.sourcePath, line: p.line, jsonPath: p.path };
}

const NO_SOURCE: StepSource = { sourceId: 0, path: '', line: null, jsonPath: null };

function decisionTitle(policyId: string | null, decision: string, reasons: string[]): string {
  return `${policyId ?? 'policy'}: ${decision}${reasons.length ? ` (${reasons.join(', ')})` : ''}`;
}

function auditStep(p: Parsed): Step {
  const ev = (p.data as AuditData).event;
  const kind = AUDIT_KIND[ev.type] ?? 'log';
  const step: Step = {
    id: p.rec.key,
    kind,
    at: p.rec.ts,
    endAt: null,
    title: ev.type,
    actor: ev.actor ? `${ev.actor.type}${ev.actor.id ? `:${ev.actor.id}` : ''}` : null,
    source: NO_SOURCE,
    alsoIn: [],
    traceId: p.rec.trace_id,
    spanId: p.rec.span_id,
    parentSpanId: null,
    link: { rule: 'run-id', inferred: false },
    data: p.data,
  };
  switch (ev.type) {
    case 'run.start':
      step.title = `run started${ev.workflow ? `: ${ev.workflow}` : ''}${ev.tier ? ` (${ev.tier})` : ''}`;
      if (ev.model) step.model = { provider: ev.model.provider ?? null, name: ev.model.name ?? null, version: ev.model.version ?? null };
      break;
    case 'input':
      step.title = `input: ${clip(show(ev.input), 80)}`;
      step.text = clip(show(ev.input));
      break;
    case 'retrieval': {
      const n = ev.evidence?.length ?? 0;
      step.title = `retrieval: ${n} source${n === 1 ? '' : 's'}${ev.evidence?.length ? ` (${ev.evidence.map((e) => e.source_id).slice(0, 3).join(', ')}${n > 3 ? ', …' : ''})` : ''}`;
      step.text = clip([show(ev.input), ...(ev.evidence ?? []).map((e) => `${e.source_id}: ${e.snippet ?? e.uri ?? ''}`)].filter(Boolean).join('\n'));
      break;
    }
    case 'model.call': {
      const m = ev.model ?? {};
      step.title = `model call: ${m.name ?? 'model'}${m.version ? `@${m.version}` : ' (no version)'}`;
      step.model = { provider: m.provider ?? null, name: m.name ?? null, version: m.version ?? null };
      const inp = ev.input as Record<string, unknown> | undefined;
      const out = ev.output as Record<string, unknown> | undefined;
      const usage = (out?.usage ?? inp?.usage) as Record<string, unknown> | undefined;
      const num = (...vs: unknown[]) => vs.find((x): x is number => typeof x === 'number');
      const tIn = num(usage?.input_tokens, usage?.prompt_tokens, inp?.prompt_tokens, inp?.input_tokens);
      const tOut = num(usage?.output_tokens, usage?.completion_tokens, out?.completion_tokens, out?.output_tokens);
      if (tIn !== undefined || tOut !== undefined) step.tokens = { ...(tIn !== undefined ? { input: tIn } : {}), ...(tOut !== undefined ? { output: tOut } : {}) };
      step.text = clip([ev.input !== undefined ? `prompt: ${show(ev.input)}` : '', ev.output !== undefined ? `output: ${show(ev.output)}` : ''].filter(Boolean).join('\n'));
      break;
    }
    case 'policy.decision': {
      const d = ev.decision!;
      const reasons = d.reason_codes ?? [];
      step.title = `policy ${decisionTitle(d.policy_id, d.decision, reasons)}`;
      step.decision = { decisionId: d.decision_id ?? null, policyId: d.policy_id, policyVersion: d.policy_version ?? ev.policy_version ?? null, decision: d.decision, reasonCodes: reasons, found: false };
      if (ev.input !== undefined) step.text = clip(show(ev.input));
      break;
    }
    case 'tool.call': {
      const t = ev.tool!;
      step.title = `tool call: ${t.name}${t.status ? ` (${t.status})` : ''}`;
      step.tool = { name: t.name, ...(t.arguments !== undefined ? { arguments: t.arguments } : {}), ...(t.result !== undefined ? { result: t.result } : {}), ...(t.status ? { status: t.status } : {}) };
      break;
    }
    case 'write': {
      const w = ev.write!;
      const diff = diffValues(w.before, w.after);
      const note = diff.find((d) => d.note)?.note;
      step.title = `write ${w.system} ${w.record}.${w.field}: ${short(w.before, 30)} → ${short(w.after, 30)}${w.unit ? ` ${w.unit}` : ''}${note ? ` [${note}]` : ''}`;
      step.write = { system: w.system, record: w.record, field: w.field, before: w.before, after: w.after, unit: w.unit ?? null, diff };
      break;
    }
    case 'approval': {
      const a = ev.approval!;
      step.title = `approval: ${a.decision} by ${a.approver}${a.reason ? ` — ${a.reason}` : ''}`;
      step.approval = { approver: a.approver, decision: a.decision, ...(a.reason ? { reason: a.reason } : {}) };
      break;
    }
    case 'output':
      step.title = `output: ${clip(show(ev.output), 80)}`;
      step.text = clip(show(ev.output));
      break;
    case 'user.signal': {
      const s = ev.signal!;
      step.title = `user signal: ${s.kind}${s.by ? ` by ${s.by}` : ''}${s.note ? ` — ${s.note}` : ''}`;
      step.signal = { kind: s.kind, ...(s.by ? { by: s.by } : {}), ...(s.ref_event_id ? { refEventId: s.ref_event_id } : {}) };
      break;
    }
    case 'run.end':
      step.title = `run ended${ev.output !== undefined ? `: ${clip(show(ev.output), 80)}` : ''}`;
      break;
  }
  return step;
}

function decisionStep(p: Parsed): Step {
  const d = p.data as DecisionData;
  return {
    id: p.rec.key,
    kind: 'decision',
    at: p.rec.ts,
    endAt: null,
    title: `policy ${decisionTitle(d.policyId, d.decision, d.reasonCodes ?? [])}`,
    actor: d.requestedBy ? `system:opa (${d.requestedBy})` : 'system:opa',
    source: NO_SOURCE,
    alsoIn: [],
    traceId: p.rec.trace_id,
    spanId: p.rec.span_id,
    parentSpanId: null,
    link: { rule: 'run-id', inferred: false },
    decision: { decisionId: d.decisionId, policyId: d.policyId, policyVersion: d.policyVersion, decision: d.decision as PolicyDecision, reasonCodes: d.reasonCodes ?? [], found: true },
    ...(d.input !== undefined ? { text: clip(show(d.input)) } : {}),
    data: p.data,
  };
}

function spanKind(s: SpanData): StepKind {
  const op = (s.genai?.operation ?? '').toLowerCase();
  const k = s.kind.toUpperCase();
  if (op === 'execute_tool' || s.genai?.toolName || k === 'TOOL') return 'tool-call';
  if (op === 'retrieval' || k === 'RETRIEVER' || k === 'RETRIEVAL') return 'retrieval';
  if (s.genai?.responseModel || s.genai?.requestModel || op === 'chat' || op === 'text_completion' || op === 'generate_content' || k === 'GENERATION' || k === 'LLM') return 'model-call';
  return 'span';
}

function spanStep(p: Parsed): Step {
  const s = p.data as SpanData;
  const kind = spanKind(s);
  const g = s.genai;
  const m = spanModel(s);
  const step: Step = {
    id: p.rec.key,
    kind,
    at: s.startUs,
    endAt: s.endUs,
    title: kind === 'model-call' && m ? `${s.name}${s.name.includes(m.value) ? '' : ` (${m.value})`}` : s.name,
    actor: s.service ? `service:${s.service}` : null,
    source: NO_SOURCE,
    alsoIn: [],
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    link: { rule: 'trace-id', inferred: false },
    data: p.data,
  };
  if (m || g?.system) step.model = { provider: g?.system ?? null, name: g?.requestModel ?? m?.value ?? null, version: m?.value ?? null };
  if (g && (g.inputTokens !== undefined || g.outputTokens !== undefined)) step.tokens = { ...(g.inputTokens !== undefined ? { input: g.inputTokens } : {}), ...(g.outputTokens !== undefined ? { output: g.outputTokens } : {}) };
  if (kind === 'tool-call') step.tool = { name: g?.toolName ?? s.name, ...(s.status.code !== 'unset' ? { status: s.status.code } : {}) };
  const text = [g?.prompt ? `prompt: ${g.prompt}` : '', g?.completion ? `completion: ${g.completion}` : ''].filter(Boolean).join('\n');
  if (text) step.text = clip(text);
  return step;
}

function logStep(p: Parsed): Step {
  const l = p.data as LogData;
  const body = show(l.body);
  return {
    id: p.rec.key,
    kind: 'log',
    at: l.tsUs ?? l.observedUs,
    endAt: null,
    title: `${l.severityText ? `${l.severityText} ` : ''}${l.eventName ? `${l.eventName}: ` : ''}${clip(body, 100)}`,
    actor: null,
    source: NO_SOURCE,
    alsoIn: [],
    traceId: l.traceId,
    spanId: l.spanId,
    parentSpanId: null,
    link: { rule: 'trace-id', inferred: false },
    text: clip(body),
    data: p.data,
  };
}

/**
 * A written number that is an earlier number of the run (a tool result, the model's output, the input) scaled
 * by a power of ten gets a note on its diff entry: the classic dollars-written-as-cents mistake.
 */
function noteScaledWrites(steps: Step[]): void {
  const seen: Array<{ label: string; pointer: string; value: number; evidence: boolean }> = [];
  for (const s of steps) {
    if (s.write) {
      for (const d of s.write.diff) {
        if (d.note || (d.op !== 'replace' && d.op !== 'add')) continue;
        const field = d.pointer ? d.pointer.slice(d.pointer.lastIndexOf('/') + 1) : s.write.field;
        const note = scaledFromNote(d.after, seen, field);
        if (note) d.note = note;
      }
      const note = s.write.diff.find((d) => d.note)?.note;
      if (note && !s.title.includes('[')) s.title += ` [${note}]`;
    }
    const add = (label: string, v: unknown, evidence: boolean) => {
      if (v !== undefined && seen.length < 400) for (const l of numericLeaves(v, 100)) seen.push({ label, ...l, evidence });
    };
    if (s.tool) {
      add(`tool ${s.tool.name}`, { result: s.tool.result }, true);
      add(`tool ${s.tool.name}`, { arguments: s.tool.arguments }, false);
    } else if (s.kind === 'input' || s.kind === 'model-call' || s.kind === 'retrieval') {
      const ev = (s.data as Partial<AuditData>).event;
      if (ev) add(s.kind === 'model-call' ? 'model output' : s.kind, s.kind === 'model-call' ? ev.output : ev.input, s.kind !== 'model-call');
    }
  }
}

// ----------------------------------------------------------------------------------------------- spans

/**
 * The span waterfall's order: depth-first from the roots (spans without a parent in the run, orphans
 * included), children by start; spans only reachable through a parent cycle last. order[k] is the index
 * (in `spans`) of the k-th span of the waterfall, depth[k] its depth, orphan[k] 1 when its parent span id
 * is not in the run. A span id twice in a trace: both are shown, the children under the first visited.
 */
export function spanTreeOrder(spans: SpanData[]): { order: Int32Array; depth: Int32Array; orphan: Uint8Array; parentFirst: Int32Array; firstOf: Int32Array } {
  const n = spans.length;
  // the first span of each key (trace id, span id): maps by trace then span id (no key strings to build)
  const byTrace = new Map<string, Map<string, number>>();
  const firstIn = (traceId: string, spanId: string) => byTrace.get(traceId)?.get(spanId);
  /** the first span with the same key */
  const firstOf = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = spans[i]!;
    let m = byTrace.get(s.traceId);
    if (!m) byTrace.set(s.traceId, (m = new Map()));
    const f = m.get(s.spanId);
    if (f === undefined) m.set(s.spanId, i);
    firstOf[i] = f ?? i;
  }
  // children of each span key (by the index of its first span), in input order, as one flat list
  const parentOf = new Int32Array(n).fill(-1);
  /** the first span with the parent's key (-1: none in the run) */
  const parentFirst = new Int32Array(n).fill(-1);
  const count = new Int32Array(n + 1);
  const roots: number[] = [];
  const hasParent = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const s = spans[i]!;
    const p = s.parentSpanId ? firstIn(s.traceId, s.parentSpanId) : undefined;
    hasParent[i] = s.parentSpanId !== null && p !== undefined ? 1 : 0;
    if (p !== undefined) parentFirst[i] = p;
    if (p !== undefined && s.parentSpanId !== s.spanId) {
      parentOf[i] = p;
      count[p + 1]!++;
    } else roots.push(i);
  }
  for (let i = 0; i < n; i++) count[i + 1]! += count[i]!;
  const kids = new Int32Array(n);
  const fill = count.slice(0, n);
  for (let i = 0; i < n; i++) if (parentOf[i]! >= 0) kids[fill[parentOf[i]!]!++] = i;
  const byStart = (a: number, b: number) => {
    const x = spans[a]!;
    const y = spans[b]!;
    return (x.startUs ?? Infinity) - (y.startUs ?? Infinity) || (x.spanId < y.spanId ? -1 : 1);
  };
  const order = new Int32Array(n);
  const depth = new Int32Array(n);
  const orphan = new Uint8Array(n);
  const seen = new Uint8Array(n);
  let k = 0;
  const stack: number[] = [];
  const stackDepth: number[] = [];
  const visit = (root: number) => {
    stack.push(root);
    stackDepth.push(0);
    while (stack.length) {
      const cur = stack.pop()!;
      const d = stackDepth.pop()!;
      if (seen[cur]) continue;
      seen[cur] = 1;
      order[k] = cur;
      depth[k] = d;
      orphan[k] = spans[cur]!.parentSpanId !== null && !hasParent[cur] ? 1 : 0;
      k++;
      const f = firstOf[cur]!;
      const lo = count[f]!;
      const hi = count[f + 1]!;
      if (hi - lo === 1) {
        stack.push(kids[lo]!);
        stackDepth.push(d + 1);
      } else if (hi > lo) {
        const list = Array.from(kids.subarray(lo, hi)).sort(byStart);
        for (let i = list.length - 1; i >= 0; i--) {
          stack.push(list[i]!);
          stackDepth.push(d + 1);
        }
      }
    }
  };
  for (const r of roots.sort(byStart)) visit(r);
  // spans only reachable through a parent cycle
  if (k < n) for (const i of Array.from({ length: n }, (_, j) => j).sort(byStart)) if (!seen[i]) visit(i);
  return { order, depth, orphan, parentFirst, firstOf };
}

/** The span waterfall: depth-first from the roots (spans without a parent in the run, orphans included), children by start. */
export function spanTree(spans: SpanData[], keyOf: (s: SpanData) => string): SpanNode[] {
  const { order, depth, orphan } = spanTreeOrder(spans);
  const out: SpanNode[] = [];
  for (let k = 0; k < order.length; k++) {
    const cur = spans[order[k]!]!;
    out.push({
      id: keyOf(cur),
      traceId: cur.traceId,
      spanId: cur.spanId,
      parentSpanId: cur.parentSpanId,
      name: cur.name,
      service: cur.service,
      kind: cur.kind,
      startAt: cur.startUs,
      endAt: cur.endUs,
      status: cur.status.code,
      depth: depth[k]!,
      orphan: orphan[k] === 1,
      model: spanModel(cur)?.value ?? null,
    });
  }
  return out;
}

// ----------------------------------------------------------------------------------------------- assembly

export interface RunEvidence {
  runId: string;
  row: RunDbRow | null;
  records: MemberRecord[];
  /** OPA decisions named by the audit trail but tied to the run by no rule (looked up by key) */
  named: Rec[];
  provenance: ProvenanceRow[];
  findings: Finding[];
}

/** Provenance rows by record id, first provenance first (no list per record until asked for). */
interface ProvenanceIndex {
  get(recordId: number): ProvenanceRow[] | undefined;
  /** the first row of a record and whether it has more than one */
  first(recordId: number): ProvenanceRow | undefined;
  many(recordId: number): boolean;
}

function provenanceIndex(rows: ProvenanceRow[]): ProvenanceIndex {
  // rows come by record id (provenanceOf's order); group starts, tolerating any order
  const at = new Map<number, number>();
  let sorted = true;
  for (let i = 0; i < rows.length; i++) {
    const id = rows[i]!.recordId;
    if (i > 0 && rows[i - 1]!.recordId > id) sorted = false;
    if (!at.has(id)) at.set(id, i);
  }
  if (!sorted) {
    const byId = new Map<number, ProvenanceRow[]>();
    for (const p of rows) {
      let l = byId.get(p.recordId);
      if (!l) byId.set(p.recordId, (l = []));
      l.push(p);
    }
    return { get: (id) => byId.get(id), first: (id) => byId.get(id)?.[0], many: (id) => (byId.get(id)?.length ?? 0) > 1 };
  }
  const get = (id: number) => {
    const i = at.get(id);
    if (i === undefined) return undefined;
    let j = i + 1;
    while (j < rows.length && rows[j]!.recordId === id) j++;
    return rows.slice(i, j);
  };
  return {
    get,
    first: (id) => {
      const i = at.get(id);
      return i === undefined ? undefined : rows[i];
    },
    many: (id) => {
      const i = at.get(id);
      return i !== undefined && i + 1 < rows.length && rows[i + 1]!.recordId === id;
    },
  };
}

/** One step of the run in the making; `step` is null for a plain span step (assembleParts with `plain`). */
interface Item {
  step: Step | null;
  p: Parsed;
  /** sort keys: time (MAX when none), audit sequence (MAX when none), kind rank, record id */
  at: number;
  seq: number;
  rank: number;
  id: number;
}

const MAX = Number.MAX_SAFE_INTEGER;

interface Parts {
  /** the steps in order */
  items: Item[];
  /** the span records, in record order, with their keys */
  spans: SpanData[];
  spanKeys: string[];
  modelVersion: ModelVersionInfo;
  workflow: string | null;
  tier: string | null;
  startedAt: number | null;
  endedAt: number | null;
  /** provenance by record id */
  prov: ProvenanceIndex;
}

/**
 * The run's steps (sorted), spans and summary. With `plain`, a span record read thin (`value`, see
 * runMemberRecordsThin) becomes an item without a Step (its step is of kind `span` and its fields are the
 * span's: the caller writes it straight to the columns).
 */
function assembleParts(ev: RunEvidence, plain: boolean): Parts {
  // deduplicate: own > trace > link
  const rank = { own: 0, trace: 1, link: 2 } as const;
  const byId = new Map<number, MemberRecord>();
  for (const r of ev.records) {
    const prev = byId.get(r.id);
    if (!prev || rank[r.via] < rank[prev.via]) byId.set(r.id, r);
  }
  const parsed: Parsed[] = [];
  for (const rec of byId.values()) parsed.push({ rec, data: rec.value !== undefined ? rec.value : (JSON.parse(rec.data) as unknown) });
  const prov = provenanceIndex(ev.provenance);
  const withSource = (step: Step, recordId: number, extra: number[] = []) => {
    const ps = [...(prov.get(recordId) ?? []), ...extra.flatMap((id) => prov.get(id) ?? [])];
    if (ps.length) {
      step.source = sourceOf(ps[0]!);
      step.alsoIn = ps.slice(1).map(sourceOf);
    }
    return step;
  };
  const linkOf = (rec: MemberRecord, fallback: string): Step['link'] =>
    rec.via === 'own' ? { rule: 'run-id', inferred: false } : { rule: rec.rule ?? fallback, inferred: rec.inferred === 1, ...(rec.reason ? { reason: rec.reason } : {}) };
  const item = (step: Step, p: Parsed, seq: number): Item => ({ step, p, at: step.at ?? MAX, seq, rank: KIND_RANK[step.kind], id: p.rec.id });

  const audits = parsed.filter((p) => p.rec.kind === 'audit');
  const hasAudit = audits.length > 0;
  const auditSpanKeys = new Set(audits.filter((p) => p.rec.trace_id && p.rec.span_id).map((p) => `${p.rec.trace_id}:${p.rec.span_id}`));
  const opaById = new Map<string, Parsed>();
  for (const p of parsed) if (p.rec.kind === 'decision') opaById.set((p.data as DecisionData).decisionId, p);
  for (const r of ev.named) if (!opaById.has((JSON.parse(r.data) as DecisionData).decisionId)) opaById.set((JSON.parse(r.data) as DecisionData).decisionId, { rec: r, data: JSON.parse(r.data) });
  const referenced = new Set<string>();

  const items: Item[] = [];
  for (const p of audits) {
    const rec = p.rec as MemberRecord;
    const step = auditStep(p);
    const extra: number[] = [];
    if (step.decision?.decisionId) {
      const opa = opaById.get(step.decision.decisionId);
      if (opa) {
        step.decision.found = true;
        referenced.add(step.decision.decisionId);
        const od = opa.data as DecisionData;
        step.decision.policyVersion ??= od.policyVersion;
        (step.data as Record<string, unknown>).decisionLog = od;
        extra.push(opa.rec.id);
      }
    }
    const seq = (p.data as AuditData).event.seq;
    items.push(item(withSource(step, rec.id, extra), p, typeof seq === 'number' ? seq : MAX));
  }
  for (const p of parsed) {
    const rec = p.rec as MemberRecord;
    if (p.rec.kind === 'decision') {
      if (referenced.has((p.data as DecisionData).decisionId) && hasAudit) continue;
      const step = decisionStep(p);
      step.link = linkOf(rec, 'trace-id');
      items.push(item(withSource(step, rec.id), p, MAX));
    } else if (p.rec.kind === 'span') {
      const s = p.data as SpanData;
      if (hasAudit && (!s.genai || auditSpanKeys.has(`${s.traceId}:${s.spanId}`))) continue;
      if (plain && rec.value !== undefined) {
        items.push({ step: null, p, at: s.startUs ?? MAX, seq: MAX, rank: KIND_RANK.span, id: rec.id });
        continue;
      }
      const step = spanStep(p);
      step.link = linkOf(rec, 'trace-id');
      items.push(item(withSource(step, rec.id), p, MAX));
    } else if (p.rec.kind === 'log') {
      const step = logStep(p);
      step.link = linkOf(rec, 'trace-id');
      items.push(item(withSource(step, rec.id), p, MAX));
    }
  }
  items.sort((a, b) => a.at - b.at || (a.seq !== MAX && b.seq !== MAX ? a.seq - b.seq : 0) || a.rank - b.rank || a.id - b.id);

  // plain span steps are never writes and carry no numbers: the others in order are the same list
  noteScaledWrites(items.filter((i) => i.step !== null).map((i) => i.step!));

  const spans: SpanData[] = [];
  const spanKeys: string[] = [];
  for (const p of parsed)
    if (p.rec.kind === 'span') {
      p.span = spans.length;
      spans.push(p.data as SpanData);
      spanKeys.push(p.rec.key);
    }

  const modelVersion = resolveModelVersion(parsed.map((p) => ({ key: p.rec.key, kind: p.rec.kind, ts: p.rec.ts, id: p.rec.id, data: p.data })));
  const firstAudit = audits.map((p) => (p.data as AuditData).event);
  const row = ev.row;
  const first = items[0];
  return {
    items,
    spans,
    spanKeys,
    modelVersion,
    workflow: row?.workflow ?? firstAudit.find((e) => e.workflow)?.workflow ?? null,
    tier: row?.tier ?? firstAudit.find((e) => e.tier)?.tier ?? null,
    startedAt: row?.started ?? (first ? (first.step ? first.step.at : (first.p.data as SpanData).startUs) : null) ?? null,
    endedAt: row?.ended ?? null,
    prov,
  };
}

/** Assembles the reconstructed run from its evidence (pure; no database access). */
export function assembleRun(ev: RunEvidence): Omit<ReconstructedRun, 'lineage' | 'labels' | 'inAffectedSet'> {
  const parts = assembleParts(ev, false);
  const keyOfSpan = new Map<SpanData, string>(parts.spans.map((s, i) => [s, parts.spanKeys[i]!]));
  return {
    ...runHeader(ev, parts),
    steps: parts.items.map((i) => i.step!),
    spans: spanTree(parts.spans, (s) => keyOfSpan.get(s) ?? `span:${s.traceId}:${s.spanId}`),
  };
}

/** What both assemblies say about the run besides its steps and spans. */
function runHeader(ev: RunEvidence, parts: ReturnType<typeof assembleParts>) {
  return { runId: ev.runId, workflow: parts.workflow, tier: parts.tier, startedAt: parts.startedAt, endedAt: parts.endedAt, modelVersion: parts.modelVersion, findings: ev.findings };
}

/**
 * A large run assembled straight into the compact form (the same as compactRun(leanRun(assembleRun(ev)))
 * without an object per span or per plain span step).
 */
export function assembleCompactRun(ev: RunEvidence): Omit<ReconstructedRun, 'lineage' | 'labels' | 'inAffectedSet'> {
  const parts = assembleParts(ev, true);
  const { order, depth, orphan, parentFirst, firstOf } = spanTreeOrder(parts.spans);
  // span → its row; spans of one key (trace and span id) → the first row among them
  const rowOf = new Int32Array(order.length);
  const firstRow = new Int32Array(order.length).fill(-1);
  for (let k = 0; k < order.length; k++) {
    const j = order[k]!;
    rowOf[j] = k;
    if (firstRow[firstOf[j]!] === -1) firstRow[firstOf[j]!] = k;
  }
  /** the span row with this step's id (the record key of a span record; record keys are unique) */
  const rowOfStep = (p: Parsed) => (p.span === undefined ? -1 : rowOf[p.span]!);
  let t0 = Infinity;
  for (const s of parts.spans) if (s.startUs !== null && s.startUs < t0) t0 = s.startUs;
  for (const i of parts.items) if (i.at !== MAX && i.at < t0) t0 = i.at;
  const w = ColumnsWriter.write(t0, (w) => {
    for (let k = 0; k < order.length; k++) {
      const j = order[k]!;
      const s = parts.spans[j]!;
      const pf = parentFirst[j]!;
      const parent = s.parentSpanId === null ? null : pf >= 0 ? firstRow[pf]! : s.parentSpanId;
      w.span(parts.spanKeys[j]!, s.traceId, s.spanId, parent, s.name, s.service, s.kind, s.startUs, s.endUs, s.status.code, depth[k]!, orphan[k] === 1, s.genai ? (spanModel(s)?.value ?? null) : null);
    }
    for (const it of parts.items) {
      const row = rowOfStep(it.p);
      if (it.step) {
        w.step(COLUMN_STEP_KINDS.has(it.step.kind) ? leanStep(it.step) : it.step, row);
        continue;
      }
      // a plain span step: as spanStep and withSource make it
      const rec = it.p.rec as MemberRecord;
      const s = it.p.data as SpanData;
      const link = rec.via === 'own' ? { rule: 'run-id', inferred: false } : { rule: rec.rule ?? 'trace-id', inferred: rec.inferred === 1, ...(rec.reason ? { reason: rec.reason } : {}) };
      if (parts.prov.many(rec.id) || 'reason' in link) {
        // rare: more than one source, or a link with a reason
        const ps = parts.prov.get(rec.id)!;
        const step: Step = { id: rec.key, kind: 'span', at: s.startUs, endAt: s.endUs, title: s.name, actor: s.service ? `service:${s.service}` : null, source: NO_SOURCE, alsoIn: [], traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId, link, dataOmitted: true };
        if (ps) {
          step.source = sourceOf(ps[0]!);
          step.alsoIn = ps.slice(1).map(sourceOf);
        }
        w.step(step, row);
      } else {
        const p1 = parts.prov.first(rec.id);
        w.columnStep(rec.key, 'span', s.startUs, s.endUs, s.name, s.service ? `service:${s.service}` : null, p1 ? sourceOf(p1) : NO_SOURCE, s.traceId, s.spanId, s.parentSpanId, link.rule, link.inferred, row);
      }
    }
  });
  return {
    ...runHeader(ev, parts),
    steps: w.objects,
    spans: [],
    columns: w.columns,
  };
}

/** A span or log step without its record, marked `dataOmitted` (getStep has it whole). */
function leanStep(s: Step): Step {
  const { data: _omitted, ...rest } = s;
  return { ...rest, dataOmitted: true };
}

/** getRun(db, runId): the reconstructed run. Throws ReconError NOT_FOUND when the case has no such run. */
export function getRun(db: Db, runId: string): ReconstructedRun {
  const row = runRow(db, runId) ?? null;
  // every run is in the runs table once derived; before that (a case never derived), its records say
  if (!row && hasRuns(db)) throw new ReconError(`no run ${runId} in this case`);
  return reconstruct(db, runId, row, runMemberRecords(db, runId), false);
}

/**
 * The run as getRun of the API returns it: whole when small; when large (more than LARGE_RUN_ITEMS steps or
 * spans), lean (span and log steps without their record, see leanRun) and compact (RunColumns). A large run
 * is read thin: its plain spans (no gen_ai data: steps of kind `span`, whose record is left out anyway) are
 * never parsed in JavaScript (runMemberRecordsThin) and never become objects, so that a 100,000-span trace
 * takes a fraction of what getRun takes. The result is exactly compactRun(leanRun(getRun(db, runId))).
 */
export function getRunForApi(db: Db, runId: string, largeAbove = LARGE_RUN_ITEMS): ReconstructedRun {
  // a large run was built by the last derivation (large_runs): only what investigators change is read live
  const stored = largeAbove === LARGE_RUN_ITEMS ? largeRunJson(db, runId) : undefined;
  if (stored !== undefined) return { ...(JSON.parse(stored) as Omit<ReconstructedRun, 'labels' | 'inAffectedSet'>), labels: runLabels(db, runId), inAffectedSet: isInAffectedSet(db, runId) };
  return buildRunForApi(db, runId, largeAbove);
}

/** What derivation stores for a large run (large_runs): its API form without labels and affected-set membership; null when not large. */
export function apiRunBody(db: Db, runId: string): Omit<ReconstructedRun, 'labels' | 'inAffectedSet'> | null {
  const run = buildRunForApi(db, runId, LARGE_RUN_ITEMS);
  if (!run.columns) return null;
  const { labels: _l, inAffectedSet: _a, ...body } = run;
  return body;
}

function buildRunForApi(db: Db, runId: string, largeAbove: number): ReconstructedRun {
  const row = runRow(db, runId) ?? null;
  if (!row && hasRuns(db)) throw new ReconError(`no run ${runId} in this case`);
  const large = (run: ReconstructedRun) => stepCount(run) > largeAbove || spanCount(run) > largeAbove;
  const apiForm = (run: ReconstructedRun) => (large(run) ? compactRun(leanRun(run)) : run);
  if (runMemberCount(db, runId) <= largeAbove) return apiForm(reconstruct(db, runId, row, runMemberRecords(db, runId), false));
  const records = runMemberRecordsThin(db, runId);
  // a thin span that is not a plain `span` step (e.g. kind TOOL: a tool-call step, which keeps its record) is read whole
  const whole = records.filter((r) => r.value !== undefined && spanKind(r.value as SpanData) !== 'span');
  if (whole.length) {
    const data = recordData(db, whole.map((r) => r.id));
    for (const r of whole) {
      r.data = data.get(r.id)!;
      delete r.value;
    }
  }
  const run = reconstruct(db, runId, row, records, true);
  // not large after all (e.g. records counted twice): read again whole, so that span steps keep their record
  if (!large(run)) return getRun(db, runId);
  return run;
}

/** Span and log steps without their record, marked `dataOmitted` (getStep has them whole). */
export function leanRun(run: ReconstructedRun): ReconstructedRun {
  return { ...run, steps: run.steps.map((s) => (COLUMN_STEP_KINDS.has(s.kind) ? leanStep(s) : s)) };
}

function reconstruct(db: Db, runId: string, row: RunDbRow | null, records: MemberRecord[], compact: boolean): ReconstructedRun {
  if (!row && records.length === 0) throw new ReconError(`no run ${runId} in this case`);
  // OPA decisions the audit trail names that no rule tied to the run (e.g. linked to another run by its own run id)
  const named: string[] = [];
  const have = new Set(records.filter((r) => r.kind === 'decision').map((r) => r.key));
  for (const r of records) {
    if (r.kind !== 'audit' || r.name !== 'policy.decision') continue;
    const m = /"decision_id":"((?:[^"\\]|\\.)*)"/.exec(r.data);
    if (m) {
      const key = `decision:${JSON.parse(`"${m[1]}"`) as string}`;
      if (!have.has(key)) named.push(key);
    }
  }
  const extra = recordsByKeys(db, named);
  const ids = [...new Set([...records.map((r) => r.id), ...extra.map((r) => r.id)])];
  const provenance = provenanceOf(db, ids);
  const findings: Finding[] = runFindingRows(db, runId).map((f) => ({ code: f.code as FindingCode, severity: f.severity, message: f.message, ...(f.step_id ? { stepId: f.step_id } : {}) }));
  const ev = { runId, row, records, named: extra, provenance, findings };
  const run = compact ? assembleCompactRun(ev) : assembleRun(ev);
  const lin = run.modelVersion.value
    ? lineage(db, run.modelVersion.value, run.startedAt, { modelName: run.modelVersion.name ?? null })
    : { root: null, asOf: run.startedAt, nodes: [], edges: [], findings: [] };
  return { ...run, lineage: lin, labels: runLabels(db, runId), inAffectedSet: isInAffectedSet(db, runId) };
}

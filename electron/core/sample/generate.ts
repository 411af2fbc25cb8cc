/**
 * Deterministic sample incident generator: writes an incident bundle folder that tells one coherent
 * story (see story.ts) in every format Casefile imports, plus `<out>.answer-key.json` beside it with
 * what an investigation should find. Everything is streamed (flat memory at any run count) and
 * derived from a seeded PRNG and a fixed base time: the same seed gives a byte-identical bundle.
 * Above RICH_RUNS runs, scale mode writes most runs lean (isRich / emitLean; docs/bundles.md "Scale data").
 */
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AuditEventType, FormatName } from '../../../shared/model';
import { CalendarQueue, FileSink } from './sinks';
import { sha256Hex } from '../store/hash';
import { Rng, mixSeed } from './rng';
import {
  type Attr,
  type OpaDecision,
  type Scope,
  type SpanRec,
  isoGoSec,
  isoMs,
  isoPy,
  jaegerTrace,
  jaegerTraceId,
  nanos,
  opaConsoleJson,
  opaDecisionJson,
  otlpAttrs,
  otlpSpanJson,
  pad,
} from './formats';
import { SAMPLE_BUDGETS, SLI_BIT, parseDurationMs, parseObjective, renderBudgetsYaml, replayRule, type ReplayRun } from './budgets';
import { lineageEvents } from './lineage';
import * as S from './story';

export interface SampleOptions {
  out: string;
  runs?: number;
  seed?: number;
  onProgress?: (runsDone: number) => void;
  /**
   * Scale mode: up to this many runs every run is rich (all files, full audit trail and trace); above
   * it, a run is rich with probability richRuns / runs (plus the story's special runs, always) and lean
   * otherwise. Default RICH_RUNS; tests lower it to exercise lean runs on a small bundle.
   */
  richRuns?: number;
}

export interface SampleFile {
  path: string;
  format: FormatName;
  sha256: string;
  size: number;
  description: string;
}

export interface SampleSummary {
  /** absolute bundle folder */
  out: string;
  /** absolute path of the answer key written beside the folder */
  answerKey: string;
  runs: number;
  seed: number;
  /** evidence files (as listed in casefile-bundle.json) */
  files: SampleFile[];
  /** manifest and answer key sizes are not in `files` */
  manifestPath: string;
  totalBytes: number;
  counts: {
    refundRuns: number;
    kbRuns: number;
    auditEvents: number;
    spans: number;
    decisions: number;
    lineageEvents: number;
    writes: number;
    harmfulRuns: number;
    affectedRuns: number;
    plantedFindings: number;
    /** runs written in full (every run up to the rich budget) */
    richRuns: number;
    /** runs written lean (scale mode) */
    leanRuns: number;
  };
}

export const DEFAULT_RUNS = 1200;
export const DEFAULT_SEED = 1;
/** Rich-run budget of scale mode: at most about this many ordinary runs are written in full. */
export const RICH_RUNS = 20_000;
/** Share of lean runs that still export a (two-span) trace. */
const LEAN_TRACED_SHARE = 0.2;

type Workflow = typeof S.WF_REFUND | typeof S.WF_KB;
type Tier = 'auto' | 'approve' | 'draft';
export type PlantCode =
  | 'MISSING_MODEL_VERSION'
  | 'NO_TRACE'
  | 'DECISION_NOT_FOUND'
  | 'HASH_CHAIN_BROKEN'
  | 'WRITE_WITHOUT_DECISION'
  | 'ORPHAN_SPAN'
  | 'CLOCK_SKEW';

interface RunPlan {
  i: number;
  r: Rng;
  runId: string;
  wf: Workflow;
  tier: Tier;
  startUs: number;
  version: string;
  cohort: 'canary' | 'stable' | null;
  pod: string;
  traceId: string;
  sessionId: string;
  ticketId: string;
  customerId: string;
  email: string;
  // refund
  orderId: string;
  item: string;
  price: number;
  shipping: number;
  message: string;
  injection: boolean;
  bug: 'cents' | 'shipping' | null;
  proposed: number;
  approval: null | { approver: string; approved: boolean; delayMs: number; reason: string };
  hasWrite: boolean;
  harmful: boolean;
  // kb
  topic: number;
  // output
  pii: 'email' | 'card' | null;
  leak: boolean;
  // roles
  role: string | null;
  plant: PlantCode | null;
  variant: string | null;
  jaeger: boolean;
  gateway: { serverId: string; clientId: string; extraId: string | null } | null;
  langfuse: boolean;
  langsmith: boolean;
}

interface Draft {
  us: number;
  type: AuditEventType;
  id: string;
  spanId: string | null;
  f: Record<string, unknown>;
}

interface SignalCtx {
  writeDraft: Draft | null;
  approvalDraft: Draft | null;
  outputDraft: Draft;
  endUs: number;
}

interface Slot {
  key: string;
  plant?: PlantCode;
  variant?: string;
  fromMs: number;
  pred: (p: RunPlan) => boolean;
  apply?: (p: RunPlan) => void;
}

interface LogRec {
  us: number;
  res: string;
  severity: 'INFO' | 'WARN' | 'ERROR';
  body: string;
  attrs: Attr[];
  traceId: string | null;
  spanId: string | null;
}

/**
 * One audit event as canonical JSON (shared/model.ts canonicalJson: keys sorted — drafts build their
 * nested objects in sorted key order), without its hash, built without an intermediate object (hot
 * path). Draft payload keys: actor, approval, decision, evidence, input, labels, model, output,
 * session_id, signal, tier, tool, write. prevHash undefined = unchained (no prev_hash key). A draft
 * without a span id names no trace.
 */
function auditJson(d: Draft, p: { runId: string; traceId: string; wf: string }, prevHash: string | null | undefined, seq: number, withWorkflow: boolean): string {
  const f = d.f;
  let s = '{';
  if (f.actor !== undefined) s += `"actor":${JSON.stringify(f.actor)},`;
  if (f.approval !== undefined) s += `"approval":${JSON.stringify(f.approval)},`;
  s += '"audit_version":1';
  if (f.decision !== undefined) s += `,"decision":${JSON.stringify(f.decision)}`;
  s += `,"event_id":"${d.id}"`;
  if (f.evidence !== undefined) s += `,"evidence":${JSON.stringify(f.evidence)}`;
  if (f.input !== undefined) s += `,"input":${JSON.stringify(f.input)}`;
  if (f.labels !== undefined) s += `,"labels":${JSON.stringify(f.labels)}`;
  if (f.model !== undefined) s += `,"model":${JSON.stringify(f.model)}`;
  if (f.output !== undefined) s += `,"output":${JSON.stringify(f.output)}`;
  if (prevHash !== undefined) s += prevHash === null ? ',"prev_hash":null' : `,"prev_hash":"${prevHash}"`;
  s += `,"run_id":"${p.runId}","seq":${seq}`;
  if (f.session_id !== undefined) s += `,"session_id":${JSON.stringify(f.session_id)}`;
  if (f.signal !== undefined) s += `,"signal":${JSON.stringify(f.signal)}`;
  if (d.spanId) s += `,"span_id":"${d.spanId}"`;
  if (f.tier !== undefined) s += `,"tier":${JSON.stringify(f.tier)}`;
  if (f.tool !== undefined) s += `,"tool":${JSON.stringify(f.tool)}`;
  if (d.spanId) s += `,"trace_id":"${p.traceId}"`;
  s += `,"ts":"${isoMs(Math.floor(d.us / MS))}","type":"${d.type}"`;
  if (withWorkflow) s += `,"workflow":"${p.wf}"`;
  if (f.write !== undefined) s += `,"write":${JSON.stringify(f.write)}`;
  return `${s}}`;
}

const H_US = 3_600_000_000;
const MIN_US = 60_000_000;
const MS = 1000;
const OTLP_BATCH_US = 5_000_000;
const OTLP_MAX_SPANS = 512;
const SCHEMA_URL = 'https://opentelemetry.io/schemas/1.27.0';

const SCOPES: Record<string, Scope> = {
  agent: { name: 'support_agents', version: '0.42.0' },
  genai: { name: 'acme_ai.instrumentation', version: '1.4.0' },
  http: { name: 'opentelemetry.instrumentation.httpx', version: '0.59b0' },
};

function resourceAttrs(pod: string): Attr[] {
  const refund = pod.startsWith('refund');
  const node = pod === S.SKEWED_POD ? 'gke-prod-pool-b-7f3c' : refund ? 'gke-prod-pool-a-2d91' : 'gke-prod-pool-a-6b0e';
  return [
    ['s', 'service.name', refund ? S.WF_REFUND : S.WF_KB],
    ['s', 'service.namespace', 'support'],
    ['s', 'service.version', refund ? S.REFUND_APP_VERSION : S.KB_APP_VERSION],
    ['s', 'deployment.environment.name', 'prod'],
    ['s', 'k8s.namespace.name', 'support-agents'],
    ['s', 'k8s.pod.name', pod],
    ['s', 'k8s.node.name', node],
    ['s', 'telemetry.sdk.language', 'python'],
    ['s', 'telemetry.sdk.name', 'opentelemetry'],
    ['s', 'telemetry.sdk.version', '1.38.0'],
  ];
}

const OPA_BUNDLES = { refunds: { revision: S.REFUNDS_BUNDLE_REV }, support: { revision: S.SUPPORT_BUNDLE_REV } };

const ALL_PODS = [...S.REFUND_PODS, S.SKEWED_POD, ...S.KB_PODS];
const RESOURCES: Record<string, { service: string; attrs: Attr[] }> = {};
const RESOURCE_JSON: Record<string, string> = {};
for (const pod of ALL_PODS) {
  const attrs = resourceAttrs(pod);
  RESOURCES[pod] = { service: attrs[0]![2] as string, attrs };
  RESOURCE_JSON[pod] = JSON.stringify({ attributes: otlpAttrs(attrs) });
}
const SCOPE_JSON: Record<string, string> = {};
for (const [k, v] of Object.entries(SCOPES)) SCOPE_JSON[k] = JSON.stringify(v);

function usd(n: number): string {
  const neg = n < 0;
  const cents = Math.round(Math.abs(n) * 100);
  const whole = String(Math.floor(cents / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '-' : ''}$${whole}.${pad(cents % 100, 2)}`;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}


/** Dynamic typed arrays for the replay (8–13 bytes per run, the only per-run state kept). */
/** Policy reason codes that mean a run reached a policy boundary (as Casefile's SLI definitions read them). */
const BOUNDARY_CODE = /PII|PERSONAL[_-]?DATA|SSN|CREDIT[_-]?CARD|\bPHI\b|INJECTION|JAILBREAK|DISALLOWED|PROHIBITED|SECRET|CREDENTIAL|TOXIC|SELF[_-]?HARM|HATE|VIOLENCE|EXFILTRAT/i;
/** Replay mask layout: bits 0–5 SLIs with labels applied, 6–11 SLIs from evidence alone, then harm flags. */
const EVIDENCE_SHIFT = 6;
const HARMFUL_BIT = 1 << 12;
const HARMFUL_WRITE_BIT = 1 << 13;

class ReplayCol {
  end = new Float64Array(1024);
  bad = new Uint16Array(1024);
  idx = new Uint32Array(1024);
  n = 0;
  push(endMs: number, bad: number, i: number): void {
    if (this.n === this.end.length) {
      const grow = <T extends Float64Array | Uint16Array | Uint32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.end = grow(this.end);
      this.bad = grow(this.bad);
      this.idx = grow(this.idx);
    }
    this.end[this.n] = endMs;
    this.bad[this.n] = bad;
    this.idx[this.n] = i;
    this.n++;
  }
}

/** A list written to a temporary file as JSON array items, spliced into the answer key at the end. */
class Spool {
  sink: FileSink;
  count = 0;
  constructor(readonly name: string, path: string) {
    this.sink = new FileSink(path);
  }
  add(item: unknown): void {
    this.sink.write(`${this.count ? ',\n' : '\n'}    ${JSON.stringify(item)}`);
    this.count++;
  }
}

class Generator {
  readonly out: string;
  readonly N: number;
  readonly seed: number;
  readonly richBudget: number;
  readonly onProgress?: (n: number) => void;

  private cum = new Float64Array(0);
  private lastStartUs = 0;

  // sinks and queues
  private auditRefund!: FileSink;
  private auditKb!: FileSink;
  private otlp!: FileSink;
  private opa!: FileSink;
  private qAuditRefund = new CalendarQueue<string>(1_000_000);
  private qAuditKb = new CalendarQueue<string>(1_000_000);
  private qOpa = new CalendarQueue<string>(1_000_000);
  private qSpans = new CalendarQueue<SpanRec>(OTLP_BATCH_US);

  // answer key
  private partsDir: string;
  private spools: Record<string, Spool> = {};
  private planted: Array<Record<string, unknown>> = [];
  private notes: Array<Record<string, unknown>> = [];
  private replay = new Map<string, ReplayCol>();
  private slots: Slot[] = [];
  private claimed: Record<string, string> = {};

  // small exports kept in memory
  private jaegerRuns: SpanRec[][] = [];
  private zipkinSpans: Array<Record<string, unknown>> = [];
  private langfuse: null | { p: RunPlan; spans: SpanRec[]; drafts: Draft[]; usage: [number, number] } = null;
  private langsmith: null | { p: RunPlan; chat: SpanRec; drafts: Draft[]; usage: [number, number]; content: string } = null;
  private logs: LogRec[] = [];
  private logCounts: Record<string, number> = {};
  private consoleLines: Array<{ us: number; n: number; line: string }> = [];
  private consoleDecisions = 0;
  private reqIds = [0, 0, 0];
  private trimmedTraceId: string | null = null;
  private opaRestarted = false;
  private centsSeen = false;

  // counters
  c = {
    richRuns: 0,
    leanRuns: 0,
    refundRuns: 0,
    kbRuns: 0,
    auditRefund: 0,
    auditKb: 0,
    spans: 0,
    decisions: 0,
    writes: 0,
    harmful: 0,
    affected: 0,
    affectedHarmful: 0,
    unattributableWrites: 0,
    jaegerSpans: 0,
    zipkinSpans: 0,
  };

  constructor(opts: SampleOptions) {
    this.out = resolve(opts.out);
    this.N = Math.max(1, Math.floor(opts.runs ?? DEFAULT_RUNS));
    this.seed = (opts.seed ?? DEFAULT_SEED) >>> 0;
    this.richBudget = Math.max(1, Math.floor(opts.richRuns ?? RICH_RUNS));
    this.onProgress = opts.onProgress;
    this.partsDir = `${this.out}.answer-key.parts`;
    this.buildTimeline();
    this.buildSlots();
  }

  // ---------- time ----------

  /** Diurnal traffic: rate peaks at 16:00 UTC, lowest at 04:00 UTC. Cumulative per minute. */
  private buildTimeline(): void {
    const minutes = S.DURATION_MS / 60_000;
    this.cum = new Float64Array(minutes + 1);
    for (let m = 0; m < minutes; m++) {
      const hour = ((m / 60) % 24) + 0.5 / 60;
      this.cum[m + 1] = this.cum[m]! + this.rate(hour);
    }
  }

  private rate(hourOfDay: number): number {
    return 1 + 0.6 * Math.sin((2 * Math.PI * (hourOfDay - 10)) / 24);
  }

  /** Start of run i (µs): stratified inverse-CDF sampling, so starts are increasing in i. */
  private nominalStartUs(i: number): number {
    const u = (i + new Rng(mixSeed(this.seed, 2, i)).next()) / this.N;
    const target = u * this.cum[this.cum.length - 1]!;
    let lo = 0;
    let hi = this.cum.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.cum[mid]! <= target) lo = mid;
      else hi = mid;
    }
    const hour = ((lo / 60) % 24) + 0.5 / 60;
    const frac = (target - this.cum[lo]!) / this.rate(hour);
    return S.BASE_MS * MS + Math.floor((lo + Math.min(frac, 0.999999)) * 60_000_000);
  }

  // ---------- planted anomalies and export picks ----------

  private buildSlots(): void {
    const at = (iso: string) => Date.parse(iso);
    const H = 3_600_000;
    const refundWrite = (p: RunPlan) => p.wf === S.WF_REFUND && p.hasWrite;
    const plain = (p: RunPlan) => !p.pii && !p.leak && !p.injection;
    const add = (s: Slot) => this.slots.push(s);
    // planted anomalies (one per run; a handful each, independent of the run count)
    add({ key: 'mmv-kb', plant: 'MISSING_MODEL_VERSION', fromMs: at('2026-10-12T06:00:00Z'), pred: (p) => p.wf === S.WF_KB && plain(p) });
    add({ key: 'mmv-canary', plant: 'MISSING_MODEL_VERSION', fromMs: S.CANARY_MS + H, pred: (p) => p.startUs / MS < S.FULL_MS && plain(p) });
    add({ key: 'mmv-write', plant: 'MISSING_MODEL_VERSION', fromMs: S.FULL_MS + 4 * H, pred: (p) => refundWrite(p) && plain(p) && p.startUs / MS < S.ROLLBACK_MS });
    add({ key: 'mv-from-span', variant: 'version only on span', fromMs: S.FULL_MS + 6 * H, pred: (p) => refundWrite(p) && plain(p) && p.startUs / MS < S.ROLLBACK_MS });
    add({ key: 'no-trace-1', plant: 'NO_TRACE', fromMs: at('2026-10-12T15:00:00Z'), pred: plain });
    add({ key: 'no-trace-2', plant: 'NO_TRACE', fromMs: S.FULL_MS + 2 * H, pred: (p) => refundWrite(p) && plain(p) });
    add({ key: 'no-trace-3', plant: 'NO_TRACE', fromMs: at('2026-10-14T20:00:00Z'), pred: (p) => p.wf === S.WF_KB && plain(p) });
    add({ key: 'dnf-1', plant: 'DECISION_NOT_FOUND', fromMs: at('2026-10-12T09:00:00Z'), pred: (p) => p.wf === S.WF_REFUND && plain(p) });
    add({ key: 'dnf-2', plant: 'DECISION_NOT_FOUND', fromMs: at('2026-10-13T20:00:00Z'), pred: (p) => p.wf === S.WF_KB && plain(p) });
    add({ key: 'dnf-3', plant: 'DECISION_NOT_FOUND', fromMs: at('2026-10-14T12:00:00Z'), pred: (p) => p.wf === S.WF_REFUND && plain(p) });
    add({
      key: 'hash-tamper',
      plant: 'HASH_CHAIN_BROKEN',
      variant: 'hash mismatch',
      fromMs: at('2026-10-13T11:00:00Z'),
      pred: (p) => p.wf === S.WF_REFUND && plain(p),
      apply: (p) => {
        p.message = `${p.message} You can reach me at ${p.email}.`;
      },
    });
    add({ key: 'hash-gap', plant: 'HASH_CHAIN_BROKEN', variant: 'missing event', fromMs: at('2026-10-14T05:00:00Z'), pred: plain });
    const wwd = (p: RunPlan) => refundWrite(p) && p.tier === 'auto' && plain(p);
    add({ key: 'wwd-1', plant: 'WRITE_WITHOUT_DECISION', fromMs: at('2026-10-12T20:00:00Z'), pred: wwd });
    add({ key: 'wwd-2', plant: 'WRITE_WITHOUT_DECISION', fromMs: at('2026-10-14T07:00:00Z'), pred: wwd });
    add({ key: 'orphan-1', plant: 'ORPHAN_SPAN', fromMs: at('2026-10-12T12:00:00Z'), pred: (p) => p.wf === S.WF_KB && plain(p) });
    add({ key: 'orphan-2', plant: 'ORPHAN_SPAN', fromMs: at('2026-10-13T17:00:00Z'), pred: (p) => p.wf === S.WF_REFUND && plain(p) });
    add({ key: 'skew', plant: 'CLOCK_SKEW', fromMs: S.FULL_MS + 3 * H, pred: (p) => refundWrite(p) && plain(p) });
    // traces also exported by the Jaeger query API
    add({
      key: 'jaeger-trimmed',
      fromMs: at('2026-10-12T10:00:00Z'),
      pred: (p) => p.wf === S.WF_REFUND && plain(p) && !p.approval,
      apply: (p) => {
        p.jaeger = true;
        p.traceId = `00${p.traceId.slice(2)}`;
        this.trimmedTraceId = p.traceId;
      },
    });
    add({ key: 'jaeger-kb', fromMs: at('2026-10-13T16:00:00Z'), pred: (p) => p.wf === S.WF_KB && plain(p), apply: (p) => void (p.jaeger = true) });
    add({ key: 'jaeger-harmful', fromMs: S.CANARY_MS, pred: (p) => p.harmful && p.bug === 'cents', apply: (p) => void (p.jaeger = true) });
    add({
      key: 'jaeger-caught',
      fromMs: S.CANARY_MS,
      pred: (p) => p.bug === 'cents' && !!p.approval && !p.approval.approved && !p.injection,
      apply: (p) => void (p.jaeger = true),
    });
    add({ key: 'jaeger-pii', fromMs: S.BASE_MS, pred: (p) => p.pii !== null && !p.injection, apply: (p) => void (p.jaeger = true) });
    // the API gateway (Zipkin) for a few short runs
    const gw = ['2026-10-12T04:00:00Z', '2026-10-12T11:00:00Z', '2026-10-12T19:00:00Z', '2026-10-13T09:00:00Z', '2026-10-13T16:30:00Z', '2026-10-13T22:00:00Z', '2026-10-14T10:00:00Z', '2026-10-14T18:00:00Z'];
    gw.forEach((iso, k) =>
      add({
        key: `gateway-${k + 1}`,
        fromMs: at(iso),
        pred: (p) => !p.approval && plain(p),
        apply: (p) => {
          p.gateway = { serverId: p.r.hexId(16), clientId: p.r.hexId(16), extraId: k === 2 || k === 5 ? p.r.hexId(16) : null };
        },
      }),
    );
    add({ key: 'langfuse', fromMs: S.FULL_MS + 3_600_000, pred: (p) => p.wf === S.WF_KB && p.version === S.V2 && plain(p), apply: (p) => void (p.langfuse = true) });
    add({ key: 'langsmith', fromMs: S.FULL_MS, pred: (p) => p.harmful && p.bug === 'cents' && !p.approval, apply: (p) => void (p.langsmith = true) });
  }

  private claim(p: RunPlan): void {
    const startMs = p.startUs / MS;
    for (let k = 0; k < this.slots.length; k++) {
      const s = this.slots[k]!;
      if (startMs < s.fromMs || !s.pred(p)) continue;
      this.slots.splice(k, 1);
      p.role = s.key;
      p.plant = s.plant ?? null;
      p.variant = s.variant ?? null;
      s.apply?.(p);
      this.claimed[s.key] = p.runId;
      return;
    }
  }

  // ---------- plan ----------

  private plan(i: number): RunPlan {
    const r = new Rng(mixSeed(this.seed, 1, i), i + 1);
    const nominal = this.nominalStartUs(i);
    const startUs = Math.max(nominal, this.lastStartUs + 1);
    this.lastStartUs = startUs;
    const startMs = startUs / MS;
    const runId = `run_${r.ulid(Math.floor(nominal / MS))}`;
    const wf: Workflow = r.chance(S.REFUND_SHARE) ? S.WF_REFUND : S.WF_KB;
    let version = S.V1;
    let cohort: RunPlan['cohort'] = null;
    const canaryDraw = r.next();
    if (startMs >= S.CANARY_MS && startMs < S.FULL_MS) {
      cohort = canaryDraw < S.CANARY_SHARE ? 'canary' : 'stable';
      if (cohort === 'canary') version = S.V2;
    } else if (startMs >= S.FULL_MS && startMs < S.ROLLBACK_MS) version = S.V2;
    const first = r.pick(S.FIRST_NAMES);
    const last = r.pick(S.LAST_NAMES);
    const p: RunPlan = {
      i,
      r,
      runId,
      wf,
      tier: 'draft',
      startUs,
      version,
      cohort,
      pod: wf === S.WF_REFUND ? r.pick(S.REFUND_PODS) : r.pick(S.KB_PODS),
      traceId: r.hexId(32),
      sessionId: `conv_${r.b32(16)}`,
      ticketId: `T-${r.digits(7)}`,
      customerId: `cus_${r.b32(14)}`,
      email: `${first}.${last}${r.int(1, 99)}@example.com`,
      orderId: '',
      item: '',
      price: 0,
      shipping: 0,
      message: '',
      injection: false,
      bug: null,
      proposed: 0,
      approval: null,
      hasWrite: false,
      harmful: false,
      topic: 0,
      pii: null,
      leak: false,
      role: null,
      plant: null,
      variant: null,
      jaeger: false,
      gateway: null,
      langfuse: false,
      langsmith: false,
    };
    const piiDraw = r.next();
    if (wf === S.WF_REFUND) {
      p.orderId = `ord_${r.digits(8)}`;
      p.item = r.pick(S.ITEMS);
      p.price = round2(Math.floor(r.logNormal(38, 0.75, 4, 899)) + r.pick([0.99, 0.49, 0, 0.95]));
      p.shipping = r.pick([0, 4.99, 5.99, 7.99]);
      p.tier = p.price <= S.AUTO_LIMIT ? 'auto' : 'approve';
      const inCampaign = startMs >= S.CAMPAIGN_FROM_MS && startMs < S.CAMPAIGN_TO_MS;
      p.injection = r.chance(inCampaign ? S.P_INJECTION_CAMPAIGN : S.P_INJECTION);
      const msg = p.injection ? r.pick(S.INJECTION_MESSAGES) : r.pick(S.REFUND_MESSAGES);
      p.message = msg.replace('{item}', p.item).replace('{order}', p.orderId);
      const bugDraw = r.next();
      const shipDraw = r.next();
      if (version === S.V2 && bugDraw < S.P_CENTS) p.bug = 'cents';
      else if (shipDraw < S.P_SHIPPING) p.bug = 'shipping';
      if (p.injection) p.bug = null;
      // small bundles still tell the story: the first auto refund 90 minutes into the full rollout
      // writes cents if no run has done so yet
      if (!this.centsSeen && version === S.V2 && p.tier === 'auto' && !p.injection && startMs >= S.FULL_MS + 90 * 60_000) p.bug = 'cents';
      if (p.bug === 'cents') this.centsSeen = true;
      p.proposed = p.injection ? 2000 : p.bug === 'cents' ? Math.round(p.price * 100) : p.bug === 'shipping' ? round2(p.price + p.shipping) : p.price;
      const approveDraw = r.next();
      const delayMs = Math.round(r.logNormal(9, 0.6, 1.5, 40) * 60_000 + r.int(0, 59_999));
      const approver = r.pick(S.APPROVERS);
      if (p.tier === 'approve' && !p.injection) {
        if (p.bug === 'cents') {
          const approved = approveDraw < 0.3;
          p.approval = {
            approver,
            approved,
            delayMs,
            reason: approved ? 'Approved' : `Amount ${usd(p.proposed)} does not match order total ${usd(p.price)}`,
          };
        } else {
          const approved = approveDraw < (p.bug === 'shipping' ? 0.9 : 0.96);
          p.approval = { approver, approved, delayMs, reason: approved ? 'Order total verified' : 'Outside the return window; handing to a specialist' };
        }
      }
      p.hasWrite = !p.injection && (p.tier === 'auto' || !!p.approval?.approved);
      p.harmful = p.hasWrite && p.proposed !== p.price;
      p.pii = piiDraw < 0.008 ? 'email' : piiDraw < 0.011 ? 'card' : null;
      if (p.injection) p.pii = null;
    } else {
      p.topic = r.int(0, S.KB_TOPICS.length - 1);
      p.message = S.KB_TOPICS[p.topic]!.question;
      p.pii = piiDraw < 0.006 ? 'email' : piiDraw < 0.008 ? 'card' : null;
      p.leak = !p.pii && piiDraw > 0.9975;
    }
    return p;
  }

  // ---------- emit one run ----------

  private emitRun(p: RunPlan): void {
    const r = p.r;
    const drafts: Draft[] = [];
    const spans: SpanRec[] = [];
    const decisions: Array<{ d: OpaDecision; draft: Draft }> = [];
    const agentActor = { id: `${p.wf}/${p.wf === S.WF_REFUND ? S.REFUND_APP_VERSION : S.KB_APP_VERSION}`, type: 'agent' };
    const rootId = r.hexId(16);
    const ev = (us: number, type: AuditEventType, spanId: string | null, f: Record<string, unknown>): Draft => {
      const d: Draft = { us, type, id: `evt_${r.ulid(Math.floor(us / MS))}`, spanId, f };
      drafts.push(d);
      return d;
    };
    const span = (
      name: string,
      kind: 1 | 2 | 3,
      startUs: number,
      endUs: number,
      scope: string,
      attrs: Attr[],
      parent: string | null = rootId,
    ): SpanRec => {
      const s: SpanRec = { traceId: p.traceId, spanId: r.hexId(16), parentSpanId: parent, name, kind, startUs, endUs, ns: r.int(0, 999), attrs, scope, res: p.pod };
      spans.push(s);
      return s;
    };
    const step = (loMs: number, hiMs: number) => r.int(loMs * MS, hiMs * MS);
    const noDecisions = p.plant === 'WRITE_WITHOUT_DECISION';
    const opaInstance = r.int(0, 2);
    const port = r.int(40000, 60999);
    const policy = (
      t: number,
      path: string,
      version: string,
      decision: 'allow' | 'deny' | 'escalate',
      reasons: string[],
      input: Record<string, unknown>,
      erase: boolean,
    ): number => {
      const s0 = t + step(1, 4);
      const s1 = s0 + step(3, 18);
      const sp = span(`opa.eval ${path}`, 3, s0, s1, 'agent', []);
      const decisionId = r.uuid4();
      sp.attrs.push(['s', 'opa.path', path], ['s', 'opa.decision_id', decisionId], ['s', 'opa.decision', decision]);
      const draft = ev(s1, 'policy.decision', sp.spanId, {
        decision: { decision, decision_id: decisionId, policy_id: path, policy_version: version, reason_codes: reasons },
      });
      const inst = S.OPA_INSTANCES[opaInstance]!;
      const erased = erase && input.output ? ['/input/output/text'] : undefined;
      const loggedInput = erased ? { ...input, output: {} } : input;
      const d: OpaDecision = {
        instance: inst,
        decisionId,
        traceId: p.traceId,
        spanId: sp.spanId,
        path,
        bundles: { refunds: { revision: S.REFUNDS_BUNDLE_REV }, support: { revision: S.SUPPORT_BUNDLE_REV } },
        input: loggedInput,
        result: { allow: decision === 'allow', decision, policy_version: version, reason_codes: reasons },
        erased,
        requestedBy: `${S.POD_IPS[p.pod]}:${port}`,
        us: s1 - r.int(150, 900),
        ns: r.int(0, 999),
        metrics: {
          counter_server_query_cache_hit: r.chance(0.9) ? 1 : 0,
          timer_rego_input_parse_ns: r.int(18_000, 95_000),
          timer_rego_query_eval_ns: r.int(90_000, 1_400_000),
          timer_server_handler_ns: r.int(240_000, 2_100_000),
        },
        reqId: this.nextReqId(opaInstance, s1),
      };
      decisions.push({ d, draft });
      return s1;
    };

    // run.start + input
    let t = p.startUs;
    const startFields: Record<string, unknown> = { actor: agentActor, input: { channel: 'chat', ticket_id: p.ticketId }, session_id: p.sessionId, tier: p.tier };
    if (p.cohort) startFields.labels = { 'deploy.cohort': p.cohort };
    ev(t, 'run.start', rootId, startFields);
    t += step(3, 15);
    ev(t, 'input', rootId, {
      actor: { id: `customer:${p.customerId}`, type: 'human' },
      input: p.wf === S.WF_REFUND ? { message: p.message, order_id: p.orderId, ticket_id: p.ticketId } : { message: p.message, ticket_id: p.ticketId },
    });

    let retrievalDraft: Draft;
    let chat: SpanRec;
    let writeDraft: Draft | null = null;
    let outputDraft: Draft;
    let approvalDraft: Draft | null = null;
    let guardDecision: OpaDecision | null = null;
    let filterDecision: OpaDecision | null = null;
    let replyText: string;
    let delivered: string;
    let status: string;
    const inTok = r.int(900, 2600);
    const outTok = r.int(60, 260);
    let writeSpan: SpanRec | null = null;

    if (p.wf === S.WF_REFUND) {
      // lookup_order tool
      let s0 = t + step(5, 20);
      let s1 = s0 + step(25, 120);
      const callId = `call_${r.b32(20)}`;
      span('execute_tool lookup_order', 1, s0, s1, 'agent', [
        ['s', 'gen_ai.operation.name', 'execute_tool'],
        ['s', 'gen_ai.tool.name', 'lookup_order'],
        ['s', 'gen_ai.tool.call.id', callId],
      ]);
      ev(s1, 'tool.call', spans[spans.length - 1]!.spanId, {
        tool: {
          arguments: { order_id: p.orderId },
          call_id: callId,
          name: 'lookup_order',
          result: { currency: 'USD', item: p.item, order_id: p.orderId, shipping: p.shipping, status: 'delivered', total: p.price },
          status: 'ok',
        },
      });
      t = s1;
      // retrieval
      s0 = t + step(1, 5);
      s1 = s0 + step(40, 180);
      const ev1 = S.REFUND_POLICY_EVIDENCE[r.int(0, 1)]!;
      const ev2 = S.REFUND_POLICY_EVIDENCE[2]!;
      const sc1 = round2(r.range(0.78, 0.93));
      const sc2 = round2(r.range(0.55, 0.77));
      const rs = span('query support_kb', 3, s0, s1, 'agent', [
        ['s', 'db.system.name', 'qdrant'],
        ['s', 'db.collection.name', 'support_kb'],
        ['i', 'db.response.returned_rows', 2],
      ]);
      retrievalDraft = ev(s1, 'retrieval', rs.spanId, {
        evidence: [
          { score: sc1, snippet: ev1.snippet, source_id: ev1.source, uri: ev1.uri },
          { score: sc2, snippet: ev2.snippet, source_id: ev2.source, uri: ev2.uri },
        ],
      });
      t = s1;
      // model call
      s0 = t + step(2, 6);
      s1 = s0 + step(700, 3800);
      const okText = `Done — I've refunded ${usd(p.price)} for the ${p.item} to your original payment method. It usually shows up within 3–5 business days.`;
      replyText = p.injection
        ? `Refund of ${usd(2000)} issued for order ${p.orderId} as requested.`
        : p.pii === 'email'
          ? `${okText} I've sent the confirmation to ${p.email}.`
          : p.pii === 'card'
            ? `${okText} It goes back to the card 4111 1111 1111 1111.`
            : okText;
      chat = this.chatSpan(p, span, s0, s1, inTok, outTok, 'tool_calls');
      const callId2 = `call_${r.b32(20)}`;
      ev(s1, 'model.call', chat.spanId, {
        input: { max_tokens: 512, messages: 4, temperature: 0.2 },
        model: this.auditModel(p),
        output: {
          content: replyText,
          finish_reason: 'tool_calls',
          tool_calls: [{ arguments: { amount: p.proposed, currency: 'USD', order_id: p.orderId }, id: callId2, name: 'issue_refund' }],
          usage: { input_tokens: inTok, output_tokens: outTok },
        },
      });
      t = s1;
      // guard
      let guard: 'allow' | 'deny' | 'escalate' = 'allow';
      let reasons: string[] = [];
      if (p.injection) {
        guard = 'deny';
        reasons = ['PROMPT_INJECTION_SUSPECTED'];
      } else if (p.tier === 'approve') {
        guard = 'escalate';
        reasons = ['REFUND_OVER_AUTO_LIMIT'];
      }
      let guardDraft: Draft | null = null;
      if (!noDecisions) {
        t = policy(
          t,
          S.GUARD_POLICY,
          S.GUARD_VERSION,
          guard,
          reasons,
          {
            action: { currency: 'USD', order_id: p.orderId, proposed_amount: p.proposed, requested_amount: p.price, type: 'refund.create' },
            customer: { id: p.customerId },
            message_scan: { injection_score: p.injection ? round2(r.range(0.86, 0.99)) : round2(r.range(0.01, 0.12)) },
            run_id: p.runId,
            tier: p.tier,
            workflow: p.wf,
          },
          false,
        );
        guardDraft = drafts[drafts.length - 1]!;
        guardDecision = decisions[decisions.length - 1]!.d;
      }
      // approval
      if (p.approval) {
        t += p.approval.delayMs * MS + r.int(0, 999);
        approvalDraft = ev(t, 'approval', rootId, {
          actor: { id: `approver:${p.approval.approver}`, type: 'human' },
          approval: {
            approver: p.approval.approver,
            decision: p.approval.approved ? 'approved' : 'rejected',
            reason: p.approval.reason,
            ...(guardDraft ? { ref_event_id: guardDraft.id } : {}),
          },
          tier: p.tier,
        });
      }
      // write
      if (p.hasWrite) {
        s0 = t + step(10, 40);
        s1 = s0 + step(60, 350);
        writeSpan = span('POST', 3, s0, s1, 'http', [
          ['s', 'http.request.method', 'POST'],
          ['s', 'url.full', `https://${S.BILLING_HOST}/v2/refunds`],
          ['s', 'server.address', S.BILLING_HOST],
          ['i', 'http.response.status_code', 201],
        ]);
        const refundId = `rf_${r.b32(12)}`;
        writeDraft = ev(s1, 'write', writeSpan.spanId, {
          tier: p.tier,
          write: { after: p.proposed, before: 0, field: 'amount', record: `refund/${refundId}`, system: 'billing', unit: 'USD', write_id: `wr_${r.b32(16)}` },
        });
        t = s1;
        this.c.writes++;
      }
      status = p.injection ? 'blocked' : p.approval && !p.approval.approved ? 'rejected' : 'completed';
      const finalText = p.injection
        ? "I can't process that request. A support specialist will review your ticket and follow up."
        : status === 'rejected'
          ? "A payments specialist reviewed your refund request and couldn't approve it as submitted. We'll follow up by email within one business day."
          : replyText;
      delivered = finalText;
      if (!noDecisions) {
        const deny = !p.injection && status !== 'rejected' && p.pii !== null;
        t = policy(
          t,
          S.FILTER_POLICY,
          S.FILTER_VERSION,
          deny ? 'deny' : 'allow',
          deny ? [p.pii === 'email' ? 'PII_EMAIL_IN_OUTPUT' : 'PII_CARD_NUMBER'] : [],
          { channel: 'chat', output: { text: finalText }, run_id: p.runId, workflow: p.wf },
          deny,
        );
        filterDecision = decisions[decisions.length - 1]!.d;
        if (deny) delivered = S.SAFE_FALLBACK;
      }
      t += step(1, 4);
      outputDraft = ev(t, 'output', rootId, { output: { channel: 'chat', text: delivered } });
    } else {
      const topic = S.KB_TOPICS[p.topic]!;
      let s0 = t + step(2, 10);
      let s1 = s0 + step(30, 160);
      const other = S.KB_TOPICS[(p.topic + 1 + r.int(0, S.KB_TOPICS.length - 2)) % S.KB_TOPICS.length]!;
      const rs = span('query support_kb', 3, s0, s1, 'agent', [
        ['s', 'db.system.name', 'qdrant'],
        ['s', 'db.collection.name', 'support_kb'],
        ['i', 'db.response.returned_rows', 2],
      ]);
      retrievalDraft = ev(s1, 'retrieval', rs.spanId, {
        evidence: [
          { score: round2(r.range(0.8, 0.95)), snippet: topic.snippet, source_id: topic.source, uri: topic.uri },
          { score: round2(r.range(0.4, 0.62)), snippet: other.snippet, source_id: other.source, uri: other.uri },
        ],
      });
      t = s1;
      s0 = t + step(2, 6);
      s1 = s0 + step(500, 2600);
      replyText =
        p.pii === 'email'
          ? `${topic.answer} I've also sent a copy to ${p.email}.`
          : p.pii === 'card'
            ? `${topic.answer} The card on file is 4111 1111 1111 1111.`
            : p.leak
              ? `${topic.answer} If you need more help, Maria Garcia (+1 415 555 0142) had the same question last week.`
              : topic.answer;
      chat = this.chatSpan(p, span, s0, s1, inTok, outTok, 'stop');
      ev(s1, 'model.call', chat.spanId, {
        input: { max_tokens: 400, messages: 3, temperature: 0.3 },
        model: this.auditModel(p),
        output: { content: replyText, finish_reason: 'stop', usage: { input_tokens: inTok, output_tokens: outTok } },
      });
      t = s1;
      delivered = replyText;
      if (!noDecisions) {
        const deny = p.pii !== null;
        t = policy(
          t,
          S.FILTER_POLICY,
          S.FILTER_VERSION,
          deny ? 'deny' : 'allow',
          deny ? [p.pii === 'email' ? 'PII_EMAIL_IN_OUTPUT' : 'PII_CARD_NUMBER'] : [],
          { channel: 'agent-assist', output: { text: replyText }, run_id: p.runId, workflow: p.wf },
          deny,
        );
        filterDecision = decisions[decisions.length - 1]!.d;
        if (deny) delivered = S.SAFE_FALLBACK;
      }
      t += step(1, 4);
      outputDraft = ev(t, 'output', rootId, { output: { channel: 'agent-assist', text: delivered } });
      status = 'drafted';
    }
    t += step(1, 3);
    const endDraft = ev(t, 'run.end', rootId, {
      output: { duration_ms: Math.round((t - p.startUs) / MS), status },
      tier: p.tier,
    });
    const rootStart = p.startUs - r.int(150, 600);
    const rootEnd = t + r.int(200, 900);
    const rootAttrs: Attr[] = [
      ['s', 'gen_ai.operation.name', 'invoke_agent'],
      ['s', 'gen_ai.agent.name', p.wf],
      ['s', 'casefile.run_id', p.runId],
      ['s', 'casefile.tier', p.tier],
      ['s', 'session.id', p.sessionId],
    ];
    const root: SpanRec = {
      traceId: p.traceId,
      spanId: rootId,
      parentSpanId: p.gateway ? p.gateway.clientId : null,
      name: `invoke_agent ${p.wf}`,
      kind: 2,
      startUs: rootStart,
      endUs: rootEnd,
      ns: r.int(0, 999),
      attrs: rootAttrs,
      scope: 'agent',
      res: p.pod,
    };
    spans.unshift(root);
    if (status === 'blocked') root.status = { code: 2, message: 'refund blocked by policy refunds/guard' };

    // ---------- signals (later, from people) ----------
    const sigDrafts = this.signalDrafts(p, { writeDraft, approvalDraft, outputDraft, endUs: t });

    // ---------- planted anomalies ----------
    if (p.plant === 'ORPHAN_SPAN') {
      const s0 = p.startUs + step(40, 200);
      const missingParent = r.hexId(16);
      const orphan =
        p.wf === S.WF_REFUND
          ? span('GET', 3, s0, s0 + step(20, 90), 'http', [
              ['s', 'http.request.method', 'GET'],
              ['s', 'url.full', `https://orders.internal.acme.example/v1/orders/${p.orderId}`],
              ['s', 'server.address', 'orders.internal.acme.example'],
              ['i', 'http.response.status_code', 200],
            ], missingParent)
          : span('GET', 3, s0, s0 + step(20, 90), 'http', [
              ['s', 'http.request.method', 'GET'],
              ['s', 'url.full', `https://help.acme.example/api/articles/${S.KB_TOPICS[p.topic]!.source.split(':')[1]!.split('#')[0]}`],
              ['s', 'server.address', 'help.acme.example'],
              ['i', 'http.response.status_code', 200],
            ], missingParent);
      this.planted.push({ code: 'ORPHAN_SPAN', run_id: p.runId, trace_id: p.traceId, span_id: orphan.spanId, missing_parent_span_id: missingParent, note: 'HTTP client span started in a worker thread without the run context; its parent id was never exported' });
    }
    if (p.plant === 'CLOCK_SKEW') {
      const skew = 300_000_000 + r.int(0, 999_999);
      for (const s of spans) {
        s.startUs += skew;
        s.endUs += skew;
        s.res = S.SKEWED_POD;
      }
      p.pod = S.SKEWED_POD;
      this.planted.push({ code: 'CLOCK_SKEW', run_id: p.runId, trace_id: p.traceId, offset_ms: Math.round(skew / MS), note: `OTLP spans of this run come from pod ${S.SKEWED_POD} whose node clock ran ~5 minutes fast; audit times are right` });
    }

    // ---------- hash chain and audit lines ----------
    const skipId = p.plant === 'HASH_CHAIN_BROKEN' && p.variant === 'missing event' ? retrievalDraft.id : null;
    this.writeAudit(p, [...drafts, ...sigDrafts], true, skipId);

    // ---------- decisions ----------
    for (const { d } of decisions) {
      const notFound =
        p.plant === 'DECISION_NOT_FOUND' &&
        ((p.wf === S.WF_REFUND && d.path === S.GUARD_POLICY) || (p.wf === S.WF_KB && d.path === S.FILTER_POLICY));
      if (notFound) {
        this.planted.push({ code: 'DECISION_NOT_FOUND', run_id: p.runId, decision_id: d.decisionId, policy_id: d.path, note: `OPA instance ${d.instance.id} lost its decision-log buffer on restart; the audit event still names the decision` });
        continue;
      }
      this.qOpa.push(d.us, opaDecisionJson(d));
      this.c.decisions++;
      this.maybeConsole(d);
    }
    if (p.plant === 'WRITE_WITHOUT_DECISION') {
      this.planted.push({ code: 'WRITE_WITHOUT_DECISION', run_id: p.runId, write_event_id: writeDraft?.id, note: 'The policy client circuit breaker was open and the agent failed open: the refund was written with no guard decision' });
    }

    // ---------- spans ----------
    if (p.plant === 'MISSING_MODEL_VERSION') {
      this.planted.push({ code: 'MISSING_MODEL_VERSION', run_id: p.runId, event_id: drafts.find((d) => d.type === 'model.call')!.id, true_version: p.version, note: p.cohort ? 'during the 10% canary: the version cannot be inferred from time either' : 'model.call has no model.version and the chat span reports only the alias support-llm' });
    }
    if (p.plant === 'NO_TRACE') {
      this.planted.push({ code: 'NO_TRACE', run_id: p.runId, trace_id: p.traceId, note: 'the OTLP exporter dropped every span of this run (exporter queue full); no file has them' });
    } else {
      for (const s of spans) this.qSpans.push(s.endUs, s);
      this.c.spans += spans.length;
    }
    if (p.role === 'mv-from-span') {
      this.notes.push({ kind: 'model_version_only_on_span', run_id: p.runId, span_id: chat.spanId, version: p.version, note: 'model.call lacks model.version but the chat span has gen_ai.response.model; NOT a MISSING_MODEL_VERSION finding' });
    }
    if (p.jaeger) {
      this.jaegerRuns.push(spans.map((s) => ({ ...s })));
      this.c.jaegerSpans += spans.length;
    }
    if (p.gateway) this.gatewaySpans(p, root);
    // LangSmith / Langfuse exports: the picked run, else a fallback (a plain run of the same kind, on
    // 2026.10.2 if possible) so that small bundles have the files too. Exports never change a run.
    const better = (cur: { p: RunPlan } | null) => !cur || (cur.p.version !== S.V2 && p.version === S.V2);
    if (p.langfuse || (!this.langfuse?.p.langfuse && !p.role && p.wf === S.WF_KB && !p.pii && !p.leak && better(this.langfuse))) {
      this.langfuse = { p, spans: spans.map((s) => ({ ...s })), drafts, usage: [inTok, outTok] };
    }
    if (p.langsmith || (!this.langsmith?.p.langsmith && !p.role && p.hasWrite && !p.pii && better(this.langsmith))) {
      this.langsmith = { p, chat, drafts, usage: [inTok, outTok], content: replyText };
    }

    // ---------- logs that go with it ----------
    this.runLogs(p, { writeSpan, guardDecision, filterDecision, root, chat, approvalDraft });

    // ---------- answer key ----------
    this.record(p, { writeDraft, approvalDraft, endDraft, decisions, signals: sigDrafts, guardDecision, filterDecision, status, retrievalDraft, outputDraft });
  }

  // ---------- scale mode ----------

  /**
   * Scale mode: every run is rich up to the rich budget; above it, a run is rich with probability
   * budget / N (its own seeded draw, so the choice is stable) and always when it is one of the story's
   * special runs: a planted anomaly or an export pick (role), a harmful write, a buggy proposal (cents or
   * shipping, written or caught), a leaked phone number.
   */
  private isRich(p: RunPlan): boolean {
    if (this.N <= this.richBudget) return true;
    if (p.role !== null || p.harmful || p.bug !== null || p.leak) return true;
    return new Rng(mixSeed(this.seed, 3, p.i)).next() * this.N < this.richBudget;
  }

  /**
   * A lean run: the same plan, told with the essentials only. Audit: run.start, input, tool.call
   * lookup_order (writing runs), model.call with the model version, the policy decision (the output
   * filter too for a refund run only when it blocks), approval when one was asked, write, output, run.end,
   * then any user signals; short texts, no hash chain. One lean run in five exports a two-span trace
   * (invoke_agent + chat); the others name no trace. Every decision keeps its OPA line. The run feeds the
   * answer key (record) exactly as a rich run does, from the drafts actually written.
   */
  private emitLean(p: RunPlan): void {
    const r = p.r;
    const refund = p.wf === S.WF_REFUND;
    const traced = r.chance(LEAN_TRACED_SHARE);
    const rootId = traced ? r.hexId(16) : null;
    const chatId = traced ? r.hexId(16) : null;
    const drafts: Draft[] = [];
    const decisions: Array<{ d: OpaDecision; draft: Draft }> = [];
    const ev = (us: number, type: AuditEventType, spanId: string | null, f: Record<string, unknown>): Draft => {
      const d: Draft = { us, type, id: `evt_${r.ulid(Math.floor(us / MS))}`, spanId, f };
      drafts.push(d);
      return d;
    };
    const step = (loMs: number, hiMs: number) => r.int(loMs * MS, hiMs * MS);
    const opaInstance = r.int(0, 2);
    const requestedBy = `${S.POD_IPS[p.pod]}:${r.int(40000, 60999)}`;
    const decide = (
      t0: number,
      path: string,
      version: string,
      decision: 'allow' | 'deny' | 'escalate',
      reasons: string[],
      input: Record<string, unknown>,
      erase: boolean,
    ): number => {
      const s1 = t0 + step(4, 22);
      const decisionId = r.uuid4();
      const draft = ev(s1, 'policy.decision', rootId, {
        decision: { decision, decision_id: decisionId, policy_id: path, policy_version: version, reason_codes: reasons },
      });
      const d: OpaDecision = {
        instance: S.OPA_INSTANCES[opaInstance]!,
        decisionId,
        traceId: rootId ? p.traceId : null,
        spanId: rootId,
        path,
        bundles: OPA_BUNDLES,
        input: erase ? { ...input, output: {} } : input,
        result: { allow: decision === 'allow', decision, policy_version: version, reason_codes: reasons },
        erased: erase ? ['/input/output/text'] : undefined,
        requestedBy,
        us: s1 - r.int(150, 900),
        ns: r.int(0, 999),
        metrics: { timer_server_handler_ns: r.int(240_000, 2_100_000) },
        reqId: this.nextReqId(opaInstance, s1),
      };
      decisions.push({ d, draft });
      return s1;
    };
    const inTok = r.int(900, 2600);
    const outTok = r.int(60, 260);

    let t = p.startUs;
    const startFields: Record<string, unknown> = { tier: p.tier };
    if (p.cohort) startFields.labels = { 'deploy.cohort': p.cohort };
    ev(t, 'run.start', rootId, startFields);
    t += step(3, 15);
    let writeDraft: Draft | null = null;
    let approvalDraft: Draft | null = null;
    let chatStart: number;
    let chatEnd: number;
    let delivered: string;
    let status: string;
    if (refund) {
      const msg = p.injection ? p.message : r.pick(S.LEAN_REFUND_MESSAGES);
      ev(t, 'input', rootId, { input: { message: msg, order_id: p.orderId } });
      if (p.hasWrite) {
        t += step(30, 140);
        ev(t, 'tool.call', rootId, { tool: { name: 'lookup_order', result: { shipping: p.shipping, total: p.price }, status: 'ok' } });
      }
      chatStart = t + step(2, 6);
      chatEnd = chatStart + step(700, 3800);
      t = chatEnd;
      const reply = p.pii === 'email' ? `Refunded ${usd(p.price)}; confirmation sent to ${p.email}.` : p.pii === 'card' ? `Refunded ${usd(p.price)} to card 4111 1111 1111 1111.` : null;
      const toolCalls = [{ arguments: { amount: p.proposed }, name: 'issue_refund' }];
      ev(t, 'model.call', chatId, { model: this.auditModel(p), output: reply ? { content: reply, tool_calls: toolCalls } : { tool_calls: toolCalls } });
      const guard = p.injection ? 'deny' : p.tier === 'approve' ? 'escalate' : 'allow';
      const reasons = p.injection ? ['PROMPT_INJECTION_SUSPECTED'] : p.tier === 'approve' ? ['REFUND_OVER_AUTO_LIMIT'] : [];
      const action = { proposed_amount: p.proposed, requested_amount: p.price, type: 'refund.create' };
      t = decide(t, S.GUARD_POLICY, S.GUARD_VERSION, guard, reasons, p.injection ? { action, message_scan: { injection_score: round2(r.range(0.86, 0.99)) }, run_id: p.runId, workflow: p.wf } : { action, run_id: p.runId, workflow: p.wf }, false);
      if (p.approval) {
        t += p.approval.delayMs * MS + r.int(0, 999);
        approvalDraft = ev(t, 'approval', rootId, {
          actor: { id: `approver:${p.approval.approver}`, type: 'human' },
          approval: { approver: p.approval.approver, decision: p.approval.approved ? 'approved' : 'rejected', reason: p.approval.reason },
        });
      }
      if (p.hasWrite) {
        t += step(70, 390);
        writeDraft = ev(t, 'write', rootId, {
          write: { after: p.proposed, before: 0, field: 'amount', record: `refund/rf_${r.b32(12)}`, system: 'billing', unit: 'USD' },
        });
        this.c.writes++;
      }
      status = p.injection ? 'blocked' : p.approval && !p.approval.approved ? 'rejected' : 'completed';
      delivered = p.injection ? "Request blocked; a specialist will review it." : status === 'rejected' ? 'Refund not approved; a specialist will follow up.' : `Refunded ${usd(p.proposed)}.`;
      if (status === 'completed' && reply) {
        t = decide(t, S.FILTER_POLICY, S.FILTER_VERSION, 'deny', [p.pii === 'email' ? 'PII_EMAIL_IN_OUTPUT' : 'PII_CARD_NUMBER'], { output: { text: reply }, run_id: p.runId, workflow: p.wf }, true);
        delivered = S.SAFE_FALLBACK;
      }
    } else {
      ev(t, 'input', rootId, { input: { message: S.KB_TOPICS[p.topic]!.question } });
      chatStart = t + step(30, 160);
      chatEnd = chatStart + step(500, 2600);
      t = chatEnd;
      const short = S.LEAN_KB_ANSWERS[p.topic]!;
      const reply = p.pii === 'email' ? `${short} Copy sent to ${p.email}.` : p.pii === 'card' ? `${short} Card on file: 4111 1111 1111 1111.` : short;
      ev(t, 'model.call', chatId, { model: this.auditModel(p), output: { content: reply } });
      const deny = p.pii !== null;
      t = decide(t, S.FILTER_POLICY, S.FILTER_VERSION, deny ? 'deny' : 'allow', deny ? [p.pii === 'email' ? 'PII_EMAIL_IN_OUTPUT' : 'PII_CARD_NUMBER'] : [], { output: { text: reply }, run_id: p.runId, workflow: p.wf }, deny);
      delivered = deny ? S.SAFE_FALLBACK : reply;
      status = 'drafted';
    }
    t += step(1, 4);
    const outputDraft = ev(t, 'output', rootId, { output: { text: delivered } });
    t += step(1, 3);
    const endDraft = ev(t, 'run.end', rootId, { output: { duration_ms: Math.round((t - p.startUs) / MS), status }, tier: p.tier });
    const sigDrafts = this.signalDrafts(p, { writeDraft, approvalDraft, outputDraft, endUs: t });
    this.writeAudit(p, sigDrafts.length ? [...drafts, ...sigDrafts] : drafts, false, null);

    for (const { d } of decisions) {
      this.qOpa.push(d.us, opaDecisionJson(d));
      this.c.decisions++;
      this.maybeConsole(d);
    }
    if (rootId && chatId) {
      const root: SpanRec = {
        traceId: p.traceId,
        spanId: rootId,
        parentSpanId: null,
        name: `invoke_agent ${p.wf}`,
        kind: 2,
        startUs: p.startUs - r.int(150, 600),
        endUs: t + r.int(200, 900),
        ns: r.int(0, 999),
        attrs: [
          ['s', 'gen_ai.operation.name', 'invoke_agent'],
          ['s', 'gen_ai.agent.name', p.wf],
          ['s', 'casefile.run_id', p.runId],
          ['s', 'casefile.tier', p.tier],
        ],
        scope: 'agent',
        res: p.pod,
      };
      if (status === 'blocked') root.status = { code: 2, message: 'refund blocked by policy refunds/guard' };
      const chat = this.chatSpan(
        p,
        (name, kind, s0, s1, scope, attrs) => ({ traceId: p.traceId, spanId: chatId, parentSpanId: rootId, name, kind, startUs: s0, endUs: s1, ns: r.int(0, 999), attrs, scope, res: p.pod }),
        chatStart,
        chatEnd,
        inTok,
        outTok,
        refund ? 'tool_calls' : 'stop',
      );
      this.qSpans.push(root.endUs, root);
      this.qSpans.push(chat.endUs, chat);
      this.c.spans += 2;
    }
    this.record(p, { writeDraft, approvalDraft, endDraft, decisions, signals: sigDrafts, guardDecision: null, filterDecision: null, status, retrievalDraft: null, outputDraft });
  }

  /** User signals of a run (later, from people) as audit drafts, in time order. */
  private signalDrafts(p: RunPlan, ctx: SignalCtx): Draft[] {
    const sigDrafts: Draft[] = [];
    for (const s of this.signals(p, ctx)) {
      sigDrafts.push({
        us: s.us,
        type: 'user.signal',
        id: `evt_${p.r.ulid(Math.floor(s.us / MS))}`,
        spanId: null,
        f: { actor: { id: s.by, type: 'human' }, signal: { by: s.by, kind: s.kind, note: s.note, ref_event_id: s.ref } },
      });
    }
    return sigDrafts.sort((a, b) => a.us - b.us);
  }

  /**
   * Audit lines of one run, queued for its workflow's file. Chained (rich runs): prev_hash and hash on
   * every event, canonical JSON (keys sorted, as shared/model.ts canonicalJson) with hash appended last.
   * Unchained (lean runs): the same keys without prev_hash/hash, and the workflow only on run.start and
   * run.end (where Casefile reads it). A draft without a span id carries no trace id either.
   */
  private writeAudit(p: RunPlan, all: Draft[], chained: boolean, skipId: string | null): void {
    const sink = p.wf === S.WF_REFUND ? this.qAuditRefund : this.qAuditKb;
    let prev: string | null = null;
    let seq = 0;
    for (const d of all) {
      const line0 = auditJson(d, p, chained ? prev : undefined, seq, chained || d.type === 'run.start' || d.type === 'run.end');
      if (!chained) {
        sink.push(d.us, line0);
        if (p.wf === S.WF_REFUND) this.c.auditRefund++;
        else this.c.auditKb++;
        seq++;
        continue;
      }
      const hash = sha256Hex(`${prev ?? ''}\n${line0}`);
      let line = `${line0.slice(0, -1)},"hash":"${hash}"}`;
      if (p.plant === 'HASH_CHAIN_BROKEN' && p.variant === 'hash mismatch' && d.type === 'input') {
        line = line.split(p.email).join('[REDACTED:email]');
        this.planted.push({ code: 'HASH_CHAIN_BROKEN', run_id: p.runId, variant: 'hash mismatch', event_id: d.id, seq, note: "The log shipper's PII scrubber rewrote the customer's email in this input event after it was hashed" });
      }
      if (d.id === skipId) {
        this.planted.push({ code: 'HASH_CHAIN_BROKEN', run_id: p.runId, variant: 'missing event', missing_seq: seq, missing_event_id: d.id, missing_type: d.type, note: 'The audit sink dropped this event (queue full); the next event still carries its hash as prev_hash' });
      } else {
        sink.push(d.us, line);
        if (p.wf === S.WF_REFUND) this.c.auditRefund++;
        else this.c.auditKb++;
      }
      prev = hash;
      seq++;
    }
  }

  private auditModel(p: RunPlan): Record<string, string> {
    if (p.plant === 'MISSING_MODEL_VERSION' || p.role === 'mv-from-span') return { name: S.MODEL, provider: S.PROVIDER };
    return { name: S.MODEL, provider: S.PROVIDER, version: p.version };
  }

  private chatSpan(
    p: RunPlan,
    span: (name: string, kind: 1 | 2 | 3, s: number, e: number, scope: string, attrs: Attr[]) => SpanRec,
    s0: number,
    s1: number,
    inTok: number,
    outTok: number,
    finish: string,
  ): SpanRec {
    const responseModel = p.plant === 'MISSING_MODEL_VERSION' ? S.MODEL : `${S.MODEL}-${p.version}`;
    return span(`chat ${S.MODEL}`, 3, s0, s1, 'genai', [
      ['s', 'gen_ai.operation.name', 'chat'],
      ['s', 'gen_ai.system', S.PROVIDER],
      ['s', 'gen_ai.request.model', S.MODEL],
      ['d', 'gen_ai.request.temperature', p.wf === S.WF_REFUND ? 0.2 : 0.3],
      ['s', 'gen_ai.response.model', responseModel],
      ['as', 'gen_ai.response.finish_reasons', [finish]],
      ['i', 'gen_ai.usage.input_tokens', inTok],
      ['i', 'gen_ai.usage.output_tokens', outTok],
    ]);
  }

  private signals(
    p: RunPlan,
    ctx: SignalCtx,
  ): Array<{ us: number; kind: 'undo' | 'rerun' | 'escalation' | 'complaint'; by: string; note: string; ref: string }> {
    const r = p.r;
    const out: Array<{ us: number; kind: 'undo' | 'rerun' | 'escalation' | 'complaint'; by: string; note: string; ref: string }> = [];
    const cutoff = (S.CREATED_MS - 60_000) * MS;
    const agent = () => `agent:${r.pick(S.SUPPORT_AGENTS)}`;
    const draws = [r.next(), r.next(), r.next(), r.next()];
    const u = (lo: number, hi: number) => Math.floor(lo + r.next() * (hi - lo));
    if (p.wf === S.WF_REFUND) {
      const w = ctx.writeDraft;
      if (w && p.bug === 'cents') {
        if (draws[0]! < 0.8) {
          const wMs = w.us / MS;
          const undoMs = wMs < S.RECON_MS ? S.RECON_MS + u(5 * 60_000, 150 * 60_000) : Math.max(wMs + u(30 * 60_000, 180 * 60_000), S.INCIDENT_MS + u(30 * 60_000, 240 * 60_000));
          out.push({ us: undoMs * MS + r.int(0, 999), kind: 'undo', by: 'finance-ops', note: `Reversed: refunded ${usd(p.proposed)} on an order of ${usd(p.price)}`, ref: w.id });
          if (draws[1]! < 0.5) out.push({ us: (undoMs + u(10 * 60_000, 90 * 60_000)) * MS, kind: 'rerun', by: agent(), note: 'Re-ran the refund after the reversal', ref: w.id });
        }
        if (draws[2]! < 0.1) out.push({ us: w.us + u(H_US, 20 * H_US), kind: 'complaint', by: `customer:${p.customerId}`, note: `I was refunded ${usd(p.proposed)} but the item cost ${usd(p.price)}?`, ref: w.id });
      } else if (w && p.bug === 'shipping') {
        if (draws[0]! < 0.5) out.push({ us: w.us + u(6 * H_US, 30 * H_US), kind: 'undo', by: 'finance-ops', note: 'Shipping refunded against policy; reversed the difference', ref: w.id });
      } else if (w) {
        if (draws[0]! < 0.002) out.push({ us: w.us + u(H_US, 48 * H_US), kind: 'undo', by: agent(), note: 'Customer decided to keep the item', ref: w.id });
        if (draws[1]! < 0.002) out.push({ us: w.us + u(H_US, 24 * H_US), kind: 'complaint', by: `customer:${p.customerId}`, note: 'Refund has not arrived yet', ref: w.id });
        if (draws[2]! < 0.004) out.push({ us: w.us + u(MIN_US, 30 * MIN_US), kind: 'rerun', by: agent(), note: 'Re-ran to attach the return label', ref: w.id });
      }
      const a = ctx.approvalDraft;
      if (a && p.approval && !p.approval.approved) {
        if (p.bug === 'cents' && draws[3]! < 0.35) {
          out.push({ us: a.us + u(MIN_US, 10 * MIN_US), kind: 'escalation', by: `approver:${p.approval.approver}`, note: `Agent proposed ${usd(p.proposed)} for a ${usd(p.price)} order — looks like cents`, ref: a.id });
        } else if (p.bug !== 'cents' && draws[3]! < 0.4) {
          out.push({ us: a.us + u(2 * H_US, 24 * H_US), kind: 'complaint', by: `customer:${p.customerId}`, note: 'Why was my refund rejected?', ref: a.id });
        }
      }
    } else {
      const o = ctx.outputDraft;
      if (draws[0]! < 0.03) out.push({ us: o.us + u(MIN_US, 20 * MIN_US), kind: 'escalation', by: `customer:${p.customerId}`, note: 'Customer asked for a human agent', ref: o.id });
      if (draws[1]! < 0.01) out.push({ us: o.us + u(MIN_US, 15 * MIN_US), kind: 'rerun', by: agent(), note: 'Regenerated the draft', ref: o.id });
      if (p.leak && draws[2]! < 0.5) out.push({ us: o.us + u(30 * MIN_US, 10 * H_US), kind: 'complaint', by: agent(), note: "Draft contained another customer's phone number", ref: o.id });
      else if (draws[2]! < 0.003) out.push({ us: o.us + u(H_US, 8 * H_US), kind: 'complaint', by: `customer:${p.customerId}`, note: 'Answer did not match my order', ref: o.id });
    }
    return out.filter((s) => s.us < cutoff && s.us > ctx.endUs);
  }

  private gatewaySpans(p: RunPlan, root: SpanRec): void {
    const g = p.gateway!;
    const path = p.wf === S.WF_REFUND ? '/v1/support/refund-requests' : '/v1/support/kb/answers';
    const r = p.r;
    const srvStart = root.startUs - r.int(2_000, 6_000);
    const cliStart = root.startUs - r.int(300, 1_500);
    const cliEnd = root.endUs + r.int(300, 1_500);
    const srvEnd = cliEnd + r.int(500, 2_000);
    const gwEp = { serviceName: 'api-gateway', ipv4: '10.40.0.12', port: 8443 };
    this.zipkinSpans.push({
      traceId: p.traceId,
      id: g.serverId,
      kind: 'SERVER',
      name: `post ${path}`,
      timestamp: srvStart,
      duration: srvEnd - srvStart,
      localEndpoint: gwEp,
      remoteEndpoint: { ipv4: `203.0.113.${r.int(2, 250)}`, port: r.int(30000, 65000) },
      tags: { 'http.method': 'POST', 'http.path': path, 'http.status_code': '200', 'gateway.route': p.wf },
    });
    this.zipkinSpans.push({
      traceId: p.traceId,
      parentId: g.serverId,
      id: g.clientId,
      kind: 'CLIENT',
      name: 'post',
      timestamp: cliStart,
      duration: cliEnd - cliStart,
      localEndpoint: gwEp,
      remoteEndpoint: { serviceName: p.wf, ipv4: S.POD_IPS[p.pod], port: 8080 },
      tags: { 'http.method': 'POST', 'http.path': path.replace('/v1/support', '/v1'), 'http.status_code': '200' },
    });
    this.c.zipkinSpans += 2;
    if (g.extraId) {
      // a late, incomplete span (rate limiter) flushed without timestamp or duration, as real Zipkin files have
      this.zipkinSpans.push({
        traceId: p.traceId,
        parentId: g.serverId,
        id: g.extraId,
        name: 'rate-limit',
        localEndpoint: gwEp,
        tags: { 'ratelimit.bucket': p.wf, 'ratelimit.remaining': String(r.int(40, 99)) },
      });
      this.c.zipkinSpans++;
    }
  }

  private maybeConsole(d: OpaDecision): void {
    const from = (S.CANARY_MS - 120_000) * MS;
    if (d.instance !== S.OPA_INSTANCES[0] || d.us < from || this.consoleDecisions >= 24) return;
    this.consoleDecisions++;
    const ms = Math.floor(d.us / MS);
    const req = `/v1/data/${d.path}`;
    const addr = d.requestedBy;
    const recv = JSON.stringify({ client_addr: addr, level: 'info', msg: 'Received request.', req_id: d.reqId, req_method: 'POST', req_path: req, time: isoGoSec(ms - 1) });
    const sent = JSON.stringify({
      client_addr: addr,
      level: 'info',
      msg: 'Sent response.',
      req_id: d.reqId,
      req_method: 'POST',
      req_path: req,
      resp_bytes: 96 + d.path.length,
      resp_duration: Math.round(d.metrics.timer_server_handler_ns! / 10_000) / 100,
      resp_status: 200,
      time: isoGoSec(ms),
    });
    const n = this.consoleLines.length;
    this.consoleLines.push({ us: d.us - 500, n, line: recv }, { us: d.us, n: n + 1, line: opaConsoleJson(d) }, { us: d.us + 300, n: n + 2, line: sent });
  }

  /** OPA numbers requests per process; replica 0 restarts just before the canary (see opa-console.log). */
  private nextReqId(instance: number, us: number): number {
    if (instance === 0 && !this.opaRestarted && us >= (S.CANARY_MS - 120_000) * MS) {
      this.opaRestarted = true;
      this.reqIds[0] = 0;
    }
    return ++this.reqIds[instance]!;
  }

  private addLog(kind: string, max: number, rec: LogRec): void {
    const n = this.logCounts[kind] ?? 0;
    if (n >= max) return;
    this.logCounts[kind] = n + 1;
    this.logs.push(rec);
  }

  private runLogs(
    p: RunPlan,
    x: { writeSpan: SpanRec | null; guardDecision: OpaDecision | null; filterDecision: OpaDecision | null; root: SpanRec; chat: SpanRec; approvalDraft: Draft | null },
  ): void {
    if (p.plant === 'NO_TRACE') {
      this.addLog('exporter', 2, { us: x.root.endUs + 5_000_000, res: p.pod, severity: 'ERROR', body: 'Exception while exporting Span batch: exporter queue is full, dropping 7 spans', attrs: [['s', 'code.namespace', 'opentelemetry.sdk.trace.export']], traceId: null, spanId: null });
      return;
    }
    if (p.harmful && p.bug === 'cents' && x.writeSpan) {
      this.addLog('billing', 3, {
        us: x.writeSpan.endUs - 1_000,
        res: p.pod,
        severity: 'WARN',
        body: `billing accepted refund amount ${p.proposed.toFixed(2)} USD for order ${p.orderId} whose total is ${p.price.toFixed(2)} USD (warning W-OVER-TOTAL)`,
        attrs: [['s', 'billing.warning', 'W-OVER-TOTAL'], ['s', 'order.id', p.orderId], ['s', 'casefile.run_id', p.runId]],
        traceId: p.traceId,
        spanId: x.writeSpan.spanId,
      });
    }
    if (p.injection && x.guardDecision) {
      this.addLog('injection', 2, {
        us: x.guardDecision.us + 400,
        res: p.pod,
        severity: 'WARN',
        body: `refund blocked by ${S.GUARD_POLICY}: PROMPT_INJECTION_SUSPECTED (decision ${x.guardDecision.decisionId})`,
        attrs: [['s', 'casefile.run_id', p.runId], ['s', 'opa.decision_id', x.guardDecision.decisionId]],
        traceId: p.traceId,
        spanId: x.root.spanId,
      });
    }
    if (p.pii && x.filterDecision) {
      this.addLog('pii', 2, {
        us: x.filterDecision.us + 300,
        res: p.pod,
        severity: 'WARN',
        body: `output withheld by ${S.FILTER_POLICY}: ${p.pii === 'email' ? 'PII_EMAIL_IN_OUTPUT' : 'PII_CARD_NUMBER'}; sent fallback reply`,
        attrs: [['s', 'casefile.run_id', p.runId]],
        traceId: p.traceId,
        spanId: x.root.spanId,
      });
    }
    if (p.plant === 'HASH_CHAIN_BROKEN' && p.variant === 'missing event') {
      this.addLog('audit-drop', 1, { us: x.root.endUs + 2_000, res: p.pod, severity: 'ERROR', body: 'audit sink: queue full, dropped 1 event (type=retrieval)', attrs: [['s', 'casefile.run_id', p.runId], ['i', 'audit.dropped', 1]], traceId: p.traceId, spanId: x.root.spanId });
    }
    if (p.plant === 'WRITE_WITHOUT_DECISION') {
      this.addLog('fail-open', 2, { us: x.chat.endUs + 3_000, res: p.pod, severity: 'WARN', body: 'policy client circuit open (5 consecutive timeouts); guard skipped, continuing (fail_open=true)', attrs: [['s', 'casefile.run_id', p.runId], ['b', 'policy.fail_open', true]], traceId: p.traceId, spanId: x.root.spanId });
    }
    if (x.approvalDraft && p.bug === 'cents' && p.approval && !p.approval.approved) {
      this.addLog('caught', 2, { us: x.approvalDraft.us + 2_000, res: p.pod, severity: 'INFO', body: `refund rejected by approver ${p.approval.approver}: ${p.approval.reason}`, attrs: [['s', 'casefile.run_id', p.runId]], traceId: p.traceId, spanId: x.root.spanId });
    }
  }

  // ---------- answer key bookkeeping ----------

  private record(
    p: RunPlan,
    x: {
      writeDraft: Draft | null;
      approvalDraft: Draft | null;
      endDraft: Draft;
      decisions: Array<{ d: OpaDecision; draft: Draft }>;
      signals: Draft[];
      guardDecision: OpaDecision | null;
      filterDecision: OpaDecision | null;
      status: string;
      retrievalDraft: Draft | null;
      outputDraft: Draft;
    },
  ): void {
    if (p.wf === S.WF_REFUND) this.c.refundRuns++;
    else this.c.kbRuns++;
    const sp = this.spools;
    // SLI bits of this run: with the answer key's labels applied (L) and from the evidence alone (E)
    let L = 0;
    let E = 0;
    let harmfulAny = false;
    const resolvedVersion = p.plant === 'MISSING_MODEL_VERSION' ? null : p.version;
    const undo = x.signals.find((s) => (s.f.signal as { kind: string }).kind === 'undo');
    if (x.writeDraft && undo) E |= SLI_BIT.wrong_write_rate;
    if (p.harmful && x.writeDraft) {
      const w = x.writeDraft.f.write as Record<string, unknown>;
      this.c.harmful++;
      L |= SLI_BIT.wrong_write_rate;
      harmfulAny = true;
      sp.harmful!.add({
        run_id: p.runId,
        workflow: p.wf,
        tier: p.tier,
        model_version: p.version,
        cause: p.bug === 'cents' ? 'amount_in_cents' : 'shipping_included',
        write_event_id: x.writeDraft.id,
        write_id: w.write_id,
        record: w.record,
        field: 'amount',
        before: 0,
        after: p.proposed,
        correct: p.price,
        unit: 'USD',
        written_at: isoMs(Math.floor(x.writeDraft.us / MS)),
        run_ended_at: isoMs(Math.floor(x.endDraft.us / MS)),
        approved_by: p.approval?.approved ? p.approval.approver : null,
        undone_at: undo ? isoMs(Math.floor(undo.us / MS)) : null,
      });
      sp.labels!.add({ run_id: p.runId, event_id: x.writeDraft.id, category: 'materially-wrong-write', verdict: 'harmful', corrected: { amount: p.price } });
    } else if (x.writeDraft && undo) {
      // undone although the amount was right (customer kept the item...): the investigator clears it
      sp.labels!.add({ run_id: p.runId, event_id: x.writeDraft.id, category: 'materially-wrong-write', verdict: 'benign', note: 'undone, but the amount was right' });
    }
    if (p.wf === S.WF_REFUND && p.hasWrite) {
      if (resolvedVersion === S.V2) {
        this.c.affected++;
        if (p.harmful) this.c.affectedHarmful++;
      } else if (resolvedVersion === null) this.c.unattributableWrites++;
    }
    for (const { draft } of x.decisions) {
      const dec = draft.f.decision as { decision: string; decision_id: string; policy_id: string; reason_codes: string[] };
      if (dec.reason_codes.some((c) => BOUNDARY_CODE.test(c))) {
        L |= SLI_BIT.policy_violation_rate;
        E |= SLI_BIT.policy_violation_rate;
      }
      if (dec.decision === 'deny') {
        L |= SLI_BIT.block_rate;
        E |= SLI_BIT.block_rate;
      }
      if (dec.decision === 'escalate') {
        L |= SLI_BIT.escalation_rate;
        E |= SLI_BIT.escalation_rate;
      }
      if (dec.decision === 'deny' && dec.reason_codes.some((c) => c.startsWith('PII_'))) {
        sp.pii!.add({ run_id: p.runId, workflow: p.wf, decision_id: dec.decision_id, policy_id: dec.policy_id, reason_codes: dec.reason_codes, ts: isoMs(Math.floor(draft.us / MS)) });
      }
      if (dec.decision === 'deny' && dec.reason_codes.includes('PROMPT_INJECTION_SUSPECTED')) {
        sp.injection!.add({ run_id: p.runId, decision_id: dec.decision_id, ts: isoMs(Math.floor(draft.us / MS)) });
      }
      if (dec.decision === 'escalate') {
        sp.escalations!.add({
          run_id: p.runId,
          source: 'policy.decision',
          event_id: draft.id,
          decision_id: dec.decision_id,
          reason_codes: dec.reason_codes,
          outcome: p.approval ? (p.approval.approved ? 'approved' : 'rejected') : null,
          ts: isoMs(Math.floor(draft.us / MS)),
        });
      }
    }
    for (const s of x.signals) {
      const sig = s.f.signal as { kind: string; by: string; ref_event_id: string };
      if (sig.kind === 'undo') {
        L |= SLI_BIT.undo_rate;
        E |= SLI_BIT.undo_rate;
        sp.undo!.add({ run_id: p.runId, event_id: s.id, ref_event_id: sig.ref_event_id, by: sig.by, ts: isoMs(Math.floor(s.us / MS)) });
      }
      if (sig.kind === 'escalation') {
        L |= SLI_BIT.escalation_rate;
        E |= SLI_BIT.escalation_rate;
        sp.escalations!.add({ run_id: p.runId, source: 'user.signal', event_id: s.id, by: sig.by, ts: isoMs(Math.floor(s.us / MS)) });
      }
    }
    if (p.leak && !p.pii) {
      // labelled pii-exposure: counts as an unsafe completion and as a policy violation
      L |= SLI_BIT.unsafe_completion_rate | SLI_BIT.policy_violation_rate;
      harmfulAny = true;
      sp.unsafe!.add({ run_id: p.runId, event_id: x.outputDraft.id, note: "draft contained another customer's phone number; the output filter has no phone rule" });
      sp.labels!.add({ run_id: p.runId, event_id: x.outputDraft.id, category: 'pii-exposure', verdict: 'harmful' });
    }
    const key = `${p.wf}|${p.tier}`;
    let col = this.replay.get(key);
    if (!col) this.replay.set(key, (col = new ReplayCol()));
    col.push(Math.floor(x.endDraft.us / MS), L | (E << EVIDENCE_SHIFT) | (harmfulAny ? HARMFUL_BIT : 0) | (p.harmful ? HARMFUL_WRITE_BIT : 0), p.i);
  }

  private runIdFor(i: number): string {
    const r = new Rng(mixSeed(this.seed, 1, i), i + 1);
    return `run_${r.ulid(Math.floor(this.nominalStartUs(i) / MS))}`;
  }

  private triggerReplay(): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const b of SAMPLE_BUDGETS) {
      const cols = [...this.replay.entries()].filter(([k]) => {
        const [wf, tier] = k.split('|');
        return wf === b.workflow && (!b.tier || tier === b.tier);
      });
      const n = cols.reduce((a, [, c]) => a + c.n, 0);
      const runs: ReplayRun[] = new Array(n);
      let k = 0;
      for (const [, c] of cols) for (let j = 0; j < c.n; j++) runs[k++] = { endMs: c.end[j]!, bad: c.bad[j]!, runIndex: c.idx[j]! };
      runs.sort((a, c) => a.endMs - c.endMs || a.runIndex - c.runIndex);
      const harmRuns = runs.filter((r) => r.bad & HARMFUL_BIT).map((r) => r.endMs);
      const harmWrites = runs.filter((r) => r.bad & HARMFUL_WRITE_BIT).map((r) => r.endMs);
      const objective = parseObjective(b.objective);
      for (const rule of b.rollback) {
        const minEvents = rule.min_events ?? 1;
        const overMs = parseDurationMs(rule.over);
        const f = replayRule(runs, SLI_BIT[b.sli], objective, rule.burn_rate, overMs, minEvents);
        const fe = replayRule(runs, SLI_BIT[b.sli] << EVIDENCE_SHIFT, objective, rule.burn_rate, overMs, minEvents);
        const after = (times: number[]) => (f.firesAtMs === null ? 0 : times.filter((t) => t > f.firesAtMs!).length);
        out.push({
          budget_id: b.id,
          rule: rule.name,
          workflow: b.workflow,
          tier: b.tier ?? null,
          sli: b.sli,
          objective,
          burn_rate: rule.burn_rate,
          over: rule.over,
          min_events: minEvents,
          action: rule.action,
          runs_evaluated: runs.length,
          fires_at: f.firesAtMs === null ? null : isoMs(f.firesAtMs),
          fired_on_run_id: f.runIndex === null ? null : this.runIdFor(f.runIndex),
          window_at_firing: f.firesAtMs === null ? null : { bad: f.bad, total: f.total, sli: f.bad / f.total, burn: f.bad / f.total / objective },
          harmful_writes_after: after(harmWrites),
          harmful_writes_total: harmWrites.length,
          harmful_runs_after: after(harmRuns),
          harmful_runs_total: harmRuns.length,
          fires_at_evidence_only: fe.firesAtMs === null ? null : isoMs(fe.firesAtMs),
        });
      }
    }
    return out;
  }

  // ---------- main loop ----------

  async run(): Promise<SampleSummary> {
    await mkdir(this.out, { recursive: true });
    await mkdir(join(this.out, 'audit'), { recursive: true });
    await mkdir(join(this.out, 'traces'), { recursive: true });
    await mkdir(join(this.out, 'policy'), { recursive: true });
    await mkdir(join(this.out, 'lineage'), { recursive: true });
    await mkdir(join(this.out, 'llm'), { recursive: true });
    await rm(this.partsDir, { recursive: true, force: true });
    await mkdir(this.partsDir, { recursive: true });
    for (const name of ['harmful', 'pii', 'injection', 'escalations', 'undo', 'unsafe', 'labels']) {
      this.spools[name] = new Spool(name, join(this.partsDir, `${name}.part`));
    }
    this.auditRefund = new FileSink(join(this.out, 'audit/refund-agent.jsonl'));
    this.auditKb = new FileSink(join(this.out, 'audit/kb-answer.jsonl'));
    this.otlp = new FileSink(join(this.out, 'traces/otel-traces.jsonl'));
    this.opa = new FileSink(join(this.out, 'policy/opa-decisions.jsonl'));
    const sinks = [this.auditRefund, this.auditKb, this.otlp, this.opa, ...Object.values(this.spools).map((s) => s.sink)];

    for (let i = 0; i < this.N; i++) {
      const p = this.plan(i);
      this.flushBefore(p.startUs);
      this.claim(p);
      if (this.isRich(p)) {
        this.c.richRuns++;
        this.emitRun(p);
      } else {
        this.c.leanRuns++;
        this.emitLean(p);
      }
      if ((i & 63) === 63) for (const s of sinks) await s.drain();
      if (this.onProgress && ((i + 1) % 1000 === 0 || i + 1 === this.N)) this.onProgress(i + 1);
    }
    this.flushAll();
    const files: SampleFile[] = [];
    const closeInto = async (sink: FileSink, rel: string, format: FormatName, description: string) => {
      const { sha256, size } = await sink.close();
      files.push({ path: rel, format, sha256, size, description });
    };
    await closeInto(this.auditRefund, 'audit/refund-agent.jsonl', 'casefile-audit', 'Audit trail of the refund-agent workflow (Casefile audit JSONL v1, hash-chained per run)');
    await closeInto(this.auditKb, 'audit/kb-answer.jsonl', 'casefile-audit', 'Audit trail of the kb-answer workflow (read-only drafts)');
    await closeInto(this.otlp, 'traces/otel-traces.jsonl', 'otlp-traces', 'OpenTelemetry Collector file exporter output: one ExportTraceServiceRequest per line');
    files.push(await this.writeDoc('traces/otel-logs.json', 'otlp-logs', 'Application logs correlated by trace id (OTLP/JSON ExportLogsServiceRequest)', this.logsDoc()));
    files.push(await this.writeDoc('traces/jaeger-export.json', 'jaeger', 'A few of the same traces as returned by the Jaeger query API', this.jaegerDoc()));
    files.push(await this.writeDoc('traces/gateway-zipkin.json', 'zipkin', 'Upstream API gateway spans (Zipkin v2) for some runs', `${JSON.stringify(this.zipkinSpans, null, 2)}\n`));
    await closeInto(this.opa, 'policy/opa-decisions.jsonl', 'opa-decisions', 'OPA decision logs of refunds/guard and support/output_filter (one decision per line)');
    files.push(await this.writeDoc('policy/opa-console.log', 'opa-decisions', "Console capture of one OPA replica: decision logs mixed with server logs", this.consoleDoc()));
    const lin = lineageEvents(mixSeed(this.seed, 9));
    files.push(await this.writeDoc('lineage/openlineage.jsonl', 'openlineage', 'OpenLineage RunEvents: ETL, training and evaluation runs behind each support-llm version', lin.events.map((e) => `${e.json}\n`).join('')));
    const lf = this.langfuseDoc();
    if (lf) files.push(await this.writeDoc('llm/langfuse-trace.json', 'langfuse', 'Langfuse export of one kb-answer trace', lf));
    const ls = this.langsmithDoc();
    if (ls) files.push(await this.writeDoc('llm/langsmith-run.json', 'langsmith', 'LangSmith run payload of one refund-agent model call', ls));
    files.push(await this.writeDoc('budgets.yaml', 'budgets', 'Risk budgets and rollback rules of the support-automation team', renderBudgetsYaml(SAMPLE_BUDGETS)));

    const manifest = {
      bundle_version: 1,
      name: 'support-llm-2026.10.2-refund-cents',
      created: isoMs(S.CREATED_MS),
      description:
        'Refund amounts written in cents by the refund agent after support-llm 2026.10.2 rolled out (10% canary 2026-10-13 08:00Z, 100% at 14:00Z, pinned back to 2026.10.1 on 2026-10-14 13:30Z). Synthetic sample generated by `casefile sample`.',
      files,
    };
    const manifestPath = join(this.out, 'casefile-bundle.json');
    await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);

    const answerKey = `${this.out}.answer-key.json`;
    await this.writeAnswerKey(answerKey, files, lin.facts, lin.events.length);
    await rm(this.partsDir, { recursive: true, force: true });

    return {
      out: this.out,
      answerKey,
      runs: this.N,
      seed: this.seed,
      files,
      manifestPath,
      totalBytes: files.reduce((a, f) => a + f.size, 0),
      counts: {
        refundRuns: this.c.refundRuns,
        kbRuns: this.c.kbRuns,
        auditEvents: this.c.auditRefund + this.c.auditKb,
        spans: this.c.spans,
        decisions: this.c.decisions,
        lineageEvents: lin.events.length,
        writes: this.c.writes,
        harmfulRuns: this.c.harmful,
        affectedRuns: this.c.affected,
        plantedFindings: this.planted.length,
        richRuns: this.c.richRuns,
        leanRuns: this.c.leanRuns,
      },
    };
  }

  private flushBefore(us: number): void {
    for (const line of this.qAuditRefund.takeBefore(us)) this.auditRefund.line(line);
    for (const line of this.qAuditKb.takeBefore(us)) this.auditKb.line(line);
    for (const line of this.qOpa.takeBefore(us)) this.opa.line(line);
    for (const bucket of this.qSpans.takeBuckets(us)) this.writeOtlpBatch(bucket);
  }

  private flushAll(): void {
    for (const b of this.qAuditRefund.takeAllBuckets()) for (const line of b) this.auditRefund.line(line);
    for (const b of this.qAuditKb.takeAllBuckets()) for (const line of b) this.auditKb.line(line);
    for (const b of this.qOpa.takeAllBuckets()) for (const line of b) this.opa.line(line);
    for (const b of this.qSpans.takeAllBuckets()) this.writeOtlpBatch(b);
  }

  /** One collector batch: spans grouped by resource, then by instrumentation scope. */
  private writeOtlpBatch(spans: SpanRec[]): void {
    for (let k = 0; k < spans.length; k += OTLP_MAX_SPANS) {
      const chunk = spans.slice(k, k + OTLP_MAX_SPANS);
      const byRes = new Map<string, Map<string, string[]>>();
      for (const s of chunk) {
        let m = byRes.get(s.res);
        if (!m) byRes.set(s.res, (m = new Map()));
        let arr = m.get(s.scope);
        if (!arr) m.set(s.scope, (arr = []));
        arr.push(otlpSpanJson(s));
      }
      const rs: string[] = [];
      for (const [res, m] of byRes) {
        const ss: string[] = [];
        for (const [scope, arr] of m) ss.push(`{"scope":${SCOPE_JSON[scope]},"spans":[${arr.join(',')}]}`);
        rs.push(`{"resource":${RESOURCE_JSON[res]},"scopeSpans":[${ss.join(',')}],"schemaUrl":"${SCHEMA_URL}"}`);
      }
      this.otlp.line(`{"resourceSpans":[${rs.join(',')}]}`);
    }
  }

  private async writeDoc(rel: string, format: FormatName, description: string, text: string): Promise<SampleFile> {
    const buf = Buffer.from(text, 'utf8');
    await writeFile(join(this.out, rel), buf);
    return { path: rel, format, sha256: createHash('sha256').update(buf).digest('hex'), size: buf.length, description };
  }

  private logsDoc(): string {
    const logs = [...this.logs].sort((a, b) => a.us - b.us);
    const byRes = new Map<string, LogRec[]>();
    for (const l of logs) {
      let arr = byRes.get(l.res);
      if (!arr) byRes.set(l.res, (arr = []));
      arr.push(l);
    }
    const sev = { INFO: 9, WARN: 13, ERROR: 17 } as const;
    const resourceLogs = [...byRes.entries()].map(([res, arr]) => ({
      resource: { attributes: otlpAttrs(RESOURCES[res]!.attrs) },
      scopeLogs: [
        {
          scope: { name: res.startsWith('refund') ? 'refund_agent' : 'kb_answer', version: res.startsWith('refund') ? S.REFUND_APP_VERSION : S.KB_APP_VERSION },
          logRecords: arr.map((l, k) => {
            const rec: Record<string, unknown> = {
              timeUnixNano: nanos(l.us, (k * 137) % 1000),
              observedTimeUnixNano: nanos(l.us + 1_200 + k, (k * 71) % 1000),
              severityNumber: sev[l.severity],
              severityText: l.severity,
              body: { stringValue: l.body },
              attributes: otlpAttrs(l.attrs),
            };
            if (l.traceId) {
              rec.flags = 1;
              rec.traceId = l.traceId;
              rec.spanId = l.spanId;
            }
            return rec;
          }),
        },
      ],
      schemaUrl: SCHEMA_URL,
    }));
    return `${JSON.stringify({ resourceLogs }, null, 2)}\n`;
  }

  private jaegerDoc(): string {
    const data = this.jaegerRuns.map((spans) => jaegerTrace(spans, RESOURCES, SCOPES));
    return `${JSON.stringify({ data, total: 0, limit: 0, offset: 0, errors: null }, null, 2)}\n`;
  }

  private consoleDoc(): string {
    const startMs = S.CANARY_MS - 120_000;
    const head = [
      `${new Date(startMs - 3_000).toISOString().slice(0, 19).replace('T', ' ').replace(/-/g, '/')} maxprocs: Leaving GOMAXPROCS=2: CPU quota undefined`,
      JSON.stringify({ addrs: ['0.0.0.0:8181'], 'diagnostic-addrs': ['0.0.0.0:8282'], level: 'info', msg: 'Initializing server.', time: isoGoSec(startMs - 2_000) }),
      JSON.stringify({ level: 'info', msg: 'Starting bundle loader.', name: 'refunds', plugin: 'bundle', time: isoGoSec(startMs - 2_000) }),
      JSON.stringify({ level: 'info', msg: 'Starting bundle loader.', name: 'support', plugin: 'bundle', time: isoGoSec(startMs - 2_000) }),
      JSON.stringify({ level: 'info', msg: 'Starting decision logger.', plugin: 'decision_logs', time: isoGoSec(startMs - 1_000) }),
      JSON.stringify({ level: 'info', msg: `Bundle loaded and activated successfully. Etag updated to "${S.REFUNDS_BUNDLE_REV}".`, name: 'refunds', plugin: 'bundle', time: isoGoSec(startMs - 1_000) }),
      JSON.stringify({ level: 'info', msg: `Bundle loaded and activated successfully. Etag updated to "${S.SUPPORT_BUNDLE_REV}".`, name: 'support', plugin: 'bundle', time: isoGoSec(startMs) }),
    ];
    const lines = [...this.consoleLines].sort((a, b) => a.us - b.us || a.n - b.n).map((l) => l.line);
    // a plain-text line from Go's net/http server in the middle of the capture
    const mid = Math.floor(lines.length / 2);
    const midTime = this.consoleLines.length ? Math.floor(this.consoleLines[Math.min(mid, this.consoleLines.length - 1)]!.us / MS) : startMs + 60_000;
    lines.splice(mid, 0, `${new Date(midTime).toISOString().slice(0, 19).replace('T', ' ').replace(/-/g, '/')} http: TLS handshake error from 10.42.0.1:53122: EOF`);
    lines.push(JSON.stringify({ level: 'warning', msg: 'Decision log buffer size limit reached; dropping oldest events.', plugin: 'decision_logs', time: isoGoSec(midTime + 300_000) }));
    return `${[...head, ...lines].join('\n')}\n`;
  }

  private langfuseDoc(): string | null {
    if (!this.langfuse) return null;
    const { p, spans, drafts, usage } = this.langfuse;
    const projectId = 'cm2k9acme0001support0kb1';
    const root = spans.find((s) => !s.parentSpanId || s.name.startsWith('invoke_agent'))!;
    const msOf = (us: number) => isoMs(Math.floor(us / MS));
    const created = msOf(root.endUs + 2_400_000);
    const topic = S.KB_TOPICS[p.topic]!;
    const model = drafts.find((d) => d.type === 'model.call')!;
    const content = (model.f.output as { content: string }).content;
    const meta = (s: SpanRec) =>
      JSON.stringify({
        attributes: Object.fromEntries(s.attrs.map((a) => [a[1], a[2]])),
        resourceAttributes: Object.fromEntries(RESOURCES[s.res]!.attrs.map((a) => [a[1], a[2]])),
        scope: { name: SCOPES[s.scope]!.name, version: SCOPES[s.scope]!.version, attributes: {} },
      });
    const typeOf = (s: SpanRec) =>
      s === root ? 'AGENT' : s.name.startsWith('chat') ? 'GENERATION' : s.name.startsWith('query') ? 'RETRIEVER' : s.name.startsWith('opa') ? 'GUARDRAIL' : 'SPAN';
    const [inTok, outTok] = usage;
    const inCost = Math.round(inTok * 0.0000004 * 1e6) / 1e6;
    const outCost = Math.round(outTok * 0.0000016 * 1e6) / 1e6;
    const observations = [...spans]
      .sort((a, b) => a.startUs - b.startUs)
      .map((s) => {
        const gen = typeOf(s) === 'GENERATION';
        const retr = typeOf(s) === 'RETRIEVER';
        return {
          id: s.spanId,
          traceId: p.traceId,
          projectId,
          type: typeOf(s),
          environment: 'production',
          parentObservationId: s === root ? null : s.parentSpanId,
          startTime: msOf(s.startUs),
          endTime: msOf(s.endUs),
          name: s.name,
          metadata: meta(s),
          level: 'DEFAULT',
          statusMessage: null,
          version: null,
          modelParameters: gen ? { temperature: '0.3', max_tokens: '400' } : {},
          completionStartTime: gen ? msOf(s.startUs + Math.floor((s.endUs - s.startUs) * 0.35)) : null,
          promptId: null,
          createdAt: created,
          updatedAt: created,
          usageDetails: gen ? { input: inTok, output: outTok, total: inTok + outTok } : {},
          costDetails: gen ? { input: inCost, output: outCost, total: Math.round((inCost + outCost) * 1e6) / 1e6 } : {},
          providedCostDetails: {},
          model: gen ? `${S.MODEL}-${p.version}` : null,
          internalModelId: null,
          promptName: null,
          promptVersion: null,
          latency: Math.round((s.endUs - s.startUs) / MS),
          timeToFirstToken: gen ? Math.round(((s.endUs - s.startUs) * 0.35) / 1_000_000 * 1000) / 1000 : null,
          inputCost: gen ? inCost : null,
          outputCost: gen ? outCost : null,
          totalCost: gen ? Math.round((inCost + outCost) * 1e6) / 1e6 : 0,
          inputUsage: gen ? inTok : 0,
          outputUsage: gen ? outTok : 0,
          totalUsage: gen ? inTok + outTok : 0,
          input: gen
            ? JSON.stringify([
                { role: 'system', content: 'You draft answers for Acme support agents. Cite the help center. Never include personal data.' },
                { role: 'user', content: topic.question },
              ])
            : retr
              ? JSON.stringify({ query: topic.question, collection: 'support_kb', top_k: 2 })
              : s === root
                ? JSON.stringify({ question: topic.question })
                : null,
          output: gen ? JSON.stringify({ role: 'assistant', content }) : retr ? JSON.stringify([topic.source]) : s === root ? JSON.stringify({ draft: content }) : null,
        };
      });
    const trace = {
      id: p.traceId,
      projectId,
      name: p.wf,
      timestamp: msOf(root.startUs),
      environment: 'production',
      tags: [p.wf, `model:${S.MODEL}-${p.version}`],
      bookmarked: false,
      release: S.KB_APP_VERSION,
      version: S.KB_APP_VERSION,
      userId: `customer:${p.customerId}`,
      sessionId: p.sessionId,
      public: false,
      input: JSON.stringify({ question: topic.question }),
      output: JSON.stringify({ draft: content }),
      metadata: JSON.stringify({ attributes: { 'casefile.run_id': p.runId, 'casefile.workflow': p.wf, 'casefile.tier': p.tier }, resourceAttributes: Object.fromEntries(RESOURCES[root.res]!.attrs.map((a) => [a[1], a[2]])) }),
      createdAt: created,
      updatedAt: msOf(root.endUs + 3_100_000),
      scores: JSON.stringify([
        {
          id: p.r.uuid4(),
          timestamp: msOf(root.endUs + 31_000_000),
          projectId,
          environment: 'production',
          name: 'helpfulness',
          source: 'EVAL',
          authorUserId: null,
          comment: 'The draft answers the question and cites the relevant help-center article.',
          metadata: '{}',
          configId: null,
          createdAt: msOf(root.endUs + 32_000_000),
          updatedAt: msOf(root.endUs + 32_000_000),
          queueId: null,
          traceId: p.traceId,
          observationId: null,
          sessionId: null,
          datasetRunId: null,
          value: 0.9,
          stringValue: null,
          dataType: 'NUMERIC',
        },
      ]),
      latency: Math.round((root.endUs - root.startUs) / 1000) / 1000,
    };
    return `${JSON.stringify({ trace, observations }, null, 2)}\n`;
  }

  private langsmithDoc(): string | null {
    if (!this.langsmith) return null;
    const { p, chat, usage, content } = this.langsmith;
    const r = new Rng(mixSeed(this.seed, 11));
    const id = r.uuid4();
    const dotted = `${isoPy(chat.startUs).slice(0, 26).replace(/[-:.]/g, '')}Z${id}`;
    const extra = {
      metadata: {
        ls_method: 'traceable',
        ls_provider: S.PROVIDER,
        ls_model_type: 'chat',
        ls_model_name: S.MODEL,
        ls_temperature: 0.2,
        'casefile.run_id': p.runId,
        workflow: p.wf,
        revision_id: `${p.wf}-${S.REFUND_APP_VERSION}`,
      },
      runtime: {
        sdk: 'langsmith-py',
        sdk_version: '0.3.45',
        library: 'langsmith',
        platform: 'Linux-6.1.0-26-cloud-amd64-x86_64-with-glibc2.36',
        runtime: 'python',
        py_implementation: 'CPython',
        runtime_version: '3.12.7',
      },
    };
    const inputs = {
      messages: [
        { role: 'system', content: 'You are Acme\'s refund assistant. Look up the order, follow the refund policy, and call issue_refund with the amount in USD.' },
        { role: 'user', content: p.message },
        { role: 'tool', content: JSON.stringify({ order_id: p.orderId, item: p.item, total: p.price, shipping: p.shipping, currency: 'USD', status: 'delivered' }) },
      ],
      model: S.MODEL,
      temperature: 0.2,
      tools: [
        {
          type: 'function',
          function: {
            name: 'issue_refund',
            description: 'Refund an order to the original payment method.',
            parameters: { type: 'object', properties: { order_id: { type: 'string' }, amount: { type: 'number', description: 'amount in USD' }, currency: { type: 'string' } }, required: ['order_id', 'amount'] },
          },
        },
      ],
    };
    const tags = [p.wf, `tier:${p.tier}`];
    const post = [
      {
        id,
        start_time: isoPy(chat.startUs),
        extra,
        serialized: {},
        events: [],
        tags,
        attachments: {},
        dotted_order: dotted,
        trace_id: id,
        outputs: {},
        session_name: `${p.wf}-prod`,
        name: 'ChatAcmeAI',
        inputs,
        run_type: 'llm',
      },
    ];
    const [inTok, outTok] = usage;
    const patch = [
      {
        id,
        name: 'ChatAcmeAI',
        trace_id: id,
        parent_run_id: null,
        dotted_order: dotted,
        tags,
        extra,
        end_time: isoPy(chat.endUs),
        outputs: {
          id: `chatcmpl-${r.b32(29).toUpperCase()}`,
          choices: [
            {
              index: 0,
              finish_reason: 'tool_calls',
              message: {
                role: 'assistant',
                content,
                tool_calls: [{ id: `call_${r.b32(24)}`, type: 'function', function: { name: 'issue_refund', arguments: JSON.stringify({ order_id: p.orderId, amount: p.proposed, currency: 'USD' }) } }],
              },
            },
          ],
          created: Math.floor(chat.startUs / 1_000_000),
          model: `${S.MODEL}-${p.version}`,
          object: 'chat.completion',
          usage_metadata: { input_tokens: inTok, output_tokens: outTok, total_tokens: inTok + outTok, input_token_details: { cache_read: 0 }, output_token_details: { reasoning: 0 } },
        },
        events: [],
      },
    ];
    return `${JSON.stringify({ post, patch }, null, 2)}\n`;
  }

  private async writeAnswerKey(path: string, files: SampleFile[], lineage: ReturnType<typeof lineageEvents>['facts'], lineageCount: number): Promise<void> {
    const replay = this.triggerReplay();
    const closed: Record<string, { count: number; path: string }> = {};
    for (const s of Object.values(this.spools)) {
      await s.sink.close();
      closed[s.name] = { count: s.count, path: s.sink.path };
    }
    const head = {
      answer_key_version: 1,
      note: 'Ground truth for the sample bundle beside this file. Not evidence: importers must not read it (it is not in casefile-bundle.json).',
      bundle: this.out.split(/[\\/]/).pop(),
      seed: this.seed,
      runs: this.N,
      scale: {
        rich_run_budget: this.richBudget,
        rich_runs: this.c.richRuns,
        lean_runs: this.c.leanRuns,
        note: 'Up to rich_run_budget runs every run is written in full. Above it, runs are rich with probability rich_run_budget / runs, and always when special (planted finding, export pick, harmful or buggy write, leak); the rest are lean: essential audit events without a hash chain, a two-span trace for about 1 in 5, every OPA decision kept (docs/bundles.md "Scale data").',
      },
      story: {
        workflows: {
          [S.WF_REFUND]: { tiers: { auto: `refunds ≤ $${S.AUTO_LIMIT} written directly`, approve: `refunds > $${S.AUTO_LIMIT} written after a human approval` }, owner: 'dana.okafor@acme.example' },
          [S.WF_KB]: { tiers: { draft: 'read-only FAQ drafts for human agents' }, owner: 'lee.nakamura@acme.example' },
        },
        model: { provider: S.PROVIDER, name: S.MODEL },
        timeline: [
          { at: isoMs(S.BASE_MS), what: `traffic starts on ${S.MODEL} ${S.V1}` },
          { at: isoMs(S.CAMPAIGN_FROM_MS), what: 'prompt-injection campaign against refund-agent for one hour (blocked by refunds/guard; unrelated to the model change)' },
          { at: isoMs(S.CANARY_MS), what: `${S.V2} canary: ${S.CANARY_SHARE * 100}% of runs (audit label deploy.cohort)` },
          { at: isoMs(S.FULL_MS), what: `${S.V2} at 100%` },
          { at: isoMs(S.RECON_MS), what: 'finance reconciliation flags refunds above order totals; undo signals follow' },
          { at: isoMs(S.INCIDENT_MS), what: 'incident declared' },
          { at: isoMs(S.ROLLBACK_MS), what: `model pinned back to ${S.V1}` },
          { at: isoMs(S.END_MS), what: 'end of traffic in the bundle' },
        ],
        deploy_time: isoMs(S.CANARY_MS),
        full_rollout_time: isoMs(S.FULL_MS),
        rollback_time: isoMs(S.ROLLBACK_MS),
        root_cause: lineage.rootCause,
        contributing_factors: [
          `${S.GUARD_POLICY} ${S.GUARD_VERSION} checks the requested amount against the auto limit, never the amount the agent proposes (input.action.proposed_amount)`,
          'the 10% canary ran for 6 hours at low refund volume and saw too few refunds to notice',
          'the evaluation set v12 has no refund-amount checks',
          'billing accepts refunds above the order total with only a warning (W-OVER-TOTAL)',
        ],
      },
      lineage: {
        model_versions: lineage.modelVersions,
        dataset_versions: lineage.datasetVersions,
        point_in_time_note: `${S.V3} was trained after the incident (from refund_examples v8); no run in the bundle used it and it must not be attributed to incident runs`,
      },
      counts: {
        runs: this.N,
        refund_runs: this.c.refundRuns,
        kb_runs: this.c.kbRuns,
        writes: this.c.writes,
        harmful_runs: this.c.harmful,
        pii_blocked_runs: closed.pii!.count,
        prompt_injection_blocked_runs: closed.injection!.count,
        escalations: closed.escalations!.count,
        undo_signals: closed.undo!.count,
        unsafe_completions: closed.unsafe!.count,
      },
      expected: {
        audit_lines: { 'audit/refund-agent.jsonl': this.c.auditRefund, 'audit/kb-answer.jsonl': this.c.auditKb },
        otlp_spans: this.c.spans,
        otlp_log_records: this.logs.length,
        opa_decisions: this.c.decisions,
        opa_console_decisions: this.consoleDecisions,
        lineage_events: lineageCount,
        jaeger_traces: this.jaegerRuns.length,
        jaeger_spans: this.c.jaegerSpans,
        zipkin_spans: this.c.zipkinSpans,
        file_sizes: Object.fromEntries(files.map((f) => [f.path, f.size])),
      },
      affected_set: {
        query: `workflow = "${S.WF_REFUND}" AND model.version = "${S.V2}" AND has(write)`,
        structured: { workflow: S.WF_REFUND, model_version: S.V2, has_write: true },
        version_resolution: `audit model.call model.version; else the chat span's gen_ai.response.model "${S.MODEL}-<version>"; runs with neither are unattributable`,
        expected_count: this.c.affected,
        harmful_in_set: this.c.affectedHarmful,
        unattributable_write_runs: this.c.unattributableWrites,
      },
      planted_findings: this.planted,
      not_findings: this.notes,
      exports: {
        jaeger: Object.entries(this.claimed).filter(([k]) => k.startsWith('jaeger')).map(([k, v]) => ({ role: k, run_id: v })),
        zipkin_gateway: Object.entries(this.claimed).filter(([k]) => k.startsWith('gateway')).map(([, v]) => v),
        langfuse: this.langfuse?.p.runId ?? null,
        langsmith: this.langsmith?.p.runId ?? null,
        jaeger_trimmed_trace_id: this.trimmedTraceId ? { trace_id: this.trimmedTraceId, as_jaeger_writes_it: jaegerTraceId(this.trimmedTraceId) } : null,
      },
      sli_definitions: 'docs/budgets.md',
      trigger_replay: replay,
    };
    const sink = new FileSink(path);
    const headJson = JSON.stringify(head, null, 2);
    sink.write(headJson.slice(0, -2));
    const lists: Array<[string, string]> = [
      ['harmful_runs', 'harmful'],
      ['pii_blocked_runs', 'pii'],
      ['prompt_injection_blocked_runs', 'injection'],
      ['escalations', 'escalations'],
      ['undo_signals', 'undo'],
      ['unsafe_completions', 'unsafe'],
      ['labels_to_apply', 'labels'],
    ];
    for (const [name, spool] of lists) {
      sink.write(`,\n  ${JSON.stringify(name)}: [`);
      await sink.append(closed[spool]!.path);
      sink.write(closed[spool]!.count ? '\n  ]' : ']');
    }
    sink.write('\n}\n');
    await sink.close();
  }
}

/** Generate the sample bundle into `opts.out` and its answer key into `<out>.answer-key.json`. */
export async function generateSample(opts: SampleOptions): Promise<SampleSummary> {
  return new Generator(opts).run();
}

/**
 * The one typed API of Casefile. Declared once here; implemented once in the Node core
 * (electron/core/api/service.ts); carried by two transports: Electron IPC (electron/shell/) and
 * loopback HTTP (`casefile serve`, electron/core/serve/). The renderer only sees `CasefileApi`.
 *
 * Every method takes plain JSON-serializable arguments and returns a Promise of a JSON-serializable value.
 * Times are epoch microseconds.
 */
import type { ImportProgress, ImportResult, ImportedSource, CaseTotalsDto } from './import-types';
import type { PolicyDecision } from './model';

export type { ImportProgress, ImportResult, ImportedSource, CaseTotalsDto };

// ---------------------------------------------------------------- case & import

export interface AppInfo {
  version: string;
  transport: 'ipc' | 'http';
  /** The case currently open in this session, if any. */
  casePath: string | null;
  /** Where a new case for an imported bundle is created by default. */
  casesDir: string;
}

export interface ImportJob {
  jobId: string;
  casePath: string;
}

export interface ImportJobEvent {
  jobId: string;
  progress?: ImportProgress;
  /** Set once, when the job ends (completed or cancelled). */
  result?: ImportResult;
  error?: string;
}

export interface SourceStatus extends ImportedSource {
  manifestSha256: string | null;
  aliases: string[];
}

export interface VerifyReport {
  ok: boolean;
  sources: Array<{ id: number; path: string; status: 'ok' | 'mismatch' | 'missing' | 'unreadable' | 'not-checked'; expected: string; actual?: string; note?: string }>;
  chains: { runsChecked: number; eventsChecked: number; breaks: Array<{ runId: string; eventId: string; sourcePath: string; line: number | null; reason: string }> };
  integrity: string[];
  manifest: string[];
}

export interface QuarantineItem {
  id: number;
  sourceId: number;
  sourcePath: string;
  line: number | null;
  path: string | null;
  reason: string;
  raw: string | null;
}

export interface CaseOverview {
  casePath: string;
  totals: CaseTotalsDto;
  sources: SourceStatus[];
  /** Runs with full evidence / all runs (0..1), and the counts behind it. */
  auditCompleteness: { ratio: number; complete: number; total: number };
  timeRange: { from: number | null; to: number | null };
  /** Run starts bucketed over the time range. */
  histogram: Array<{ from: number; to: number; runs: number; harmful: number }>;
  topReasonCodes: Array<{ code: string; count: number }>;
  findingCounts: Array<{ code: FindingCode; count: number }>;
  budgetStatus: Array<{ workflow: string; tier: string; sli: SliName; consumed: number; status: 'ok' | 'burning' | 'exhausted' }>;
}

// ---------------------------------------------------------------- runs

export type FindingCode =
  | 'MISSING_MODEL_VERSION'
  | 'ORPHAN_SPAN'
  | 'DECISION_NOT_FOUND'
  | 'NO_TRACE'
  | 'CLOCK_SKEW'
  | 'HASH_CHAIN_BROKEN'
  | 'WRITE_WITHOUT_DECISION'
  | 'NO_AUDIT_TRAIL'
  | 'SPAN_CYCLE'
  | 'INFERRED_LINK'
  | 'INVALID_LINEAGE_EVENT'
  | 'LINEAGE_NOT_FOUND';

export interface Finding {
  code: FindingCode;
  severity: 'error' | 'warning' | 'info';
  message: string;
  stepId?: string;
}

export interface RunQuery {
  search?: string;
  from?: number;
  to?: number;
  workflow?: string[];
  tier?: string[];
  modelVersion?: string[];
  decision?: PolicyDecision[];
  reasonCode?: string[];
  hasWrite?: boolean;
  label?: string[];
  finding?: FindingCode[];
  /** Only runs in the saved affected set. */
  affectedOnly?: boolean;
  /**
   * Exactly these runs (the UI's multi-selection). Honoured by saveAffectedSet, which then saves exactly
   * these ids (each must be a run of the case; the other filters are ignored). listRuns and facets do not
   * filter by it.
   */
  runIds?: string[];
  sort?: { by: 'started' | 'runId' | 'duration' | 'findings'; dir: 'asc' | 'desc' };
  limit?: number;
  /** Opaque keyset cursor from the previous page. */
  cursor?: string | null;
}

export interface RunRow {
  runId: string;
  workflow: string | null;
  tier: string | null;
  modelVersion: string | null;
  startedAt: number | null;
  endedAt: number | null;
  steps: number;
  writes: number;
  decisions: PolicyDecision[];
  reasonCodes: string[];
  findings: FindingCode[];
  labels: string[];
  harmful: boolean | null;
  inAffectedSet: boolean;
}

export interface RunPage {
  rows: RunRow[];
  nextCursor: string | null;
  /** Total matching runs (exact). */
  total: number;
}

export type FacetName = 'workflow' | 'tier' | 'modelVersion' | 'decision' | 'reasonCode' | 'hasWrite' | 'label' | 'finding';
export type Facets = Record<FacetName, Array<{ value: string; count: number }>>;

export type StepKind =
  | 'run-start'
  | 'input'
  | 'retrieval'
  | 'model-call'
  | 'decision'
  | 'tool-call'
  | 'write'
  | 'approval'
  | 'output'
  | 'signal'
  | 'run-end'
  | 'span'
  | 'log';

export interface StepSource {
  sourceId: number;
  path: string;
  line: number | null;
  jsonPath: string | null;
}

export interface DiffEntry {
  /** JSON pointer inside the written value ('' for the value itself) */
  pointer: string;
  op: 'add' | 'remove' | 'replace';
  before?: unknown;
  after?: unknown;
  /** e.g. "×100 (unit change?)" when a number scaled by a power of ten */
  note?: string;
}

export interface Step {
  /** Stable id: the record key (e.g. `audit:evt_123`, `span:<trace>:<span>`, `decision:<id>`) */
  id: string;
  kind: StepKind;
  at: number | null;
  endAt: number | null;
  title: string;
  actor?: string | null;
  source: StepSource;
  alsoIn: StepSource[];
  traceId?: string | null;
  spanId?: string | null;
  parentSpanId?: string | null;
  /** How the step was tied to the run: which correlation rule, and whether it is only inferred. */
  link: { rule: string; inferred: boolean; reason?: string };
  model?: { provider?: string | null; name?: string | null; version?: string | null };
  tokens?: { input?: number; output?: number };
  decision?: { decisionId: string | null; policyId: string | null; policyVersion: string | null; decision: PolicyDecision; reasonCodes: string[]; found: boolean };
  write?: { system: string; record: string; field: string; before: unknown; after: unknown; unit?: string | null; diff: DiffEntry[] };
  tool?: { name: string; arguments?: unknown; result?: unknown; status?: string };
  approval?: { approver: string; decision: string; reason?: string };
  signal?: { kind: string; by?: string; refEventId?: string };
  text?: string;
  /**
   * The full normalized record, for the inspector. Absent when `dataOmitted` is set: getRun leaves it out
   * of the span and log steps of a large run (more than 2,000 steps or spans); getStep returns the step with it.
   */
  data?: unknown;
  /** Set when getRun left `data` out of this step (a large run): fetch it with getStep(runId, step.id). */
  dataOmitted?: boolean;
}

export interface SpanNode {
  id: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  service: string | null;
  kind: string;
  startAt: number | null;
  endAt: number | null;
  status: 'unset' | 'ok' | 'error';
  depth: number;
  orphan: boolean;
  model?: string | null;
}

export interface ModelVersionInfo {
  value: string | null;
  /** Where the answer came from: audit model.version, span attribute name, or null when unknown. */
  source: 'audit' | 'gen_ai.response.model' | 'gen_ai.request.model' | 'llm.model_name' | 'langfuse' | 'langsmith' | null;
  stepId?: string;
  name?: string | null;
  provider?: string | null;
}

export interface LineageNode {
  id: string;
  kind: 'model' | 'job-run' | 'dataset';
  label: string;
  namespace?: string;
  name?: string;
  version?: string | null;
  at?: number | null;
  runId?: string;
  state?: string | null;
  valid?: boolean;
}

export interface LineageGraph {
  /** the model version the graph starts from, and the instant it is resolved at */
  root: string | null;
  asOf: number | null;
  nodes: LineageNode[];
  edges: Array<{ from: string; to: string; kind: 'produced-by' | 'read' | 'parent' }>;
  findings: Finding[];
}

export interface ReconstructedRun {
  runId: string;
  workflow: string | null;
  tier: string | null;
  startedAt: number | null;
  endedAt: number | null;
  modelVersion: ModelVersionInfo;
  /**
   * The run's steps in order. In a large run from getRun (`columns` set), only the steps that are neither
   * span nor log steps (audit events, decisions, model/tool calls…): the others are in `columns.steps`.
   */
  steps: Step[];
  /** The span waterfall (depth-first from the roots, children by start). Empty in a large run from getRun: see `columns.spans`. */
  spans: SpanNode[];
  lineage: LineageGraph;
  findings: Finding[];
  labels: Label[];
  inAffectedSet: boolean;
  /**
   * Set by getRun for a large run (more than 2,000 steps or spans): its spans and its span and log steps
   * (without `data`), column by column. shared/run-columns.ts reads them (spanAt, columnStepAt, RunSteps)
   * and turns the run back into the object form (expandRun).
   */
  columns?: RunColumns;
}

/**
 * The spans and the span/log steps of a large run, column by column (one JSON array per field instead of
 * an object per span: a 100,000-span trace is ~13 MB instead of ~86 MB, and is read without building
 * 200,000 objects). Conventions: a "string" column holds indexes into `strings` (-1: null); a "time"
 * column holds µs relative to `t0` (null: unknown).
 */
export interface RunColumns {
  /** the string table of every string column */
  strings: string[];
  /** base of the time columns (µs) */
  t0: number;
  spans: {
    /** `0` when the id is `span:<traceId>:<spanId>` (the usual record key), else the id itself */
    id: Array<string | 0>;
    traceId: number[];
    spanId: string[];
    /** the parent span: its row when it is in the run, its span id (an orphan's parent) or null */
    parent: Array<number | string | null>;
    name: number[];
    service: number[];
    kind: number[];
    start: Array<number | null>;
    end: Array<number | null>;
    status: number[];
    depth: number[];
    model: number[];
    /** rows of orphan spans (a parent span id that is not in the run) */
    orphans: number[];
  };
  steps: {
    /** positions, in the run's whole step order, of the `steps` objects of the run (the rest are these rows, in order) */
    objectsAt: number[];
    /**
     * the span row this step is the step of: then its id, at, endAt, traceId, spanId and parentSpanId are
     * the span's; -1 otherwise (a log step), and those come from the columns below
     */
    span: number[];
    id: Array<string | 0>;
    kind: number[];
    at: Array<number | null>;
    endAt: Array<number | null>;
    title: number[];
    actor: number[];
    traceId: number[];
    spanId: number[];
    parentSpanId: number[];
    /** the step's source: source id, path (string), line, JSON path split in a shared head (string) and a tail */
    sourceId: number[];
    path: number[];
    line: Array<number | null>;
    jsonPathHead: number[];
    jsonPathTail: Array<string | null>;
    rule: number[];
    inferred: Array<0 | 1>;
    /** the other fields of a step (alsoIn, link reason, model, tokens, tool, text), by row, when it has any */
    extra: Record<string, Partial<Step>>;
  };
}

export interface RunDiff {
  a: string;
  b: string;
  summary: string[];
  model: { a: ModelVersionInfo; b: ModelVersionInfo; same: boolean };
  lineage: { onlyA: string[]; onlyB: string[] };
  decisions: Array<{ policyId: string; a: { decision: string; reasonCodes: string[] } | null; b: { decision: string; reasonCodes: string[] } | null; same: boolean }>;
  writes: Array<{ target: string; a: { before: unknown; after: unknown } | null; b: { before: unknown; after: unknown } | null; same: boolean }>;
  /** Aligned step sequence: pairs of step ids (null where one run has no counterpart). */
  steps: Array<{ kind: StepKind; title: string; a: string | null; b: string | null; same: boolean }>;
  spans: Array<{ name: string; a: number; b: number }>;
}

export interface SqlResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
  rowCap: number;
  elapsedMs: number;
}

// ---------------------------------------------------------------- budgets

export type SliName = 'wrong_write_rate' | 'policy_violation_rate' | 'block_rate' | 'escalation_rate' | 'unsafe_completion_rate' | 'undo_rate';

export interface RollbackRule {
  name: string;
  burnRate: number;
  /** window in microseconds */
  overUs: number;
  over: string;
  action: string;
  minEvents?: number;
}

export interface Budget {
  /** The entry's id in the budgets file, when it has one. */
  id?: string;
  workflow: string;
  tier: string;
  sli: SliName;
  /** as a fraction, e.g. 0.0001 for "1 in 10000" */
  objective: number;
  objectiveText: string;
  windowUs: number;
  window: string;
  owner?: string;
  description?: string;
  rollback: RollbackRule[];
}

export interface BudgetsDoc {
  source: string | null;
  budgets: Budget[];
  problems: string[];
}

export interface SliSeriesPoint {
  at: number;
  good: number;
  bad: number;
  sli: number;
}

export interface TriggerFiring {
  rule: string;
  action: string;
  firedAt: number | null;
  burnAtFiring: number | null;
  harmfulAfter: number;
  harmfulTotal: number;
}

export interface BudgetEvaluation {
  budget: Budget;
  total: number;
  bad: number;
  sli: number;
  /** fraction of the error budget consumed over the whole incident window (bad / (objective × total)) */
  consumed: number;
  series: SliSeriesPoint[];
  burn: Array<{ rule: string; overUs: number; points: Array<{ at: number; burn: number }> }>;
  triggers: TriggerFiring[];
}

export interface BudgetReport {
  evaluations: BudgetEvaluation[];
  problems: string[];
}

export interface CompareRequest {
  a: { modelVersion?: string; from?: number; to?: number };
  b: { modelVersion?: string; from?: number; to?: number };
  workflow?: string;
}

export interface CompareReport {
  a: CompareSide;
  b: CompareSide;
}

export interface CompareSide {
  label: string;
  runs: number;
  slis: Array<{ sli: SliName; value: number; bad: number; total: number }>;
  inputLength: { p50: number; p90: number; p99: number; mean: number };
  languages: Array<{ value: string; count: number }>;
  toolMix: Array<{ value: string; count: number }>;
}

// ---------------------------------------------------------------- labels, postmortem, export

export type Verdict = 'harmful' | 'benign' | 'unsure';

export interface Label {
  id: number;
  runId: string;
  stepId: string | null;
  category: string;
  severity: string | null;
  verdict: Verdict;
  corrected: unknown;
  note: string | null;
  author: string;
  at: string;
}

export interface LabelInput {
  /** Update this label; without it, setLabel updates the active label with the same run, step and category, or creates one. */
  id?: number | null;
  runId: string;
  stepId?: string | null;
  category: string;
  severity?: string | null;
  verdict: Verdict;
  corrected?: unknown;
  note?: string | null;
  author?: string;
}

export interface LabelHistoryEntry {
  seq: number;
  labelId: number;
  action: 'create' | 'update' | 'delete';
  author: string;
  at: string;
  before: unknown;
  after: unknown;
  prevHash: string | null;
  hash: string;
}

export interface Postmortem {
  markdown: string;
  updatedAt: string | null;
  revision: number;
}

export type ExportFormat = 'sft-jsonl' | 'dpo-jsonl' | 'promptfoo' | 'opa-tests' | 'report-md' | 'report-html' | 'report-pdf' | 'case-archive';

export interface ExportRequest {
  format: ExportFormat;
  outPath: string;
  redact?: boolean;
  names?: string[];
}

export interface ExportResult {
  format: ExportFormat;
  files: string[];
  manifestPath: string;
  examples: number;
  redactions: Record<string, number>;
}

// ---------------------------------------------------------------- the contract

export interface CasefileApi {
  appInfo(): Promise<AppInfo>;
  /** Open an existing case file (becomes the session's case). */
  openCase(casePath: string): Promise<CaseOverview>;
  /** Import bundles/files into a case (a new one under casesDir when casePath is omitted); progress arrives as events. */
  startImport(paths: string[], casePath?: string): Promise<ImportJob>;
  /** Generate the built-in sample incident and import it into a fresh case. */
  openSample(): Promise<ImportJob>;
  cancelImport(jobId: string): Promise<void>;
  recentCases(): Promise<Array<{ path: string; openedAt: string }>>;

  overview(): Promise<CaseOverview>;
  verify(): Promise<VerifyReport>;
  quarantine(offset: number, limit: number): Promise<{ items: QuarantineItem[]; total: number }>;

  listRuns(q: RunQuery): Promise<RunPage>;
  facets(q: RunQuery): Promise<Facets>;
  /**
   * The reconstructed run. A large run (more than 2,000 steps or spans) comes compact: its spans and its
   * span and log steps in `columns` (see RunColumns; shared/run-columns.ts expandRun gives the object form),
   * those steps without `data` (marked `dataOmitted`): getStep returns one of them whole.
   */
  getRun(runId: string): Promise<ReconstructedRun>;
  /** One step of a run, with its full record (`data`). NOT_FOUND when the run has no such step. */
  getStep(runId: string, stepId: string): Promise<Step>;
  diffRuns(a: string, b: string): Promise<RunDiff>;
  lineage(modelVersion: string, asOf?: number | null): Promise<LineageGraph>;
  /** Saves the runs matching `q` as the affected set (replacing it); with `q.runIds`, exactly those runs. */
  saveAffectedSet(q: RunQuery, note?: string): Promise<{ count: number }>;
  affectedSet(): Promise<{ query: RunQuery | null; count: number; savedAt: string | null }>;
  sql(query: string, rowCap?: number, timeoutMs?: number): Promise<SqlResult>;

  budgets(): Promise<BudgetsDoc>;
  evaluateBudgets(): Promise<BudgetReport>;
  compare(req: CompareRequest): Promise<CompareReport>;

  setLabel(input: LabelInput): Promise<Label>;
  deleteLabel(labelId: number): Promise<void>;
  labels(runId?: string): Promise<Label[]>;
  labelHistory(): Promise<LabelHistoryEntry[]>;
  /** The label categories of the case, in order. */
  taxonomy(): Promise<string[]>;
  /**
   * Replaces the label categories (order kept). Names: lowercase letters, digits and '-'. A category still
   * used by a label cannot be removed (BAD_REQUEST). Returns the new list.
   */
  setTaxonomy(categories: string[]): Promise<string[]>;
  /** The saved postmortem; while none was saved (revision 0), the blameless template generated from the case. */
  getPostmortem(): Promise<Postmortem>;
  savePostmortem(markdown: string, baseRevision: number): Promise<Postmortem>;
  exportCase(req: ExportRequest): Promise<ExportResult>;
}

export type ApiMethod = keyof CasefileApi;

/** Events pushed from the core to the renderer (IPC: 'casefile:event'; HTTP: Server-Sent Events at /api/events). */
export interface ApiEvents {
  import: ImportJobEvent;
}

/** The list of methods, for transports that need to enumerate them (preload bridge, HTTP router). */
export const API_METHODS: readonly ApiMethod[] = [
  'appInfo',
  'openCase',
  'startImport',
  'openSample',
  'cancelImport',
  'recentCases',
  'overview',
  'verify',
  'quarantine',
  'listRuns',
  'facets',
  'getRun',
  'getStep',
  'diffRuns',
  'lineage',
  'saveAffectedSet',
  'affectedSet',
  'sql',
  'budgets',
  'evaluateBudgets',
  'compare',
  'setLabel',
  'deleteLabel',
  'labels',
  'labelHistory',
  'taxonomy',
  'setTaxonomy',
  'getPostmortem',
  'savePostmortem',
  'exportCase',
];

/** Error shape crossing either transport. */
export interface ApiError {
  error: string;
  code?: 'NO_CASE' | 'NOT_FOUND' | 'BAD_REQUEST' | 'TIMEOUT' | 'INTERNAL';
}

/**
 * Per-run facts the SLI engine needs (one row per run, produced by the store from the evidence and labels).
 * Pure input of shared/sli.ts.
 */
export interface RunFact {
  runId: string;
  workflow: string | null;
  tier: string | null;
  modelVersion: string | null;
  startedAt: number | null;
  endedAt: number | null;
  writes: number;
  /** policy decisions in the run, by outcome */
  denied: number;
  escalated: number;
  redacted: number;
  /** reason codes seen on the run's decisions */
  reasonCodes: string[];
  /** user-harm signals received later */
  undos: number;
  reruns: number;
  escalations: number;
  complaints: number;
  approvalsRejected: number;
  /** investigators' labels on the run (category + verdict) */
  labels: Array<{ category: string; verdict: Verdict }>;
  /** input text length in characters (for drift comparisons) and the tools called */
  inputLength: number;
  tools: string[];
  /** Language of the input text (shared/sli.ts guessLanguage), when the producer computed it. */
  language?: string | null;
}

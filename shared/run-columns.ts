/**
 * The column form of a large run (RunColumns, shared/api.ts): written by the core (compactRun, for getRun
 * of a run over LARGE_RUN_ITEMS steps or spans), read by the renderer without building an object per span
 * (spanAt / columnStepAt / RunSteps build one on demand), and turned back into the object form by
 * expandRun. compactRun and expandRun are exact inverses on a lean run: expandRun(compactRun(run)) equals
 * run (test/unit/run-columns.test.ts).
 */
import type { ReconstructedRun, RunColumns, SpanNode, Step, StepSource } from './api';

/** getRun returns a run compact (and its span and log steps without `data`) above this many steps or spans. */
export const LARGE_RUN_ITEMS = 2000;

/** Step kinds whose steps go to the columns (and come without their record) in a large run. */
export const COLUMN_STEP_KINDS: ReadonlySet<Step['kind']> = new Set(['span', 'log']);

export function isLargeRun(stepCount: number, spanCount: number): boolean {
  return stepCount > LARGE_RUN_ITEMS || spanCount > LARGE_RUN_ITEMS;
}

// ----------------------------------------------------------------------------------------------- writing

class Strings {
  readonly list: string[] = [];
  private readonly index = new Map<string, number>();
  of(s: string | null | undefined): number {
    if (s === null || s === undefined) return -1;
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

const spanKey = (traceId: string, spanId: string) => `span:${traceId}:${spanId}`;

function splitJsonPath(p: string | null): [string | null, string | null] {
  if (p === null) return [null, null];
  const i = p.lastIndexOf('[');
  return i < 0 ? [null, p] : [p.slice(0, i + 1), p.slice(i + 1)];
}

/**
 * The compact form of a run: every span to the columns, and every span and log step that comes without its
 * record (`dataOmitted`: a lean run's). Other steps stay objects, in `steps`. Lossless: expandRun inverts it.
 */
export function compactRun(run: ReconstructedRun): ReconstructedRun {
  if (run.columns) return run;
  let t0 = Infinity;
  for (const s of run.spans) if (s.startAt !== null && s.startAt < t0) t0 = s.startAt;
  for (const s of run.steps) if (s.at !== null && s.at < t0) t0 = s.at;
  const rowOfKey = new Map<string, number>();
  const rowOfId = new Map<string, number>();
  run.spans.forEach((s, i) => {
    const k = spanKey(s.traceId, s.spanId);
    if (!rowOfKey.has(k)) rowOfKey.set(k, i);
    if (!rowOfId.has(s.id)) rowOfId.set(s.id, i);
  });
  const w = ColumnsWriter.write(t0, (w) => {
    for (const s of run.spans) {
      const p = s.parentSpanId === null ? null : (rowOfKey.get(spanKey(s.traceId, s.parentSpanId)) ?? s.parentSpanId);
      w.span(s.id, s.traceId, s.spanId, p, s.name, s.service, s.kind, s.startAt, s.endAt, s.status, s.depth, s.orphan, s.model ?? null);
    }
    for (const s of run.steps) w.step(s, rowOfId.get(s.id) ?? -1);
  });
  return { ...run, steps: w.objects, spans: [], columns: w.columns };
}

/** True for a step that goes to the columns: a span or log step without its record. */
export function isColumnStep(s: Step): boolean {
  return COLUMN_STEP_KINDS.has(s.kind) && s.dataOmitted === true && s.data === undefined;
}

/** Fields of a column step held by the columns (the rest go to `extra`). */
const COLUMN_FIELDS: ReadonlySet<string> = new Set(['id', 'kind', 'at', 'endAt', 'title', 'actor', 'source', 'alsoIn', 'traceId', 'spanId', 'parentSpanId', 'link', 'data', 'dataOmitted']);

/**
 * Writes RunColumns: spans first (in waterfall order), then steps in the run's order (step() for any step,
 * spanStep() for a plain span step straight from its fields). Times are stored relative to t0 — the
 * earliest time, which is exact for whole microseconds; ColumnsWriter.write starts over with t0 = 0
 * (always exact) when some time is not.
 */
export class ColumnsWriter {
  private readonly str = new Strings();
  readonly objects: Step[] = [];
  private exact = true;
  private readonly spans: RunColumns['spans'] = { id: [], traceId: [], spanId: [], parent: [], name: [], service: [], kind: [], start: [], end: [], status: [], depth: [], model: [], orphans: [] };
  private readonly steps: RunColumns['steps'] = {
    objectsAt: [],
    span: [],
    id: [],
    kind: [],
    at: [],
    endAt: [],
    title: [],
    actor: [],
    traceId: [],
    spanId: [],
    parentSpanId: [],
    sourceId: [],
    path: [],
    line: [],
    jsonPathHead: [],
    jsonPathTail: [],
    rule: [],
    inferred: [],
    extra: {},
  };
  private pos = 0;

  private constructor(private readonly t0: number) {}

  /** Runs `fill` on a writer with times relative to t0 (or 0, when t0 is not whole or some time not exact). */
  static write(t0: number, fill: (w: ColumnsWriter) => void): ColumnsWriter {
    let w = new ColumnsWriter(Number.isFinite(t0) && Number.isInteger(t0) ? t0 : 0);
    fill(w);
    if (!w.exact) {
      w = new ColumnsWriter(0);
      fill(w);
    }
    return w;
  }

  get columns(): RunColumns {
    return { strings: this.str.list, t0: this.t0, spans: this.spans, steps: this.steps };
  }

  private rel(v: number | null): number | null {
    if (v === null) return null;
    const d = v - this.t0;
    if (this.t0 + d !== v) this.exact = false;
    return d;
  }

  /**
   * The next span row (call in waterfall order, before any step). `parent`: the row of the parent span when
   * it is in the run (the first row with that trace and span id), else its span id (or null).
   */
  span(id: string, traceId: string, spanId: string, parent: number | string | null, name: string, service: string | null, kind: string, start: number | null, end: number | null, status: string, depth: number, orphan: boolean, model: string | null): void {
    const sp = this.spans;
    const i = sp.spanId.length;
    sp.id.push(id.length === traceId.length + spanId.length + 6 && id === spanKey(traceId, spanId) ? 0 : id);
    sp.traceId.push(this.str.of(traceId));
    sp.spanId.push(spanId);
    sp.parent.push(parent);
    sp.name.push(this.str.of(name));
    sp.service.push(this.str.of(service));
    sp.kind.push(this.str.of(kind));
    sp.start.push(this.rel(start));
    sp.end.push(this.rel(end));
    sp.status.push(this.str.of(status));
    sp.depth.push(depth);
    sp.model.push(this.str.of(model));
    if (orphan) sp.orphans.push(i);
  }

  /** The next step of the run, whatever it is; `spanRow`: the row of the span with the step's id, or -1. */
  step(s: Step, spanRow: number): void {
    if (!isColumnStep(s)) {
      this.steps.objectsAt.push(this.pos++);
      this.objects.push(s);
      return;
    }
    const row = this.steps.span.length;
    this.columnStep(s.id, s.kind, s.at, s.endAt, s.title, s.actor ?? null, s.source, s.traceId ?? null, s.spanId ?? null, s.parentSpanId ?? null, s.link.rule, s.link.inferred, spanRow);
    // the rest: rare fields, and anything a step has beyond the columns (undefined-valued keys are absent)
    const extra: Partial<Step> & { absent?: string[] } = {};
    let any = false;
    for (const key in s) {
      const v = (s as unknown as Record<string, unknown>)[key];
      if (v === undefined || COLUMN_FIELDS.has(key)) continue;
      (extra as Record<string, unknown>)[key] = v;
      any = true;
    }
    if (s.alsoIn.length) {
      extra.alsoIn = s.alsoIn;
      any = true;
    }
    if (s.link.reason !== undefined) {
      extra.link = s.link;
      any = true;
    }
    if (s.actor === undefined || s.traceId === undefined || s.spanId === undefined || s.parentSpanId === undefined) {
      // keys absent from the step (the columns would give null)
      extra.absent = (['actor', 'traceId', 'spanId', 'parentSpanId'] as const).filter((k) => s[k] === undefined);
      any = true;
    }
    if (any) this.steps.extra[row] = extra;
  }

  /**
   * The next step of the run: a span or log step without its record, from its fields (no rare fields).
   * `spanRow`: the row of the span with the step's id (-1: none); the step refers to it when they agree.
   */
  columnStep(id: string, kind: string, at: number | null, endAt: number | null, title: string, actor: string | null, source: StepSource, traceId: string | null, spanId: string | null, parentSpanId: string | null, rule: string, inferred: boolean, spanRow: number): void {
    const st = this.steps;
    this.pos++;
    const r = spanRow;
    const sp = this.spans;
    const same =
      r >= 0 &&
      (sp.id[r] === 0 ? id === spanKey(traceId ?? '', spanId ?? '') : sp.id[r] === id) &&
      traceId !== null &&
      spanId !== null &&
      this.str.of(traceId) === sp.traceId[r] &&
      spanId === sp.spanId[r] &&
      this.rel(at) === sp.start[r] &&
      this.rel(endAt) === sp.end[r] &&
      parentSpanId === (sp.parent[r] === null ? null : this.parentIdOf(r));
    st.span.push(same ? r : -1);
    st.id.push(same ? 0 : id);
    st.kind.push(this.str.of(kind));
    st.at.push(same ? null : this.rel(at));
    st.endAt.push(same ? null : this.rel(endAt));
    st.traceId.push(same ? -1 : this.str.of(traceId));
    st.spanId.push(same ? -1 : this.str.of(spanId));
    st.parentSpanId.push(same ? -1 : this.str.of(parentSpanId));
    st.title.push(this.str.of(title));
    st.actor.push(this.str.of(actor));
    st.sourceId.push(source.sourceId);
    st.path.push(this.str.of(source.path));
    st.line.push(source.line);
    const [head, tail] = splitJsonPath(source.jsonPath);
    st.jsonPathHead.push(this.str.of(head));
    st.jsonPathTail.push(tail);
    st.rule.push(this.str.of(rule));
    st.inferred.push(inferred ? 1 : 0);
  }

  /** The parent span id of span row r. */
  private parentIdOf(r: number): string | null {
    const p = this.spans.parent[r]!;
    return typeof p === 'number' ? this.spans.spanId[p]! : p;
  }
}

// ----------------------------------------------------------------------------------------------- reading

const at = (c: RunColumns, v: number | null): number | null => (v === null ? null : c.t0 + v);
const s_ = (c: RunColumns, i: number): string | null => (i < 0 ? null : c.strings[i]!);

/** Span row i as a SpanNode. */
export function spanAt(c: RunColumns, i: number): SpanNode {
  const sp = c.spans;
  const traceId = c.strings[sp.traceId[i]!]!;
  const spanId = sp.spanId[i]!;
  const id = sp.id[i]!;
  const p = sp.parent[i]!;
  return {
    id: id === 0 ? spanKey(traceId, spanId) : id,
    traceId,
    spanId,
    parentSpanId: p === null ? null : typeof p === 'number' ? sp.spanId[p]! : p,
    name: c.strings[sp.name[i]!]!,
    service: s_(c, sp.service[i]!),
    kind: c.strings[sp.kind[i]!]!,
    startAt: at(c, sp.start[i]!),
    endAt: at(c, sp.end[i]!),
    status: c.strings[sp.status[i]!] as SpanNode['status'],
    depth: sp.depth[i]!,
    orphan: orphanSet(c).has(i),
    model: s_(c, sp.model[i]!),
  };
}

const orphanSets = new WeakMap<RunColumns, Set<number>>();
/** The span rows whose parent is not in the trace (built once per run). */
export function orphanSet(c: RunColumns): Set<number> {
  let s = orphanSets.get(c);
  if (!s) orphanSets.set(c, (s = new Set(c.spans.orphans)));
  return s;
}

/** The id of span row i (without building the span). */
export function spanIdAt(c: RunColumns, i: number): string {
  const id = c.spans.id[i]!;
  return id === 0 ? spanKey(c.strings[c.spans.traceId[i]!]!, c.spans.spanId[i]!) : id;
}

/** The id of column step k (without building the step). */
export function columnStepIdAt(c: RunColumns, k: number): string {
  const r = c.steps.span[k]!;
  return r >= 0 ? spanIdAt(c, r) : (c.steps.id[k] as string);
}

/** Column step k as a Step (without `data`, marked `dataOmitted`). */
export function columnStepAt(c: RunColumns, k: number): Step {
  const st = c.steps;
  const r = st.span[k]!;
  const x = st.extra[k] as (Partial<Step> & { absent?: string[] }) | undefined;
  const head = s_(c, st.jsonPathHead[k]!);
  const tail = st.jsonPathTail[k]!;
  const source: StepSource = { sourceId: st.sourceId[k]!, path: c.strings[st.path[k]!]!, line: st.line[k]!, jsonPath: head === null && tail === null ? null : `${head ?? ''}${tail ?? ''}` };
  let step: Step;
  if (r >= 0) {
    const sp = spanAt(c, r);
    step = { id: sp.id, kind: c.strings[st.kind[k]!] as Step['kind'], at: sp.startAt, endAt: sp.endAt, title: c.strings[st.title[k]!]!, actor: s_(c, st.actor[k]!), source, alsoIn: [], traceId: sp.traceId, spanId: sp.spanId, parentSpanId: sp.parentSpanId, link: { rule: c.strings[st.rule[k]!]!, inferred: st.inferred[k] === 1 } };
  } else {
    step = {
      id: st.id[k] as string,
      kind: c.strings[st.kind[k]!] as Step['kind'],
      at: at(c, st.at[k]!),
      endAt: at(c, st.endAt[k]!),
      title: c.strings[st.title[k]!]!,
      actor: s_(c, st.actor[k]!),
      source,
      alsoIn: [],
      traceId: s_(c, st.traceId[k]!),
      spanId: s_(c, st.spanId[k]!),
      parentSpanId: s_(c, st.parentSpanId[k]!),
      link: { rule: c.strings[st.rule[k]!]!, inferred: st.inferred[k] === 1 },
    };
  }
  if (x) {
    const { absent, ...rest } = x;
    Object.assign(step, rest);
    if (absent) for (const key of absent) delete (step as unknown as Record<string, unknown>)[key];
  }
  step.dataOmitted = true;
  return step;
}

/**
 * The steps of a run in order, whatever its form: `count`, `at(i)` (a Step, built on demand for a column
 * step), `idAt(i)`, `indexOf(id)`. Order: the run's (by time, then sequence), except that steps without a
 * time come first (as the run detail has always listed them).
 */
export class RunSteps {
  readonly count: number;
  /** i → the run's own step position (steps without a time first) */
  private readonly order: Int32Array;
  /** the run's step position → object index (≥ 0) or -1 - column row */
  private readonly where: Int32Array;
  private ids: Map<string, number> | null = null;
  private readonly cache = new Map<number, Step>();

  constructor(private readonly run: ReconstructedRun) {
    const c = run.columns;
    const n = run.steps.length + (c ? c.steps.span.length : 0);
    this.count = n;
    this.where = new Int32Array(n);
    if (!c) for (let i = 0; i < n; i++) this.where[i] = i;
    else {
      let j = 0;
      let k = 0;
      for (let p = 0; p < n; p++) {
        if (j < c.steps.objectsAt.length && c.steps.objectsAt[j] === p) this.where[p] = j++;
        else this.where[p] = -1 - k++;
      }
    }
    // steps without a time (last in the run's order) first
    const timeOf = (p: number) => {
      const w = this.where[p]!;
      if (w >= 0) return run.steps[w]!.at;
      const k = -1 - w;
      const r = c!.steps.span[k]!;
      return r >= 0 ? c!.spans.start[r]! : c!.steps.at[k]!;
    };
    this.order = new Int32Array(n);
    let o = 0;
    for (let p = 0; p < n; p++) if (timeOf(p) === null) this.order[o++] = p;
    for (let p = 0; p < n; p++) if (timeOf(p) !== null) this.order[o++] = p;
  }

  at(i: number): Step | undefined {
    if (i < 0 || i >= this.count) return undefined;
    const w = this.where[this.order[i]!]!;
    if (w >= 0) return this.run.steps[w];
    let s = this.cache.get(i);
    if (!s) {
      if (this.cache.size > 5000) this.cache.clear();
      s = columnStepAt(this.run.columns!, -1 - w);
      this.cache.set(i, s);
    }
    return s;
  }

  /** The step at i when it is an object of the run (not a column step), else null. */
  objectAt(i: number): Step | null {
    const w = this.where[this.order[i]!]!;
    return w >= 0 ? this.run.steps[w]! : null;
  }

  /** The column row of the step at i, or -1 when it is an object. */
  columnAt(i: number): number {
    const w = this.where[this.order[i]!]!;
    return w >= 0 ? -1 : -1 - w;
  }

  kindAt(i: number): Step['kind'] {
    const w = this.where[this.order[i]!]!;
    if (w >= 0) return this.run.steps[w]!.kind;
    const c = this.run.columns!;
    return c.strings[c.steps.kind[-1 - w]!] as Step['kind'];
  }

  idAt(i: number): string {
    const w = this.where[this.order[i]!]!;
    return w >= 0 ? this.run.steps[w]!.id : columnStepIdAt(this.run.columns!, -1 - w);
  }

  /** Position of a step by id (-1 when none); the id index is built on first use. */
  indexOf(id: string): number {
    if (!this.ids) {
      this.ids = new Map();
      for (let i = this.count - 1; i >= 0; i--) this.ids.set(this.idAt(i), i);
    }
    return this.ids.get(id) ?? -1;
  }

  /** The step with this id, or null. */
  byId(id: string): Step | null {
    const i = this.indexOf(id);
    return i < 0 ? null : (this.at(i) ?? null);
  }
}

/** The object form of a run (the inverse of compactRun): every step and span as objects. */
export function expandRun(run: ReconstructedRun): ReconstructedRun {
  const c = run.columns;
  if (!c) return run;
  const spans: SpanNode[] = [];
  for (let i = 0; i < c.spans.spanId.length; i++) spans.push(spanAt(c, i));
  const steps: Step[] = [];
  const n = run.steps.length + c.steps.span.length;
  let j = 0;
  let k = 0;
  for (let p = 0; p < n; p++) {
    if (j < c.steps.objectsAt.length && c.steps.objectsAt[j] === p) steps.push(run.steps[j++]!);
    else steps.push(columnStepAt(c, k++));
  }
  const { columns: _c, ...rest } = run;
  return { ...rest, steps, spans };
}

/** How many steps a run has, whatever its form. */
export function stepCount(run: ReconstructedRun): number {
  return run.steps.length + (run.columns ? run.columns.steps.span.length : 0);
}

/** How many spans a run has, whatever its form. */
export function spanCount(run: ReconstructedRun): number {
  return run.columns ? run.columns.spans.spanId.length : run.spans.length;
}

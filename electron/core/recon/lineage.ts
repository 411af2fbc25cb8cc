/**
 * Point-in-time lineage: from a model version to the OpenLineage job run that produced it, to that run's
 * input datasets and their versions, recursively (the job runs that produced those versions, and parent
 * runs) — using only events whose eventTime ≤ asOf, so a version produced later is never shown.
 *
 * A model is an output dataset of a job run: the dataset whose `datasetVersion` is the model version (and,
 * when the model name is known, whose name is that name — e.g. namespace `models`, name `support-llm`,
 * version `2026.10.2`). `modelVersion` may also be written `name@version`, `namespace/name@version`, or
 * name a dataset without a version (`namespace/name` or `name`), which resolves to its latest version as of asOf.
 */
import type { Finding, LineageGraph, LineageNode } from '../../../shared/api';
import type { LineageData, LineageDataset } from '../../../shared/model';
import type { Db } from '../store/db';
import { lineageRecords, lineageSignature } from '../store/runs-store';

interface Ev {
  id: number;
  key: string;
  at: number;
  d: LineageData;
}

interface Produced {
  ev: Ev;
  ds: LineageDataset;
}

const dsKey = (ns: string, name: string) => `${ns}\u0000${name}`;
const STATE_RANK: Record<string, number> = { COMPLETE: 5, FAIL: 4, ABORT: 4, RUNNING: 2, START: 1, OTHER: 0 };

/** All lineage events of a case, indexed; every query takes its own asOf. */
export class LineageIndex {
  readonly events: Ev[] = [];
  private readonly byOutput = new Map<string, Produced[]>();
  private readonly byRun = new Map<string, Ev[]>();

  constructor(rows: Iterable<{ id: number; key: string; ts: number | null; data: string }>) {
    for (const r of rows) {
      if (r.ts === null) continue; // no usable eventTime: cannot be placed in time
      let d: LineageData;
      try {
        d = JSON.parse(r.data) as LineageData;
      } catch {
        continue;
      }
      const ev: Ev = { id: r.id, key: r.key, at: r.ts, d };
      this.events.push(ev);
      const outs = d.eventClass === 'DatasetEvent' && d.dataset ? [d.dataset] : (d.outputs ?? []);
      if (d.eventClass === 'RunEvent' || d.eventClass === 'DatasetEvent') {
        for (const ds of outs) {
          if (!ds || typeof ds.name !== 'string') continue;
          const k = dsKey(ds.namespace, ds.name);
          let list = this.byOutput.get(k);
          if (!list) this.byOutput.set(k, (list = []));
          list.push({ ev, ds });
        }
      }
      if (d.runId) {
        let list = this.byRun.get(d.runId);
        if (!list) this.byRun.set(d.runId, (list = []));
        list.push(ev);
      }
    }
    for (const l of this.byOutput.values()) l.sort((a, b) => a.ev.at - b.ev.at || a.ev.id - b.ev.id);
    for (const l of this.byRun.values()) l.sort((a, b) => a.at - b.at || a.id - b.id);
  }

  get size(): number {
    return this.events.length;
  }

  /** The latest output (as of asOf) of a RunEvent that produced dataset ns/name (at `version` when given). */
  producerOf(ns: string, name: string, version: string | null, asOf: number): Produced | null {
    const list = this.byOutput.get(dsKey(ns, name));
    if (!list) return null;
    let best: Produced | null = null;
    for (const p of list) {
      if (p.ev.at > asOf) break;
      if (p.ev.d.eventClass !== 'RunEvent' || !p.ev.d.runId) continue;
      if (version !== null && (p.ds.version ?? null) !== version) continue;
      if (!best || p.ev.at >= best.ev.at) best = p;
    }
    return best;
  }

  /** How well an output dataset matches a model version spec (0 = not at all). */
  private static score(spec: string, modelName: string | null, ds: LineageDataset): number {
    const at = spec.lastIndexOf('@');
    const specName = at > 0 ? spec.slice(0, at) : null;
    const specVersion = at > 0 ? spec.slice(at + 1) : spec;
    const { namespace: ns, name, version } = ds;
    if (specName !== null) return (specName === name || specName === `${ns}/${name}`) && version === specVersion ? 4 : 0;
    if (version != null && version === spec) {
      const base = modelName ? (name === modelName || name.endsWith(`/${modelName}`) ? 4 : 1) : 3;
      return base + (ns === 'models' || /model/i.test(ns) ? 0.5 : 0);
    }
    if (spec === `${ns}/${name}` || spec === name) return 2;
    return 0;
  }

  /** The output (as of asOf) of a RunEvent that best matches a model version spec; the latest best match wins. */
  findModel(spec: string, modelName: string | null, asOf: number): Produced | null {
    let best: { p: Produced; score: number } | null = null;
    for (const list of this.byOutput.values()) {
      for (const p of list) {
        if (p.ev.at > asOf) break;
        if (p.ev.d.eventClass !== 'RunEvent' || !p.ev.d.runId) continue;
        const score = LineageIndex.score(spec, modelName, p.ds);
        if (score === 0) continue;
        if (!best || score > best.score || (score === best.score && p.ev.at >= best.p.ev.at)) best = { p, score };
      }
    }
    return best?.p ?? null;
  }

  /** Events of one OpenLineage run as of asOf. */
  runEvents(runId: string, asOf: number): Ev[] {
    return (this.byRun.get(runId) ?? []).filter((e) => e.at <= asOf);
  }

  /** When the model version was first produced (the earliest matching output of the best match class), or null. */
  firstProduction(spec: string, modelName: string | null): number | null {
    let best: { at: number; score: number } | null = null;
    for (const list of this.byOutput.values()) {
      for (const p of list) {
        if (p.ev.d.eventClass !== 'RunEvent' || !p.ev.d.runId) continue;
        const score = LineageIndex.score(spec, modelName, p.ds);
        if (score === 0) continue;
        if (!best || score > best.score || (score === best.score && p.ev.at < best.at)) best = { at: p.ev.at, score };
      }
    }
    return best?.at ?? null;
  }

  /** The earliest invalid event reachable in the version's lineage (for INVALID_LINEAGE_EVENT at derive time). */
  invalidEvents(): Ev[] {
    return this.events.filter((e) => !e.d.valid);
  }
}

const cache = new WeakMap<Db, { sig: string; index: LineageIndex }>();

/** The case's lineage index, cached per connection until lineage records change. */
export function lineageIndex(db: Db): LineageIndex {
  const sig = lineageSignature(db);
  const hit = cache.get(db);
  if (hit && hit.sig === sig) return hit.index;
  const index = new LineageIndex(lineageRecords(db));
  cache.set(db, { sig, index });
  return index;
}

function datasetNode(ns: string, name: string, version: string | null): LineageNode {
  return { id: `dataset:${ns}/${name}@${version ?? '?'}`, kind: 'dataset', label: `${ns}/${name}${version ? `@${version}` : ''}`, namespace: ns, name, version };
}

/**
 * The lineage graph of a model version as of an instant (default: now, i.e. every event). Findings:
 * LINEAGE_NOT_FOUND when nothing produced the version by then; INVALID_LINEAGE_EVENT for each event used
 * that breaks the OpenLineage spec.
 */
export function lineageGraph(index: LineageIndex, modelVersion: string, asOf: number | null, opts: { modelName?: string | null; maxDepth?: number } = {}): LineageGraph {
  const limit = asOf ?? Number.MAX_SAFE_INTEGER;
  const nodes = new Map<string, LineageNode>();
  const edges: LineageGraph['edges'] = [];
  const edgeSet = new Set<string>();
  const findings: Finding[] = [];
  const invalidSeen = new Set<number>();
  const addEdge = (from: string, to: string, kind: 'produced-by' | 'read' | 'parent') => {
    const k = `${from}\u0000${to}\u0000${kind}`;
    if (edgeSet.has(k)) return;
    edgeSet.add(k);
    edges.push({ from, to, kind });
  };
  const noteInvalid = (evs: Ev[]) => {
    for (const e of evs) {
      if (e.d.valid || invalidSeen.has(e.id)) continue;
      invalidSeen.add(e.id);
      findings.push({
        code: 'INVALID_LINEAGE_EVENT',
        severity: 'warning',
        message: `OpenLineage ${e.d.eventType ?? e.d.eventClass} event of ${e.d.job ? `${e.d.job.namespace}/${e.d.job.name}` : 'a dataset'} (run ${e.d.runId ?? '?'}) breaks the spec: ${e.d.problems.slice(0, 3).join('; ')}`,
        stepId: e.key,
      });
    }
  };

  const modelId = `model:${modelVersion}`;
  const modelName = opts.modelName ?? null;
  const root = index.findModel(modelVersion, modelName, limit);
  nodes.set(modelId, {
    id: modelId,
    kind: 'model',
    label: modelName ? `${modelName}@${modelVersion}` : modelVersion,
    version: root?.ds.version ?? modelVersion,
    ...(root ? { namespace: root.ds.namespace, name: root.ds.name } : modelName ? { name: modelName } : {}),
  });
  if (!root) {
    findings.push({
      code: 'LINEAGE_NOT_FOUND',
      severity: 'warning',
      message:
        index.size === 0
          ? `no OpenLineage events in the case: the lineage of model ${modelVersion} cannot be traced`
          : `no OpenLineage job run produced model ${modelName ? `${modelName}@` : ''}${modelVersion}${asOf !== null ? ' before the run' : ''}`,
    });
    return { root: modelVersion, asOf, nodes: [...nodes.values()], edges, findings };
  }

  const maxDepth = opts.maxDepth ?? 25;
  const visitedRuns = new Set<string>();
  const queue: Array<{ runId: string; from: string; edge: 'produced-by' | 'parent'; depth: number }> = [{ runId: root.ev.d.runId!, from: modelId, edge: 'produced-by', depth: 0 }];
  while (queue.length) {
    const { runId, from, edge, depth } = queue.shift()!;
    const nodeId = `run:${runId}`;
    addEdge(from, nodeId, edge);
    if (visitedRuns.has(runId)) continue;
    visitedRuns.add(runId);
    const evs = index.runEvents(runId, limit);
    noteInvalid(evs);
    const last = evs.reduce<Ev | null>((acc, e) => (!acc || (STATE_RANK[e.d.eventType ?? 'OTHER'] ?? 0) >= (STATE_RANK[acc.d.eventType ?? 'OTHER'] ?? 0) ? e : acc), null);
    const job = evs.find((e) => e.d.job)?.d.job ?? null;
    const startedAt = evs.length ? evs[0]!.at : null;
    nodes.set(nodeId, {
      id: nodeId,
      kind: 'job-run',
      label: job ? `${job.namespace}/${job.name}` : `run ${runId}`,
      ...(job ? { namespace: job.namespace, name: job.name } : {}),
      runId,
      at: startedAt,
      state: last?.d.eventType ?? null,
      valid: evs.every((e) => e.d.valid),
    });
    if (depth >= maxDepth) continue;
    // inputs, with the version each had when the run started
    const seenInputs = new Set<string>();
    for (const e of evs) {
      for (const ds of e.d.inputs ?? []) {
        const k = dsKey(ds.namespace, ds.name);
        if (seenInputs.has(k)) continue;
        seenInputs.add(k);
        const readAt = startedAt ?? e.at;
        let version = ds.version ?? null;
        const producer = index.producerOf(ds.namespace, ds.name, version, version ? limit : readAt);
        if (version === null && producer) version = producer.ds.version ?? null;
        const dn = datasetNode(ds.namespace, ds.name, version);
        if (!nodes.has(dn.id)) nodes.set(dn.id, dn);
        addEdge(nodeId, dn.id, 'read');
        if (producer && producer.ev.d.runId && producer.ev.d.runId !== runId) {
          const pn = nodes.get(dn.id)!;
          pn.at = producer.ev.at;
          queue.push({ runId: producer.ev.d.runId, from: dn.id, edge: 'produced-by', depth: depth + 1 });
        }
      }
    }
    // the parent run (e.g. the Airflow DAG run of a task)
    const parent = evs.find((e) => e.d.parent)?.d.parent ?? null;
    if (parent) {
      const pid = `run:${parent.runId}`;
      if (!nodes.has(pid) && index.runEvents(parent.runId, limit).length === 0) {
        nodes.set(pid, { id: pid, kind: 'job-run', label: `${parent.job.namespace}/${parent.job.name}`, namespace: parent.job.namespace, name: parent.job.name, runId: parent.runId, at: null, state: null });
        addEdge(nodeId, pid, 'parent');
        visitedRuns.add(parent.runId);
      } else {
        queue.push({ runId: parent.runId, from: nodeId, edge: 'parent', depth: depth + 1 });
      }
    }
  }
  return { root: modelVersion, asOf, nodes: [...nodes.values()], edges, findings };
}

/** `lineage(db, modelVersion, asOf)`: the point-in-time lineage graph of a model version. */
export function lineage(db: Db, modelVersion: string, asOf?: number | null, opts: { modelName?: string | null } = {}): LineageGraph {
  return lineageGraph(lineageIndex(db), modelVersion, asOf ?? null, opts);
}

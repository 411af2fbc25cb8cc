/**
 * The correlation rules that need more than a join (docs/correlation.md):
 *  - span-parent: in a trace carried by several runs, a record without a run id takes the run of its
 *    nearest ancestor span that has one; when no ancestor has one the record is tied to every run of the
 *    trace, marked inferred;
 *  - session-id: an OPA decision with no run / trace / decision id whose input names a session that exactly
 *    one run has; with several runs in the session, the one whose window holds the decision (inferred);
 *  - time-window: otherwise, the only run (of the decision's workflow when the input names one) whose
 *    [start, end] window holds the decision's timestamp — always marked inferred, with its reason.
 */
import type { DecisionData } from '../../../shared/model';
import { usToIso } from '../../../shared/model';
import type { LinkRow, RunsDeriveStore } from '../store/runs-derive';

/** How far outside a run's window a decision may fall and still be matched (clock jitter, logging delay). */
export const WINDOW_SLACK_US = 1_000_000;

/** Span-parent rule over the traces carried by several runs. */
export function resolveSharedTraces(store: RunsDeriveStore): number {
  let links: LinkRow[] = [];
  let n = 0;
  let cur: string | null = null;
  let recs: Array<{ id: number; kind: string; runId: string | null; spanId: string | null; parentSpanId: string | null }> = [];
  const flush = () => {
    if (cur === null) return;
    const spans = new Map<string, { runId: string | null; parent: string | null }>();
    for (const r of recs) if (r.kind === 'span' && r.spanId && !spans.has(r.spanId)) spans.set(r.spanId, { runId: r.runId, parent: r.parentSpanId });
    const traceRuns = store.runsOfTrace(cur);
    const ancestorRun = (spanId: string | null): string | null => {
      let s = spanId;
      for (let i = 0; s !== null && i < 10_000; i++) {
        const sp = spans.get(s);
        if (!sp) return null;
        if (sp.runId) return sp.runId;
        s = sp.parent;
      }
      return null;
    };
    for (const r of recs) {
      if (r.runId) {
        if (r.kind === 'span') links.push({ runId: r.runId, recordId: r.id, rule: 'run-id', inferred: false, reason: null });
        continue;
      }
      const found = ancestorRun(r.kind === 'span' ? r.parentSpanId : r.spanId);
      if (found) links.push({ runId: found, recordId: r.id, rule: 'span-parent', inferred: false, reason: null });
      else
        for (const runId of traceRuns)
          links.push({
            runId,
            recordId: r.id,
            rule: 'trace-id',
            inferred: true,
            reason: `trace ${cur} is shared by ${traceRuns.length} runs (${traceRuns.slice(0, 3).join(', ')}${traceRuns.length > 3 ? ', …' : ''}) and no ancestor span of this ${r.kind} carries a run id`,
          });
    }
    if (links.length > 5000) {
      store.insertLinks(links);
      n += links.length;
      links = [];
    }
  };
  for (const r of store.sharedTraceRecords()) {
    if (r.traceId !== cur) {
      flush();
      cur = r.traceId;
      recs = [];
    }
    recs.push(r);
  }
  flush();
  store.insertLinks(links);
  return n + links.length;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const SESSION_KEYS = new Set(['session_id', 'sessionid', 'session.id', 'conversation_id', 'conversationid', 'gen_ai.conversation.id']);
const WORKFLOW_KEYS = new Set(['workflow', 'workflow_id', 'workflowid', 'agent', 'casefile.workflow']);

/** The shallowest value under one of `keys` (case-insensitive), breadth first, bounded. */
export function findKey(value: unknown, keys: Set<string>, maxDepth = 6, maxNodes = 2000): string | null {
  let queue: unknown[] = [value];
  let visited = 0;
  for (let depth = 0; depth <= maxDepth && queue.length; depth++) {
    const next: unknown[] = [];
    for (const v of queue) {
      if (++visited > maxNodes) return null;
      if (Array.isArray(v)) {
        next.push(...v);
        continue;
      }
      if (!isObj(v)) continue;
      for (const [k, x] of Object.entries(v)) if (keys.has(k.toLowerCase()) && (typeof x === 'string' || typeof x === 'number') && String(x) !== '') return String(x);
      for (const x of Object.values(v)) if (typeof x === 'object' && x !== null) next.push(x);
    }
    queue = next;
  }
  return null;
}

/** Session-id and time-window links for the OPA decisions no id ties to a run. Returns the linked record ids. */
export function inferDecisionLinks(store: RunsDeriveStore): number[] {
  const candidates = store.unlinkedDecisions();
  if (candidates.length === 0) return [];
  const maxDur = store.maxRunDuration();
  const links: LinkRow[] = [];
  for (const c of candidates) {
    let d: DecisionData;
    try {
      d = JSON.parse(c.data) as DecisionData;
    } catch {
      continue;
    }
    const ts = c.ts;
    const session = findKey(d.input, SESSION_KEYS);
    const within = (r: { started: number | null; ended: number | null }) => ts !== null && r.started !== null && r.started - WINDOW_SLACK_US <= ts && ts <= (r.ended ?? r.started) + WINDOW_SLACK_US;
    if (session) {
      const runs = store.runsOfSession(session);
      if (runs.length === 1) {
        links.push({ runId: runs[0]!.runId, recordId: c.id, rule: 'session-id', inferred: false, reason: null });
        continue;
      }
      const inWin = runs.filter(within);
      if (inWin.length === 1) {
        links.push({
          runId: inWin[0]!.runId,
          recordId: c.id,
          rule: 'session-id+time-window',
          inferred: true,
          reason: `the decision's input names session ${session}, which has ${runs.length} runs; only this one was running at ${usToIso(ts!)}`,
        });
        continue;
      }
    }
    if (ts === null) continue;
    const workflow = findKey(d.input, WORKFLOW_KEYS);
    const around = store.runsAround(ts, workflow, WINDOW_SLACK_US, maxDur).filter(within);
    if (around.length === 1) {
      const r = around[0]!;
      links.push({
        runId: r.runId,
        recordId: c.id,
        rule: 'time-window',
        inferred: true,
        reason: `no run, trace or decision id ties this decision to a run; its time ${usToIso(ts)} falls inside the window of this run (${usToIso(r.started)} – ${usToIso(r.ended)}), the only ${workflow ? `${workflow} run` : 'run'} running then`,
      });
    }
  }
  store.insertLinks(links);
  return links.map((l) => l.recordId);
}

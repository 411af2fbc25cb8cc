/**
 * diffRuns: two reconstructed runs side by side — steps aligned (longest common subsequence over a
 * per-step shape key: kind plus model / policy / tool / written field), policy decisions and reason codes
 * per policy, model versions, lineage versions, writes, and span counts by name.
 */
import type { ReconstructedRun, RunDiff, Step } from '../../../shared/api';
import { jsonEqual } from '../../../shared/diff';
import type { Db } from '../store/db';
import { getRun } from './reconstruct';

/** The alignment key of a step: what it is, not the values it carried. */
export function stepShape(s: Step): string {
  switch (s.kind) {
    case 'model-call':
      return `model-call:${s.model?.name ?? ''}`;
    case 'decision':
      return `decision:${s.decision?.policyId ?? ''}`;
    case 'tool-call':
      return `tool-call:${s.tool?.name ?? s.title}`;
    case 'write':
      return `write:${s.write?.system ?? ''}:${s.write?.field ?? ''}`;
    case 'signal':
      return `signal:${s.signal?.kind ?? ''}`;
    case 'span':
      return `span:${s.title}`;
    case 'log':
      return 'log';
    default:
      return s.kind;
  }
}

/** What must match for two aligned steps to count as the same behaviour. */
function stepContent(s: Step): unknown {
  switch (s.kind) {
    case 'model-call':
      return s.model?.version ?? null;
    case 'decision':
      return [s.decision?.decision, [...(s.decision?.reasonCodes ?? [])].sort()];
    case 'tool-call':
      return s.tool?.status ?? null;
    case 'write':
      return [s.write?.unit ?? null, (s.write?.diff ?? []).map((d) => d.note ?? null)];
    case 'approval':
      return s.approval?.decision ?? null;
    default:
      return null;
  }
}

/** Longest-common-subsequence alignment of two key sequences: pairs of indexes (null where one side has none). */
export function alignSequences(a: string[], b: string[]): Array<[number | null, number | null]> {
  const n = a.length;
  const m = b.length;
  // dp over suffixes, in a flat typed array (n, m ≤ a few thousand)
  const w = m + 1;
  const dp = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) dp[i * w + j] = a[i] === b[j] ? dp[(i + 1) * w + j + 1]! + 1 : Math.max(dp[(i + 1) * w + j]!, dp[i * w + j + 1]!);
  const out: Array<[number | null, number | null]> = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push([i++, j++]);
    } else if (dp[(i + 1) * w + j]! >= dp[i * w + j + 1]!) out.push([i++, null]);
    else out.push([null, j++]);
  }
  while (i < n) out.push([i++, null]);
  while (j < m) out.push([null, j++]);
  return out;
}

function lineageLabels(r: ReconstructedRun): Set<string> {
  return new Set(r.lineage.nodes.filter((n) => n.kind !== 'model').map((n) => n.label + (n.kind === 'job-run' && n.runId ? ` (run ${n.runId})` : '')));
}

export function diffReconstructed(ra: ReconstructedRun, rb: ReconstructedRun): RunDiff {
  const summary: string[] = [];
  const sameModel = ra.modelVersion.value === rb.modelVersion.value;
  if (!sameModel) summary.push(`model version: ${ra.modelVersion.value ?? 'unknown'} → ${rb.modelVersion.value ?? 'unknown'}`);

  const la = lineageLabels(ra);
  const lb = lineageLabels(rb);
  const onlyA = [...la].filter((x) => !lb.has(x)).sort();
  const onlyB = [...lb].filter((x) => !la.has(x)).sort();
  const dsA = onlyA.filter((x) => !x.includes(' (run '));
  const dsB = onlyB.filter((x) => !x.includes(' (run '));
  if (dsA.length || dsB.length) summary.push(`lineage: ${dsA.join(', ') || '—'} → ${dsB.join(', ') || '—'}`);

  // decisions per policy (all of a run's decisions for that policy, in order)
  const decisionsOf = (r: ReconstructedRun) => {
    const m = new Map<string, { decision: string; reasonCodes: string[] }>();
    for (const s of r.steps) {
      if (!s.decision) continue;
      const k = s.decision.policyId ?? '(unknown policy)';
      const prev = m.get(k);
      m.set(k, prev ? { decision: `${prev.decision}, ${s.decision.decision}`, reasonCodes: [...new Set([...prev.reasonCodes, ...s.decision.reasonCodes])] } : { decision: s.decision.decision, reasonCodes: [...s.decision.reasonCodes] });
    }
    return m;
  };
  const da = decisionsOf(ra);
  const db = decisionsOf(rb);
  const decisions: RunDiff['decisions'] = [...new Set([...da.keys(), ...db.keys()])].sort().map((policyId) => {
    const a = da.get(policyId) ?? null;
    const b = db.get(policyId) ?? null;
    const same = !!a && !!b && a.decision === b.decision && jsonEqual([...a.reasonCodes].sort(), [...b.reasonCodes].sort());
    if (!same) summary.push(`policy ${policyId}: ${a ? `${a.decision}${a.reasonCodes.length ? ` (${a.reasonCodes.join(', ')})` : ''}` : 'no decision'} → ${b ? `${b.decision}${b.reasonCodes.length ? ` (${b.reasonCodes.join(', ')})` : ''}` : 'no decision'}`);
    return { policyId, a, b, same };
  });

  // writes per target system.field (numbered when a run writes the same field several times)
  const notes = new Map<string, string>();
  const writesOf = (r: ReconstructedRun, side: 'A' | 'B') => {
    const m = new Map<string, { before: unknown; after: unknown }>();
    const n = new Map<string, number>();
    for (const s of r.steps) {
      if (!s.write) continue;
      const base = `${s.write.system}.${s.write.field}`;
      const i = (n.get(base) ?? 0) + 1;
      n.set(base, i);
      const target = i === 1 ? base : `${base}#${i}`;
      m.set(target, { before: s.write.before, after: s.write.after });
      const note = s.write.diff.find((d) => d.note)?.note;
      if (note) notes.set(`${side} ${target}`, note);
    }
    return m;
  };
  const wa = writesOf(ra, 'A');
  const wb = writesOf(rb, 'B');
  const writes: RunDiff['writes'] = [...new Set([...wa.keys(), ...wb.keys()])].sort().map((target) => {
    const a = wa.get(target) ?? null;
    const b = wb.get(target) ?? null;
    const same = !!a && !!b && jsonEqual(a, b);
    if (!a || !b) summary.push(`write ${target}: only in ${a ? 'A' : 'B'}`);
    else if (!same && (notes.get(`A ${target}`) || notes.get(`B ${target}`))) {
      summary.push(`write ${target}: A ${JSON.stringify(a.after)}${notes.get(`A ${target}`) ? ` [${notes.get(`A ${target}`)}]` : ''} vs B ${JSON.stringify(b.after)}${notes.get(`B ${target}`) ? ` [${notes.get(`B ${target}`)}]` : ''}`);
    }
    return { target, a, b, same };
  });

  const ka = ra.steps.map(stepShape);
  const kb = rb.steps.map(stepShape);
  const steps: RunDiff['steps'] = alignSequences(ka, kb).map(([i, j]) => {
    const sa = i === null ? null : ra.steps[i]!;
    const sb = j === null ? null : rb.steps[j]!;
    const s = (sa ?? sb)!;
    return { kind: s.kind, title: s.title, a: sa?.id ?? null, b: sb?.id ?? null, same: !!sa && !!sb && jsonEqual(stepContent(sa), stepContent(sb)) };
  });
  const onlyStepsA = steps.filter((s) => s.b === null).length;
  const onlyStepsB = steps.filter((s) => s.a === null).length;
  const changed = steps.filter((s) => s.a !== null && s.b !== null && !s.same).length;
  if (onlyStepsA || onlyStepsB || changed) summary.push(`steps: ${onlyStepsA} only in A, ${onlyStepsB} only in B, ${changed} aligned but different`);

  const countNames = (r: ReconstructedRun) => {
    const m = new Map<string, number>();
    for (const s of r.spans) m.set(s.name, (m.get(s.name) ?? 0) + 1);
    return m;
  };
  const sa = countNames(ra);
  const sb = countNames(rb);
  const spans = [...new Set([...sa.keys(), ...sb.keys()])].sort().map((name) => ({ name, a: sa.get(name) ?? 0, b: sb.get(name) ?? 0 }));
  const spanDiffs = spans.filter((s) => s.a !== s.b).length;
  if (spanDiffs) summary.push(`spans: ${spanDiffs} span name${spanDiffs === 1 ? '' : 's'} with different counts`);
  const fa = new Set(ra.findings.map((f) => f.code));
  const fb = new Set(rb.findings.map((f) => f.code));
  const fOnlyA = [...fa].filter((c) => !fb.has(c));
  const fOnlyB = [...fb].filter((c) => !fa.has(c));
  if (fOnlyA.length || fOnlyB.length) summary.push(`findings: ${fOnlyA.join(', ') || '—'} → ${fOnlyB.join(', ') || '—'}`);
  if (summary.length === 0) summary.push('no difference in model, lineage, decisions, writes, step sequence or spans');

  return { a: ra.runId, b: rb.runId, summary, model: { a: ra.modelVersion, b: rb.modelVersion, same: sameModel }, lineage: { onlyA, onlyB }, decisions, writes, steps, spans };
}

export function diffRuns(db: Db, a: string, b: string): RunDiff {
  return diffReconstructed(getRun(db, a), getRun(db, b));
}

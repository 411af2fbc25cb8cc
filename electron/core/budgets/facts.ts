/**
 * The run facts budgets are computed from, as a columnar FactTable (shared/sli.ts): read with one aggregate
 * scan (electron/core/store/facts-store.ts) instead of one object per run, so a million runs load in about
 * a second. Falls back to recon's per-run facts when the scan cannot encode the case.
 */
import type { RunFact, Verdict } from '../../../shared/api';
import { reasonCodeMatters, tableFromFacts, shapeKey, type FactTable } from '../../../shared/sli';
import { openDb, type Db } from '../store/db';
import { readFactColumns } from '../store/facts-store';
import * as recon from '../recon/index';

/** Parse a comma-separated list of integers ('' items → NaN) without creating a string per item. */
export function parseNumberList(s: string, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 0) return out;
  let k = 0;
  let v = 0;
  let neg = false;
  let any = false;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 44;
    if (c === 44) {
      out[k++] = any ? (neg ? -v : v) : NaN;
      v = 0;
      neg = false;
      any = false;
    } else if (c === 45) neg = true;
    else if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      any = true;
    }
  }
  return out;
}

const blank = (): RunFact => ({
  runId: '',
  workflow: null,
  tier: null,
  modelVersion: null,
  startedAt: null,
  endedAt: null,
  writes: 0,
  denied: 0,
  escalated: 0,
  redacted: 0,
  reasonCodes: [],
  undos: 0,
  reruns: 0,
  escalations: 0,
  complaints: 0,
  approvalsRejected: 0,
  labels: [],
  inputLength: 0,
  tools: [],
});

export function factTable(db: Db): FactTable {
  const cols = readFactColumns(db, reasonCodeMatters);
  if (!cols) return tableFromFacts([...recon.runFacts(db)]);
  const { dims, codes, scan, labelled } = cols;
  const n = scan.runs + labelled.length;
  const time = new Float64Array(n);
  const shape = new Uint32Array(n);
  const shapes: RunFact[] = [];
  const byCode = new Map<number, number>();
  const codeList = parseNumberList(scan.codes, scan.runs);
  time.set(parseNumberList(scan.times, scan.runs));
  for (let i = 0; i < scan.runs; i++) {
    const code = codeList[i]!;
    let id = byCode.get(code);
    if (id === undefined) {
      const f = blank();
      const w = code % 256;
      const t = Math.floor(code / 256) % 256;
      const flags = Math.floor(code / 65536) % 64;
      const rc = Math.floor(code / 2 ** 22);
      f.workflow = w ? dims.workflows[w - 1]! : null;
      f.tier = t ? dims.tiers[t - 1]! : null;
      f.writes = flags & 1;
      f.denied = (flags >> 1) & 1;
      f.escalated = (flags >> 2) & 1;
      f.redacted = (flags >> 3) & 1;
      f.undos = (flags >> 4) & 1;
      f.escalations = (flags >> 5) & 1;
      f.reasonCodes = codes.filter((_, b) => Math.floor(rc / 2 ** b) % 2 === 1);
      id = shapes.length;
      shapes.push(f);
      byCode.set(code, id);
    }
    shape[i] = id;
  }
  const byKey = new Map<string, number>();
  labelled.forEach((r, j) => {
    const f: RunFact = {
      ...blank(),
      runId: r.run_id,
      workflow: r.workflow,
      tier: r.tier,
      startedAt: r.started,
      endedAt: r.ended,
      writes: r.n_writes,
      denied: r.n_deny,
      escalated: r.n_escalate,
      redacted: r.n_redact,
      undos: r.n_undo,
      escalations: r.n_escalation_signal,
      reasonCodes: r.reason_codes ? r.reason_codes.split(' ') : [],
      labels: r.labels.split('\n').map((l) => {
        const [category, verdict] = l.split('\t');
        return { category: category!, verdict: verdict as Verdict };
      }),
    };
    const k = shapeKey(f);
    let id = byKey.get(k);
    if (id === undefined) {
      id = shapes.length;
      shapes.push(f);
      byKey.set(k, id);
    }
    const i = scan.runs + j;
    shape[i] = id;
    time[i] = r.ended ?? r.started ?? NaN;
  });
  return { time, shape, shapes };
}

/** The fact table of a case, through a short-lived read-only connection (CLI use). */
export function loadFactTable(casePath: string): FactTable {
  const db = openDb(casePath, { readonly: true });
  try {
    return factTable(db);
  } finally {
    db.close();
  }
}

/** Per-run facts (objects) of a case, through a short-lived read-only connection. */
export function loadRunFacts(casePath: string): RunFact[] {
  const db = openDb(casePath, { readonly: true });
  try {
    return [...recon.runFacts(db)];
  } finally {
    db.close();
  }
}

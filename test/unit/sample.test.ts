/**
 * The sample incident generator: determinism, manifest integrity, schema validity, hash chains, and
 * the answer key — every planted finding and trigger time is recomputed here from the bundle files,
 * independently of the generator's own bookkeeping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse as parseYaml } from 'yaml';
import { Rng } from '../../electron/core/sample/rng';
import { generateSample, RICH_RUNS, type SampleSummary } from '../../electron/core/sample/generate';
import { canonicalJson, FORMAT_NAMES, normalizeHexId } from '../../shared/model';
import auditSchema from '../../shared/schema/casefile-audit.schema.json';
import { CORPUS_DIR, HAVE_CORPUS } from '../corpus';

const RUNS = Number(process.env.CASEFILE_SAMPLE_RUNS ?? 300);
const SEED = Number(process.env.CASEFILE_SAMPLE_SEED ?? 7);

interface Ev {
  [k: string]: any;
}


function sha256(buf: Buffer | string): string {
  return createHash('sha256').update(buf).digest('hex');
}
function readLines(p: string): string[] {
  return readFileSync(p, 'utf8').split('\n').filter((l) => l.trim() !== '');
}
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}
const ms = (iso: string) => Date.parse(iso);

/**
 * Two bundles go through every check below: the default one (every run rich), and a scale-mode one whose
 * rich-run budget is lowered so that most runs are lean (what `--runs 1000000` writes, at a size a unit
 * test can afford). The answer key must be right for both.
 */
interface SuiteCfg {
  label: string;
  runs: number;
  seed: number;
  richRuns?: number;
}
const SUITES: SuiteCfg[] = [
  { label: 'default', runs: RUNS, seed: SEED },
  { label: 'scale mode', runs: 6000, seed: 11, richRuns: 500 },
];

for (const cfg of SUITES) {
  describe(`sample generator (${cfg.label})`, () => {
    let rootA: string;
    let rootB: string;
    let outA: string;
    let outB: string;
    let sumA: SampleSummary;
    let key: any;
    const runs = new Map<string, Ev[]>();
    const spans: any[] = [];
    const decisionIds = new Set<string>();

    beforeAll(async () => {
      rootA = mkdtempSync(join(tmpdir(), 'cf-sample-a-'));
      rootB = mkdtempSync(join(tmpdir(), 'cf-sample-b-'));
      outA = join(rootA, 'bundle');
      outB = join(rootB, 'bundle');
      let progress = 0;
      sumA = await generateSample({ out: outA, runs: cfg.runs, seed: cfg.seed, richRuns: cfg.richRuns, onProgress: (n) => (progress = n) });
      expect(progress).toBe(cfg.runs);
      await generateSample({ out: outB, runs: cfg.runs, seed: cfg.seed, richRuns: cfg.richRuns });
      key = JSON.parse(readFileSync(`${outA}.answer-key.json`, 'utf8'));
      for (const f of ['audit/refund-agent.jsonl', 'audit/kb-answer.jsonl']) {
        for (const line of readLines(join(outA, f))) {
          const e = JSON.parse(line);
          let arr = runs.get(e.run_id);
          if (!arr) runs.set(e.run_id, (arr = []));
          arr.push(e);
        }
      }
      for (const arr of runs.values()) arr.sort((a, b) => a.seq - b.seq);
      for (const line of readLines(join(outA, 'traces/otel-traces.jsonl'))) {
        const req = JSON.parse(line);
        for (const rs of req.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, _service: rs.resource.attributes.find((a: any) => a.key === 'service.name').value.stringValue });
      }
      for (const line of readLines(join(outA, 'policy/opa-decisions.jsonl'))) decisionIds.add(JSON.parse(line).decision_id);
    });

    afterAll(() => {
      for (const r of [rootA, rootB]) if (r) rmSync(r, { recursive: true, force: true });
    });

    const planted = (code: string) => new Set<string>(key.planted_findings.filter((p: any) => p.code === code).map((p: any) => p.run_id));

    it('is deterministic: same seed → byte-identical bundle and answer key', () => {
      const a = readFileSync(join(outA, 'casefile-bundle.json'), 'utf8');
      const b = readFileSync(join(outB, 'casefile-bundle.json'), 'utf8');
      expect(a).toBe(b);
      expect(readFileSync(`${outA}.answer-key.json`, 'utf8')).toBe(readFileSync(`${outB}.answer-key.json`, 'utf8'));
    });

    it('writes a manifest whose hashes and sizes match every evidence file (and only those)', () => {
      const m = JSON.parse(readFileSync(join(outA, 'casefile-bundle.json'), 'utf8'));
      expect(m.bundle_version).toBe(1);
      expect(typeof m.name).toBe('string');
      expect(Number.isFinite(Date.parse(m.created))).toBe(true);
      const listed = new Set<string>();
      for (const f of m.files) {
        expect(FORMAT_NAMES).toContain(f.format);
        expect(f.path).not.toContain('\\');
        const buf = readFileSync(join(outA, f.path));
        expect(sha256(buf)).toBe(f.sha256);
        expect(buf.length).toBe(f.size);
        listed.add(f.path);
      }
      const onDisk = walk(outA).map((p) => relative(outA, p).split(sep).join('/')).filter((p) => p !== 'casefile-bundle.json');
      expect(new Set(onDisk)).toEqual(listed);
      expect(existsSync(`${outA}.answer-key.json`)).toBe(true);
      expect(existsSync(`${outA}.answer-key.parts`)).toBe(false);
      expect(sumA.files.map((f) => f.path).sort()).toEqual([...listed].sort());
    });

    it('writes audit lines that validate against the Casefile audit schema', () => {
      const ajv = new Ajv2020({ allErrors: true, strict: false });
      const validate = ajv.compile(auditSchema as object);
      let n = 0;
      for (const arr of runs.values())
        for (const e of arr) {
          const id = String(e.event_id);
          if (!validate(e)) throw new Error(`${id}: ${ajv.errorsText(validate.errors)}`);
          n++;
        }
      expect(n).toBe(key.expected.audit_lines['audit/refund-agent.jsonl'] + key.expected.audit_lines['audit/kb-answer.jsonl']);
      expect(n).toBe(sumA.counts.auditEvents);
    });

    it('hash chains verify except the planted breaks (lean runs are unchained, every event of them)', () => {
      const broken = new Map<string, string>();
      let unchained = 0;
      for (const [runId, arr] of runs) {
        expect(arr[0].type).toBe('run.start');
        expect(arr.map((e) => e.seq)).toEqual(arr.map((e) => e.seq).sort((x, y) => x - y));
        if (arr.every((e) => e.hash === undefined && e.prev_hash === undefined)) {
          // a lean run: seq 0..n-1 with no gap, no chain at all
          expect(arr.map((e) => e.seq)).toEqual(arr.map((_, k) => k));
          unchained++;
          continue;
        }
        let prev: string | null = null;
        let expectSeq = 0;
        for (const e of arr) {
          const { hash, ...rest } = e;
          if (e.seq !== expectSeq) broken.set(runId, 'missing event');
          else if (e.prev_hash !== prev) broken.set(runId, 'prev_hash');
          if (sha256(`${e.prev_hash ?? ''}\n${canonicalJson(rest)}`) !== hash) broken.set(runId, broken.get(runId) ?? 'hash mismatch');
          prev = hash;
          expectSeq = e.seq + 1;
        }
        expect(arr[0].prev_hash).toBeNull();
      }
      expect(unchained).toBe(key.scale.lean_runs);
      expect(runs.size - unchained).toBe(key.scale.rich_runs);
      const want = key.planted_findings.filter((p: any) => p.code === 'HASH_CHAIN_BROKEN');
      expect(want.map((p: any) => p.variant).sort()).toEqual(['hash mismatch', 'missing event']);
      expect(new Map([...broken].map(([k, v]) => [k, v]))).toEqual(new Map(want.map((p: any) => [p.run_id, p.variant])));
    });

    it('writes OTLP lines as the collector does, with the expected spans and trace links', () => {
      const lines = readLines(join(outA, 'traces/otel-traces.jsonl'));
      for (const line of lines) {
        const req = JSON.parse(line);
        expect(Array.isArray(req.resourceSpans)).toBe(true);
        for (const rs of req.resourceSpans)
          for (const ss of rs.scopeSpans)
            for (const s of ss.spans) {
              expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
              expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
              expect(typeof s.startTimeUnixNano).toBe('string');
              expect(BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano)).toBe(true);
              expect(typeof s.kind).toBe('number');
            }
      }
      expect(spans.length).toBe(key.expected.otlp_spans);
      // independent count: every span is named by an audit event (trace_id + span_id), except the spans of
      // dropped audit events and the planted orphans; runs without a trace have none
      const noTrace = planted('NO_TRACE');
      const referenced = new Set<string>();
      for (const [runId, arr] of runs) {
        if (noTrace.has(runId)) continue;
        for (const e of arr) if (e.span_id) referenced.add(`${e.trace_id}:${e.span_id}`);
      }
      const gapRuns = key.planted_findings.filter((p: any) => p.variant === 'missing event').length;
      const orphans = planted('ORPHAN_SPAN').size;
      expect(spans.length).toBe(referenced.size + gapRuns + orphans);
      const spanKeys = new Set(spans.map((s) => `${s.traceId}:${s.spanId}`));
      for (const r of referenced) expect(spanKeys.has(r)).toBe(true);
      // the chat spans carry the gen_ai attributes
      const chat = spans.filter((s) => s.name === 'chat support-llm');
      expect(chat.length).toBeGreaterThan(0);
      for (const s of chat) {
        const keys = s.attributes.map((a: any) => a.key);
        for (const k of ['gen_ai.system', 'gen_ai.request.model', 'gen_ai.response.model', 'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens']) expect(keys).toContain(k);
      }
      const roots = spans.filter((s) => s.name.startsWith('invoke_agent'));
      for (const s of roots) expect(s.attributes.find((a: any) => a.key === 'casefile.run_id')).toBeTruthy();
    });

    it('plants ORPHAN_SPAN and NO_TRACE exactly where the answer key says', () => {
      const zipkin = JSON.parse(readFileSync(join(outA, 'traces/gateway-zipkin.json'), 'utf8'));
      const jaeger = JSON.parse(readFileSync(join(outA, 'traces/jaeger-export.json'), 'utf8'));
      const langfuse = JSON.parse(readFileSync(join(outA, 'llm/langfuse-trace.json'), 'utf8'));
      const ids = new Set<string>([...spans.map((s) => s.spanId), ...zipkin.map((s: any) => s.id)]);
      const traceIds = new Set<string>([
        ...spans.map((s) => s.traceId),
        ...zipkin.map((s: any) => normalizeHexId(s.traceId, 32)),
        ...jaeger.data.map((t: any) => normalizeHexId(t.traceID, 32)),
        langfuse.trace.id,
      ]);
      const orphanRuns = new Set<string>();
      const runOfTrace = new Map<string, string>();
      for (const [runId, arr] of runs) if (arr[0].trace_id) runOfTrace.set(arr[0].trace_id, runId);
      for (const s of spans) if (s.parentSpanId && !ids.has(s.parentSpanId)) orphanRuns.add(runOfTrace.get(s.traceId)!);
      for (const s of zipkin) if (s.parentId && !ids.has(s.parentId)) orphanRuns.add(`zipkin:${s.id}`);
      expect(orphanRuns).toEqual(planted('ORPHAN_SPAN'));
      const noTrace = new Set<string>();
      for (const [runId, arr] of runs) if (arr[0].trace_id && !traceIds.has(arr[0].trace_id)) noTrace.add(runId);
      expect(noTrace).toEqual(planted('NO_TRACE'));
      expect(noTrace.size).toBe(3);
    });

    it('plants DECISION_NOT_FOUND and WRITE_WITHOUT_DECISION exactly where the answer key says', () => {
      const notFound = new Set<string>();
      const wwd = new Set<string>();
      for (const [runId, arr] of runs) {
        const decisions = arr.filter((e) => e.type === 'policy.decision');
        for (const d of decisions) if (!decisionIds.has(d.decision.decision_id)) notFound.add(runId);
        if (arr.some((e) => e.type === 'write') && decisions.length === 0) wwd.add(runId);
      }
      expect(notFound).toEqual(planted('DECISION_NOT_FOUND'));
      expect(wwd).toEqual(planted('WRITE_WITHOUT_DECISION'));
      expect(decisionIds.size).toBe(key.expected.opa_decisions);
      // every OPA decision names its run and matches an audit event
      const auditDecisionIds = new Set<string>();
      for (const arr of runs.values()) for (const e of arr) if (e.type === 'policy.decision') auditDecisionIds.add(e.decision.decision_id);
      for (const id of decisionIds) expect(auditDecisionIds.has(id)).toBe(true);
      // the console capture mixes decision logs with other OPA lines; its decisions are in the main log too
      const consoleLines = readLines(join(outA, 'policy/opa-console.log'));
      let decisionsSeen = 0;
      let plain = 0;
      for (const l of consoleLines) {
        let o: any;
        try {
          o = JSON.parse(l);
        } catch {
          plain++;
          continue;
        }
        if (o.msg === 'Decision Log') {
          decisionsSeen++;
          expect(decisionIds.has(o.decision_id)).toBe(true);
        }
      }
      expect(decisionsSeen).toBe(key.expected.opa_console_decisions);
      expect(plain).toBeGreaterThanOrEqual(1);
    });

    it('plants MISSING_MODEL_VERSION (no version in audit nor span) and CLOCK_SKEW', () => {
      const spanById = new Map(spans.map((s) => [s.spanId, s]));
      const missing = new Set<string>();
      const fromSpan = new Set<string>();
      const skewed = new Set<string>();
      for (const [runId, arr] of runs) {
        for (const e of arr) {
          if (e.type !== 'model.call' || e.model.version) continue;
          const s = spanById.get(e.span_id);
          const rm = s?.attributes.find((a: any) => a.key === 'gen_ai.response.model')?.value.stringValue as string | undefined;
          if (rm && rm.startsWith('support-llm-')) fromSpan.add(runId);
          else missing.add(runId);
        }
        const root = spanById.get(arr[0].span_id);
        if (root) {
          const offsetMs = Number(BigInt(root.startTimeUnixNano) / 1_000_000n) - ms(arr[0].ts);
          if (Math.abs(offsetMs) > 60_000) skewed.add(runId);
        }
      }
      expect(missing).toEqual(planted('MISSING_MODEL_VERSION'));
      expect(missing.size).toBe(3);
      expect(fromSpan).toEqual(new Set(key.not_findings.map((n: any) => n.run_id)));
      expect(skewed).toEqual(planted('CLOCK_SKEW'));
    });

    it('keeps the answer key consistent with the evidence', () => {
      expect(key.harmful_runs.length).toBe(key.counts.harmful_runs);
      expect(key.harmful_runs.length).toBeGreaterThan(0);
      for (const h of key.harmful_runs) {
        const arr = runs.get(h.run_id)!;
        expect(arr).toBeTruthy();
        const w = arr.find((e) => e.type === 'write')!;
        expect(w.event_id).toBe(h.write_event_id);
        expect(w.write.after).toBe(h.after);
        expect(w.write.after).not.toBe(h.correct);
        expect(w.write.unit).toBe('USD');
        const order = arr.find((e) => e.type === 'tool.call' && e.tool.name === 'lookup_order')!;
        expect(order.tool.result.total).toBe(h.correct);
        if (h.cause === 'amount_in_cents') expect(h.after).toBe(Math.round(h.correct * 100));
      }
      // no write outside the harmful list is wrong
      const harmful = new Set(key.harmful_runs.map((h: any) => h.run_id));
      for (const [runId, arr] of runs) {
        const w = arr.find((e) => e.type === 'write');
        if (!w) continue;
        const order = arr.find((e) => e.type === 'tool.call')!;
        expect(w.write.after !== order.tool.result.total).toBe(harmful.has(runId));
      }
      for (const u of key.undo_signals) {
        const e = runs.get(u.run_id)!.find((x) => x.event_id === u.event_id)!;
        expect(e.type).toBe('user.signal');
        expect(e.signal.kind).toBe('undo');
      }
      for (const l of key.labels_to_apply) {
        expect(['materially-wrong-write', 'pii-exposure']).toContain(l.category);
        expect(runs.get(l.run_id)!.some((e) => e.event_id === l.event_id)).toBe(true);
      }
      // every harmful write is labelled harmful; every other undone write is cleared (benign)
      const harmfulLabels = key.labels_to_apply.filter((l: any) => l.category === 'materially-wrong-write' && l.verdict === 'harmful');
      expect(harmfulLabels.length).toBe(key.harmful_runs.length);
      for (const p of key.pii_blocked_runs) {
        const d = runs.get(p.run_id)!.find((e) => e.type === 'policy.decision' && e.decision.decision_id === p.decision_id)!;
        expect(d.decision.decision).toBe('deny');
        expect(d.decision.reason_codes.some((c: string) => c.startsWith('PII_'))).toBe(true);
      }
      // every planted finding names a run in the audit trail; a handful each
      for (const p of key.planted_findings) expect(runs.has(p.run_id)).toBe(true);
      const codes = new Set(key.planted_findings.map((p: any) => p.code));
      expect([...codes].sort()).toEqual(['CLOCK_SKEW', 'DECISION_NOT_FOUND', 'HASH_CHAIN_BROKEN', 'MISSING_MODEL_VERSION', 'NO_TRACE', 'ORPHAN_SPAN', 'WRITE_WITHOUT_DECISION']);
    });

    it('resolves the affected set with the documented query', () => {
      const spanById = new Map(spans.map((s) => [s.spanId, s]));
      let affected = 0;
      for (const arr of runs.values()) {
        if (arr[0].workflow !== 'refund-agent' || !arr.some((e) => e.type === 'write')) continue;
        const mc = arr.find((e) => e.type === 'model.call')!;
        let version: string | undefined = mc.model.version;
        if (!version) {
          const rm = spanById.get(mc.span_id)?.attributes.find((a: any) => a.key === 'gen_ai.response.model')?.value.stringValue as string | undefined;
          if (rm?.startsWith('support-llm-')) version = rm.slice('support-llm-'.length);
        }
        if (version === '2026.10.2') affected++;
      }
      expect(affected).toBe(key.affected_set.expected_count);
      expect(affected).toBe(sumA.counts.affectedRuns);
    });

    it('replays the budgets.yaml rollback rules to the answer key trigger times', () => {
      const doc = parseYaml(readFileSync(join(outA, 'budgets.yaml'), 'utf8'));
      expect(doc.budgets_version).toBe(1);
      const dur = (s: string) => {
        const m = /^(\d+)(m|h|d)$/.exec(s)!;
        return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
      };
      const objective = (v: string | number) => {
        if (typeof v === 'number') return v;
        const oneIn = /^(\d+) in (\d+)$/.exec(v);
        if (oneIn) return Number(oneIn[1]) / Number(oneIn[2]);
        const pct = /^([\d.]+)%$/.exec(v);
        return Number(pct![1]) / 100;
      };
      // the investigators' labels of the answer key, per run (category + verdict)
      const labels = new Map<string, Array<{ category: string; verdict: string }>>();
      for (const l of key.labels_to_apply) {
        if (!labels.has(l.run_id)) labels.set(l.run_id, []);
        labels.get(l.run_id)!.push(l);
      }
      const LABEL_CATEGORIES: Record<string, string[]> = {
        wrong_write_rate: ['materially-wrong-write', 'wrong-write', 'incorrect-write'],
        policy_violation_rate: ['policy-violation', 'policy-boundary-attempt', 'pii-exposure', 'pii-leak', 'prompt-injection', 'disallowed-content', 'data-exfiltration', 'jailbreak'],
        unsafe_completion_rate: ['unsafe-completion', 'unsafe-output', 'pii-exposure', 'pii-leak', 'hallucination', 'harmful-content', 'disallowed-content', 'prompt-injection'],
      };
      const bad = (runId: string, arr: Ev[], sli: string, withLabels: boolean): boolean => {
        const ls = withLabels ? (labels.get(runId) ?? []).filter((l) => (LABEL_CATEGORIES[sli] ?? []).includes(l.category)) : [];
        if (ls.some((l) => l.verdict === 'harmful')) return true;
        if (ls.some((l) => l.verdict === 'benign')) return false;
        const decisions = arr.filter((e) => e.type === 'policy.decision').map((e) => e.decision);
        const signals = arr.filter((e) => e.type === 'user.signal').map((e) => e.signal.kind);
        switch (sli) {
          case 'wrong_write_rate':
            return arr.some((e) => e.type === 'write') && signals.includes('undo');
          case 'unsafe_completion_rate':
            return !decisions.some((d) => d.decision === 'deny' || d.decision === 'redact') && decisions.some((d) => d.reason_codes?.some((c: string) => /PII/.test(c)));
          case 'policy_violation_rate':
            return decisions.some((d) => d.reason_codes?.some((c: string) => /PII|INJECTION/.test(c)));
          case 'block_rate':
            return decisions.some((d) => d.decision === 'deny');
          case 'escalation_rate':
            return decisions.some((d) => d.decision === 'escalate') || signals.includes('escalation');
          case 'undo_rate':
            return signals.includes('undo');
        }
        throw new Error(sli);
      };
      const harmfulRun = (runId: string) => (labels.get(runId) ?? []).some((l) => l.verdict === 'harmful');
      const replay = (rs: Array<{ end: number; bad: boolean }>, over: number, minEvents: number, burnRate: number, obj: number): number | null => {
        for (const r of rs) {
          const t = r.end;
          const win = rs.filter((x) => x.end > t - over && x.end <= t);
          const nBad = win.filter((x) => x.bad).length;
          if (nBad >= minEvents && nBad / win.length / obj >= burnRate * (1 - 1e-9)) return t;
        }
        return null;
      };
      let checked = 0;
      let fired = 0;
      for (const b of doc.budgets) {
        const scope = [...runs.entries()].filter(([, arr]) => arr[0].workflow === b.workflow && (!b.tier || arr[0].tier === b.tier));
        const ends = (withLabels: boolean) =>
          scope.map(([id, arr]) => ({ id, end: ms(arr.find((e) => e.type === 'run.end')!.ts), bad: bad(id, arr, b.sli, withLabels) })).sort((x, y) => x.end - y.end);
        const rsL = ends(true);
        const rsE = ends(false);
        const obj = objective(b.objective);
        for (const rule of b.rollback) {
          const over = dur(rule.over);
          const minEvents = rule.min_events ?? doc.defaults?.min_events ?? 1;
          const firesAt = replay(rsL, over, minEvents, rule.burn_rate, obj);
          const want = key.trigger_replay.find((x: any) => x.budget_id === b.id && x.rule === rule.name);
          expect(want, `${b.id}/${rule.name}`).toBeTruthy();
          expect(want.fires_at === null ? null : ms(want.fires_at), `${b.id}/${rule.name}`).toBe(firesAt);
          const evidenceOnly = replay(rsE, over, minEvents, rule.burn_rate, obj);
          expect(want.fires_at_evidence_only === null ? null : ms(want.fires_at_evidence_only), `${b.id}/${rule.name} (evidence only)`).toBe(evidenceOnly);
          // harm after the firing: labelled-harmful runs of the budget's scope ending later
          const harmAfter = firesAt === null ? 0 : rsL.filter((r) => harmfulRun(r.id) && r.end > firesAt).length;
          expect(want.harmful_runs_after, `${b.id}/${rule.name}`).toBe(harmAfter);
          expect(want.harmful_runs_total).toBe(rsL.filter((r) => harmfulRun(r.id)).length);
          const writesAfter =
            firesAt === null
              ? 0
              : key.harmful_runs.filter((h: any) => h.workflow === b.workflow && (!b.tier || h.tier === b.tier) && ms(h.run_ended_at) > firesAt!).length;
          expect(want.harmful_writes_after, `${b.id}/${rule.name}`).toBe(writesAfter);
          checked++;
          if (firesAt !== null) fired++;
        }
      }
      expect(checked).toBe(key.trigger_replay.length);
      expect(fired).toBeGreaterThan(0);
    });

    it('exports the same traces to Jaeger (one trace id trimmed) and links the other formats', () => {
      const jaeger = JSON.parse(readFileSync(join(outA, 'traces/jaeger-export.json'), 'utf8'));
      const otlpIds = new Set(spans.map((s) => `${s.traceId}:${s.spanId}`));
      const trimmed = new Set<string>();
      for (const t of jaeger.data) {
        if (t.traceID.length < 32) trimmed.add(normalizeHexId(t.traceID, 32)!);
        for (const s of t.spans) {
          expect(otlpIds.has(`${normalizeHexId(s.traceID, 32)}:${s.spanID}`)).toBe(true);
          expect(t.processes[s.processID]).toBeTruthy();
        }
      }
      expect(jaeger.data.length).toBe(key.expected.jaeger_traces);
      // Jaeger drops leading zeros of a trace id: the planted one (and any random id starting with 0)
      expect(trimmed.has(key.exports.jaeger_trimmed_trace_id.trace_id)).toBe(true);
      expect(key.exports.jaeger_trimmed_trace_id.as_jaeger_writes_it.length).toBeLessThan(32);
      const zipkin = JSON.parse(readFileSync(join(outA, 'traces/gateway-zipkin.json'), 'utf8'));
      expect(zipkin.length).toBe(key.expected.zipkin_spans);
      expect(zipkin.filter((s: any) => s.timestamp === undefined && s.duration === undefined).length).toBeGreaterThanOrEqual(1);
      const rootParents = new Set(spans.filter((s) => s.parentSpanId).map((s) => s.parentSpanId));
      expect(zipkin.filter((s: any) => s.kind === 'CLIENT').every((s: any) => rootParents.has(s.id))).toBe(true);
      const langfuse = JSON.parse(readFileSync(join(outA, 'llm/langfuse-trace.json'), 'utf8'));
      expect(langfuse.observations.every((o: any) => otlpIds.has(`${langfuse.trace.id}:${o.id}`))).toBe(true);
      expect(JSON.parse(langfuse.trace.metadata).attributes['casefile.run_id']).toBe(key.exports.langfuse);
      const langsmith = JSON.parse(readFileSync(join(outA, 'llm/langsmith-run.json'), 'utf8'));
      expect(langsmith.post[0].extra.metadata['casefile.run_id']).toBe(key.exports.langsmith);
      expect(langsmith.patch[0].id).toBe(langsmith.post[0].id);
      const logs = JSON.parse(readFileSync(join(outA, 'traces/otel-logs.json'), 'utf8'));
      const recs = logs.resourceLogs.flatMap((r: any) => r.scopeLogs.flatMap((s: any) => s.logRecords));
      expect(recs.length).toBe(key.expected.otlp_log_records);
      const traceIds = new Set(spans.map((s) => s.traceId));
      for (const r of recs) if (r.traceId) expect(traceIds.has(r.traceId)).toBe(true);
    });

    it('writes point-in-time lineage: the incident version was trained on refund_examples v7 before the deploy', () => {
      const events = readLines(join(outA, 'lineage/openlineage.jsonl')).map((l) => JSON.parse(l));
      expect(events.length).toBe(key.expected.lineage_events);
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
      for (const e of events) {
        expect(e.eventTime).toMatch(/\+00:00$/);
        expect(e.producer).toMatch(/^https:\/\//);
        expect(e.schemaURL).toBe('https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent');
        expect(e.run.runId).toMatch(uuid);
        for (const fs of [e.job.facets ?? {}, e.run.facets ?? {}]) for (const f of Object.values<any>(fs)) expect(f._producer && f._schemaURL).toBeTruthy();
      }
      const trained = events.filter((e) => e.eventType === 'COMPLETE' && e.outputs.some((o: any) => o.namespace === 'models'));
      const byVersion = new Map(trained.map((e) => [e.outputs[0].facets.version.datasetVersion, e]));
      expect([...byVersion.keys()].sort()).toEqual(['2026.10.1', '2026.10.2', '2026.10.3']);
      const v2 = byVersion.get('2026.10.2')!;
      expect(v2.inputs.find((i: any) => i.name === 'refund_examples').facets.version.datasetVersion).toBe('v7');
      expect(byVersion.get('2026.10.1')!.inputs.find((i: any) => i.name === 'refund_examples').facets.version.datasetVersion).toBe('v6');
      expect(ms(v2.eventTime)).toBeLessThan(ms(key.story.deploy_time));
      // 2026.10.3 exists but only after every run that used 2026.10.2
      const v3 = byVersion.get('2026.10.3')!;
      for (const arr of runs.values()) {
        const mc = arr.find((e) => e.type === 'model.call');
        if (mc?.model.version === '2026.10.2') expect(ms(mc.ts)).toBeLessThan(ms(v3.eventTime));
        expect(mc?.model.version).not.toBe('2026.10.3');
      }
      // task runs point at their DAG run
      const tasks = events.filter((e) => e.run.facets?.parent);
      expect(tasks.length).toBeGreaterThan(0);
      const runIds = new Set(events.map((e) => e.run.runId));
      for (const t of tasks) expect(runIds.has(t.run.facets.parent.run.runId)).toBe(true);
      expect(key.lineage.model_versions['2026.10.2'].trainingRunId).toBe(v2.run.runId);
    });

    it.skipIf(!HAVE_CORPUS)('writes OpenLineage events valid per the spec in the corpus', () => {
      const ajv = new Ajv2020({ strict: false, validateFormats: false });
      const spec = JSON.parse(readFileSync(join(CORPUS_DIR, 'openlineage/spec/OpenLineage.json'), 'utf8'));
      ajv.addSchema(spec);
      const validate = ajv.getSchema('https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent')!;
      for (const l of readLines(join(outA, 'lineage/openlineage.jsonl'))) {
        const ok = validate(JSON.parse(l));
        if (!ok) throw new Error(ajv.errorsText(validate.errors));
      }
    });

    it.runIf(cfg.richRuns !== undefined)('scale mode: special runs stay rich, the others are mostly lean, small and complete in essentials', () => {
      const chained = (id: string) => runs.get(id)!.some((e) => typeof e.hash === 'string');
      expect(sumA.counts.richRuns).toBe(key.scale.rich_runs);
      expect(sumA.counts.leanRuns).toBe(key.scale.lean_runs);
      expect(sumA.counts.richRuns + sumA.counts.leanRuns).toBe(cfg.runs);
      expect(key.scale.rich_run_budget).toBe(cfg.richRuns);
      // the story's special runs are always written in full
      const special = new Set<string>([
        ...key.planted_findings.map((p: any) => p.run_id),
        ...key.not_findings.map((n: any) => n.run_id),
        ...key.exports.jaeger.map((j: any) => j.run_id),
        ...key.exports.zipkin_gateway,
        key.exports.langfuse,
        key.exports.langsmith,
        ...key.harmful_runs.map((h: any) => h.run_id),
        ...key.unsafe_completions.map((u: any) => u.run_id),
      ]);
      expect(key.harmful_runs.length).toBeGreaterThan(0);
      for (const id of special) expect(chained(id), id).toBe(true);
      // ordinary runs: rich with probability budget / N (binomial, generous bounds)
      const ordinaryRich = [...runs.keys()].filter((id) => chained(id) && !special.has(id)).length;
      expect(ordinaryRich).toBeGreaterThan(cfg.richRuns! * 0.75);
      expect(ordinaryRich).toBeLessThan(cfg.richRuns! * 1.25);
      // lean runs carry the essentials: run.start, input, model.call with its version, a policy decision,
      // tool.call + write when the run writes, output, run.end; about one in five exports a two-span trace
      const spansOfTrace = new Map<string, number>();
      for (const sp of spans) spansOfTrace.set(sp.traceId, (spansOfTrace.get(sp.traceId) ?? 0) + 1);
      let lean = 0;
      let traced = 0;
      let events = 0;
      for (const [id, arr] of runs) {
        if (chained(id)) continue;
        lean++;
        const types = arr.filter((e) => e.type !== 'user.signal').map((e) => e.type);
        events += arr.length;
        expect(types[0]).toBe('run.start');
        expect(types[types.length - 1]).toBe('run.end');
        for (const t of ['input', 'model.call', 'policy.decision', 'output']) expect(types, id).toContain(t);
        expect(types.includes('write')).toBe(types.includes('tool.call'));
        expect(types.length).toBeLessThanOrEqual(10);
        expect(arr.find((e) => e.type === 'model.call')!.model.version).toMatch(/^2026\.10\.[12]$/);
        expect(arr[0].workflow).toMatch(/^(refund-agent|kb-answer)$/);
        expect(arr[0].tier).toBeTruthy();
        if (arr[0].trace_id) {
          traced++;
          expect(spansOfTrace.get(arr[0].trace_id)).toBe(2);
        } else expect(arr.some((e) => e.trace_id)).toBe(false);
      }
      expect(lean).toBe(key.scale.lean_runs);
      expect(lean).toBeGreaterThan(cfg.runs * 0.7);
      expect(events / lean).toBeGreaterThan(6);
      expect(events / lean).toBeLessThan(8.5);
      expect(traced / lean).toBeGreaterThan(0.15);
      expect(traced / lean).toBeLessThan(0.25);
    });

    it.runIf(cfg.richRuns !== undefined)('scale mode: a lean run writes about a third of the bytes of a rich run, all formats included', () => {
      const runOf = /"run_id":"(run_[0-9A-Z]{26})"/;
      const bytes = new Map<string, number>();
      const add = (id: string | undefined, n: number) => id && bytes.set(id, (bytes.get(id) ?? 0) + n);
      for (const f of ['audit/refund-agent.jsonl', 'audit/kb-answer.jsonl', 'policy/opa-decisions.jsonl']) {
        for (const line of readLines(join(outA, f))) add(runOf.exec(line)?.[1], Buffer.byteLength(line) + 1);
      }
      const runOfTrace = new Map<string, string>();
      for (const [id, arr] of runs) if (arr[0].trace_id) runOfTrace.set(arr[0].trace_id, id);
      for (const sp of spans) {
        const { _service, ...raw } = sp;
        add(runOfTrace.get(sp.traceId), Buffer.byteLength(JSON.stringify(raw)) + 1);
      }
      const mean = (ids: string[]) => ids.reduce((a, id) => a + (bytes.get(id) ?? 0), 0) / ids.length;
      const isLean = (id: string) => runs.get(id)!.every((e) => e.hash === undefined);
      const leanIds = [...runs.keys()].filter(isLean);
      const richIds = [...runs.keys()].filter((id) => !isLean(id));
      const leanMean = mean(leanIds);
      const richMean = mean(richIds);
      // measured: ~2.9 KB per lean run (≈ 2 KB audit, ≈ 0.6 KB OPA, spans for one in five), ~10 KB per rich run
      expect(leanMean).toBeLessThan(3_600);
      expect(leanMean / richMean).toBeLessThan(0.4);
      // and the whole bundle shrinks accordingly per run
      expect(sumA.totalBytes / cfg.runs).toBeLessThan(0.55 * richMean);
    });
  });
}

describe('sample generator: when scale mode starts', () => {
  it('keeps every run rich up to the budget and makes most runs lean above it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cf-sample-edge-'));
    try {
      const at = await generateSample({ out: join(root, 'at'), runs: 400, seed: 3, richRuns: 400 });
      expect(at.counts.leanRuns).toBe(0);
      expect(at.counts.richRuns).toBe(400);
      const above = await generateSample({ out: join(root, 'above'), runs: 1600, seed: 3, richRuns: 400 });
      expect(above.counts.richRuns + above.counts.leanRuns).toBe(1600);
      expect(above.counts.leanRuns).toBeGreaterThan(1000);
      // the same story either way: every planted finding is there
      expect(above.counts.plantedFindings).toBe(at.counts.plantedFindings);
      expect(RICH_RUNS).toBe(20_000);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('sample ids: salted per run', () => {
  it('two Rngs whose streams coincide still draw different ids when their salts differ; the same salt repeats exactly', () => {
    // mulberry32 adds a constant to its state per draw: the stream of seed s, one draw later, IS the stream of s + C
    const C = 0x6d2b79f5;
    const a = new Rng(12345, 1);
    a.u32(); // a is now where a fresh Rng(12345 + C) starts
    const b = new Rng((12345 + C) >>> 0, 2);
    expect(a.u32()).toBe(b.u32()); // the streams coincide…
    expect(a.uuid4()).not.toBe(b.uuid4()); // …the ids do not
    expect(a.hexId(32)).not.toBe(b.hexId(32));
    expect(a.ulid(1_760_000_000_000)).not.toBe(b.ulid(1_760_000_000_000));
    const c = new Rng(777, 5);
    const d = new Rng(777, 5);
    expect([c.uuid4(), c.hexId(16), c.ulid(1)]).toEqual([d.uuid4(), d.hexId(16), d.ulid(1)]);
  });
});

/**
 * Run reconstruction on real files from ../shared/corpus: the Jaeger GenAI trace resolves its model (and
 * says from which attribute), the Airflow OpenLineage events give parent/child runs and dataset lineage
 * (point in time), Langfuse exports reconstruct as runs with ordered steps. Expectations are computed here
 * from the raw files.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importInProcess } from '../../electron/core/import/apply';
import { openDb, type Db } from '../../electron/core/store/db';
import { getRun, lineage, listRuns } from '../../electron/core/recon/index';
import { CORPUS_DIR, HAVE_CORPUS, corpusJson, corpusPath, corpusText } from '../corpus';
import { tempDir } from '../helpers/cli';
import { readdirSync } from 'node:fs';

const isoUs = (s: string) => {
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s)!;
  return Date.parse(`${m[1]}${m[3]}`) * 1000 + Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
};

describe.skipIf(!HAVE_CORPUS)(`run reconstruction on the corpus (${CORPUS_DIR})`, () => {
  let db: Db;
  const langfuseFiles = HAVE_CORPUS ? readdirSync(corpusPath('llm_runs/langfuse')).filter((f) => f.endsWith('.json')).sort() : [];
  beforeAll(async () => {
    const dir = tempDir('casefile-recon-corpus-');
    const casePath = join(dir, 'corpus.casefile');
    const r = await importInProcess(casePath, [
      corpusPath('jaeger_zipkin/jaegerui_genaiTestTrace.json'),
      corpusPath('openlineage/olcompat_airflow_events.jsonl'),
      ...langfuseFiles.map((f) => corpusPath(`llm_runs/langfuse/${f}`)),
    ]);
    expect(r.errors).toEqual([]);
    db = openDb(casePath);
  });

  it('the Jaeger GenAI trace is a run whose model comes from gen_ai.response.model', () => {
    const doc = corpusJson<{ traceID: string; spans: Array<{ spanID: string; startTime: number; tags: Array<{ key: string; value: unknown }> }> }>('jaeger_zipkin/jaegerui_genaiTestTrace.json');
    const traceId = doc.traceID.toLowerCase().padStart(32, '0');
    const withModel = doc.spans
      .map((s) => ({ s, model: s.tags.find((t) => t.key === 'gen_ai.response.model')?.value as string | undefined }))
      .filter((x) => x.model)
      .sort((a, b) => a.s.startTime - b.s.startTime);
    expect(withModel.length).toBeGreaterThan(0);
    const run = getRun(db, `trace:${traceId}`);
    expect(run.modelVersion.value).toBe(withModel[0]!.model);
    expect(run.modelVersion.source).toBe('gen_ai.response.model');
    expect(run.modelVersion.stepId).toBe(`span:${traceId}:${withModel[0]!.s.spanID.toLowerCase().padStart(16, '0')}`);
    expect(run.spans).toHaveLength(doc.spans.length);
    expect(run.findings.map((f) => f.code)).toContain('NO_AUDIT_TRAIL');
    // every step has its source file and JSON path
    for (const s of run.steps) {
      expect(s.source.path).toMatch(/jaegerui_genaiTestTrace\.json$/);
      expect(s.source.jsonPath).toMatch(/^\$/);
    }
    expect(run.steps.some((s) => s.kind === 'model-call')).toBe(true);
    expect(run.steps.some((s) => s.kind === 'tool-call')).toBe(true);
    expect(listRuns(db, { modelVersion: [withModel[0]!.model!] }).rows.map((r) => r.runId)).toContain(`trace:${traceId}`);
  });

  it('Langfuse exports reconstruct as runs with ordered steps, one per observation', () => {
    for (const f of langfuseFiles) {
      const doc = corpusJson<{ trace: { id: string }; observations: Array<{ id: string; parentObservationId?: string | null; model?: string | null; startTime: string; metadata?: unknown }> }>(`llm_runs/langfuse/${f}`);
      const runId = /^[0-9a-f]{32}$/i.test(doc.trace.id) ? doc.trace.id.toLowerCase() : doc.trace.id;
      const roots = doc.observations.filter((o) => !o.parentObservationId).length;
      const run = getRun(db, runId);
      expect(run.steps, f).toHaveLength(doc.observations.length + (roots === 1 ? 0 : 1));
      const at = run.steps.map((s) => s.at ?? Infinity);
      expect(
        at.every((t, i) => i === 0 || t >= at[i - 1]!),
        `${f}: steps in time order`,
      ).toBe(true);
      expect(run.startedAt).toBe(Math.min(...doc.observations.map((o) => isoUs(o.startTime))));
      // the model named by the export (Langfuse's model field or an OTel attribute of the observation)
      const named = new Set<string>();
      const text = corpusText(`llm_runs/langfuse/${f}`);
      for (const o of doc.observations) if (o.model) named.add(o.model);
      for (const m of text.matchAll(/"(?:gen_ai\.response\.model|gen_ai\.request\.model|llm\.model_name)"\s*:\s*"([^"]+)"/g)) named.add(m[1]!);
      if (named.size) {
        expect(named.has(run.modelVersion.value!), `${f}: ${run.modelVersion.value} in ${[...named].join(', ')}`).toBe(true);
        expect(['gen_ai.response.model', 'gen_ai.request.model', 'llm.model_name', 'langfuse']).toContain(run.modelVersion.source);
      }
      for (const s of run.steps) expect(s.source.path).toMatch(new RegExp(`${f.replace('.', '\\.')}$`));
    }
  });

  describe('Airflow OpenLineage events', () => {
    interface Ol {
      eventType: string;
      eventTime: string;
      run: { runId: string; facets?: { parent?: { run: { runId: string }; job: { name: string } } } };
      job: { namespace: string; name: string };
      inputs?: Array<{ namespace: string; name: string }>;
      outputs?: Array<{ namespace: string; name: string }>;
    }
    const events = HAVE_CORPUS
      ? corpusText('openlineage/olcompat_airflow_events.jsonl')
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l) as Ol)
      : [];

    it('parent/child runs and dataset lineage, recursively', () => {
      // independent walk over the raw events: producer of a dataset → its inputs → their producers
      const producer = (ns: string, name: string) => events.find((e) => (e.outputs ?? []).some((o) => o.namespace === ns && o.name === name));
      const expectJobs = new Set<string>();
      const expectDatasets = new Set<string>();
      const parents = new Set<string>();
      const walk = (ns: string, name: string) => {
        const p = producer(ns, name);
        if (!p || expectJobs.has(p.job.name)) return;
        expectJobs.add(p.job.name);
        const par = events.find((e) => e.run.runId === p.run.runId && e.run.facets?.parent)?.run.facets?.parent;
        if (par) parents.add(`${p.job.name}→${par.job.name}`);
        for (const e of events.filter((x) => x.run.runId === p.run.runId))
          for (const i of e.inputs ?? []) {
            expectDatasets.add(`${i.namespace}/${i.name}`);
            walk(i.namespace, i.name);
          }
      };
      walk('gs://mock-bucket', 'result.csv');
      expect(expectJobs.size).toBeGreaterThan(1);

      const g = lineage(db, 'gs://mock-bucket/result.csv');
      expect(g.findings).toEqual([]);
      const jobs = g.nodes.filter((n) => n.kind === 'job-run');
      const datasets = g.nodes.filter((n) => n.kind === 'dataset');
      const parentNames = new Set([...parents].map((p) => p.split('→')[1]!));
      expect(new Set(jobs.map((j) => j.name))).toEqual(new Set([...expectJobs, ...parentNames]));
      expect(new Set(datasets.map((d) => `${d.namespace}/${d.name}`))).toEqual(expectDatasets);
      const byId = new Map(g.nodes.map((n) => [n.id, n]));
      const parentEdges = new Set(g.edges.filter((e) => e.kind === 'parent').map((e) => `${byId.get(e.from)!.name}→${byId.get(e.to)!.name}`));
      expect(parentEdges).toEqual(parents);
      // the root is produced by the last task, which read the copy
      const root = g.edges.find((e) => e.from === 'model:gs://mock-bucket/result.csv')!;
      expect(byId.get(root.to)!.name).toBe(producer('gs://mock-bucket', 'result.csv')!.job.name);
    });

    it('point in time: before the producing run completed, the dataset has no lineage', () => {
      const p = events.find((e) => e.eventType === 'COMPLETE' && (e.outputs ?? []).some((o) => o.name === 'result.csv'))!;
      const t = isoUs(p.eventTime);
      expect(lineage(db, 'gs://mock-bucket/result.csv', t - 1).findings.map((f) => f.code)).toEqual(['LINEAGE_NOT_FOUND']);
      expect(lineage(db, 'gs://mock-bucket/result.csv', t).findings).toEqual([]);
      // as of the producing run's completion, the copy it read is known, and nothing later is
      const g = lineage(db, 'gs://mock-bucket/result.csv', t);
      const later = events.filter((e) => isoUs(e.eventTime) > t).map((e) => e.run.runId);
      expect(g.nodes.filter((n) => n.runId && later.includes(n.runId) && !events.some((e) => e.run.runId === n.runId && isoUs(e.eventTime) <= t))).toEqual([]);
    });
  });
});

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emit, NormalizedRecord, SpanData } from '../../shared/model';
import { decodeJsonString, derivedHexId, langfuseHandler, renderLlmText } from '../../electron/core/import/formats/langfuse';
import { CORPUS_DIR, HAVE_CORPUS, corpusPath, corpusText } from '../corpus';
import { frameText, runHandler, sniffText } from '../helpers/frame';

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const records = (emits: Emit[]): NormalizedRecord[] => emits.flatMap((e) => (e.type === 'record' ? [e.record] : []));
const span = (r: NormalizedRecord): SpanData => r.data as SpanData;
const iso = (s: string) => Date.parse(s) * 1000; // the corpus times have millisecond precision

function corpusFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(CORPUS_DIR, p));
    }
  };
  walk(CORPUS_DIR);
  return out.filter((f) => !f.startsWith('openlineage/spec/') && !['MANIFEST.tsv', 'README.md'].includes(f)).sort();
}

const LANGFUSE_FILES = ['agno-2025-06-11', 'beeai-2025-08-01', 'google-adk-2025-08-28', 'langgraph-2025-08-22', 'openai-agents-2025-09-30', 'pydantic-ai-tools-2025-12-04'].map(
  (n) => `llm_runs/langfuse/${n}.json`,
);

describe('langfuse: helpers', () => {
  it('keeps W3C-shaped hex ids and hashes anything else (first hex digits of sha256)', () => {
    expect(derivedHexId('080130871F53145AECF7C29D5DFB6E4C', 32)).toBe('080130871f53145aecf7c29d5dfb6e4c');
    expect(derivedHexId('1cffdfa6fe3412e6', 16)).toBe('1cffdfa6fe3412e6');
    const uuid = 'c3b1d2a4-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
    expect(derivedHexId(uuid, 32)).toBe(sha(uuid).slice(0, 32));
    expect(derivedHexId(uuid, 16)).toBe(sha(uuid).slice(0, 16));
    expect(derivedHexId('my-custom-trace', 32)).toBe(sha('my-custom-trace').slice(0, 32));
    expect(derivedHexId('0000000000000000', 16)).toBe(sha('0000000000000000').slice(0, 16)); // all-zero ids are invalid
    expect(derivedHexId('1cffdfa6fe3412e6', 32)).toBe(sha('1cffdfa6fe3412e6').slice(0, 32)); // wrong width: hashed
  });

  it('decodes JSON encoded in strings, twice over', () => {
    const twice = JSON.stringify(JSON.stringify({ a: 1 }));
    expect(decodeJsonString(twice)).toEqual({ a: 1 });
    expect(decodeJsonString('plain text')).toBe('plain text');
    expect(decodeJsonString('{not json')).toBe('{not json');
  });

  it('renders chat messages, completions and other values as text', () => {
    expect(renderLlmText([{ role: 'user', content: 'hi' }, { role: 'assistant', content: [{ type: 'text', text: 'hello' }] }])).toBe('user: hi\nassistant: hello');
    expect(renderLlmText({ choices: [{ message: { role: 'assistant', content: 'ok' } }] })).toBe('assistant: ok');
    expect(renderLlmText(JSON.stringify(JSON.stringify('Why do programmers hate nature?')))).toBe('Why do programmers hate nature?');
    expect(renderLlmText({ args: ['programming'] })).toBe('{"args":["programming"]}');
    expect(renderLlmText({})).toBeUndefined();
    expect(renderLlmText(null)).toBeUndefined();
  });
});

/** A Langfuse-native (non-OTel) export: UUID ids, two top-level observations, an error, a duplicate-free tree. */
const NATIVE = {
  trace: {
    id: 'c3b1d2a4-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    name: 'refund-agent',
    timestamp: '2025-03-14T09:26:53.000Z',
    latency: 2.5,
    sessionId: 'conv_7731',
    userId: 'c_5521',
    tags: ['prod'],
    input: JSON.stringify(JSON.stringify({ text: 'I was charged twice' })),
    output: '"Refunded 249.00 EUR"',
    scores: [
      { name: 'helpfulness', value: 0.9, dataType: 'NUMERIC', observationId: null },
      { name: 'tool-correct', value: 1, dataType: 'NUMERIC', observationId: 'obs-tool' },
    ],
  },
  observations: [
    {
      id: 'obs-gen',
      traceId: 'c3b1d2a4-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      type: 'GENERATION',
      name: 'plan',
      parentObservationId: null,
      startTime: '2025-03-14T09:26:53.100Z',
      endTime: '2025-03-14T09:26:54.000Z',
      model: 'gpt-4o-mini',
      usage: { promptTokens: 120, completionTokens: 30 },
      input: [{ role: 'user', content: 'I was charged twice' }],
      output: { role: 'assistant', content: 'refund pay_88k2' },
      level: 'DEFAULT',
    },
    {
      id: 'obs-tool',
      traceId: 'c3b1d2a4-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      type: 'TOOL',
      name: 'payments.refund',
      parentObservationId: null,
      startTime: '2025-03-14T09:26:54.100Z',
      endTime: '2025-03-14T09:26:55.000Z',
      input: { payment_id: 'pay_88k2' },
      output: null,
      level: 'ERROR',
      statusMessage: 'PSP timeout',
    },
    { id: 'obs-event', type: 'EVENT', name: 'note', parentObservationId: 'obs-tool', startTime: '2025-03-14T09:26:54.500Z', metadata: { custom: 'x' } },
    'not an observation',
    { type: 'SPAN', name: 'no id' },
  ],
};

describe('langfuse: a native-SDK export (UUID ids, several top-level observations)', () => {
  const emits = runHandler(langfuseHandler, JSON.stringify(NATIVE), 'trace.json');
  const recs = records(emits);
  const traceHex = sha(NATIVE.trace.id).slice(0, 32);
  const traceSpanId = sha(`langfuse-trace:${NATIVE.trace.id}`).slice(0, 16);

  it('makes the trace its own root span, parent of the top-level observations', () => {
    expect(recs).toHaveLength(4); // trace span + 3 valid observations
    const root = recs.find((r) => span(r).kind === 'TRACE')!;
    expect(emits.find((e) => e.type === 'record' && e.record === root)!.locator).toEqual({ path: '$.trace' });
    expect(root).toMatchObject({ key: `span:${traceHex}:${traceSpanId}`, traceId: traceHex, spanId: traceSpanId, parentSpanId: null, runId: NATIVE.trace.id, name: 'refund-agent' });
    expect(span(root).startUs).toBe(iso('2025-03-14T09:26:53.000Z'));
    expect(span(root).endUs).toBe(iso('2025-03-14T09:26:53.000Z') + 2_500_000);
    expect(span(root).genai).toEqual({ prompt: '{"text":"I was charged twice"}', completion: 'Refunded 249.00 EUR' });
    expect(span(root).attributes).toMatchObject({ 'langfuse.trace.id': NATIVE.trace.id, 'langfuse.trace.name': 'refund-agent', 'langfuse.trace.user_id': 'c_5521', 'langfuse.trace.tags': ['prod'] });
    expect(span(root).attributes['langfuse.scores']).toEqual([{ name: 'helpfulness', value: 0.9, dataType: 'NUMERIC' }]);
    const gen = recs.find((r) => span(r).name === 'plan')!;
    const tool = recs.find((r) => span(r).name === 'payments.refund')!;
    expect(gen.parentSpanId).toBe(traceSpanId);
    expect(tool.parentSpanId).toBe(traceSpanId);
  });

  it('hashes non-hex ids, keeps the originals, maps parents, tokens, model and errors', () => {
    const gen = span(recs.find((r) => span(r).name === 'plan')!);
    const tool = span(recs.find((r) => span(r).name === 'payments.refund')!);
    const ev = span(recs.find((r) => span(r).name === 'note')!);
    expect(gen.spanId).toBe(sha('obs-gen').slice(0, 16));
    expect(gen.attributes['langfuse.observation.id']).toBe('obs-gen');
    expect(gen).toMatchObject({ origin: 'langfuse', kind: 'GENERATION', traceId: traceHex, runId: NATIVE.trace.id, sessionId: 'conv_7731' });
    expect(gen.genai).toMatchObject({ requestModel: 'gpt-4o-mini', inputTokens: 120, outputTokens: 30, prompt: 'user: I was charged twice', completion: 'assistant: refund pay_88k2' });
    expect(tool.status).toEqual({ code: 'error', message: 'PSP timeout' });
    expect(tool.genai).toMatchObject({ toolName: 'payments.refund', operation: 'execute_tool', prompt: '{"payment_id":"pay_88k2"}' });
    expect(tool.attributes['langfuse.scores']).toEqual([{ name: 'tool-correct', value: 1, dataType: 'NUMERIC' }]);
    expect(ev.parentSpanId).toBe(sha('obs-tool').slice(0, 16));
    expect(ev.endUs).toBeNull();
    expect(ev.attributes['langfuse.metadata']).toEqual({ custom: 'x' });
    expect(recs.find((r) => span(r).name === 'payments.refund')!.text).toContain('PSP timeout');
  });

  it('quarantines observations that are not objects or have no id', () => {
    const q = emits.filter((e) => e.type === 'quarantine');
    expect(q.map((e) => e.locator.path)).toEqual(['$.observations[3]', '$.observations[4]']);
    expect(q.map((e) => (e as { reason: string }).reason)).toEqual(['Langfuse observation is not an object (got string)', 'Langfuse observation without an id']);
  });

  it('quarantines a document that is not an export', () => {
    const [unit] = frameText(JSON.stringify({ trace: { id: 'x' } }), { kind: 'document', units: [[]] });
    expect(langfuseHandler.map(unit!)).toEqual([{ type: 'quarantine', reason: expect.stringContaining('not a Langfuse trace export'), locator: { path: '$' } }]);
    const [noId] = frameText(JSON.stringify({ trace: {}, observations: [{ id: 'a' }] }), { kind: 'document', units: [[]] });
    expect(langfuseHandler.map(noId!)[0]).toMatchObject({ type: 'quarantine', reason: 'Langfuse trace export without a trace id (trace.id)' });
  });
});

describe.skipIf(!HAVE_CORPUS)('langfuse: corpus exports', () => {
  it.each(LANGFUSE_FILES)('%s: one span per observation, same tree, same ids', (rel) => {
    const text = corpusText(rel);
    const raw = JSON.parse(text) as { trace: any; observations: any[] };
    const emits = runHandler(langfuseHandler, text, rel);
    const recs = records(emits);
    const roots = raw.observations.filter((o) => !o.parentObservationId);
    expect(roots).toHaveLength(1); // OTel-ingested traces: the trace mirrors one root span
    expect(emits).toHaveLength(raw.observations.length);
    expect(recs).toHaveLength(raw.observations.length);

    // ids: these exports carry OTel hex ids, kept as they are
    const ids = new Set(raw.observations.map((o) => o.id));
    expect(new Set(recs.map((r) => r.spanId))).toEqual(ids);
    for (const r of recs) {
      expect(r.traceId).toBe(raw.trace.id);
      expect(r.key).toBe(`span:${raw.trace.id}:${r.spanId}`);
      expect(r.runId).toBe(raw.trace.id);
      expect(span(r).attributes['langfuse.trace.id']).toBe(raw.trace.id);
    }
    // the tree: every parent is in the file, exactly one root
    for (const o of raw.observations) {
      const r = recs.find((x) => x.spanId === o.id)!;
      expect(r.parentSpanId).toBe(o.parentObservationId ?? null);
      expect(span(r).attributes['langfuse.observation.id']).toBe(o.id);
      expect(span(r).kind).toBe(o.type);
      expect(r.tsUs).toBe(iso(o.startTime));
      expect(r.endUs).toBe(o.endTime ? iso(o.endTime) : null);
      if (r.parentSpanId) expect(ids.has(r.parentSpanId)).toBe(true);
    }
    // locators point at the observations
    expect(emits.map((e) => e.locator.path)).toEqual(raw.observations.map((_, i) => `$.observations[${i}]`));

    // kinds as in the manifest (counted from the raw file)
    const kinds = (xs: string[]) => xs.reduce<Record<string, number>>((m, k) => ({ ...m, [k]: (m[k] ?? 0) + 1 }), {});
    expect(kinds(recs.map((r) => span(r).kind))).toEqual(kinds(raw.observations.map((o) => o.type)));

    // generations: model and tokens from usageDetails
    for (const o of raw.observations.filter((x) => x.type === 'GENERATION')) {
      const g = span(recs.find((x) => x.spanId === o.id)!).genai!;
      expect(g.requestModel ?? g.responseModel).toBeTruthy();
      if (o.model) expect([g.requestModel, g.responseModel]).toContain(o.model);
      if (typeof o.usageDetails?.input === 'number') expect(g.inputTokens).toBe(o.usageDetails.input);
      if (typeof o.usageDetails?.output === 'number') expect(g.outputTokens).toBe(o.usageDetails.output);
    }
    // the trace's facts live on the root span
    const root = span(recs.find((r) => r.spanId === roots[0].id)!);
    expect(root.attributes['langfuse.trace.name']).toBe(raw.trace.name);
    const traceScores = (raw.trace.scores ?? []).filter((s: any) => !s.observationId);
    if (traceScores.length) expect((root.attributes['langfuse.scores'] as unknown[]).length).toBe(traceScores.length);
    for (const r of recs) expect(span(r).sessionId).toBe(raw.trace.sessionId ?? span(r).attributes['session.id'] ?? null);
  });

  it('manifest counts: agno has 6 observations (SPAN=2, GENERATION=4) with gpt-4o-mini', () => {
    const recs = records(runHandler(langfuseHandler, corpusText('llm_runs/langfuse/agno-2025-06-11.json')));
    expect(recs).toHaveLength(6);
    expect(recs.filter((r) => span(r).kind === 'SPAN')).toHaveLength(2);
    const gens = recs.filter((r) => span(r).kind === 'GENERATION');
    expect(gens).toHaveLength(4);
    for (const g of gens) expect(span(g).genai!.requestModel).toBe('gpt-4o-mini');
    expect(span(gens[0]!).sessionId).toBe('35cc6c90-b657-4819-b66c-c931c03ad569');
  });

  it('google-adk: the tool span, OTel attributes and resource, trace scores on the root', () => {
    const rel = 'llm_runs/langfuse/google-adk-2025-08-28.json';
    const raw = JSON.parse(corpusText(rel));
    const recs = records(runHandler(langfuseHandler, corpusText(rel), rel));
    const tool = span(recs.find((r) => span(r).kind === 'TOOL')!);
    expect(tool.genai!.toolName).toBe('say_hello');
    expect(tool.attributes['gen_ai.tool.name']).toBe('say_hello');
    expect(tool.resource).toMatchObject({ 'telemetry.sdk.language': 'python' });
    expect(tool.scope).toEqual({ name: 'openinference.instrumentation.google_adk', version: '0.1.3' });
    const root = span(recs.find((r) => span(r).kind === 'CHAIN')!);
    expect((root.attributes['langfuse.scores'] as Array<{ name: string }>).map((s) => s.name).sort()).toEqual(raw.trace.scores.map((s: any) => s.name).sort());
    expect(root.sessionId).toBe('demo-session');
    expect(root.genai!.completion).toContain('Hello Langfuse');
  });

  it('pydantic-ai: the double-encoded trace output is decoded', () => {
    const rel = 'llm_runs/langfuse/pydantic-ai-tools-2025-12-04.json';
    const raw = JSON.parse(corpusText(rel));
    expect(raw.trace.output.startsWith('"')).toBe(true); // JSON inside a string
    const recs = records(runHandler(langfuseHandler, corpusText(rel), rel));
    const root = span(recs.find((r) => r.parentSpanId === null)!);
    expect(root.attributes['langfuse.trace.name']).toBe('joke-generator');
    expect(root.attributes['langfuse.trace.tags']).toEqual(['example', 'joke-generator']);
    expect(recs.filter((r) => span(r).kind === 'TOOL')).toHaveLength(raw.observations.filter((o: any) => o.type === 'TOOL').length);
  });

  it('sniffs its files by content and claims no other corpus file', () => {
    for (const rel of corpusFiles()) {
      const s = langfuseHandler.sniff(sniffText(readFileSync(corpusPath(rel), 'utf8'), 'unnamed'));
      if (rel.startsWith('llm_runs/langfuse/')) expect(s, rel).toEqual({ confidence: expect.any(Number), framing: { kind: 'document', units: [[]] } });
      else expect(s, rel).toBeNull();
    }
  });

  it('recognises an export from its head alone (files larger than 64 KiB)', () => {
    const text = corpusText('llm_runs/langfuse/beeai-2025-08-01.json');
    expect(text.length).toBeGreaterThan(64 * 1024);
    const s = sniffText(text, 'unnamed');
    expect(s.complete).toBe(false);
    expect(langfuseHandler.sniff(s)).not.toBeNull();
  });
});

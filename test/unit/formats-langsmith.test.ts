import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emit, NormalizedRecord, SpanData } from '../../shared/model';
import { dottedOrderIds, langsmithHandler, langsmithSpanHex, langsmithTimeUs } from '../../electron/core/import/formats/langsmith';
import { CORPUS_DIR, HAVE_CORPUS, corpusPath, corpusText } from '../corpus';
import { runHandler, sniffText } from '../helpers/frame';

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const records = (emits: Emit[]): NormalizedRecord[] => emits.flatMap((e) => (e.type === 'record' ? [e.record] : []));
const span = (r: NormalizedRecord): SpanData => r.data as SpanData;
const hex = (uuid: string) => uuid.replace(/-/g, '').toLowerCase();
const spanIdOf = (uuid: string) => sha(hex(uuid)).slice(0, 16);

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

describe('langsmith: helpers', () => {
  it('reads run ids from dotted_order, root first', () => {
    expect(dottedOrderIds('20241013T070538291001Ze954b8e3-c337-4a05-bf0a-ca2baac3ba48')).toEqual(['e954b8e3-c337-4a05-bf0a-ca2baac3ba48']);
    expect(dottedOrderIds('20240101T000000000000Zaaaa.20240101T000001000000Zbbbb')).toEqual(['aaaa', 'bbbb']);
    expect(dottedOrderIds('garbage')).toEqual([]);
    expect(dottedOrderIds(undefined)).toEqual([]);
  });
  it('reads times as ISO strings or epoch numbers told apart by magnitude', () => {
    expect(langsmithTimeUs('2024-10-11T20:58:20.695375+00:00')).toBe(Date.UTC(2024, 9, 11, 20, 58, 20) * 1000 + 695_375);
    expect(langsmithTimeUs('2024-10-11T20:58:20.695375')).toBe(Date.UTC(2024, 9, 11, 20, 58, 20) * 1000 + 695_375); // naive = UTC
    expect(langsmithTimeUs(1728803138291)).toBe(1728803138291000); // ms (JS SDK)
    expect(langsmithTimeUs(1728803138.291)).toBe(1728803138291000); // s
    expect(langsmithTimeUs(1728803138291123)).toBe(1728803138291123); // µs
    expect(langsmithTimeUs('1728803138291')).toBe(1728803138291000);
    expect(langsmithTimeUs(null)).toBeNull();
    expect(langsmithTimeUs('not a time')).toBeNull();
  });
  it('derives span ids from sha256 of the run uuid in hex form', () => {
    const u = '0190e9b1-5b5e-7d0a-9b7c-1234567890ab';
    expect(langsmithSpanHex(u)).toBe(sha('0190e9b15b5e7d0a9b7c1234567890ab').slice(0, 16));
    // two UUIDv7 run ids from the same millisecond share their first hex digits, not their span ids
    const v = '0190e9b1-5b5e-7d0a-9b7c-ffffffffffff';
    expect(hex(u).slice(0, 16)).toBe(hex(v).slice(0, 16));
    expect(langsmithSpanHex(u)).not.toBe(langsmithSpanHex(v));
  });
});

const T = '11111111-2222-4333-8444-555555555555';
const LLM = '66666666-7777-4888-9999-aaaaaaaaaaaa';
const TOOL = 'bbbbbbbb-cccc-4ddd-8eee-ffffffffffff';
const ORPHAN = '01234567-89ab-4cde-8f01-23456789abcd';
const d = (ts: string, id: string) => `${ts}Z${id}`;
const PAYLOAD = {
  post: [
    {
      id: T,
      trace_id: T,
      name: 'refund-agent',
      run_type: 'chain',
      start_time: '2025-03-14T09:26:53.120000',
      dotted_order: d('20250314T092653120000', T),
      session_name: 'refunds-prod',
      inputs: { question: 'I was charged twice' },
      extra: { metadata: { thread_id: 'conv_7731', revision_id: 'abc' } },
      tags: ['prod'],
    },
    {
      id: LLM,
      trace_id: T,
      parent_run_id: T,
      name: 'ChatOpenAI',
      run_type: 'llm',
      start_time: 1741944413200,
      dotted_order: `${d('20250314T092653120000', T)}.${d('20250314T092653200000', LLM)}`,
      inputs: JSON.stringify({ messages: [[{ lc: 1, type: 'constructor', id: ['langchain', 'schema', 'messages', 'HumanMessage'], kwargs: { content: 'refund?', type: 'human' } }]] }),
      extra: { metadata: { ls_provider: 'openai', ls_model_name: 'gpt-4o-mini' }, invocation_params: { model: 'gpt-4o-mini', temperature: 0 } },
    },
    {
      // no parent_run_id: the parent comes from the dotted order
      id: TOOL,
      trace_id: T,
      name: 'payments.refund',
      run_type: 'tool',
      start_time: 1741944414000,
      dotted_order: `${d('20250314T092653120000', T)}.${d('20250314T092654000000', TOOL)}`,
      inputs: { input: '{"payment_id": "pay_88k2"}' },
    },
    'not a run',
    { name: 'no id at all', run_type: 'chain' },
  ],
  patch: [
    { id: T, trace_id: T, end_time: '2025-03-14T09:26:56.000000', outputs: { answer: 'Refunded' }, extra: { metadata: { thread_id: 'conv_7731', final: 'yes' } }, parent_run_id: null },
    {
      id: LLM,
      trace_id: T,
      end_time: 1741944413900,
      outputs: { generations: [[{ text: 'Call payments.refund', message: { kwargs: { content: 'Call payments.refund' } } }]], llm_output: { token_usage: { prompt_tokens: 50, completion_tokens: 7 }, model_name: 'gpt-4o-mini-2024-07-18' } },
    },
    { id: TOOL, trace_id: T, end_time: 1741944415000, error: 'TimeoutError: PSP did not answer' },
    { id: ORPHAN, trace_id: T, parent_run_id: T, end_time: 1741944415500, outputs: { ok: true } },
  ],
};

describe('langsmith: an inline payload (a small run tree)', () => {
  const emits = runHandler(langsmithHandler, JSON.stringify(PAYLOAD), 'runs.json');
  const recs = records(emits);
  const byName = (n: string) => span(recs.find((r) => r.name === n)!);

  it('merges patches onto posts: one span per run id', () => {
    const all: unknown[] = [...PAYLOAD.post, ...PAYLOAD.patch];
    const ids = new Set(all.flatMap((r) => (typeof r === 'object' && r !== null && typeof (r as { id?: unknown }).id === 'string' ? [(r as { id: string }).id] : [])));
    expect(recs).toHaveLength(ids.size);
    expect(emits.filter((e) => e.type === 'quarantine')).toHaveLength(2);
    expect(emits.filter((e) => e.type === 'quarantine').map((e) => e.locator.path)).toEqual(['$.post[3]', '$.post[4]']);
  });

  it('builds the tree from parent_run_id or the dotted order, with trace ids from the UUID', () => {
    const root = byName('refund-agent');
    expect(root).toMatchObject({ origin: 'langsmith', kind: 'chain', traceId: hex(T), spanId: spanIdOf(T), parentSpanId: null, runId: T, sessionId: 'conv_7731' });
    expect(byName('ChatOpenAI').parentSpanId).toBe(spanIdOf(T));
    expect(byName('payments.refund').parentSpanId).toBe(spanIdOf(T)); // from the dotted order
    for (const r of recs) expect(r.key).toBe(`span:${hex(T)}:${r.spanId}`);
    expect(root.attributes).toMatchObject({ 'langsmith.run.id': T, 'langsmith.trace.id': T, 'langsmith.project': 'refunds-prod', 'langsmith.tags': ['prod'] });
    expect(root.attributes['langsmith.metadata']).toEqual({ thread_id: 'conv_7731', revision_id: 'abc', final: 'yes' }); // merged
    expect(root.startUs).toBe(Date.UTC(2025, 2, 14, 9, 26, 53) * 1000 + 120_000);
    expect(root.endUs).toBe(Date.UTC(2025, 2, 14, 9, 26, 56) * 1000);
    expect(root.genai).toEqual({ prompt: '{"question":"I was charged twice"}', completion: '{"answer":"Refunded"}' });
  });

  it('reads LangChain LLM runs: JSON-string inputs, generations, token usage, models', () => {
    const llm = byName('ChatOpenAI');
    expect(llm.startUs).toBe(1741944413200_000);
    expect(llm.endUs).toBe(1741944413900_000);
    expect(llm.genai).toEqual({
      system: 'openai',
      operation: 'chat',
      requestModel: 'gpt-4o-mini',
      responseModel: 'gpt-4o-mini-2024-07-18',
      inputTokens: 50,
      outputTokens: 7,
      prompt: 'human: refund?',
      completion: 'Call payments.refund',
    });
  });

  it('flags errors, and patches without a post', () => {
    const tool = byName('payments.refund');
    expect(tool.status).toEqual({ code: 'error', message: 'TimeoutError: PSP did not answer' });
    expect(tool.genai).toMatchObject({ toolName: 'payments.refund', operation: 'execute_tool' });
    expect(recs.find((r) => r.name === 'payments.refund')!.text).toContain('TimeoutError');
    const orphan = recs.find((r) => r.spanId === spanIdOf(ORPHAN))!;
    expect(span(orphan).attributes['langsmith.patch_only']).toBe(true);
    expect(orphan).toMatchObject({ parentSpanId: spanIdOf(T), traceId: hex(T), tsUs: null, endUs: 1741944415500_000 });
    expect(emits.find((e) => e.type === 'record' && e.record === orphan)!.locator).toEqual({ path: '$.patch[3]' });
    expect(span(recs.find((r) => r.name === 'refund-agent')!).attributes['langsmith.patch_only']).toBeUndefined();
  });

  it('quarantines a child run that has no way to find its trace', () => {
    const emits2 = runHandler(langsmithHandler, JSON.stringify({ post: [{ id: LLM, parent_run_id: T, run_type: 'llm', name: 'x' }] }));
    expect(emits2).toEqual([{ type: 'quarantine', reason: `LangSmith run ${LLM} has a parent but no trace_id or dotted_order`, locator: { path: '$.post[0]' } }]);
  });
});

describe.skipIf(!HAVE_CORPUS)('langsmith: corpus payloads', () => {
  const files = ['llm_runs/langsmith/langsmith_py_wrap_openai_stream.json', 'llm_runs/langsmith/langsmith_js_wrap_openai_reasoning.json'];
  /** Distinct run ids in a payload, counted independently: id, else the UUID that ends the dotted_order. */
  const runIds = (raw: { post?: any[]; patch?: any[] }) => new Set([...(raw.post ?? []), ...(raw.patch ?? [])].map((r) => r.id ?? String(r.dotted_order).slice(-36)));

  it.each(files)('%s: one span per run, ids from the trace UUID', (rel) => {
    const raw = JSON.parse(corpusText(rel));
    const emits = runHandler(langsmithHandler, corpusText(rel), rel);
    const recs = records(emits);
    expect(emits.filter((e) => e.type !== 'record')).toEqual([]);
    expect(recs).toHaveLength(runIds(raw).size);
    expect(recs).toHaveLength(1); // MANIFEST: 1 post + 1 patch of the same run
    const [r] = recs;
    const post = raw.post[0];
    expect(r).toMatchObject({ traceId: hex(post.trace_id), spanId: spanIdOf(post.id), parentSpanId: null, runId: post.trace_id, name: post.name });
    expect(span(r!)).toMatchObject({ origin: 'langsmith', kind: 'llm', status: { code: 'unset' } });
    expect(span(r!).attributes['langsmith.patch_only']).toBeUndefined();
    expect(span(r!).genai).toMatchObject({ system: 'openai', requestModel: post.extra.metadata.ls_model_name, inputTokens: raw.patch[0].outputs.usage_metadata.input_tokens, outputTokens: raw.patch[0].outputs.usage_metadata.output_tokens });
    expect(span(r!).genai!.responseModel).toBe(raw.patch[0].outputs.model);
    expect(span(r!).genai!.prompt).toBe(`user: ${post.inputs.messages[0].content}`);
    expect(span(r!).genai!.completion).toMatch(/^assistant: /);
  });

  it('Python SDK: ISO times with microseconds, streamed tokens as span events', () => {
    const rel = files[0]!;
    const raw = JSON.parse(corpusText(rel));
    expect(typeof raw.post[0].start_time).toBe('string');
    const [r] = records(runHandler(langsmithHandler, corpusText(rel), rel));
    expect(r!.tsUs).toBe(Date.UTC(2024, 9, 11, 20, 58, 20) * 1000 + 695_375);
    expect(r!.endUs).toBe(Date.UTC(2024, 9, 11, 20, 58, 22) * 1000 + 23_816);
    const events = span(r!).events!;
    expect(events).toHaveLength(raw.patch[0].events.length);
    expect(events[0]).toMatchObject({ name: 'new_token', tsUs: Date.UTC(2024, 9, 11, 20, 58, 21) * 1000 + 933_794 });
    expect(span(r!).genai!.completion).toBe('assistant: Howdy! How can I assist you today?');
  });

  it('JS SDK: epoch-millisecond times, and a patch without "id" merged through its dotted_order', () => {
    const rel = files[1]!;
    const raw = JSON.parse(corpusText(rel));
    expect(typeof raw.post[0].start_time).toBe('number');
    expect('id' in raw.patch[0]).toBe(false);
    const [r] = records(runHandler(langsmithHandler, corpusText(rel), rel));
    expect(r!.tsUs).toBe(raw.post[0].start_time * 1000);
    expect(r!.endUs).toBe(raw.patch[0].end_time * 1000);
    expect(span(r!).genai!.outputTokens).toBe(1901);
    expect(span(r!).genai!.responseModel).toBe('o1-mini-2024-09-12');
  });

  it('sniffs its files by content and claims no other corpus file', () => {
    for (const rel of corpusFiles()) {
      const s = langsmithHandler.sniff(sniffText(readFileSync(corpusPath(rel), 'utf8'), 'unnamed'));
      if (rel.startsWith('llm_runs/langsmith/')) expect(s, rel).toEqual({ confidence: expect.any(Number), framing: { kind: 'document', units: [[]] } });
      else expect(s, rel).toBeNull();
    }
  });
});

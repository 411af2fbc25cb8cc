import { describe, expect, it } from 'vitest';
import type { Attributes, SpanData } from '../../shared/model';
import {
  clip,
  genaiFromAttributes,
  MAX_GENAI_TEXT,
  runIdFromAttributes,
  sessionIdFromAttributes,
  spanSearchText,
} from '../../electron/core/import/formats/genai';
import { jaegerHandler } from '../../electron/core/import/formats/jaeger';
import { otlpTracesHandler } from '../../electron/core/import/formats/otlp-traces';
import { corpusJson, corpusText, HAVE_CORPUS } from '../corpus';
import { runHandler } from '../helpers/frame';

// Attribute names below are written out literally on purpose: the test checks the wire names,
// independently of the constants the code takes from the semantic-conventions packages.

describe('genaiFromAttributes: OpenTelemetry GenAI conventions', () => {
  it('current names (gen_ai.provider.name, usage.input/output_tokens, input/output messages, tool)', () => {
    const g = genaiFromAttributes({
      'gen_ai.provider.name': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': '25',
      'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'Be terse.' }]),
      'gen_ai.input.messages': JSON.stringify([
        { role: 'user', parts: [{ type: 'text', content: 'Refund order 42?' }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'lookup', arguments: { order: 42 } }] },
        { role: 'tool', parts: [{ type: 'tool_call_response', id: 'c1', response: { status: 'shipped' } }] },
      ]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'No: it shipped.' }], finish_reason: 'stop' }]),
    });
    expect(g).toEqual({
      system: 'openai',
      operation: 'chat',
      requestModel: 'gpt-4o',
      responseModel: 'gpt-4o-2024-08-06',
      inputTokens: 100,
      outputTokens: 25,
      prompt: 'system: Be terse.\nuser: Refund order 42?\nassistant: tool_call lookup({"order":42})\ntool: tool_call_response {"status":"shipped"}',
      completion: 'assistant: No: it shipped.',
    });
  });

  it('older names: gen_ai.system, gen_ai.prompt / gen_ai.completion, usage.prompt_tokens / completion_tokens', () => {
    expect(
      genaiFromAttributes({
        'gen_ai.system': 'anthropic',
        'gen_ai.request.model': 'claude-3',
        'gen_ai.usage.prompt_tokens': 7,
        'gen_ai.usage.completion_tokens': 3,
        'gen_ai.prompt': 'Say hi',
        'gen_ai.completion': JSON.stringify([{ role: 'assistant', content: 'Hi!' }]),
      }),
    ).toEqual({ system: 'anthropic', requestModel: 'claude-3', inputTokens: 7, outputTokens: 3, prompt: 'Say hi', completion: 'assistant: Hi!' });
  });

  it('flattened prompts (gen_ai.prompt.<i>.role / .content), in index order', () => {
    const g = genaiFromAttributes({
      'gen_ai.prompt.1.role': 'user',
      'gen_ai.prompt.1.content': 'second',
      'gen_ai.prompt.0.role': 'system',
      'gen_ai.prompt.0.content': 'first',
      'gen_ai.completion.0.content': 'answer',
    });
    expect(g?.prompt).toBe('system: first\nuser: second');
    expect(g?.completion).toBe('answer');
  });

  it('new names win over old ones', () => {
    const g = genaiFromAttributes({ 'gen_ai.provider.name': 'new', 'gen_ai.system': 'old', 'gen_ai.usage.input_tokens': 1, 'gen_ai.usage.prompt_tokens': 2 });
    expect(g).toEqual({ system: 'new', inputTokens: 1 });
  });

  it('tool spans: tool name, arguments and result as prompt / completion', () => {
    expect(genaiFromAttributes({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search', 'gen_ai.tool.call.arguments': '{"q":"x"}', 'gen_ai.tool.call.result': '[1]' })).toEqual({
      operation: 'execute_tool',
      toolName: 'search',
      prompt: '{"q":"x"}',
      completion: '[1]',
    });
  });

  it('undefined when nothing GenAI is present', () => {
    expect(genaiFromAttributes({})).toBeUndefined();
    expect(genaiFromAttributes({ 'http.route': '/x', 'gen_ai.request.model': '' })).toBeUndefined();
  });

  it('prompt and completion are clipped to about 4 KB', () => {
    const g = genaiFromAttributes({ 'gen_ai.prompt': 'p'.repeat(10_000), 'gen_ai.completion': 'c'.repeat(5000) });
    expect(g!.prompt!.startsWith('p'.repeat(MAX_GENAI_TEXT))).toBe(true);
    expect(g!.prompt!.length).toBeLessThan(MAX_GENAI_TEXT + 64);
    expect(g!.prompt).toContain('5904 more characters');
    expect(clip('abc', 5)).toBe('abc');
  });
});

describe('genaiFromAttributes: OpenInference', () => {
  it('llm.* names, input.value / output.value, token counts, tool.name, span kind', () => {
    expect(
      genaiFromAttributes({
        'openinference.span.kind': 'LLM',
        'llm.provider': 'openai',
        'llm.model_name': 'gpt-4o-mini',
        'llm.token_count.prompt': 11,
        'llm.token_count.completion': 4,
        'input.value': '{"messages":[{"role":"user","content":"hi"}]}',
        'output.value': 'hello',
        'tool.name': 'calc',
      }),
    ).toEqual({
      system: 'openai',
      operation: 'LLM',
      requestModel: 'gpt-4o-mini',
      inputTokens: 11,
      outputTokens: 4,
      prompt: '{"messages":[{"role":"user","content":"hi"}]}',
      completion: 'hello',
      toolName: 'calc',
    });
  });

  it('flattened llm.input_messages / llm.output_messages (content and contents)', () => {
    const g = genaiFromAttributes({
      'llm.system': 'anthropic',
      'llm.input_messages.0.message.role': 'system',
      'llm.input_messages.0.message.content': 'rules',
      'llm.input_messages.1.message.role': 'user',
      'llm.input_messages.1.message.content': 'question',
      'llm.output_messages.0.message.role': 'assistant',
      'llm.output_messages.0.message.contents.0.message_content.type': 'text',
      'llm.output_messages.0.message.contents.0.message_content.text': 'answer',
    });
    expect(g).toEqual({ system: 'anthropic', prompt: 'system: rules\nuser: question', completion: 'assistant: answer' });
  });

  it('GenAI names win over OpenInference ones', () => {
    expect(genaiFromAttributes({ 'gen_ai.request.model': 'a', 'llm.model_name': 'b', 'gen_ai.usage.output_tokens': 1, 'llm.token_count.completion': 9 })).toEqual({ requestModel: 'a', outputTokens: 1 });
  });
});

describe('run and session ids', () => {
  it('run id: casefile.run_id, then run.id, then run_id', () => {
    expect(runIdFromAttributes({ run_id: 'c', 'run.id': 'b', 'casefile.run_id': 'a' })).toBe('a');
    expect(runIdFromAttributes({ run_id: 'c', 'run.id': 'b' })).toBe('b');
    expect(runIdFromAttributes({ run_id: 'c' })).toBe('c');
    expect(runIdFromAttributes({ run_id: 7 })).toBe('7');
    expect(runIdFromAttributes({})).toBeNull();
    expect(runIdFromAttributes(undefined)).toBeNull();
  });

  it('session: session.id, then gen_ai.conversation.id, then langfuse.session.id', () => {
    expect(sessionIdFromAttributes({ 'langfuse.session.id': 'c', 'gen_ai.conversation.id': 'b', 'session.id': 'a' })).toBe('a');
    expect(sessionIdFromAttributes({ 'langfuse.session.id': 'c', 'gen_ai.conversation.id': 'b' })).toBe('b');
    expect(sessionIdFromAttributes({ 'langfuse.session.id': 'c' })).toBe('c');
    expect(sessionIdFromAttributes({ 'session.id': '' })).toBeNull();
  });
});

describe('spanSearchText', () => {
  const base: SpanData = {
    origin: 'otlp',
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    parentSpanId: null,
    name: 'chat gpt-4o',
    kind: 'client',
    service: 'agent',
    startUs: 1,
    endUs: 2,
    status: { code: 'error', message: 'rate limited' },
    attributes: { 'exception.message': 'HTTP 429' } as Attributes,
    events: [{ tsUs: 1, name: 'exception', attributes: { 'exception.type': 'RateLimitError', 'exception.message': 'slow down' } }],
    genai: { requestModel: 'gpt-4o', responseModel: 'gpt-4o-2024', prompt: 'x'.repeat(9000), completion: 'done' },
  };

  it('holds name, service, status, models, errors, and clipped prompt / completion', () => {
    const t = spanSearchText(base);
    for (const s of ['chat gpt-4o', 'agent', 'rate limited', 'gpt-4o-2024', 'HTTP 429', 'RateLimitError', 'slow down', 'done']) expect(t).toContain(s);
    expect(t.length).toBeLessThan(5000);
  });
});

describe.skipIf(!HAVE_CORPUS)('GenAI on real files', () => {
  it('Jaeger GenAI trace: every gen_ai.* model tag resolves, with the same values the tags hold', () => {
    const doc = corpusJson('jaeger_zipkin/jaegerui_genaiTestTrace.json');
    const recs = runHandler(jaegerHandler, corpusText('jaeger_zipkin/jaegerui_genaiTestTrace.json')).flatMap((e) => (e.type === 'record' ? [e.record] : []));
    const byId = new Map(recs.map((r) => [r.spanId, r.data as SpanData]));
    let withGenai = 0;
    for (const s of doc.spans) {
      const tags = Object.fromEntries(s.tags.map((t: any) => [t.key, t.value]));
      const hasGenAiTag = Object.keys(tags).some((k) => k.startsWith('gen_ai.'));
      const g = byId.get(s.spanID)!.genai;
      expect(g !== undefined).toBe(hasGenAiTag);
      if (!g) continue;
      withGenai++;
      expect(g.operation).toBe(tags['gen_ai.operation.name']);
      if (tags['gen_ai.request.model']) expect(g.requestModel).toBe(tags['gen_ai.request.model']);
      if (tags['gen_ai.response.model']) expect(g.responseModel).toBe(tags['gen_ai.response.model']);
      if (tags['gen_ai.usage.input_tokens'] !== undefined) expect(g.inputTokens).toBe(tags['gen_ai.usage.input_tokens']);
      if (tags['gen_ai.tool.name']) expect(g.toolName).toBe(tags['gen_ai.tool.name']);
    }
    expect(withGenai).toBe(doc.spans.filter((s: any) => s.tags.some((t: any) => t.key === 'gen_ai.operation.name')).length);
  });

  it('OTLP spans carrying OpenInference attributes (typed AnyValues) get the same GenAI facts', () => {
    const req = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'rag-app' } }] },
          scopeSpans: [
            {
              scope: { name: 'openinference.instrumentation.openai' },
              spans: [
                {
                  traceId: '0AF7651916CD43DD8448EB211C80319C',
                  spanId: 'B7AD6B7169203331',
                  name: 'ChatCompletion',
                  kind: 'SPAN_KIND_INTERNAL',
                  startTimeUnixNano: '1700000000000000000',
                  endTimeUnixNano: '1700000001000000000',
                  attributes: [
                    { key: 'openinference.span.kind', value: { stringValue: 'LLM' } },
                    { key: 'llm.model_name', value: { stringValue: 'gpt-4o-mini' } },
                    { key: 'llm.token_count.prompt', value: { intValue: '31' } },
                    { key: 'llm.token_count.completion', value: { intValue: 9 } },
                    { key: 'input.value', value: { stringValue: 'What is RAG?' } },
                    { key: 'output.value', value: { stringValue: 'Retrieval-augmented generation.' } },
                    { key: 'session.id', value: { stringValue: 's-1' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    const [e] = runHandler(otlpTracesHandler, JSON.stringify(req));
    expect(e!.type).toBe('record');
    const r = (e as Extract<typeof e, { type: 'record' }>).record;
    const d = r.data as SpanData;
    expect(d.genai).toEqual({ operation: 'LLM', requestModel: 'gpt-4o-mini', inputTokens: 31, outputTokens: 9, prompt: 'What is RAG?', completion: 'Retrieval-augmented generation.' });
    expect(d.sessionId).toBe('s-1');
    expect(d.kind).toBe('internal');
    expect(r.text).toContain('What is RAG?');
    expect(r.text).toContain('gpt-4o-mini');
  });
});

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emit, NormalizedRecord, SpanData } from '../../shared/model';
import { jaegerHandler } from '../../electron/core/import/formats/jaeger';
import { otlpTracesHandler } from '../../electron/core/import/formats/otlp-traces';
import type { Sniff } from '../../electron/core/import/formats/types';
import { zipkinHandler } from '../../electron/core/import/formats/zipkin';
import { CORPUS_DIR, corpusJson, corpusText, HAVE_CORPUS } from '../corpus';
import { frameText, runHandler, sniffText } from '../helpers/frame';

const records = (emits: Emit[]): NormalizedRecord[] => emits.flatMap((e) => (e.type === 'record' ? [e.record] : []));
const quarantines = (emits: Emit[]) => emits.flatMap((e) => (e.type === 'quarantine' ? [e] : []));
const spanData = (r: NormalizedRecord) => r.data as SpanData;

/** The traces of any Jaeger JSON shape, found by hand: {data:[…]}, {data:{spans}}, a bare trace, or an array. */
function tracesOf(doc: any): Array<{ trace: any; path: string }> {
  if (Array.isArray(doc)) return doc.map((trace, i) => ({ trace, path: `$[${i}]` }));
  if (Array.isArray(doc.data)) return doc.data.map((trace: any, i: number) => ({ trace, path: `$.data[${i}]` }));
  if (doc.data && Array.isArray(doc.data.spans)) return [{ trace: doc.data, path: '$.data' }];
  return [{ trace: doc, path: '$' }];
}
const tag = (span: any, key: string) => span.tags.find((t: any) => t.key === key)?.value;
const pad32 = (id: string) => id.toLowerCase().padStart(32, '0');

function headSniff(text: string): Sniff {
  return { path: 'big.json', head: text.slice(0, 64 * 1024), complete: false, lines: [], topKeys: [] };
}

const JAEGER_FILES = HAVE_CORPUS
  ? readdirSync(join(CORPUS_DIR, 'jaeger_zipkin')).filter((f) => f.startsWith('jaeger'))
  : [];

describe.skipIf(!HAVE_CORPUS)('Jaeger corpus files', () => {
  it('finds the corpus Jaeger files', () => {
    expect(JAEGER_FILES.length).toBe(4);
  });

  for (const f of JAEGER_FILES) {
    it(`${f}: one record per span, locators pointing at the span, ids padded, times in µs`, () => {
      const rel = `jaeger_zipkin/${f}`;
      const text = corpusText(rel);
      const doc = corpusJson(rel);
      const traces = tracesOf(doc);
      const expected = traces.flatMap(({ trace, path }) => trace.spans.map((span: any, i: number) => ({ span, trace, path: `${path}.spans[${i}]` })));
      // independent count from the raw text: top-level span objects carry "operationName"; jaeger-ui state also
      // embeds copies of parent spans inside references[].span, so count those separately and subtract.
      const nested = traces.flatMap(({ trace }) => trace.spans.flatMap((s: any) => (s.references ?? []).filter((r: any) => r.span)));
      if (nested.length === 0) expect(expected.length).toBe((text.match(/"operationName"\s*:/g) ?? []).length);
      expect(otlpTracesHandler.sniff(sniffText(text))).toBeNull();
      expect(zipkinHandler.sniff(sniffText(text))).toBeNull();
      const emits = runHandler(jaegerHandler, text, rel);
      expect(quarantines(emits)).toEqual([]);
      expect(emits).toHaveLength(expected.length);
      emits.forEach((e, i) => {
        const { span, trace } = expected[i]!;
        expect(e.locator.path).toBe(expected[i]!.path);
        const r = (e as Extract<Emit, { type: 'record' }>).record;
        expect(r.kind).toBe('span');
        expect(r.traceId).toBe(pad32(span.traceID));
        expect(r.spanId).toBe(span.spanID.toLowerCase().padStart(16, '0'));
        expect(r.key.startsWith(`span:${pad32(span.traceID)}:${r.spanId}`)).toBe(true);
        expect(r.name).toBe(span.operationName);
        expect(r.tsUs).toBe(span.startTime);
        expect(r.endUs).toBe(span.startTime + span.duration);
        const proc = trace.processes[span.processID];
        expect(spanData(r).service).toBe(proc.serviceName);
        expect(spanData(r).origin).toBe('jaeger');
        const firstChild = (span.references ?? []).find((ref: any) => ref.refType === 'CHILD_OF' && ref.traceID === span.traceID);
        expect(r.parentSpanId).toBe(firstChild ? firstChild.spanID : null);
      });
      // no span is lost to a key collision unless it is an exact repeat
      const distinctContent = new Set(expected.map(({ span }) => JSON.stringify(span))).size;
      expect(new Set(records(emits).map((r) => r.key)).size).toBe(distinctContent);
    });
  }

  it('genaiTestTrace: 57 spans; gen_ai request/response model and token counts resolved; _comment ignored', () => {
    const doc = corpusJson('jaeger_zipkin/jaegerui_genaiTestTrace.json');
    expect(doc._comment).toBeTypeOf('string');
    const recs = records(runHandler(jaegerHandler, corpusText('jaeger_zipkin/jaegerui_genaiTestTrace.json')));
    expect(recs).toHaveLength(doc.spans.length);
    expect(recs).toHaveLength(57);
    const byId = new Map(recs.map((r) => [r.spanId, r]));
    let llmSpans = 0;
    let inSum = 0;
    let outSum = 0;
    for (const s of doc.spans) {
      const g = spanData(byId.get(s.spanID)!).genai;
      const model = tag(s, 'gen_ai.request.model');
      if (model === undefined) continue;
      llmSpans++;
      inSum += tag(s, 'gen_ai.usage.input_tokens');
      outSum += tag(s, 'gen_ai.usage.output_tokens');
      expect(g?.requestModel).toBe(model);
      expect(g?.responseModel).toBe(tag(s, 'gen_ai.response.model'));
      expect(g?.inputTokens).toBe(tag(s, 'gen_ai.usage.input_tokens'));
      expect(g?.outputTokens).toBe(tag(s, 'gen_ai.usage.output_tokens'));
      expect(g?.system).toBe(tag(s, 'gen_ai.provider.name'));
      expect(g?.operation).toBe('chat');
      // prompt / completion text is rendered from the gen_ai.*.messages JSON
      const userText = JSON.parse(tag(s, 'gen_ai.input.messages'))[0].parts[0].content as string;
      expect(g?.prompt).toContain(userText);
      expect(g?.completion).toContain(JSON.parse(tag(s, 'gen_ai.output.messages'))[0].parts[0].content as string);
      expect(byId.get(s.spanID)!.text).toContain(model);
      expect(byId.get(s.spanID)!.text).toContain(userText);
    }
    expect(llmSpans).toBe(5);
    const sum = (f: (g: NonNullable<SpanData['genai']>) => number | undefined) => recs.reduce((a, r) => a + (f(spanData(r).genai ?? {}) ?? 0), 0);
    expect(sum((g) => g.inputTokens)).toBe(inSum);
    expect(sum((g) => g.outputTokens)).toBe(outSum);
    // tool spans
    const tools = doc.spans.filter((s: any) => tag(s, 'gen_ai.tool.name') !== undefined);
    expect(tools.length).toBeGreaterThan(0);
    for (const s of tools) expect(spanData(byId.get(s.spanID)!).genai?.toolName).toBe(tag(s, 'gen_ai.tool.name'));
    // the span tagged error=true is an error
    const errs = doc.spans.filter((s: any) => tag(s, 'error') === true).map((s: any) => s.spanID);
    expect(recs.filter((r) => spanData(r).status.code === 'error').map((r) => r.spanId)).toEqual(errs);
    // span.kind tag → kind
    for (const s of doc.spans) expect(spanData(byId.get(s.spanID)!).kind).toBe(tag(s, 'span.kind'));
  });

  it('ui_01: 16-digit trace id padded, typed tags, logs → events, CHILD_OF/FOLLOWS_FROM, warnings, duplicate span id kept apart', () => {
    const emits = runHandler(jaegerHandler, corpusText('jaeger_zipkin/jaeger_ui_01.json'));
    const recs = records(emits);
    expect(recs.map((r) => r.key)).toEqual([
      'span:00000000000000000000000000000001:0000000000000002',
      'span:00000000000000000000000000000001:0000000000000002:dup2',
      'span:00000000000000000000000000000001:0000000000000003',
      'span:00000000000000000000000000000001:0000000000000004',
      'span:00000000000000000000000000000001:0000000000000005',
    ]);
    const [first, second, , fourth, fifth] = recs.map(spanData);
    expect(first!.events).toEqual([
      { tsUs: 1485467191639875, name: 'some-event' },
      { tsUs: 1485467191639875, name: 'log', attributes: { x: 'y' } },
    ]);
    expect(second!.attributes).toMatchObject({
      'peer.service': 'service-y',
      'peer.ipv4': 23456,
      error: true,
      temperature: 72.5,
      javascript_limit: '9223372036854775222', // int64 beyond 2^53 stays exact
      blob: 'AAAwOQ==', // binary stays base64
    });
    expect(second!.status.code).toBe('error');
    expect(fourth!.parentSpanId).toBe('0000000000000002');
    expect(fourth!.links).toEqual([
      { traceId: '000000000000000000000000000000ff', spanId: '00000000000000ff', type: 'CHILD_OF' },
      { traceId: '00000000000000000000000000000001', spanId: '0000000000000002', type: 'FOLLOWS_FROM' },
    ]);
    expect(fourth!.attributes['jaeger.warnings']).toEqual(['some span warning']);
    expect(fifth!.parentSpanId).toBe('0000000000000004');
    expect(first!.attributes['jaeger.trace.warnings']).toEqual(['some trace warning']); // on root spans
    expect(fifth!.attributes['jaeger.trace.warnings']).toBeUndefined();
    expect(fourth!.service).toBe('service-y');
  });

  it('flamegraph testTrace: jaeger-ui state wrapper {data:{spans,processes,…}, id, state}; inline process too', () => {
    const doc = corpusJson('jaeger_zipkin/jaegerui_flamegraph_testTrace.json');
    const emits = runHandler(jaegerHandler, corpusText('jaeger_zipkin/jaegerui_flamegraph_testTrace.json'));
    expect(emits[0]!.locator.path).toBe('$.data.spans[0]');
    const recs = records(emits);
    expect(recs).toHaveLength(doc.data.spans.length);
    const services = new Map<string, number>();
    for (const r of recs) services.set(spanData(r).service!, (services.get(spanData(r).service!) ?? 0) + 1);
    expect(Object.fromEntries(services)).toEqual(Object.fromEntries(doc.data.services.map((s: any) => [s.name, s.numberOfSpans])));
    expect(spanData(recs[0]!).scope).toEqual({ name: 'go.opentelemetry.io/otel/sdk/tracer' });
  });

  it('otlp2jaeger-out: API response {data:[…]} units are traces; duplicate identical spans share one key', () => {
    const emits = runHandler(jaegerHandler, corpusText('jaeger_zipkin/jaegerui_otlp2jaeger-out.json'));
    expect(emits.map((e) => e.locator.path)).toEqual(['$.data[0].spans[0]', '$.data[0].spans[1]']);
    const [a, b] = records(emits);
    expect(a!.key).toBe(b!.key);
    expect(a!.data).toEqual(b!.data);
  });

  it('a large API response (head only) is framed by trace', () => {
    const trace = corpusJson('jaeger_zipkin/jaegerui_genaiTestTrace.json');
    const text = JSON.stringify({ data: [trace, { ...trace, traceID: 'ab' }], total: 2 }, null, 2);
    expect(text.length).toBeGreaterThan(64 * 1024);
    const s = jaegerHandler.sniff(headSniff(text))!;
    expect(s.framing).toEqual({ kind: 'document', units: [['data', '*']] });
    expect(frameText(text, s.framing)).toHaveLength(2);
    const bare = JSON.stringify(trace, null, 2) + ' '.repeat(70_000);
    expect(jaegerHandler.sniff(headSniff(bare))!.framing).toEqual({ kind: 'document', units: [[]] });
  });
});

describe('Jaeger: ids and malformed input', () => {
  const span = (over: Record<string, unknown> = {}) => ({
    traceID: 'abc',
    spanID: '1',
    operationName: 'op',
    references: [],
    startTime: 1_700_000_000_000_000,
    duration: 10,
    tags: [],
    logs: [],
    processID: 'p1',
    ...over,
  });
  const trace = (spans: unknown, extra: Record<string, unknown> = {}) => ({ traceID: 'abc', spans, processes: { p1: { serviceName: 'svc', tags: [{ key: 'host', type: 'string', value: 'h1' }] } }, ...extra });
  const run = (v: unknown) => runHandler(jaegerHandler, JSON.stringify({ data: [v] }));

  it('31-digit and upper-case ids are normalized; process tags become the resource', () => {
    const id31 = 'F'.repeat(31);
    const [r] = records(run(trace([span({ traceID: id31, spanID: 'ABCDEF' })])));
    expect(r!.traceId).toBe(`0${'f'.repeat(31)}`);
    expect(r!.spanId).toBe('0000000000abcdef');
    expect(spanData(r!).resource).toEqual({ host: 'h1', 'service.name': 'svc' });
  });

  it('spans without duration or start keep null times', () => {
    const [r] = records(run(trace([span({ startTime: undefined, duration: undefined })])));
    expect([r!.tsUs, r!.endUs]).toEqual([null, null]);
  });

  it('quarantines bad spans with reasons naming the field, keeps the good ones', () => {
    const emits = run(
      trace([
        span({ spanID: 'xyz' }),
        span({ spanID: '2', tags: [{ key: 'n', type: 'int64', value: 'abc' }] }),
        span({ spanID: '3', references: 'parent' }),
        span({ spanID: '4', startTime: 'noon' }),
        span({ spanID: '5', traceID: undefined }), // falls back to the trace's traceID
        'not a span',
        span({ spanID: '6', tags: [{ key: 'b', type: 'bool', value: 'yes' }] }),
        span({ spanID: '7', references: [{ refType: 'CHILD_OF', traceID: 'abc', spanID: '' }] }),
      ]),
    );
    expect(records(emits).map((r) => r.spanId)).toEqual(['0000000000000005']);
    expect(quarantines(emits).map((q) => [q.locator.path, q.reason])).toEqual([
      ['$.data[0].spans[0]', 'span has no valid spanID (got "xyz")'],
      ['$.data[0].spans[1]', 'span.tags[0] "n" (int64) is not an int64 (got "abc")'],
      ['$.data[0].spans[2]', 'span.references is not an array (got string)'],
      ['$.data[0].spans[3]', 'span.startTime is not a number of microseconds (got "noon")'],
      ['$.data[0].spans[5]', 'span is not an object (got string)'],
      ['$.data[0].spans[6]', 'span.tags[0] "b" has type bool but value "yes"'],
      ['$.data[0].spans[7]', 'span.references[0] has no valid spanID (got "")'],
    ]);
  });

  it('wrong-typed trace fields quarantine the trace', () => {
    expect(quarantines(run(trace('spans')))[0]!.reason).toBe('trace.spans is not an array (got string)');
    expect(quarantines(run(trace([span()], { processes: [] })))[0]!.reason).toBe('trace.processes is not an object (got array)');
    expect(quarantines(run(trace([span()], { warnings: 'w' })))[0]!.reason).toBe('trace.warnings is not an array (got string)');
    const unit = { value: 42, path: ['data', 0], locator: { path: '$.data[0]' } };
    expect(quarantines(jaegerHandler.map(unit))[0]!.reason).toBe('Jaeger trace is not an object (got number)');
  });

  it('a truncated API response is still recognised and framed per trace', () => {
    const text = JSON.stringify({ data: [trace([span(), span({ spanID: '2' })])] }, null, 2);
    const cut = text.slice(0, Math.floor(text.length * 0.6));
    expect(jaegerHandler.sniff(sniffText(cut))?.framing).toEqual({ kind: 'document', units: [['data', '*']] });
    expect(zipkinHandler.sniff(sniffText(cut))).toBeNull();
    expect(otlpTracesHandler.sniff(sniffText(cut))).toBeNull();
  });

  it('does not claim OTLP, Zipkin or unrelated JSON', () => {
    expect(jaegerHandler.sniff(sniffText(JSON.stringify({ data: [{ id: 1 }] })))).toBeNull();
    expect(jaegerHandler.sniff(sniffText(JSON.stringify([{ traceId: 'a', id: 'b', localEndpoint: {} }])))).toBeNull();
    expect(jaegerHandler.sniff(sniffText(JSON.stringify({ resourceSpans: [] })))).toBeNull();
  });
});

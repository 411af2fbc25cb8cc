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

const ZIPKIN_FILES = HAVE_CORPUS ? readdirSync(join(CORPUS_DIR, 'jaeger_zipkin')).filter((f) => f.startsWith('zipkin')) : [];

describe.skipIf(!HAVE_CORPUS)('Zipkin corpus files', () => {
  it('finds the corpus Zipkin files', () => {
    expect(ZIPKIN_FILES.length).toBe(2);
  });

  for (const f of ZIPKIN_FILES) {
    it(`${f}: every span kept, no two distinct spans share a key, fields mapped`, () => {
      const rel = `jaeger_zipkin/${f}`;
      const text = corpusText(rel);
      const spans = corpusJson<any[]>(rel);
      // independent count from the raw text: each span has exactly one "traceId"
      expect(spans.length).toBe((text.match(/"traceId"\s*:/g) ?? []).length);
      expect(otlpTracesHandler.sniff(sniffText(text))).toBeNull();
      expect(jaegerHandler.sniff(sniffText(text))).toBeNull();
      const emits = runHandler(zipkinHandler, text, rel);
      expect(quarantines(emits)).toEqual([]);
      const recs = records(emits);
      expect(recs).toHaveLength(spans.length);
      const distinct = new Set(spans.map((s) => JSON.stringify(s))).size;
      expect(new Set(recs.map((r) => r.key)).size).toBe(distinct);
      recs.forEach((r, i) => {
        const s = spans[i]!;
        const d = spanData(r);
        expect(emits[i]!.locator.path).toBe(`$[${i}]`);
        expect(r.traceId).toBe(s.traceId.padStart(32, '0'));
        expect(r.spanId).toBe(s.id);
        expect(r.parentSpanId).toBe(s.parentId ?? null);
        expect(r.key.startsWith(`span:${s.traceId.padStart(32, '0')}:${s.id}`)).toBe(true);
        expect(r.key.includes(':shared:')).toBe(s.shared === true);
        expect(d.origin).toBe('zipkin');
        expect(d.service).toBe(s.localEndpoint?.serviceName ?? null);
        expect(d.kind).toBe(s.kind ? s.kind.toLowerCase() : 'unspecified');
        expect(r.tsUs).toBe(s.timestamp ?? null);
        expect(r.endUs).toBe(s.timestamp !== undefined && s.duration !== undefined ? s.timestamp + s.duration : null);
        expect(r.name).toBe(s.name ?? '');
        for (const [k, v] of Object.entries(s.tags ?? {})) expect(d.attributes[k]).toBe(v);
        expect((d.events ?? []).map((e) => [e.tsUs, e.name])).toEqual((s.annotations ?? []).map((a: any) => [a.timestamp, a.value]));
        expect(d.status.code).toBe(s.tags && 'error' in s.tags ? 'error' : 'unset');
        if (s.tags?.error) expect(d.status.message).toBe(s.tags.error);
      });
    });
  }

  it('smartthings: 64-bit trace id padded; spans without duration kept with endUs null; shared halves all kept', () => {
    const spans = corpusJson<any[]>('jaeger_zipkin/zipkin_smartthings-oauth-authorization.json');
    const recs = records(runHandler(zipkinHandler, corpusText('jaeger_zipkin/zipkin_smartthings-oauth-authorization.json')));
    expect(recs).toHaveLength(175);
    expect(new Set(recs.map((r) => r.traceId))).toEqual(new Set(['00000000000000008ce82b2e9ed820ba']));
    const noDuration = spans.filter((s) => s.duration === undefined).length;
    expect(noDuration).toBeGreaterThan(0);
    expect(recs.filter((r) => r.tsUs !== null && r.endUs === null)).toHaveLength(noDuration);
    // the Kafka fan-out: one span id reported by one client and five shared server halves
    const fan = recs.filter((r) => r.spanId === '9d2d35b746db84f3');
    expect(fan).toHaveLength(spans.filter((s) => s.id === '9d2d35b746db84f3').length);
    expect(new Set(fan.map((r) => r.key)).size).toBe(fan.length);
    expect(fan.filter((r) => !r.key.includes(':shared:')).map((r) => spanData(r).kind)).toEqual(['client']);
    const sharedKey = fan.find((r) => r.key.includes(':shared:'))!.key;
    expect(sharedKey).toMatch(/^span:0{16}8ce82b2e9ed820ba:9d2d35b746db84f3:shared:pusher@10\.0\.0\.\d+:8197:\d+$/);
    // annotations
    const annotated = recs.filter((r) => (spanData(r).events ?? []).length > 0);
    expect(annotated).toHaveLength(spans.filter((s) => s.annotations).length);
    // endpoints and shared flag kept as attributes
    const aShared = recs.find((r) => r.key.includes(':shared:'))!;
    expect(spanData(aShared).attributes['zipkin.shared']).toBe(true);
    expect(spanData(aShared).attributes['zipkin.localEndpoint']).toMatchObject({ serviceName: spanData(aShared).service });
  });

  it('messaging-kafka: producer/consumer kinds, spans without kind are unspecified', () => {
    const recs = records(runHandler(zipkinHandler, corpusText('jaeger_zipkin/zipkin_messaging-kafka.json')));
    const kinds = new Map<string, number>();
    for (const r of recs) kinds.set(spanData(r).kind, (kinds.get(spanData(r).kind) ?? 0) + 1);
    const spans = corpusJson<any[]>('jaeger_zipkin/zipkin_messaging-kafka.json');
    expect(kinds.get('producer')).toBe(spans.filter((s) => s.kind === 'PRODUCER').length);
    expect(kinds.get('consumer')).toBe(spans.filter((s) => s.kind === 'CONSUMER').length);
    expect(kinds.get('unspecified')).toBe(spans.filter((s) => !s.kind).length);
  });

  it('a large array (head only) is still recognised and framed per span', () => {
    const text = corpusText('jaeger_zipkin/zipkin_smartthings-oauth-authorization.json');
    expect(text.length).toBeGreaterThan(64 * 1024);
    const s: Sniff = { path: 'big.json', head: text.slice(0, 64 * 1024), complete: false, lines: [], topKeys: [] };
    expect(zipkinHandler.sniff(s)?.framing).toEqual({ kind: 'document', units: [['*']] });
    expect(jaegerHandler.sniff(s)).toBeNull();
    expect(otlpTracesHandler.sniff(s)).toBeNull();
  });
});

describe('Zipkin: synthetic cases', () => {
  const span = (over: Record<string, unknown> = {}) => ({
    traceId: '463ac35c9f6413ad48485a3953bb6124',
    id: 'a2fb4a1d1a96d312',
    name: 'get /api',
    kind: 'SERVER',
    timestamp: 1_700_000_000_000_000,
    duration: 1500,
    localEndpoint: { serviceName: 'frontend', ipv4: '10.0.0.1', port: 80 },
    ...over,
  });

  it('spans without timestamp or duration are kept with null times', () => {
    const emits = runHandler(zipkinHandler, JSON.stringify([span({ timestamp: undefined, duration: undefined }), span({ id: 'b', timestamp: undefined })]));
    const recs = records(emits);
    expect(recs).toHaveLength(2);
    expect(recs.map((r) => [r.tsUs, r.endUs])).toEqual([
      [null, null],
      [null, null],
    ]);
    expect(recs[1]!.spanId).toBe('000000000000000b');
  });

  it('128-bit trace ids, upper case, 31 digits', () => {
    const recs = records(runHandler(zipkinHandler, JSON.stringify([span({ traceId: '63AC35C9F6413AD48485A3953BB6124' })])));
    expect(recs[0]!.traceId).toBe('063ac35c9f6413ad48485a3953bb6124');
  });

  it('client and shared server halves with the same id get different keys', () => {
    const recs = records(
      runHandler(zipkinHandler, JSON.stringify([span({ kind: 'CLIENT', localEndpoint: { serviceName: 'web' } }), span({ shared: true }), span({ shared: true, timestamp: 1_700_000_000_000_100 })])),
    );
    expect(recs.map((r) => r.key)).toEqual([
      'span:463ac35c9f6413ad48485a3953bb6124:a2fb4a1d1a96d312',
      'span:463ac35c9f6413ad48485a3953bb6124:a2fb4a1d1a96d312:shared:frontend@10.0.0.1:80:1700000000000000',
      'span:463ac35c9f6413ad48485a3953bb6124:a2fb4a1d1a96d312:shared:frontend@10.0.0.1:80:1700000000000100',
    ]);
  });

  it('error tag → error status with message; gen_ai tags → genai; run id from tags', () => {
    const [r] = records(
      runHandler(zipkinHandler, JSON.stringify([span({ tags: { error: 'connection refused', 'gen_ai.request.model': 'gpt-x', 'gen_ai.usage.input_tokens': '12', 'casefile.run_id': 'run-1' } })])),
    );
    expect(spanData(r!).status).toEqual({ code: 'error', message: 'connection refused' });
    expect(spanData(r!).genai).toEqual({ requestModel: 'gpt-x', inputTokens: 12 });
    expect(r!.runId).toBe('run-1');
    expect(r!.text).toContain('connection refused');
    expect(r!.text).toContain('gpt-x');
  });

  it('an array of traces (GET /api/v2/traces) is framed per span', () => {
    const text = JSON.stringify([[span()], [span({ id: 'c' }), span({ id: 'd' })]]);
    const s = zipkinHandler.sniff(sniffText(text))!;
    expect(s.framing).toEqual({ kind: 'document', units: [['*', '*']] });
    expect(records(frameText(text, s.framing).flatMap((u) => zipkinHandler.map(u)))).toHaveLength(3);
  });

  it('malformed spans are quarantined with reasons naming the field', () => {
    const emits = runHandler(
      zipkinHandler,
      JSON.stringify([
        span(),
        span({ id: undefined }),
        span({ traceId: 'xyz' }),
        span({ parentId: 'nope' }),
        span({ timestamp: 'noon' }),
        span({ tags: ['a'] }),
        span({ annotations: {} }),
        span({ kind: 3 }),
        null,
        span({ localEndpoint: 'frontend' }),
      ]),
    );
    expect(records(emits)).toHaveLength(1);
    expect(quarantines(emits).map((q) => [q.locator.path, q.reason])).toEqual([
      ['$[1]', 'span has no valid id (got nothing)'],
      ['$[2]', 'span has no valid traceId (got "xyz")'],
      ['$[3]', 'span has no valid parentId (got "nope")'],
      ['$[4]', 'span.timestamp is not a number of microseconds (got "noon")'],
      ['$[5]', 'span.tags is not an object (got array)'],
      ['$[6]', 'span.annotations is not an array (got object)'],
      ['$[7]', 'span.kind is not a string (got number)'],
      ['$[8]', 'span is not an object (got null)'],
      ['$[9]', 'span.localEndpoint is not an object (got string)'],
    ]);
  });

  it('a truncated array is still recognised (the framer delivers the spans that are whole)', () => {
    const text = JSON.stringify([span(), span({ id: 'b' }), span({ id: 'c' })], null, 2);
    const cut = text.slice(0, Math.floor(text.length * 0.6));
    expect(zipkinHandler.sniff(sniffText(cut))?.framing).toEqual({ kind: 'document', units: [['*']] });
    expect(jaegerHandler.sniff(sniffText(cut))).toBeNull();
  });

  it('does not claim Zipkin v1, Langfuse-like observation arrays, or OPA decision arrays', () => {
    expect(zipkinHandler.sniff(sniffText(JSON.stringify([{ traceId: 'a', id: 'b', binaryAnnotations: [], timestamp: 1 }])))).toBeNull();
    expect(zipkinHandler.sniff(sniffText(JSON.stringify([{ traceId: 'a', id: 'b', type: 'GENERATION', startTime: '2024-01-01T00:00:00Z' }])))).toBeNull();
    expect(zipkinHandler.sniff(sniffText(JSON.stringify([{ decision_id: 'x', input: {} }])))).toBeNull();
    expect(zipkinHandler.sniff(sniffText('[]'))).toBeNull();
  });
});

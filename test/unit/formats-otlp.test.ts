import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emit, LogData, NormalizedRecord, SpanData } from '../../shared/model';
import { jaegerHandler } from '../../electron/core/import/formats/jaeger';
import { otlpLogsHandler } from '../../electron/core/import/formats/otlp-logs';
import { otlpTracesHandler } from '../../electron/core/import/formats/otlp-traces';
import type { FormatHandler, Sniff } from '../../electron/core/import/formats/types';
import { zipkinHandler } from '../../electron/core/import/formats/zipkin';
import { CORPUS_DIR, corpusJson, corpusText, HAVE_CORPUS } from '../corpus';
import { frameText, runHandler, sniffText } from '../helpers/frame';

// ------------------------------------------------------------------ test-local helpers (independent of the code under test)

const records = (emits: Emit[]): NormalizedRecord[] => emits.flatMap((e) => (e.type === 'record' ? [e.record] : []));
const quarantines = (emits: Emit[]) => emits.flatMap((e) => (e.type === 'quarantine' ? [e] : []));
const skips = (emits: Emit[]) => emits.flatMap((e) => (e.type === 'skip' ? [e] : []));
const spanData = (r: NormalizedRecord) => r.data as SpanData;
const logData = (r: NormalizedRecord) => r.data as LogData;

/** Resolve a locator path such as `$.resourceSpans[0].scopeSpans[0].spans[2]` or `$["a b"][1]` in a parsed value. */
function resolvePath(doc: unknown, path: string): unknown {
  const re = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  expect(path.startsWith('$')).toBe(true);
  let cur: unknown = doc;
  let m: RegExpExecArray | null;
  let consumed = 1;
  while ((m = re.exec(path))) {
    expect(m.index).toBe(consumed);
    consumed += m[0].length;
    const seg: string | number = m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]!) as string));
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  expect(consumed).toBe(path.length);
  return cur;
}

/** Walk an OTLP request by hand: every span / log record with the resource and scope around it. */
function walkOtlp(req: any, resourceKey: string, scopeKey: string, itemsKey: string) {
  const out: Array<{ item: any; resource: any; scope: any; path: string }> = [];
  (req[resourceKey] ?? []).forEach((rs: any, i: number) =>
    (rs[scopeKey] ?? []).forEach((ss: any, j: number) =>
      (ss[itemsKey] ?? []).forEach((item: any, k: number) =>
        out.push({ item, resource: rs.resource, scope: ss.scope, path: `$.${resourceKey}[${i}].${scopeKey}[${j}].${itemsKey}[${k}]` }),
      ),
    ),
  );
  return out;
}

/** What the pipeline's sniffer gives for a file larger than its 64 KiB head: head only, whole lines only. */
function headSniff(text: string): Sniff {
  const head = text.slice(0, 64 * 1024);
  const lines: unknown[] = [];
  for (const l of head.split('\n').slice(0, -1)) {
    if (!l.trim()) continue;
    try {
      lines.push(JSON.parse(l));
    } catch {
      lines.push(undefined);
    }
  }
  const topKeys = [...head.matchAll(/^ {2}"(\w+)":/gm)].map((m) => m[1]!);
  return { path: 'big.json', head, complete: false, lines, topKeys };
}

function mapAll(h: FormatHandler, text: string, s: Sniff): Emit[] {
  const r = h.sniff(s);
  expect(r).not.toBeNull();
  return frameText(text, r!.framing).flatMap((u) => h.map(u));
}

const minify = (v: unknown) => JSON.stringify(v);

/** A small OTLP span (attribute values in the OTLP JSON encoding). */
function otlpSpan(over: Record<string, unknown> = {}) {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    name: 'op',
    kind: 1,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000500000000',
    ...over,
  };
}
const traceReq = (spans: unknown, resource: unknown = { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scope: unknown = { name: 'lib', version: '2' }) => ({
  resourceSpans: [{ resource, scopeSpans: [{ scope, spans }] }],
});

// ------------------------------------------------------------------ corpus

const OTLP_FILES = HAVE_CORPUS ? readdirSync(join(CORPUS_DIR, 'otlp')).filter((f) => f.endsWith('.json')) : [];

describe.skipIf(!HAVE_CORPUS)('OTLP corpus files', () => {
  it('finds the corpus OTLP files', () => {
    expect(OTLP_FILES.length).toBeGreaterThanOrEqual(4);
  });

  for (const f of OTLP_FILES) {
    it(`${f}: one record per span / log record, each locator pointing at its source`, () => {
      const rel = `otlp/${f}`;
      const text = corpusText(rel);
      const doc = corpusJson(rel);
      const isTraces = 'resourceSpans' in doc;
      const h = isTraces ? otlpTracesHandler : otlpLogsHandler;
      const other = isTraces ? otlpLogsHandler : otlpTracesHandler;
      expect(other.sniff(sniffText(text, rel))).toBeNull();
      const expected = isTraces ? walkOtlp(doc, 'resourceSpans', 'scopeSpans', 'spans') : walkOtlp(doc, 'resourceLogs', 'scopeLogs', 'logRecords');
      // independent count: occurrences of the id / time field in the raw text
      const rawCount = (text.match(isTraces ? /"spanId"\s*:/g : /"timeUnixNano"\s*:/g) ?? []).length;
      expect(expected.length).toBe(rawCount);
      const emits = runHandler(h, text, rel);
      expect(quarantines(emits)).toEqual([]);
      const recs = records(emits);
      expect(recs).toHaveLength(expected.length);
      emits.forEach((e, i) => {
        expect(e.locator.path).toBe(expected[i]!.path);
        const src = resolvePath(doc, e.locator.path!) as any;
        expect(src).toBe(expected[i]!.item);
        const r = (e as Extract<Emit, { type: 'record' }>).record;
        expect(r.kind).toBe(isTraces ? 'span' : 'log');
        if (isTraces) {
          expect(r.key).toBe(`span:${src.traceId.toLowerCase()}:${src.spanId.toLowerCase()}`);
          expect(r.key).toMatch(/^span:[0-9a-f]{32}:[0-9a-f]{16}$/);
          expect(r.tsUs).toBe(Number(BigInt(src.startTimeUnixNano) / 1000n));
          expect(r.endUs).toBe(Number(BigInt(src.endTimeUnixNano) / 1000n));
          expect(spanData(r).service).toBe(expected[i]!.resource.attributes.find((a: any) => a.key === 'service.name').value.stringValue);
          expect(r.text).toContain(src.name);
        } else {
          expect(r.key).toMatch(/^log:[0-9a-f]{32}$/);
          expect(r.tsUs).toBe(Number(BigInt(src.timeUnixNano) / 1000n));
        }
      });
    });
  }

  it('trace.json: upper-case hex ids are lower-cased, kind 2 = server, scope and resource kept', () => {
    const [r] = records(runHandler(otlpTracesHandler, corpusText('otlp/otelproto_examples_trace.json')));
    const d = spanData(r!);
    expect(r!.traceId).toBe('5b8efff798038103d269b633813fc60c');
    expect(r!.spanId).toBe('eee19b7ec3c1b174');
    expect(r!.parentSpanId).toBe('eee19b7ec3c1b173');
    expect(d.kind).toBe('server');
    expect(d.origin).toBe('otlp');
    expect(d.status).toEqual({ code: 'unset' });
    expect(d.scope).toEqual({ name: 'my.library', version: '1.0.0' });
    expect(d.resource).toEqual({ 'service.name': 'my.service' });
    expect(d.attributes).toEqual({ 'my.span.attr': 'some value' });
    expect(r!.tsUs).toBe(1544712660000000);
    expect(r!.endUs! - r!.tsUs!).toBe(1_000_000);
  });

  it('logs.json: every AnyValue type is decoded (intValue string → number, arrays, kvlists)', () => {
    const [r] = records(runHandler(otlpLogsHandler, corpusText('otlp/otelproto_examples_logs.json')));
    const d = logData(r!);
    expect(d.attributes).toEqual({
      'string.attribute': 'some string',
      'boolean.attribute': true,
      'int.attribute': 10,
      'double.attribute': 637.704,
      'array.attribute': ['many', 'values'],
      'map.attribute': { 'some.map.key': 'some value' },
    });
    expect(d.body).toBe('Example log record');
    expect(d.severityNumber).toBe(10);
    expect(d.severityText).toBe('Information');
    expect(r!.traceId).toBe('5b8efff798038103d269b633813fc60c');
    expect(r!.spanId).toBe('eee19b7ec3c1b174');
    expect(d.observedUs).toBe(1544712660300000);
    expect(r!.text).toContain('Example log record');
  });

  it('events.json: eventName, kvlist body, no trace context', () => {
    const [r] = records(runHandler(otlpLogsHandler, corpusText('otlp/otelproto_examples_events.json')));
    const d = logData(r!);
    expect(d.eventName).toBe('browser.page_view');
    expect(r!.name).toBe('browser.page_view');
    expect(d.body).toEqual({
      type: 0,
      url: 'https://www.guidgenerator.com/online-guid-generator.aspx',
      referrer: 'https://wwww.google.com',
      title: 'Free Online GUID Generator',
    });
    expect(d.traceId).toBeNull();
    expect(r!.traceId).toBeNull();
    expect(r!.text).toContain('browser.page_view');
  });

  it('otlp2jaeger: the OTLP input and its Jaeger output produce the same span keys (dedup across formats)', () => {
    const inEmits = runHandler(otlpTracesHandler, corpusText('otlp/jaegerui_otlp2jaeger-in.json'));
    const outEmits = runHandler(jaegerHandler, corpusText('jaeger_zipkin/jaegerui_otlp2jaeger-out.json'));
    const inKeys = new Set(records(inEmits).map((r) => r.key));
    const outKeys = new Set(records(outEmits).map((r) => r.key));
    expect(inKeys.size).toBeGreaterThan(0);
    expect([...inKeys].sort()).toEqual([...outKeys].sort());
    // and the same timing, parent and service
    const a = spanData(records(inEmits)[0]!);
    const b = spanData(records(outEmits)[0]!);
    expect([a.startUs, a.endUs, a.parentSpanId, a.service, a.kind, a.name]).toEqual([b.startUs, b.endUs, b.parentSpanId, b.service, b.kind, b.name]);
  });

  it('streaming framing (file larger than the head) gives the same records as the whole-document path', () => {
    for (const f of OTLP_FILES) {
      const text = corpusText(`otlp/${f}`);
      const h = 'resourceSpans' in corpusJson(`otlp/${f}`) ? otlpTracesHandler : otlpLogsHandler;
      const whole = runHandler(h, text);
      const s = { ...sniffText(text), complete: false, doc: undefined };
      const framing = h.sniff(s)!.framing;
      expect(framing.kind).toBe('document');
      expect(framing.kind === 'document' && framing.units.some((u) => u.length > 0)).toBe(true);
      const streamed = frameText(text, framing).flatMap((u) => h.map(u));
      expect(streamed).toEqual(whole);
    }
  });

  it('Jaeger v3 API wrapper {"result": …} is unwrapped; locators keep the $.result prefix', () => {
    const doc = corpusJson('otlp/otelproto_examples_trace.json');
    const wrapped = JSON.stringify({ result: doc }, null, 2);
    const emits = runHandler(otlpTracesHandler, wrapped);
    expect(records(emits).map((r) => r.key)).toEqual(['span:5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174']);
    expect(emits[0]!.locator.path).toBe('$.result.resourceSpans[0].scopeSpans[0].spans[0]');
    // and streamed
    const streamed = mapAll(otlpTracesHandler, wrapped, { ...sniffText(wrapped), complete: false, doc: undefined });
    expect(streamed).toEqual(emits);
  });

  it('JSON Lines of requests (Collector file exporter): spans expanded per line, other signals skipped, bad lines quarantined', () => {
    const trace = corpusJson('otlp/otelproto_examples_trace.json');
    const pair = corpusJson('otlp/jaegerui_otlp2jaeger-in.json');
    const logs = corpusJson('otlp/otelproto_examples_logs.json');
    const text = [minify(trace), minify(pair), '', minify(logs), minify({ resourceMetrics: [] }), '{"resourceSpans": [', minify({ result: trace })].join('\n') + '\n';
    const s = otlpTracesHandler.sniff(sniffText(text, 'traces.jsonl'));
    expect(s?.framing).toEqual({ kind: 'lines' });
    const emits = runHandler(otlpTracesHandler, text);
    const expectedSpans = walkOtlp(trace, 'resourceSpans', 'scopeSpans', 'spans').length * 2 + walkOtlp(pair, 'resourceSpans', 'scopeSpans', 'spans').length;
    expect(records(emits)).toHaveLength(expectedSpans);
    expect(emits.filter((e) => e.locator.line === 2).map((e) => e.locator.path)).toEqual([
      '$.resourceSpans[0].scopeSpans[0].spans[0]',
      '$.resourceSpans[0].scopeSpans[0].spans[1]',
    ]);
    expect(emits.find((e) => e.locator.line === 7)!.locator.path).toBe('$.result.resourceSpans[0].scopeSpans[0].spans[0]');
    const sk = skips(emits);
    expect(sk.map((e) => e.locator.line)).toEqual([4, 5]);
    expect(sk[0]!.reason).toMatch(/logs/);
    expect(sk[1]!.reason).toMatch(/metrics/);
    const q = quarantines(emits);
    expect(q).toHaveLength(1);
    expect(q[0]!.locator.line).toBe(6); // the truncated line
    expect(q[0]!.reason).toMatch(/not valid JSON/);
    expect(q[0]!.raw).toBe('{"resourceSpans": [');
  });

  it('JSON Lines mixing logs and traces: the logs handler wins the sniff and reads both signals', () => {
    const text = [minify(corpusJson('otlp/otelproto_examples_trace.json')), minify(corpusJson('otlp/otelproto_examples_logs.json'))].join('\n');
    const s = sniffText(text);
    const t = otlpTracesHandler.sniff(s)!;
    const l = otlpLogsHandler.sniff(s)!;
    expect(l.confidence).toBeGreaterThan(t.confidence);
    const emits = runHandler(otlpLogsHandler, text);
    expect(records(emits).map((r) => r.kind)).toEqual(['span', 'log']);
  });

  it('a head with no newline (one request line longer than 64 KiB) is read as JSON Lines', () => {
    const spans = Array.from({ length: 800 }, (_, i) => otlpSpan({ spanId: (i + 1).toString(16).padStart(16, '0'), name: `span number ${i}` }));
    const line = minify(traceReq(spans));
    expect(line.length).toBeGreaterThan(64 * 1024);
    const text = `${line}\n${line}\n`;
    const s = otlpTracesHandler.sniff(headSniff(text));
    expect(s?.framing).toEqual({ kind: 'lines' });
    const emits = mapAll(otlpTracesHandler, text, headSniff(text));
    expect(records(emits)).toHaveLength(1600);
    expect(new Set(records(emits).map((r) => r.key)).size).toBe(800);
  });

  it('a pretty-printed document larger than the head is streamed at the span level', () => {
    const spans = Array.from({ length: 600 }, (_, i) => otlpSpan({ spanId: (i + 1).toString(16).padStart(16, '0') }));
    const text = JSON.stringify(traceReq(spans), null, 2);
    expect(text.length).toBeGreaterThan(64 * 1024);
    const s = otlpTracesHandler.sniff(headSniff(text))!;
    expect(s.framing.kind).toBe('document');
    const units = frameText(text, s.framing);
    expect(units).toHaveLength(600); // one unit per span
    const emits = units.flatMap((u) => otlpTracesHandler.map(u));
    expect(records(emits)).toHaveLength(600);
    expect(spanData(records(emits)[599]!).service).toBe('svc');
    expect(spanData(records(emits)[0]!).scope).toEqual({ name: 'lib', version: '2' });
  });

  it('a truncated document is still recognised (the framer delivers the spans that are whole)', () => {
    const text = JSON.stringify(corpusJson('otlp/otelproto_examples_trace.json'), null, 2);
    const cut = text.slice(0, Math.floor(text.length * 0.7));
    const s = otlpTracesHandler.sniff(sniffText(cut))!;
    expect(s.framing.kind).toBe('document');
    expect(s.framing.kind === 'document' && s.framing.units).toContainEqual(['resourceSpans', '*', 'scopeSpans', '*', 'spans', '*']);
    expect(otlpLogsHandler.sniff(sniffText(cut))).toBeNull();
  });
});

// ------------------------------------------------------------------ encodings and malformed input (synthetic)

describe('OTLP traces: encodings', () => {
  const one = (span: unknown, resource?: unknown, scope?: unknown) => runHandler(otlpTracesHandler, JSON.stringify(traceReq([span], resource, scope)));

  it('kind and status as enum names, intValue as number, bytesValue kept as base64, empty resource and scope', () => {
    const emits = one(
      otlpSpan({
        kind: 'SPAN_KIND_CLIENT',
        status: { code: 'STATUS_CODE_ERROR', message: 'upstream timed out' },
        attributes: [
          { key: 'n', value: { intValue: 42 } },
          { key: 'big', value: { intValue: '9223372036854775807' } },
          { key: 'b', value: { bytesValue: 'AAECAw==' } },
          { key: 'empty', value: {} },
          { key: 'nested', value: { arrayValue: { values: [{ kvlistValue: { values: [{ key: 'k', value: { boolValue: false } }] } }] } } },
        ],
      }),
      {},
      {},
    );
    const [r] = records(emits);
    const d = spanData(r!);
    expect(d.kind).toBe('client');
    expect(d.status).toEqual({ code: 'error', message: 'upstream timed out' });
    expect(d.attributes).toEqual({ n: 42, big: '9223372036854775807', b: 'AAECAw==', empty: null, nested: [{ k: false }] });
    expect(d.service).toBeNull();
    expect(d.scope).toBeUndefined();
    expect(d.resource).toEqual({});
    expect(r!.text).toContain('upstream timed out');
  });

  it('status code as int: 1 = ok, 2 = error; no status = unset', () => {
    const d = (status: unknown) => spanData(records(one(otlpSpan({ status })))[0]!).status.code;
    expect(d({ code: 1 })).toBe('ok');
    expect(d({ code: 2 })).toBe('error');
    expect(d({})).toBe('unset');
    expect(d(undefined)).toBe('unset');
  });

  it('ids: upper case lowered, 31 hex digits padded, base64 decoded, empty parent = root', () => {
    const r = records(one(otlpSpan({ traceId: 'AF7651916CD43DD8448EB211C80319C', spanId: 'B7AD6B7169203331', parentSpanId: '' })))[0]!;
    expect(r.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(r.spanId).toBe('b7ad6b7169203331');
    expect(r.parentSpanId).toBeNull();
    const b64 = records(one(otlpSpan({ traceId: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex').toString('base64'), spanId: Buffer.from('b7ad6b7169203331', 'hex').toString('base64') })))[0]!;
    expect(b64.key).toBe('span:0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331');
  });

  it('events and links', () => {
    const r = records(
      one(
        otlpSpan({
          events: [{ timeUnixNano: '1700000000100000000', name: 'exception', attributes: [{ key: 'exception.message', value: { stringValue: 'boom: disk full' } }] }],
          links: [{ traceId: 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF', spanId: '1111111111111111', attributes: [{ key: 'why', value: { stringValue: 'batch' } }] }],
        }),
      ),
    )[0]!;
    const d = spanData(r);
    expect(d.events).toEqual([{ tsUs: 1700000000100000, name: 'exception', attributes: { 'exception.message': 'boom: disk full' } }]);
    expect(d.links).toEqual([{ traceId: 'ffffffffffffffffffffffffffffffff', spanId: '1111111111111111', attributes: { why: 'batch' } }]);
    expect(r.text).toContain('boom: disk full');
  });

  it('pre-1.0 instrumentationLibrarySpans / instrumentationLibrary', () => {
    const text = JSON.stringify({ resourceSpans: [{ resource: {}, instrumentationLibrarySpans: [{ instrumentationLibrary: { name: 'old-lib' }, spans: [otlpSpan()] }] }] });
    const emits = runHandler(otlpTracesHandler, text);
    expect(emits[0]!.locator.path).toBe('$.resourceSpans[0].instrumentationLibrarySpans[0].spans[0]');
    expect(spanData(records(emits)[0]!).scope).toEqual({ name: 'old-lib' });
    const pretty = JSON.stringify(JSON.parse(text), null, 2); // a one-line head would be read as JSON Lines
    const streamed = mapAll(otlpTracesHandler, pretty, { ...sniffText(pretty), complete: false, doc: undefined });
    expect(streamed).toEqual(emits);
  });

  it('run id and session id from span attributes, else from the resource', () => {
    const r = records(
      one(otlpSpan({ attributes: [{ key: 'session.id', value: { stringValue: 'sess-1' } }] }), {
        attributes: [{ key: 'casefile.run_id', value: { stringValue: 'run-9' } }],
      }),
    )[0]!;
    expect(r.runId).toBe('run-9');
    expect(spanData(r).sessionId).toBe('sess-1');
  });
});

describe('OTLP traces: malformed input is quarantined with a reason, never thrown', () => {
  const run = (v: unknown) => runHandler(otlpTracesHandler, JSON.stringify(v));

  it.each([
    ['missing spanId', otlpSpan({ spanId: undefined }), 'span has no valid spanId (got nothing)'],
    ['non-hex spanId', otlpSpan({ spanId: 'xyz' }), 'span has no valid spanId (got "xyz")'],
    ['all-zero traceId', otlpSpan({ traceId: '00000000000000000000000000000000' }), 'span has no valid traceId'],
    ['too-long traceId', otlpSpan({ traceId: `${'a'.repeat(33)}` }), 'span has no valid traceId'],
    ['numeric traceId', otlpSpan({ traceId: 12 }), 'span has no valid traceId (got 12)'],
    ['bad parentSpanId', otlpSpan({ parentSpanId: 'nothex!' }), 'span has no valid parentSpanId'],
    ['time not an integer', otlpSpan({ startTimeUnixNano: 'yesterday' }), 'startTimeUnixNano'],
    ['attributes as a map', otlpSpan({ attributes: { a: 1 } }), 'span.attributes is not an array (got object)'],
    ['attribute value not an AnyValue', otlpSpan({ attributes: [{ key: 'a', value: 'plain' }] }), 'is not an OTLP AnyValue'],
    ['intValue not an integer', otlpSpan({ attributes: [{ key: 'a', value: { intValue: '1.5' } }] }), 'intValue is not an integer'],
    ['kind unknown', otlpSpan({ kind: 'SIDEWAYS' }), 'invalid kind'],
    ['status code unknown', otlpSpan({ status: { code: 'MAYBE' } }), 'invalid code'],
    ['events not an array', otlpSpan({ events: 'x' }), 'span.events is not an array (got string)'],
    ['link without spanId', otlpSpan({ links: [{ traceId: '0af7651916cd43dd8448eb211c80319c' }] }), 'span.links[0] has no valid spanId'],
    ['span is null', null, 'span is not an object (got null)'],
    ['name is a number', otlpSpan({ name: 5 }), 'span.name is not a string (got number)'],
  ])('%s', (_label, span, reason) => {
    const emits = run(traceReq([otlpSpan({ spanId: '1000000000000001' }), span]));
    expect(records(emits)).toHaveLength(1); // the good neighbour is kept
    const q = quarantines(emits);
    expect(q).toHaveLength(1);
    expect(q[0]!.reason).toContain(reason);
    expect(q[0]!.locator.path).toBe('$.resourceSpans[0].scopeSpans[0].spans[1]');
    expect(q[0]!.raw).toBe(JSON.stringify(span));
  });

  it('wrong-typed containers: spans is a string, scopeSpans an object, resourceSpans a number, resource an array', () => {
    let q = quarantines(run({ resourceSpans: [{ resource: {}, scopeSpans: [{ scope: {}, spans: 'oops' }] }] }));
    expect(q.map((e) => [e.reason, e.locator.path])).toEqual([['resourceSpans[0].scopeSpans[0].spans is not an array (got string)', '$.resourceSpans[0].scopeSpans[0]']]);
    q = quarantines(run({ resourceSpans: [{ scopeSpans: { spans: [] } }] }));
    expect(q[0]!.reason).toBe('resourceSpans[0].scopeSpans is not an array (got object)');
    q = quarantines(run({ resourceSpans: 3 }));
    expect(q[0]!.reason).toBe('resourceSpans is not an array (got number)');
    q = quarantines(run({ resourceSpans: [{ resource: [], scopeSpans: [{ spans: [otlpSpan()] }] }] }));
    expect(q[0]!.reason).toBe('resourceSpans[0].resource is not an object (got array)');
  });

  it('a streamed span whose resource context is wrong-typed is quarantined', () => {
    const text = JSON.stringify({ resourceSpans: [{ resource: 'x', scopeSpans: [{ spans: [otlpSpan()] }] }] }, null, 2);
    const emits = mapAll(otlpTracesHandler, text, { ...sniffText(text), complete: false, doc: undefined });
    expect(quarantines(emits)[0]!.reason).toMatch(/resource is not an object/);
  });

  it('JSON Lines: a line that is not an object, or has no resourceSpans, is quarantined', () => {
    const text = [minify(traceReq([otlpSpan()])), '[1,2]', '{"hello":"world"}', '{}'].join('\n');
    const emits = runHandler(otlpTracesHandler, text);
    expect(records(emits)).toHaveLength(1);
    const q = quarantines(emits);
    expect(q.map((e) => e.locator.line)).toEqual([2, 3]);
    expect(q[0]!.reason).toMatch(/got array/);
    expect(q[1]!.reason).toMatch(/no resourceSpans/);
    expect(skips(emits).map((e) => e.locator.line)).toEqual([4]);
  });
});

describe('OTLP logs: encodings and malformed input', () => {
  const logsReq = (logRecords: unknown) => ({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] }, scopeLogs: [{ scope: {}, logRecords }] }] });
  const rec = (over: Record<string, unknown> = {}) => ({ timeUnixNano: '1700000000000000000', body: { stringValue: 'hello' }, ...over });

  it('severity enum names, trace context, run id, content-hash keys that dedup identical records', () => {
    const emits = runHandler(
      otlpLogsHandler,
      JSON.stringify(
        logsReq([
          rec({ severityNumber: 'SEVERITY_NUMBER_WARN', severityText: 'WARN', traceId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', spanId: 'BBBBBBBBBBBBBBBB', attributes: [{ key: 'run_id', value: { stringValue: 'r-1' } }] }),
          rec({ severityNumber: 'SEVERITY_NUMBER_WARN', severityText: 'WARN', traceId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', spanId: 'BBBBBBBBBBBBBBBB', attributes: [{ key: 'run_id', value: { stringValue: 'r-1' } }] }),
          rec({ body: { stringValue: 'hello again' }, severityNumber: 'SEVERITY_NUMBER_ERROR3' }),
        ]),
      ),
    );
    const rs = records(emits);
    expect(rs).toHaveLength(3);
    expect(logData(rs[0]!).severityNumber).toBe(13);
    expect(logData(rs[2]!).severityNumber).toBe(19);
    expect(rs[0]!.traceId).toBe('a'.repeat(32));
    expect(rs[0]!.spanId).toBe('b'.repeat(16));
    expect(rs[0]!.runId).toBe('r-1');
    expect(rs[0]!.key).toBe(rs[1]!.key);
    expect(rs[2]!.key).not.toBe(rs[0]!.key);
    expect(rs[0]!.text).toContain('api');
  });

  it('quarantines bad records with reasons', () => {
    const emits = runHandler(otlpLogsHandler, JSON.stringify(logsReq([rec({ traceId: 'not-hex' }), rec({ severityNumber: 'LOUD' }), rec({ body: 'bare string' }), 7, rec()])));
    expect(records(emits)).toHaveLength(1);
    expect(quarantines(emits).map((e) => e.reason)).toEqual([
      'log record has no valid traceId (got "not-hex")',
      'log record has an invalid severityNumber (got "LOUD")',
      'log record.body is not an OTLP AnyValue (got string)',
      'log record is not an object (got number)',
    ]);
    const bad = runHandler(otlpLogsHandler, JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: { a: 1 } }] }] }));
    expect(quarantines(bad)[0]!.reason).toBe('resourceLogs[0].scopeLogs[0].logRecords is not an array (got object)');
  });
});

// ------------------------------------------------------------------ recognition matrix over the whole corpus

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

describe.skipIf(!HAVE_CORPUS)('every corpus file is recognised by exactly the right handler among OTLP/Jaeger/Zipkin (or by none)', () => {
  const handlers = [otlpTracesHandler, otlpLogsHandler, jaegerHandler, zipkinHandler];
  // Expected format from MANIFEST.tsv's "format" column, written by whoever collected the files.
  const manifest = HAVE_CORPUS
    ? new Map(
        readFileSync(join(CORPUS_DIR, 'MANIFEST.tsv'), 'utf8')
          .split('\n')
          .slice(1)
          .filter(Boolean)
          .map((l) => l.split('\t'))
          .map((c) => [c[0]!, c[5]!] as const),
      )
    : new Map<string, string>();
  const expectedFormat = (fmt: string | undefined): string | null => {
    if (!fmt) return null;
    if (fmt.startsWith('OTLP/JSON traces')) return 'otlp-traces';
    if (fmt.startsWith('OTLP/JSON logs')) return 'otlp-logs';
    if (fmt.startsWith('Jaeger')) return 'jaeger';
    if (fmt.startsWith('Zipkin')) return 'zipkin';
    return null;
  };
  const files = HAVE_CORPUS ? listFiles(CORPUS_DIR).filter((p) => !/MANIFEST\.tsv$|README\.md$/.test(p)) : [];

  it('covers the OTLP, Jaeger and Zipkin files of the manifest', () => {
    const ours = [...manifest.values()].filter((f) => expectedFormat(f) !== null);
    expect(ours.length).toBe(10);
  });

  for (const p of files) {
    const rel = relative(CORPUS_DIR, p);
    it(rel, () => {
      const text = readFileSync(p, 'utf8');
      const s = sniffText(text, rel);
      const claimed = handlers.filter((h) => h.sniff(s) !== null).map((h) => h.format);
      const want = expectedFormat(manifest.get(rel));
      expect(claimed).toEqual(want ? [want] : []);
    });
  }
});

describe('overlong lines of a mixed OTLP JSON Lines file', () => {
  it('streamed items are mapped by the signal their path names (spans under the logs handler stay spans)', async () => {
    const { frameDocument } = await import('../../electron/core/import/framing');
    const line = JSON.stringify({
      resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ scope: { name: 'lib' }, spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'GET /', startTimeUnixNano: '1700000000000000000' }] }] }],
    });
    const logLine = JSON.stringify({
      resourceLogs: [{ resource: {}, scopeLogs: [{ scope: { name: 'lib' }, logRecords: [{ timeUnixNano: '1700000000000000000', body: { stringValue: 'hello' } }] }] }],
    });
    const framing = otlpLogsHandler.overlongLine!;
    const emits: Emit[] = [];
    for (const text of [line, logLine]) {
      async function* bytes() {
        yield Buffer.from(text);
      }
      for await (const item of frameDocument(bytes(), framing, null)) {
        if ('error' in item) throw new Error(item.error);
        emits.push(...otlpLogsHandler.map(item));
      }
    }
    const records = emits.filter((e): e is Extract<Emit, { type: 'record' }> => e.type === 'record').map((e) => e.record);
    expect(records.map((r) => [r.kind, r.name])).toEqual([
      ['span', 'GET /'],
      ['log', expect.any(String)],
    ]);
    expect(records[0]!.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
  });
});

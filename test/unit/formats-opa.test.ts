import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emit, NormalizedRecord } from '../../shared/model';
import type { OpaDecisionData } from '../../electron/core/import/formats/opa';
import { deriveDecision, findRunAndTraceIds, opaHandler, parseTraceparent } from '../../electron/core/import/formats/opa';
import { CORPUS_DIR, HAVE_CORPUS, corpusPath, corpusText } from '../corpus';
import { runHandler, sniffText } from '../helpers/frame';

const records = (emits: Emit[]): NormalizedRecord[] => emits.flatMap((e) => (e.type === 'record' ? [e.record] : []));
const decision = (r: NormalizedRecord): OpaDecisionData => r.data as OpaDecisionData;
const count = (emits: Emit[], type: Emit['type']) => emits.filter((e) => e.type === type).length;

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

describe('opa: deriving the verdict from result', () => {
  it.each([
    ['boolean true', true, 'allow', []],
    ['boolean false', false, 'deny', []],
    ['string "true" (the upstream upload example)', 'true', 'allow', []],
    ['string "false"', 'false', 'deny', []],
    ['a verdict word', 'escalate', 'escalate', []],
    ['an unrelated string', 'hello', 'unknown', []],
    ['{allow: true}', { allow: true }, 'allow', []],
    ['{allowed: false}', { allowed: false }, 'deny', []],
    ['explicit decision and reason codes', { decision: 'escalate', reason_codes: ['amount_over_limit'] }, 'escalate', ['amount_over_limit']],
    ['explicit decision wins over allow', { decision: 'deny', allow: true }, 'deny', []],
    ['a deny set of messages', { deny: ['missing_approval', 'amount_over_limit'] }, 'deny', ['missing_approval', 'amount_over_limit']],
    ['deny messages win over allow: true', { allow: true, deny: ['blocked_country'] }, 'deny', ['blocked_country']],
    ['an empty deny set', { deny: [] }, 'allow', []],
    ['deny objects with codes', { deny: [{ code: 'PII', msg: 'has pii' }] }, 'deny', ['PII']],
    ['escalate flag', { allow: false, escalate: true }, 'escalate', []],
    ['requires_approval', { requires_approval: true, reasons: ['refund_over_500'] }, 'escalate', ['refund_over_500']],
    ['redact list', { allow: true, redact: ['ssn'] }, 'redact', []],
    ['redactions with allow', { allow: true, redactions: [{ field: 'email' }] }, 'redact', []],
    ['allow false beats redact', { allow: false, redact: true }, 'deny', []],
    ['reason string', { allow: false, reason: 'too big' }, 'deny', ['too big']],
    ['reasons as objects', { allow: true, reasons: [{ reason_code: 'OK_SMALL' }] }, 'allow', ['OK_SMALL']],
    ['query bindings (an array)', [{ x: 3 }], 'unknown', []],
    ['undefined (no result)', undefined, 'unknown', []],
    ['a number', 42, 'unknown', []],
    ['an object with none of the fields', { foo: 1 }, 'unknown', []],
  ] as const)('%s', (_name, result, expected, reasons) => {
    expect(deriveDecision(result)).toEqual({ decision: expected, reasonCodes: reasons });
  });
});

describe('opa: finding run and trace ids in the input', () => {
  const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  it.each([
    ['run_id', { run_id: 'r1' }, { runId: 'r1' }],
    ['runId', { runId: 'r2' }, { runId: 'r2' }],
    ['context.run_id', { context: { run_id: 'r3' } }, { runId: 'r3' }],
    ['request.run_id', { request: { run_id: 'r4' } }, { runId: 'r4' }],
    ['a numeric run id', { run_id: 17 }, { runId: '17' }],
    ['the shallowest wins', { deep: { deeper: { run_id: 'deep' } }, context: { run_id: 'shallow' } }, { runId: 'shallow' }],
    ['trace_id', { trace_id: '4BF92F3577B34DA6A3CE929D0E0E4736' }, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }],
    ['a short trace id is left-padded', { trace_id: 'abc' }, { traceId: '00000000000000000000000000000abc' }],
    ['a non-hex trace id is ignored', { trace_id: 'not-hex-at-all' }, { traceId: null }],
    ['traceparent header (Envoy ext_authz input)', { attributes: { request: { http: { headers: { traceparent: tp } } } } }, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' }],
    ['Traceparent as a header list', { headers: { Traceparent: [tp] } }, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }],
    ['nothing', { method: 'GET', path: '/x' }, { runId: null, traceId: null, spanId: null }],
  ] as const)('%s', (_name, input, expected) => {
    expect(findRunAndTraceIds(input)).toMatchObject(expected);
  });
  it('parses traceparent and rejects version ff and all-zero ids', () => {
    expect(parseTraceparent(tp)).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' });
    expect(parseTraceparent('ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBeNull();
    expect(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeNull();
    expect(parseTraceparent('garbage')).toBeNull();
  });
  it('does not run away on huge inputs', () => {
    const wide = { items: Array.from({ length: 300_000 }, (_, i) => ({ i })), run_id: 'top' };
    expect(findRunAndTraceIds(wide).runId).toBe('top');
    // an id buried after the node budget is not found, and the search stays bounded
    const buried = { items: [...Array.from({ length: 300_000 }, (_, i) => ({ i })), { run_id: 'late' }] };
    expect(findRunAndTraceIds(buried).runId).toBeNull();
    let deep: Record<string, unknown> = { run_id: 'bottom' };
    for (let i = 0; i < 10_000; i++) deep = { next: deep };
    expect(findRunAndTraceIds(deep).runId).toBeNull();
  });
});

describe('opa: console output mixed with other log lines', () => {
  const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const decisionLine = JSON.stringify({
    decision_id: 'd-1',
    input: { action: 'refund', amount: 900, context: { run_id: 'run-7' }, request: { headers: { traceparent: tp } } },
    labels: { id: 'opa-1', version: '1.4.2' },
    level: 'info',
    metrics: { timer_rego_query_eval_ns: 1234 },
    msg: 'Decision Log',
    path: 'agents/refund/allow',
    requested_by: '127.0.0.1:5000',
    result: { allow: false, deny: ['amount_over_limit', 'missing_approval'], policy_version: 'refund-policy@3' },
    time: '2024-05-01T10:00:01Z',
    timestamp: '2024-05-01T10:00:01.123456Z',
    type: 'openpolicyagent.org/decision_logs',
  });
  // Each line with what it must become; the expected counts are read from these labels.
  const lines: Array<[string, 'record' | 'skip' | 'quarantine' | 'blank']> = [
    ['{"addrs":[":8181"],"diagnostic-addrs":[],"level":"info","msg":"Initializing server.","time":"2024-05-01T10:00:00Z"}', 'skip'],
    ['2024/05/01 10:00:00 [sidecar] plain text, not JSON', 'skip'],
    ['{"level":"info","msg":"Download starting.","name":"authz","plugin":"bundle","time":"2024-05-01T10:00:00Z"}', 'skip'],
    ['{"level":"info","msg":"Bundle loaded and activated successfully.","name":"authz","plugin":"bundle","time":"2024-05-01T10:00:00Z"}', 'skip'],
    ['{"client_addr":"127.0.0.1:5000","level":"info","msg":"Received request.","req_id":1,"req_method":"POST","req_path":"/v1/data/agents/refund/allow","time":"2024-05-01T10:00:01Z"}', 'skip'],
    [decisionLine, 'record'],
    ['', 'blank'],
    ['{"client_addr":"127.0.0.1:5000","level":"info","msg":"Sent response.","req_id":1,"resp_status":200,"time":"2024-05-01T10:00:01Z"}', 'skip'],
    ['{"decision-id":"d-2","input":{"runId":"run-8"},"level":"info","msg":"Decision Log","path":"agents/refund/allow","result":{"decision":"escalate","reason_codes":["refund_over_500"]},"timestamp":"2024-05-01T10:00:02Z","type":"openpolicyagent.org/decision_logs"}', 'record'],
    ['{"input":{"x":1},"level":"info","msg":"Decision Log","path":"agents/refund/allow","result":true,"timestamp":"2024-05-01T10:00:03Z","type":"openpolicyagent.org/decision_logs"}', 'quarantine'],
    ['{"decision_id":42,"msg":"Decision Log","path":"p","result":true}', 'quarantine'],
    ['{"decision_id":"d-9","msg":"Decision Log","path":"agents/refund/allow", "result": {', 'quarantine'],
    ['   ', 'blank'],
    [decisionLine, 'record'],
    ['time="2024-05-01T10:00:04Z" level=info msg="Shutting down..."', 'skip'],
  ];
  const text = `${lines.map(([l]) => l).join('\n')}\n`;
  const expected = (kind: string) => lines.filter(([, k]) => k === kind).length;

  it('is recognised although its first lines are server logs', () => {
    expect(opaHandler.sniff(sniffText(text, 'opa.log'))).toEqual({ confidence: expect.any(Number), framing: { kind: 'lines' } });
  });

  it('keeps the decisions, skips every other line with a reason, quarantines broken decisions', () => {
    const emits = runHandler(opaHandler, text, 'opa.log');
    expect(emits).toHaveLength(lines.length - expected('blank'));
    expect(count(emits, 'record')).toBe(expected('record'));
    expect(count(emits, 'skip')).toBe(expected('skip'));
    expect(count(emits, 'quarantine')).toBe(expected('quarantine'));
    for (const e of emits) if (e.type === 'skip') expect(e.reason).toMatch(/^not a decision log line: /);
    const skip2 = emits.find((e) => e.locator.line === 2)!;
    expect(skip2).toMatchObject({ type: 'skip', reason: 'not a decision log line: 2024/05/01 10:00:00 [sidecar] plain text, not JSON' });
    const q = emits.filter((e): e is Extract<Emit, { type: 'quarantine' }> => e.type === 'quarantine');
    expect(q.map((e) => e.locator.line)).toEqual([10, 11, 12]);
    expect(q[0]!.reason).toBe('decision log without decision_id');
    expect(q[1]!.reason).toBe('decision log with an unusable decision_id (got 42)');
    expect(q[2]!.reason).toMatch(/^invalid JSON in a decision log line: /);
    expect(q[2]!.raw).toBe(lines[11]![0]);
  });

  it('maps a console decision: verdict, reasons, ids from the input, policy version from the result', () => {
    const recs = records(runHandler(opaHandler, text, 'opa.log'));
    const [first, second, dup] = recs;
    expect(first!.key).toBe('decision:d-1');
    expect(dup!.key).toBe(first!.key); // duplicates: same key, the store dedups
    expect(first).toMatchObject({ kind: 'decision', runId: 'run-7', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', name: 'agents/refund/allow' });
    expect(first!.tsUs).toBe(Date.UTC(2024, 4, 1, 10, 0, 1) * 1000 + 123_456);
    expect(decision(first!)).toMatchObject({
      origin: 'opa',
      decisionId: 'd-1',
      decision: 'deny',
      reasonCodes: ['amount_over_limit', 'missing_approval'],
      policyId: 'agents/refund/allow',
      policyVersion: 'refund-policy@3',
      requestedBy: '127.0.0.1:5000',
      labels: { id: 'opa-1', version: '1.4.2' },
    });
    expect(first!.text).toContain('amount_over_limit');
    // the "decision-id" spelling
    expect(second!.key).toBe('decision:d-2');
    expect(decision(second!)).toMatchObject({ decision: 'escalate', reasonCodes: ['refund_over_500'], runId: 'run-8', traceId: null });
  });
});

describe('opa: upload arrays and edge cases', () => {
  it('quarantines array elements without decision_id, and elements that are not decisions', () => {
    const body = JSON.stringify([
      { decision_id: 'a', path: 'p/allow', input: {}, result: { allow: true, policy_id: 'refund-policy' }, timestamp: '2024-01-01T00:00:00Z' },
      { path: 'p/allow', input: {}, result: true, timestamp: '2024-01-01T00:00:00Z', requested_by: 'x' },
      { hello: 'world' },
    ]);
    const emits = runHandler(opaHandler, body, 'logs.json');
    expect(emits.map((e) => e.type)).toEqual(['record', 'quarantine', 'quarantine']);
    expect(emits[1]).toMatchObject({ reason: 'decision log without decision_id', locator: { path: '$[1]' } });
    expect(emits[2]).toMatchObject({ locator: { path: '$[2]' } });
    expect(decision((emits[0] as Extract<Emit, { type: 'record' }>).record).policyId).toBe('refund-policy');
  });

  it('takes EOPA top-level trace context over ids in the input', () => {
    const line = JSON.stringify({ decision_id: 'x', msg: 'Decision Log', path: '/foo', type: 'openpolicyagent.org/decision_logs', trace_id: 'aaaabbbbccccddddeeeeffff00001111', span_id: '1234567890abcdef', input: { trace_id: 'ffffffffffffffffffffffffffffffff' } });
    const [rec] = records(runHandler(opaHandler, line));
    expect(rec).toMatchObject({ traceId: 'aaaabbbbccccddddeeeeffff00001111', spanId: '1234567890abcdef' });
  });

  it('picks the bundle revision matching the path when there are several bundles', () => {
    const line = JSON.stringify({ decision_id: 'x', path: 'agents/refund/allow', input: {}, result: true, timestamp: '2024-01-01T00:00:00Z', bundles: { base: { revision: 'b1' }, refund: { revision: 'r9' } } });
    expect(decision(records(runHandler(opaHandler, line))[0]!).policyVersion).toBe('r9');
  });
});

describe.skipIf(!HAVE_CORPUS)('opa: corpus files', () => {
  it('EOPA decision events (JSON Lines): one with result, one without (undefined)', () => {
    const rel = 'opa/eopa_docs_decision_logs.jsonl';
    const text = corpusText(rel);
    const raw = text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
    const emits = runHandler(opaHandler, text, rel);
    const recs = records(emits);
    expect(emits).toHaveLength(raw.length);
    expect(recs).toHaveLength(raw.length);
    expect(recs.map((r) => r.key)).toEqual(raw.map((e) => `decision:${e.decision_id}`));

    const [withResult, withoutResult] = recs.map(decision);
    expect(withResult).toMatchObject({ result: { allow: true }, decision: 'allow', path: 'authz', reqId: 4, requestedBy: '127.0.0.1:61318', ndBuiltinCache: {} });
    expect(withResult!.metrics).toEqual(raw[0].metrics);
    expect(withResult!.labels).toEqual(raw[0].labels);
    expect('result' in raw[1]).toBe(false);
    expect('result' in withoutResult!).toBe(false);
    expect(withoutResult).toMatchObject({ decision: 'unknown', reasonCodes: [], path: 'foo', reqId: 19 });
    expect(withoutResult!.input).toBeUndefined();
    // "2023-05-12T13:36:37.496602+02:00" → 11:36:37.496602 UTC
    expect(recs[0]!.tsUs).toBe(Date.UTC(2023, 4, 12, 11, 36, 37) * 1000 + 496_602);
    expect(recs[1]!.tsUs).toBe(Date.UTC(2023, 4, 24, 10, 13, 14) * 1000 + 506_270);
  });

  it("OPA's documented upload body (a JSON array): result is the STRING \"true\"", () => {
    const rel = 'opa/opa_docs_decision_log_upload_example.json';
    const text = corpusText(rel);
    const raw = JSON.parse(text) as any[];
    const emits = runHandler(opaHandler, text, rel);
    expect(emits).toHaveLength(raw.length);
    const [rec] = records(emits);
    expect(emits[0]!.locator).toEqual({ path: '$[0]' });
    expect(typeof raw[0].result).toBe('string');
    expect(decision(rec!)).toMatchObject({
      decisionId: raw[0].decision_id,
      result: 'true',
      decision: 'allow',
      path: 'http/example/authz/allow',
      policyId: 'http/example/authz/allow',
      policyVersion: raw[0].bundles.authz.revision,
      requestedBy: '[::1]:59943',
      timestamp: '2018-01-01T00:00:00.000000Z',
    });
    expect(decision(rec!).labels).toEqual({ app: 'my-example-app', id: '1780d507-aea2-45cc-ae50-fa153c8e4a5a', version: '{{ current_version }}' });
    expect(rec!.tsUs).toBe(Date.UTC(2018, 0, 1) * 1000);
  });

  it('sniffs its files by content and claims no other corpus file', () => {
    for (const rel of corpusFiles()) {
      const s = opaHandler.sniff(sniffText(readFileSync(corpusPath(rel), 'utf8'), 'unnamed'));
      if (rel.startsWith('opa/')) expect(s, rel).not.toBeNull();
      else expect(s, rel).toBeNull();
    }
  });
});

/**
 * The parallel import path must give exactly what the sequential one gives: line blocks cut by splitLines and
 * parsed by blockItems number and parse lines as frameLines does (whatever the chunking of the byte stream).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { blockItems, frameDocument, frameLines, MAX_LINE_BYTES, splitLines, type FrameItem, type LineOptions } from '../../electron/core/import/framing';
import { otlpTracesHandler } from '../../electron/core/import/formats/otlp-traces';

async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, Math.min(buf.length, i + size));
}

async function sequential(buf: Buffer, size: number, opts: LineOptions = {}): Promise<FrameItem[]> {
  const out: FrameItem[] = [];
  for await (const it of frameLines(chunked(buf, size), opts)) out.push(it);
  return out;
}

async function parallel(buf: Buffer, size: number, blockBytes: number, opts: LineOptions = {}): Promise<{ items: FrameItem[]; lines: number }> {
  const items: FrameItem[] = [];
  let lines = 0;
  let expectFirst = 1;
  for await (const b of splitLines(chunked(buf, size), blockBytes, opts)) {
    if ('stream' in b) {
      expect(b.line).toBe(expectFirst);
      expectFirst++;
      lines++;
      for await (const it of b.stream) items.push(it);
      continue;
    }
    if (!('error' in b)) {
      expect(b.firstLine).toBe(expectFirst); // blocks are contiguous in line numbers
      expectFirst += b.lines;
      lines += b.lines;
    } else expectFirst++;
    for (const it of blockItems(b)) items.push(it);
  }
  return { items, lines };
}

const SAMPLE = Buffer.concat([
  Buffer.from('\ufeff{"a":1}\r\n'),
  Buffer.from('\n'), // blank line (counted, not emitted)
  Buffer.from('   \t\n'), // whitespace only
  Buffer.from('{"b":"é ü 😀"}\n'),
  Buffer.from('not json at all\n'),
  Buffer.from([0x7b, 0x22, 0x63, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]), // invalid UTF-8
  Buffer.from(`${JSON.stringify({ long: 'x'.repeat(5000) })}\n`),
  ...Array.from({ length: 300 }, (_, i) => Buffer.from(`${JSON.stringify({ i, pad: 'y'.repeat(i % 97) })}\n`)),
  Buffer.from('{"last":"no newline"}'),
]);

describe('splitLines + blockItems = frameLines', () => {
  for (const size of [1, 7, 64, 1000, 65536]) {
    for (const blockBytes of [16, 1024, 512 * 1024]) {
      it(`same items with chunks of ${size} B and blocks of ${blockBytes} B`, async () => {
        const seq = await sequential(SAMPLE, size);
        const par = await parallel(SAMPLE, size, blockBytes);
        expect(par.items).toEqual(seq);
        expect(par.lines).toBe(SAMPLE.toString('latin1').split('\n').length); // every line counted once
      });
    }
  }

  it('ends with a newline: no phantom last line', async () => {
    const buf = Buffer.from('{"a":1}\n{"b":2}\n');
    expect((await parallel(buf, 3, 4)).items).toEqual(await sequential(buf, 3));
    expect((await parallel(buf, 3, 4)).lines).toBe(2);
  });

  it('an overlong line becomes an error naming its line, and the lines around it still parse', async () => {
    const big = Buffer.alloc(MAX_LINE_BYTES + (2 << 20), 0x61); // no newline inside
    const buf = Buffer.concat([Buffer.from('{"a":1}\n'), big, Buffer.from('\n{"b":2}\n')]);
    const seq = await sequential(buf, 1 << 20);
    const par = await parallel(buf, 1 << 20, 512 * 1024);
    expect(par.items).toEqual(seq);
    expect(par.items).toHaveLength(3);
    expect(par.items[1]).toMatchObject({ locator: { line: 2 }, error: expect.stringContaining('longer than') });
    expect(par.items[2]).toMatchObject({ value: { b: 2 }, locator: { line: 3 } });
  });

  describe('an overlong line of a format that can stream it (OTLP) is read as a streamed document', () => {
    const span = (i: number) => ({ traceId: i.toString(16).padStart(32, '0'), spanId: (i + 1).toString(16).padStart(16, '0'), name: `s${i}`, startTimeUnixNano: '1700000000000000000' });
    const request = (from: number, n: number, service: string) =>
      JSON.stringify({
        resourceSpans: [
          { resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ scope: { name: 'a' }, spans: Array.from({ length: n }, (_, k) => span(from + k)) }] },
          { resource: { attributes: [{ key: 'service.name', value: { stringValue: `${service}-2` } }] }, scopeSpans: [{ scope: { name: 'b' }, spans: [span(from + n)] }] },
        ],
      });
    const small = request(0, 2, 'first');
    const long = request(100, 400, 'long'); // ~40 KB: over the 4 KiB limit below
    const buf = Buffer.from(`${small}\n${long}\n{"resourceSpans": [\n${small}`); // line 3 is broken, line 4 has no newline
    const opts: LineOptions = { maxLineBytes: 4096, overlong: (_line, bytes) => frameDocument(bytes, otlpTracesHandler.overlongLine!, null) };

    for (const size of [500, 1000, 4096]) {
      it(`same items either way, with chunks of ${size} B`, async () => {
        const seq = await sequential(buf, size, opts);
        const par = await parallel(buf, size, 2048, opts);
        expect(par.items).toEqual(seq);
        // line 1 whole; line 2 as 401 streamed spans on line 2, each with its path and its resource in context; then lines 3 and 4
        expect(seq[0]).toMatchObject({ locator: { line: 1 }, rawLine: small });
        const streamed = seq.filter((x) => x.locator.line === 2);
        expect(streamed).toHaveLength(401);
        expect(streamed[0]).toMatchObject({ value: { name: 's100' }, path: ['resourceSpans', 0, 'scopeSpans', 0, 'spans', 0], locator: { line: 2, path: '$.resourceSpans[0].scopeSpans[0].spans[0]' } });
        expect(streamed[400]).toMatchObject({ value: { name: 's500' }, path: ['resourceSpans', 1, 'scopeSpans', 0, 'spans', 0] });
        expect((streamed[400] as { context: Record<string, unknown> }).context['resourceSpans.1.resource']).toEqual({ attributes: [{ key: 'service.name', value: { stringValue: 'long-2' } }] });
        expect(seq.slice(402).map((x) => x.locator.line)).toEqual([3, 4]);
        expect(seq[403]).toMatchObject({ rawLine: small });
      });
    }

    it('a broken overlong line is quarantined where it breaks, and the next line still parses', async () => {
      const cut = long.slice(0, 30_000); // ends inside a span
      const b = Buffer.from(`${cut}\n${small}\n`);
      const seq = await sequential(b, 1000, opts);
      const par = await parallel(b, 1000, 2048, opts);
      expect(par.items).toEqual(seq);
      const errors = seq.filter((x) => 'error' in x);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.locator.line).toBe(1);
      expect(seq.filter((x) => !('error' in x) && x.locator.line === 1).length).toBeGreaterThan(100);
      expect(seq.at(-1)).toMatchObject({ locator: { line: 2 }, rawLine: small });
    });

    it('a consumer that stops reading an overlong line early does not desynchronise the lines after it', async () => {
      const out: number[] = [];
      for await (const blk of splitLines(chunked(buf, 1000), 2048, opts)) {
        if ('stream' in blk) {
          for await (const _ of blk.stream) break; // reads one item, then leaves
          out.push(-blk.line);
          continue;
        }
        for (const it of blockItems(blk)) out.push(it.locator.line!);
      }
      expect(out).toEqual([1, -2, 3, 4]);
    });
  });
});

/**
 * The packer, and an unpacker that copies each row the writer would see (forEachPacked reuses its arrays), the
 * data (which the writer gets as UTF-8 bytes and stores as text) decoded back to a string to compare.
 */
async function packing() {
  const { packRecords, forEachPacked } = await import('../../electron/core/store/packed-rows');
  const unpackRecords = (p: Parameters<typeof forEachPacked>[0]) => {
    const out: unknown[] = [];
    forEachPacked(p, (r) => {
      expect(r[9]).toBeInstanceOf(Uint8Array);
      out.push([...r.slice(0, 9), new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(r[9] as Uint8Array), ...r.slice(10, 12), r[12] ? [...r[12]] : null]);
    });
    return out;
  };
  return { packRecords, unpackRecords };
}

describe('packed record rows (parse worker → writer)', () => {
  it('round-trip every field exactly, through structured clone, as the rows of a real block parse to', async () => {
    const { packRecords, unpackRecords } = await packing();
    const { parseLineBlock } = await import('../../electron/core/import/reader');
    const { FACT_COLUMNS } = await import('../../shared/record-facts');
    const { serialize, deserialize } = await import('node:v8');
    const facts = (over: Record<number, string | number>) => FACT_COLUMNS.map((_, i) => over[i] ?? null);
    const rows = [
      ['audit', 'audit:e1', 'run_1', 'a'.repeat(32), 'b'.repeat(16), null, 1_700_000_000_000_000, null, 'write', '{"x":"–ü✓ 𝄞"}', 3, null, facts({ 0: 7, 1: '', 4: 'refund-agent', 19: '{"a":1}' })],
      ['span', 'span:t:s', null, 't', 's', 'p', -5, 2.5, '', '{}', null, '/resourceSpans/0', facts({ 20: '["x"]' })],
      ['log', 'log:1', null, null, null, null, null, null, null, '"\u0000\u{10ffff}"', 0, '$', null],
    ];
    const back = deserialize(serialize(packRecords(rows as never))) as ReturnType<typeof packRecords>;
    expect(unpackRecords(back)).toEqual(rows);

    // a real block: the audit and OPA lines of the sample formats
    const lines = [
      JSON.stringify({ audit_version: 1, event_id: 'evt_1', run_id: 'run_1', seq: 0, ts: '2026-10-12T00:00:00.000Z', type: 'run.start', workflow: 'w', tier: 'auto', input: { message: 'Größe ✓' } }),
      JSON.stringify({ audit_version: 1, event_id: 'evt_2', run_id: 'run_1', seq: 1, ts: '2026-10-12T00:00:01.000Z', type: 'model.call', model: { provider: 'p', name: 'n', version: '1' } }),
    ];
    const buf = Buffer.from(lines.join('\n') + '\n');
    const parsed = parseLineBlock('casefile-audit', { buf, firstLine: 1, lines: 2 });
    expect(parsed.records.length).toBe(2);
    expect(unpackRecords(deserialize(serialize(packRecords(parsed.records))) as never)).toEqual(parsed.records);
  });
});

describe('packed record rows in pieces', () => {
  it('fields of every size, across piece boundaries, come back exactly', async () => {
    const { packRecords, unpackRecords } = await packing();
    const rows = [];
    for (let i = 0; i < 400; i++) {
      const big = 'x'.repeat((i * 997) % 40_000);
      // the string pieces carry the name; the data (bytes of their own) gets multi-byte characters too
      rows.push(['audit', `k${i}`, i % 3 ? '' : null, null, null, null, i, null, big, `${big}–ü✓ 𝄞`.repeat(1 + (i % 3)), i, i % 5 ? null : '', null]);
    }
    const p = packRecords(rows as never);
    expect(p.s.length).toBeGreaterThan(100);
    expect(unpackRecords(p)).toEqual(rows);
  });
});

describe('packing as the rows are mapped (a parse worker’s RowBatch)', () => {
  it('gives exactly the rows, quarantine entries and skips of the unpacked batch, block after block from one packer', async () => {
    const { unpackRecords } = await packing();
    const { parseLineBlock, parseLineBlockPacked } = await import('../../electron/core/import/reader');
    // 3,000 lines (past the packer's first 1,024 rows), some with long inputs (past its 32K-character pieces),
    // a bad line and a schema failure in between
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      if (i === 1500) lines.push('{"audit_version": 1, "event_id": ');
      else if (i === 2100) lines.push(JSON.stringify({ audit_version: 1, event_id: `evt_${i}`, run_id: 'r', ts: 'not a time', type: 'run.start' }));
      else
        lines.push(
          JSON.stringify({
            audit_version: 1,
            event_id: `evt_${i}`,
            run_id: `run_${i % 17}`,
            seq: i,
            ts: `2026-10-12T00:00:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}Z`,
            type: i % 7 === 0 ? 'write' : i % 7 === 1 ? 'model.call' : 'retrieval',
            ...(i % 7 === 0 ? { write: { system: 'billing', record: `inv_${i}`, field: 'amount', before: i, after: i * 100 } } : {}),
            ...(i % 7 === 1 ? { model: { provider: 'p', name: 'n', version: `v${i % 3}` } } : {}),
            input: i % 250 === 0 ? 'ü'.repeat(40_000) : `question ${i} – Größe ✓ 𝄞`,
          }),
        );
    }
    const buf = Buffer.from(lines.join('\n') + '\n');
    const plain = parseLineBlock('casefile-audit', { buf, firstLine: 10, lines: lines.length });
    const packed = parseLineBlockPacked('casefile-audit', { buf, firstLine: 10, lines: lines.length });
    expect(plain.records.length).toBe(2998);
    expect(packed.records).toEqual([]);
    expect(packed.packed!.count).toBe(2998);
    expect(unpackRecords(packed.packed!)).toEqual(plain.records);
    expect(packed.quarantine).toEqual(plain.quarantine);
    expect(packed.quarantine.map((q) => q[0])).toEqual([1510, 2110]);
    expect(packed.skips).toEqual(plain.skips);
    // a second block through the same worker function: nothing carried over from the first
    const again = parseLineBlockPacked('casefile-audit', { buf: Buffer.from(lines.slice(0, 3).join('\n') + '\n'), firstLine: 1, lines: 3 });
    expect(unpackRecords(again.packed!)).toEqual(plain.records.slice(0, 3).map((r) => [...r.slice(0, 10), r[10]! - 9, ...r.slice(11)]));
  });

  it('copies each line\'s bytes as the data exactly where the text was decoded without a BOM or CR', async () => {
    const { unpackRecords } = await packing();
    const { parseLineBlock, parseLineBlockPacked } = await import('../../electron/core/import/reader');
    const ev = (i: number, input: string) => JSON.stringify({ audit_version: 1, event_id: `evt_${i}`, run_id: 'run_b', seq: i, ts: '2026-10-12T00:00:00.000Z', type: 'retrieval', input });
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const buf = Buffer.concat([
      bom, bom, Buffer.from(ev(1, 'two BOMs on line 1') + '\n'),
      bom, Buffer.from(ev(2, 'a BOM on line 2') + '\r\n'),
      Buffer.from(ev(3, 'Größe ✓ 𝄞') + '\r\n'),
      Buffer.from(ev(4, 'last, no newline')),
    ]);
    const plain = parseLineBlock('casefile-audit', { buf, firstLine: 1, lines: 4 });
    const packed = parseLineBlockPacked('casefile-audit', { buf, firstLine: 1, lines: 4 });
    expect(plain.quarantine).toEqual([]);
    expect(plain.records.map((r) => JSON.parse(r[9] as string).event.input)).toEqual(['two BOMs on line 1', 'a BOM on line 2', 'Größe ✓ 𝄞', 'last, no newline']);
    expect(unpackRecords(packed.packed!)).toEqual(plain.records);
  });

  it('one packer reused: finish() starts it over empty', async () => {
    const { RecordPacker } = await import('../../electron/core/store/packed-rows');
    const { unpackRecords } = await packing();
    const p = new RecordPacker();
    const a = ['audit', 'k1', null, null, null, null, 1, null, 'n', 'x'.repeat(50_000), 1, null, null];
    const b = ['span', 'k2', 'r', 't', 's', null, 2, 3, 'm', '{}', 2, '$', null];
    p.add(a as never);
    const first = p.finish();
    p.add(b as never);
    const second = p.finish();
    expect(unpackRecords(first)).toEqual([a]);
    expect(unpackRecords(second)).toEqual([b]);
    expect(p.finish()).toMatchObject({ count: 0, s: [] });
  });

  it('fills the data buffers the writer gives back instead of new memory, and never one that is too small', async () => {
    const { RecordPacker, reuseDataBuffer, packedTransfer } = await import('../../electron/core/store/packed-rows');
    const { unpackRecords } = await packing();
    const p = new RecordPacker();
    const row = (i: number, data: string) => ['audit', `k${i}`, null, null, null, null, i, null, 'n', data, i, null, null];
    p.add(row(1, '{"a":1}') as never);
    const first = p.finish();
    expect(packedTransfer(first)).toContain(first.d.buffer);
    // the writer stored the block and gives its buffer back (as the parse worker receives it)
    const back = first.d.buffer as ArrayBuffer;
    reuseDataBuffer(back);
    p.add(row(2, '{"b":"Größe ✓"}') as never);
    const second = p.finish();
    expect(second.d.buffer).toBe(back);
    expect(unpackRecords(second)).toEqual([row(2, '{"b":"Größe ✓"}')]);
    // a buffer smaller than the first size is not kept; one too small for the first row is passed over
    reuseDataBuffer(new ArrayBuffer(16));
    reuseDataBuffer(second.d.buffer as ArrayBuffer);
    const big = `{"x":"${'y'.repeat(back.byteLength)}"}`;
    p.add(row(3, big) as never);
    const third = p.finish();
    expect(third.d.buffer).not.toBe(back);
    expect(third.d.byteLength).toBe(big.length);
    expect(unpackRecords(third)).toEqual([row(3, big)]);
    // an empty block's data buffer is one of its own (transferring it detaches nothing the packer keeps)
    const empty = p.finish();
    expect(empty.d.byteLength).toBe(0);
    structuredClone(empty, { transfer: packedTransfer(empty) });
    expect(p.finish().d.byteLength).toBe(0);
  });
});

describe('mapped records', () => {
  it('every format’s records share one hidden-class shape and compute their search text on read', async () => {
    const { HANDLERS } = await import('../../electron/core/import/registry');
    const { LazyTextRecord } = await import('../../shared/model');
    const audit = HANDLERS.find((h) => h.format === 'casefile-audit')!;
    const line = JSON.stringify({ audit_version: 1, event_id: 'evt_1', run_id: 'run_1', ts: '2026-10-12T00:00:00Z', type: 'tool.call', tool: { name: 'refund.create', arguments: { amount: 5 } } });
    const [em] = audit.map({ value: JSON.parse(line), rawLine: line, locator: { line: 1 } });
    expect(em!.type).toBe('record');
    const r = (em as Extract<typeof em, { type: 'record' }>).record;
    expect(r).toBeInstanceOf(LazyTextRecord);
    expect(r.text).toContain('tool: refund.create');
    expect(Object.keys(r)).toEqual(['kind', 'key', 'runId', 'traceId', 'spanId', 'parentSpanId', 'tsUs', 'endUs', 'name', 'data']);
  });
});

describe('thread figures and priority (Linux /proc)', () => {
  const linux = process.platform === 'linux';
  it.skipIf(!linux)('a thread lowered to nice 10 is at 10, and only that thread; CPU time is read per thread', async () => {
    const { Worker } = await import('node:worker_threads');
    const { lowerThreadPriority, osThreadId, threadCpuMs } = await import('../../electron/core/workers/thread-cpu');
    const niceOf = (tid: number) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); // field 19 (1-based): nice
    };
    const w = new Worker(
      `const { parentPort } = require('node:worker_threads'); const { readlinkSync } = require('node:fs');
       parentPort.postMessage(Number(readlinkSync('/proc/thread-self').split('/').pop()));
       // spin until this thread has used 150 ms of CPU (at nice 10 on a busy machine that can take longer than
       // 150 ms of wall time; 10 s at most)
       const cpu = () => { const f = require('node:fs').readFileSync('/proc/thread-self/stat', 'utf8'); const r = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(r[11]) + Number(r[12])) * 10; };
       let x = 0; const until = Date.now() + 10000; while (cpu() < 150 && Date.now() < until) for (let i = 0; i < 1e5; i++) x++; parentPort.postMessage(x);`,
      { eval: true },
    );
    const tid = await new Promise<number>((res) => w.once('message', res));
    const me = osThreadId()!;
    expect(tid).not.toBe(me);
    const before = niceOf(me);
    expect(before).toBeLessThan(10); // the test runs at a normal priority
    expect(lowerThreadPriority(tid, 10)).toBe(true);
    expect(niceOf(tid)).toBe(10);
    expect(niceOf(me)).toBe(before);
    expect(lowerThreadPriority(tid, 0)).toBe(false);
    expect(lowerThreadPriority(null, 10)).toBe(false);
    await new Promise((res) => w.once('message', res));
    expect(threadCpuMs(tid)).toBeGreaterThanOrEqual(100);
    await w.terminate();
  });
});

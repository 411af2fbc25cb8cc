/**
 * The parallel import path must give exactly what the sequential one gives: line blocks cut by splitLines and
 * parsed by blockItems number and parse lines as frameLines does (whatever the chunking of the byte stream).
 */
import { describe, expect, it } from 'vitest';
import { blockItems, frameLines, MAX_LINE_BYTES, splitLines, type FrameItem } from '../../electron/core/import/framing';

async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, Math.min(buf.length, i + size));
}

async function sequential(buf: Buffer, size: number): Promise<FrameItem[]> {
  const out: FrameItem[] = [];
  for await (const it of frameLines(chunked(buf, size))) out.push(it);
  return out;
}

async function parallel(buf: Buffer, size: number, blockBytes: number): Promise<{ items: FrameItem[]; lines: number }> {
  const items: FrameItem[] = [];
  let lines = 0;
  let expectFirst = 1;
  for await (const b of splitLines(chunked(buf, size), blockBytes)) {
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
});

/** The packer, and an unpacker that copies each row the writer would see (forEachPacked reuses its arrays). */
async function packing() {
  const { packRecords, forEachPacked } = await import('../../electron/core/store/packed-rows');
  const unpackRecords = (p: Parameters<typeof forEachPacked>[0]) => {
    const out: unknown[] = [];
    forEachPacked(p, (r) => out.push([...r.slice(0, 12), r[12] ? [...r[12]] : null]));
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
      rows.push(['audit', `k${i}`, i % 3 ? '' : null, null, null, null, i, null, 'n', big, i, i % 5 ? null : '', null]);
    }
    const p = packRecords(rows as never);
    expect(p.s.length).toBeGreaterThan(100);
    expect(unpackRecords(p)).toEqual(rows);
  });
});

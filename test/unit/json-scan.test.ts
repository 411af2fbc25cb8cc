/**
 * The streaming document framer (electron/core/import/json-scan.ts) against the reference: the same document
 * parsed whole and walked (walkDocument). Every JSON file of the shared corpus, under the framings the
 * handlers use, cut into chunks of several sizes; then generated documents with escapes, nesting and
 * unicode; then broken ones.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanDocument } from '../../electron/core/import/json-scan';
import { walkDocument, type FrameItem } from '../../electron/core/import/framing';
import type { Framing, JsonPath } from '../../electron/core/import/formats/types';
import { otlpStreamFraming, OTLP_TRACES_SIGNAL } from '../../electron/core/import/formats/otlp-traces';
import { OTLP_LOGS_SIGNAL } from '../../electron/core/import/formats/otlp-logs';
import { CORPUS_DIR, HAVE_CORPUS } from '../corpus';

type Doc = Extract<Framing, { kind: 'document' }>;

async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, Math.min(buf.length, i + size));
}

async function scan(buf: Buffer, framing: Doc, size: number): Promise<FrameItem[]> {
  const out: FrameItem[] = [];
  for await (const it of scanDocument(chunked(buf, size), framing)) out.push(it);
  return out;
}

function reference(text: string, framing: Doc): FrameItem[] {
  return [...walkDocument(JSON.parse(text), framing)] as FrameItem[];
}

const FRAMINGS: Record<string, Doc> = {
  'whole document': { kind: 'document', units: [[]] },
  'array elements': { kind: 'document', units: [['*']] },
  'jaeger data[*]': { kind: 'document', units: [['data', '*']] },
  'otlp items with resource and scope context': otlpStreamFraming(OTLP_TRACES_SIGNAL, OTLP_LOGS_SIGNAL),
  'every second-level value, first-level keys as context': { kind: 'document', units: [['*', '*']], context: [['*', 'resource']] },
};

function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...jsonFiles(p));
    else if (/\.json$/.test(e)) out.push(p);
  }
  return out.sort();
}

describe.skipIf(!HAVE_CORPUS)('scanDocument = walkDocument on every JSON file of the corpus', () => {
  const files = HAVE_CORPUS ? jsonFiles(CORPUS_DIR).filter((f) => statSync(f).size < 8 * 1024 * 1024) : [];
  it('finds the corpus files', () => expect(files.length).toBeGreaterThan(30));
  for (const f of files) {
    it(relative(CORPUS_DIR, f), async () => {
      const buf = readFileSync(f);
      const text = buf.toString('utf8').replace(/^\uFEFF/, '');
      let parsed = true;
      try {
        JSON.parse(text);
      } catch {
        parsed = false;
      }
      for (const [name, framing] of Object.entries(FRAMINGS)) {
        for (const size of [7, 4096, 1 << 20]) {
          const got = await scan(buf, framing, size);
          if (parsed) expect(got, `${name}, chunks of ${size}`).toEqual(reference(text, framing));
          else expect(got.some((x) => 'error' in x), `${name}: not JSON, so an error`).toBe(true);
        }
      }
    });
  }
});

describe('scanDocument on generated documents', () => {
  const nasty = {
    'k"ey\\': 'va\\"lue \\\\ "quoted" \u00e9\u{1F600} \n\t end\\',
    'esc\\u': '\u0000\u001f \\u0041 }{][,:',
    n: [-1.5e-3, 0, 12345678901234, true, false, null, '', [], {}],
  };
  const doc = {
    resourceSpans: [
      { resource: { attributes: [{ key: 'a', value: { stringValue: '}]"[{' } }] }, scopeSpans: [{ scope: { name: 'x' }, spans: [nasty, { deep: [[[{ a: [1, { b: '\\' }] }]]] }, 7, 'str', null] }] },
      { ignored: { big: 'x'.repeat(5000), nested: [{ a: '"]}' }] }, scopeSpans: [] },
      { resource: null, scopeSpans: [{ spans: [{ only: 1 }] }] },
    ],
    trailer: { k: [1, 2, 3] },
  };
  for (const [label, text] of [
    ['compact', JSON.stringify(doc)],
    ['pretty', JSON.stringify(doc, null, 2)],
    ['with BOM and CRLF', `\uFEFF${JSON.stringify(doc, null, 1).replace(/\n/g, '\r\n')}\r\n`],
  ] as const) {
    for (const [name, framing] of Object.entries(FRAMINGS)) {
      it(`${label}, ${name}: the same units, whatever the chunking`, async () => {
        const buf = Buffer.from(text);
        const want = reference(text.replace(/^\uFEFF/, ''), framing);
        for (const size of [1, 2, 3, 5, 16, 100, 1 << 16]) expect(await scan(buf, framing, size), `chunks of ${size}`).toEqual(want);
      });
    }
  }

  const framing = FRAMINGS['otlp items with resource and scope context']!;
  const text = JSON.stringify(doc);
  const units = reference(text, framing);

  it('a truncated document gives the units that were whole, then one error', async () => {
    for (const cut of [10, 200, Math.floor(text.length / 2), text.length - 3]) {
      const got = await scan(Buffer.from(text.slice(0, cut)), framing, 64);
      const errors = got.filter((x) => 'error' in x);
      expect(errors, `cut at ${cut}`).toHaveLength(1);
      expect(got.at(-1)).toBe(errors[0]);
      const whole = got.slice(0, -1);
      expect(whole).toEqual(units.slice(0, whole.length));
    }
  });

  it('garbage between values is an error at its place; the units before it are kept', async () => {
    const bad = text.replace('{"only":1}', '{"only":1} oops');
    const got = await scan(Buffer.from(bad), framing, 50);
    expect(got.at(-1)).toMatchObject({ error: expect.stringContaining("expected ','"), locator: { path: expect.stringContaining('spans') } });
    expect(got.slice(0, -1)).toEqual(units);
  });

  it('a unit whose own bytes are not JSON is reported by itself; its neighbours are kept', async () => {
    const bad = text.replace('{"only":1}', '{"only":1,}');
    const got = await scan(Buffer.from(bad), framing, 50);
    const errors = got.filter((x) => 'error' in x);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ error: expect.stringContaining('invalid JSON at $.resourceSpans[2].scopeSpans[0].spans[0]'), raw: '{"only":1,}' });
    expect(got.filter((x) => !('error' in x))).toEqual(units.filter((u) => (u as { path: JsonPath }).path.join('.') !== 'resourceSpans.2.scopeSpans.0.spans.0'));
  });

  it('data after the document is an error; an empty input gives nothing', async () => {
    expect((await scan(Buffer.from(`${text} {}`), framing, 64)).at(-1)).toMatchObject({ error: expect.stringContaining('after the end of the document') });
    expect(await scan(Buffer.from('  \n'), framing, 64)).toEqual([]);
  });
});

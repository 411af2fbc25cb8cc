/**
 * Streaming framing of one JSON document: a byte-level scanner that follows the document's structure, cuts
 * out the bytes of each value at a unit or context path and hands them to JSON.parse — instead of building a
 * token object per string, number and bracket (stream-json did that: ~3 MB/s on OTLP spans; this scanner
 * ~10× that). Values off the unit paths are skipped by matching brackets and strings only.
 *
 * What it yields is what walkDocument (framing.ts) yields for the same document parsed whole — the units in
 * document order, each with the context values seen before it — and for a broken document the units that were
 * whole before the break, then one error naming the place. A unit whose own bytes are not valid JSON is
 * reported by itself (its neighbours are kept).
 */
import type { Framing, JsonPath } from './formats/types';
import { pathToString } from './formats/types';
import type { FrameItem } from './framing';

type DocFraming = Extract<Framing, { kind: 'document' }>;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const BOM = [0xef, 0xbb, 0xbf];

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Does a pattern list match this concrete path exactly ('*' matches any key or index)? */
export function matches(pats: JsonPath[] | undefined, p: JsonPath): boolean {
  if (!pats) return false;
  outer: for (const pat of pats) {
    if (pat.length !== p.length) continue;
    for (let i = 0; i < pat.length; i++) if (pat[i] !== '*' && pat[i] !== p[i]) continue outer;
    return true;
  }
  return false;
}

/** Could a pattern match a path below p? */
export function mayContain(pats: JsonPath[], p: JsonPath): boolean {
  outer: for (const pat of pats) {
    if (pat.length <= p.length) continue;
    for (let i = 0; i < p.length; i++) if (pat[i] !== '*' && pat[i] !== p[i]) continue outer;
    return true;
  }
  return false;
}

/**
 * Context values belong to the container they were found in: when it closes they are dropped, so a unit
 * carries its ancestors' context only (and copying it per unit stays cheap: a 400,000-span export with 200
 * resources had 400 entries copied per span).
 */
export function dropContextUnder(context: Record<string, unknown>, container: JsonPath): void {
  const prefix = `${container.join('.')}.`;
  for (const k of Object.keys(context)) if (k.startsWith(prefix)) delete context[k];
}

/** A container the scanner is inside of (on the way to units), and what it expects next. */
interface Level {
  arr: boolean;
  index: number;
  key: string | null;
  /** object: 'key|end' | 'key' | 'colon' | 'value' | 'next'; array: 'value|end' | 'value' | 'next' */
  expect: 'key|end' | 'key' | 'colon' | 'value' | 'value|end' | 'next';
}

export async function* scanDocument(chunks: AsyncIterable<Buffer>, framing: DocFraming): AsyncGenerator<FrameItem> {
  const all = [...framing.units, ...(framing.context ?? [])];
  const context: Record<string, unknown> = {};
  const levels: Level[] = [];
  /** path of the innermost level's container */
  const path: JsonPath = [];
  /** top level: 'value' before the document, 'done' after it */
  let top: 'value' | 'done' = 'value';
  let bytes = 0;
  let bomSeen = 0;

  // a value being cut out (keep = unit or context) or skipped
  let inValue = false;
  let keep: 'unit' | 'context' | null = null;
  let valuePath: JsonPath = [];
  let depth = 0; // brackets open inside the value
  let inString = false;
  let escaped = false; // the previous byte inside a string was an unescaped backslash
  let primitive = false; // a number or literal: ends before the next delimiter
  const parts: Buffer[] = [];
  let partStart = 0;

  // an object key being read
  let inKey = false;
  const keyParts: Buffer[] = [];
  let keyStart = 0;

  const out: FrameItem[] = [];
  let error: string | null = null;
  const where = () => pathToString(inValue ? valuePath : path);

  /** The selector of the next value in the innermost level ('' at the top). */
  const nextPath = (): JsonPath => {
    const l = levels[levels.length - 1];
    if (!l) return [];
    return [...path, l.arr ? l.index : (l.key as string)];
  };
  /** After a value of the innermost level (or the document) ended. */
  const afterValue = () => {
    const l = levels[levels.length - 1];
    if (!l) {
      top = 'done';
      return;
    }
    if (l.arr) l.index++;
    l.expect = 'next';
  };
  const finishValue = (buf: Buffer) => {
    inValue = false;
    if (keep) {
      const text = buf.toString('utf8');
      let v: unknown;
      let bad: string | null = null;
      try {
        v = JSON.parse(text);
      } catch (e) {
        bad = (e as Error).message;
      }
      if (bad !== null) out.push({ error: `invalid JSON at ${pathToString(valuePath)}: ${bad}`, locator: { path: pathToString(valuePath) }, raw: text.slice(0, 65536) });
      else if (keep === 'unit') out.push({ value: v, path: valuePath, locator: { path: pathToString(valuePath) }, context: { ...context } });
      else context[valuePath.join('.')] = v;
    }
    keep = null;
    parts.length = 0;
    afterValue();
  };

  /** A value starts at byte i of chunk c (its first byte is c[i]); returns the index to continue from. */
  const startValue = (c: Buffer, i: number): number => {
    const b = c[i]!;
    const p = nextPath();
    const isContainer = b === LBRACE || b === LBRACKET;
    const unit = matches(framing.units, p);
    const ctx = !unit && matches(framing.context, p);
    if (!unit && !ctx && isContainer && mayContain(all, p)) {
      // a container on the way to units: follow its structure
      if (levels.length > 0) path.push(p[p.length - 1]!);
      levels.push({ arr: b === LBRACKET, index: 0, key: null, expect: b === LBRACKET ? 'value|end' : 'key|end' });
      return i + 1;
    }
    if (!isContainer && b !== QUOTE && !(b === 0x2d || (b >= 0x30 && b <= 0x39) || b === 0x74 || b === 0x66 || b === 0x6e)) {
      error = `invalid JSON after ${bytes - c.length + i} bytes: unexpected ${JSON.stringify(String.fromCharCode(b))} where a value should start`;
      return c.length;
    }
    inValue = true;
    keep = unit ? 'unit' : ctx ? 'context' : null;
    valuePath = p;
    depth = isContainer ? 1 : 0;
    inString = b === QUOTE;
    escaped = false;
    primitive = !isContainer && b !== QUOTE;
    parts.length = 0;
    partStart = i;
    return i + 1;
  };

  /** Scans the bytes of the value being cut out or skipped, from i; returns where it ended (exclusive) or -1. */
  const scanValue = (c: Buffer, i: number): number => {
    const n = c.length;
    // the next quote and backslash at or after i (-1: none in this chunk), found by indexOf and kept until passed
    let q = -2;
    let s = -2;
    while (i < n) {
      if (inString) {
        if (escaped) {
          escaped = false;
          i++;
          continue;
        }
        // jump to the next quote or backslash
        if (q !== -1 && q < i) q = c.indexOf(QUOTE, i);
        if (s !== -1 && s < i) s = c.indexOf(BACKSLASH, i);
        if (s !== -1 && (q === -1 || s < q)) {
          escaped = true;
          i = s + 1;
          continue;
        }
        if (q === -1) return -1;
        inString = false;
        i = q + 1;
        if (depth === 0) return i; // a string value
        continue;
      }
      const b = c[i]!;
      if (primitive) {
        if (b === COMMA || b === RBRACE || b === RBRACKET || isSpace(b)) return i;
        i++;
        continue;
      }
      if (b === QUOTE) inString = true;
      else if (b === LBRACE || b === LBRACKET) depth++;
      else if (b === RBRACE || b === RBRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  };

  const step = (c: Buffer): void => {
    let i = 0;
    // a byte order mark, however the first chunks are cut
    const at = bytes - c.length;
    while (at + i < 3 && i < c.length && c[i] === BOM[at + i] && bomSeen === at + i) {
      bomSeen++;
      i++;
    }
    const n = c.length;
    while (i < n && error === null) {
      if (inValue) {
        const end = scanValue(c, i);
        if (end === -1) break; // continues in the next chunk
        const buf = keep ? (parts.length ? Buffer.concat([...parts, c.subarray(partStart, end)]) : c.subarray(partStart, end)) : c;
        finishValue(buf);
        i = end;
        continue;
      }
      if (inKey) {
        // a key: up to its closing quote (a backslash escapes the next byte); keys are short
        let j = i;
        for (; j < n; j++) {
          if (escaped) escaped = false;
          else if (c[j] === BACKSLASH) escaped = true;
          else if (c[j] === QUOTE) break;
        }
        if (j >= n) break; // continues in the next chunk
        keyParts.push(c.subarray(keyStart, j));
        const raw = Buffer.concat(keyParts).toString('utf8');
        keyParts.length = 0;
        inKey = false;
        let key: string;
        try {
          key = JSON.parse(`"${raw}"`) as string;
        } catch {
          error = `invalid JSON after ${bytes - n + j} bytes: bad key ${JSON.stringify(raw.slice(0, 80))}`;
          return;
        }
        const l = levels[levels.length - 1]!;
        l.key = key;
        l.expect = 'colon';
        i = j + 1;
        continue;
      }
      const b = c[i]!;
      if (isSpace(b)) {
        i++;
        continue;
      }
      const l = levels[levels.length - 1];
      if (!l) {
        if (top === 'done') {
          error = `invalid JSON after ${bytes - n + i} bytes: data after the end of the document`;
          return;
        }
        i = startValue(c, i);
        continue;
      }
      switch (l.expect) {
        case 'key|end':
        case 'key':
          if (b === QUOTE) {
            inKey = true;
            escaped = false;
            keyStart = i + 1;
            i++;
          } else if (b === RBRACE && l.expect === 'key|end') i = close(i);
          else error = `invalid JSON after ${bytes - n + i} bytes: expected a key in ${where()}`;
          break;
        case 'colon':
          if (b === COLON) {
            l.expect = 'value';
            i++;
          } else error = `invalid JSON after ${bytes - n + i} bytes: expected ':' after key ${JSON.stringify(l.key)} in ${where()}`;
          break;
        case 'value|end':
          if (b === RBRACKET) i = close(i);
          else i = startValue(c, i);
          break;
        case 'value':
          i = startValue(c, i);
          break;
        case 'next':
          if (b === COMMA) {
            l.expect = l.arr ? 'value' : 'key';
            i++;
          } else if ((b === RBRACE && !l.arr) || (b === RBRACKET && l.arr)) i = close(i);
          else error = `invalid JSON after ${bytes - n + i} bytes: expected ',' or '${l.arr ? ']' : '}'}' in ${where()}`;
          break;
      }
    }
    // a value or key that goes on in the next chunk: keep its bytes from this one
    if (inValue) {
      if (keep) parts.push(c.subarray(partStart));
      partStart = 0;
    }
    if (inKey) {
      keyParts.push(c.subarray(keyStart));
      keyStart = 0;
    }
  };
  /** The innermost followed container closes at byte i. */
  const close = (i: number): number => {
    dropContextUnder(context, path);
    levels.pop();
    if (levels.length > 0) path.pop();
    afterValue();
    return i + 1;
  };

  for await (const c of chunks) {
    bytes += c.length;
    step(c);
    for (const item of out) yield item;
    out.length = 0;
    if (error !== null) break;
  }
  if (error === null && inValue && primitive) {
    // a number or literal at the very end of the input
    finishValue(Buffer.concat(parts));
  }
  for (const item of out) yield item;
  if (error !== null) yield { error, locator: { path: where() } };
  else if (inValue || inKey || levels.length > 0) yield { error: `truncated document: ended inside ${where()}`, locator: { path: where() } };
}

import type { Emit } from '../../shared/model';
import type { Framing, FormatHandler, JsonPath, Unit } from '../../electron/core/import/formats/types';
import { pathToString } from '../../electron/core/import/formats/types';

/**
 * Reference (non-streaming) framing for tests: cuts a whole text into units exactly as the streaming
 * pipeline does, so handlers can be unit-tested on small files without I/O.
 */
export function frameText(text: string, framing: Framing): Unit[] {
  if (framing.kind === 'lines') {
    const out: Unit[] = [];
    const lines = text.split('\n');
    lines.forEach((raw, i) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        value = undefined;
      }
      out.push({ value, rawLine: line, locator: { line: i + 1 } });
    });
    return out;
  }
  const doc = JSON.parse(text);
  const units: Unit[] = [];
  const context: Record<string, unknown> = {};
  const match = (pats: JsonPath[] | undefined, p: JsonPath) =>
    (pats ?? []).some((pat) => pat.length === p.length && pat.every((s, i) => s === '*' || s === p[i]));
  const walk = (v: unknown, p: JsonPath) => {
    if (match(framing.context, p)) {
      context[p.join('.')] = v;
      return;
    }
    if (match(framing.units, p)) {
      units.push({ value: v, path: p, locator: { path: pathToString(p) }, context: { ...context } });
      return;
    }
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(doc, []);
  return units;
}

/** Build a Sniff from a whole text, the way the pipeline builds it from the first 64 KiB. */
export function sniffText(text: string, path = 'test.json') {
  const head = text.slice(0, 64 * 1024);
  const complete = head.length === text.length;
  const lines: unknown[] = [];
  for (const l of head.split('\n').slice(0, 5)) {
    if (!l.trim()) continue;
    try { lines.push(JSON.parse(l)); } catch { lines.push(undefined); }
  }
  let doc: unknown;
  if (complete) { try { doc = JSON.parse(text); } catch { /* not one document */ } }
  const topKeys = doc && typeof doc === 'object' && !Array.isArray(doc) ? Object.keys(doc) : [];
  const firstElement = Array.isArray(doc) ? doc[0] : undefined;
  return { path, head, complete, lines, doc, topKeys, firstElement };
}

/** Sniff, frame and map a whole text with one handler. Throws if the handler does not recognise it. */
export function runHandler(h: FormatHandler, text: string, path = 'test.json'): Emit[] {
  const s = h.sniff(sniffText(text, path));
  if (!s) throw new Error(`${h.format} did not recognise ${path}`);
  return frameText(text, s.framing).flatMap((u) => h.map(u));
}

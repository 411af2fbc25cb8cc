import type { Sniff } from './formats/types';

export const SNIFF_BYTES = 64 * 1024;

/** Build what sniffers see from the first bytes of a file. */
export function buildSniff(path: string, head: Buffer, complete: boolean): Sniff {
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (!complete) {
    // drop a possibly cut final character
    text = text.replace(/\uFFFD$/, '');
  }
  const lines: unknown[] = [];
  const rawLines = text.split('\n');
  const usable = complete ? rawLines : rawLines.slice(0, -1); // the last line may be cut
  for (const l of usable) {
    if (lines.length >= 8) break;
    if (!l.trim()) continue;
    try {
      lines.push(JSON.parse(l));
    } catch {
      lines.push(undefined);
    }
  }
  let doc: unknown;
  if (complete) {
    try {
      doc = JSON.parse(text);
    } catch {
      doc = undefined;
    }
  }
  const { topKeys, firstElement } = scanHead(text);
  return { path, head: text, complete, lines, doc, topKeys, firstElement };
}

/**
 * Scan the head of a JSON document without parsing it whole: the keys of a top-level object
 * (in order) and, for a top-level array, its first element when the head contains it.
 */
export function scanHead(text: string): { topKeys: string[]; firstElement?: unknown } {
  const topKeys: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n && /\s/.test(text[i]!)) i++;
  const rootChar = text[i];
  if (rootChar !== '{' && rootChar !== '[') return { topKeys };
  let depth = 0;
  let firstStart = -1;
  let lastString: string | null = null;
  for (; i < n; i++) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      i++;
      while (i < n && text[i] !== '"') {
        if (text[i] === '\\') i++;
        i++;
      }
      if (i >= n) break;
      if (depth === 1 && rootChar === '{') {
        try {
          lastString = JSON.parse(text.slice(start, i + 1)) as string;
        } catch {
          lastString = null;
        }
      }
      if (depth === 1 && rootChar === '[' && firstStart === -1) firstStart = start;
      continue;
    }
    if (c === ':' && depth === 1 && rootChar === '{' && lastString !== null) {
      topKeys.push(lastString);
      lastString = null;
      continue;
    }
    if (c === '{' || c === '[') {
      depth++;
      if (depth === 2 && rootChar === '[' && firstStart === -1) firstStart = i;
      continue;
    }
    if (c === '}' || c === ']') {
      depth--;
      if (depth === 1 && rootChar === '[' && firstStart !== -1) {
        try {
          return { topKeys, firstElement: JSON.parse(text.slice(firstStart, i + 1)) };
        } catch {
          return { topKeys };
        }
      }
      if (depth === 0) break;
      continue;
    }
    if (c === ',' && depth === 1) lastString = null;
    if (depth === 1 && rootChar === '[' && firstStart === -1 && !/[\s,]/.test(c)) {
      // a primitive first element
      const m = /^(-?\d[\d.eE+-]*|true|false|null)/.exec(text.slice(i));
      if (m) return { topKeys, firstElement: JSON.parse(m[1]!) };
    }
  }
  return { topKeys };
}

import type { Emit, FormatName, Locator } from '../../../../shared/model';

/**
 * A path inside a JSON document. Segments are object keys or array indexes.
 * In a pattern, '*' matches any single key or index.
 */
export type JsonPath = Array<string | number>;

/** How the bytes of a file are cut into units for a format's mapper. */
export type Framing =
  /** One unit per non-empty line. The line's parsed JSON is the unit value; lines that are not JSON reach the mapper as `{ rawLine, value: undefined }`. */
  | { kind: 'lines' }
  /**
   * One JSON document, streamed. Each value whose path matches one of `units` is assembled and handed
   * to the mapper by itself (so a 2 GB document never sits in memory). Values matching `context` are
   * assembled and kept (by concrete path, joined with '.') and passed along with every later unit.
   * An empty pattern `[]` means "the whole document is one unit".
   */
  | { kind: 'document'; units: JsonPath[]; context?: JsonPath[] };

/** What a sniffer sees: the first bytes of a file, decoded, and what could be parsed from them. */
export interface Sniff {
  /** Source path (for messages only — detection is by content, never by name). */
  path: string;
  /** Up to the first 64 KiB, UTF-8 decoded (may end mid-character or mid-line). */
  head: string;
  /** True when `head` is the whole file. */
  complete: boolean;
  /** The first few complete lines parsed as JSON (undefined for a line that is not JSON). */
  lines: unknown[];
  /** The whole file parsed as one JSON value, when `complete` and it parses. */
  doc?: unknown;
  /** For a JSON object document: its top-level keys in order, as far as `head` shows them. */
  topKeys: string[];
  /** For a JSON array document: the first element, if `head` contains it whole. */
  firstElement?: unknown;
}

export interface SniffResult {
  /** 0..1; the highest wins. Use ≥ 0.9 only for unmistakable signatures. */
  confidence: number;
  framing: Framing;
}

export interface Unit {
  /** Parsed value (undefined when a line was not valid JSON). */
  value: unknown;
  /** The raw text of the line, for line framing. */
  rawLine?: string;
  /** The UTF-8 bytes rawLine was decoded from, exactly (line framing). */
  rawBytes?: Uint8Array;
  locator: Locator;
  /** Concrete path of this unit inside the document (document framing). */
  path?: JsonPath;
  /** Context values seen so far, keyed by their concrete path joined with '.' (e.g. 'resourceSpans.0.resource'). */
  context?: Record<string, unknown>;
}

export interface FormatHandler {
  format: FormatName;
  /** Return null when the content is not this format. Must not throw. */
  sniff(s: Sniff): SniffResult | null;
  /**
   * Map one unit to emits. Must not throw on bad data: return quarantine emits with a clear reason instead
   * (the pipeline still catches exceptions and quarantines the unit, but that is a bug).
   * Every emitted record carries a locator pointing at the line and/or JSON path it came from.
   */
  map(unit: Unit): Emit[];
  /**
   * For JSON Lines formats whose lines are whole documents (OTLP requests): how to stream a line too long to
   * parse whole (over MAX_LINE_BYTES, e.g. an export minified onto one line). Its units reach `map` like a
   * streamed document's. Without it such a line is quarantined.
   */
  overlongLine?: Extract<Framing, { kind: 'document' }>;
}

/** JSONPath text for a concrete path: ['data', 0, 'spans', 3] → '$.data[0].spans[3]' */
export function pathToString(p: JsonPath): string {
  let s = '$';
  for (const seg of p) s += typeof seg === 'number' ? `[${seg}]` : /^[A-Za-z_$][\w$]*$/.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  return s;
}

/** Locator for a sub-value of a unit: keeps the unit's line and extends its path. */
export function subLocator(base: Locator, basePath: JsonPath | undefined, rel: JsonPath): Locator {
  const full = [...(basePath ?? []), ...rel];
  return { ...(base.line !== undefined ? { line: base.line } : {}), path: pathToString(full) };
}

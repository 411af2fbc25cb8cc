/**
 * Redaction of personal data and secrets in exported text and JSON (on by default in every export).
 *
 * Detectors (each match becomes `[REDACTED:<KIND>]`):
 *   EMAIL        local@domain.tld
 *   PHONE        international (+CC …, 8–15 digits) and US/NANP formats with separators: (415) 555-0134,
 *                415-555-0134, 415.555.0134, 1-800-555-0199. Bare digit runs are NOT phones (ids, amounts).
 *   CARD         13–19 digits, optionally grouped with single spaces/dashes, Luhn-checked
 *   IBAN         country code + check digits + BBAN (grouped or not), ISO 13616 mod-97 checked
 *   NATIONAL_ID  US SSN ###-##-#### (invalid areas excluded), UK National Insurance number,
 *                Canadian SIN ###-###-### / ### ### ### (Luhn-checked)
 *   API_KEY      OpenAI sk-…, Stripe sk_/rk_live|test_…, AWS AKIA/ASIA…, GitHub ghp_/gho_/ghu_/ghs_/ghr_…,
 *                github_pat_…, Slack xoxb-/xoxp-/…, Google AIza…
 *   TOKEN        JWTs (eyJ….eyJ….sig) and the credential of `Bearer …`
 *   SECRET       a high-entropy value of 32+ characters after key=/token=/secret=/password=/… (or "key": "…")
 *   IP           IPv4 and IPv6 addresses
 *   NAME         configured names, case-insensitive whole words
 *
 * Numbers inside JSON values are left as numbers (amounts and ids stay intact); strings are scanned.
 * The report never contains the redacted values themselves: only kinds, counts and locations.
 * Pure: no Node or DOM (runs in the renderer for previews and in the core for exports).
 */

export type RedactionKind = 'EMAIL' | 'PHONE' | 'CARD' | 'IBAN' | 'NATIONAL_ID' | 'API_KEY' | 'TOKEN' | 'SECRET' | 'IP' | 'NAME';

export const REDACTION_KINDS: readonly RedactionKind[] = ['EMAIL', 'PHONE', 'CARD', 'IBAN', 'NATIONAL_ID', 'API_KEY', 'TOKEN', 'SECRET', 'IP', 'NAME'];

export interface RedactOptions {
  /** Names to redact (people, customers, employees): case-insensitive whole-word matches. */
  names?: readonly string[];
  /** Kinds to detect (default: all). */
  kinds?: readonly RedactionKind[];
  /** Replacement builder (default `[REDACTED:<KIND>]`). */
  replacement?: (kind: RedactionKind) => string;
}

/** One redacted span of a string, in the ORIGINAL text's UTF-16 offsets. */
export interface TextHit {
  kind: RedactionKind;
  start: number;
  end: number;
}

export interface TextRedaction {
  text: string;
  hits: TextHit[];
}

/** One redaction inside a JSON value: which string (JSONPath) and which kind. */
export interface ValueHit {
  kind: RedactionKind;
  path: string;
}

export interface ValueRedaction<T = unknown> {
  value: T;
  hits: ValueHit[];
}

export const defaultReplacement = (kind: RedactionKind): string => `[REDACTED:${kind}]`;

// ---------------------------------------------------------------- checks

/** Luhn checksum over a digit string. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let dbl = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24,
  DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28,
  HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29,
  RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22,
  VG: 24, XK: 20,
};

/** ISO 13616 IBAN check: known country length (when known) and mod-97 == 1. Spaces are ignored. */
export function ibanValid(iban: string): boolean {
  const s = iban.replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return false;
  const len = IBAN_LENGTHS[s.slice(0, 2)];
  if (len !== undefined && s.length !== len) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const code = ch.charCodeAt(0);
    const v = code >= 65 ? String(code - 55) : ch;
    for (const d of v) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  if (!s) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** A secret-looking value: long enough, varied, not a plain word or a repeated pattern. */
function looksSecret(v: string, minLen: number): boolean {
  if (v.length < minLen) return false;
  if (/^[a-z]+$/i.test(v) && v.length < 40) return false;
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(v)).length;
  return entropy(v) >= 3.0 && classes >= 2;
}

function ipv6Valid(s: string): boolean {
  let body = s;
  let tailGroups = 0;
  const v4 = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (v4) {
    if (!v4[2]!.split('.').every((o) => Number(o) <= 255)) return false;
    body = v4[1]!.endsWith('::') ? v4[1]! : v4[1]!.slice(0, -1);
    tailGroups = 2;
  }
  const parts = body.split('::');
  if (parts.length > 2) return false;
  const left = parts[0] ? parts[0].split(':') : [];
  const right = parts.length === 2 && parts[1] ? parts[1].split(':') : [];
  const all = [...left, ...right];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const n = all.length + tailGroups;
  if (parts.length === 1) return n === 8;
  if (n > 7) return false;
  if (tailGroups) return true;
  // compressed forms need some substance, so prose such as "a::b" or "10::30" is left alone
  return all.some((g) => /\d/.test(g)) && (all.length >= 2 || s.startsWith('::')) && (all.length >= 3 || all.some((g) => /[a-f]/i.test(g)) || s.startsWith('::'));
}

// ---------------------------------------------------------------- detectors

interface Candidate {
  kind: RedactionKind;
  start: number;
  end: number;
  /** lower wins when candidates overlap */
  priority: number;
}

type Detector = { kind: RedactionKind; priority: number; find: (text: string, out: Candidate[]) => void };

function each(re: RegExp, text: string, fn: (m: RegExpExecArray) => void): void {
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    fn(m);
    if (m[0].length === 0) re.lastIndex++;
  }
}

/** Adds the match (or its `group`-th capture group) as a candidate when `check` accepts it. */
function simple(kind: RedactionKind, priority: number, re: RegExp, check?: (s: string, m: RegExpExecArray) => boolean, group = 0): Detector {
  return {
    kind,
    priority,
    find(text, out) {
      each(re, text, (m) => {
        const s = m[group];
        if (s === undefined || s === '') return;
        if (check && !check(s, m)) return;
        const start = m.index + (group === 0 ? 0 : m[0].indexOf(s));
        out.push({ kind, start, end: start + s.length, priority });
      });
    },
  };
}

const SECRET_KEYS = String.raw`(?:api[_-]?key|apikey|access[_-]?key(?:[_-]?id)?|secret(?:[_-]?key)?|client[_-]?secret|token|access[_-]?token|refresh[_-]?token|auth[_-]?token|password|passwd|pwd|private[_-]?key|signature|sig)`;
/** Object keys whose string values are checked as secrets in redactValue. */
export const SECRET_KEY_RE = new RegExp(`^${SECRET_KEYS}$`, 'i');
/** Object keys whose string values are secrets whatever they look like. */
export const PASSWORD_KEY_RE = /^(?:password|passwd|pwd|client[_-]?secret|private[_-]?key)$/i;

const NOT_WORD_BEFORE = String.raw`(?<![\p{L}\p{N}_])`;
const NOT_WORD_AFTER = String.raw`(?![\p{L}\p{N}_])`;

const DETECTORS: Detector[] = [
  // JSON Web Tokens: header.payload.signature, header and payload base64url JSON objects ("eyJ")
  simple('TOKEN', 1, /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g),
  // Authorization: Bearer <credential> (the scheme word is kept)
  simple('TOKEN', 2, /\bBearer\s+([A-Za-z0-9._~+/-]{16,}=*)/g, undefined, 1),
  simple('API_KEY', 3, /(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g),
  simple('API_KEY', 3, /(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/g),
  simple('API_KEY', 3, /(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}(?![A-Z0-9])/g),
  simple('API_KEY', 3, /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,255}/g),
  simple('API_KEY', 3, /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{22,255}/g),
  simple('API_KEY', 3, /(?<![A-Za-z0-9_-])xox[abposr]-[A-Za-z0-9-]{10,}/g),
  simple('API_KEY', 3, /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}/g),
  // password=… (any value of 4+ characters)
  simple('SECRET', 4, /(?<![A-Za-z0-9])(?:password|passwd|pwd)["']?\s*[:=]\s*["']?([^\s"',;&]{4,})/gi, (v) => !/^\[REDACTED:/.test(v), 1),
  // key=value / key: value / "key": "value" with a high-entropy value of 32+ characters
  simple(
    'SECRET',
    4,
    new RegExp(String.raw`(?<![A-Za-z0-9])${SECRET_KEYS}["']?\s*[:=]\s*["']?([A-Za-z0-9_\-+/=.~]{32,})`, 'gi'),
    (v) => looksSecret(v, 32),
    1,
  ),
  simple('EMAIL', 5, /(?<![A-Za-z0-9._%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])/g),
  simple('IBAN', 6, /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)(?![A-Za-z0-9])/g, (s) => ibanValid(s)),
  // payment cards: 13–19 digits, groups separated by one space or dash, Luhn-checked
  simple('CARD', 7, /(?<![\d.,-])\d(?:[ -]?\d){12,18}(?![\d]|[.,]\d|-\d)/g, (s) => {
    const digits = s.replace(/[ -]/g, '');
    if (digits.length < 13 || digits.length > 19) return false;
    if (/^(\d)\1+$/.test(digits)) return false;
    // issuer prefixes: 2–6 (Mastercard 2/5, Amex/Diners 3, Visa 4, Discover/Maestro 6); 13 digits only for Visa
    if (!/^[2-6]/.test(digits) || (digits.length === 13 && digits[0] !== '4')) return false;
    // a mix of separators ("1234-5678 9012") is not how cards are written
    if (/ /.test(s) && /-/.test(s)) return false;
    return luhnValid(digits);
  }),
  // US SSN (area 000, 666, 900–999, group 00 and serial 0000 are never issued)
  simple('NATIONAL_ID', 8, /(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])/g),
  // UK National Insurance number
  simple('NATIONAL_ID', 8, /(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])/g),
  // Canadian SIN: ###-###-### or ### ### ###, Luhn-checked
  simple('NATIONAL_ID', 8, /(?<![\d-])\d{3}([- ])\d{3}\1\d{3}(?![\d-])/g, (s) => luhnValid(s.replace(/[- ]/g, '')) && !/^0/.test(s)),
  // IPv6 (full, compressed, with an embedded IPv4 tail); validated by a parser
  simple('IP', 9, /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?(?![\w:]|\.\d)/g, (s) => s.includes(':') && ipv6Valid(s)),
  // IPv4 (not part of a longer dotted number such as a version 1.2.3.4.5)
  simple('IP', 10, /(?<![\w.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![\w]|\.\d)/g),
  // international phone numbers: + country code, 8–15 digits in total, common separators
  simple('PHONE', 11, /(?<![\w+])\+[1-9]\d{0,2}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,4})){2,6}(?![\d])/g, (s) => {
    const n = s.replace(/\D/g, '').length;
    return n >= 8 && n <= 15;
  }),
  // NANP: (415) 555-0134, 415-555-0134, 415.555.0134, 415 555 0134, 1-800-555-0199 — separators required
  simple('PHONE', 12, /(?<![\w+.-])(?:1[ .-])?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}([ .-]))\d{3}([ .-])\d{4}(?![\w]|[.-]\d)/g, (_s, m) => m[1] === undefined || m[1] === m[2]),
];

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiles a name list into one case-insensitive whole-word pattern (longest names first). */
function namesDetector(names: readonly string[]): Detector | null {
  const list = [...new Set(names.map((n) => n.trim()).filter((n) => n.length >= 2))].sort((a, b) => b.length - a.length);
  if (list.length === 0) return null;
  const re = new RegExp(`${NOT_WORD_BEFORE}(?:${list.map((n) => escapeRe(n).replace(/\s+/g, '\\s+')).join('|')})${NOT_WORD_AFTER}`, 'giu');
  return simple('NAME', 13, re);
}

// ---------------------------------------------------------------- redaction

/** Finds the spans to redact in a string (non-overlapping, in order). */
export function findSensitive(text: string, opts: RedactOptions = {}): TextHit[] {
  if (!text) return [];
  const kinds = new Set(opts.kinds ?? REDACTION_KINDS);
  const cands: Candidate[] = [];
  for (const d of DETECTORS) if (kinds.has(d.kind)) d.find(text, cands);
  if (kinds.has('NAME') && opts.names?.length) namesDetector(opts.names)?.find(text, cands);
  if (cands.length === 0) return [];
  cands.sort((a, b) => a.priority - b.priority || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const taken: Candidate[] = [];
  for (const c of cands) if (!taken.some((t) => c.start < t.end && t.start < c.end)) taken.push(c);
  taken.sort((a, b) => a.start - b.start);
  return taken.map((c) => ({ kind: c.kind, start: c.start, end: c.end }));
}

/** Redacts a string. Offsets in `hits` refer to the original text. */
export function redactText(text: string, opts: RedactOptions = {}): TextRedaction {
  const hits = findSensitive(text, opts);
  if (hits.length === 0) return { text, hits };
  const rep = opts.replacement ?? defaultReplacement;
  let out = '';
  let at = 0;
  for (const h of hits) {
    out += text.slice(at, h.start) + rep(h.kind);
    at = h.end;
  }
  return { text: out + text.slice(at), hits };
}

function childPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

/**
 * Redacts every string inside a JSON value (object keys are kept; numbers, booleans and null unchanged).
 * A string under a secret-looking key (token, password, api_key, …) that looks like a secret (16+ chars)
 * is replaced whole. Returns a new value; the input is not modified.
 */
export function redactValue<T = unknown>(value: T, opts: RedactOptions = {}, path = '$'): ValueRedaction<T> {
  const hits: ValueHit[] = [];
  const kinds = new Set(opts.kinds ?? REDACTION_KINDS);
  const rep = opts.replacement ?? defaultReplacement;
  const walk = (v: unknown, p: string, key: string | null): unknown => {
    if (typeof v === 'string') {
      if (key !== null && kinds.has('SECRET') && !/^\[REDACTED:/.test(v) && ((PASSWORD_KEY_RE.test(key) && v.length >= 4) || (SECRET_KEY_RE.test(key) && looksSecret(v, 16)))) {
        hits.push({ kind: 'SECRET', path: p });
        return rep('SECRET');
      }
      const r = redactText(v, opts);
      for (const h of r.hits) hits.push({ kind: h.kind, path: p });
      return r.text;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, childPath(p, i), null));
    if (v !== null && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = walk(x, childPath(p, k), k);
      return o;
    }
    return v;
  };
  return { value: walk(value, path, null) as T, hits };
}

// ---------------------------------------------------------------- reports

export interface RedactionLocation {
  /** The exported file the redaction is in (relative to the export). */
  file: string;
  /** The example (line / test / case) index inside that file, when the file holds examples. */
  example: number | null;
  /** JSONPath inside the example, or a section name for documents. */
  path: string;
  kind: RedactionKind;
  count: number;
}

export interface RedactionReport {
  redacted: boolean;
  total: number;
  counts: Partial<Record<RedactionKind, number>>;
  /** Names configured (their number only: the names themselves are sensitive). */
  namesConfigured: number;
  locations: RedactionLocation[];
}

/** Aggregates redactions over an export: counts per kind and where (file, example index, JSONPath). */
export class RedactionReportBuilder {
  private readonly counts = new Map<RedactionKind, number>();
  private readonly locs = new Map<string, RedactionLocation>();

  constructor(
    readonly redacted: boolean,
    readonly namesConfigured = 0,
  ) {}

  add(file: string, example: number | null, hits: ReadonlyArray<{ kind: RedactionKind; path?: string }>, defaultPath = '$'): void {
    for (const h of hits) {
      this.counts.set(h.kind, (this.counts.get(h.kind) ?? 0) + 1);
      const path = h.path ?? defaultPath;
      const k = `${file}\u0000${example ?? ''}\u0000${path}\u0000${h.kind}`;
      const loc = this.locs.get(k);
      if (loc) loc.count++;
      else this.locs.set(k, { file, example, path, kind: h.kind, count: 1 });
    }
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  countsByKind(): Partial<Record<RedactionKind, number>> {
    const o: Partial<Record<RedactionKind, number>> = {};
    for (const k of REDACTION_KINDS) {
      const n = this.counts.get(k);
      if (n) o[k] = n;
    }
    return o;
  }

  build(): RedactionReport {
    return { redacted: this.redacted, total: this.total, counts: this.countsByKind(), namesConfigured: this.namesConfigured, locations: [...this.locs.values()] };
  }
}

/**
 * A redactor bound to options and a report: `text(s, file, example, path)` / `value(v, file, example)`
 * redact (or pass through when disabled) and record what they did.
 */
export class Redactor {
  readonly report: RedactionReportBuilder;
  constructor(
    readonly enabled: boolean,
    readonly opts: RedactOptions = {},
  ) {
    this.report = new RedactionReportBuilder(enabled, opts.names?.length ?? 0);
  }

  text(s: string, file: string, example: number | null = null, path = '$'): string {
    if (!this.enabled || !s) return s;
    const r = redactText(s, this.opts);
    this.report.add(file, example, r.hits.map((h) => ({ kind: h.kind, path })));
    return r.text;
  }

  value<T>(v: T, file: string, example: number | null = null, path = '$'): T {
    if (!this.enabled) return v;
    const r = redactValue(v, this.opts, path);
    this.report.add(file, example, r.hits);
    return r.value;
  }
}

/**
 * OpenLineage events (https://openlineage.io/spec/2-0-2/OpenLineage.json): one event per file, a JSON
 * array of events, or JSON Lines (the OpenLineage file transport). RunEvent, DatasetEvent and JobEvent
 * are told apart by shape, exactly as the spec's `oneOf` does.
 *
 * Every JSON object is kept as a 'lineage' record. Events that break the spec are kept with
 * `valid: false` and one message per violation in `problems`; only values that are not JSON objects are
 * quarantined. The checks below are written by hand from the spec's JSON Schema (core 2-0-2 plus the
 * standard facets this importer reads: parent and version); test/unit/formats-openlineage.test.ts
 * cross-checks them against the schema itself.
 */
import { createHash } from 'node:crypto';
import type { Emit, LineageData, LineageDataset, NormalizedRecord } from '../../../../shared/model';
import { LazyTextRecord, canonicalJson, isoToUs } from '../../../../shared/model';
import type { FormatHandler, Sniff, SniffResult, Unit } from './types';

type Obj = Record<string, unknown>;
type EventClass = LineageData['eventClass'];

export const OPENLINEAGE_EVENT_TYPES = ['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER'] as const;

const TEXT_LIMIT = 8 * 1024;

// ---------------------------------------------------------------------------------------------------
// Formats (JSON Schema `format` keywords used by the spec), written from their RFCs.
// ---------------------------------------------------------------------------------------------------

/** RFC 4122 UUID in its canonical 8-4-4-4-12 hex form (any version, either case; JSON Schema also accepts a urn:uuid: prefix). */
export function isUuid(s: string): boolean {
  return /^(?:urn:uuid:)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * RFC 3339 §5.6 `date-time`: full-date "T" full-time, with a mandatory offset (Z or ±hh:mm), real
 * calendar dates, hours ≤ 23, minutes ≤ 59 and seconds ≤ 59 (60 for a leap second at 23:59 UTC).
 * Any number of fractional digits. "T" and "Z" may be lower case (RFC 3339 §5.6 note).
 */
export function isRfc3339DateTime(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!)) return false;
  if (m[7] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return false;
  if (hour > 23 || minute > 59 || second > 60) return false;
  if (second === 60) {
    // a leap second happens at 23:59:60 UTC only
    const sign = m[7] === '-' ? -1 : 1;
    const utcMinutes = (((hour * 60 + minute - sign * (Number(m[8] ?? 0) * 60 + Number(m[9] ?? 0))) % 1440) + 1440) % 1440;
    if (utcMinutes !== 23 * 60 + 59) return false;
  }
  return true;
}

// RFC 3986 character classes
const PCHAR = "(?:[A-Za-z0-9\\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})";
const QUERY_OR_FRAGMENT = new RegExp(`^(?:${PCHAR}|[/?])*$`);
const PATH = new RegExp(`^(?:${PCHAR}|/)*$`);
const USERINFO = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*$/;
const REG_NAME = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
const IP_LITERAL = /^\[(?:[0-9A-Fa-f:.]+|[Vv][0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]$/;

/**
 * RFC 3986 absolute URI (JSON Schema `uri`): scheme ":" hier-part [ "?" query ] [ "#" fragment ], ASCII only,
 * percent-escapes well formed, an authority's port all digits. IPv6 literals are checked loosely (hex, ':' and '.').
 */
export function isUri(s: string): boolean {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s.exec(s);
  if (!m) return false;
  const [, hier = '', query, fragment] = m;
  if (query !== undefined && !QUERY_OR_FRAGMENT.test(query)) return false;
  if (fragment !== undefined && !QUERY_OR_FRAGMENT.test(fragment)) return false;
  if (hier.startsWith('//')) {
    const slash = hier.indexOf('/', 2);
    const authority = slash < 0 ? hier.slice(2) : hier.slice(2, slash);
    const path = slash < 0 ? '' : hier.slice(slash);
    const at = authority.lastIndexOf('@');
    if (at >= 0 && !USERINFO.test(authority.slice(0, at))) return false;
    const hostPort = authority.slice(at + 1);
    const pm = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostPort);
    if (!pm) return false;
    const host = pm[1]!;
    if (!(host.startsWith('[') ? IP_LITERAL.test(host) : REG_NAME.test(host))) return false;
    return PATH.test(path);
  }
  return PATH.test(hier);
}

// ---------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  const json = JSON.stringify(v) ?? String(v);
  return `${typeof v} ${json.length > 80 ? `${json.slice(0, 77)}...` : json}`;
}

function quote(s: string): string {
  const json = JSON.stringify(s);
  return json.length > 90 ? `${json.slice(0, 86)}..."` : json;
}

function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const k = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
  return path ? (k.startsWith('"') ? `${path}[${k}]` : `${path}.${k}`) : k;
}

class Checker {
  readonly problems: string[] = [];

  add(path: string, msg: string): void {
    this.problems.push(`${path || '(event)'}: ${msg}`);
  }

  /** Checks a required or optional string field; returns the string when it is one. */
  string(o: Obj, key: string, path: string, required: boolean, format?: 'uri' | 'uuid' | 'date-time'): string | undefined {
    const p = joinPath(path, key);
    if (!(key in o)) {
      if (required) this.add(p, 'missing (required)');
      return undefined;
    }
    const v = o[key];
    if (typeof v !== 'string') {
      this.add(p, `expected a string (got ${describeValue(v)})`);
      return undefined;
    }
    if (format === 'uuid' && !isUuid(v)) this.add(p, `not a UUID (got ${quote(v)})`);
    if (format === 'uri' && !isUri(v)) this.add(p, `not a URI (got ${quote(v)})`);
    if (format === 'date-time' && !isRfc3339DateTime(v)) this.add(p, `not an RFC 3339 date-time with offset (got ${quote(v)})`);
    return v;
  }

  /** Checks a required or optional object field; returns it when it is one. */
  object(o: Obj, key: string, path: string, required: boolean): Obj | undefined {
    const p = joinPath(path, key);
    if (!(key in o)) {
      if (required) this.add(p, 'missing (required)');
      return undefined;
    }
    const v = o[key];
    if (!isObj(v)) {
      this.add(p, `expected an object (got ${describeValue(v)})`);
      return undefined;
    }
    return v;
  }

  /** A facets map: every value is a facet carrying `_producer` and `_schemaURL` URIs (and a boolean `_deleted` where allowed). */
  facets(o: Obj, key: string, path: string, allowDeleted: boolean): Obj | undefined {
    const facets = this.object(o, key, path, false);
    if (!facets) return undefined;
    for (const [name, facet] of Object.entries(facets)) {
      const fp = joinPath(joinPath(path, key), name);
      if (!isObj(facet)) {
        this.add(fp, `a facet must be an object (got ${describeValue(facet)})`);
        continue;
      }
      this.string(facet, '_producer', fp, true, 'uri');
      this.string(facet, '_schemaURL', fp, true, 'uri');
      if (allowDeleted && '_deleted' in facet && typeof facet._deleted !== 'boolean') {
        this.add(joinPath(fp, '_deleted'), `expected a boolean (got ${describeValue(facet._deleted)})`);
      }
    }
    return facets;
  }

  job(o: Obj, key: string, path: string, required: boolean): void {
    const job = this.object(o, key, path, required);
    if (!job) return;
    const p = joinPath(path, key);
    this.string(job, 'namespace', p, true);
    this.string(job, 'name', p, true);
    this.facets(job, 'facets', p, true);
  }

  dataset(d: unknown, path: string, extraFacetKey?: 'inputFacets' | 'outputFacets'): void {
    if (!isObj(d)) {
      this.add(path, `a dataset must be an object (got ${describeValue(d)})`);
      return;
    }
    this.string(d, 'namespace', path, true);
    this.string(d, 'name', path, true);
    const facets = this.facets(d, 'facets', path, true);
    if (extraFacetKey) this.facets(d, extraFacetKey, path, false);
    // Standard DatasetVersionDatasetFacet: its datasetVersion is a required string.
    const version = facets?.version;
    if (isObj(version)) this.string(version, 'datasetVersion', joinPath(joinPath(path, 'facets'), 'version'), true);
  }

  datasets(o: Obj, key: 'inputs' | 'outputs', path: string): void {
    if (!(key in o)) return;
    const list = o[key];
    if (!Array.isArray(list)) {
      this.add(joinPath(path, key), `expected an array (got ${describeValue(list)})`);
      return;
    }
    list.forEach((d, i) => this.dataset(d, joinPath(joinPath(path, key), i), key === 'inputs' ? 'inputFacets' : 'outputFacets'));
  }

  run(o: Obj): void {
    const run = this.object(o, 'run', '', true);
    if (!run) return;
    this.string(run, 'runId', 'run', true, 'uuid');
    const facets = this.facets(run, 'facets', 'run', false);
    // Standard ParentRunFacet: run.runId (uuid) and job.namespace/name are required; root likewise when present.
    const parent = facets?.parent;
    if (isObj(parent)) {
      const pp = 'run.facets.parent';
      const prun = this.object(parent, 'run', pp, true);
      if (prun) this.string(prun, 'runId', `${pp}.run`, true, 'uuid');
      const pjob = this.object(parent, 'job', pp, true);
      if (pjob) {
        this.string(pjob, 'namespace', `${pp}.job`, true);
        this.string(pjob, 'name', `${pp}.job`, true);
      }
      const root = this.object(parent, 'root', pp, false);
      if (root) {
        const rrun = this.object(root, 'run', `${pp}.root`, true);
        if (rrun) this.string(rrun, 'runId', `${pp}.root.run`, true, 'uuid');
        const rjob = this.object(root, 'job', `${pp}.root`, true);
        if (rjob) {
          this.string(rjob, 'namespace', `${pp}.root.job`, true);
          this.string(rjob, 'name', `${pp}.root.job`, true);
        }
      }
    }
  }
}

/** The event class by shape, as the spec's oneOf tells them apart. */
export function openLineageEventClass(e: Obj): EventClass {
  if ('run' in e && 'job' in e) return 'RunEvent';
  if ('dataset' in e) return 'DatasetEvent';
  if ('job' in e && !('run' in e)) return 'JobEvent';
  return 'RunEvent';
}

/**
 * Checks one event against the OpenLineage 2-0-2 spec (core schema, plus the parent and version facets).
 * Returns the event class and one human-readable message per violation (empty when the event conforms).
 */
export function validateOpenLineageEvent(e: Obj): { eventClass: EventClass; problems: string[] } {
  const c = new Checker();
  const eventClass = openLineageEventClass(e);
  const hasRun = 'run' in e;
  const hasJob = 'job' in e;
  const hasDataset = 'dataset' in e;

  // BaseEvent
  c.string(e, 'eventTime', '', true, 'date-time');
  c.string(e, 'producer', '', true, 'uri');
  c.string(e, 'schemaURL', '', true, 'uri');

  if (!hasRun && !hasJob && !hasDataset) {
    c.add('', 'not an OpenLineage event: needs run and job (RunEvent), dataset (DatasetEvent) or job without run (JobEvent)');
  } else if (hasRun && !hasJob && !hasDataset) {
    c.add('job', 'missing (required: a RunEvent has run and job)');
  } else if (eventClass === 'DatasetEvent' && hasJob) {
    // dataset + job without run satisfies both DatasetEvent and JobEvent, and oneOf requires exactly one
    c.add('', 'ambiguous event: has dataset and job but no run, so it is both a DatasetEvent and a JobEvent');
  }

  if (eventClass === 'RunEvent') {
    if ('eventType' in e) {
      const t = e.eventType;
      if (typeof t !== 'string' || !(OPENLINEAGE_EVENT_TYPES as readonly string[]).includes(t)) {
        c.add('eventType', `not one of ${OPENLINEAGE_EVENT_TYPES.join(', ')} (got ${describeValue(t)})`);
      }
    }
    if (hasRun) c.run(e);
    if (hasJob) c.job(e, 'job', '', true);
    c.datasets(e, 'inputs', '');
    c.datasets(e, 'outputs', '');
  } else if (eventClass === 'DatasetEvent') {
    c.dataset(e.dataset, 'dataset');
  } else {
    c.job(e, 'job', '', true);
    c.datasets(e, 'inputs', '');
    c.datasets(e, 'outputs', '');
  }
  return { eventClass, problems: c.problems };
}

// ---------------------------------------------------------------------------------------------------
// Mapping
// ---------------------------------------------------------------------------------------------------

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function jobRef(v: unknown): { namespace: string; name: string } | null {
  if (!isObj(v) || typeof v.namespace !== 'string' || typeof v.name !== 'string') return null;
  return { namespace: v.namespace, name: v.name };
}

function toDataset(d: unknown): LineageDataset | null {
  if (!isObj(d)) return null;
  const out: LineageDataset = { namespace: str(d.namespace) ?? '', name: str(d.name) ?? '' };
  const facets = isObj(d.facets) ? d.facets : undefined;
  const version = facets && isObj(facets.version) ? str(facets.version.datasetVersion) : null;
  out.version = version;
  if (facets) out.facets = facets;
  if (isObj(d.inputFacets)) out.inputFacets = d.inputFacets;
  if (isObj(d.outputFacets)) out.outputFacets = d.outputFacets;
  return out;
}

function datasets(v: unknown): LineageDataset[] {
  return Array.isArray(v) ? v.map(toDataset).filter((d): d is LineageDataset => d !== null) : [];
}

function truncate(s: string, limit = TEXT_LIMIT): string {
  if (s.length <= limit) return s;
  let cut = limit;
  const code = s.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // do not split a surrogate pair
  return `${s.slice(0, cut)}…`;
}

function datasetLabel(d: LineageDataset): string {
  return `${d.namespace}/${d.name}${d.version ? `@${d.version}` : ''}`;
}

function searchText(d: LineageData): string {
  const parts: string[] = [];
  if (d.job) parts.push(`${d.job.namespace}/${d.job.name}`);
  if (d.dataset) parts.push(datasetLabel(d.dataset));
  if (d.eventType) parts.push(d.eventType);
  if (d.inputs.length) parts.push(`inputs: ${d.inputs.map(datasetLabel).join(', ')}`);
  if (d.outputs.length) parts.push(`outputs: ${d.outputs.map(datasetLabel).join(', ')}`);
  if (d.parent) parts.push(`parent: ${d.parent.job.namespace}/${d.parent.job.name} ${d.parent.runId}`);
  const sql = isObj(d.jobFacets?.sql) ? str(d.jobFacets.sql.query) : null;
  if (sql) parts.push(sql);
  const err = isObj(d.runFacets?.errorMessage) ? str(d.runFacets.errorMessage.message) : null;
  if (err) parts.push(err);
  if (d.producer) parts.push(d.producer);
  if (d.problems.length) parts.push(...d.problems);
  return truncate(parts.join('\n'));
}

/** Maps one parsed OpenLineage event (a JSON object) to its lineage data. */
export function lineageFromEvent(e: Obj): LineageData {
  const { eventClass, problems } = validateOpenLineageEvent(e);
  const run = isObj(e.run) ? e.run : undefined;
  const job = isObj(e.job) ? e.job : undefined;
  const parentFacet = run && isObj(run.facets) && isObj(run.facets.parent) ? run.facets.parent : undefined;
  const parentRunId = parentFacet && isObj(parentFacet.run) ? str(parentFacet.run.runId) : null;
  const parentJob = parentFacet ? jobRef(parentFacet.job) : null;
  const eventTime = str(e.eventTime) ?? '';
  const data: LineageData = {
    origin: 'openlineage',
    eventClass,
    eventType: str(e.eventType),
    eventTime,
    eventTimeUs: isoToUs(eventTime),
    producer: str(e.producer),
    schemaURL: str(e.schemaURL),
    runId: run ? str(run.runId) : null,
    job: jobRef(job),
    parent: parentRunId && parentJob ? { runId: parentRunId, job: parentJob } : null,
    inputs: datasets(e.inputs),
    outputs: datasets(e.outputs),
    valid: problems.length === 0,
    problems,
    event: e,
  };
  if (eventClass === 'DatasetEvent') data.dataset = toDataset(e.dataset);
  if (run && isObj(run.facets)) data.runFacets = run.facets;
  if (job && isObj(job.facets)) data.jobFacets = job.facets;
  return data;
}

/** The record key: `lineage:` + sha256 of the event's canonical JSON (identical events from two files dedup). */
export function lineageKey(event: unknown): string {
  return `lineage:${createHash('sha256').update(canonicalJson(event)).digest('hex')}`;
}

function invalidJsonReason(raw: string): string {
  try {
    JSON.parse(raw);
    return 'invalid JSON';
  } catch (err) {
    return `invalid JSON: ${(err as Error).message}`;
  }
}

function mapUnit(unit: Unit): Emit[] {
  const { value, locator } = unit;
  if (value === undefined) {
    const raw = unit.rawLine;
    return [{ type: 'quarantine', reason: raw !== undefined ? invalidJsonReason(raw) : 'no value', locator, ...(raw !== undefined ? { raw } : {}) }];
  }
  if (!isObj(value)) {
    return [
      {
        type: 'quarantine',
        reason: `not an OpenLineage event: expected a JSON object (got ${describeValue(value)})`,
        locator,
        raw: truncate(JSON.stringify(value) ?? String(value)),
      },
    ];
  }
  const data = lineageFromEvent(value);
  const record: NormalizedRecord = new LazyTextRecord(
    {
      kind: 'lineage',
      key: lineageKey(value),
      runId: data.runId,
      traceId: null,
      spanId: null,
      parentSpanId: null,
      tsUs: data.eventTimeUs,
      endUs: null,
      name: data.job?.name ?? data.dataset?.name ?? null,
      data,
    },
    searchText,
    data,
  );
  return [{ type: 'record', record, locator }];
}

// ---------------------------------------------------------------------------------------------------
// Sniffing
// ---------------------------------------------------------------------------------------------------

/** An object shaped like an OpenLineage event: eventTime, producer or schemaURL, and run/job/dataset. */
export function looksLikeOpenLineageEvent(v: unknown): boolean {
  if (!isObj(v) || typeof v.eventTime !== 'string') return false;
  if (!('producer' in v) && !('schemaURL' in v)) return false;
  return (isObj(v.run) && isObj(v.job)) || isObj(v.dataset) || isObj(v.job);
}

function sniff(s: Sniff): SniffResult | null {
  const first = s.head.trimStart()[0];
  if (first !== '{' && first !== '[') return null;
  if (s.doc !== undefined) {
    if (Array.isArray(s.doc)) {
      return s.doc.length > 0 && looksLikeOpenLineageEvent(s.doc[0]) ? { confidence: 0.95, framing: { kind: 'document', units: [['*']] } } : null;
    }
    if (looksLikeOpenLineageEvent(s.doc)) return { confidence: 0.95, framing: { kind: 'document', units: [[]] } };
    // a whole file that parses as one object but is not an event: maybe JSON Lines with a single line
    return null;
  }
  if (first === '[' && s.firstElement !== undefined) {
    return looksLikeOpenLineageEvent(s.firstElement) ? { confidence: 0.95, framing: { kind: 'document', units: [['*']] } } : null;
  }
  const parsed = s.lines.filter((l) => l !== undefined);
  if (first === '{' && parsed.length > 0) {
    // JSON Lines: the first lines parse on their own
    return parsed.some(looksLikeOpenLineageEvent) ? { confidence: 0.95, framing: { kind: 'lines' } } : null;
  }
  if (parsed.length > 0) return null;
  // A pretty-printed document larger than the head: recognise the event's keys in the text.
  const h = s.head;
  if (/"eventTime"\s*:/.test(h) && /"(?:producer|schemaURL)"\s*:/.test(h) && /"(?:run|job|dataset)"\s*:\s*\{/.test(h)) {
    return { confidence: 0.8, framing: { kind: 'document', units: first === '[' ? [['*']] : [[]] } };
  }
  return null;
}

export const openlineageHandler: FormatHandler = {
  format: 'openlineage',
  sniff,
  map: mapUnit,
};

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { Emit, LineageData, NormalizedRecord } from '../../shared/model';
import { canonicalJson } from '../../shared/model';
import { isRfc3339DateTime, isUri, isUuid, openlineageHandler, validateOpenLineageEvent } from '../../electron/core/import/formats/openlineage';
import { CORPUS_DIR, HAVE_CORPUS, corpusPath, corpusText } from '../corpus';
import { frameText, runHandler, sniffText } from '../helpers/frame';

const records = (emits: Emit[]): NormalizedRecord[] => emits.flatMap((e) => (e.type === 'record' ? [e.record] : []));
const lineage = (r: NormalizedRecord): LineageData => r.data as LineageData;
const jsonLines = (text: string): any[] =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));

/** Every corpus file except the spec's schemas, relative to the corpus root. */
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

const BASE = {
  eventTime: '2024-05-01T10:00:00.123Z',
  producer: 'https://github.com/example/producer/v1',
  schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
};
const FACET = { _producer: 'https://example.com/p', _schemaURL: 'https://example.com/s.json#/$defs/X' };
const RUN_EVENT = {
  ...BASE,
  eventType: 'COMPLETE',
  run: { runId: '0190e9b1-5b5e-7d0a-9b7c-1234567890ab' },
  job: { namespace: 'agents', name: 'refund_agent' },
  inputs: [{ namespace: 'postgres://db', name: 'public.orders', facets: { version: { ...FACET, datasetVersion: 'v42' } } }],
  outputs: [{ namespace: 'postgres://db', name: 'public.refunds' }],
};

describe('openlineage: format checks written from the RFCs', () => {
  it('accepts UUIDs in either case, with the urn:uuid: prefix JSON Schema allows', () => {
    expect(isUuid('43d7db3b-8984-4cda-b237-8c6919b36670')).toBe(true);
    expect(isUuid('43D7DB3B-8984-4CDA-B237-8C6919B36670')).toBe(true);
    expect(isUuid('urn:uuid:43d7db3b-8984-4cda-b237-8c6919b36670')).toBe(true);
    expect(isUuid('43d7db3b89844cdab2378c6919b36670')).toBe(false);
    expect(isUuid('abc')).toBe(false);
  });
  it('checks RFC 3339 date-times: offsets, 1-9 fraction digits, real dates, leap seconds', () => {
    for (const ok of ['2020-12-28T19:52:00.001+10:00', '2024-11-26T13:05:23.809955+00:00', '2024-08-06T13:26:49.98Z', '2020-02-29T00:00:00Z', '2016-12-31T23:59:60Z', '2017-01-01T00:59:60+01:00', '2020-01-01t00:00:00z'])
      expect(isRfc3339DateTime(ok), ok).toBe(true);
    for (const bad of ['2020-12-28T19:52:00', '2021-02-29T00:00:00Z', '2020-01-01T24:00:00Z', '2020-01-01T12:00:60Z', '2020-13-01T00:00:00Z', 'yesterday', '2020-01-01T00:00:00+25:00'])
      expect(isRfc3339DateTime(bad), bad).toBe(false);
  });
  it('checks absolute URIs', () => {
    for (const ok of ['https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent', 'urn:x', 's3://bucket/key', 'file:///tmp/a', 'http://[::1]:80/x', 'http://u:p@h:8080/a?b=c'])
      expect(isUri(ok), ok).toBe(true);
    for (const bad of ['not a uri', 'http://exa mple.com', 'http://ex.com/ü', 'x:y#a#b', 'http://h/%zz', '/relative/path', 'http://host:abc/'])
      expect(isUri(bad), bad).toBe(false);
  });
});

describe('openlineage: mapping and validation of inline events', () => {
  it('maps a RunEvent: job, run id, datasets with their version facet', () => {
    const [rec] = records(runHandler(openlineageHandler, JSON.stringify(RUN_EVENT)));
    const d = lineage(rec!);
    expect(rec!.kind).toBe('lineage');
    expect(d).toMatchObject({ eventClass: 'RunEvent', eventType: 'COMPLETE', valid: true, problems: [], runId: RUN_EVENT.run.runId });
    expect(d.job).toEqual({ namespace: 'agents', name: 'refund_agent' });
    expect(d.inputs[0]).toMatchObject({ namespace: 'postgres://db', name: 'public.orders', version: 'v42' });
    expect(d.inputs[0]!.facets).toHaveProperty('version');
    expect(d.outputs[0]).toMatchObject({ name: 'public.refunds', version: null });
    expect(d.eventTimeUs).toBe(Date.UTC(2024, 4, 1, 10, 0, 0) * 1000 + 123_000);
    expect(rec!.tsUs).toBe(d.eventTimeUs);
    expect(rec!.runId).toBe(RUN_EVENT.run.runId);
    expect(rec!.text).toContain('postgres://db/public.orders@v42');
  });

  it('keys an event by the sha256 of its canonical JSON, so duplicates get equal keys', () => {
    const reordered = Object.fromEntries(Object.entries(RUN_EVENT).reverse());
    expect(Object.keys(reordered)).not.toEqual(Object.keys(RUN_EVENT));
    const text = `${JSON.stringify(RUN_EVENT)}\n${JSON.stringify(reordered)}\n`;
    const recs = records(runHandler(openlineageHandler, text));
    expect(recs).toHaveLength(2);
    const expected = `lineage:${createHash('sha256').update(canonicalJson(RUN_EVENT)).digest('hex')}`;
    expect(recs[0]!.key).toBe(expected);
    expect(recs[1]!.key).toBe(expected);
  });

  it('recognises DatasetEvent and JobEvent by shape', () => {
    const dsEvent = { ...BASE, dataset: { namespace: 'kafka://broker', name: 'topic.refunds', facets: { version: { ...FACET, datasetVersion: '7' } } } };
    const jobEvent = { ...BASE, job: { namespace: 'agents', name: 'refund_agent' }, inputs: [{ namespace: 'n', name: 'in' }] };
    const [ds] = records(runHandler(openlineageHandler, JSON.stringify(dsEvent)));
    const [job] = records(runHandler(openlineageHandler, JSON.stringify(jobEvent)));
    expect(lineage(ds!)).toMatchObject({ eventClass: 'DatasetEvent', valid: true, runId: null, job: null });
    expect(lineage(ds!).dataset).toMatchObject({ name: 'topic.refunds', version: '7' });
    expect(ds!.name).toBe('topic.refunds');
    expect(lineage(job!)).toMatchObject({ eventClass: 'JobEvent', valid: true, runId: null, job: { namespace: 'agents', name: 'refund_agent' } });
    expect(lineage(job!).inputs).toHaveLength(1);
  });

  it('maps the parent run facet', () => {
    const ev = {
      ...RUN_EVENT,
      run: { runId: RUN_EVENT.run.runId, facets: { parent: { ...FACET, run: { runId: '3f5e83fa-3480-44ff-99c5-ff943904e5e8' }, job: { namespace: 'airflow', name: 'dag' } } } },
    };
    const [rec] = records(runHandler(openlineageHandler, JSON.stringify(ev)));
    expect(lineage(rec!).parent).toEqual({ runId: '3f5e83fa-3480-44ff-99c5-ff943904e5e8', job: { namespace: 'airflow', name: 'dag' } });
    expect(lineage(rec!).runFacets).toHaveProperty('parent');
  });

  it('quarantines lines that are not JSON objects, and keeps going', () => {
    const text = [JSON.stringify(RUN_EVENT), '{"eventTime": "2024-05-01T10:00:00Z", broken', '[1,2]', '"just a string"', '42', 'null'].join('\n');
    const emits = frameText(text, { kind: 'lines' }).flatMap((u) => openlineageHandler.map(u));
    expect(emits.map((e) => e.type)).toEqual(['record', 'quarantine', 'quarantine', 'quarantine', 'quarantine', 'quarantine']);
    const q = emits.filter((e) => e.type === 'quarantine');
    expect(q[0]).toMatchObject({ locator: { line: 2 } });
    expect((q[0] as { reason: string }).reason).toMatch(/^invalid JSON: /);
    expect((q[1] as { reason: string }).reason).toContain('expected a JSON object (got an array)');
    expect((q[4] as { reason: string }).reason).toContain('(got null)');
  });
});

// ---------------------------------------------------------------------------------------------------
// Cross-check against the spec's own JSON Schema (ajv, draft 2020-12, with ajv-formats).
// ---------------------------------------------------------------------------------------------------

describe.skipIf(!HAVE_CORPUS)('openlineage: validator agrees with the spec JSON Schema', () => {
  const specDir = corpusPath('openlineage/spec');
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const core = HAVE_CORPUS ? JSON.parse(readFileSync(join(specDir, 'OpenLineage.json'), 'utf8')) : { $id: 'x' };
  const facetIds: Record<string, string> = {};
  if (HAVE_CORPUS) {
    ajv.addSchema(core);
    for (const f of readdirSync(join(specDir, 'facets'))) {
      const schema = JSON.parse(readFileSync(join(specDir, 'facets', f), 'utf8'));
      ajv.addSchema(schema);
      facetIds[f.replace(/\.json$/, '')] = schema.$id;
    }
  }
  const coreValid = (e: unknown) => ajv.validate(core.$id, e) as boolean;
  /**
   * The verdict our validator implements: the core event schema, plus the two standard facets we read —
   * ParentRunFacet on run.facets and DatasetVersionDatasetFacet on each dataset's facets (each facet file's
   * root schema validates a facets map containing that facet).
   */
  const specValid = (e: any) => {
    if (!coreValid(e)) return false;
    if (e?.run?.facets && typeof e.run.facets === 'object' && !ajv.validate(facetIds.ParentRunFacet!, e.run.facets)) return false;
    const ds = [...(Array.isArray(e.inputs) ? e.inputs : []), ...(Array.isArray(e.outputs) ? e.outputs : []), ...(e.dataset ? [e.dataset] : [])];
    return ds.every((d: any) => !d?.facets || typeof d.facets !== 'object' || ajv.validate(facetIds.DatasetVersionDatasetFacet!, d.facets));
  };

  const corpusEvents = (): Array<{ where: string; event: any }> => {
    const out: Array<{ where: string; event: any }> = [];
    for (const f of ['openlineage/marquez_event_full.json', 'openlineage/marquez_event_unicode.json', 'openlineage/marquez_event_required_only.json'])
      out.push({ where: f, event: JSON.parse(corpusText(f)) });
    (JSON.parse(corpusText('openlineage/marquez_docker_metadata.json')) as unknown[]).forEach((event, i) => out.push({ where: `marquez_docker_metadata.json[${i}]`, event }));
    for (const f of ['openlineage/olcompat_airflow_events.jsonl', 'openlineage/olcompat_spark_cll_events.jsonl'])
      jsonLines(corpusText(f)).forEach((event, i) => out.push({ where: `${f}:${i + 1}`, event }));
    return out;
  };

  it('agrees on every corpus event (core schema alone, and core + parent/version facets)', () => {
    const events = corpusEvents();
    expect(events).toHaveLength(3 + 26 + 32 + 9);
    for (const { where, event } of events) {
      const ours = validateOpenLineageEvent(event);
      expect(ours.problems.length === 0, `${where}: ${ours.problems.join('; ')}`).toBe(coreValid(event));
      expect(ours.problems.length === 0, where).toBe(specValid(event));
    }
  });

  it('finds the Marquez seed data invalid for the same reason ajv does: no schemaURL', () => {
    const docker = JSON.parse(corpusText('openlineage/marquez_docker_metadata.json')) as unknown[];
    for (const e of docker) {
      expect(coreValid(e)).toBe(false);
      expect(ajv.errors?.some((er) => er.keyword === 'required' && (er.params as { missingProperty?: string }).missingProperty === 'schemaURL')).toBe(true);
      expect(validateOpenLineageEvent(e as Record<string, unknown>).problems).toEqual(['schemaURL: missing (required)']);
    }
  });

  const u = '0190e9b1-5b5e-7d0a-9b7c-1234567890ab';
  const cases: Array<[string, unknown, string | null]> = [
    ['valid RunEvent', RUN_EVENT, null],
    ['runId not a UUID', { ...RUN_EVENT, run: { runId: 'abc' } }, 'run.runId: not a UUID (got "abc")'],
    ['runId a number', { ...RUN_EVENT, run: { runId: 42 } }, 'run.runId: expected a string (got number 42)'],
    ['run without runId', { ...RUN_EVENT, run: {} }, 'run.runId: missing (required)'],
    ['run not an object', { ...RUN_EVENT, run: 'r1' }, 'run: expected an object (got string "r1")'],
    ['eventType not in the enum', { ...RUN_EVENT, eventType: 'DONE' }, 'eventType: not one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER (got string "DONE")'],
    ['eventType null', { ...RUN_EVENT, eventType: null }, 'eventType: not one of'],
    ['eventTime not a date-time', { ...RUN_EVENT, eventTime: 'yesterday' }, 'eventTime: not an RFC 3339 date-time with offset (got "yesterday")'],
    ['eventTime without offset', { ...RUN_EVENT, eventTime: '2024-05-01T10:00:00' }, 'eventTime: not an RFC 3339'],
    ['eventTime missing', { ...RUN_EVENT, eventTime: undefined }, 'eventTime: missing (required)'],
    ['producer not a URI', { ...RUN_EVENT, producer: 'my producer' }, 'producer: not a URI (got "my producer")'],
    ['schemaURL a number', { ...RUN_EVENT, schemaURL: 1 }, 'schemaURL: expected a string (got number 1)'],
    ['job without namespace', { ...RUN_EVENT, job: { name: 'x' } }, 'job.namespace: missing (required)'],
    ['job name not a string', { ...RUN_EVENT, job: { namespace: 'n', name: 7 } }, 'job.name: expected a string (got number 7)'],
    ['run without job', { ...BASE, run: { runId: u } }, 'job: missing (required'],
    ['inputs not an array', { ...RUN_EVENT, inputs: { namespace: 'n', name: 'x' } }, 'inputs: expected an array (got an object)'],
    ['input without name', { ...RUN_EVENT, inputs: [{ namespace: 'n' }] }, 'inputs[0].name: missing (required)'],
    ['output not an object', { ...RUN_EVENT, outputs: ['table'] }, 'outputs[0]: a dataset must be an object (got string "table")'],
    ['facet without _producer', { ...RUN_EVENT, job: { namespace: 'n', name: 'j', facets: { sql: { _schemaURL: FACET._schemaURL, query: 'select 1' } } } }, 'job.facets.sql._producer: missing (required)'],
    ['facet _schemaURL not a URI', { ...RUN_EVENT, run: { runId: u, facets: { x: { _producer: FACET._producer, _schemaURL: 'not a uri' } } } }, 'run.facets.x._schemaURL: not a URI'],
    ['facet not an object', { ...RUN_EVENT, run: { runId: u, facets: { x: 'y' } } }, 'run.facets.x: a facet must be an object'],
    ['job facet _deleted not boolean', { ...RUN_EVENT, job: { namespace: 'n', name: 'j', facets: { sql: { ...FACET, _deleted: 'yes' } } } }, 'job.facets.sql._deleted: expected a boolean'],
    ['inputFacets facet without _schemaURL', { ...RUN_EVENT, inputs: [{ namespace: 'n', name: 'i', inputFacets: { stats: { _producer: FACET._producer } } }] }, 'inputs[0].inputFacets.stats._schemaURL: missing (required)'],
    ['version facet without datasetVersion', { ...RUN_EVENT, inputs: [{ namespace: 'n', name: 'i', facets: { version: { ...FACET } } }] }, 'inputs[0].facets.version.datasetVersion: missing (required)'],
    ['parent facet with a bad runId', { ...RUN_EVENT, run: { runId: u, facets: { parent: { ...FACET, run: { runId: 'nope' }, job: { namespace: 'a', name: 'b' } } } } }, 'run.facets.parent.run.runId: not a UUID (got "nope")'],
    ['parent facet without job', { ...RUN_EVENT, run: { runId: u, facets: { parent: { ...FACET, run: { runId: u } } } } }, 'run.facets.parent.job: missing (required)'],
    ['no run, job or dataset', { ...BASE }, '(event): not an OpenLineage event'],
    ['valid DatasetEvent', { ...BASE, dataset: { namespace: 'n', name: 'd' } }, null],
    ['DatasetEvent with run but no job', { ...BASE, dataset: { namespace: 'n', name: 'd' }, run: { runId: 'whatever' } }, null],
    ['DatasetEvent without name', { ...BASE, dataset: { namespace: 'n' } }, 'dataset.name: missing (required)'],
    ['dataset and job without run (ambiguous)', { ...BASE, dataset: { namespace: 'n', name: 'd' }, job: { namespace: 'n', name: 'j' } }, '(event): ambiguous event'],
    ['valid JobEvent', { ...BASE, job: { namespace: 'n', name: 'j' }, outputs: [{ namespace: 'n', name: 'o' }] }, null],
    ['JobEvent with a bad output', { ...BASE, job: { namespace: 'n', name: 'j' }, outputs: [{ name: 'o' }] }, 'outputs[0].namespace: missing (required)'],
    ['timezone offset and 6 fraction digits', { ...RUN_EVENT, eventTime: '2024-11-26T13:05:23.809955+00:00' }, null],
    ['urn:uuid run id', { ...RUN_EVENT, run: { runId: `urn:uuid:${u}` } }, null],
  ];

  it.each(cases)('%s', (_name, event, problem) => {
    const e = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
    const { problems } = validateOpenLineageEvent(e);
    if (problem === null) expect(problems).toEqual([]);
    else expect(problems.some((p) => p.startsWith(problem)), problems.join('; ')).toBe(true);
    expect(problems.length === 0).toBe(specValid(e));
  });

  /**
   * Known, deliberate disagreements. Our date-time check follows RFC 3339 §5.6 strictly; ajv-formats also
   * accepts a space for "T" and offsets without a colon or minutes (RFC 3339 allows neither). For
   * "http://host:abc/", ajv's URI regex backtracks into an empty authority and reads "/host:abc/" as the
   * path; RFC 3986 requires a numeric port there. "mailto:" is a valid RFC 3986 URI (path-empty) that
   * ajv's regex rejects.
   */
  it.each([
    ['eventTime', '2024-05-01 10:00:00Z', false],
    ['eventTime', '2024-05-01T10:00:00+0200', false],
    ['eventTime', '2024-05-01T10:00:00+02', false],
    ['producer', 'http://host:abc/', false],
    ['producer', 'mailto:', true],
  ] as const)('documented disagreement: %s = %s', (field, value, oursValid) => {
    const e = { ...RUN_EVENT, [field]: value };
    expect(validateOpenLineageEvent(e).problems.length === 0).toBe(oursValid);
    expect(coreValid(e)).toBe(!oursValid);
  });
});

// ---------------------------------------------------------------------------------------------------
// The real files
// ---------------------------------------------------------------------------------------------------

describe.skipIf(!HAVE_CORPUS)('openlineage: corpus files', () => {
  it('Airflow JSON Lines: one record per line, 16 runs, parent facets pointing at DAG runs', () => {
    const rel = 'openlineage/olcompat_airflow_events.jsonl';
    const text = corpusText(rel);
    const raw = jsonLines(text);
    const emits = runHandler(openlineageHandler, text, rel);
    const recs = records(emits);
    expect(emits).toHaveLength(raw.length);
    expect(recs).toHaveLength(raw.length);
    expect(raw).toHaveLength(32); // MANIFEST: 32 events
    expect(new Set(recs.map((r) => r.runId)).size).toBe(new Set(raw.map((e) => e.run.runId)).size);
    expect(new Set(raw.map((e) => e.run.runId)).size).toBe(16); // MANIFEST: 16 runs
    expect(recs.every((r) => lineage(r).valid)).toBe(true);
    // locators are the 1-based lines
    expect(emits.map((e) => e.locator.line)).toEqual(raw.map((_, i) => i + 1));

    const withParent = raw.filter((e) => e.run.facets?.parent);
    const mappedParents = recs.filter((r) => lineage(r).parent !== null);
    expect(mappedParents).toHaveLength(withParent.length);
    const runIds = new Set(raw.map((e) => e.run.runId));
    for (const r of mappedParents) {
      const p = lineage(r).parent!;
      expect(runIds.has(p.runId)).toBe(true); // the DAG run's own events are in the file
      const parentEvent = raw.find((e) => e.run.runId === p.runId);
      expect(p.job).toEqual({ namespace: parentEvent.job.namespace, name: parentEvent.job.name });
    }
    // the first event: a DAG START with microsecond time and an offset
    const first = lineage(recs[0]!);
    expect(first).toMatchObject({ eventClass: 'RunEvent', eventType: 'START', job: { namespace: 'airflow', name: 'BQ' }, parent: null });
    expect(first.eventTimeUs).toBe(Date.UTC(2024, 10, 26, 13, 5, 23) * 1000 + 809_955);
    // inputs/outputs come through with their facets
    const upload = raw.findIndex((e) => e.job.name === 'BQ.upload' && e.eventType === 'COMPLETE');
    const up = lineage(recs[upload]!);
    expect(up.inputs.map((d) => d.name)).toEqual(raw[upload].inputs.map((d: any) => d.name));
    expect(up.outputs.map((d) => d.name)).toEqual(raw[upload].outputs.map((d: any) => d.name));
    expect(up.outputs[0]!.facets).toEqual(raw[upload].outputs[0].facets);
  });

  it('Spark column-lineage JSON Lines: 9 events, 4 runs, START/RUNNING/COMPLETE', () => {
    const rel = 'openlineage/olcompat_spark_cll_events.jsonl';
    const text = corpusText(rel);
    const raw = jsonLines(text);
    const recs = records(runHandler(openlineageHandler, text, rel));
    expect(recs).toHaveLength(raw.length);
    expect(raw).toHaveLength(9);
    expect(new Set(recs.map((r) => r.runId)).size).toBe(new Set(raw.map((e) => e.run.runId)).size);
    expect(recs.map((r) => lineage(r).eventType)).toEqual(raw.map((e) => e.eventType));
    expect(recs.every((r) => lineage(r).valid)).toBe(true);
    const cll = recs.flatMap((r) => lineage(r).outputs).filter((d) => d.facets && 'columnLineage' in d.facets);
    expect(cll.length).toBe(raw.flatMap((e) => e.outputs ?? []).filter((d: any) => d.facets?.columnLineage).length);
    expect(cll.length).toBeGreaterThan(0);
  });

  it('Marquez seed data (a JSON array larger than the sniff head): 26 events, 13 runs, all flagged for the missing schemaURL', () => {
    const rel = 'openlineage/marquez_docker_metadata.json';
    const text = corpusText(rel);
    expect(text.length).toBeGreaterThan(64 * 1024);
    const raw = JSON.parse(text) as any[];
    const emits = runHandler(openlineageHandler, text, rel);
    const recs = records(emits);
    expect(recs).toHaveLength(raw.length);
    expect(raw).toHaveLength(26);
    expect(new Set(recs.map((r) => r.runId)).size).toBe(new Set(raw.map((e) => e.run.runId)).size);
    expect(new Set(raw.map((e) => e.run.runId)).size).toBe(13);
    expect(emits[3]!.locator).toEqual({ path: '$[3]' });
    for (const r of recs) {
      expect(lineage(r).valid).toBe(false);
      expect(lineage(r).problems).toEqual(['schemaURL: missing (required)']);
      expect(lineage(r).schemaURL).toBeNull();
    }
    // facets are kept: the SQL job facet is searchable
    const menus = recs.find((r) => lineage(r).job?.name === 'etl_menus')!;
    expect(menus.text).toContain('INSERT INTO menus');
  });

  it('a full single event: parent facet, every facet kept', () => {
    const rel = 'openlineage/marquez_event_full.json';
    const raw = JSON.parse(corpusText(rel));
    const [rec, ...rest] = records(runHandler(openlineageHandler, corpusText(rel), rel));
    expect(rest).toHaveLength(0);
    const d = lineage(rec!);
    expect(d.valid).toBe(true);
    expect(d.parent).toEqual({ runId: raw.run.facets.parent.run.runId, job: raw.run.facets.parent.job });
    expect(d.runFacets).toEqual(raw.run.facets);
    expect(d.jobFacets).toEqual(raw.job.facets);
    expect(d.inputs[0]!.facets).toEqual(raw.inputs[0].facets);
    expect(d.inputs[0]!.inputFacets).toEqual(raw.inputs[0].inputFacets);
    expect(d.outputs[0]!.outputFacets).toEqual(raw.outputs[0].outputFacets);
    expect(d.inputs[0]!.version).toBeNull(); // no version facet in this file
    expect(d.event).toEqual(raw);
  });

  it('the unicode event: emoji job name kept, +10:00 offset converted to UTC', () => {
    const rel = 'openlineage/marquez_event_unicode.json';
    const [rec] = records(runHandler(openlineageHandler, corpusText(rel), rel));
    const d = lineage(rec!);
    expect(d.job!.name).toBe('myjob.buggy_task\u{1F577}');
    expect(rec!.name).toBe('myjob.buggy_task\u{1F577}');
    expect(d.eventTime).toBe('2020-12-28T19:52:00.001+10:00');
    expect(d.eventTimeUs).toBe(Date.UTC(2020, 11, 28, 9, 52, 0, 1) * 1000);
    expect(d.inputs).toHaveLength(2);
    expect(d.valid).toBe(true);
  });

  it('the required-only event: no eventType, no datasets, still valid', () => {
    const rel = 'openlineage/marquez_event_required_only.json';
    const [rec] = records(runHandler(openlineageHandler, corpusText(rel), rel));
    expect(lineage(rec!)).toMatchObject({ eventType: null, inputs: [], outputs: [], valid: true, problems: [], eventClass: 'RunEvent' });
  });

  it('sniffs its files by content and claims no other corpus file', () => {
    for (const rel of corpusFiles()) {
      const s = openlineageHandler.sniff(sniffText(readFileSync(corpusPath(rel), 'utf8'), 'unnamed'));
      if (rel.startsWith('openlineage/')) expect(s, rel).not.toBeNull();
      else expect(s, rel).toBeNull();
    }
  });

  it('frames each file the right way: lines, array elements, or the whole document', () => {
    const framing = (rel: string) => openlineageHandler.sniff(sniffText(corpusText(rel)))!.framing;
    expect(framing('openlineage/olcompat_airflow_events.jsonl')).toEqual({ kind: 'lines' });
    expect(framing('openlineage/marquez_docker_metadata.json')).toEqual({ kind: 'document', units: [['*']] });
    expect(framing('openlineage/marquez_event_full.json')).toEqual({ kind: 'document', units: [[]] });
  });
});

/**
 * Audit parts (migration 006, shared/audit-parts.ts): the per-run partial aggregates the import's writer
 * builds must derive exactly the runs that grouping every audit event in SQL derives — which is what cases
 * imported before parts existed go through (RunsDeriveStore.backfillParts). Each case is derived both ways
 * and compared table by table, on audit files built to hit the awkward corners: runs interleaved in a file
 * and split across files, a hash chain split across files in reverse seq order, a broken chain, an event
 * repeated in two files, user signals, inputs longer than the 400 characters kept for language detection
 * with characters outside the BMP, a numeric input text, tool names with spaces and commas, events without
 * seq, several traces per run. The sample incident (1,200 runs) is compared the same way.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { importInProcess } from '../../electron/core/import/apply';
import { openDb, type Db } from '../../electron/core/store/db';
import { deriveRuns } from '../../electron/core/recon/index';
import { generateSample } from '../../electron/core/sample/generate';
import { auditEventHash } from '../../shared/audit';
import { sha256Hex } from '../../electron/core/store/hash';
import { OPEN_PARTS, charLength, compareText, headChars } from '../../shared/audit-parts';
import { tempDir } from '../helpers/cli';
import { derivedSnapshot } from '../helpers/derived';

type Ev = Record<string, unknown>;

const FTS_WORDS = ['refund', 'hello', 'emoji', 'lookup', 'ship', 'damaged', 'wrong', '12345', 'question', 'answer'];
const snapshot = (db: Db) => derivedSnapshot(db, FTS_WORDS);

/** Turns the case into what an older build left: no parts, and full facts computed at the next derivation. */
function asLegacyCase(db: Db): void {
  db.exec(`
    DELETE FROM audit_run_parts;
    DELETE FROM audit_hash_bad;
    DELETE FROM record_facts;
    INSERT OR REPLACE INTO meta(key, value) SELECT 'facts.legacy_max_id', max(id) FROM records;
    INSERT OR REPLACE INTO meta(key, value) SELECT 'parts.legacy_max_id', max(id) FROM records;
  `);
}

function bothWays(db: Db) {
  const fromParts = snapshot(db);
  asLegacyCase(db);
  const r = deriveRuns(db, { force: true });
  expect(r.skipped).toBe(false);
  expect(r.phases.helper).toBeUndefined(); // the backfilled parts are not committed yet: no helper connection
  expect(db.prepare("SELECT 1 FROM meta WHERE key IN ('facts.legacy_max_id', 'parts.legacy_max_id')").get()).toBeUndefined();
  return { fromParts, fromSql: snapshot(db) };
}

/** The audit and decision sides built by the helper connection on its thread (the default) and by the deriving connection. */
function withAndWithoutHelper(db: Db) {
  const own = deriveRuns(db, { force: true, helper: false });
  expect(own.phases.helper).toBeUndefined();
  const alone = snapshot(db);
  const helped = deriveRuns(db, { force: true });
  expect(helped.phases.helper).toBeGreaterThanOrEqual(0);
  expect(snapshot(db)).toEqual(alone);
  // no writable temporary directory for the scratch database, or the helper turned off: the derivation builds
  // them itself, with the same result
  const tmp = process.env.TMPDIR;
  process.env.TMPDIR = join(tmpdir(), 'casefile-no-such-dir', 'x');
  try {
    const noTmp = deriveRuns(db, { force: true });
    expect(noTmp.skipped).toBe(false);
    expect(noTmp.phases.helper).toBeUndefined();
  } finally {
    if (tmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmp;
  }
  expect(snapshot(db)).toEqual(alone);
  process.env.CASEFILE_DERIVE_HELPER = '0';
  try {
    expect(deriveRuns(db, { force: true }).phases.helper).toBeUndefined();
  } finally {
    delete process.env.CASEFILE_DERIVE_HELPER;
  }
  return alone;
}

const T0 = Date.parse('2026-10-12T00:00:00Z');
const ts = (s: number) => new Date(T0 + s * 1000).toISOString();
const line = (e: Ev) => JSON.stringify(e);

/** Seals events of one run into a hash chain, in the order given. */
function chain(events: Ev[]): Ev[] {
  let prev: string | null = null;
  return events.map((e) => {
    const ev: Ev = { ...e, prev_hash: prev };
    ev.hash = auditEventHash(ev, sha256Hex);
    prev = ev.hash as string;
    return ev;
  });
}

describe('audit parts built at import derive what grouping every audit event derives', () => {
  it('crafted audit files: interleaved and split runs, chains across files, duplicates, long and numeric inputs', async () => {
    const dir = tempDir('casefile-parts-');
    const bundle = join(dir, 'bundle');
    mkdirSync(bundle);
    const base = { audit_version: 1 };
    const long = `${'héllo 𝒜𝒷 emoji 🙂 '.repeat(30)}end`; // > 400 characters, astral ones among them
    // run A and run B interleaved in file 1; A's undo and a repeat of one of its events in file 2
    const a = [
      { ...base, event_id: 'a0', run_id: 'run_A', seq: 0, ts: ts(0), type: 'run.start', workflow: 'refund-agent', tier: 'auto', trace_id: 'aa01' },
      { ...base, event_id: 'a1', run_id: 'run_A', seq: 1, ts: ts(1), type: 'input', input: { text: long }, trace_id: 'aa01' },
      { ...base, event_id: 'a2', run_id: 'run_A', seq: 2, ts: ts(2), type: 'tool.call', tool: { name: 'look up,order' }, trace_id: 'aa02' },
      { ...base, event_id: 'a3', run_id: 'run_A', seq: 3, ts: ts(3), type: 'model.call', model: { name: 'm', version: '2' }, output: { content: 'refund issued' } },
      { ...base, event_id: 'a4', run_id: 'run_A', seq: 4, ts: ts(4), type: 'write', write: { system: 'billing', record: 'r1', field: 'amount', before: 1, after: 100 } },
    ];
    const b = [
      { ...base, event_id: 'b0', run_id: 'run_B', seq: 0, ts: ts(0.5), type: 'run.start', workflow: 'kb-answer', tier: 'draft', trace_id: 'bb01' },
      { ...base, event_id: 'b1', run_id: 'run_B', seq: 1, ts: ts(1.5), type: 'input', input: { text: 12345 }, trace_id: 'bb02' },
      { ...base, event_id: 'b2', run_id: 'run_B', seq: 2, ts: ts(2.5), type: 'model.call', model: { name: 'm' }, output: { text: 'we ship' }, trace_id: 'bb03' },
      { ...base, event_id: 'b3', run_id: 'run_B', seq: 3, ts: ts(3.5), type: 'policy.decision', decision: { policy_id: 'p', decision: 'deny', reason_codes: ['pii'] } },
    ];
    // run C: hash-chained; its later events come first (file 1), its first ones in file 2
    const c = chain([
      { ...base, event_id: 'c0', run_id: 'run_C', seq: 0, ts: ts(10), type: 'run.start', workflow: 'refund-agent', tier: 'approve' },
      { ...base, event_id: 'c1', run_id: 'run_C', seq: 1, ts: ts(11), type: 'input', input: 'damaged' },
      { ...base, event_id: 'c2', run_id: 'run_C', seq: 2, ts: ts(12), type: 'model.call', model: { name: 'm', version: '3' } },
      { ...base, event_id: 'c3', run_id: 'run_C', seq: 3, ts: ts(13), type: 'output', output: { text: 'ok' } },
    ]);
    // run D: chained without seq, one link broken (d2 names a hash that is not d1's)
    const d = chain([
      { ...base, event_id: 'd0', run_id: 'run_D', ts: ts(20), type: 'run.start', workflow: 'kb-answer', tier: 'auto' },
      { ...base, event_id: 'd1', run_id: 'run_D', ts: ts(21), type: 'input', input: { text: 'wrong chain' } },
      { ...base, event_id: 'd2', run_id: 'run_D', ts: ts(22), type: 'output', output: { text: 'x' } },
    ]);
    d[2] = { ...d[2], prev_hash: 'f'.repeat(64) };
    d[2]!.hash = auditEventHash(d[2]!, sha256Hex);
    // run E: no run.start (workflow from its other events), an approval rejected, a user signal with no type-specific text
    const e = [
      { ...base, event_id: 'e0', run_id: 'run_E', seq: 0, ts: ts(30), type: 'input', workflow: 'refund-agent', input: { text: '' } },
      { ...base, event_id: 'e1', run_id: 'run_E', seq: 1, ts: ts(31), type: 'approval', approval: { approver: 'x', decision: 'rejected' } },
    ];
    // run F: two traces in its part of file 1, a third one in its part of file 2 (each part holds its traces)
    const f = [
      { ...base, event_id: 'f0', run_id: 'run_F', seq: 0, ts: ts(40), type: 'run.start', workflow: 'kb-answer', tier: 'draft', trace_id: 'ff01' },
      { ...base, event_id: 'f1', run_id: 'run_F', seq: 1, ts: ts(41), type: 'input', input: { text: 'three traces' }, trace_id: 'ff02' },
      { ...base, event_id: 'f2', run_id: 'run_F', seq: 2, ts: ts(42), type: 'output', output: { text: 'ok' }, trace_id: 'ff03' },
    ];
    const file1 = [a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], c[2], c[3], d[0], d[1], d[2], e[0], e[1], f[0], f[1]];
    const file2 = [
      c[0],
      c[1],
      { ...base, event_id: 'a5', run_id: 'run_A', ts: ts(100), type: 'user.signal', signal: { kind: 'undo', note: 'wrong amount' } },
      a[3], // the same event again: stored once
      { ...base, event_id: 'e2', run_id: 'run_E', ts: ts(101), type: 'user.signal', signal: { kind: 'complaint' } },
      { ...base, event_id: 'b4', run_id: 'run_B', seq: 4, ts: ts(4.5), type: 'output', output: { text: 'shipped' }, trace_id: 'bb04' },
      f[2],
    ];
    // more concurrent runs than the builder keeps open (OPEN_PARTS): round robin, each event of a run in a part of its own
    const many = Array.from({ length: OPEN_PARTS + 6 }, (_, i) =>
      chain([
        { ...base, event_id: `r${i}.0`, run_id: `run_R${i}`, seq: 0, ts: ts(200 + i), type: 'run.start', workflow: 'kb-answer', tier: 'draft' },
        { ...base, event_id: `r${i}.1`, run_id: `run_R${i}`, seq: 1, ts: ts(300 + i), type: 'input', input: { text: `question ${i}` } },
        { ...base, event_id: `r${i}.2`, run_id: `run_R${i}`, seq: 2, ts: ts(400 + i), type: 'output', output: { text: `answer ${i}` } },
      ]),
    );
    const file3 = [0, 1, 2].flatMap((k) => many.map((evs) => evs[k]!));
    writeFileSync(join(bundle, 'a1.jsonl'), `${file1.map(line).join('\n')}\n`);
    writeFileSync(join(bundle, 'a2.jsonl'), `${file2.map(line).join('\n')}\n`);
    writeFileSync(join(bundle, 'a3.jsonl'), `${file3.map(line).join('\n')}\n`);
    const casePath = join(dir, 'c.casefile');
    const r = await importInProcess(casePath, ['a1', 'a2', 'a3'].map((f) => join(bundle, `${f}.jsonl`)));
    expect(r.errors).toEqual([]);
    expect(r.sources.map((s) => s.quarantined)).toEqual([0, 0, 0]);
    const db = openDb(casePath);
    try {
      // the parts as built: one per run and file (A and B interleave in file 1; A's repeated event is not counted again)
      const parts = db.prepare('SELECT run_id, n FROM audit_run_parts ORDER BY first_id').all() as Array<{ run_id: string; n: number }>;
      expect(parts.filter((p) => p.run_id === 'run_A').map((p) => p.n)).toEqual([5, 1]);
      expect(parts.filter((p) => p.run_id === 'run_C').map((p) => p.n)).toEqual([2, 2]);
      expect(parts.filter((p) => p.run_id === 'run_R0').map((p) => p.n)).toEqual([1, 1, 1]);
      expect(parts.reduce((s, p) => s + p.n, 0)).toBe(file1.length + file2.length + file3.length - 1); // the repeated event once

      const run = (id: string) => db.prepare('SELECT * FROM runs WHERE run_id = ?').get(id) as Record<string, unknown>;
      expect(run('run_A')).toMatchObject({ n_audit: 6, n_writes: 1, n_undo: 1, workflow: 'refund-agent', tier: 'auto', model_version: '2', input_len: charLength(long) });
      expect(charLength(long)).toBeLessThan(long.length); // the astral characters count once, as SQLite counts them
      expect(run('run_A').tools).toBe('look_up_order');
      // a numeric input counts as SQLite's text of the stored number: JavaScript numbers are stored as REAL ('12345.0')
      expect(run('run_B')).toMatchObject({ n_audit: 5, input_len: '12345.0'.length, decisions: 'deny', reason_codes: 'pii' });
      expect(run('run_E')).toMatchObject({ workflow: 'refund-agent', n_approval_rejected: 1, n_complaint: 1, input_len: 0 });
      const breaks = db.prepare("SELECT run_id FROM run_findings WHERE code = 'HASH_CHAIN_BROKEN' ORDER BY run_id").all() as Array<{ run_id: string }>;
      // C is whole once its two parts are put in seq order, and so are the round-robin runs
      expect(breaks.map((x) => x.run_id)).toEqual(['run_D']);
      expect(run('run_R3')).toMatchObject({ n_audit: 3, input_len: 'question 3'.length, input_lang: run('run_R4').input_lang });
      expect((db.prepare("SELECT count(*) n FROM run_traces WHERE run_id = 'run_B'").get() as { n: number }).n).toBe(4);
      // F's parts hold two traces and one: all three are the run's
      expect(parts.filter((p) => p.run_id === 'run_F').map((p) => p.n)).toEqual([2, 1]);
      expect((db.prepare("SELECT trace_id FROM run_traces WHERE run_id = 'run_F' ORDER BY trace_id").all() as Array<{ trace_id: string }>).map((x) => x.trace_id)).toEqual(['ff01', 'ff02', 'ff03'].map((t) => t.padStart(32, '0')));

      withAndWithoutHelper(db);
      const { fromParts, fromSql } = bothWays(db);
      expect(fromSql).toEqual(fromParts);
    } finally {
      db.close();
    }
  });

  it('the sample incident derives the same runs from its parts as from its events', async () => {
    const dir = tempDir('casefile-parts-sample-');
    const out = join(dir, 'bundle');
    await generateSample({ out, runs: 1200, seed: 7 });
    const casePath = join(dir, 's.casefile');
    const r = await importInProcess(casePath, [out]);
    expect(r.errors).toEqual([]);
    const db = openDb(casePath);
    try {
      // new audit events keep facts only where the derivation reads them one by one
      const kept = (db.prepare("SELECT count(*) n FROM records r JOIN record_facts f ON f.id = r.id WHERE r.kind = 'audit'").get() as { n: number }).n;
      const wanted = (db.prepare("SELECT count(*) n FROM records WHERE kind = 'audit' AND name IN ('policy.decision', 'write')").get() as { n: number }).n;
      expect(kept).toBe(wanted);
      // the decision side is read from the facts alone (decisionsSql): every OPA decision has its row
      const decisions = db.prepare("SELECT count(*) n, count(f.id) withFacts FROM records r LEFT JOIN record_facts f ON f.id = r.id WHERE r.kind = 'decision'").get() as { n: number; withFacts: number };
      expect(decisions.n).toBeGreaterThan(100);
      expect(decisions.withFacts).toBe(decisions.n);
      expect(withAndWithoutHelper(db).runs.length).toBe(1200);
      const { fromParts, fromSql } = bothWays(db);
      expect(fromParts.runs.length).toBe(1200);
      expect(fromParts.findings.some((f) => (f as { code: string }).code === 'HASH_CHAIN_BROKEN')).toBe(true);
      expect(fromSql).toEqual(fromParts);
    } finally {
      db.close();
    }
  }, 120_000);
});

describe('SQLite text semantics the parts reproduce', () => {
  it('counts, cuts and compares characters as SQLite does', () => {
    const db = openDb(join(tempDir('casefile-parts-sql-'), 'x.casefile'));
    try {
      const samples = ['', 'abc', '𝒜', 'a𝒜b', '\uffff', '\ue000x', '😀😀😀', `${'é'.repeat(3)}𝒜`];
      for (const s of samples) {
        expect(charLength(s), s).toBe(db.prepare('SELECT length(?) n').pluck().get(s));
        for (const n of [0, 1, 2, 3]) expect(headChars(s, n), `${s}:${n}`).toBe(db.prepare('SELECT substr(?, 1, ?) s').pluck().get(s, n));
        for (const t of samples) {
          const sql = db.prepare('SELECT CASE WHEN ? < ? THEN -1 WHEN ? > ? THEN 1 ELSE 0 END').pluck().get(s, t, s, t) as number;
          expect(Math.sign(compareText(s, t)), `${s} vs ${t}`).toBe(sql);
        }
      }
    } finally {
      db.close();
    }
  });
});

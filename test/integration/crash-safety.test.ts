import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cliAsync, cliJson, tempDir } from '../helpers/cli';
import { writeAuditJsonl } from '../helpers/audit-jsonl';
import { ImportApplier } from '../../electron/core/import/apply';

/**
 * Write a bundle big enough that an import takes a few seconds: audit JSONL split over several files, over
 * 64 MB in all, so the import runs in bulk mode (secondary indexes dropped, rollback journal: store/db.ts).
 */
const NOTES = 'the parcel was left at the door in the rain; the box was torn and the item inside is scratched. '.repeat(3);

async function writeBundle(dir: string, files: number, linesPerFile: number) {
  mkdirSync(dir, { recursive: true });
  for (let f = 0; f < files; f++) {
    await writeAuditJsonl(join(dir, `audit-${f}.jsonl`), {
      first: f * linesPerFile,
      lines: linesPerFile,
      eventsPerRun: 5,
      input: (n) => ({ text: `customer ${n} asks for a refund of order ${n * 7} because the parcel arrived damaged`, notes: NOTES }),
      brokenEvery: 997, // some quarantine too
    });
  }
}

/** The child's exit code (or signal), however early it exits: listened to from the start. */
function exitOf(child: ReturnType<typeof cliAsync>): Promise<number | string | null> {
  return new Promise((r) => child.once('exit', (code, signal) => r(code ?? signal)));
}

function counts(casePath: string) {
  // read-write, as any SQLite client that finds a killed import's hot journal must open it to roll it back
  const db = new Database(casePath);
  try {
    const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
    const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      integrity,
      records: one('SELECT count(*) n FROM records'),
      provenance: one('SELECT count(*) n FROM record_provenance'),
      quarantine: one('SELECT count(*) n FROM quarantine'),
      sources: one("SELECT count(*) n FROM sources WHERE status='complete'"),
      runs: one('SELECT count(*) n FROM runs'),
      runsFts: one('SELECT count(*) n FROM runs_fts'),
    };
  } finally {
    db.close();
  }
}

describe('crash safety: kill -9 during import leaves a case that opens, passes integrity_check, and re-imports to the same counts', () => {
  let dir: string;
  let bundle: string;
  let reference: ReturnType<typeof counts>;
  let refTotals: any;
  /** how long the uninterrupted import took: the kills land at fractions of it */
  let refMs = 0;

  beforeAll(async () => {
    dir = tempDir('casefile-crash-');
    bundle = join(dir, 'bundle');
    await writeBundle(bundle, 4, 40_000);
    const bytes = readdirSync(bundle).reduce((n, f) => n + statSync(join(bundle, f)).size, 0);
    expect(bytes).toBeGreaterThan(ImportApplier.BULK_THRESHOLD);
    const t0 = Date.now();
    const ref = cliJson(['import', bundle, '--case', join(dir, 'reference.casefile')]);
    refMs = Date.now() - t0;
    expect(ref.code).toBe(0);
    refTotals = ref.json.totals;
    reference = counts(join(dir, 'reference.casefile'));
    expect(reference.records).toBe(160_000);
  }, 300_000);

  for (const fraction of [0.05, 0.25, 0.5, 0.8]) {
    it(`killed at ${fraction * 100} % of an import's time`, async () => {
      const casePath = join(dir, `killed-${fraction}.casefile`);
      const child = cliAsync(['import', bundle, '--case', casePath, '--quiet']);
      const exited = exitOf(child);
      await new Promise((r) => setTimeout(r, Math.round(refMs * fraction)));
      child.kill('SIGKILL');
      await exited;
      if (existsSync(casePath)) {
        // Casefile's read-only open (CLI queries, the app's readers) works on the killed case as it is
        const sources = cliJson(['sources', casePath]);
        expect(sources.code).toBe(0);
        const after = counts(casePath);
        expect(after.integrity).toEqual(['ok']);
        // every committed source is whole: records are a multiple of whole files
        expect(after.sources).toBeLessThanOrEqual(4);
      }
      const again = cliJson(['import', bundle, '--case', casePath]);
      expect(again.code).toBe(0);
      expect(again.json.totals).toEqual(refTotals);
      const c = counts(casePath);
      expect(c).toEqual(reference);
    }, 300_000);
  }

  it('Ctrl-C (SIGINT) cancels: exit 130, the source being written is rolled back, earlier ones stay, re-import completes', async () => {
    const casePath = join(dir, 'interrupted.casefile');
    const child = cliAsync(['import', bundle, '--case', casePath, '--json']);
    const exited = exitOf(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    // wait until the first source is committed, then interrupt
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        let committed = 0;
        try {
          committed = existsSync(casePath) ? counts(casePath).sources : 0;
        } catch {
          // the case is still being created (no tables yet)
        }
        if (committed >= 1) {
          clearInterval(t);
          resolve();
        }
      }, 50);
    });
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(130);
    const result = JSON.parse(out);
    expect(result.cancelled).toBe(true);
    const after = counts(casePath);
    expect(after.integrity).toEqual(['ok']);
    expect(after.sources).toBeGreaterThanOrEqual(1);
    expect(after.sources).toBeLessThan(4);
    expect(after.records).toBe(after.sources * 40_000); // whole files only
    const again = cliJson(['import', bundle, '--case', casePath]);
    expect(again.code).toBe(0);
    expect(counts(casePath)).toEqual(reference);
  }, 300_000);
});

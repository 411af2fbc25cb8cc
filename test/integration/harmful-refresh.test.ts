import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importInProcess } from '../../electron/core/import/apply';
import { openDb } from '../../electron/core/store/db';
import { deleteLabel, refreshAllRunHarmful, setLabel } from '../../electron/core/store/labels-store';
import { generateSample } from '../../electron/core/sample/generate';
import { tempDir } from '../helpers/cli';

describe('runs.harmful refreshed for the whole case', () => {
  it('labelled runs get their verdict, deleted labels and stale values go back to NULL, the rest stay NULL', async () => {
    const dir = tempDir('casefile-harmful-');
    const out = join(dir, 'bundle');
    await generateSample({ out, runs: 60, seed: 3 });
    const casePath = join(dir, 'h.casefile');
    const r = await importInProcess(casePath, [out]);
    expect(r.errors).toEqual([]);
    const db = openDb(casePath);
    try {
      const ids = (db.prepare('SELECT run_id FROM runs ORDER BY rid LIMIT 5').all() as Array<{ run_id: string }>).map((x) => x.run_id);
      const [harmful, benign, deleted, stale, both] = ids as [string, string, string, string, string];
      setLabel(db, { runId: harmful, category: 'materially-wrong-write', verdict: 'harmful' });
      setLabel(db, { runId: benign, category: 'materially-wrong-write', verdict: 'benign' });
      const gone = setLabel(db, { runId: deleted, category: 'materially-wrong-write', verdict: 'harmful' });
      deleteLabel(db, gone.id);
      setLabel(db, { runId: both, category: 'materially-wrong-write', verdict: 'benign' });
      setLabel(db, { runId: both, category: 'pii-exposure', verdict: 'harmful' });
      db.prepare('UPDATE runs SET harmful = 1 WHERE run_id = ?').run(stale); // a value no label supports
      refreshAllRunHarmful(db);
      const got = new Map((db.prepare('SELECT run_id, harmful FROM runs').all() as Array<{ run_id: string; harmful: number | null }>).map((x) => [x.run_id, x.harmful]));
      expect(got.get(harmful)).toBe(1);
      expect(got.get(benign)).toBe(0);
      expect(got.get(deleted)).toBeNull();
      expect(got.get(stale)).toBeNull();
      expect(got.get(both)).toBe(1);
      expect([...got.values()].filter((v) => v !== null)).toHaveLength(3);
    } finally {
      db.close();
    }
  });
});

/**
 * Progress while one large file streams: bytes done grow block by block (not only when a source ends), and
 * end at the total. Drives the real pipeline (reader thread, parse workers, writer) built into dist/.
 */
import { describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/cli';
import { writeAuditJsonl } from '../helpers/audit-jsonl';
import { importIntoCase } from '../../electron/core/import/run-import';
import type { ImportProgress } from '../../shared/import-types';

describe('import progress', () => {
  it('reports bytes done within a single large file, block by block', async () => {
    const dir = tempDir('casefile-progress-');
    const file = join(dir, 'audit.jsonl');
    await writeAuditJsonl(file, { lines: 120_000, eventsPerRun: 4, input: (n) => ({ text: `customer ${n} asks for a refund of order ${n * 7}: ${'the parcel arrived damaged. '.repeat(12)}` }) });
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(40 * 1024 * 1024);
    const events: ImportProgress[] = [];
    const r = await importIntoCase(join(dir, 'p.casefile'), [file], { inThisThread: true, onProgress: (p) => events.push(p) });
    expect(r.sources).toHaveLength(1);
    expect(r.sources[0]!.stored).toBe(120_000);
    // while the only source is still being written, bytes done are strictly between 0 and the file's size
    const during = events.filter((p) => p.sourcesDone === 0 && p.records > 0);
    expect(during.length).toBeGreaterThan(1);
    const inside = during.filter((p) => p.bytesDone > 0 && p.bytesDone < size);
    expect(inside.length).toBeGreaterThan(1);
    // and they move: not one figure held from the source's start until its end
    expect(new Set(inside.map((p) => p.bytesDone)).size).toBeGreaterThan(2);
    expect(Math.max(...inside.map((p) => p.bytesDone))).toBeGreaterThan(size / 2);
    // never backwards, and the last event says all of it
    for (let i = 1; i < events.length; i++) expect(events[i]!.bytesDone).toBeGreaterThanOrEqual(events[i - 1]!.bytesDone);
    expect(events.at(-1)!.bytesDone).toBe(size);
    expect(events.at(-1)!.bytesTotal).toBe(size);
  }, 120_000);
});

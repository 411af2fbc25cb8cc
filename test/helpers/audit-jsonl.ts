import { createWriteStream } from 'node:fs';

/**
 * Writes Casefile audit JSONL for import tests that need volume: `lines` input events numbered from `first`,
 * `eventsPerRun` per run, one second apart. With `brokenEvery`, a truncated line follows every event whose
 * number is a multiple of it (quarantine material).
 */
export async function writeAuditJsonl(
  file: string,
  opts: { first?: number; lines: number; eventsPerRun: number; input: (n: number) => Record<string, unknown>; brokenEvery?: number },
): Promise<void> {
  const ws = createWriteStream(file);
  const first = opts.first ?? 0;
  for (let n = first; n < first + opts.lines; n++) {
    const ev = {
      audit_version: 1,
      event_id: `evt_${n}`,
      run_id: `run_${Math.floor(n / opts.eventsPerRun)}`,
      seq: n % opts.eventsPerRun,
      ts: new Date(Date.UTC(2026, 9, 12) + n * 1000).toISOString(),
      type: 'input',
      workflow: 'refund-agent',
      tier: 'auto',
      input: opts.input(n),
    };
    if (!ws.write(`${JSON.stringify(ev)}\n`)) await new Promise<void>((r) => ws.once('drain', () => r()));
    if (opts.brokenEvery && n % opts.brokenEvery === 0) ws.write('{"broken": \n');
  }
  await new Promise<void>((r) => ws.end(r));
}

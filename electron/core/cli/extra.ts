import { resolve } from 'node:path';
import type { Command } from './main';
import { generateSample } from '../sample/generate';
import { SERVE_BUDGET_COMMANDS } from './serve-budget';
import { LABEL_EXPORT_COMMANDS } from './labels-export';
import { RECON_COMMANDS } from './recon-commands';

/** Commands beyond import/sources/quarantine/verify. */
export const EXTRA_COMMANDS: Record<string, Command> = {
  sample: {
    summary: 'write the deterministic sample incident bundle (and its answer key beside it)',
    usage: 'casefile sample --out <dir> [--runs N] [--seed S]',
    options: { out: { type: 'string' }, runs: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' } },
    async run(_pos, v) {
      if (!v.out) throw new Error('--out <dir> is required');
      const runs = v.runs ? Number(v.runs) : undefined;
      const seed = v.seed ? Number(v.seed) : undefined;
      let last = 0;
      const summary = await generateSample({
        out: resolve(String(v.out)),
        ...(runs !== undefined ? { runs } : {}),
        ...(seed !== undefined ? { seed } : {}),
        onProgress: (n) => {
          if (Date.now() - last > 1000) {
            last = Date.now();
            process.stderr.write(`sample: ${n} runs written\n`);
          }
        },
      });
      if (v.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else process.stderr.write(`sample bundle written to ${resolve(String(v.out))}\n`);
      return 0;
    },
  },
  ...SERVE_BUDGET_COMMANDS,
  ...LABEL_EXPORT_COMMANDS,
  ...RECON_COMMANDS,
};

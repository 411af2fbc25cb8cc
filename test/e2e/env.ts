/** What the global setup hands the specs (written to test-results/e2e/env.json). */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const E2E_DIR = join(ROOT, 'test-results', 'e2e');
export const SCREENS = join(ROOT, 'test-results', 'screens');

export interface E2eEnv {
  url: string;
  origin: string;
  token: string;
  pid: number;
  dataDir: string;
  sampleBundle: string;
  /** `casefile import <sample> --json` totals, computed by the CLI, not by the UI */
  cliTotals: Record<string, number>;
  answerKey: {
    harmful_runs: Array<{ run_id: string; after: unknown; before: unknown; correct: unknown; field: string; model_version: string; workflow: string; tier: string; cause: string }>;
    lineage: { model_versions: Record<string, { inputs: Array<{ name: string; version: string }> }> };
    trigger_replay: Array<{ budget_id: string; rule: string; workflow: string; tier: string; sli: string; fires_at: string | null; action: string }>;
  };
  xssBundle: string;
}

export function e2eEnv(): E2eEnv {
  return JSON.parse(readFileSync(join(E2E_DIR, 'env.json'), 'utf8')) as E2eEnv;
}

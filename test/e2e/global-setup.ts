/**
 * Builds, writes the sample bundle and its CLI import totals (the reference the UI must match), writes an
 * XSS bundle, and starts `casefile serve --port 0 --empty` on a fresh data dir, reading the URL from the
 * first stdout line. Everything the specs need goes to test-results/e2e/env.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_DIR, ROOT, SCREENS, type E2eEnv } from './env';
import { writeXssBundle } from './xss-bundle';

export default async function globalSetup(): Promise<void> {
  if (!existsSync('/usr/bin/chromium')) throw new Error('Chromium is missing: apt-get update && apt-get install -y chromium');
  rmSync(E2E_DIR, { recursive: true, force: true });
  mkdirSync(E2E_DIR, { recursive: true });
  rmSync(SCREENS, { recursive: true, force: true });
  mkdirSync(SCREENS, { recursive: true });
  if (process.env.CASEFILE_E2E_SKIP_BUILD !== '1') execFileSync(process.execPath, [join(ROOT, 'build', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  const cli = join(ROOT, 'bin', 'casefile.cjs');

  // the reference: the same sample bundle imported by the CLI
  const sampleBundle = join(E2E_DIR, 'sample-bundle');
  execFileSync(process.execPath, [cli, 'sample', '--out', sampleBundle], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const cliJson = execFileSync(process.execPath, [cli, 'import', sampleBundle, '--case', join(E2E_DIR, 'cli.casefile'), '--json', '--quiet'], { cwd: ROOT, maxBuffer: 64 << 20 }).toString('utf8');
  const cliTotals = (JSON.parse(cliJson) as { totals: Record<string, number> }).totals;
  const keyFile = readdirSync(E2E_DIR).map((f) => join(E2E_DIR, f)).find((f) => f.endsWith('.answer-key.json')) ?? join(E2E_DIR, 'sample-bundle.answer-key.json');
  const answerKey = JSON.parse(readFileSync(keyFile, 'utf8')) as E2eEnv['answerKey'];

  const xssBundle = writeXssBundle(join(E2E_DIR, 'xss-bundle'));

  const dataDir = join(E2E_DIR, 'data');
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--empty', '--data-dir', dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    let err = '';
    const t = setTimeout(() => reject(new Error(`casefile serve did not print its URL in time\n${err}`)), 120_000);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(t);
        resolve(buf.slice(0, nl).trim());
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => (err += d));
    child.on('exit', (code) => reject(new Error(`casefile serve exited (${code})\n${err}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  child.unref();
  const u = new URL(url);
  const token = new URLSearchParams(u.hash.slice(1)).get('token') ?? '';
  const env: E2eEnv = { url, origin: u.origin, token, pid: child.pid!, dataDir, sampleBundle, cliTotals, answerKey, xssBundle };
  writeFileSync(join(E2E_DIR, 'env.json'), JSON.stringify(env, null, 2));
}

/**
 * HTML → PDF. In Electron the shell passes `printToPdf` (webContents.printToPDF); in the loopback server and
 * the CLI, headless Chromium prints the file (its own profile and HOME in a temporary directory, no network
 * services, no sandbox-less surprises beyond --no-sandbox which containers need).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export function chromiumPath(explicit?: string): string | null {
  for (const p of [explicit, process.env.CASEFILE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome']) {
    if (p && existsSync(p)) return p;
  }
  return null;
}

export function printWithChromium(htmlPath: string, pdfPath: string, opts: { chromium?: string; timeoutMs?: number } = {}): Promise<void> {
  const bin = chromiumPath(opts.chromium);
  if (!bin) return Promise.reject(new Error('report-pdf needs Chromium (set CASEFILE_CHROMIUM) or the Electron shell\'s printToPDF'));
  const home = mkdtempSync(join(tmpdir(), 'casefile-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-extensions',
    '--no-default-browser-check',
    `--user-data-dir=${join(home, 'profile')}`,
    '--no-pdf-header-footer',
    `--print-to-pdf=${pdfPath}`,
    pathToFileURL(htmlPath).href,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: { ...process.env, HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      rmSync(home, { recursive: true, force: true });
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      rmSync(home, { recursive: true, force: true });
      const ok = existsSync(pdfPath) && readFileSync(pdfPath).subarray(0, 5).toString() === '%PDF-';
      if (ok) resolve();
      else reject(new Error(`Chromium could not print ${htmlPath} (exit ${code}): ${stderr.split('\n').filter((l) => l && !/dbus|Fontconfig/i.test(l)).slice(-5).join(' | ')}`));
    });
  });
}

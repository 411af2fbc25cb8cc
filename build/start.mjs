// `npm start`: the desktop app (Electron) when its binary is here; otherwise the very same workstation
// through the loopback transport (`casefile serve`), opened in a browser when there is a display.
// Extra arguments (a bundle or a case) are passed on; with none, the built-in sample incident opens.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

/**
 * The Electron binary, found the way require('electron') finds it (path.txt → node_modules/electron/dist)
 * but WITHOUT require('electron') itself: in electron ≥ 40 that starts a download when the binary is
 * missing, and this machine may be offline.
 */
function electronBinary() {
  const pkgDir = join(root, 'node_modules', 'electron');
  const pathFile = join(pkgDir, 'path.txt');
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const rel = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : 'electron';
    const p = join(process.env.ELECTRON_OVERRIDE_DIST_PATH, rel);
    return existsSync(p) ? p : null;
  }
  if (!existsSync(pathFile)) return null;
  const p = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(p) ? p : null;
}

const hasDisplay = () => process.platform === 'win32' || process.platform === 'darwin' || !!process.env.DISPLAY || !!process.env.WAYLAND_DISPLAY;

function forward(child) {
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
}

const bin = electronBinary();
const main = join(root, 'dist', 'electron-main.cjs');
if (bin && existsSync(main) && hasDisplay()) {
  forward(spawn(bin, [main, ...args], { stdio: 'inherit', cwd: root }));
} else {
  const serveArgs = ['serve', ...args.filter((a) => a.endsWith('.casefile')).slice(0, 1)];
  const child = spawn(process.execPath, [join(root, 'bin', 'casefile.cjs'), ...serveArgs], { stdio: ['inherit', 'pipe', 'inherit'], cwd: root });
  forward(child);
  let first = true;
  let buf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    if (!first) return void process.stdout.write(chunk);
    buf += chunk;
    const nl = buf.indexOf('\n');
    if (nl < 0) return;
    first = false;
    const url = buf.slice(0, nl).trim();
    const why = !bin ? 'Electron binary not available here (offline)' : !hasDisplay() ? 'no display for the Electron window here' : 'Electron main not built';
    process.stdout.write(`${why}; opening the same workstation in your browser via the loopback transport: ${url}\n`);
    process.stdout.write(buf.slice(nl + 1));
    if (hasDisplay()) {
      const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
      try {
        const o = spawn(opener, [url], { stdio: 'ignore', detached: true });
        o.on('error', () => {});
        o.unref();
      } catch {}
    }
  });
}

// Builds the Node side (CLI, workers, Electron main/preload) with esbuild and the renderer with Vite.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entries = {
  cli: 'electron/core/cli/main.ts',
  'import-worker': 'electron/core/workers/import-worker.ts',
  'reader-worker': 'electron/core/workers/reader-worker.ts',
  'parse-worker': 'electron/core/workers/parse-worker.ts',
  'query-worker': 'electron/core/workers/query-worker.ts',
  'sql-worker': 'electron/core/workers/sql-worker.ts',
  'derive-worker': 'electron/core/workers/derive-worker.ts',
  'electron-main': 'electron/shell/main.ts',
};
// The preload runs sandboxed: its require() knows only a few modules and there is no __filename, so it is
// built on its own, without the import.meta banner below.
const preloadEntry = 'electron/shell/preload.ts';
const present = Object.fromEntries(Object.entries(entries).filter(([, f]) => existsSync(join(root, f))));

await build({
  absWorkingDir: root,
  entryPoints: present,
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  external: ['better-sqlite3', 'electron', '@duckdb/node-api', 'promptfoo'],
  define: { 'import.meta.url': '__casefile_import_meta_url' },
  banner: { js: 'const __casefile_import_meta_url = require("url").pathToFileURL(__filename).href;' },
  logLevel: 'warning',
});

if (existsSync(join(root, preloadEntry))) {
  await build({
    absWorkingDir: root,
    entryPoints: { preload: preloadEntry },
    outdir: 'dist',
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    external: ['electron'],
    logLevel: 'warning',
  });
}

if (existsSync(join(root, 'renderer', 'index.html')) && !process.argv.includes('--no-renderer')) {
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: join(root, 'renderer', 'vite.config.ts'), logLevel: 'warn' });
}
console.error('built dist/');

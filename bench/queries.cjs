// Query benchmarks (run by bench/run.mjs, or alone): node bench/queries.cjs <case> [--force-derive]
// Bundles bench/queries-entry.ts with esbuild, then runs it. Prints one JSON line { rows, info }.
const { buildSync } = require('esbuild');
const { join } = require('node:path');
const { mkdirSync } = require('node:fs');

const root = join(__dirname, '..');
const outDir = join(root, 'bench', 'out');
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, 'queries-entry.cjs');
buildSync({
  absWorkingDir: root,
  entryPoints: [join(root, 'bench', 'queries-entry.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['better-sqlite3', 'electron'],
  define: { 'import.meta.url': '__bench_import_meta_url' },
  banner: { js: 'const __bench_import_meta_url = require("url").pathToFileURL(__filename).href;' },
  logLevel: 'warning',
});
const casePath = process.argv[2];
if (!casePath) {
  console.error('usage: node bench/queries.cjs <case> [--force-derive]');
  process.exit(2);
}
require(outfile)
  .main(casePath, { forceDerive: process.argv.includes('--force-derive') })
  .catch((e) => {
    console.error(e.stack || e);
    process.exit(1);
  });

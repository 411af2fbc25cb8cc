#!/usr/bin/env node
// The `casefile` command: the headless face of the same core the app uses.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const cli = join(__dirname, '..', 'dist', 'cli.cjs');
if (!existsSync(cli)) {
  console.error('casefile: not built yet — run `npm run build` in ' + join(__dirname, '..'));
  process.exit(2);
}
// `casefile … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e && e.code === 'EPIPE') process.exit(0);
  throw e;
});
require(cli)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Path of a bundled worker script (dist/<name>.cjs). From the bundled code it sits beside us; from
 * sources (tests) it is in <repo>/dist, built by `npm run build`.
 */
export function distFile(name: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, name);
  if (existsSync(beside)) return beside;
  let dir = here;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'dist', name);
    if (existsSync(candidate)) return candidate;
    dir = resolve(dir, '..');
  }
  throw new Error(`cannot find ${name}: run \`npm run build\` first`);
}

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared corpus of real files written by other projects: ../shared/corpus beside the repo. */
export const CORPUS_DIR = process.env.CASEFILE_CORPUS ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'corpus');
export const HAVE_CORPUS = existsSync(join(CORPUS_DIR, 'MANIFEST.tsv'));
if (!HAVE_CORPUS) {
  console.warn(`[casefile tests] corpus not found at ${CORPUS_DIR}: tests on real files are SKIPPED (set CASEFILE_CORPUS or place shared/ beside the repo)`);
}
export function corpusPath(rel: string): string {
  return join(CORPUS_DIR, rel);
}
export function corpusText(rel: string): string {
  return readFileSync(corpusPath(rel), 'utf8');
}
export function corpusJson<T = any>(rel: string): T {
  return JSON.parse(corpusText(rel)) as T;
}

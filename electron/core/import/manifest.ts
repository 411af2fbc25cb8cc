import { posix } from 'node:path';
import type { Db } from '../store/db';
import { CaseQueries } from '../store/case-queries';

interface ManifestFile {
  path: string;
  sha256?: string;
  format?: string;
  size?: number;
}

/**
 * Compare every bundle manifest in the case with the sources actually read from the same bundle.
 * Records the expected hash on each matching source and returns human-readable problems.
 */
export function checkManifests(db: Db): string[] {
  const q = new CaseQueries(db);
  const problems: string[] = [];
  const sources = q.sources();
  for (const doc of q.documents('manifest')) {
    let m: { files?: ManifestFile[] };
    try {
      m = JSON.parse(doc.text) as { files?: ManifestFile[] };
    } catch (e) {
      problems.push(`${doc.path}: manifest is not valid JSON: ${(e as Error).message}`);
      continue;
    }
    const dir = doc.member ? posix.dirname(doc.member) : '.';
    for (const f of m.files ?? []) {
      if (typeof f.path !== 'string') continue;
      const member = posix.normalize(posix.join(dir, f.path));
      const src = sources.find((s) => s.container === doc.container && s.member !== null && posix.normalize(s.member) === member);
      if (!src) {
        problems.push(`${doc.path}: lists ${f.path}, which is not in the bundle`);
        continue;
      }
      if (f.sha256) {
        q.setManifestHash(src.id, f.sha256.toLowerCase());
        if (src.sha256 && src.sha256 !== f.sha256.toLowerCase()) problems.push(`${src.path}: SHA-256 ${src.sha256} differs from the manifest's ${f.sha256}`);
      }
      if (f.format && src.format !== f.format && src.status === 'complete') problems.push(`${src.path}: detected as ${src.format}, the manifest says ${f.format}`);
    }
  }
  return problems;
}

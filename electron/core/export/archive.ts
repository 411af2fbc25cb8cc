/**
 * case-archive: a consistent copy of the case file (SQLite online backup) plus a manifest. The archive IS
 * the evidence: it cannot be redacted (manifest: redacted=false, with a note), whatever was asked.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportResult } from '../../../shared/api';
import { backupCase } from '../store/labels-store';
import { sha256File, type ExportContext } from './common';

export async function exportArchive(ctx: ExportContext): Promise<ExportResult> {
  const dest = join(ctx.dir, 'case.casefile');
  await backupCase(ctx.db, dest);
  ctx.track(dest);
  if (ctx.req.redact !== false) ctx.notes.push('redaction was requested but does not apply: the case archive holds the raw evidence');
  ctx.notes.push(`case.casefile: ${statSync(dest).size} bytes, sha256 ${await sha256File(dest)}; open it with Casefile or any SQLite 3 client`);
  return ctx.finish({ allSources: true, exampleCount: 0 });
}

/**
 * `casefile` — the headless face of the core. Each command is registered in COMMANDS; usage errors exit 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ImportProgress, ImportResult } from '../../../shared/import-types';
import { importIntoCase } from '../import/run-import';
import { verifyCase } from '../import/verify';
import { openDb, CaseOpenError } from '../store/db';
import { CaseQueries } from '../store/case-queries';
import { EXTRA_COMMANDS } from './extra';

export class UsageError extends Error {}

export interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(positionals: string[], values: Record<string, unknown>): Promise<number>;
}

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function requireCase(p: string | undefined): string {
  if (!p) throw new UsageError('missing <case>');
  if (!existsSync(p)) throw new UsageError(`no such case file: ${p}`);
  return resolve(p);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

export function printImportSummary(r: ImportResult): void {
  const rows = [['format', 'records', 'stored', 'dup', 'quar', 'skip', 'status', 'path']];
  for (const s of r.sources)
    rows.push([s.format, String(s.records), String(s.stored), String(s.duplicates), String(s.quarantined), String(s.skipped), s.alreadyPresent ? 'already in case' : s.status, s.path]);
  err(table(rows));
  const t = r.totals;
  err(`case ${r.case}: ${t.runs} runs, ${t.spans} spans, ${t.auditEvents} audit events, ${t.decisions} decisions, ${t.lineageEvents} lineage events, ${t.logs} logs; ${t.quarantined} quarantined, ${t.skipped} skipped`);
  for (const e of r.errors) err(`error: ${e}`);
  for (const e of r.manifestProblems) err(`manifest: ${e}`);
  if (r.cancelled) err('import cancelled: the source being written was rolled back');
}

export const COMMANDS: Record<string, Command> = {
  import: {
    summary: 'import files, folders, .zip or .tar.gz bundles into a case (created if needed)',
    usage: 'casefile import <path>... --case <file.casefile> [--json]',
    options: { case: { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean' } },
    async run(pos, v) {
      if (!v.case) throw new UsageError('--case <file.casefile> is required');
      if (pos.length === 0) throw new UsageError('nothing to import: give one or more paths');
      for (const p of pos) if (!existsSync(p)) {
        err(`casefile: cannot read ${p}: no such file or directory`);
        return 1;
      }
      const ac = new AbortController();
      const onSig = () => {
        err('\ncancelling…');
        ac.abort();
      };
      process.once('SIGINT', onSig);
      let last = 0;
      const started = Date.now();
      const tty = process.stderr.isTTY && !v.quiet;
      const r = await importIntoCase(String(v.case), pos, {
        inThisThread: true,
        signal: ac.signal,
        onProgress: (p: ImportProgress) => {
          const now = Date.now();
          if (v.quiet || now - last < (tty ? 100 : 1000)) return;
          last = now;
          const pct = p.bytesTotal ? ((100 * p.bytesDone) / p.bytesTotal).toFixed(1) : '?';
          const line = `import ${pct}% ${fmtBytes(p.bytesDone)}/${fmtBytes(p.bytesTotal)} · ${p.records} records · ${p.quarantined} quarantined · ${p.recordsPerSec}/s · ${fmtBytes(p.bytesPerSec)}/s`;
          if (tty) process.stderr.write(`\r${line.padEnd(110)}`);
          else err(line);
        },
      });
      process.off('SIGINT', onSig);
      if (tty) process.stderr.write('\n');
      if (v.json) {
        out(
          JSON.stringify({
            case: r.case,
            sources: r.sources.map((s) => ({ path: s.path, sha256: s.sha256, format: s.format, records: s.records, quarantined: s.quarantined, skipped: s.skipped, stored: s.stored, duplicates: s.duplicates, status: s.status, alreadyPresent: s.alreadyPresent, error: s.error })),
            totals: { runs: r.totals.runs, spans: r.totals.spans, decisions: r.totals.decisions, lineageEvents: r.totals.lineageEvents, auditEvents: r.totals.auditEvents, quarantined: r.totals.quarantined, logs: r.totals.logs, skipped: r.totals.skipped },
            errors: r.errors,
            manifestProblems: r.manifestProblems,
            cancelled: r.cancelled,
            stats: { elapsedMs: Date.now() - started, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024), ...r.timings },
          }),
        );
      }
      if (!v.quiet) printImportSummary(r);
      const unreadable = r.errors.length > 0 || r.sources.some((s) => s.status !== 'complete');
      return r.cancelled ? 130 : unreadable ? 1 : 0;
    },
  },
  sources: {
    summary: 'list the sources of a case with their hashes and counts',
    usage: 'casefile sources <case> [--json]',
    options: { json: { type: 'boolean' } },
    async run(pos, v) {
      const db = openDb(requireCase(pos[0]), { readonly: true });
      const q = new CaseQueries(db);
      const rows = q.sources();
      const aliases = q.aliases();
      db.close();
      if (v.json) {
        out(JSON.stringify(rows.map((s) => ({ ...s, aliases: aliases.filter((a) => a.source_id === s.id).map((a) => a.path) }))));
        return 0;
      }
      const t = [['id', 'format', 'records', 'stored', 'quar', 'skip', 'status', 'sha256', 'path']];
      for (const s of rows) t.push([String(s.id), s.format, String(s.records_in), String(s.stored), String(s.quarantined), String(s.skipped), s.status, s.sha256.slice(0, 16), s.path + (s.error ? `  (${s.error})` : '')]);
      out(table(t));
      return 0;
    },
  },
  quarantine: {
    summary: 'what import set aside: file, line or JSON path, reason, raw text',
    usage: 'casefile quarantine <case> [--json] [--limit N]',
    options: { json: { type: 'boolean' }, limit: { type: 'string' } },
    async run(pos, v) {
      const db = openDb(requireCase(pos[0]), { readonly: true });
      const q = new CaseQueries(db);
      const rows = q.quarantine(v.limit ? Number(v.limit) : 100_000);
      const skipped = q.skippedSummary();
      db.close();
      if (v.json) {
        out(JSON.stringify({ quarantined: rows, skipped }));
        return 0;
      }
      if (rows.length === 0) out('nothing quarantined');
      for (const r of rows) {
        const where = [r.line != null ? `line ${r.line}` : null, r.path].filter(Boolean).join(' ');
        out(`${r.sourcePath}${where ? `:${where}` : ''}: ${r.reason}`);
        if (r.raw) out(`    ${r.raw.slice(0, 200).replace(/\n/g, '\\n')}${r.raw.length > 200 ? '…' : ''}`);
      }
      for (const s of skipped) out(`skipped ${s.n} × (source ${s.sourceId}): ${s.reason}`);
      return 0;
    },
  },
  verify: {
    summary: 're-hash every source still on disk, check audit hash chains and the database integrity',
    usage: 'casefile verify <case> [--json]',
    options: { json: { type: 'boolean' } },
    async run(pos, v) {
      const r = await verifyCase(requireCase(pos[0]));
      if (v.json) out(JSON.stringify(r));
      else {
        for (const s of r.sources) {
          if (s.status === 'ok') out(`ok        ${s.path}`);
          else out(`${s.status.toUpperCase().padEnd(9)} ${s.path}${s.actual ? ` (expected ${s.expected}, found ${s.actual})` : ''}${s.note ? ` — ${s.note}` : ''}`);
        }
        out(`hash chains: ${r.chains.runsChecked} runs, ${r.chains.eventsChecked} events, ${r.chains.breaks.length} breaks`);
        for (const b of r.chains.breaks) out(`CHAIN     run ${b.runId} event ${b.eventId} (${b.sourcePath}${b.line != null ? ` line ${b.line}` : ''}): ${b.reason}`);
        for (const i of r.integrity) out(`INTEGRITY ${i}`);
        for (const m of r.manifest) out(`MANIFEST  ${m}`);
        out(r.ok ? 'verified: no mismatch' : 'VERIFY FAILED');
      }
      return r.ok ? 0 : 1;
    },
  },
  ...EXTRA_COMMANDS,
};

function help(): string {
  const lines = ['casefile — offline incident forensics for AI systems', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${c.usage.padEnd(72)} ${c.summary}`.replace(`  casefile ${name}`, `  casefile ${name}`));
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(help());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    err(`casefile: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (values.help) {
      out(`usage: ${cmd.usage}\n${cmd.summary}`);
      return 0;
    }
    return await cmd.run(positionals, values as Record<string, unknown>);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err(`casefile ${name}: ${(e as Error).message}\nusage: ${cmd.usage}`);
      return 2;
    }
    if (e instanceof CaseOpenError) {
      err(`casefile ${name}: ${e.message}`);
      return 1;
    }
    err(`casefile ${name}: ${(e as Error).stack ?? e}`);
    return 1;
  }
}


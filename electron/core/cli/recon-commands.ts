/** `casefile runs`, `casefile show`, `casefile diff`, `casefile sql`: finding and reconstructing runs. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FindingCode, ReconstructedRun, RunDiff, RunQuery, SqlResult } from '../../../shared/api';
import type { PolicyDecision } from '../../../shared/model';
import { usToIso } from '../../../shared/model';
import { describeDiff } from '../../../shared/diff';
import { FINDING_CODES } from '../../../shared/findings';
import { openDb, type Db } from '../store/db';
import { diffRuns, ensureRuns, getRun, listRuns, sqlQuery } from '../recon/index';
import type { Command } from './main';

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);

class CliUsage extends Error {
  readonly code = 'ERR_PARSE_ARGS_CASEFILE_USAGE';
}

function casePath(p: string | undefined): string {
  if (!p) throw new CliUsage('missing <case>');
  if (!existsSync(p)) throw new CliUsage(`no such case file: ${p}`);
  return resolve(p);
}

/** Opens a case, bringing its schema and derived runs up to date (read-only when the file cannot be written). */
function openCase(p: string): Db {
  let db: Db;
  try {
    db = openDb(p);
  } catch {
    return openDb(p, { readonly: true });
  }
  ensureRuns(db);
  return db;
}

/** Opens the case for a command that looks runs up: an unknown run is exit 1 with its message, not a crash. */
function withRunLookup(p: string, fn: (db: Db) => void): number {
  const db = openCase(p);
  try {
    fn(db);
    return 0;
  } catch (e) {
    if ((e as { code?: string }).code !== 'NOT_FOUND') throw e;
    process.stderr.write(`casefile: ${(e as Error).message}\n`);
    return 1;
  } finally {
    db.close();
  }
}

const iso = (us: number | null | undefined) => (us == null ? '—' : usToIso(us).replace(/(\.\d{3})\d{3}Z$/, '$1Z'));

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** Values of a repeatable option, also split on commas. */
function many(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const list = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter(Boolean);
  return list.length ? list : undefined;
}

function timeArg(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (/^\d+$/.test(s)) return Number(s);
  const ms = Date.parse(s);
  if (!Number.isFinite(ms)) throw new CliUsage(`--${name}: not a time (ISO 8601 or epoch microseconds): ${s}`);
  return ms * 1000;
}

function printRun(r: ReconstructedRun): void {
  out(`run ${r.runId}`);
  out(`  workflow   ${r.workflow ?? '—'}${r.tier ? ` (tier ${r.tier})` : ''}`);
  out(`  time       ${iso(r.startedAt)} → ${iso(r.endedAt)}`);
  const mv = r.modelVersion;
  out(`  model      ${mv.value ?? 'UNKNOWN'}${mv.name ? ` (${mv.provider ? `${mv.provider}/` : ''}${mv.name})` : ''}  — from ${mv.source ?? 'nowhere'}${mv.stepId ? ` [${mv.stepId}]` : ''}`);
  if (r.labels.length) out(`  labels     ${r.labels.map((l) => `${l.category}:${l.verdict}`).join(', ')}`);
  if (r.inAffectedSet) out('  in the affected set');
  out('');
  out(`steps (${r.steps.length}):`);
  const rows = [['time', 'kind', 'what', 'source']];
  for (const s of r.steps) {
    const src = s.source.path ? `${s.source.path}${s.source.line != null ? `:${s.source.line}` : s.source.jsonPath ? ` ${s.source.jsonPath}` : ''}` : '';
    const link = s.link.inferred ? ` [INFERRED: ${s.link.rule}]` : '';
    rows.push([iso(s.at), s.kind, `${s.title.length > 110 ? `${s.title.slice(0, 109)}…` : s.title}${link}`, src]);
    if (s.write?.diff.length) for (const d of describeDiff(s.write.diff)) rows.push(['', '', `    ${d}`, '']);
  }
  out(table(rows));
  out('');
  out(`spans: ${r.spans.length}${r.spans.some((s) => s.orphan) ? ` (${r.spans.filter((s) => s.orphan).length} orphan)` : ''}`);
  if (r.lineage.nodes.length > 1) {
    out('lineage (as of the run start):');
    for (const e of r.lineage.edges) {
      const from = r.lineage.nodes.find((n) => n.id === e.from)?.label ?? e.from;
      const to = r.lineage.nodes.find((n) => n.id === e.to)?.label ?? e.to;
      out(`  ${from} —${e.kind}→ ${to}`);
    }
  }
  out('');
  if (r.findings.length === 0) out('findings: none — complete evidence');
  else {
    out(`findings (${r.findings.length}):`);
    for (const f of r.findings) out(`  ${f.severity.toUpperCase().padEnd(7)} ${f.code}: ${f.message}`);
  }
}

function printDiff(d: RunDiff): void {
  out(`A ${d.a}`);
  out(`B ${d.b}`);
  out('');
  for (const s of d.summary) out(`• ${s}`);
  out('');
  const rows = [['', 'kind', 'A', 'B']];
  for (const s of d.steps) rows.push([s.a && s.b ? (s.same ? '=' : '≠') : s.a ? '-' : '+', s.kind, s.a ? s.title : '', s.b ? (s.a ? (s.same ? '' : '(differs)') : s.title) : '']);
  out(table(rows));
  if (d.writes.length) {
    out('');
    out('writes:');
    for (const w of d.writes) out(`  ${w.same ? '=' : '≠'} ${w.target}: A ${w.a ? `${JSON.stringify(w.a.before)} → ${JSON.stringify(w.a.after)}` : '—'} | B ${w.b ? `${JSON.stringify(w.b.before)} → ${JSON.stringify(w.b.after)}` : '—'}`);
  }
}

function printSql(r: SqlResult): void {
  const rows = [r.columns, ...r.rows.map((row) => row.map((v) => (v === null ? 'NULL' : typeof v === 'string' ? (v.length > 80 ? `${v.slice(0, 79)}…` : v) : JSON.stringify(v))))];
  if (r.columns.length) out(table(rows));
  out(`${r.rows.length} row${r.rows.length === 1 ? '' : 's'}${r.truncated ? ` (truncated at ${r.rowCap})` : ''} in ${r.elapsedMs} ms`);
}

export const RECON_COMMANDS: Record<string, Command> = {
  runs: {
    summary: 'list runs: filters, full-text search, keyset pages',
    usage:
      'casefile runs <case> [--search TEXT] [--workflow W] [--model-version V] [--finding CODE] [--tier T] [--decision D] [--reason CODE] [--has-write|--no-write] [--from T] [--to T] [--affected] [--sort started|runId|duration|findings] [--desc] [--limit N] [--cursor C] [--json]',
    options: {
      search: { type: 'string' },
      workflow: { type: 'string', multiple: true },
      'model-version': { type: 'string', multiple: true },
      finding: { type: 'string', multiple: true },
      tier: { type: 'string', multiple: true },
      decision: { type: 'string', multiple: true },
      reason: { type: 'string', multiple: true },
      label: { type: 'string', multiple: true },
      'has-write': { type: 'boolean' },
      'no-write': { type: 'boolean' },
      from: { type: 'string' },
      to: { type: 'string' },
      affected: { type: 'boolean' },
      sort: { type: 'string' },
      desc: { type: 'boolean' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(pos, v) {
      const findings = many(v.finding);
      const unknown = findings?.filter((f) => !(FINDING_CODES as string[]).includes(f));
      if (unknown?.length) throw new CliUsage(`unknown finding code ${unknown.join(', ')} (one of ${FINDING_CODES.join(', ')})`);
      const sortBy = v.sort === undefined ? undefined : String(v.sort);
      if (sortBy && !['started', 'runId', 'duration', 'findings'].includes(sortBy)) throw new CliUsage('--sort must be started, runId, duration or findings');
      const limit = v.limit === undefined ? 50 : Number(v.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new CliUsage('--limit must be a positive integer');
      const q: RunQuery = {
        ...(v.search ? { search: String(v.search) } : {}),
        ...(many(v.workflow) ? { workflow: many(v.workflow)! } : {}),
        ...(many(v['model-version']) ? { modelVersion: many(v['model-version'])! } : {}),
        ...(findings ? { finding: findings as FindingCode[] } : {}),
        ...(many(v.tier) ? { tier: many(v.tier)! } : {}),
        ...(many(v.decision) ? { decision: many(v.decision)! as PolicyDecision[] } : {}),
        ...(many(v.reason) ? { reasonCode: many(v.reason)! } : {}),
        ...(many(v.label) ? { label: many(v.label)! } : {}),
        ...(v['has-write'] ? { hasWrite: true } : v['no-write'] ? { hasWrite: false } : {}),
        ...(timeArg(v.from, 'from') !== undefined ? { from: timeArg(v.from, 'from')! } : {}),
        ...(timeArg(v.to, 'to') !== undefined ? { to: timeArg(v.to, 'to')! } : {}),
        ...(v.affected ? { affectedOnly: true } : {}),
        ...(sortBy || v.desc ? { sort: { by: (sortBy ?? 'started') as NonNullable<RunQuery['sort']>['by'], dir: v.desc ? ('desc' as const) : ('asc' as const) } } : {}),
        limit,
        ...(v.cursor ? { cursor: String(v.cursor) } : {}),
      };
      const db = openCase(casePath(pos[0]));
      try {
        const page = listRuns(db, q);
        if (v.json) {
          out(JSON.stringify(page));
          return 0;
        }
        const rows = [['run', 'started', 'workflow', 'tier', 'model', 'steps', 'writes', 'decisions', 'findings']];
        for (const r of page.rows)
          rows.push([r.runId, iso(r.startedAt), r.workflow ?? '—', r.tier ?? '—', r.modelVersion ?? '—', String(r.steps), String(r.writes), r.decisions.join(',') || '—', r.findings.join(',') || '—']);
        out(table(rows));
        out(`${page.rows.length} of ${page.total} run${page.total === 1 ? '' : 's'}${page.nextCursor ? ` — next page: --cursor ${page.nextCursor}` : ''}`);
        return 0;
      } finally {
        db.close();
      }
    },
  },
  show: {
    summary: 'reconstruct one run: ordered steps with sources, model version, lineage, findings',
    usage: 'casefile show <case> <run-id> [--json]',
    options: { json: { type: 'boolean' } },
    async run(pos, v) {
      const p = casePath(pos[0]);
      if (!pos[1]) throw new CliUsage('missing <run-id>');
      const runId = pos[1];
      return withRunLookup(p, (db) => {
        const run = getRun(db, runId);
        if (v.json) out(JSON.stringify(run));
        else printRun(run);
      });
    },
  },
  diff: {
    summary: 'compare two runs: aligned steps, decisions, model and lineage versions, writes, spans',
    usage: 'casefile diff <case> <run-a> <run-b> [--json]',
    options: { json: { type: 'boolean' } },
    async run(pos, v) {
      const p = casePath(pos[0]);
      if (!pos[1] || !pos[2]) throw new CliUsage('give two run ids');
      const [a, b] = [pos[1], pos[2]];
      return withRunLookup(p, (db) => {
        const d = diffRuns(db, a, b);
        if (v.json) out(JSON.stringify(d));
        else printDiff(d);
      });
    },
  },
  sql: {
    summary: 'run a read-only SQL query over the case (row cap, interrupted on timeout)',
    usage: 'casefile sql <case> "<query>" [--limit N] [--timeout MS] [--json]',
    options: { json: { type: 'boolean' }, limit: { type: 'string' }, timeout: { type: 'string' } },
    async run(pos, v) {
      const p = casePath(pos[0]);
      if (!pos[1]) throw new CliUsage('missing "<query>"');
      // bring the schema and runs up to date first (the query itself runs on a read-only connection)
      openCase(p).close();
      try {
        const r = await sqlQuery(p, pos[1], v.limit ? Number(v.limit) : 1000, v.timeout ? Number(v.timeout) : 30_000);
        if (v.json) out(JSON.stringify(r));
        else printSql(r);
        return 0;
      } catch (e) {
        process.stderr.write(`casefile sql: ${(e as Error).message}\n`);
        return 1;
      }
    },
  },
};

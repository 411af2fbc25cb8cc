/**
 * CLI for issue 5: `casefile label`, `casefile labels`, `casefile export`, `casefile postmortem`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { BudgetReport, ExportFormat, Verdict } from '../../../shared/api';
import { checkBlameless } from '../../../shared/blameless';
import { openDb } from '../store/db';
import {
  deleteLabel,
  getPostmortem,
  getTaxonomy,
  labelHistory,
  labels as listLabels,
  LabelStoreError,
  savePostmortem,
  setLabel,
  verifyLabelLog,
  VERDICTS,
} from '../store/labels-store';
import { EXPORT_FORMATS, exportCase, postmortemTemplate } from '../export/index';
import { UsageError, type Command } from './main';
import { ExportRequestError } from '../export/index';


const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

function requireCase(p: string | undefined): string {
  if (!p) throw new UsageError('missing <case>');
  if (!existsSync(p)) throw new UsageError(`no such case file: ${p}`);
  return resolve(p);
}

function defaultAuthor(): string {
  try {
    return process.env.CASEFILE_AUTHOR || userInfo().username || 'investigator';
  } catch {
    return 'investigator';
  }
}

/** --corrected: JSON (`45.99`, `{"amount": 45.99}`, `"text"`), `@file.json`, or plain text when it is not JSON. */
function parseCorrected(v: string): unknown {
  const raw = v.startsWith('@') ? readFileSync(v.slice(1), 'utf8') : v;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The case's budget evaluation, when budgets and run facts are available (null otherwise). */
async function budgetReportFor(casePath: string): Promise<BudgetReport | null> {
  try {
    const { evaluateCaseBudgets } = await import('../budgets/evaluate');
    const { loadRunFacts } = await import('../budgets/facts');
    const r = evaluateCaseBudgets(casePath, (p: string) => loadRunFacts(p));
    return r.evaluations.length ? r : null;
  } catch (e) {
    err(`note: budgets not evaluated (${(e as Error).message})`);
    return null;
  }
}

/** Store / export errors (unknown run, bad category, stale revision…) print as one line and exit 1. */
function friendly(name: string, cmd: Command): Command {
  return {
    ...cmd,
    async run(pos, v) {
      try {
        return await cmd.run(pos, v);
      } catch (e) {
        if (e instanceof LabelStoreError || e instanceof ExportRequestError) {
          err(`casefile ${name}: ${e.message}`);
          return 1;
        }
        throw e;
      }
    },
  };
}

const COMMANDS: Record<string, Command> = {
  label: {
    summary: 'label a run or one of its steps (category, verdict, corrected output); every change is hash-chained',
    usage: 'casefile label <case> <run-id> [--step ID] --label NAME [--severity S] [--verdict harmful|benign|unsure] [--corrected JSON|@file] [--note TEXT] [--author A] [--id N] [--delete N] [--json]',
    options: {
      step: { type: 'string' },
      label: { type: 'string' },
      severity: { type: 'string' },
      verdict: { type: 'string' },
      corrected: { type: 'string' },
      note: { type: 'string' },
      author: { type: 'string' },
      id: { type: 'string' },
      delete: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(pos, v) {
      const casePath = requireCase(pos[0]);
      const db = openDb(casePath);
      try {
        if (v.delete !== undefined) {
          const id = Number(v.delete);
          if (!Number.isInteger(id) || id < 1) throw new UsageError('--delete needs a label id');
          deleteLabel(db, id, (v.author as string | undefined) ?? defaultAuthor());
          if (v.json) out(JSON.stringify({ deleted: id }));
          else err(`label ${id} deleted`);
          return 0;
        }
        const runId = pos[1];
        if (!runId) throw new UsageError('missing <run-id>');
        if (!v.label) throw new UsageError(`--label NAME is required: one of ${getTaxonomy(db).map((t) => t.name).join(', ')}`);
        const verdict = ((v.verdict as string | undefined) ?? 'harmful') as Verdict;
        if (!VERDICTS.includes(verdict)) throw new UsageError(`--verdict must be one of ${VERDICTS.join(', ')}`);
        const l = setLabel(db, {
          id: v.id !== undefined ? Number(v.id) : undefined,
          runId,
          stepId: (v.step as string | undefined) ?? null,
          category: String(v.label),
          severity: (v.severity as string | undefined) ?? null,
          verdict,
          corrected: v.corrected !== undefined ? parseCorrected(String(v.corrected)) : undefined,
          note: (v.note as string | undefined) ?? null,
          author: (v.author as string | undefined) ?? defaultAuthor(),
        });
        if (v.json) out(JSON.stringify(l));
        else err(`label ${l.id}: run ${l.runId}${l.stepId ? ` step ${l.stepId}` : ''} — ${l.category} (${l.verdict}${l.severity ? `, ${l.severity}` : ''})${l.corrected !== null ? ` corrected ${clip(JSON.stringify(l.corrected), 80)}` : ''}`);
        return 0;
      } finally {
        db.close();
      }
    },
  },

  labels: {
    summary: 'list the labels of a case, or their hash-chained history (--history); --verify checks the chain',
    usage: 'casefile labels <case> [--run ID] [--json] [--history] [--verify]',
    options: { json: { type: 'boolean' }, history: { type: 'boolean' }, verify: { type: 'boolean' }, run: { type: 'string' } },
    async run(pos, v) {
      const db = openDb(requireCase(pos[0]), { readonly: true });
      try {
        const check = verifyLabelLog(db);
        if (v.history) {
          const h = labelHistory(db);
          if (v.json) out(JSON.stringify(v.verify ? { history: h, verify: check } : h));
          else {
            const rows = [['seq', 'label', 'action', 'author', 'at', 'hash']];
            for (const e of h) rows.push([String(e.seq), String(e.labelId), e.action, e.author, e.at, e.hash.slice(0, 16)]);
            out(table(rows));
          }
        } else {
          const ls = listLabels(db, v.run as string | undefined);
          if (v.json) out(JSON.stringify(v.verify ? { labels: ls, verify: check } : ls));
          else if (ls.length === 0) out('no labels');
          else {
            const rows = [['id', 'run', 'step', 'category', 'verdict', 'severity', 'author', 'corrected']];
            for (const l of ls) rows.push([String(l.id), l.runId, l.stepId ?? '', l.category, l.verdict, l.severity ?? '', l.author, l.corrected === null ? '' : clip(JSON.stringify(l.corrected), 48)]);
            out(table(rows));
          }
        }
        if (!v.json || v.verify) {
          const line = `label log: ${check.entries} entries, head ${check.head ? `#${check.head.seq} ${check.head.hash}` : '(empty)'} — ${check.ok ? 'hash chain verified' : `CHAIN BROKEN (${check.breaks.length})`}`;
          if (!v.json) err(line);
          if (!check.ok && !v.json) for (const b of check.breaks) err(`  entry ${b.seq}${b.labelId !== null ? ` label ${b.labelId}` : ''}: ${b.reason}`);
        }
        return v.verify && !check.ok ? 1 : 0;
      } finally {
        db.close();
      }
    },
  },

  export: {
    summary: 'export training data, regression tests, reports or the case archive (redacted unless --no-redact), with a manifest',
    usage: `casefile export <case> --format ${EXPORT_FORMATS.join('|')} --out PATH [--no-redact] [--names "A,B"] [--json]`,
    options: { format: { type: 'string' }, out: { type: 'string' }, 'no-redact': { type: 'boolean' }, names: { type: 'string' }, json: { type: 'boolean' } },
    async run(pos, v) {
      const casePath = requireCase(pos[0]);
      const format = v.format as ExportFormat | undefined;
      if (!format || !EXPORT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
      if (!v.out) throw new UsageError('--out PATH is required');
      const names = v.names ? String(v.names).split(',').map((s) => s.trim()).filter(Boolean) : [];
      const needsBudgets = format.startsWith('report-');
      const report = needsBudgets ? await budgetReportFor(casePath) : null;
      const db = openDb(casePath, { readonly: true });
      try {
        const { getRun } = await import('../recon/index');
        const r = await exportCase(db, casePath, { format, outPath: String(v.out), redact: !v['no-redact'], names }, { budgetReport: () => report, getRun: (id) => getRun(db, id) });
        if (v.json) out(JSON.stringify(r));
        else {
          err(`${format}: ${r.examples} example${r.examples === 1 ? '' : 's'}, ${r.files.length} file${r.files.length === 1 ? '' : 's'}`);
          for (const f of r.files) err(`  ${f}`);
          const red = Object.entries(r.redactions);
          err(v['no-redact'] ? 'NOT redacted (--no-redact recorded in the manifest)' : red.length ? `redacted: ${red.map(([k, n]) => `${k} ${n}`).join(', ')}` : format === 'case-archive' ? 'case archive: raw evidence, not redactable' : 'redacted: nothing found to redact');
          err(`manifest: ${r.manifestPath}`);
        }
        return 0;
      } finally {
        db.close();
      }
    },
  },

  postmortem: {
    summary: 'the case postmortem: --init saves the blameless template from the evidence, --print prints it, --check runs the blameless-language check',
    usage: 'casefile postmortem <case> [--init [--force] [--title T]] [--print] [--check [--names "A,B"]] [--json]',
    options: { init: { type: 'boolean' }, force: { type: 'boolean' }, title: { type: 'string' }, print: { type: 'boolean' }, check: { type: 'boolean' }, names: { type: 'string' }, json: { type: 'boolean' } },
    async run(pos, v) {
      const casePath = requireCase(pos[0]);
      if (v.init) {
        const report = await budgetReportFor(casePath);
        const db = openDb(casePath);
        try {
          const cur = getPostmortem(db);
          if (cur.markdown.trim() && !v.force) {
            err(`the case already has a postmortem (revision ${cur.revision}); use --force to replace it with a fresh template (the journal keeps every revision)`);
            return 1;
          }
          const saved = savePostmortem(db, postmortemTemplate(db, report, { title: (v.title as string | undefined) ?? null }), cur.revision, defaultAuthor());
          err(`postmortem template saved as revision ${saved.revision}`);
        } finally {
          db.close();
        }
      }
      const db = openDb(casePath, { readonly: true });
      try {
        const pm = getPostmortem(db);
        const names = v.names ? String(v.names).split(',').map((s) => s.trim()).filter(Boolean) : [];
        const flags = v.check ? checkBlameless(pm.markdown, { names }) : [];
        if (v.json) out(JSON.stringify({ ...pm, ...(v.check ? { advisories: flags } : {}) }));
        else {
          if (v.print) out(pm.markdown);
          if (v.check) {
            for (const f of flags) out(`advisory (${f.rule}) "${f.match}" in: ${f.sentence}\n  suggestion: ${f.suggestion}`);
            err(`blameless check: ${flags.length} advisor${flags.length === 1 ? 'y' : 'ies'}`);
          }
          if (!v.print && !v.check) err(pm.revision ? `postmortem revision ${pm.revision}, saved ${pm.updatedAt}, ${pm.markdown.length} characters` : 'no postmortem yet: casefile postmortem <case> --init');
        }
        return 0;
      } finally {
        db.close();
      }
    },
  },
};

export const LABEL_EXPORT_COMMANDS: Record<string, Command> = Object.fromEntries(Object.entries(COMMANDS).map(([k, c]) => [k, friendly(k, c)]));

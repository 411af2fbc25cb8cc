/** `casefile serve` and `casefile budget`. */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BudgetEvaluation } from '../../../shared/api';
import { usToIso } from '../../../shared/model';
import { formatDuration } from '../../../shared/budgets';
import { budgetStatus } from '../../../shared/sli';
import { CasefileService, defaultDataDir } from '../api/service';
import { startServer } from '../serve/server';
import { evaluateCaseBudgets } from '../budgets/evaluate';
import { loadFactTable } from '../budgets/facts';
import { toApiError } from '../api/errors';
import type { Command } from './main';

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

/** A usage error: main() prints the usage line and exits 2 for errors with an ERR_PARSE_ARGS code. */
class CliUsage extends Error {
  readonly code = 'ERR_PARSE_ARGS_CASEFILE_USAGE';
}

function openInBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { detached: true, stdio: 'ignore' });
    child.on('error', (e) => err(`casefile serve: could not open a browser (${cmd}: ${e.message}); open the URL above yourself`));
    child.unref();
  } catch (e) {
    err(`casefile serve: could not open a browser: ${(e as Error).message}`);
  }
}

function pct(x: number): string {
  if (x === 0) return '0%';
  if (x < 0.0001) return `${(x * 100).toPrecision(2)}%`;
  return `${(x * 100).toFixed(x < 0.01 ? 3 : 2)}%`;
}

function printEvaluation(e: BudgetEvaluation): void {
  const b = e.budget;
  out(`${b.id ? `${b.id}: ` : ''}${b.workflow} / ${b.tier === '*' ? 'all tiers' : b.tier} / ${b.sli}   objective ${b.objectiveText} over ${b.window}${b.owner ? `   owner ${b.owner}` : ''}`);
  out(`  SLI ${pct(e.sli)} (${e.bad} bad of ${e.total} runs)   budget consumed ${(e.consumed * 100).toFixed(1)}%   status ${budgetStatus(e)}`);
  for (const r of b.rollback) {
    const t = e.triggers.find((x) => x.rule === r.name);
    const peak = e.burn.find((x) => x.rule === r.name)?.points.reduce((m, p) => Math.max(m, p.burn), 0) ?? 0;
    const head = `  rule ${r.name}: ${r.burnRate}x over ${r.over}${r.minEvents ? `, ≥ ${r.minEvents} bad` : ''} → ${r.action}`;
    if (t?.firedAt != null) out(`${head}\n    FIRED at ${usToIso(t.firedAt)} (burn ${t.burnAtFiring!.toFixed(1)}x); harmful after it: ${t.harmfulAfter} of ${t.harmfulTotal}`);
    else out(`${head}\n    did not fire (peak burn over ${formatDuration(r.overUs)} at chart points: ${peak.toFixed(1)}x${r.minEvents && r.minEvents > 1 ? `; it also needs ≥ ${r.minEvents} bad runs in the window` : ''}); harmful runs: ${t?.harmfulTotal ?? 0}`);
  }
}

export const SERVE_BUDGET_COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'serve the workstation and its API on 127.0.0.1 (token-protected); a bundle is imported first; nothing = the built-in sample',
    usage: 'casefile serve [<case>|<bundle>] [--port N] [--open] [--empty] [--data-dir DIR] [--sample-runs N]',
    options: { port: { type: 'string' }, open: { type: 'boolean' }, empty: { type: 'boolean' }, 'data-dir': { type: 'string' }, 'sample-runs': { type: 'string' } },
    async run(pos, v) {
      const port = v.port === undefined ? 0 : Number(v.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliUsage(`--port must be 0..65535 (0 = any free port), got ${String(v.port)}`);
      if (pos.length > 1) throw new CliUsage('give at most one case');
      const sampleRuns = v['sample-runs'] === undefined ? undefined : Number(v['sample-runs']);
      if (sampleRuns !== undefined && (!Number.isInteger(sampleRuns) || sampleRuns < 1)) throw new CliUsage('--sample-runs must be a positive whole number');
      const dataDir = v['data-dir'] ? resolve(String(v['data-dir'])) : defaultDataDir();
      const service = new CasefileService({ dataDir, transport: 'http', ...(sampleRuns ? { sample: { runs: sampleRuns } } : {}) });
      try {
        if (pos[0]) {
          const p = resolve(pos[0]);
          if (!existsSync(p)) throw new CliUsage(`no such case file or bundle: ${p}`);
          if (statSync(p).isDirectory() || /\.(zip|tar\.gz|tgz)$/i.test(p)) {
            // a bundle: import it into a new case under the data dir, then serve that case
            err(`casefile serve: importing the bundle ${p} into a new case…`);
            const job = await service.startImport([p]);
            const end = await service.waitForJob(job.jobId);
            if (end.error || !end.result || end.result.cancelled) throw new Error(`the bundle could not be imported: ${end.error ?? 'cancelled'}`);
            err(`casefile serve: case ${job.casePath} (${end.result.totals.runs} runs)`);
          } else {
            await service.openCase(p);
            err(`casefile serve: case ${p}`);
          }
        } else if (!v.empty) {
          err('casefile serve: no case given — generating and importing the built-in sample incident…');
          let last = 0;
          const off = service.on('import', (e) => {
            if (e.progress && e.progress.records > 0 && Date.now() - last > 1000) {
              last = Date.now();
              err(`  import: ${e.progress.records} records, ${e.progress.sourcesDone} files`);
            }
          });
          const job = await service.openSample();
          const end = await service.waitForJob(job.jobId);
          off();
          if (end.error || !end.result || end.result.cancelled) throw new Error(`the sample could not be opened: ${end.error ?? 'cancelled'}`);
          const records = end.result.sources.reduce((n, s) => n + s.stored, 0);
          err(`casefile serve: sample case ${job.casePath} (${end.result.sources.length} files, ${records} records, ${end.result.totals.runs} runs)`);
        }
      } catch (e) {
        await service.close();
        if (e instanceof CliUsage) throw e;
        err(`casefile serve: ${toApiError(e).error}`);
        return 1;
      }
      const srv = await startServer({ api: service, port });
      // FIRST LINE on stdout: the URL to open, token included (scripts read it)
      out(srv.url);
      err(`casefile serve: listening on ${srv.origin} (loopback only). Open the URL above; the token in it is required by every API call. Ctrl-C stops.`);
      if (v.open) openInBrowser(srv.url);
      return await new Promise<number>((resolveExit) => {
        let stopping = false;
        const stop = (sig: string) => {
          if (stopping) return;
          stopping = true;
          err(`casefile serve: ${sig}, shutting down`);
          // a worker stuck in a long SQLite statement cannot be stopped politely: exit regardless
          const force = setTimeout(() => process.exit(0), 5000);
          force.unref();
          void srv
            .close()
            .then(() => service.close())
            .finally(() => {
              clearTimeout(force);
              resolveExit(0);
              setImmediate(() => process.exit(0));
            });
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    },
  },
  budget: {
    summary: "measure the incident against the risk budgets: SLIs, budget consumed, burn rates, trigger replay",
    usage: 'casefile budget <case> [--budgets FILE] [--json]',
    options: { budgets: { type: 'string' }, json: { type: 'boolean' } },
    async run(pos, v) {
      if (!pos[0]) throw new CliUsage('missing <case>');
      const casePath = resolve(pos[0]);
      if (!existsSync(casePath)) throw new CliUsage(`no such case file: ${casePath}`);
      if (v.budgets && !existsSync(String(v.budgets))) throw new CliUsage(`no such budgets file: ${String(v.budgets)}`);
      const r = evaluateCaseBudgets(casePath, loadFactTable, v.budgets ? { budgetsFile: resolve(String(v.budgets)) } : {});
      if (v.json) {
        out(JSON.stringify(r));
      } else {
        out(`budgets: ${r.budgetsSource ?? '(none)'} — ${r.evaluations.length} budgets over ${r.runs} runs (facts ${r.timings.factsMs} ms, evaluation ${r.timings.evaluateMs} ms)`);
        for (const e of r.evaluations) {
          out('');
          printEvaluation(e);
        }
        if (r.problems.length) {
          out('');
          for (const p of r.problems) out(`problem: ${p}`);
        }
      }
      return r.evaluations.length === 0 && r.problems.length > 0 ? 1 : 0;
    },
  },
};

export { CliUsage };

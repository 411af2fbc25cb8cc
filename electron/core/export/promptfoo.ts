/**
 * A promptfoo regression suite from labels: one test per labelled failure, so the same failure is caught
 * in CI before the next release.
 *
 *   promptfooconfig.yaml         prompts: the recorded conversation; providers: the replay provider; tests: tests/*.yaml
 *   prompt.json                  `{{ messages | dump }}` — the conversation as a chat prompt
 *   tests/label-<id>.yaml        vars (case_id, input, messages) + assert, metadata (run, step, label)
 *   providers/casefile-replay.cjs replays the recorded (bad) or the corrected output: CASEFILE_REPLAY=recorded|corrected
 *   replay.json                  the recorded and corrected outputs per case
 *   assertions/casefile.cjs      javascript assertions (valueAt, jsonEquals, decisionIs, noLeak)
 *
 * Assertions per label: a corrected write → `is-json` + the value at the JSON pointer where the model put
 * it; a corrected text → `equals`; a corrected JSON output → `is-json` + deep equality; leaked personal
 * data → `not-contains` (or, in a redacted export, `noLeak` with the SHA-256 of each leaked value, so the
 * suite can catch the leak without containing it); a policy decision → the decision and reason codes.
 * Replace the replay provider with the real one to run the suite against a model.
 */
import { stringify as toYaml } from 'yaml';
import type { ExportResult } from '../../../shared/api';
import { redactText } from '../../../shared/redact';
import { sha256Text, type ExportContext } from './common';
import type { LabelExample } from './examples';

type Assertion = Record<string, unknown>;

const REPLAY_PROVIDER = `'use strict';
/**
 * Casefile replay provider for promptfoo: returns the output recorded in the incident, or the output the
 * investigators corrected it to, for the test's case_id. Mode: env CASEFILE_REPLAY=recorded|corrected
 * (or provider config {mode}); default: recorded. Replace this provider with your model's to run the suite
 * as a regression test.
 */
const fs = require('fs');
const path = require('path');

class CasefileReplay {
  constructor(options) {
    this.options = options || {};
    this.config = this.options.config || {};
  }
  id() {
    return 'casefile-replay';
  }
  async callApi(_prompt, context) {
    const mode = process.env.CASEFILE_REPLAY || this.config.mode || 'recorded';
    if (mode !== 'recorded' && mode !== 'corrected') return { error: 'CASEFILE_REPLAY must be recorded or corrected, not ' + mode };
    const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'replay.json'), 'utf8'));
    const id = context && context.vars ? context.vars.case_id : undefined;
    const c = fixtures[id];
    if (!c) return { error: 'no replay fixture for case_id ' + id };
    return { output: c[mode] };
  }
}
module.exports = CasefileReplay;
`;

const ASSERTIONS = `'use strict';
/** Javascript assertions of Casefile regression suites (file://assertions/casefile.cjs:<name>, settings in config). */
const crypto = require('crypto');

function parse(output) {
  if (typeof output !== 'string') return { ok: true, value: output };
  try {
    return { ok: true, value: JSON.parse(output) };
  } catch (e) {
    return { ok: false, error: 'output is not JSON: ' + e.message };
  }
}
function canonical(v) {
  if (v === null || typeof v !== 'object') return JSON.stringify(v === undefined ? null : v);
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  return '{' + Object.keys(v).filter((k) => v[k] !== undefined).sort().map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
}
function equal(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  return canonical(a) === canonical(b);
}
function get(v, pointer) {
  if (!pointer) return v;
  let cur = v;
  for (const raw of pointer.split('/').slice(1)) {
    const k = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !(k in cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}
const result = (pass, reason) => ({ pass, score: pass ? 1 : 0, reason });

/** The value at config.pointer (JSON pointer) of the JSON output equals config.expected. */
module.exports.valueAt = (output, context) => {
  const c = (context && context.config) || {};
  const p = parse(output);
  if (!p.ok) return result(false, p.error);
  const got = get(p.value, c.pointer || '');
  if (got === undefined) return result(false, (c.what || 'value') + ': nothing at ' + c.pointer);
  const ok = equal(got, c.expected);
  return result(ok, (c.what || 'value') + (ok ? ': ' + JSON.stringify(got) + ' as corrected' : ': expected ' + JSON.stringify(c.expected) + ' at ' + c.pointer + ', got ' + JSON.stringify(got)));
};

/** The JSON output equals config.expected (key order and whitespace ignored). */
module.exports.jsonEquals = (output, context) => {
  const c = (context && context.config) || {};
  const p = parse(output);
  if (!p.ok) return result(false, p.error);
  const ok = equal(p.value, c.expected);
  return result(ok, ok ? 'output equals the corrected value' : 'expected ' + canonical(c.expected) + ', got ' + canonical(p.value));
};

/** A policy decision output ({decision, reason_codes}) has config.decision and includes config.reason_codes. */
module.exports.decisionIs = (output, context) => {
  const c = (context && context.config) || {};
  const p = parse(output);
  if (!p.ok) return result(false, p.error);
  const v = p.value || {};
  const decision = typeof v.decision === 'string' ? v.decision : v.allow === true ? 'allow' : v.allow === false ? 'deny' : undefined;
  const codes = [].concat(v.reason_codes || v.reasonCodes || v.reasons || []).map(String);
  const missing = (c.reason_codes || []).filter((x) => !codes.includes(x));
  if (decision !== c.decision) return result(false, 'decision ' + decision + ', expected ' + c.decision);
  if (missing.length) return result(false, 'missing reason codes: ' + missing.join(', '));
  return result(true, 'decision ' + decision + (codes.length ? ' (' + codes.join(', ') + ')' : ''));
};

/** None of the leaked values (known only by length and SHA-256) appears in the output. */
module.exports.noLeak = (output, context) => {
  const c = (context && context.config) || {};
  const text = typeof output === 'string' ? output : JSON.stringify(output);
  for (const leak of c.leaks || []) {
    for (let i = 0; i + leak.length <= text.length; i++) {
      const h = crypto.createHash('sha256').update(text.slice(i, i + leak.length), 'utf8').digest('hex');
      if (h === leak.sha256) return result(false, 'output contains the leaked ' + leak.kind + ' (sha256 ' + leak.sha256.slice(0, 12) + '…)');
    }
  }
  return result(true, 'no leaked value in the output');
};
`;

function assertionsFor(ex: LabelExample, redacting: boolean): Assertion[] {
  const out: Assertion[] = [];
  const a = (type: string, rest: Record<string, unknown> = {}) => out.push({ type, ...rest });
  const js = (fn: string, config: Record<string, unknown>, metric: string) => a('javascript', { value: `file://assertions/casefile.cjs:${fn}`, config, metric });
  if (ex.kind === 'decision') {
    const exp = ex.corrected as { decision: string; reason_codes: string[] };
    js('decisionIs', { decision: exp.decision, reason_codes: exp.reason_codes }, 'policy-decision');
    return out;
  }
  if (ex.corrected !== undefined) {
    if (ex.kind === 'write' && ex.patch && ex.patch.pointer) {
      a('is-json', { metric: 'output-shape' });
      const what = ex.write ? `${ex.write.system} ${ex.write.field}${ex.write.unit ? ` (${ex.write.unit})` : ''}` : 'value';
      js('valueAt', { pointer: ex.patch.pointer, expected: ex.patch.after, what }, 'corrected-write');
    } else if (typeof ex.corrected === 'string') {
      a('equals', { value: ex.corrected, metric: 'corrected-output' });
    } else {
      a('is-json', { metric: 'output-shape' });
      js('jsonEquals', { expected: ex.corrected }, 'corrected-output');
    }
  }
  if (ex.leaked.length) {
    if (redacting) js('noLeak', { leaks: ex.leaked.map((l) => ({ kind: l.kind, length: l.value.length, sha256: sha256Text(l.value) })) }, 'no-data-leak');
    else for (const l of ex.leaked) a('not-contains', { value: l.value, metric: `no-${l.kind.toLowerCase()}-leak` });
  }
  return out;
}

export async function exportPromptfoo(ctx: ExportContext): Promise<ExportResult> {
  const replay: Record<string, { recorded: string; corrected: string }> = {};
  let n = 0;
  for (const ex of ctx.examplesFromLabels()) {
    const asserts = assertionsFor(ex, ctx.redacting);
    if (asserts.length === 0) {
      ctx.skip(ex.label, 'nothing to assert: no corrected output and no leaked data');
      continue;
    }
    if (!ex.messages.length && ex.kind !== 'decision') {
      ctx.skip(ex.label, 'no recorded input to replay');
      continue;
    }
    const caseId = `label-${ex.label.id}`;
    const file = `tests/${caseId}.yaml`;
    const correctedText = ex.correctedText ?? (ex.kind === 'decision' ? JSON.stringify(ex.corrected) : redactText(ex.actualText).text);
    const recordedText = ex.actualText;
    const userInput = [...ex.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const test = {
      description: `label ${ex.label.id} · ${ex.label.category} (${ex.label.verdict}) · run ${ex.label.runId}${ex.label.stepId ? ` · step ${ex.label.stepId}` : ''}`,
      vars: {
        case_id: caseId,
        input: userInput,
        messages: ex.kind === 'decision' && ex.messages.length === 0 ? [{ role: 'user', content: JSON.stringify(ex.decision?.input ?? null) }] : ex.messages,
      },
      assert: asserts,
      metadata: {
        casefile_label_id: ex.label.id,
        run_id: ex.label.runId,
        step_id: ex.label.stepId,
        target: ex.targetKey,
        category: ex.label.category,
        verdict: ex.label.verdict,
        severity: ex.label.severity,
        workflow: ex.workflow,
        model_version: ex.modelVersion,
      },
    };
    const redactedTest = ctx.redactor.value(test, file, n);
    ctx.write(file, `# Casefile regression test for label ${ex.label.id} (generated; see ../README.md)\n${toYaml([redactedTest], { lineWidth: 0 })}`);
    replay[caseId] = ctx.redactor.value({ recorded: recordedText, corrected: correctedText }, 'replay.json', n, `$["${caseId}"]`);
    ctx.addExample(n, file, ex);
    n++;
  }

  const config = {
    description: `Casefile regression suite from ${ctx.redactor.text(ctx.casePath.split(/[\\/]/).pop() ?? 'case', 'promptfooconfig.yaml', null, '$.description')} (${n} labelled failure${n === 1 ? '' : 's'})`,
    prompts: ['file://prompt.json'],
    providers: [{ id: 'file://providers/casefile-replay.cjs', label: 'casefile-replay' }],
    tests: ['file://tests/*.yaml'],
  };
  ctx.write(
    'promptfooconfig.yaml',
    `# yaml-language-server: $schema=https://promptfoo.dev/config-schema.json\n# Generated by Casefile from labelled incident evidence. The replay provider returns the recorded output\n# (CASEFILE_REPLAY=recorded, which must FAIL) or the corrected one (CASEFILE_REPLAY=corrected, which must PASS).\n# To test a model, replace the provider with it (e.g. openai:chat:<model>); the prompt is the recorded conversation.\n${toYaml(config, { lineWidth: 0 })}`,
  );
  ctx.write('prompt.json', '{{ messages | dump }}\n');
  ctx.write('providers/casefile-replay.cjs', REPLAY_PROVIDER);
  ctx.write('assertions/casefile.cjs', ASSERTIONS);
  ctx.write('replay.json', `${JSON.stringify(replay, null, 2)}\n`);
  ctx.write(
    'README.md',
    [
      '# Casefile regression suite',
      '',
      `${n} test${n === 1 ? '' : 's'}, one per labelled failure. Each test's \`metadata\` names the Casefile label, run and step; \`manifest.json\` lists the source records (file, line, SHA-256) behind each test.`,
      '',
      '```sh',
      'CASEFILE_REPLAY=recorded  npx promptfoo eval -c promptfooconfig.yaml --no-cache   # the incident: must fail',
      'CASEFILE_REPLAY=corrected npx promptfoo eval -c promptfooconfig.yaml --no-cache   # the fix: must pass',
      '```',
      '',
      'To run it against a model, replace the `casefile-replay` provider in `promptfooconfig.yaml` with yours.',
      ctx.redacting
        ? '\nThis suite was exported with redaction: personal data and secrets are replaced by `[REDACTED:<KIND>]`. Leak checks use `noLeak` with the SHA-256 and length of each leaked value, so they still catch the leak in a model\'s output without containing it; the replayed recorded output is redacted too, so replaying it does not reproduce leaks.'
        : '\nThis suite was exported WITHOUT redaction (--no-redact): it contains personal data and secrets as recorded.',
      '',
    ].join('\n'),
  );
  if (n === 0) ctx.notes.push('no label yields a test: label runs with a corrected output, a leak, or a policy decision');
  return ctx.finish();
}

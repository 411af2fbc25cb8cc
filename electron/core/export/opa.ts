/**
 * Policy regression inputs from labels: the recorded policy inputs (from OPA decision logs) with the
 * decision the investigators say was right, for the policy's own test suite.
 *
 *   <policy>_casefile_test.rego   one `test_casefile_label_<id>` rule per case: `with input as {...}`
 *   cases.json                    the same cases as data (input, recorded result, expected decision)
 *
 * Each test evaluates the policy's decision document (the decision log's `path`, e.g. refunds/guard →
 * data.refunds.guard) and checks what the recorded result exposed: its `decision` string or its `allow`
 * boolean, plus the expected reason codes. Decisions whose input was not logged (no OPA record) are
 * listed in cases.json with `input: null` and have no Rego test.
 */
import type { ExportResult } from '../../../shared/api';
import type { ExportContext } from './common';
import type { LabelExample } from './examples';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `refunds/guard` → `data.refunds.guard` (bracketed where a segment is not a Rego identifier). */
export function regoRef(path: string): string {
  const segs = path.replace(/^\/+|\/+$/g, '').replace(/^data[./]/, '').split(/[/.]/).filter(Boolean);
  return `data${segs.map((s) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`)).join('')}`;
}

/** A Rego term for a JSON value (JSON is valid Rego), pretty-printed with tabs. */
function regoTerm(v: unknown, indent: string): string {
  const json = JSON.stringify(v ?? null, null, '\t');
  return json.split('\n').join(`\n${indent}`);
}

const ident = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_').replace(/^_|_$/g, '');

interface Case {
  id: string;
  ex: LabelExample;
  expected: { decision: string; reason_codes: string[] };
}

function regoTest(c: Case, ref: string): string {
  const d = c.ex.decision!;
  const result = d.result;
  const lines: string[] = [];
  const name = `test_casefile_label_${c.ex.label.id}_${ident(c.ex.label.runId).slice(0, 40)}`;
  lines.push(`# label ${c.ex.label.id} · ${c.ex.label.category} (${c.ex.label.verdict}) · run ${c.ex.label.runId}${d.decisionId ? ` · decision ${d.decisionId}` : ''}`);
  lines.push(`# recorded: ${d.decision}${d.reasonCodes.length ? ` [${d.reasonCodes.join(', ')}]` : ''} → investigators: ${c.expected.decision}${c.expected.reason_codes.length ? ` [${c.expected.reason_codes.join(', ')}]` : ''}`);
  if (d.erased.length) lines.push(`# note: the decision log erased ${d.erased.join(', ')} from this input`);
  lines.push(`${name} if {`);
  lines.push(`\tresult := ${ref} with input as ${regoTerm(d.input, '\t')}`);
  if (typeof result === 'boolean') {
    lines.push(`\tresult == ${c.expected.decision === 'allow' ? 'true' : 'false'}`);
  } else {
    const r = isObj(result) ? result : {};
    if ('decision' in r || !('allow' in r)) lines.push(`\tresult.decision == ${JSON.stringify(c.expected.decision)}`);
    if ('allow' in r) lines.push(`\tresult.allow == ${c.expected.decision === 'allow' ? 'true' : 'false'}`);
    const codesKey = ['reason_codes', 'reasons', 'deny', 'violations'].find((k) => k in r) ?? 'reason_codes';
    for (const code of c.expected.reason_codes) lines.push(`\t${JSON.stringify(code)} in result.${codesKey}`);
  }
  lines.push('}');
  return lines.join('\n');
}

export async function exportOpa(ctx: ExportContext): Promise<ExportResult> {
  const cases: Case[] = [];
  for (const ex of ctx.examplesFromLabels()) {
    if (ex.kind !== 'decision' || !ex.decision) {
      ctx.skip(ex.label, 'not a policy decision label');
      continue;
    }
    cases.push({ id: `label-${ex.label.id}`, ex, expected: ex.corrected as Case['expected'] });
  }
  // one Rego test file per policy path
  const byPath = new Map<string, Case[]>();
  for (const c of cases) {
    const p = c.ex.decision!.path ?? c.ex.decision!.policyId ?? 'policy';
    byPath.set(p, [...(byPath.get(p) ?? []), c]);
  }
  const json: unknown[] = [];
  let i = 0;
  for (const [path, list] of byPath) {
    const ref = regoRef(path);
    const pkg = `casefile.regression.${ident(path.replace(/[/.]/g, '_')) || 'policy'}_test`;
    const file = `${ident(path.replace(/[/.]/g, '_')) || 'policy'}_casefile_test.rego`;
    const tests: string[] = [];
    for (const c of list) {
      const d = c.ex.decision!;
      const entry = {
        id: c.id,
        label: { id: c.ex.label.id, category: c.ex.label.category, verdict: c.ex.label.verdict, severity: c.ex.label.severity, note: c.ex.label.note },
        run_id: c.ex.label.runId,
        decision_id: d.decisionId,
        path: d.path,
        policy_id: d.policyId,
        policy_version: d.policyVersion,
        input: d.input,
        erased: d.erased,
        recorded: { decision: d.decision, reason_codes: d.reasonCodes, result: d.result },
        expected: c.expected,
      };
      json.push(ctx.redactor.value(entry, 'cases.json', i));
      if (d.input === null || d.input === undefined) {
        ctx.notes.push(`label ${c.ex.label.id}: no OPA decision record with the policy input was found for decision ${d.decisionId ?? '?'}; listed in cases.json without a Rego test`);
      } else {
        const redactedInput = ctx.redactor.value(d.input, file, i, '$.input');
        tests.push(regoTest({ ...c, ex: { ...c.ex, decision: { ...d, input: redactedInput } } }, ref));
      }
      ctx.addExample(i, file, c.ex);
      i++;
    }
    if (tests.length)
      ctx.write(
        file,
        [
          `# Regression inputs for ${path} from incident evidence (generated by Casefile; see cases.json and manifest.json).`,
          '# Each test replays a recorded policy input and expects the decision the investigators say was right.',
          `# Run with the policy: opa test <policy dir> ${file}`,
          `package ${pkg}`,
          '',
          'import rego.v1',
          '',
          tests.join('\n\n'),
          '',
        ].join('\n'),
      );
  }
  ctx.write('cases.json', `${JSON.stringify(json, null, 2)}\n`);
  if (cases.length === 0) ctx.notes.push('no label is about a policy decision: label a decision step (or a run as policy-boundary-attempt / false-positive-block)');
  return ctx.finish();
}

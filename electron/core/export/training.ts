/**
 * Training data from labels (OpenAI chat formats):
 *  - sft-jsonl: supervised fine-tuning, one `{"messages": [system?, user, assistant]}` per label with a
 *    corrected value — the corrected output is the assistant turn;
 *  - dpo-jsonl: preference pairs `{"input": {"messages": [...]}, "preferred_output": [assistant],
 *    "non_preferred_output": [assistant]}` — preferred = corrected, non-preferred = what the model produced.
 * Labels without a correction (or whose correction equals the recorded output) are listed as skipped.
 */
import { writeFileSync } from 'node:fs';
import type { ExportResult } from '../../../shared/api';
import type { ExportContext } from './common';
import type { ChatMessage, LabelExample } from './examples';

function usable(ctx: ExportContext, ex: LabelExample, needsDifference: boolean): boolean {
  if (ex.correctedText === null) {
    ctx.skip(ex.label, 'no corrected output on the label');
    return false;
  }
  if (ex.kind === 'decision') {
    ctx.skip(ex.label, 'the label is about a policy decision, not a model output (see the opa-tests export)');
    return false;
  }
  if (!ex.messages.some((m) => m.role === 'user')) {
    ctx.skip(ex.label, 'no recorded input to build the conversation from');
    return false;
  }
  if (needsDifference && ex.correctedText === ex.actualText) {
    ctx.skip(ex.label, 'the corrected output equals the recorded one: no preference to learn');
    return false;
  }
  return true;
}

const msgs = (m: ChatMessage[]) => m.map((x) => ({ role: x.role, content: x.content }));

export async function exportSft(ctx: ExportContext): Promise<ExportResult> {
  const file = ctx.file!;
  const rel = ctx.rel(file);
  const lines: string[] = [];
  for (const ex of ctx.examplesFromLabels()) {
    if (!usable(ctx, ex, false)) continue;
    const i = lines.length;
    const example = { messages: [...msgs(ex.messages), { role: 'assistant', content: ex.correctedText! }] };
    lines.push(JSON.stringify(ctx.redactor.value(example, rel, i)));
    ctx.addExample(i, rel, ex);
  }
  writeFileSync(file, lines.length ? `${lines.join('\n')}\n` : '');
  ctx.track(file);
  if (lines.length === 0) ctx.notes.push('no label carries a corrected output: the file is empty');
  return ctx.finish();
}

export async function exportDpo(ctx: ExportContext): Promise<ExportResult> {
  const file = ctx.file!;
  const rel = ctx.rel(file);
  const lines: string[] = [];
  for (const ex of ctx.examplesFromLabels()) {
    if (!usable(ctx, ex, true)) continue;
    const i = lines.length;
    const example = {
      input: { messages: msgs(ex.messages) },
      preferred_output: [{ role: 'assistant', content: ex.correctedText! }],
      non_preferred_output: [{ role: 'assistant', content: ex.actualText }],
    };
    lines.push(JSON.stringify(ctx.redactor.value(example, rel, i)));
    ctx.addExample(i, rel, ex);
  }
  writeFileSync(file, lines.length ? `${lines.join('\n')}\n` : '');
  ctx.track(file);
  if (lines.length === 0) ctx.notes.push('no label carries a corrected output that differs from the recorded one: the file is empty');
  return ctx.finish();
}

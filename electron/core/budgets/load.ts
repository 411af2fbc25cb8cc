/** Reading budgets documents: YAML text → shared/budgets.ts validation. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { BudgetsDoc } from '../../../shared/api';
import { budgetsFromObject } from '../../../shared/budgets';
import { openDb } from '../store/db';
import { CaseQueries } from '../store/case-queries';

/** Parse the text of a budgets file (YAML, or JSON which is YAML too). Syntax errors become problems. */
export function parseBudgetsText(text: string, sourceName: string | null): BudgetsDoc {
  let obj: unknown;
  try {
    obj = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    return { source: sourceName, budgets: [], problems: [`${sourceName ?? 'budgets'}: not valid YAML: ${(e as Error).message.split('\n')[0]}`] };
  }
  return budgetsFromObject(obj, sourceName);
}

export function loadBudgetsFile(path: string): BudgetsDoc {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { source: path, budgets: [], problems: [`cannot read budgets file ${path}: ${(e as Error).message}`] };
  }
  return parseBudgetsText(text, path);
}

/**
 * The budgets document imported with the case (format 'budgets' in the documents table). When the case
 * holds several, the most recently imported one is used and the others are named in `problems`.
 */
export function loadCaseBudgets(casePath: string): BudgetsDoc {
  const db = openDb(casePath, { readonly: true });
  let docs: ReturnType<CaseQueries['documents']>;
  try {
    docs = new CaseQueries(db).documents('budgets');
  } finally {
    db.close();
  }
  if (docs.length === 0) return { source: null, budgets: [], problems: ['the case holds no budgets file: import one with the bundle (budgets.yaml, docs/budgets.md) or pass --budgets FILE'] };
  const d = docs[docs.length - 1]!;
  const name = d.member ? `${basename(d.container ?? '')}!${d.member}` : d.path;
  const doc = parseBudgetsText(d.text, name);
  if (docs.length > 1) doc.problems.unshift(`the case holds ${docs.length} budgets files; using the latest imported (${name}), ignoring ${docs.slice(0, -1).map((x) => x.path).join(', ')}`);
  return doc;
}

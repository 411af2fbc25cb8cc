/**
 * The facts run derivation needs from each record, extracted once — when the record is imported, from the
 * object the importer has already parsed — instead of re-parsing every record's JSON at each derivation.
 * Stored in `record_facts` (migration 004, one row per audit event, span and OPA decision), read by
 * electron/core/store/runs-derive.ts (the scan). Records imported before migration 004 get theirs
 * computed by the same function at their first derivation.
 *
 * Values follow SQLite's json_extract conventions, which the derivation's SQL was written against:
 * strings stay strings, numbers numbers, booleans become 1/0, objects and arrays their JSON text, absent
 * or null values NULL. Pure: the caller passes SHA-256 (for the audit event's own hash check).
 */
import { auditEventHash, type Sha256Hex } from './audit';
import { getPath } from './model';

/** Column order of a facts row (record_facts, after its id). */
export const FACT_COLUMNS = [
  // audit events: hash chain (16-character prefixes are all the structural check needs), own-hash problem
  'a_seq', 'a_prev', 'a_hash', 'h_bad',
  // audit events: per-type fields
  'a_wf', 'a_tier', 'a_session', 'a_sig', 'a_appr', 'a_in', 'a_ftxt', 'a_tool',
  'a_mver', 'a_mname', 'a_mprov', 'a_did', 'a_dout', 'a_dpol', 'a_dreasons', 'a_write',
  // spans (s_links: the linked trace ids, a JSON array)
  's_links', 's_session', 's_wf', 'g_json',
  // OPA decisions
  'o_did', 'o_out', 'o_reasons', 'o_pol', 'o_wf',
] as const;

export type FactValue = string | number | null;
export type FactsRow = FactValue[];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON value as json_extract returns it. */
export function sqlValue(v: unknown): FactValue {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return JSON.stringify(v);
}

/** A JSON value as `||` concatenates it (NULL stays NULL). */
function sqlText(v: unknown): string | null {
  const s = sqlValue(v);
  return s === null ? null : String(s);
}

const get = getPath;

const first = (...vals: unknown[]): FactValue => {
  for (const v of vals) {
    const s = sqlValue(v);
    if (s !== null) return s;
  }
  return null;
};

const prefix16 = (v: unknown): string | null => {
  const s = sqlText(v);
  return s === null ? null : s.slice(0, 16);
};

const AUDIT_PREFIX = '{"origin":"casefile","event":';

/**
 * The content check of one audit event as stored (`{"origin":"casefile","event":{…}}`): null when its own
 * hash matches its content or it has none, else what is wrong.
 */
export function auditHashProblem(data: string, sha256: Sha256Hex): string | null {
  // Fast path: the stored event text without its trailing "hash" member, hashed as is. Producers that write
  // canonical JSON (sorted keys, hash last) verify here without parsing; anything else takes the full path.
  // data = {"origin":"casefile","event":{…,"hash":"<64 hex>"}}: the tail ,"hash":"…"}} is 76 characters
  const n = data.length;
  if (data.startsWith(AUDIT_PREFIX) && n > AUDIT_PREFIX.length + 76 && data.startsWith(',"hash":"', n - 76) && data.endsWith('"}}')) {
    const hash = data.slice(n - 67, n - 3);
    const body = `${data.slice(AUDIT_PREFIX.length, n - 76)}}`;
    const at = body.indexOf('"prev_hash":"');
    const prev = at >= 0 ? body.slice(at + 13, at + 77) : '';
    if (sha256(`${prev}\n${body}`) === hash) return null;
  }
  let ev: Obj;
  try {
    ev = (JSON.parse(data) as { event: Obj }).event;
  } catch {
    return 'stored event is not JSON';
  }
  return eventHashProblem(ev, sha256);
}

function eventHashProblem(ev: Obj, sha256: Sha256Hex): string | null {
  if (typeof ev.hash !== 'string') return null;
  const actual = auditEventHash(ev, sha256);
  return actual === ev.hash ? null : `hash ${ev.hash.slice(0, 12)}… does not match the event's content (computed ${actual.slice(0, 12)}…): the event was changed after it was hashed`;
}

/**
 * The facts of one record, or null for kinds derivation reads nothing from (logs, lineage).
 * `data` is the record's data object; `dataJson` its stored text (audit events: checked against their hash).
 */
export function recordFacts(kind: string, name: string | null, parentSpanId: string | null, data: unknown, dataJson: string, sha256: Sha256Hex): FactsRow | null {
  if (kind === 'audit') return auditFacts(name, data, dataJson, sha256);
  if (kind === 'span') return spanFacts(parentSpanId, data);
  if (kind === 'decision') return decisionFacts(data);
  return null;
}

const N = FACT_COLUMNS.length;
const blank = (): FactsRow => new Array<FactValue>(N).fill(null);

function auditFacts(name: string | null, data: unknown, dataJson: string, sha256: Sha256Hex): FactsRow {
  const f = blank();
  const ev = get(data, 'event');
  const e = isObj(ev) ? ev : {};
  f[0] = sqlValue(e.seq);
  f[1] = prefix16(e.prev_hash);
  f[2] = prefix16(e.hash);
  f[3] = typeof e.hash === 'string' ? auditHashProblem(dataJson, sha256) : null;
  if (name === 'run.start') {
    f[4] = sqlValue(e.workflow);
    f[5] = sqlValue(e.tier);
    f[6] = sqlValue(e.session_id);
  }
  if (name === 'user.signal') f[7] = sqlValue(get(e, 'signal', 'kind'));
  if (name === 'approval') f[8] = sqlValue(get(e, 'approval', 'decision'));
  if (name === 'input') f[9] = first(get(e, 'input', 'text'), e.input) ?? '';
  switch (name) {
    case 'input':
      f[10] = first(get(e, 'input', 'text'), e.input);
      break;
    case 'output':
      f[10] = first(get(e, 'output', 'text'), e.output);
      break;
    case 'model.call':
      f[10] = first(get(e, 'output', 'content'), get(e, 'output', 'text'), e.output);
      break;
    case 'user.signal':
      f[10] = sqlValue(get(e, 'signal', 'note'));
      break;
    case 'retrieval':
      f[10] = sqlValue(e.input);
      break;
    case 'write': {
      const field = sqlText(get(e, 'write', 'field'));
      f[10] = field === null ? null : `${field} ${sqlText(get(e, 'write', 'before')) ?? ''} ${sqlText(get(e, 'write', 'after')) ?? ''}`;
      break;
    }
  }
  if (name === 'tool.call') f[11] = sqlValue(get(e, 'tool', 'name'));
  if (name === 'model.call' || name === 'run.start') {
    f[12] = sqlValue(get(e, 'model', 'version'));
    f[13] = sqlValue(get(e, 'model', 'name'));
    f[14] = sqlValue(get(e, 'model', 'provider'));
  }
  if (name === 'policy.decision') {
    f[15] = sqlValue(get(e, 'decision', 'decision_id'));
    f[16] = sqlValue(get(e, 'decision', 'decision'));
    f[17] = sqlValue(get(e, 'decision', 'policy_id'));
    f[18] = sqlValue(get(e, 'decision', 'reason_codes'));
  }
  if (name === 'write') {
    f[19] = `${sqlText(get(e, 'write', 'system')) ?? '?'} ${sqlText(get(e, 'write', 'record')) ?? ''}.${sqlText(get(e, 'write', 'field')) ?? ''}`;
  }
  return f;
}

function spanFacts(parentSpanId: string | null, data: unknown): FactsRow {
  const f = blank();
  const d = isObj(data) ? data : {};
  // the trace ids this span links to (OTel span links), as a JSON array; null when it has none
  const links = Array.isArray(d.links) ? d.links.map((l) => sqlValue(get(l, 'traceId'))).filter((t) => t !== null) : [];
  f[20] = links.length ? JSON.stringify(links) : null;
  f[21] = sqlValue(d.sessionId);
  if (parentSpanId === null) f[22] = sqlValue(get(d, 'attributes', 'casefile.workflow'));
  if (isObj(d.genai)) {
    const a = isObj(d.attributes) ? d.attributes : {};
    const g = d.genai;
    f[23] = JSON.stringify(
      [a['gen_ai.response.model'], a['gen_ai.request.model'], a['llm.model_name'], d.origin, g.responseModel, g.requestModel, g.system, g.toolName].map((v) => (v === undefined ? null : v)),
    );
  }
  return f;
}

function decisionFacts(data: unknown): FactsRow {
  const f = blank();
  f[24] = sqlValue(get(data, 'decisionId'));
  f[25] = sqlValue(get(data, 'decision'));
  f[26] = sqlValue(get(data, 'reasonCodes'));
  f[27] = sqlValue(get(data, 'policyId'));
  f[28] = sqlValue(get(data, 'input', 'workflow'));
  return f;
}

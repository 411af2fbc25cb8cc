/**
 * Casefile audit JSONL v1: the hash chain (docs/formats.md, "Hash chain").
 *
 * Chains are per run_id, in seq order (file order when seq is absent). For every event:
 *
 *   hash = sha256_hex((prev_hash ?? "") + "\n" + canonicalJson(event without its "hash" key))
 *
 * and prev_hash is the hash of the previous event of the same run (null or absent for the first).
 * Pure: the caller passes a SHA-256 function (shared/ may not import node:crypto; use
 * `s => createHash('sha256').update(s, 'utf8').digest('hex')` in Node, or a WebCrypto wrapper).
 */
import type { AuditEvent } from './model';
import { canonicalJson } from './model';

/** SHA-256 of the UTF-8 bytes of a string, as 64 lowercase hex characters. */
export type Sha256Hex = (text: string) => string;

/** An audit event as parsed: typed, or any JSON object (chains are checked before or without schema validation). */
export type AuditEventLike = AuditEvent | Record<string, unknown>;

type Fields = Record<string, unknown>;

/** The hash an audit event must carry, given its own prev_hash. The event's current `hash` is ignored. */
export function auditEventHash(event: AuditEventLike, sha256: Sha256Hex): string {
  const rest: Fields = { ...event };
  delete rest.hash;
  const prev = typeof rest.prev_hash === 'string' ? rest.prev_hash : '';
  return sha256(`${prev}\n${canonicalJson(rest)}`);
}

/**
 * Orders the events of one run for chaining: by seq when every event has a numeric seq (ties keep file
 * order), otherwise in the order given (file order).
 */
export function orderAuditRun<T extends AuditEventLike>(events: readonly T[]): T[] {
  const seq = (e: T) => (e as Fields).seq;
  const indexed = events.map((e, i) => ({ e, i }));
  if (indexed.every(({ e }) => typeof seq(e) === 'number')) {
    indexed.sort((a, b) => (seq(a.e) as number) - (seq(b.e) as number) || a.i - b.i);
  }
  return indexed.map(({ e }) => e);
}

/**
 * Writes prev_hash and hash on the events of ONE run (returns new objects, in chain order).
 * For producers and tests; a run's events must all share run_id.
 */
export function sealAuditRun<T extends AuditEventLike>(events: readonly T[], sha256: Sha256Hex): Array<T & { prev_hash: string | null; hash: string }> {
  const out: Array<T & { prev_hash: string | null; hash: string }> = [];
  let prev: string | null = null;
  for (const e of orderAuditRun(events)) {
    const withPrev = { ...e, prev_hash: prev } as T & { prev_hash: string | null; hash: string };
    delete (withPrev as Fields).hash;
    withPrev.hash = auditEventHash(withPrev, sha256);
    out.push(withPrev);
    prev = withPrev.hash;
  }
  return out;
}

export interface AuditChainProblem {
  eventId: string | null;
  /** Position of the event in its run's chain order (0-based). */
  position: number;
  problem: string;
}

export interface AuditChainReport {
  runId: string;
  /** 'unchained': no event of the run carries a hash; 'ok': the chain verifies; 'broken': see problems. */
  status: 'ok' | 'unchained' | 'broken';
  events: number;
  problems: AuditChainProblem[];
}

/**
 * Verifies the hash chains of audit events (any runs, in file order). A run none of whose events carries
 * a hash is reported 'unchained' (hashing is optional); once any event of a run has a hash, every event
 * of that run must carry a correct hash and link to its predecessor.
 */
export function verifyAuditChains(events: readonly AuditEventLike[], sha256: Sha256Hex): AuditChainReport[] {
  const runs = new Map<string, Fields[]>();
  for (const event of events) {
    const e = event as Fields;
    const runId = typeof e.run_id === 'string' ? e.run_id : '';
    let list = runs.get(runId);
    if (!list) runs.set(runId, (list = []));
    list.push(e);
  }
  const reports: AuditChainReport[] = [];
  for (const [runId, list] of runs) {
    const ordered = orderAuditRun(list);
    if (!ordered.some((e) => 'hash' in e && e.hash !== undefined)) {
      reports.push({ runId, status: 'unchained', events: ordered.length, problems: [] });
      continue;
    }
    const problems: AuditChainProblem[] = [];
    let prevHash: string | null = null;
    ordered.forEach((e, position) => {
      const eventId = typeof e.event_id === 'string' ? e.event_id : null;
      const add = (problem: string) => problems.push({ eventId, position, problem });
      const prev = e.prev_hash ?? null;
      if (position === 0 && prev !== null) add(`first event of the run has prev_hash ${String(prev)} (earlier events missing?)`);
      if (position > 0 && prev !== prevHash) {
        add(`prev_hash ${prev === null ? 'is missing' : String(prev)} does not match the previous event's hash ${String(prevHash)} (event removed, inserted or reordered?)`);
      }
      if (typeof e.hash !== 'string') add('no hash on an event of a hash-chained run');
      else if (e.hash !== auditEventHash(e, sha256)) add('hash does not match the event content (changed after it was hashed?)');
      prevHash = typeof e.hash === 'string' ? e.hash : null;
    });
    reports.push({ runId, status: problems.length ? 'broken' : 'ok', events: ordered.length, problems });
  }
  return reports;
}

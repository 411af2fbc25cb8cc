import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEvent } from '../../../shared/model';
import { auditEventHash } from '../../../shared/audit';
import { openDb } from '../store/db';
import { sha256Hex } from '../store/hash';
import { CaseQueries } from '../store/case-queries';
import { enumerateInput } from './bundle';
import { checkManifests } from './manifest';

export interface SourceCheck {
  id: number;
  path: string;
  status: 'ok' | 'mismatch' | 'missing' | 'unreadable' | 'not-checked';
  expected: string;
  actual?: string;
  note?: string;
}

export interface ChainBreak {
  runId: string;
  eventId: string;
  sourcePath: string;
  line: number | null;
  reason: string;
}

export interface VerifyResult {
  case: string;
  ok: boolean;
  sources: SourceCheck[];
  chains: { runsChecked: number; eventsChecked: number; breaks: ChainBreak[] };
  integrity: string[];
  manifest: string[];
}


/** The audit hash-chain rule (docs/formats.md, shared/audit.ts) with Node's SHA-256. */
export function computeAuditHash(ev: AuditEvent): string {
  return auditEventHash(ev, sha256Hex);
}

async function hashStream(s: NodeJS.ReadableStream): Promise<string> {
  const h = createHash('sha256');
  for await (const c of s as AsyncIterable<Buffer>) h.update(c);
  return h.digest('hex');
}

/** Re-hash every source still on disk, check audit hash chains and the database's integrity. */
export async function verifyCase(casePath: string): Promise<VerifyResult> {
  const db = openDb(casePath, { readonly: true });
  try {
    const q = new CaseQueries(db);
    const checks: SourceCheck[] = [];
    const sources = q.sources().filter((s) => s.status === 'complete');
    // Group archive members by container so each archive is read once.
    const byArchive = new Map<string, typeof sources>();
    for (const s of sources) {
      if (s.container && s.member && !existsSync(join(s.container, s.member))) {
        const list = byArchive.get(s.container) ?? [];
        list.push(s);
        byArchive.set(s.container, list);
        continue;
      }
      const p = s.container && s.member ? join(s.container, s.member) : s.path;
      if (!existsSync(p)) {
        checks.push({ id: s.id, path: s.path, status: 'missing', expected: s.sha256, note: 'no longer on disk; the case keeps its hash' });
        continue;
      }
      try {
        const actual = await hashStream(createReadStream(p));
        checks.push({ id: s.id, path: s.path, status: actual === s.sha256 ? 'ok' : 'mismatch', expected: s.sha256, actual });
      } catch (e) {
        checks.push({ id: s.id, path: s.path, status: 'unreadable', expected: s.sha256, note: (e as Error).message });
      }
    }
    for (const [container, list] of byArchive) {
      if (!existsSync(container)) {
        for (const s of list) checks.push({ id: s.id, path: s.path, status: 'missing', expected: s.sha256, note: 'archive no longer on disk' });
        continue;
      }
      const want = new Map(list.map((s) => [s.member!, s]));
      try {
        for await (const entry of enumerateInput(container)) {
          const s = entry.member ? want.get(entry.member) : undefined;
          if (!s || entry.refused) continue;
          const actual = await hashStream(await entry.open());
          checks.push({ id: s.id, path: s.path, status: actual === s.sha256 ? 'ok' : 'mismatch', expected: s.sha256, actual });
          want.delete(entry.member!);
        }
      } catch (e) {
        for (const s of want.values()) checks.push({ id: s.id, path: s.path, status: 'unreadable', expected: s.sha256, note: (e as Error).message });
        want.clear();
      }
      for (const s of want.values()) checks.push({ id: s.id, path: s.path, status: 'missing', expected: s.sha256, note: 'member no longer in the archive' });
    }
    checks.sort((a, b) => a.id - b.id);

    // Audit hash chains, per run in seq order.
    const breaks: ChainBreak[] = [];
    let runs = 0;
    let events = 0;
    let curRun: string | null = null;
    let prevHash: string | null = null;
    let chained = false;
    for (const row of q.auditEventsInChainOrder()) {
      const ev = (JSON.parse(row.data) as { event: AuditEvent }).event;
      if (row.runId !== curRun) {
        curRun = row.runId;
        prevHash = null;
        chained = false;
        runs++;
      }
      events++;
      if (ev.hash === undefined && ev.prev_hash === undefined) continue; // chaining is optional
      const expectPrev = chained ? prevHash : null;
      if ((ev.prev_hash ?? null) !== expectPrev) {
        breaks.push({
          runId: row.runId,
          eventId: ev.event_id,
          sourcePath: row.sourcePath,
          line: row.line,
          reason: chained
            ? `prev_hash ${ev.prev_hash ?? 'null'} does not match the previous event's hash ${expectPrev} (an event is missing or was altered)`
            : `first chained event of the run has prev_hash ${ev.prev_hash} (earlier events are missing)`,
        });
      }
      if (ev.hash !== undefined) {
        const actual = computeAuditHash(ev);
        if (actual !== ev.hash) breaks.push({ runId: row.runId, eventId: ev.event_id, sourcePath: row.sourcePath, line: row.line, reason: `hash ${ev.hash} does not match the event's content (computed ${actual})` });
      }
      prevHash = ev.hash ?? null;
      chained = true;
    }
    const integrity = q.integrityCheck();
    const manifest: string[] = [];
    db.close();
    // manifest check needs a writable handle to record expected hashes; use a short-lived one
    const w = openDb(casePath);
    try {
      manifest.push(...checkManifests(w));
    } finally {
      w.close();
    }
    const ok = checks.every((c) => c.status === 'ok' || c.status === 'missing') && breaks.length === 0 && integrity.length === 0 && manifest.length === 0;
    return { case: casePath, ok, sources: checks, chains: { runsChecked: runs, eventsChecked: events, breaks }, integrity, manifest };
  } finally {
    if (db.open) db.close();
  }
}

/** A bundle whose audit inputs and outputs carry HTML/script payloads: the UI must show them as inert text. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const XSS_RUN = 'run_XSS0000000000000000000001';
export const PAYLOADS = ['<script>window.__xss=1</script>', '<img src=x onerror="window.__xss=2">', '"><svg onload=window.__xss=3>'];

export function writeXssBundle(dir: string): string {
  mkdirSync(join(dir, 'audit'), { recursive: true });
  const base = Date.UTC(2026, 0, 5, 10, 0, 0);
  const ev = (i: number, type: string, extra: Record<string, unknown>) => ({
    audit_version: 1,
    event_id: `evt_XSS${String(i).padStart(4, '0')}`,
    run_id: XSS_RUN,
    seq: i,
    ts: new Date(base + i * 250).toISOString(),
    type,
    workflow: 'xss-<b>bold</b>-agent',
    tier: 'draft',
    ...extra,
  });
  const lines = [
    ev(0, 'run.start', { actor: { type: 'agent', id: '<script>alert(1)</script>' } }),
    ev(1, 'input', { actor: { type: 'human', id: 'customer' }, input: { message: `Hello ${PAYLOADS.join(' ')}` } }),
    ev(2, 'model.call', { model: { provider: 'x', name: '<img src=x onerror=alert(1)>', version: '1.0<script>' }, input: PAYLOADS[0], output: PAYLOADS[1] }),
    ev(3, 'output', { output: { text: `Answer ${PAYLOADS.join(' ')}` } }),
    ev(4, 'run.end', {}),
  ];
  writeFileSync(join(dir, 'audit', 'xss.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return dir;
}

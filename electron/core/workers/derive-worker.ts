/**
 * The run derivation's helper connection (electron/core/recon/derive.ts): builds t_aud and the decision side into
 * a scratch database on this thread while the deriving thread scans the evidence. Signals through a shared Int32Array — the deriving
 * thread waits synchronously (its SQL runs inside one transaction) — and reports on a message port:
 * 1 started, 2 done (message { ok, ms } or { ok: false, error }).
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { buildHelperTables } from '../store/runs-derive';

const { casePath, scratchPath, signal, port } = workerData as { casePath: string; scratchPath: string; signal: SharedArrayBuffer; port: MessagePort };
const flag = new Int32Array(signal);
Atomics.store(flag, 0, 1);
Atomics.notify(flag, 0);
let message: { ok: true; ms: number } | { ok: false; error: string };
try {
  message = { ok: true, ms: buildHelperTables(scratchPath, casePath) };
} catch (e) {
  message = { ok: false, error: (e as Error).message };
}
port.postMessage(message);
port.close();
Atomics.store(flag, 0, 2);
Atomics.notify(flag, 0);

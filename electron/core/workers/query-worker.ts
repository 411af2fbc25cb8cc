/**
 * Query worker (reader, facts or writer role — see electron/core/api/service.ts): receives
 * { id, method, ctx, args }, runs the handler on its own connection to the case, replies
 * { id, ok, value } or { id, ok: false, error: { error, code } }. One request at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HANDLERS, connection, type HandlerCtx, type Role } from '../api/handlers';
import { toApiError } from '../api/errors';
import type { WorkerReply, WorkerRequest } from './pool';

const role: Role = (workerData as { role?: Role } | null)?.role ?? 'reader';
const port = parentPort!;
const table = HANDLERS[role];

port.on('message', async (m: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const fn = table[m.method];
    if (!fn) throw Object.assign(new Error(`${m.method} is not a ${role} method`), { code: 'BAD_REQUEST' });
    const ctx: HandlerCtx = { casePath: m.ctx.casePath, generation: m.ctx.generation, role, db: () => connection(m.ctx.casePath, role) };
    const value = await fn(ctx, ...m.args);
    reply = { id: m.id, ok: true, value };
  } catch (e) {
    reply = { id: m.id, ok: false, error: toApiError(e) };
  }
  try {
    port.postMessage(reply);
  } catch (e) {
    port.postMessage({ id: m.id, ok: false, error: { error: `result could not be sent: ${(e as Error).message}`, code: 'INTERNAL' } } satisfies WorkerReply);
  }
});

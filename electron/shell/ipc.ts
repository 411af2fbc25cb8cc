/**
 * IPC between the renderer and the core, in the Electron main process.
 *
 * One channel, 'casefile:call' (ipcMain.handle). Every call is checked before anything runs:
 * - the sender frame must be our own page (app://casefile/…), never a foreign or navigated-away frame;
 * - the method must be in API_METHODS (the CasefileApi) or in the small SHELL_METHODS allowlist
 *   (native dialogs, dropped files);
 * - the arguments must be a JSON array.
 * Answers are envelopes ({ ok, value } | { ok: false, error, code }), never thrown errors, so the error
 * code survives the bridge. Events go to the renderer on 'casefile:event' as (name, payload).
 */
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { API_METHODS, type ApiMethod, type CasefileApi } from '../../shared/api';
import { toApiError } from '../core/api/errors';

export const APP_SCHEME = 'app';
export const APP_HOST = 'casefile';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

export const SHELL_METHODS = ['shell.pickPaths', 'shell.pickSavePath', 'shell.importPaths', 'shell.ready'] as const;
export type ShellMethod = (typeof SHELL_METHODS)[number];

export type Envelope = { ok: true; value: unknown } | { ok: false; error: string; code?: string };

/** True only for a frame showing our own bundled page. */
export function isTrustedSender(url: string | undefined | null): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

export interface ShellHandlers {
  [name: string]: (sender: WebContents, args: unknown[]) => Promise<unknown>;
}

export function makeCallHandler(service: CasefileApi, shell: ShellHandlers) {
  return async (event: IpcMainInvokeEvent, method: unknown, args: unknown): Promise<Envelope> => {
    const frame = event.senderFrame;
    const main = event.sender.mainFrame;
    const isMainFrame = !!frame && frame.processId === main.processId && frame.routingId === main.routingId;
    if (!frame || !isTrustedSender(frame.url) || !isMainFrame) {
      return { ok: false, error: 'IPC refused: the call does not come from the Casefile window', code: 'BAD_REQUEST' };
    }
    if (typeof method !== 'string') return { ok: false, error: 'IPC refused: no method', code: 'BAD_REQUEST' };
    if (!Array.isArray(args)) return { ok: false, error: 'IPC refused: arguments must be an array', code: 'BAD_REQUEST' };
    try {
      if ((SHELL_METHODS as readonly string[]).includes(method)) {
        const fn = shell[method];
        if (!fn) return { ok: false, error: `${method} is not available`, code: 'NOT_FOUND' };
        return { ok: true, value: await fn(event.sender, args) };
      }
      if (!(API_METHODS as readonly string[]).includes(method)) return { ok: false, error: `unknown API method '${method}'`, code: 'NOT_FOUND' };
      const fn = service[method as ApiMethod] as (...a: unknown[]) => Promise<unknown>;
      const value = await fn.apply(service, args);
      return { ok: true, value };
    } catch (e) {
      const err = toApiError(e);
      return { ok: false, error: err.error, code: err.code };
    }
  };
}

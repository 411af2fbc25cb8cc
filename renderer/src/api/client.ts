/**
 * THE one way the renderer reaches the core. Chooses the transport once, at startup:
 * the Electron preload bridge (`window.casefile`, IPC) when present, else loopback HTTP (`casefile serve`).
 * Exposes the typed CasefileApi (shared/api.ts) plus `onEvent`.
 */
import type { ApiEvents, ApiMethod, CasefileApi } from '../../../shared/api';
import { API_METHODS } from '../../../shared/api';
import { createHttpTransport } from './http-client';
import { ApiCallError, type EventListener, type Transport } from './transport';

export { ApiCallError };

/** What the main process answers on 'casefile:call' (electron/shell/ipc.ts): never a thrown error. */
type IpcEnvelope = { ok: true; value: unknown } | { ok: false; error: string; code?: ApiCallError['code'] };

function createIpcTransport(bridge: NonNullable<Window['casefile']>): Transport {
  return {
    kind: 'ipc',
    hasToken: true,
    async call(method, args) {
      let r: IpcEnvelope;
      try {
        r = (await bridge.call(method, args)) as IpcEnvelope;
      } catch (e) {
        throw new ApiCallError((e as Error).message ?? String(e), 'INTERNAL');
      }
      if (r && typeof r === 'object' && 'ok' in r) {
        if (r.ok) return r.value;
        throw new ApiCallError(r.error, r.code);
      }
      return r;
    },
    onEvent(l) {
      return bridge.onEvent((name, payload) => l(name as keyof ApiEvents, payload as ApiEvents[keyof ApiEvents]));
    },
  };
}

const transport: Transport = typeof window !== 'undefined' && window.casefile ? createIpcTransport(window.casefile) : createHttpTransport();

export const transportKind = transport.kind;
export const transportHasToken = transport.hasToken;

export const api: CasefileApi = Object.fromEntries(
  API_METHODS.map((m: ApiMethod) => [m, (...args: unknown[]) => transport.call(m, args)]),
) as unknown as CasefileApi;

export function onEvent<K extends keyof ApiEvents>(name: K, cb: (payload: ApiEvents[K]) => void): () => void {
  const l = ((n: string, p: unknown) => {
    if (n === (name as string)) cb(p as ApiEvents[K]);
  }) as EventListener;
  return transport.onEvent(l);
}

/** True when the page runs inside the Electron shell (native dialogs, menus are available). */
export const inElectron = transport.kind === 'ipc';

/**
 * Shell-only calls (Electron): carried over the same `call` bridge under a fixed allowlist the main process
 * checks (electron/shell/ipc.ts SHELL_METHODS). They never reach the core service.
 */
export const shell = {
  /** Native open dialog; resolves to the chosen paths (empty when cancelled). */
  pickPaths: (kind: 'bundle' | 'case'): Promise<string[]> => (inElectron ? (transport.call('shell.pickPaths' as ApiMethod, [kind]) as Promise<string[]>) : Promise.resolve([])),
  /** Asked once at startup: the import or case the shell opened from the command line (or the sample). */
  ready: (): Promise<{ job?: { jobId: string; casePath: string }; casePath?: string } | null> => (inElectron ? (transport.call('shell.ready' as ApiMethod, []) as Promise<{ job?: { jobId: string; casePath: string }; casePath?: string } | null>) : Promise.resolve(null)),
  /** Native save dialog for exports. */
  pickSavePath: (suggested: string): Promise<string | null> => (inElectron ? (transport.call('shell.pickSavePath' as ApiMethod, [suggested]) as Promise<string | null>) : Promise.resolve(null)),
};

/** Events the Electron shell itself sends (menu actions, dropped files). Never sent over HTTP. */
export interface ShellEvent {
  action: 'open-case' | 'import-started' | 'export' | 'command';
  casePath?: string;
  job?: { jobId: string; casePath: string };
  command?: string;
}

export function onShellEvent(cb: (e: ShellEvent) => void): () => void {
  return transport.onEvent(((n: string, p: unknown) => {
    if (n === 'shell') cb(p as ShellEvent);
  }) as EventListener);
}

/**
 * The loopback HTTP transport of the CasefileApi (`casefile serve`).
 *
 * - The per-launch token arrives in the URL fragment (`#token=...`): it is moved to sessionStorage and the
 *   fragment is removed from the address bar, so it does not linger in history or get copied with the URL.
 * - Calls: POST /api/<method>, body = JSON array of the arguments, header `Authorization: Bearer <token>`.
 *   2xx → the JSON result (an empty body means undefined); non-2xx → an ApiError body { error, code }.
 * - Events: Server-Sent Events at GET /api/events?token=... ; each event's name is the ApiEvents key
 *   (`event: import`) and its data the JSON payload. A plain `message` event carrying
 *   { event, data } / { type, payload } is accepted too.
 */
import type { ApiEvents, ApiMethod, CasefileApi } from '../../../shared/api';
import { API_METHODS } from '../../../shared/api';
import { ApiCallError, type EventListener, type Transport } from './transport';

const TOKEN_KEY = 'casefile.token';

export function takeTokenFromLocation(): string | null {
  const hash = window.location.hash.replace(/^#/, '');
  const params = new URLSearchParams(hash);
  const fromHash = params.get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', window.location.pathname + window.location.search + (rest ? `#${rest}` : ''));
    return fromHash;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export function createHttpTransport(base = ''): Transport {
  const token = takeTokenFromLocation();
  const listeners = new Set<EventListener>();
  let source: EventSource | null = null;

  const dispatch = (name: string, data: unknown) => {
    for (const l of listeners) l(name as keyof ApiEvents, data as ApiEvents[keyof ApiEvents]);
  };

  const connect = () => {
    if (source || !token) return;
    source = new EventSource(`${base}/api/events?token=${encodeURIComponent(token)}`);
    const names: Array<keyof ApiEvents> = ['import'];
    for (const n of names) {
      source.addEventListener(n, (ev) => {
        try {
          dispatch(n, JSON.parse((ev as MessageEvent<string>).data));
        } catch {}
      });
    }
    source.onmessage = (ev) => {
      try {
        const m = JSON.parse(ev.data) as { event?: string; type?: string; data?: unknown; payload?: unknown };
        const name = m.event ?? m.type;
        if (name) dispatch(name, m.data ?? m.payload);
      } catch {}
    };
  };

  async function call(method: ApiMethod, args: unknown[]): Promise<unknown> {
    if (!API_METHODS.includes(method)) throw new ApiCallError(`unknown method ${method}`, 'BAD_REQUEST');
    let res: Response;
    try {
      res = await fetch(`${base}/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(args),
      });
    } catch (e) {
      throw new ApiCallError(`the Casefile server is not reachable (${(e as Error).message})`, 'INTERNAL');
    }
    const text = await res.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!res.ok) {
      const b = body as { error?: string; code?: string } | string | undefined;
      const msg = typeof b === 'object' && b?.error ? b.error : typeof b === 'string' && b ? b : `HTTP ${res.status}`;
      throw new ApiCallError(msg, (typeof b === 'object' ? (b?.code as ApiCallError['code']) : undefined) ?? (res.status === 401 || res.status === 403 ? 'BAD_REQUEST' : 'INTERNAL'), res.status);
    }
    return body;
  }

  return {
    kind: 'http',
    hasToken: token != null,
    call,
    onEvent(l) {
      listeners.add(l);
      connect();
      return () => listeners.delete(l);
    },
  };
}

export type { CasefileApi };

/**
 * A CasefileApi over the loopback HTTP transport (`casefile serve`), for any runtime with `fetch`
 * (Node ≥ 18, browsers). The contract tests use it from Node; the renderer has its own browser-side
 * transport (renderer/src/api/http-client.ts) speaking the same protocol:
 *
 * - POST <base>/api/<method>, body = JSON array of the arguments, `Authorization: Bearer <token>`;
 *   200 → JSON result, 204 → undefined, otherwise an ApiError body `{ error, code }`.
 * - Events: GET <base>/api/events?token=<token> (Server-Sent Events; `event: import`, data = JSON).
 *   `onEvent` uses the global EventSource when there is one, else reads the stream with fetch.
 */
import { API_METHODS, type ApiError, type ApiEvents, type ApiMethod, type CasefileApi } from './api';

export class HttpApiError extends Error {
  constructor(
    message: string,
    readonly code: NonNullable<ApiError['code']> | undefined,
    readonly status: number,
  ) {
    super(message);
    this.name = 'HttpApiError';
  }
}

export interface HttpClient {
  onEvent<K extends keyof ApiEvents>(name: K, cb: (payload: ApiEvents[K]) => void): () => void;
  /** Closes the event stream, if one is open. */
  close(): void;
}

export function createHttpClient(baseUrl: string, token: string): CasefileApi & HttpClient {
  const base = baseUrl.replace(/\/+$/, '').replace(/#.*$/, '');
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  let stop: (() => void) | null = null;

  async function call(method: ApiMethod, args: unknown[]): Promise<unknown> {
    const res = await fetch(`${base}/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(args),
    });
    const text = await res.text();
    if (res.status === 204 || text === '') {
      if (res.ok) return undefined;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    if (!res.ok) {
      const e = body as Partial<ApiError> | string;
      const msg = typeof e === 'object' && e?.error ? e.error : `HTTP ${res.status}${typeof e === 'string' && e ? `: ${e}` : ''}`;
      throw new HttpApiError(msg, typeof e === 'object' ? e?.code : undefined, res.status);
    }
    return body;
  }

  const dispatch = (name: string, data: string) => {
    const set = listeners.get(name);
    if (!set) return;
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      return;
    }
    for (const cb of set) cb(payload);
  };

  const connect = () => {
    if (stop) return;
    const url = `${base}/api/events?token=${encodeURIComponent(token)}`;
    const ES = (globalThis as { EventSource?: new (u: string) => { addEventListener(n: string, f: (e: { data: string }) => void): void; close(): void } }).EventSource;
    if (ES) {
      const es = new ES(url);
      for (const n of ['import']) es.addEventListener(n, (e) => dispatch(n, e.data));
      stop = () => es.close();
      return;
    }
    // minimal SSE reader over fetch (Node without EventSource)
    const ac = new AbortController();
    stop = () => ac.abort();
    void (async () => {
      try {
        const res = await fetch(url, { signal: ac.signal, headers: { Accept: 'text/event-stream' } });
        if (!res.ok || !res.body) return;
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
            }
            if (data.length) dispatch(event, data.join('\n'));
          }
        }
      } catch {
        // aborted or the server went away
      }
    })();
  };

  const api = Object.fromEntries(API_METHODS.map((m) => [m, (...args: unknown[]) => call(m, args)])) as unknown as CasefileApi;
  return Object.assign(api, {
    onEvent<K extends keyof ApiEvents>(name: K, cb: (payload: ApiEvents[K]) => void): () => void {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(cb as (p: unknown) => void);
      connect();
      return () => set!.delete(cb as (p: unknown) => void);
    },
    close(): void {
      stop?.();
      stop = null;
    },
  });
}

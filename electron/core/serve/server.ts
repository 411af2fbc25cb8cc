/**
 * Loopback HTTP transport of the CasefileApi (`casefile serve`). Security model (docs/http-transport.md):
 * - listens on 127.0.0.1 only, never on another interface;
 * - a random per-launch token (32 bytes, base64url) is required on every /api request
 *   (`Authorization: Bearer <token>` or `X-Casefile-Token`; for the SSE stream, which EventSource
 *   cannot give headers, `?token=`), compared in constant time;
 * - the Host header must be 127.0.0.1:<port> or localhost:<port> (DNS-rebinding defence);
 * - an Origin header, when present, must be this server's own origin;
 * - strict Content-Security-Policy and friends on every response.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { API_METHODS, type ApiError, type ApiEvents, type ApiMethod, type CasefileApi } from '../../../shared/api';
import { toApiError } from '../api/errors';

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

const MAX_BODY = 16 * 1024 * 1024;

const STATUS: Record<NonNullable<ApiError['code']>, number> = { BAD_REQUEST: 400, NOT_FOUND: 404, NO_CASE: 409, TIMEOUT: 504, INTERNAL: 500 };

/** What the server needs: the API and its event stream (CasefileService provides both). */
export interface ApiHost extends CasefileApi {
  on<K extends keyof ApiEvents>(name: K, fn: (payload: ApiEvents[K]) => void): () => void;
}

export interface ServeOptions {
  api: ApiHost;
  /** 0 (default) = an ephemeral port chosen by the OS. */
  port?: number;
  /** Built renderer (default: dist/renderer beside the bundle). */
  rendererDir?: string | null;
  /** For tests only; a fresh random token otherwise. */
  token?: string;
}

export interface RunningServer {
  /** The URL to open, token included in the fragment. */
  url: string;
  origin: string;
  port: number;
  host: '127.0.0.1';
  token: string;
  server: Server;
  close(): Promise<void>;
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison (hashing first makes the lengths equal). */
export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 1024) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** Locate dist/renderer: beside the bundled CLI (dist/cli.cjs → dist/renderer) or from the repo. */
export function defaultRendererDir(): string | null {
  const candidates = [join(__dirnameSafe(), 'renderer'), resolve(process.cwd(), 'dist', 'renderer')];
  for (const c of candidates) if (existsSync(join(c, 'index.html'))) return c;
  return null;
}

function __dirnameSafe(): string {
  try {
    // bundled CommonJS: __dirname is dist/
    return typeof __dirname === 'string' ? __dirname : process.cwd();
  } catch {
    return process.cwd();
  }
}

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
}

function apiError(res: ServerResponse, status: number, error: string, code: ApiError['code']): void {
  sendJson(res, status, { error, code } satisfies ApiError);
}

const NOT_BUILT = `Casefile: the renderer is not built.

The API is served at /api/* on this address, but dist/renderer/ does not exist yet.
Run \`npm run build\` (it builds the renderer when renderer/index.html exists) and restart \`casefile serve\`.
`;

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const token = opts.token ?? newToken();
  const rendererDir = opts.rendererDir === undefined ? defaultRendererDir() : opts.rendererDir;
  const api = opts.api;
  const sseClients = new Set<ServerResponse>();
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();

  const readBody = (req: IncomingMessage): Promise<Buffer | null> =>
    new Promise((resolveBody, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          resolveBody(null);
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolveBody(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const headerToken = (req: IncomingMessage): string | null => {
    const auth = req.headers.authorization;
    if (typeof auth === 'string') {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (m) return m[1]!;
    }
    const x = req.headers['x-casefile-token'];
    return typeof x === 'string' ? x : null;
  };

  const handleEvents = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (req.method !== 'GET') return apiError(res, 405, 'use GET for /api/events', 'BAD_REQUEST');
    if (!tokenMatches(url.searchParams.get('token') ?? headerToken(req), token)) return apiError(res, 401, 'missing or wrong token', 'BAD_REQUEST');
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 2000\n: connected\n\n');
    sseClients.add(res);
    const off = api.on('import', (payload) => {
      res.write(`event: import\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    beat.unref();
    const done = () => {
      clearInterval(beat);
      off();
      sseClients.delete(res);
    };
    req.on('close', done);
    res.on('close', done);
  };

  const handleCall = async (req: IncomingMessage, res: ServerResponse, name: string) => {
    if (!(API_METHODS as readonly string[]).includes(name)) return apiError(res, 404, `unknown API method '${name}'`, 'NOT_FOUND');
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return apiError(res, 405, `use POST for /api/${name}`, 'BAD_REQUEST');
    }
    if (!tokenMatches(headerToken(req), token)) return apiError(res, 401, 'missing or wrong token', 'BAD_REQUEST');
    const ctype = String(req.headers['content-type'] ?? '');
    if (!/^application\/json\b/i.test(ctype)) return apiError(res, 415, 'the body must be application/json: a JSON array of the arguments', 'BAD_REQUEST');
    const body = await readBody(req);
    if (body === null) return apiError(res, 413, `request body over ${MAX_BODY} bytes`, 'BAD_REQUEST');
    let args: unknown;
    try {
      args = body.length === 0 ? [] : JSON.parse(body.toString('utf8'));
    } catch (e) {
      return apiError(res, 400, `the body is not JSON: ${(e as Error).message}`, 'BAD_REQUEST');
    }
    if (!Array.isArray(args)) return apiError(res, 400, 'the body must be a JSON array of the arguments', 'BAD_REQUEST');
    try {
      const fn = api[name as ApiMethod] as (...a: unknown[]) => Promise<unknown>;
      const value = await fn.apply(api, args);
      if (value === undefined) {
        res.writeHead(204, { ...SECURITY_HEADERS, 'Cache-Control': 'no-store' });
        res.end();
      } else sendJson(res, 200, value);
    } catch (e) {
      const err = toApiError(e);
      apiError(res, STATUS[err.code ?? 'INTERNAL'], err.error, err.code ?? 'INTERNAL');
    }
  };

  const handleStatic = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed\n', { 'Content-Type': 'text/plain; charset=utf-8' });
    }
    if (!rendererDir) return send(res, 200, NOT_BUILT, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      return send(res, 400, 'bad path\n', { 'Content-Type': 'text/plain; charset=utf-8' });
    }
    if (rel.includes('\0')) return send(res, 400, 'bad path\n', { 'Content-Type': 'text/plain; charset=utf-8' });
    const root = resolve(rendererDir);
    let file = resolve(root, `.${normalize(rel)}`);
    if (file !== root && !file.startsWith(root + sep)) return send(res, 403, 'forbidden\n', { 'Content-Type': 'text/plain; charset=utf-8' });
    let st = existsSync(file) ? statSync(file) : null;
    if (st?.isDirectory()) {
      file = join(file, 'index.html');
      st = existsSync(file) ? statSync(file) : null;
    }
    if (!st && !extname(rel)) {
      // client-side routes fall back to the app
      file = join(root, 'index.html');
      st = existsSync(file) ? statSync(file) : null;
    }
    if (!st || !st.isFile()) return send(res, 404, 'not found\n', { 'Content-Type': 'text/plain; charset=utf-8' });
    const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
    const isHtml = type.startsWith('text/html');
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(st.size), 'Cache-Control': isHtml ? 'no-store' : 'no-cache' });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  };

  const server = createServer((req, res) => {
    // DNS-rebinding defence: only our own host names, with our port
    const host = String(req.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(host)) return send(res, 403, 'forbidden: unexpected Host header\n', { 'Content-Type': 'text/plain; charset=utf-8' });
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(String(origin).toLowerCase())) return send(res, 403, 'forbidden: foreign Origin\n', { 'Content-Type': 'text/plain; charset=utf-8' });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${host}`);
    } catch {
      return send(res, 400, 'bad request\n', { 'Content-Type': 'text/plain; charset=utf-8' });
    }
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      if (req.headers['sec-fetch-site'] === 'cross-site') return apiError(res, 403, 'cross-site request refused', 'BAD_REQUEST');
      if (url.pathname === '/api/events') return handleEvents(req, res, url);
      const name = url.pathname.slice('/api/'.length);
      handleCall(req, res, name).catch((e) => {
        if (!res.headersSent) apiError(res, 500, (e as Error).message, 'INTERNAL');
        else res.destroy();
      });
      return;
    }
    handleStatic(req, res, url);
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 0; // long API calls (imports are async, but sql/verify can take a while)

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port ?? 0, host: '127.0.0.1', exclusive: true }, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const port = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  allowedOrigins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    host: '127.0.0.1',
    token,
    server,
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const c of sseClients) c.end();
        sseClients.clear();
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

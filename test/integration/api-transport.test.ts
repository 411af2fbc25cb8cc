/**
 * The loopback HTTP transport's defences (`casefile serve`): token, Host, Origin, loopback-only binding,
 * security headers. Runs the real CLI (built by `npm run build`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { tempDir } from '../helpers/cli';
import { raw, serve, type Served } from '../helpers/serve';

let s: Served;

const call = (method: string, headers: Record<string, string>, body = '[]') =>
  raw({ port: s.port, method: 'POST', path: `/api/${method}`, headers: { 'Content-Type': 'application/json', Host: `127.0.0.1:${s.port}`, ...headers }, body });

beforeAll(async () => {
  s = await serve(['--empty', '--port', '0'], { CASEFILE_DATA_DIR: tempDir('casefile-serve-') });
});
afterAll(async () => {
  const code = await s?.stop();
  expect(code).toBe(0); // graceful shutdown on SIGTERM
});

describe('casefile serve: the URL and the token', () => {
  it('prints http://127.0.0.1:<port>/#token=<43 base64url chars> as its first stdout line', () => {
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/);
    expect(s.port).toBeGreaterThan(0);
  });

  it('answers a call that carries the token (Authorization: Bearer or X-Casefile-Token)', async () => {
    const a = await call('appInfo', { Authorization: `Bearer ${s.token}` });
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toMatchObject({ transport: 'http', casePath: null });
    expect(a.headers['cache-control']).toBe('no-store');
    const b = await call('appInfo', { 'X-Casefile-Token': s.token });
    expect(b.status).toBe(200);
  });

  it('refuses a request without the token: 401', async () => {
    const r = await call('appInfo', {});
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toMatchObject({ error: expect.stringMatching(/token/) });
  });

  it('refuses a wrong token, and a token of the right length but wrong content: 401', async () => {
    expect((await call('appInfo', { Authorization: 'Bearer nope' })).status).toBe(401);
    const flipped = (s.token[0] === 'A' ? 'B' : 'A') + s.token.slice(1);
    expect((await call('appInfo', { Authorization: `Bearer ${flipped}` })).status).toBe(401);
    expect((await call('appInfo', { 'X-Casefile-Token': flipped })).status).toBe(401);
  });

  it('the event stream needs the token too (query parameter, since EventSource cannot send headers)', async () => {
    const no = await raw({ port: s.port, path: '/api/events', headers: { Host: `127.0.0.1:${s.port}` } });
    expect(no.status).toBe(401);
    const bad = await raw({ port: s.port, path: '/api/events?token=wrong', headers: { Host: `127.0.0.1:${s.port}` } });
    expect(bad.status).toBe(401);
    const ok = await raw({ port: s.port, path: `/api/events?token=${encodeURIComponent(s.token)}`, headers: { Host: `127.0.0.1:${s.port}` }, readBody: false });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/event-stream/);
  });
});

describe('casefile serve: Host and Origin checks', () => {
  it('refuses a foreign Host header (DNS rebinding): 403, even with the token', async () => {
    for (const host of ['evil.example', `evil.example:${s.port}`, `127.0.0.1:${s.port + 1}`, `localhost.evil.example:${s.port}`, `0.0.0.0:${s.port}`]) {
      const r = await raw({ port: s.port, method: 'POST', path: '/api/appInfo', headers: { Host: host, Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' }, body: '[]' });
      expect(r.status, host).toBe(403);
      const page = await raw({ port: s.port, path: '/', headers: { Host: host } });
      expect(page.status, host).toBe(403);
    }
  });

  it('accepts 127.0.0.1:<port> and localhost:<port>', async () => {
    expect((await call('appInfo', { Authorization: `Bearer ${s.token}`, Host: `localhost:${s.port}` })).status).toBe(200);
    expect((await call('appInfo', { Authorization: `Bearer ${s.token}`, Host: `127.0.0.1:${s.port}` })).status).toBe(200);
  });

  it('refuses a foreign Origin: 403, even with the token', async () => {
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${s.port + 1}`, `https://127.0.0.1:${s.port}`]) {
      const r = await call('appInfo', { Authorization: `Bearer ${s.token}`, Origin: origin });
      expect(r.status, origin).toBe(403);
    }
    const sse = await raw({ port: s.port, path: `/api/events?token=${encodeURIComponent(s.token)}`, headers: { Host: `127.0.0.1:${s.port}`, Origin: 'https://evil.example' } });
    expect(sse.status).toBe(403);
  });

  it('accepts its own origin', async () => {
    expect((await call('appInfo', { Authorization: `Bearer ${s.token}`, Origin: `http://127.0.0.1:${s.port}` })).status).toBe(200);
    expect((await call('appInfo', { Authorization: `Bearer ${s.token}`, Origin: `http://localhost:${s.port}`, Host: `localhost:${s.port}` })).status).toBe(200);
  });
});

describe('casefile serve: loopback only', () => {
  it('the listening socket is bound to 127.0.0.1 (from /proc/net/tcp), not 0.0.0.0 or ::', () => {
    if (!existsSync('/proc/net/tcp')) return console.warn('[casefile tests] /proc/net/tcp not available: bound-address check SKIPPED');
    const portHex = s.port.toString(16).toUpperCase().padStart(4, '0');
    const listening = readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1]?.endsWith(`:${portHex}`) && f[3] === '0A'); // 0A = LISTEN
    expect(listening.map((f) => f[1])).toEqual([`0100007F:${portHex}`]); // 127.0.0.1, little-endian
    if (existsSync('/proc/net/tcp6')) {
      const six = readFileSync('/proc/net/tcp6', 'utf8').split('\n').filter((l) => l.includes(`:${portHex} `) && / 0A /.test(l));
      expect(six).toEqual([]);
    }
  });

  it('connecting through another local interface address fails', async () => {
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a): a is NonNullable<typeof a> => !!a && !a.internal)
      .map((a) => a.address);
    if (others.length === 0) console.warn('[casefile tests] no non-loopback interface: cross-interface connection check has nothing to try');
    for (const addr of others) {
      const outcome = await new Promise<string>((resolve) => {
        const sock = connect({ host: addr, port: s.port, timeout: 2000 });
        sock.once('connect', () => {
          sock.destroy();
          resolve('connected');
        });
        sock.once('timeout', () => {
          sock.destroy();
          resolve('timeout');
        });
        sock.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(outcome, addr).not.toBe('connected');
    }
    // and loopback works
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect({ host: '127.0.0.1', port: s.port });
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    expect(ok).toBe(true);
  });
});

describe('casefile serve: headers and request hygiene', () => {
  it('serves the page with a strict Content-Security-Policy and the other security headers', async () => {
    const r = await raw({ port: s.port, path: '/', headers: { Host: `127.0.0.1:${s.port}` } });
    expect(r.status).toBe(200);
    const csp = String(r.headers['content-security-policy']);
    for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "worker-src 'self' blob:", "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) expect(csp).toContain(d);
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    if (existsSync('dist/renderer/index.html')) expect(r.headers['content-type']).toMatch(/^text\/html/);
    else expect(r.body).toMatch(/renderer is not built/);
  });

  it('answers API errors as { error, code } with fitting status codes', async () => {
    const auth = { Authorization: `Bearer ${s.token}` };
    const noCase = await call('overview', auth);
    expect(noCase.status).toBe(409);
    expect(JSON.parse(noCase.body)).toEqual({ error: expect.any(String), code: 'NO_CASE' });
    const unknown = await call('dropTables', auth);
    expect(unknown.status).toBe(404);
    const notJson = await call('appInfo', auth, '{nope');
    expect(notJson.status).toBe(400);
    const notArray = await call('appInfo', auth, '{"a":1}');
    expect(notArray.status).toBe(400);
    const textPlain = await raw({ port: s.port, method: 'POST', path: '/api/appInfo', headers: { ...auth, Host: `127.0.0.1:${s.port}`, 'Content-Type': 'text/plain' }, body: '[]' });
    expect(textPlain.status).toBe(415);
    const get = await raw({ port: s.port, path: '/api/appInfo', headers: { ...auth, Host: `127.0.0.1:${s.port}` } });
    expect(get.status).toBe(405);
    const missing = await call('openCase', auth, JSON.stringify(['/nonexistent/x.casefile']));
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).code).toBe('NOT_FOUND');
  });

  it('never serves files outside the renderer folder', async () => {
    for (const path of ['/../../../../etc/passwd', '/..%2f..%2f..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/package.json']) {
      const r = await raw({ port: s.port, path, headers: { Host: `127.0.0.1:${s.port}` } });
      expect(r.body, path).not.toMatch(/root:|"name": "casefile"/);
    }
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { BIN, REPO } from './cli';

export interface Served {
  url: string;
  base: string;
  port: number;
  token: string;
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<number | null>;
}

/** Start `casefile serve <args>` and read the URL from the first stdout line. */
export function serve(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`casefile serve printed no URL within ${timeoutMs} ms\n${err}`));
    }, timeoutMs);
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => {
      clearTimeout(timer);
      const m = /^(http:\/\/127\.0\.0\.1:(\d+))\/#token=([A-Za-z0-9_-]+)$/.exec(line.trim());
      if (!m) {
        child.kill('SIGKILL');
        reject(new Error(`unexpected first line: ${line}\n${err}`));
        return;
      }
      resolve({
        url: line.trim(),
        base: m[1]!,
        port: Number(m[2]),
        token: m[3]!,
        child,
        stderr: () => err,
        stop: () =>
          new Promise((res) => {
            if (child.exitCode !== null) return res(child.exitCode);
            // graceful first; never leave a server behind
            const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', (code) => {
              clearTimeout(hard);
              res(code);
            });
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`casefile serve exited with ${code} before printing a URL\n${err}`));
    });
  });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request (custom Host and Origin headers allowed, unlike fetch). */
export function raw(opts: { host?: string; port: number; method?: string; path: string; headers?: Record<string, string>; body?: string; readBody?: boolean }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: opts.host ?? '127.0.0.1', port: opts.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers ?? {} }, (res) => {
      if (opts.readBody === false) {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
        res.destroy();
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

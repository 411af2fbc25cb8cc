import { describe, expect, it } from 'vitest';
import { isTrustedSender, makeCallHandler, SHELL_METHODS } from '../../electron/shell/ipc';
import type { CasefileApi } from '../../shared/api';

const frame = (url: string, processId = 1, routingId = 1) => ({ url, processId, routingId });
const event = (url: string, mainFrame = true) => {
  const main = frame('app://casefile/index.html');
  return { senderFrame: mainFrame ? frame(url) : frame(url, 1, 7), sender: { mainFrame: main } } as never;
};

describe('Electron IPC gate', () => {
  it('trusts only our own app:// origin', () => {
    expect(isTrustedSender('app://casefile/index.html')).toBe(true);
    expect(isTrustedSender('app://evil/index.html')).toBe(false);
    expect(isTrustedSender('https://casefile/index.html')).toBe(false);
    expect(isTrustedSender('file:///tmp/index.html')).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
  });

  const service = { appInfo: async () => ({ version: 'x', transport: 'ipc', casePath: null, casesDir: '/c' }) } as unknown as CasefileApi;
  const handler = makeCallHandler(service, { 'shell.ready': async () => 'ready' });

  it('dispatches API and shell methods from the app window', async () => {
    expect(await handler(event('app://casefile/index.html'), 'appInfo', [])).toEqual({ ok: true, value: { version: 'x', transport: 'ipc', casePath: null, casesDir: '/c' } });
    expect(await handler(event('app://casefile/index.html'), 'shell.ready', [])).toEqual({ ok: true, value: 'ready' });
    expect(SHELL_METHODS).toContain('shell.ready');
  });

  it('refuses foreign frames, subframes, unknown methods and non-array arguments', async () => {
    expect((await handler(event('https://evil.example/'), 'appInfo', [])).ok).toBe(false);
    expect((await handler(event('app://casefile/index.html', false), 'appInfo', [])).ok).toBe(false);
    expect(await handler(event('app://casefile/index.html'), 'constructor', [])).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await handler(event('app://casefile/index.html'), 'appInfo', 'x')).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
  });
});

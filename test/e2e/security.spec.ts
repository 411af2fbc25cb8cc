/**
 * Security of the loopback workstation: the CSP header is present, a request without the token is
 * refused, and a bundle full of HTML/script payloads renders as inert text.
 */
import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { SCREENS, e2eEnv } from './env';
import { PAYLOADS, XSS_RUN } from './xss-bundle';

test('the page is served with a strict Content-Security-Policy', async ({ request }) => {
  const env = e2eEnv();
  for (const path of ['/', '/index.html']) {
    const res = await request.get(`${env.origin}${path}`);
    expect(res.status()).toBe(200);
    const csp = res.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("script-src 'self' 'unsafe-inline'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("worker-src 'self' blob:");
    expect(res.headers()['x-content-type-options']).toBe('nosniff');
  }
});

test('a loopback request without the token is refused', async ({ request }) => {
  const env = e2eEnv();
  const none = await request.post(`${env.origin}/api/appInfo`, { data: [], headers: { 'Content-Type': 'application/json' } });
  expect(none.status()).toBe(401);
  const wrong = await request.post(`${env.origin}/api/overview`, { data: [], headers: { 'Content-Type': 'application/json', Authorization: 'Bearer not-the-token' } });
  expect(wrong.status()).toBe(401);
  const events = await request.get(`${env.origin}/api/events`);
  expect(events.status()).toBe(401);
  const ok = await request.post(`${env.origin}/api/appInfo`, { data: [], headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${env.token}` } });
  expect(ok.status()).toBe(200);
});

test('an XSS bundle renders as inert text', async ({ page }) => {
  const env = e2eEnv();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(env.url);
  // the token moved from the fragment to sessionStorage: it is not left in the address bar
  await expect.poll(() => page.evaluate(() => location.hash)).not.toContain('token=');
  await page.keyboard.press('Alt+1');
  await page.getByTestId('bundle-path').fill(env.xssBundle);
  await page.getByTestId('bundle-import').click();
  await expect(page.getByTestId('overview')).toBeVisible({ timeout: 120_000 });
  await page.keyboard.press('Alt+3');
  const row = page.getByTestId('runs-table').locator('.vt-row', { hasText: XSS_RUN });
  await expect(row).toBeVisible();
  // the workflow name "xss-<b>bold</b>-agent" is text, not markup
  await expect(row).toContainText('xss-<b>bold</b>-agent');
  await row.click();
  await page.keyboard.press('Enter');
  const detail = page.locator(`[data-testid=run-detail][data-run="${XSS_RUN}"]`);
  await expect(detail).toBeVisible();
  await detail.getByTestId('run-tab-steps').click();
  await expect(detail.locator('.step-list')).toContainText('<script>');
  // the record inspector (Monaco) shows the payloads as text
  await detail.locator('.step-list .vt-row', { hasText: 'input' }).first().click();
  await expect(detail.getByTestId('step-json')).toContainText('onerror');
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(SCREENS, '30-xss-run-inert.png') });

  const state = await page.evaluate(() => ({
    xss: (window as unknown as { __xss?: unknown }).__xss ?? null,
    injectedImgs: document.querySelectorAll('img[src="x"], svg[onload]').length,
    inlineHandlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length,
    scripts: [...document.querySelectorAll('script')].map((s) => s.src || s.textContent?.slice(0, 40)),
    boldFromEvidence: [...document.querySelectorAll('b')].filter((b) => b.textContent === 'bold').length,
  }));
  expect(state.xss, 'no payload executed').toBeNull();
  expect(state.injectedImgs).toBe(0);
  expect(state.inlineHandlers).toBe(0);
  expect(state.boldFromEvidence).toBe(0);
  for (const s of state.scripts) expect(String(s)).not.toContain('__xss');
  expect(dialogs).toEqual([]);
  void PAYLOADS;
});

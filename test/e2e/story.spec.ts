/**
 * The end-to-end story on the sample incident, through the loopback transport in Chromium:
 * open it → watch progress → overview numbers equal the CLI's → search finds a harmful run → its waterfall
 * renders → the diff editor shows the wrong write (cents written as dollars) → the lineage panel names the
 * dataset version → the budget chart marks the trigger. On the way, a screenshot of every screen goes to
 * test-results/screens/*.png.
 */
import { expect, test, type Page } from '@playwright/test';
import { join } from 'node:path';
import { SCREENS, e2eEnv } from './env';

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENS, `${name}.png`) });
const int = (n: number) => n.toLocaleString('en-US');

async function canvasInk(page: Page, testId: string): Promise<{ colors: number; inked: number }> {
  return page.getByTestId(testId).evaluate((c: HTMLCanvasElement) => {
    const ctx = c.getContext('2d')!;
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    const bg = `${data[data.length - 4]},${data[data.length - 3]},${data[data.length - 2]}`;
    const colors = new Set<string>();
    let inked = 0;
    for (let i = 0; i < data.length; i += 16) {
      const k = `${data[i]},${data[i + 1]},${data[i + 2]}`;
      colors.add(k);
      if (k !== bg) inked++;
    }
    return { colors: colors.size, inked };
  });
}

test('the sample incident, end to end', async ({ page, context }) => {
  test.setTimeout(600_000);
  const env = e2eEnv();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // the app itself must live within its CSP (no inline scripts, no foreign fetches, workers from 'self')
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (load|execute|connect|create|apply)/i.test(m.text())) cspViolations.push(m.text());
  });

  // ---------------------------------------------------------------- open it, watch progress
  await page.goto(env.url);
  await expect(page.locator('.statusbar')).toBeVisible();
  // startup settles first (a case left open by another spec is adopted), then go to Start
  await expect(page.locator('[data-testid=overview], [data-testid=start-screen]').first()).toBeVisible();
  await page.waitForTimeout(500);
  await page.keyboard.press('Alt+1');
  await expect(page.getByTestId('start-screen')).toBeVisible();
  await shot(page, '01-start');
  await page.getByTestId('open-sample').click();
  const progress = page.getByTestId('import-progress');
  await expect(progress).toBeVisible();
  // progress is live: records climb (or the import is already done on a fast machine)
  await expect
    .poll(async () => (await progress.getAttribute('data-state')) === 'done' || Number((await page.getByTestId('import-records').textContent())?.replace(/,/g, '')) > 0, { timeout: 120_000 })
    .toBe(true);
  await shot(page, '02-import-progress');
  await expect(page.getByTestId('overview')).toBeVisible({ timeout: 280_000 });
  // the finished import stays on the Start screen with its summary
  await page.keyboard.press('Alt+1');
  await expect(progress).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('import-summary')).toContainText('runs');
  await shot(page, '02b-import-done');
  await page.keyboard.press('Alt+2');

  // ---------------------------------------------------------------- overview numbers equal the CLI's
  const cli = env.cliTotals;
  for (const k of ['runs', 'spans', 'auditEvents', 'decisions', 'lineageEvents', 'logs', 'quarantined', 'skipped']) {
    await expect(page.getByTestId(`total-${k}`), `overview ${k}`).toHaveText(int(cli[k]!));
  }
  await page.waitForTimeout(400);
  await shot(page, '03-overview');
  await page.getByTestId('verify-button').click();
  await expect(page.getByTestId('verify-result')).toBeVisible({ timeout: 120_000 });
  await shot(page, '04-overview-verified');

  // ---------------------------------------------------------------- search finds a harmful run
  const harmful = env.answerKey.harmful_runs.find((r) => r.cause === 'amount_in_cents' && r.tier === 'auto') ?? env.answerKey.harmful_runs[0]!;
  await page.keyboard.press('Alt+3');
  const table = page.getByTestId('runs-table');
  await expect(table.locator('.vt-row:not(.placeholder)').first()).toBeVisible();
  await shot(page, '05-runs');
  await page.getByTestId('runs-search').fill(String(harmful.after));
  const hit = table.locator('.vt-row', { hasText: harmful.run_id });
  await expect(hit).toBeVisible();
  await shot(page, '06-runs-search');

  // keyboard: focus the table, go to the row, Enter opens it
  await hit.click();
  await page.keyboard.press('Enter');
  const detail = page.locator(`[data-testid=run-detail][data-run="${harmful.run_id}"]`);
  await expect(detail).toBeVisible();

  // ---------------------------------------------------------------- its waterfall renders
  await expect(detail.getByTestId('waterfall')).toBeVisible();
  await page.waitForTimeout(800);
  const ink = await canvasInk(page, 'waterfall');
  expect(ink.colors, 'the waterfall canvas draws several colours').toBeGreaterThan(4);
  expect(ink.inked, 'the waterfall canvas is not blank').toBeGreaterThan(500);
  expect(Number(await detail.getByTestId('waterfall').getAttribute('data-rows'))).toBeGreaterThan(5);

  // ---------------------------------------------------------------- the diff editor shows the wrong write
  const diff = detail.getByTestId('write-diff');
  await expect(diff).toBeVisible();
  await expect(diff.locator('.editor.modified')).toContainText(String(harmful.after));
  await expect(diff.locator('.editor.original')).toContainText(String(harmful.before));
  await expect(detail.getByTestId('step-source')).toContainText('.jsonl:');
  await shot(page, '07-run-detail-waterfall-diff');
  await detail.getByTestId('run-tab-writes').click();
  await expect(detail.getByTestId('write-row').first()).toContainText(String(harmful.after));

  // ---------------------------------------------------------------- the lineage panel names the dataset version
  const inputs = env.answerKey.lineage.model_versions[harmful.model_version]!.inputs;
  const changed = inputs.find((i) => i.name === 'refund_examples') ?? inputs[0]!;
  await detail.getByTestId('run-tab-lineage').click();
  const lineagePanel = detail.getByTestId('lineage-panel');
  await expect(lineagePanel).toContainText(harmful.model_version);
  await expect(lineagePanel.getByTestId('lineage-dataset').filter({ hasText: changed.name })).toContainText(changed.version);
  await shot(page, '08-run-detail-lineage');
  await detail.getByTestId('run-tab-steps').click();
  await shot(page, '09-run-detail-steps');

  // lineage graph screen
  await detail.getByTestId('run-tab-lineage').click();
  await lineagePanel.getByRole('button', { name: 'Open lineage graph' }).click();
  await expect(page.getByTestId('lineage-graph')).toBeVisible();
  await expect(page.getByTestId('lineage-graph').getByTestId('lineage-node-dataset').first()).toBeVisible();
  await page.waitForTimeout(500);
  await shot(page, '10-lineage-graph');

  // ---------------------------------------------------------------- the budget chart marks the trigger
  await page.keyboard.press('Alt+5');
  const card = page.locator('[data-testid=budget-card][data-workflow="refund-agent"][data-sli="wrong_write_rate"]').first();
  await expect(card).toBeVisible({ timeout: 60_000 });
  const markers = card.getByTestId('sli-chart').getByTestId('trigger-marker');
  await expect(markers.first()).toBeVisible();
  const expected = env.answerKey.trigger_replay.filter((t) => t.workflow === 'refund-agent' && t.tier === 'auto' && t.sli === 'wrong_write_rate' && t.fires_at).map((t) => Date.parse(t.fires_at!) * 1000);
  const shown = await markers.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-at'))));
  for (const at of expected) expect(shown.some((s) => Math.abs(s - at) <= 5 * 60_000_000), `a marker near ${new Date(at / 1000).toISOString()}`).toBe(true);
  await shot(page, '11-budgets');

  // ---------------------------------------------------------------- compare two runs
  await page.keyboard.press('Alt+3');
  await page.getByTestId('runs-search').fill('');
  await expect(table.locator('.vt-row', { hasText: harmful.run_id })).toHaveCount(0, { timeout: 10_000 }).catch(() => undefined);
  const rows = table.locator('.vt-row:not(.placeholder)');
  await rows.nth(1).click();
  await page.keyboard.press('x');
  await page.keyboard.press('j');
  await page.keyboard.press('x');
  await page.keyboard.press('c');
  await expect(page.getByTestId('compare')).toBeVisible();
  await page.waitForTimeout(500);
  await shot(page, '12-compare');

  // ---------------------------------------------------------------- affected set → review queue
  await page.keyboard.press('Alt+3');
  // the two runs still selected become exactly the affected set…
  await page.getByTestId('add-affected').click();
  await expect(page.locator('.toast', { hasText: 'Affected set saved: 2 runs' })).toBeVisible();
  // …then the filter below replaces it
  const facets = page.getByTestId('facets');
  await facets.locator('label', { hasText: 'refund-agent' }).locator('input').check();
  await facets.locator('label', { hasText: harmful.model_version }).first().locator('input').check();
  await page.getByRole('button', { name: 'Save filter as set' }).click();
  await expect(page.locator('.toast', { hasText: 'Affected set saved' }).filter({ hasNotText: 'saved: 2 runs' })).toBeVisible();
  await page.keyboard.press('Alt+8');
  const reviewProgress = page.getByTestId('review-progress');
  await expect(reviewProgress).toContainText(/0 of [\d,]+ reviewed/);
  await page.waitForTimeout(800);
  await page.getByTestId('review').locator('.toolbar .title').click();
  await page.keyboard.press('1');
  await page.keyboard.press('h');
  await page.getByTestId('label-save').click();
  await expect(reviewProgress).toContainText(/1 of [\d,]+ reviewed/);
  await shot(page, '13-review-queue');

  // ---------------------------------------------------------------- SQL console
  await page.keyboard.press('Alt+6');
  await page.getByTestId('sql-run').click();
  await expect(page.getByTestId('sql-results').locator('.vt-row').first()).toBeVisible();
  await shot(page, '14-sql');

  // ---------------------------------------------------------------- quarantine
  await page.keyboard.press('Alt+7');
  await expect(page.getByTestId('quarantine')).toBeVisible();
  await page.waitForTimeout(500);
  await shot(page, '15-quarantine');

  // ---------------------------------------------------------------- postmortem with an evidence card and a blameless hint
  await page.keyboard.press('Alt+9');
  const editor = page.getByTestId('pm-editor');
  await expect(editor.locator('.view-lines')).toBeVisible();
  // a fresh case starts from the blameless template generated from the evidence (not saved until edited)
  await expect(page.getByTestId('pm-status')).toContainText('template');
  await expect(page.getByTestId('pm-preview').locator('h1')).toContainText('Postmortem:');
  await expect(page.getByTestId('pm-preview')).toContainText('Budget consumed over the evidence window');
  await expect(page.getByTestId('pm-preview').locator('.evidence-card.missing')).toHaveCount(0);
  await page.waitForTimeout(500);
  await shot(page, '16a-postmortem-template');
  await editor.locator('.view-lines').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.insertText(`\n\n## Evidence\n\nThe refund written in cents: [[run:${harmful.run_id}]]\n\nThe on-call engineer failed to check the canary.\n`);
  await expect(page.getByTestId('pm-preview').locator(`[data-embed-id="${harmful.run_id}"]`)).toContainText(harmful.run_id);
  await expect(page.getByTestId('blameless-hints')).toContainText('failed to');
  await expect(page.getByTestId('pm-status')).toContainText(/saved|journaled|saving/);
  await page.waitForTimeout(2000);
  await shot(page, '16-postmortem');

  // ---------------------------------------------------------------- labels, export dialog, palette
  await page.keyboard.press('Control+Shift+P');
  await page.keyboard.type('labels');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('labels')).toBeVisible();
  // the label categories: add one (the typed name is normalized), then remove it again
  const taxonomy = page.getByTestId('taxonomy');
  await page.getByTestId('taxonomy-new').fill('Unit Mixup');
  await page.getByTestId('taxonomy-add').click();
  await expect(taxonomy.locator('[data-category="unit-mixup"]')).toBeVisible();
  await expect(page.locator('.toast', { hasText: 'Category unit-mixup added' })).toBeVisible();
  // the category labelled in the review queue is in use: it cannot be removed
  await expect(taxonomy.getByRole('button', { name: 'Remove category materially-wrong-write' })).toBeDisabled();
  await shot(page, '17-labels');
  await taxonomy.getByRole('button', { name: 'Remove category unit-mixup' }).click();
  await expect(taxonomy.locator('[data-category="unit-mixup"]')).toHaveCount(0);
  await page.keyboard.press('Control+E');
  await expect(page.getByTestId('export-dialog')).toBeVisible();
  await shot(page, '18-export-dialog');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+Shift+P');
  await page.keyboard.type('go to');
  await shot(page, '19-command-palette');
  await page.keyboard.press('Escape');

  // ---------------------------------------------------------------- dark theme
  await page.getByTestId('theme-toggle').click();
  await page.keyboard.press('Alt+2');
  await page.waitForTimeout(400);
  await shot(page, '20-overview-dark');
  await page.getByTestId(`tab-run:${harmful.run_id}`).click();
  await page.waitForTimeout(600);
  await shot(page, '21-run-detail-dark');
  await page.getByTestId('theme-toggle').click();

  expect(dialogs, 'no alert/confirm dialogs').toEqual([]);
  expect(errors, 'no uncaught page errors').toEqual([]);
  expect(cspViolations, 'no CSP violations').toEqual([]);

  // ---------------------------------------------------------------- never lose typing: the draft journal survives a crash
  await page.keyboard.press('Alt+9');
  await expect(page.getByTestId('pm-status')).toContainText('saved', { timeout: 20_000 });
  const marker = `Draft typed just before the crash ${Date.now()}`;
  await page.getByTestId('pm-editor').locator('.view-lines').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.insertText(`\n${marker}\n`);
  await page.waitForTimeout(600); // journaled to IndexedDB (≤ 1 s); the durable save (1.5 s) has not happened
  await page.close({ runBeforeUnload: false });
  const again = await context.newPage();
  await again.goto(env.url);
  // the workspace comes back as it was (tabs are kept in IndexedDB), with the case open
  await expect(again.locator('.statusbar')).toContainText('Case:');
  await expect(again.getByTestId('tab-postmortem')).toBeVisible();
  await again.keyboard.press('Alt+9');
  await expect(again.getByTestId('pm-restored')).toBeVisible();
  await expect(again.getByTestId('pm-preview')).toContainText(marker);
  await again.screenshot({ path: join(SCREENS, '22-postmortem-draft-restored.png') });
});

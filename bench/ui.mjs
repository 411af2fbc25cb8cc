// bench/ui.mjs — renderer performance in Chromium (requestAnimationFrame timing), called by bench/run.mjs.
// Prints one JSON line: { rows: [{ what, value, target }], ... }.
//  - waterfall of a 100,000-span trace: first paint (open → canvas drawn) and pan/zoom frames per second,
//    each the median of UI_BENCH_REPEAT (3) openings in a fresh page; UI_BENCH_SCREENSHOT=<png> saves the screen;
//  - runs table over the largest bench case (bench/out/bench-*.casefile, 1M runs after `npm run bench`):
//    start to interactive, filter change repaint, blank rows while scrolling.
// UI_BENCH_PARTS=waterfall (or runs) runs one part only.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'out');
const BIN = join(root, 'bin', 'casefile.cjs');
const SPANS = Number(process.env.UI_BENCH_SPANS ?? 100_000);
// UI_BENCH_REPEAT: how many times the waterfall is opened (fresh page each time; medians reported)
const REPEAT = Math.max(1, Number(process.env.UI_BENCH_REPEAT ?? 3));
// UI_BENCH_PARTS: which parts to run (waterfall, runs); default both
const PARTS = (process.env.UI_BENCH_PARTS ?? 'waterfall,runs').split(',');
// UI_BENCH_SCREENSHOT: a path to save a screenshot of the 100k-span run detail to
const SHOT = process.env.UI_BENCH_SCREENSHOT ?? null;
const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const log = (s) => process.stderr.write(`${s}\n`);
mkdirSync(out, { recursive: true });
if (!existsSync(join(root, 'dist', 'renderer', 'index.html'))) throw new Error('run `npm run build` first');

// ---------------------------------------------------------------- a case with one 100k-span trace
function bigTraceCase() {
  const casePath = join(out, `ui-trace-${SPANS}.casefile`);
  if (existsSync(casePath)) return casePath;
  const dir = join(out, `ui-trace-${SPANS}`);
  mkdirSync(dir, { recursive: true });
  const traceId = 'a1'.repeat(16);
  const t0 = Date.UTC(2026, 9, 13, 15, 0, 0) * 1e6; // ns
  const hex = (n) => n.toString(16).padStart(16, '0');
  const spans = [];
  // a tree: root → 100 workers → chains of tool/model calls; depth up to 8
  for (let i = 0; i < SPANS; i++) {
    let parent = null;
    if (i > 0 && i <= 100) parent = 0;
    else if (i > 100) parent = i % 8 === 1 ? 1 + (i % 100) : i - 1;
    const start = t0 + i * 40_000 + (parent === null ? 0 : 1000);
    const dur = parent === null ? SPANS * 40_000 + 10_000_000 : 30_000 + (i % 17) * 9_000;
    spans.push({
      traceId,
      spanId: hex(i + 1),
      ...(parent !== null ? { parentSpanId: hex(parent + 1) } : {}),
      name: parent === null ? 'invoke_agent bench' : i <= 100 ? `worker ${i}` : i % 3 ? `execute_tool step_${i % 50}` : 'chat bench-llm',
      kind: 1,
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + dur),
      status: { code: i % 997 === 0 ? 2 : 1 },
      attributes: [{ key: 'casefile.run_id', value: { stringValue: 'run_UIBENCH100K' } }],
    });
  }
  const lines = [];
  for (let i = 0; i < spans.length; i += 1000) {
    lines.push(JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench-agent' } }] }, scopeSpans: [{ scope: { name: 'bench' }, spans: spans.slice(i, i + 1000) }] }] }));
  }
  writeFileSync(join(dir, 'traces.jsonl'), lines.join('\n') + '\n');
  log(`ui: importing a ${SPANS}-span trace …`);
  const r = spawnSync(process.execPath, [BIN, 'import', dir, '--case', casePath, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('import of the big trace failed');
  return casePath;
}

function runsCase() {
  const cands = readdirSync(out)
    .filter((f) => /^bench-\d+\.casefile$/.test(f))
    .map((f) => join(out, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  if (cands.length) return cands[0];
  const casePath = join(out, 'ui-runs-20000.casefile');
  if (!existsSync(casePath)) {
    log('ui: no bench-*.casefile (run the import bench first for 1M runs); using a 20,000-run sample');
    const dir = join(out, 'ui-runs-20000');
    spawnSync(process.execPath, [BIN, 'sample', '--out', dir, '--runs', '20000'], { stdio: ['ignore', 'ignore', 'inherit'] });
    spawnSync(process.execPath, [BIN, 'import', dir, '--case', casePath, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return casePath;
}

async function serve(casePath) {
  const child = spawn(process.execPath, [BIN, 'serve', casePath, '--port', '0', '--data-dir', join(out, 'ui-data')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i).trim());
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (c) => reject(new Error(`serve exited ${c}: ${err}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const rows = [];
const extra = {};

// ---------------------------------------------------------------- waterfall
if (PARTS.includes('waterfall')) {
  const casePath = bigTraceCase();
  const srv = await serve(casePath);
  try {
    const runs = [];
    for (let rep = 0; rep < REPEAT; rep++) {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(srv.url);
      await page.waitForSelector('[data-testid=overview]', { timeout: 120_000 });
      await page.keyboard.press('Alt+3');
      await page.getByTestId('runs-search').fill('run_UIBENCH100K');
      const row = page.locator('[data-testid=runs-table] .vt-row', { hasText: 'run_UIBENCH100K' });
      await row.waitFor({ timeout: 120_000 });
      await row.click();
      const t0 = await page.evaluate(() => {
        performance.clearResourceTimings();
        return performance.now();
      });
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => Number(document.querySelector('[data-testid=waterfall]')?.getAttribute('data-rows') ?? 0) > 1000, null, { timeout: 120_000, polling: 'raf' });
      const t1 = await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now())))));
      const spans = await page.evaluate(() => Number(document.querySelector('[data-testid=waterfall]')?.getAttribute('data-rows') ?? 0));
      // the core's share: the API calls the screen made while opening (resource timing: request → last byte)
      const core = await page.evaluate(
        (start) =>
          performance
            .getEntriesByType('resource')
            .filter((e) => e.name.includes('/api/') && e.startTime >= start)
            .map((e) => ({ name: e.name.slice(e.name.indexOf('/api/') + 5), ms: e.responseEnd - e.startTime, bytes: e.decodedBodySize || e.encodedBodySize || e.transferSize })),
        t0,
      );
      const run = core.filter((c) => /^getRun/.test(c.name));
      // pan and zoom: one W/S/A/D step per frame for 3 s, frame times from requestAnimationFrame
      const fps = await page.evaluate(
        () =>
          new Promise((resolve) => {
            const c = document.querySelector('[data-testid=waterfall]');
            const keys = ['w', 'w', 'd', 'd', 's', 'a', 'w', 'd', 's', 's', 'a', 'a'];
            const times = [];
            let i = 0;
            const start = performance.now();
            const tick = (t) => {
              times.push(t);
              c.dispatchEvent(new KeyboardEvent('keydown', { key: keys[i++ % keys.length], bubbles: true }));
              if (t - start < 3000) requestAnimationFrame(tick);
              else {
                const d = times.slice(1).map((x, k) => x - times[k]).sort((a, b) => a - b);
                resolve({ fps: (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000), p95: d[Math.floor(d.length * 0.95)] });
              }
            };
            requestAnimationFrame(tick);
          }),
      );
      runs.push({ paint: t1 - t0, spans, getRunMs: run.reduce((s, c) => s + c.ms, 0), getRunBytes: run.reduce((s, c) => s + c.bytes, 0), calls: core.map((c) => c.name).join(','), fps: fps.fps, p95: fps.p95 });
      log(`ui: waterfall #${rep + 1}: first paint ${Math.round(t1 - t0)} ms (getRun ${Math.round(runs.at(-1).getRunMs)} ms, ${(runs.at(-1).getRunBytes / 1e6).toFixed(1)} MB; calls ${runs.at(-1).calls}), pan/zoom ${fps.fps.toFixed(1)} fps (p95 ${fps.p95.toFixed(1)} ms)`);
      if (SHOT && rep === REPEAT - 1) {
        await page.getByRole('button', { name: 'Fit', exact: true }).click();
        await page.waitForTimeout(300);
        await page.screenshot({ path: SHOT });
        log(`ui: screenshot saved to ${SHOT}`);
      }
      await page.close();
    }
    const m = (k) => median(runs.map((r) => r[k]));
    const spans = runs[0].spans;
    extra.waterfall = { repeat: REPEAT, loadavg: (await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' '), runs };
    rows.push({ what: `waterfall first paint, ${spans.toLocaleString('en')} rows (open → drawn, incl. getRun over HTTP), median of ${REPEAT}`, value: `${Math.round(m('paint'))} ms`, target: '≤ 1,500 ms' });
    rows.push({ what: `  of which getRun over HTTP (${(m('getRunBytes') / 1e6).toFixed(1)} MB JSON), request → last byte`, value: `${Math.round(m('getRunMs'))} ms`, target: '(core)' });
    rows.push({ what: '  renderer share (parse, tree, layout, first canvas frame)', value: `${Math.max(0, Math.round(median(runs.map((r) => r.paint - r.getRunMs))))} ms`, target: '—' });
    rows.push({ what: `waterfall pan/zoom (a W/S/A/D step every frame, 3 s), median of ${REPEAT}`, value: `${m('fps').toFixed(1)} fps (p95 frame ${m('p95').toFixed(1)} ms)`, target: '≥ 50 fps' });
  } finally {
    srv.stop();
  }
}

// ---------------------------------------------------------------- runs table
if (PARTS.includes('runs')) {
  const casePath = runsCase();
  const srv = await serve(casePath);
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(srv.url);
    await page.waitForSelector('[data-testid=total-runs]', { timeout: 120_000 });
    const tti = await page.evaluate(() => performance.now());
    const total = await page.getByTestId('total-runs').textContent();
    extra.runs = total;
    rows.push({ what: `renderer start to interactive (${total} runs: navigation → overview drawn)`, value: `${Math.round(tti)} ms`, target: '≤ 2,000 ms' });
    await page.keyboard.press('Alt+3');
    await page.locator('[data-testid=runs-table] .vt-row:not(.placeholder)').first().waitFor({ timeout: 120_000 });
    await page.locator('[data-testid=facets] input[type=checkbox]').first().waitFor({ timeout: 120_000 });
    // filter change: click → the table shows the new total and its first rows
    const filterMs = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const totalEl = document.querySelector('[data-testid=runs-total]');
          const before = totalEl.textContent;
          const box = document.querySelector('[data-testid=facets] input[type=checkbox]');
          const t0 = performance.now();
          box.click();
          const check = () => {
            const first = document.querySelector('[data-testid=runs-table] .vt-row');
            if (totalEl.textContent !== before && !/counting/.test(totalEl.textContent) && first && !first.classList.contains('placeholder')) requestAnimationFrame(() => resolve(performance.now() - t0));
            else requestAnimationFrame(check);
          };
          requestAnimationFrame(check);
        }),
    );
    rows.push({ what: 'runs table: filter change → repainted (new total and rows)', value: `${Math.round(filterMs)} ms`, target: '≤ 200 ms' });
    await page.locator('[data-testid=facets] input[type=checkbox]').first().click();
    await page.locator('[data-testid=runs-table] .vt-row:not(.placeholder)').first().waitFor();
    // scrolling: a steady scroll (and a fast fling); count frames showing a placeholder row in the viewport
    for (const [name, pxPerFrame, seconds] of [
      ['steady scroll, 1,200 rows/s', 440, 4],
      ['fast fling, 6,000 rows/s', 2200, 2],
    ]) {
      const r = await page.evaluate(
        ([px, secs]) =>
          new Promise((resolve) => {
            const body = document.querySelector('[data-testid=runs-table] .vt-body');
            let frames = 0;
            let blank = 0;
            const start = performance.now();
            const tick = (t) => {
              frames++;
              const view = body.getBoundingClientRect();
              const ph = [...body.querySelectorAll('.vt-row.placeholder')].some((el) => {
                const b = el.getBoundingClientRect();
                return b.bottom > view.top && b.top < view.bottom;
              });
              if (ph) blank++;
              body.scrollTop += px;
              if (t - start < secs * 1000) requestAnimationFrame(tick);
              else resolve({ frames, blank, rowsScrolled: Math.round(body.scrollTop / 22) });
            };
            requestAnimationFrame(tick);
          }),
        [pxPerFrame, seconds],
      );
      rows.push({ what: `runs table: ${name} — frames with a blank row`, value: `${r.blank} of ${r.frames} (${r.rowsScrolled.toLocaleString('en')} rows scrolled)`, target: 'none' });
    }
    await page.close();
  } finally {
    srv.stop();
  }
}

await browser.close();
console.log(JSON.stringify({ rows, ...extra }));

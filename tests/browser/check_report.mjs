// Opens an HTML report in headless Chromium and reports, as one JSON object on stdout, what a reader
// would see: JavaScript errors, every request the page made (and any that was not the file itself or
// a data: URI, which are denied), whether each chart drew, and a full-page screenshot.
//
//   node check_report.mjs REPORT.html SCREENSHOT.png [CHROMIUM]
//
// Talks the DevTools protocol over --remote-debugging-pipe (fd 3 in, fd 4 out, NUL-separated JSON)
// so it needs no npm package and works with whatever Chromium Debian ships. Chromium's own stderr
// (dbus, GPU and sandbox warnings) is ignored: only what happens inside the page counts.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [reportPath, screenshotPath, chromium = '/usr/bin/chromium'] = process.argv.slice(2);
if (!reportPath || !screenshotPath) {
  console.error('usage: node check_report.mjs REPORT.html SCREENSHOT.png [CHROMIUM]');
  process.exit(2);
}
const reportUrl = pathToFileURL(resolve(reportPath)).href;
const profile = mkdtempSync(join(tmpdir(), 'sanity-chromium-'));
const browser = spawn(chromium, [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-extensions', '--disable-dev-shm-usage', '--hide-scrollbars', '--mute-audio',
  '--no-default-browser-check', `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank',
], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });

const exited = new Promise((resolve) => browser.on('exit', resolve));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const result = { url: reportUrl, exceptions: [], consoleErrors: [], logErrors: [], requests: [], denied: [] };
let finishing = false;
const finish = async (code, fatal) => {
  if (finishing) return;  // a failure while finishing must not print a second result
  finishing = true;
  if (fatal) result.fatal = String(fatal);
  process.stdout.write(JSON.stringify(result, null, 1) + '\n');
  // Wait for Chromium to exit before deleting its profile: its helper processes still write there
  // for a moment after Browser.close (rmSync then fails with ENOTEMPTY). Cleanup is best effort: a
  // leftover temporary profile must not fail the check.
  if (browser.exitCode === null && browser.signalCode === null) browser.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  try {
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  } catch {}
  process.exit(code);
};
setTimeout(() => finish(1, 'timed out after 90 s'), 90000).unref();
browser.on('error', (e) => finish(1, `cannot start ${chromium}: ${e.message}`));

// The protocol: commands carry an id; replies echo it; events carry a method (and our sessionId).
let nextId = 1;
const pending = new Map();
const listeners = [];
let buffer = '';
browser.stdio[4].on('data', (chunk) => {
  buffer += chunk.toString('utf8');
  let end;
  while ((end = buffer.indexOf('\0')) >= 0) {
    const msg = JSON.parse(buffer.slice(0, end));
    buffer = buffer.slice(end + 1);
    if (msg.id && pending.has(msg.id)) {
      const { ok, fail } = pending.get(msg.id);
      pending.delete(msg.id);
      msg.error ? fail(new Error(`${msg.error.message} (${JSON.stringify(msg.error.data ?? '')})`)) : ok(msg.result);
    } else if (msg.method) {
      for (const l of listeners) l(msg);
    }
  }
});
const send = (method, params = {}, sessionId) =>
  new Promise((ok, fail) => {
    const id = nextId++;
    pending.set(id, { ok, fail });
    browser.stdio[3].write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
  });
try {
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const page = (method, params) => send(method, params, sessionId);
  let loaded = false;
  listeners.push((m) => {
    if (m.sessionId !== sessionId) return;
    const p = m.params;
    if (m.method === 'Runtime.exceptionThrown') {
      const d = p.exceptionDetails;
      result.exceptions.push(`${d.exception?.description ?? d.text} (${d.url ?? ''}:${d.lineNumber})`);
    } else if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert')) {
      result.consoleErrors.push(p.args.map((a) => a.value ?? a.description ?? '').join(' '));
    } else if (m.method === 'Log.entryAdded' && p.entry.level === 'error') {
      result.logErrors.push(`${p.entry.source}: ${p.entry.text} ${p.entry.url ?? ''}`.trim());
    } else if (m.method === 'Network.requestWillBeSent') {
      result.requests.push(p.request.url.slice(0, 120));
    } else if (m.method === 'Fetch.requestPaused') {
      // Anything but the report itself is denied: a self-contained report never needs it.
      if (p.request.url === reportUrl) {
        page('Fetch.continueRequest', { requestId: p.requestId }).catch(() => {});
      } else {
        result.denied.push(p.request.url.slice(0, 120));
        page('Fetch.failRequest', { requestId: p.requestId, errorReason: 'BlockedByClient' }).catch(() => {});
      }
    } else if (m.method === 'Page.loadEventFired') {
      loaded = true;
    }
  });
  await page('Runtime.enable');
  await page('Log.enable');
  await page('Network.enable');
  await page('Page.enable');
  await page('Fetch.enable', { patterns: [{ urlPattern: '*' }] });
  await page('Emulation.setDeviceMetricsOverride', { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false });
  await page('Page.navigate', { url: reportUrl });

  const evaluate = async (expression) =>
    (await page('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true })).result.value;
  // The report sets window.sanityReport.done once every vega-embed promise settled.
  for (let t = 0; t < 600; t++) {
    if (loaded && (await evaluate('!!(window.sanityReport && window.sanityReport.done)'))) break;
    await sleep(100);
  }
  result.status = await evaluate('window.sanityReport ? JSON.parse(JSON.stringify(window.sanityReport)) : null');
  // Per chart: how much vega drew into it and where it is on the page (for the pixel check).
  result.charts = await evaluate(`Array.from(document.querySelectorAll('div.chart')).map(d => {
    const r = d.getBoundingClientRect();
    const svg = d.querySelector('svg');
    return { id: d.id, svgs: d.querySelectorAll('svg').length,
             marks: svg ? svg.querySelectorAll('path, line, rect, circle, text').length : 0,
             text: svg ? Array.from(svg.querySelectorAll('text')).map(t => t.textContent).join('|').slice(0, 2000) : '',
             x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height };
  })`);
  // The saliency grids: inline SVG, each tile a PNG data URI, decoded here to prove it is an image.
  result.grids = await evaluate(`Promise.all(Array.from(document.querySelectorAll('div.grid > svg')).map(async svg => {
    const tiles = Array.from(svg.querySelectorAll('image')).map(i => i.getAttribute('xlink:href') || i.getAttribute('href'));
    const decoded = await Promise.all(tiles.map(src => { const im = new Image(); im.src = src;
      return im.decode().then(() => im.naturalWidth, () => 0); }));
    return { width: svg.getBoundingClientRect().width, tiles: tiles.length, decoded: decoded.filter(w => w > 0).length,
             tileWidth: decoded[0] || 0 };
  }))`);
  // The scorecard: which section opens the page, where it is, and every cell of its tables.
  result.scorecard = await evaluate(`(() => {
    const main = document.querySelector('main');
    const card = document.getElementById('scorecard');
    const firstChart = document.querySelector('div.chart');
    const num = v => v === null ? null : Number(v);
    return {
      first: main && main.firstElementChild ? main.firstElementChild.id : '',
      y: card ? card.getBoundingClientRect().top + window.scrollY : -1,
      firstChartY: firstChart ? firstChart.getBoundingClientRect().top + window.scrollY : -1,
      rule: card && card.querySelector('p.rule') ? card.querySelector('p.rule').textContent : '',
      tables: Array.from(document.querySelectorAll('table.scorecard')).map(t => ({
        run: Number(t.dataset.run),
        rows: Array.from(t.querySelectorAll('tbody tr[data-method]')).map(r => ({
          method: r.dataset.method,
          cells: Array.from(r.querySelectorAll('td[data-col]')).map(c => ({
            col: c.dataset.col, text: c.textContent, verdict: c.dataset.verdict || null,
            mean: num(c.getAttribute('data-mean')), low: num(c.getAttribute('data-low')),
            high: num(c.getAttribute('data-high')), n: num(c.getAttribute('data-n')),
            rank: num(c.getAttribute('data-rank')),
            background: getComputedStyle(c).backgroundColor })) })) })) };
  })()`);

  const { cssContentSize } = await page('Page.getLayoutMetrics');
  const height = Math.min(Math.ceil(cssContentSize.height), 16000);
  const shot = await page('Page.captureScreenshot', {
    format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width: 1280, height, scale: 1 },
  });
  writeFileSync(screenshotPath, Buffer.from(shot.data, 'base64'));
  result.screenshot = { path: screenshotPath, width: 1280, height };
  await send('Browser.close').catch(() => {});
  await finish(0);
} catch (e) {
  await finish(1, e.stack ?? e);
}

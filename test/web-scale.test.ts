/**
 * The dashboard with 1000 nodes: a live 1000-node simulated mesh (the worker runs the real routers, paced
 * to the wall clock) feeding a page in Debian's headless Chromium. Measured, not assumed:
 *  - time to first render: navigation start → the first frame painted with all 1000 nodes in the graph;
 *  - responsiveness while live batches keep arriving: real mouse clicks on table rows and graph nodes,
 *    timed in the page from pointerdown to the frame after the selection card shows the node; the longest
 *    gap between animation frames; long tasks;
 *  - the update rate the page absorbs (batches, node and link records per second).
 * Figures are printed and written to test/artifacts/web-scale.json, with a screenshot (gitignored).
 * Fails (does not skip) when /usr/bin/chromium is missing: scripts/setup-system.sh installs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { CHROMIUM_MISSING, launchChromium, type Browser } from './support/chromium.ts';
import { createSimFeed, type SimFeed } from '../host/web/sim-feed.ts';
import { startDashboard, type Dashboard } from '../host/web/server.ts';

const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
const N = 1000;
/** bounds: a click answered within CLICK_MS, no frame gap over FRAME_GAP_MS, first render within FIRST_RENDER_MS */
// generous for a shared 2-core CI machine running other suites at the same time; the figures are printed
const CLICK_MS = 1000, FRAME_GAP_MS = 2000, FIRST_RENDER_MS = 10_000;

let feed: SimFeed;
let dash: Dashboard;
let ctx: BrowserContext;
let page: Page;
let browser: Browser | undefined;

type Stats = { firstRenderMs: number; batches: number; maxApplyMs: number; nodesInBatches: number; linksInBatches: number; packets: number };
type W = { __mw: { cy: any; stats: Stats }; __perf: { gaps: number; longTasks: number[]; t0: number }; __clickT0: number; __clicked: Promise<{ ms: number; title: string }> };

/** a missing browser fails the test with this message (vitest would only mark it skipped after a beforeAll throw) */
const MISSING = CHROMIUM_MISSING;

beforeAll(async () => {
  if (MISSING) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  [browser, feed] = await Promise.all([
    launchChromium(),
    // a quarter of real time: the routers' discovery storm would otherwise take a whole core from the
    // browser (state still goes to the page every 500 ms of wall time, so the page sees as many updates)
    createSimFeed({ nodes: N, topology: 'random', seed: 3, speed: 0.25 }),
  ]);
  ctx = browser.ctx;
  dash = await startDashboard({ feed, port: 0 });
  page = await ctx.newPage();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await dash?.close();
  await feed?.close();
});

/** click at (x, y) and time it in the page: pointerdown → the frame after the card shows a different node */
async function timedClick(x: number, y: number): Promise<{ ms: number; title: string }> {
  await page.evaluate(() => {
    const w = window as unknown as W;
    const before = document.querySelector('#details h2')?.textContent ?? '';
    w.__clicked = new Promise((resolve) => {
      const mo = new MutationObserver(() => {
        const t = document.querySelector('#details h2')?.textContent ?? '';
        if (!t.startsWith('Node ') || t === before) return;
        mo.disconnect();
        requestAnimationFrame(() => resolve({ ms: performance.now() - w.__clickT0, title: t }));
      });
      mo.observe(document.getElementById('details')!, { childList: true, subtree: true, characterData: true });
    });
    document.addEventListener('pointerdown', () => { w.__clickT0 = performance.now(); }, { capture: true, once: true });
  });
  await page.mouse.click(x, y);
  return page.evaluate(() => Promise.race([(window as unknown as W).__clicked, new Promise<{ ms: number; title: string }>((r) => setTimeout(() => r({ ms: Infinity, title: 'no answer in 5 s' }), 5000))]));
}

describe('dashboard with 1000 nodes', () => {
  it('renders them, keeps up with live updates and answers clicks within bounds', async () => {
    if (MISSING) throw new Error(MISSING);
    await page.goto(dash.url);
    await page.waitForFunction((n) => {
      const w = window as unknown as W;
      return w.__mw?.cy.nodes().length === n && w.__mw.stats.firstRenderMs > 0;
    }, N, { timeout: 15_000 });
    const firstRenderMs = await page.evaluate(() => (window as unknown as W).__mw.stats.firstRenderMs);
    // links come with the routers' first neighbour tables
    await page.waitForFunction((n) => (window as unknown as W).__mw.cy.edges().length > n, N, { timeout: 15_000 });

    // measure from here: frame gaps and long tasks while live batches keep coming
    const s0 = await page.evaluate(() => {
      const w = window as unknown as W;
      w.__perf = { gaps: 0, longTasks: [], t0: performance.now() };
      new PerformanceObserver((l) => { for (const e of l.getEntries()) w.__perf.longTasks.push(Math.round(e.duration)); }).observe({ type: 'longtask' });
      let last = performance.now();
      const loop = (t: number): void => { w.__perf.gaps = Math.max(w.__perf.gaps, t - last); last = t; requestAnimationFrame(loop); };
      requestAnimationFrame(loop);
      return { ...w.__mw.stats };
    });

    const clicks: { on: string; ms: number; title: string }[] = [];
    // table rows
    const body = (await page.locator('.t-body').boundingBox())!;
    for (const row of [2, 7, 12]) clicks.push({ on: 'table row', ...(await timedClick(body.x + 30, body.y + row * 22 + 11)) });
    // graph nodes, by their rendered position
    const targets = await page.evaluate((ids) => {
      const w = window as unknown as W;
      const r = document.getElementById('graph')!.getBoundingClientRect();
      return ids.map((id) => { const p = w.__mw.cy.getElementById(id).renderedPosition(); return { x: r.left + p.x, y: r.top + p.y }; });
    }, [feed.ids[100], feed.ids[500], feed.ids[900]]);
    for (const t of targets) clicks.push({ on: 'graph node', ...(await timedClick(t.x, t.y)) });
    // a sort of all 1000 rows and a filter, also interactions
    await page.click('.t-head span[data-k="nb"]');
    await page.fill('#filter', 'n-9');
    await page.waitForTimeout(3000);

    const end = await page.evaluate(() => { const w = window as unknown as W; return { stats: { ...w.__mw.stats }, perf: { ...w.__perf, t1: performance.now() } }; });
    const windowS = (end.perf.t1 - end.perf.t0) / 1000;
    const figures = {
      nodes: N,
      firstRenderMs,
      clicksMs: clicks.map((c) => Math.round(c.ms)),
      clickMaxMs: Math.round(Math.max(...clicks.map((c) => c.ms))),
      maxFrameGapMs: Math.round(end.perf.gaps),
      longTasks: end.perf.longTasks.length,
      longestTaskMs: end.perf.longTasks.length ? Math.max(...end.perf.longTasks) : 0,
      windowS: Math.round(windowS * 10) / 10,
      batchesPerS: Math.round(((end.stats.batches - s0.batches) / windowS) * 10) / 10,
      nodeRecordsPerS: Math.round((end.stats.nodesInBatches - s0.nodesInBatches) / windowS),
      linkRecordsPerS: Math.round((end.stats.linksInBatches - s0.linksInBatches) / windowS),
      maxBatchApplyMs: end.stats.maxApplyMs,
      edges: await page.evaluate(() => (window as unknown as W).__mw.cy.edges().length),
      simClock: feed.clock(),
      lastBatchBytes: dash.stats().lastBatchBytes,
    };
    console.log('dashboard at 1000 nodes:', JSON.stringify(figures));
    writeFileSync(ARTIFACTS + 'web-scale.json', JSON.stringify(figures, null, 2) + '\n');
    await page.fill('#filter', '');
    await page.screenshot({ path: ARTIFACTS + 'web-1000.png' });

    for (const c of clicks) expect(c.title, `${c.on} click`).toMatch(/^Node /);
    expect(figures.firstRenderMs).toBeLessThan(FIRST_RENDER_MS);
    expect(figures.clickMaxMs).toBeLessThan(CLICK_MS);
    expect(figures.maxFrameGapMs).toBeLessThan(FRAME_GAP_MS);
    // live updates really flowed during the measurement (this is not an idle page)
    expect(figures.batchesPerS).toBeGreaterThan(0.5);
    expect(figures.nodeRecordsPerS).toBeGreaterThan(50);
  }, 45_000);
});

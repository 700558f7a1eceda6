/**
 * The dashboard in a real browser: Debian's Chromium driven headless by playwright-core, against a live
 * simulated mesh (host/web/sim-feed.ts) served by startDashboard. The page loads, its graph holds every
 * simulated node, a node killed in the simulator turns red within seconds, a text typed into the page's
 * form is delivered at its node (asserted on the simulator side, from the destination router's delivery),
 * and ping / traceroute from the form are answered, the trace drawn on the graph. Screenshots go to
 * test/artifacts/ (gitignored).
 *
 * Chromium is installed by scripts/setup-system.sh; when /usr/bin/chromium (or MESHWORK_CHROMIUM) is missing
 * every test FAILS with that message (none skips): the dashboard is a feature, and its test must not go
 * quietly green on a machine without a browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { CHROMIUM_MISSING, launchChromium, type Browser } from './support/chromium.ts';
import { createSimFeed, type DeliveredText, type SimFeed } from '../host/web/sim-feed.ts';
import { startDashboard, type Dashboard } from '../host/web/server.ts';

const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
const N = 40;

let feed: SimFeed;
let dash: Dashboard;
let ctx: BrowserContext;
let page: Page;
let browser: Browser | undefined;
const pageErrors: string[] = [];

/** a missing browser fails every test with this message (vitest would only mark them skipped after a beforeAll throw) */
const MISSING = CHROMIUM_MISSING;
const needBrowser = (): void => { if (MISSING) throw new Error(MISSING); };


/** what the page's graph shows for a node: its state and its rendered fill colour */
const nodeLook = (id: string): Promise<{ st: string; color: string } | null> => page.evaluate((id) => {
  const cy = (window as unknown as { __mw: { cy: { getElementById(i: string): { empty(): boolean; data(k: string): string; style(k: string): string } } } }).__mw.cy;
  const n = cy.getElementById(id);
  return n.empty() ? null : { st: n.data('st'), color: n.style('background-color') };
}, id);

beforeAll(async () => {
  if (MISSING) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  ctx = browser.ctx;
  // speed 2: neighbour discovery and routes settle in a few wall seconds
  feed = await createSimFeed({ nodes: N, topology: 'random', seed: 7, speed: 2, traffic: { unicastPerSec: 0.5, broadcastPerSec: 0.05 } });
  dash = await startDashboard({ feed, port: 0 });
  page = await ctx.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await dash?.close();
  await feed?.close();
});

describe('dashboard on a live simulated mesh', () => {
  it('loads, and its graph and table hold every simulated node', async () => {
    needBrowser();
    expect(dash.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await page.goto(dash.url);
    await page.waitForFunction((n) => (window as unknown as { __mw?: { cy: { nodes(): { length: number } } } }).__mw?.cy.nodes().length === n, N, { timeout: 10_000 });
    const ids = await page.evaluate(() => (window as unknown as { __mw: { cy: { nodes(): { map(f: (x: { id(): string }) => string): string[] } } } }).__mw.cy.nodes().map((x) => x.id()));
    expect(new Set(ids)).toEqual(new Set(feed.ids));
    await expect.poll(() => page.textContent('#table-count'), { timeout: 5000 }).toBe(`${N} nodes`);
    await expect.poll(() => page.textContent('#conn')).toBe('live');
    // links arrive with the first state from the routers' neighbour tables
    await page.waitForFunction(() => (window as unknown as { __mw: { cy: { edges(): { length: number } } } }).__mw.cy.edges().length > 0, null, { timeout: 10_000 });
    const gw = await nodeLook(feed.info.self!);
    expect(gw?.st).toBe('up');
    expect(pageErrors).toEqual([]);
  });

  it('the table sorts and filters; a link shows its quality both ways on click', async () => {
    needBrowser();
    // sort by neighbours, most first: the first row is a node with the most usable neighbours
    await page.click('.t-head span[data-k="nb"]');
    await expect.poll(async () => {
      const first = await page.getAttribute('.t-row >> nth=0', 'data-id');
      const nb = feed.snapshot().nodes.find((n) => n.id === first)?.neighbours ?? -1;
      return nb === Math.max(...feed.snapshot().nodes.map((n) => n.neighbours));
    }, { timeout: 5000 }).toBe(true);
    await page.click('.t-head span[data-k="name"]');
    await page.fill('#filter', 'gw');
    await expect.poll(() => page.textContent('#table-count')).toBe(`1 of ${N} nodes`);
    await page.fill('#filter', '');
    // a link, tapped in the graph
    const key = await page.evaluate(() => {
      const cy = (window as unknown as { __mw: { cy: { edges(): { length: number; [i: number]: { data(k: string): string; emit(e: string): void } } } } }).__mw.cy;
      const e = cy.edges()[0];
      e.emit('tap');
      return e.data('key');
    });
    const [a, b] = key.split('-');
    const link = feed.snapshot().links.find((l) => l.a === a && l.b === b)!;
    const details = await page.textContent('#details');
    expect(details).toMatch(/^Link /);
    expect(details).toMatch(/→.*% of frames heard.*→.*% of frames heard/s);
    expect(link).toBeDefined();
    expect(details).toMatch(/RSSI\s*-\d+ dBm/);
  });

  it('a node killed in the simulator turns red within seconds', async () => {
    needBrowser();
    const victim = feed.ids[N - 3];
    const before = await nodeLook(victim);
    expect(before?.st).toBe('up');
    expect(before?.color).not.toBe('rgb(224,36,36)');
    const t0 = Date.now();
    feed.kill(victim);
    await expect.poll(() => nodeLook(victim), { timeout: 5000, interval: 50 }).toEqual({ st: 'down', color: 'rgb(224,36,36)' });
    const ms = Date.now() - t0;
    console.log(`dashboard: killed node red after ${ms} ms`);
    expect(ms).toBeLessThan(5000);
    await page.fill('#filter', 'down');
    await expect.poll(() => page.textContent('#table-count')).toBe(`1 of ${N} nodes`);
    await page.fill('#filter', '');
  });

  it('a text sent from the page form arrives at its node (seen by the simulator)', async () => {
    needBrowser();
    const snap = feed.snapshot().nodes;
    const gw = snap.find((n) => n.id === feed.info.self)!;
    // the farthest live node from the gateway: several hops away
    const far = snap.filter((n) => n.up && n.id !== gw.id)
      .sort((a, b) => Math.hypot(b.pos!.x - gw.pos!.x, b.pos!.y - gw.pos!.y) - Math.hypot(a.pos!.x - gw.pos!.x, a.pos!.y - gw.pos!.y))[0];
    const text = `hello ${far.name} from the page ${Date.now() % 100000}`;
    const got: DeliveredText[] = [];
    const off = feed.onDelivered((d) => got.push(d));
    await page.selectOption('#op', 'text');
    await page.fill('#to', far.name);
    await page.fill('#text', text);
    await page.click('#send');
    await expect.poll(() => got.length, { timeout: 20_000, interval: 100 }).toBeGreaterThan(0);
    off();
    expect(got[0].at).toBe(far.id);
    expect(got[0].src).toBe(gw.id);
    expect(got[0].text).toBe(text);
    console.log(`dashboard: text ${gw.name} → ${far.name} delivered over ${got[0].hops} relays`);
    // and the page says so
    await expect.poll(() => page.textContent('#results li:first-child'), { timeout: 5000 }).toMatch(/delivered/);
    await expect.poll(() => page.textContent('#log'), { timeout: 5000 }).toContain(text.slice(0, 40));
  });

  it('ping and traceroute from the form are answered, and the trace is drawn on the graph', async () => {
    needBrowser();
    const snap = feed.snapshot().nodes.filter((n) => n.up && n.id !== feed.info.self && n.neighbours > 0);
    const dst = snap[Math.floor(snap.length / 2)];
    await page.selectOption('#op', 'ping');
    await page.fill('#to', dst.name);
    await page.click('#send');
    await expect.poll(() => page.textContent('#results li:first-child'), { timeout: 20_000 }).toMatch(/^ping .*: ok, \d+ ms/);
    await page.selectOption('#op', 'traceroute');
    await page.click('#send');
    await expect.poll(() => page.textContent('#results li:first-child'), { timeout: 25_000 }).toMatch(/^traceroute .*→ .*hops/);
    const drawn = await page.evaluate(() => (window as unknown as { __mw: { cy: { $(s: string): { length: number } } } }).__mw.cy.$('edge.trace').length);
    expect(drawn).toBeGreaterThan(0);
    expect(await page.textContent('#details')).toMatch(/Traceroute .*: done/);
    await page.evaluate((id) => (window as unknown as { __mw: { select(i: string): void } }).__mw.select(id), dst.id);
    await page.waitForTimeout(2500); // two history polls for the charts
    await page.screenshot({ path: ARTIFACTS + 'web-dashboard.png' });
    expect(pageErrors).toEqual([]);
  });
});

/**
 * `meshwork demo` (what `make run` starts) as a user runs it: a process on free ports. Its embedded broker
 * carries the simulated mesh's messages as the bridge publishes them; the dashboard in Chromium
 * (playwright-core, as test/web-dashboard.test.ts) shows the simulated nodes through MQTT, with links from
 * their telemetry; a text sent from the page goes out as a signed downlink command and arrives at its node
 * (the simulator's own record, on the demo topic <root>/sim/delivered); SIGINT stops it with exit code 0.
 * A missing /usr/bin/chromium FAILS the browser test (no skip), as in the other dashboard suites.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, type Browser } from './support/chromium.ts';

const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;
const N = 16;

let proc: ChildProcess;
let out = '';
let dir = '';
let dashUrl = '';
let mqttUrl = '';
let sub: MqttClient;
const got: { topic: string; payload: string }[] = [];
let ctx: BrowserContext | undefined;
let page: Page;
let browser: Browser | undefined;

const waitOut = (re: RegExp, ms: number): Promise<RegExpMatchArray> => new Promise((resolve, reject) => {
  const t0 = Date.now();
  const iv = setInterval(() => {
    const m = out.match(re);
    if (m) { clearInterval(iv); resolve(m); } else if (Date.now() - t0 > ms || proc.exitCode !== null) {
      clearInterval(iv);
      reject(new Error(`no ${re} in the demo's output within ${ms} ms (exit ${proc.exitCode}):\n${out}`));
    }
  }, 50);
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mw-demo-'));
  proc = spawn(process.execPath, ['bin/meshwork.mjs', 'demo', '--port', '0', '--mqtt-port', '0', '--no-open', '--nodes', String(N),
    '--speed', '3', '--telemetry', '6', '--seed', '5', '--kill-after', '14', '--key', join(dir, 'demo.key')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  dashUrl = (await waitOut(/dashboard:\s+(http:\/\/\S+)/, 30_000))[1];
  mqttUrl = (await waitOut(/MQTT broker:\s+(mqtt:\/\/\S+)/, 1000))[1];
  sub = mqtt.connect(mqttUrl, { clientId: 'demo-test-sub' });
  await new Promise<void>((r) => sub.once('connect', () => r()));
  sub.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
  await sub.subscribeAsync(['meshwork/v1/demo/#'], { qos: 1 });
}, 40_000);

afterAll(async () => {
  await browser?.close();
  await sub?.endAsync(true).catch(() => {});
  if (proc && proc.exitCode === null) proc.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('meshwork demo', () => {
  it('its broker carries the simulated mesh: telemetry from the nodes, through the bridge, and the bridge status', async () => {
    expect(out).toContain(`Meshwork demo: ${N} simulated nodes`);
    expect(out).toMatch(/mosquitto_sub -h 127\.0\.0\.1 -p \d+ -t 'meshwork\/v1\/demo\/#' -v/);
    await expect.poll(() => new Set(got.filter((m) => /\/node\/[0-9a-f]{8}\/telemetry$/.test(m.topic)).map((m) => m.topic)).size,
      { timeout: 25_000, interval: 200 }).toBeGreaterThanOrEqual(N / 2);
    const tm = JSON.parse(got.find((m) => m.topic.endsWith('/telemetry'))!.payload);
    expect(tm).toMatchObject({ v: 1, mesh: 'demo', kind: 'telemetry', bridge: 'demo-bridge', msg: { t: 'tm' } });
    expect(Array.isArray(tm.msg.nb)).toBe(true);
    const status = got.find((m) => m.topic === 'meshwork/v1/demo/bridge/demo-bridge/status');
    expect(JSON.parse(status!.payload)).toMatchObject({ state: 'online', gateway: { attached: true } });
  }, 30_000);

  it('the dashboard shows the simulated nodes via MQTT, and a text sent from the page arrives at its node', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium(); // a missing Chromium throws with the fix: the test fails, never skips
    ctx = browser.ctx;
    page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(dashUrl);
    await expect.poll(() => page.textContent('#conn')).toBe('live');
    const count = (): Promise<number> => page.evaluate(() => (window as unknown as { __mw: { cy: { nodes(): { length: number } } } }).__mw.cy.nodes().length);
    await expect.poll(count, { timeout: 25_000, interval: 250 }).toBe(N);
    // links come from the nodes' telemetry neighbour lists
    await expect.poll(() => page.evaluate(() => (window as unknown as { __mw: { cy: { edges(): { length: number } } } }).__mw.cy.edges().length),
      { timeout: 10_000 }).toBeGreaterThan(N / 2);
    // a text to a node several hops away, named as the page names it
    const target = await page.evaluate(() => {
      const m = (window as unknown as { __mw: { cy: { nodes(): { map(f: (x: { id(): string; data(k: string): string }) => string[]): string[][] } } } }).__mw;
      return m.cy.nodes().map((x) => [x.id(), x.data('label') ?? x.id()]);
    });
    const gw = out.match(/gateway \S+ \(([0-9a-f]{8})\)/)![1];
    const victim = out.match(/will switch \S+ \(([0-9a-f]{8})\) off/)![1];
    const names = target.filter(([id]) => id !== gw && id !== victim);
    const [dstId] = names[names.length - 1];
    const text = `hello from the demo page ${Date.now() % 100000}`;
    await page.selectOption('#op', 'text');
    await page.fill('#to', dstId);
    await page.fill('#text', text);
    await page.click('#send');
    await expect.poll(() => got.filter((m) => m.topic === 'meshwork/v1/demo/sim/delivered').map((m) => JSON.parse(m.payload))
      .find((d) => d.text === text), { timeout: 20_000, interval: 200 }).toMatchObject({ at: dstId, text });
    await expect.poll(() => page.textContent('#results li:first-child'), { timeout: 5000 }).toMatch(/: ok/);
    // the signed command itself went over the broker on the node's command topic
    const cmd = got.find((m) => m.topic === `meshwork/v1/demo/cmd/${dstId}`);
    expect(cmd && JSON.parse(cmd.payload)).toMatchObject({ c: expect.stringContaining(text), sig: expect.stringMatching(/^[0-9a-f]{32}$/) });
    await page.screenshot({ path: ARTIFACTS + 'demo.png' });
    // --kill-after: the node switched off goes red once its telemetry stops arriving through the bridge
    await waitOut(/killed \S+ \(([0-9a-f]{8})\)/, 20_000);
    const st = (id: string): Promise<string> => page.evaluate((id) => (window as unknown as { __mw: { cy: { getElementById(i: string): { data(k: string): string } } } }).__mw.cy.getElementById(id).data('st'), id);
    const t0 = Date.now();
    await expect.poll(() => st(victim), { timeout: 20_000, interval: 250 }).toBe('down');
    console.log(`demo: killed node red on the page ${Date.now() - t0} ms after the kill (telemetry every 2 s wall, stale after 10 s)`);
    await page.screenshot({ path: ARTIFACTS + 'demo-dead-node.png' });
    expect(errors).toEqual([]);
  }, 60_000);

  it('SIGINT stops it cleanly: exit code 0, the bridge says offline', async () => {
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('stopped');
    const last = got.filter((m) => m.topic === 'meshwork/v1/demo/bridge/demo-bridge/status').pop();
    expect(JSON.parse(last!.payload).state).toBe('offline');
  }, 15_000);
});

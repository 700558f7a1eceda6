/**
 * The dashboard's MQTT source (host/web/mqtt-feed.ts) against the real bridge (host/bridge/, embedded aedes):
 * frames sealed by the real core are heard by a fake gateway, verified and published by the bridge, and the
 * feed turns the publications into nodes (telemetry: uptime, memory, firmware, neighbours), links (both
 * ends' telemetry), packets and the bridge's gateway. The page's commands go out as signed downlink commands
 * the bridge accepts and hands to the gateway (hop limit as asked); ping waits for the published pong; the
 * traceroute walks back from the destination with trace queries answered as nodes answer them. Without a key
 * the feed says downlink needs it; a command the bridge refuses (rate) comes back as a failure; a node that
 * falls silent goes down. Also `meshwork bridge --web` serves the dashboard fed from its broker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startBridge, type Bridge } from '../host/bridge/bridge.ts';
import { deriveDownlinkKey } from '../host/bridge/command-sign.ts';
import { serialise } from '../host/keyfile.ts';
import { createMqttFeed, type MqttFeed } from '../host/web/mqtt-feed.ts';
import type { MeshEvent, PacketInfo } from '../host/web/mesh-feed.ts';
import { app, createFakeGateway, keyFileFor, tmp, waitFor, type FakeGateway } from './bridge-support.ts';

const kf = keyFileFor('t');
const GW = 0x100, A = 0x201, B = 0x202;
const hex = (n: number): string => n.toString(16).padStart(8, '0');
let gw: FakeGateway;
let bridge: Bridge;
let feed: MqttFeed;
const events: MeshEvent[] = [];

beforeAll(async () => {
  bridge = await startBridge({
    keyFile: kf, bridgeId: 'b1', queueDir: tmp(), embedded: { port: 0 }, log: () => {}, statusEveryMs: 500,
    gateway: async () => { gw = createFakeGateway(kf, GW); return gw; },
    downlink: { key: deriveDownlinkKey(kf), maxHops: 4, bridgeRatePerSec: 50, bridgeBurst: 50, dstRatePerSec: 0.01, dstBurst: 4 },
  });
  await waitFor(() => bridge.connected() && !!gw, 5000, 'bridge up');
  feed = await createMqttFeed({ url: bridge.url, mesh: 't', keyFile: kf, hops: 2, staleMs: 2500, answerTimeoutMs: 3000, names: { [hex(A)]: 'roof-a' } });
  feed.subscribe((e) => events.push(e));
}, 20_000);

afterAll(async () => {
  await feed?.close();
  await bridge?.stop();
});

/** answers the gateway's downlink sends as the nodes would (pong, trace reports), heard back by the gateway */
function answerAsNodes(): () => void {
  let done = 0, seq = 50;
  const iv = setInterval(() => {
    for (; done < gw.sent.length; done++) {
      const s = gw.sent[done];
      const d = app.decode(s.payload);
      if (!d.ok) continue;
      const m = d.msg;
      if (m.t === 'pi') gw.hearMsg(s.dst, ++seq, { t: 'po', id: m.id, ts: m.ts });
      else if (m.t === 'tr' && s.dst === B) gw.hearMsg(B, ++seq, { t: 'tR', id: m.id, n: A, m: 250, l: [[A, -72, 90, 88]] });
      else if (m.t === 'tr' && s.dst === A) gw.hearMsg(A, ++seq, { t: 'tR', id: m.id, n: GW, m: 120, l: [[B, -70, 85, 80], [GW, -50, 99, 97]] });
    }
  }, 20);
  return () => clearInterval(iv);
}

describe('MQTT feed over the bridge\'s topics', () => {
  it('nodes, links and packets from what the bridge publishes; the gateway from its status', async () => {
    gw.hearMsg(A, 1, { t: 'tm', up: 100, mem: 5000, nb: [[B, 150, -70], [GW, 100, -50]], v: '1.2.3', b: 'esp32' });
    gw.hearMsg(B, 1, { t: 'tm', up: 40, mem: 4000, nb: [[A, 130, -72]], v: '1.2.3', b: 'esp32-c3' });
    gw.hearMsg(B, 2, { t: 'tx', m: 'hello mqtt' });
    await waitFor(() => events.some((e) => e.type === 'packet' && e.packet.kind === 'text'), 5000, 'text packet');
    await waitFor(() => feed.info.self === hex(GW), 5000, 'gateway from the status');
    const s = feed.snapshot();
    const a = s.nodes.find((n) => n.id === hex(A))!;
    expect(a).toMatchObject({ name: 'roof-a', role: 'router', up: true, uptimeS: 100, mem: 5000, fw: '1.2.3', neighbours: 2 });
    expect(s.nodes.find((n) => n.id === hex(B))).toMatchObject({ name: hex(B), uptimeS: 40, neighbours: 1 });
    expect(s.nodes.find((n) => n.id === hex(GW))).toMatchObject({ role: 'gateway', up: true, neighbours: 1 });
    const ab = s.links.find((l) => l.a === hex(A) && l.b === hex(B))!;
    // the worse end's ETX (1.5) → 1/√1.5 both ways; RSSI the mean of both ends' reports
    expect(ab).toMatchObject({ qualityAB: 0.82, qualityBA: 0.82, rssi: -71, up: true });
    expect(s.links.find((l) => l.a === hex(GW) && l.b === hex(A))).toMatchObject({ qualityAB: 1, rssi: -50 });
    const text = events.find((e) => e.type === 'packet' && e.packet.kind === 'text') as { packet: PacketInfo };
    expect(text.packet).toMatchObject({ src: hex(B), dst: 'ffffffff', text: 'hello mqtt', at: hex(GW), hops: 0, rssi: -60 });
    expect(feed.stats().bad).toBe(0);
  });

  it('text, ping and traceroute from the page go out as signed downlink commands through the gateway', async () => {
    const stop = answerAsNodes();
    try {
      const r = await feed.command({ op: 'text', to: hex(B), text: 'from the page' });
      expect(r).toMatchObject({ ok: true });
      const sent = gw.sent.find((x) => app.decode(x.payload).ok && (app.decode(x.payload) as { msg: { m?: string } }).msg.m === 'from the page')!;
      expect(sent.dst).toBe(B);
      expect(sent.opts).toMatchObject({ hopLimit: 2, ack: true });
      const p = await feed.command({ op: 'ping', to: hex(A) });
      expect(p).toMatchObject({ ok: true, hops: 0 });
      expect(p.ms).toBeGreaterThanOrEqual(0);
      const t = await feed.command({ op: 'traceroute', to: hex(B) });
      expect(t.ok, t.err).toBe(true);
      expect(t.trace).toMatchObject({ from: hex(B), to: hex(GW), status: 'done', path: [hex(B), hex(A), hex(GW)] });
      // B→A measured at A (A's entry for B: 85 %), A→B measured at B (B's entry for A: 90 %)
      expect(t.trace!.hops[0]).toMatchObject({ a: hex(B), b: hex(A), qualityAB: 0.85, qualityBA: 0.9, rssiAB: -70, rssiBA: -72 });
      expect(t.trace!.hops[1]).toMatchObject({ a: hex(A), b: hex(GW), qualityAB: null, qualityBA: 0.99 });
      expect(events.some((e) => e.type === 'trace' && e.trace.status === 'done')).toBe(true);
    } finally { stop(); }
  }, 20_000);

  it('a refused command fails with the bridge\'s reason; without a key the reply says downlink needs it', async () => {
    const results = [];
    // the destination bucket holds 4 (dstBurst): the fifth is refused for rate, reported on the events topic
    for (let k = 0; k < 5; k++) results.push(await feed.command({ op: 'text', to: '00000203', text: 'burst ' + k }));
    expect(results.slice(0, 4).every((r) => r.ok)).toBe(true);
    expect(results[4]).toMatchObject({ ok: false, err: expect.stringMatching(/refused.*rate/) });
    const keyless = await createMqttFeed({ url: bridge.url, mesh: 't' });
    try {
      expect(await keyless.command({ op: 'text', to: hex(A), text: 'x' })).toMatchObject({ ok: false, err: expect.stringMatching(/downlink needs the key/) });
      expect(await keyless.command({ op: 'text', to: 'zz', text: 'x' } as never)).toMatchObject({ ok: false });
    } finally { await keyless.close(); }
  }, 20_000);

  it('a node that falls silent goes down, and its links go with it', async () => {
    await waitFor(() => feed.snapshot().nodes.find((n) => n.id === hex(B))?.up === false, 8000, 'B down');
    expect(feed.snapshot().links.some((l) => l.a === hex(B) || l.b === hex(B))).toBe(false);
    expect(events.some((e) => e.type === 'link' && !e.link.up && e.link.a === hex(A) && e.link.b === hex(B))).toBe(true);
  }, 10_000);

  it('`meshwork bridge --web` serves the dashboard fed from its broker, and stops on SIGINT', async () => {
    const dir = tmp();
    const keyPath = join(dir, 'net.key');
    writeFileSync(keyPath, serialise(kf), { mode: 0o600 });
    const p = spawn(process.execPath, ['bin/meshwork.mjs', 'bridge', '--port', join(dir, 'no-such-tty'), '--network', keyPath,
      '--listen', '127.0.0.1:0', '--web', '--web-port', '0', '--queue', join(dir, 'q'), '--id', 'webtest'],
    { cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d) => { out += d; });
    p.stderr!.on('data', (d) => { out += d; });
    try {
      await waitFor(() => /dashboard: http/.test(out), 20_000, 'dashboard URL');
      const url = out.match(/dashboard: (\S+)/)![1];
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
      const hello = await new Promise<{ info: { source: string; name: string } }>((resolve, reject) => {
        const ws = new WebSocket(url.replace('http', 'ws') + 'ws');
        ws.once('message', (m) => { resolve(JSON.parse(String(m))); ws.close(); });
        ws.once('error', reject);
      });
      expect(hello.info.source).toBe('mqtt');
      expect(hello.info.name).toMatch(/mesh t/);
    } finally {
      const code = new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
      p.kill('SIGINT');
      expect(await code).toBe(0);
    }
  }, 40_000);
});

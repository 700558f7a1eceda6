/**
 * The dashboard's serial source (host/web/serial-feed.ts) on a real NodeLink against the real firmware bundle:
 * four ESP-NOW nodes in a line (test/emulation/, as test/emulated-mesh.test.ts), node 0 the gateway with the
 * host attached through a Duplex around its console. The virtual clock is paced by a wall-clock interval
 * (×SPEED), so the firmware's timers, the NodeLink's timeouts and the feed's waits all run as on a board.
 * Checked: the node itself (HELLO, telemetry), its neighbour with quality both ways and RSSI from the `nb` rows,
 * the far nodes from routes and from the telemetry they send to the gateway (links from their neighbour lists),
 * the packet log, and the page's commands: a text delivered at the far node (seen on that node's own console),
 * a ping answered with its hop count, a traceroute walked over every hop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { buildFirmware } from '../host/build/build-firmware.ts';
import { NodeLink } from '../host/link/node-link.ts';
import { createSerialFeed, type SerialFeed } from '../host/web/serial-feed.ts';
import type { MeshEvent } from '../host/web/mesh-feed.ts';
import { createEspruinoEnv, VirtualClock } from './emulation/espruino-env.ts';
import { createEspNowMedium } from './emulation/espruino-espnow.ts';
import { bootNode, cfgText, type EmulatedNode } from './support/emulated-node.ts';

const ID = (i: number): number => 0x7100 + i;
const hex = (n: number): string => n.toString(16).padStart(8, '0');
const SPEED = 8;
const line = (a: string, b: string): number | null => (Math.abs(Number(a.slice(1)) - Number(b.slice(1))) === 1 ? -62 : null);

let clock: VirtualClock;
let pace: NodeJS.Timeout;
let far: EmulatedNode[];
let link: NodeLink;
let port: Duplex;
let feed: SerialFeed;
const events: MeshEvent[] = [];

beforeAll(async () => {
  const r = await buildFirmware({ boards: ['esp32-espnow'], outDir: join(mkdtempSync(join(tmpdir(), 'mw-sfeed-')), 'fw') });
  expect(r.ok).toBe(true);
  const code = readFileSync(r.results[0].outFile!, 'utf8');
  clock = new VirtualClock();
  const medium = createEspNowMedium({ rssi: line, defer: (fn) => { clock.schedule(clock.now() + 2, fn); } });
  // node 0: the gateway, its console wrapped in a Duplex for the host's NodeLink
  let env: ReturnType<typeof createEspruinoEnv> | null = null;
  port = new Duplex({
    read() { /* pushed by the node's console writes */ },
    write(chunk, _enc, cb) { const s = chunk.toString('latin1'); setImmediate(() => env!.input(s)); cb(); },
  });
  env = createEspruinoEnv({
    board: 'esp32-espnow', clock, name: 'n0', boot: true, modules: { ESPNOW: medium.module('n0') },
    storage: { '.bootcde': code, 'mw.cfg': cfgText({ id: ID(0), name: 'roof-gw', role: 'gateway' }) },
    write: (chars: string) => { port.push(Buffer.from(chars, 'latin1')); },
  });
  far = [1, 2, 3].map((i) => bootNode({ code, board: 'esp32-espnow', clock, cfg: { id: ID(i) }, modules: { ESPNOW: medium.module('n' + i) } }));
  pace = setInterval(() => clock.advance(20 * SPEED), 20);
  link = new NodeLink(port, { timeoutMs: 3000 });
  feed = await createSerialFeed({ link, name: 'emulated n0', reportS: 2, queryTimeoutMs: 3000 });
  feed.subscribe((e) => events.push(e));
  await feed.ready;
}, 90_000);

afterAll(async () => {
  clearInterval(pace);
  await feed?.close();
  link?.close();
});

const node = (i: number) => feed.snapshot().nodes.find((n) => n.id === hex(ID(i)));
const until = async (what: string, pred: () => boolean, ms: number): Promise<void> => {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('serial feed: one node of an emulated firmware mesh, through NodeLink', () => {
  it('the node, its neighbour (quality both ways, RSSI), the far nodes from routes and their telemetry', async () => {
    expect(feed.info).toMatchObject({ source: 'serial', self: hex(ID(0)), anySender: false });
    expect(node(0)).toMatchObject({ name: 'roof-gw', role: 'gateway', up: true });
    expect(node(0)!.fw).toMatch(/\S/);
    await until('routes to every node', () => [1, 2, 3].every((i) => node(i)?.up), 30_000);
    await until('the neighbour link', () => feed.snapshot().links.some((l) => l.a === hex(ID(0)) && l.b === hex(ID(1)) && (l.qualityAB ?? 0) > 0.5), 20_000);
    const l01 = feed.snapshot().links.find((l) => l.a === hex(ID(0)) && l.b === hex(ID(1)))!;
    expect(l01.rssi).toBe(-62);
    expect(l01.qualityBA).toBeGreaterThan(0.5);
    expect(feed.snapshot().links.some((l) => l.a === hex(ID(0)) && l.b !== hex(ID(1)))).toBe(false); // only n1 is in range
    // telemetry (first after 30 s of node time): the far nodes' own figures and their links
    await until('telemetry from n3', () => node(3)?.uptimeS !== null && node(3)?.uptimeS !== undefined, 30_000);
    expect(node(3)).toMatchObject({ neighbours: 1 });
    expect(node(3)!.mem).toBeGreaterThan(0);
    await until('the n2-n3 link from telemetry', () => feed.snapshot().links.some((l) => l.a === hex(ID(2)) && l.b === hex(ID(3))), 20_000);
    await until('own telemetry', () => (node(0)?.uptimeS ?? null) !== null && node(0)!.counters?.tx !== undefined, 10_000);
    expect(node(0)!.routes).toBeGreaterThanOrEqual(3);
    expect(events.some((e) => e.type === 'packet' && e.packet.kind === 'telemetry' && e.packet.src === hex(ID(3)))).toBe(true);
  }, 80_000);

  it('text, ping and traceroute from the page leave from the attached node and are answered', async () => {
    const t = await feed.command({ op: 'text', to: hex(ID(3)), text: 'hello from the dashboard' });
    expect(t).toMatchObject({ ok: true });
    await until('the text at n3', () => far[2].deliveries().some((d) => d.msg?.m === 'hello from the dashboard'), 10_000);
    expect(far[2].deliveries().find((d) => d.msg?.m === 'hello from the dashboard')).toMatchObject({ s: ID(0), d: ID(3), h: 2 });
    const p = await feed.command({ op: 'ping', to: hex(ID(3)) });
    expect(p, p.err).toMatchObject({ ok: true, hops: 2 });
    const tr = await feed.command({ op: 'traceroute', to: hex(ID(3)) });
    expect(tr.ok, tr.err).toBe(true);
    expect(tr.trace).toMatchObject({ status: 'done', path: [0, 1, 2, 3].map((i) => hex(ID(i))) });
    expect(tr.trace!.hops).toHaveLength(3);
    for (const h of tr.trace!.hops) { expect(h.qualityAB).toBeGreaterThan(0.5); expect(h.rssiAB).toBe(-62); expect(h.rssiBA).toBe(-62); }
    expect(events.some((e) => e.type === 'trace')).toBe(true);
    expect(await feed.command({ op: 'ping', to: hex(ID(0)) })).toMatchObject({ ok: false });
  }, 60_000);

  it('carries on over a new link after the old one closed (a monitor re-opening the port)', async () => {
    link.close();
    await until('the node shown down with its link gone', () => node(0)?.up === false, 2000);
    link = new NodeLink(port, { timeoutMs: 3000 });
    feed.attach(link);
    await until('the node up again after its HELLO', () => node(0)?.up === true, 10_000);
    const p = await feed.command({ op: 'ping', to: hex(ID(2)) });
    expect(p, p.err).toMatchObject({ ok: true, hops: 1 });
  }, 30_000);
});

describe('serial feed: the direction of link quality from the `nb` rows', () => {
  it('rx % is the neighbour → node direction, tx % node → neighbour, whichever id sorts first', async () => {
    const { EventEmitter } = await import('node:events');
    const fake = Object.assign(new EventEmitter(), {
      hello: async () => ({ id: 0x50, name: 'mid', role: 'router', fw: 't', board: 'b', mesh: 'm' }),
      request: async (op: string, a?: Record<string, unknown>) => (op === 'get' && a?.w === 'nb'
        // [id, rssi, rx %, tx %, cost, flags, ago ms]: 0x40 sorts before 0x50, 0x60 after
        ? { ok: true, n: [[0x40, -70, 40, 90, 200, 1, 500], [0x60, -80, 75, 20, 300, 2, 100]] }
        : op === 'get' && a?.w === 'rt' ? { ok: true, r: [[0x70, 0x60, 400, 3, 0]] } : { ok: true }),
    });
    const f = await createSerialFeed({ link: fake, name: 'fake' });
    await f.ready;
    const links = f.snapshot().links;
    // link 40-50: AB = 40→50 = heard here from 0x40 = rx 40 %; BA = 50→40 = tx 90 %
    expect(links.find((l) => l.a === hex(0x40))).toMatchObject({ b: hex(0x50), qualityAB: 0.4, qualityBA: 0.9, rssi: -70 });
    // link 50-60: AB = 50→60 = tx 20 %; BA = 60→50 = rx 75 %
    expect(links.find((l) => l.b === hex(0x60))).toMatchObject({ a: hex(0x50), qualityAB: 0.2, qualityBA: 0.75, rssi: -80 });
    const ns = f.snapshot().nodes;
    expect(ns.find((n) => n.id === hex(0x40))).toMatchObject({ role: 'gateway', up: true });
    expect(ns.find((n) => n.id === hex(0x60))).toMatchObject({ role: 'leaf' });
    expect(ns.find((n) => n.id === hex(0x70))).toMatchObject({ up: true, lastHeard: null });
    expect(ns.find((n) => n.id === hex(0x50))).toMatchObject({ neighbours: 2, routes: 1 });
    await f.close();
  });
});

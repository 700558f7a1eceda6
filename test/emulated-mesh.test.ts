/**
 * The built firmware bundles as nodes: several Espruino emulations (test/emulation/) on one virtual clock,
 * booted from Storage with their own mw.cfg, meshed by the emulated radio (the ESP-NOW binding contract, or
 * stock Wi-Fi + dgram), each driven only through its console with the serial-link protocol, as a host drives a
 * board. Messages cross the mesh; nodes answer pings themselves; hostile frames and garbled console lines
 * leave them relaying.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFirmware } from '../host/build/build-firmware.ts';
import { VirtualClock } from './emulation/espruino-env.ts';
import { createEspNowMedium } from './emulation/espruino-espnow.ts';
import { createWifiWorld } from './emulation/espruino-wifi.ts';
import { bootNode, app, type EmulatedNode } from './support/emulated-node.ts';

const code: Record<string, string> = {};
beforeAll(async () => {
  const r = await buildFirmware({ boards: ['esp32-espnow', 'esp32', 'esp32-c3'], outDir: join(mkdtempSync(join(tmpdir(), 'mw-emu-')), 'fw') });
  expect(r.ok).toBe(true);
  for (const x of r.results) code[x.board] = readFileSync(x.outFile!, 'utf8');
}, 120_000);

const ID = (i: number) => 0x7000 + i;
const line = (a: string, b: string) => (Math.abs(Number(a.slice(1)) - Number(b.slice(1))) === 1 ? -62 : null);

function espnowLine(n: number) {
  const clock = new VirtualClock();
  const medium = createEspNowMedium({ rssi: (a, b) => line(a, b), defer: (fn) => { clock.schedule(clock.now() + 2, fn); } });
  const nodes: EmulatedNode[] = [];
  for (let i = 0; i < n; i++) {
    nodes.push(bootNode({ code: code['esp32-espnow'], board: 'esp32-espnow', clock, cfg: { id: ID(i), role: i === n - 1 ? 'gateway' : 'router' },
      modules: { ESPNOW: medium.module('n' + i) } }));
  }
  return { clock, medium, nodes };
}

function routeTo(node: EmulatedNode, clock: VirtualClock, dst: number): boolean {
  for (let t = 0; t < 120_000; t += 1000) {
    const id = node.command('get', { w: 'rt' });
    clock.advance(1000);
    const r = node.reply(id);
    if (r && r.ok && r.r.some((row: number[]) => row[0] === dst && row[1] !== 0)) return true;
  }
  return false;
}

/** a line of nodes on stock Wi-Fi + dgram (soft-AP / station links), one board each */
function wifiLine(boards: string[]) {
  const clock = new VirtualClock();
  const world = createWifiWorld({ rssi: (a, b) => line(a, b), defer: (fn) => { clock.schedule(clock.now() + 2, fn); } });
  const nodes = boards.map((b, i) => bootNode({
    code: code[b], board: b, clock, cfg: { id: ID(i), radio: { password: 'emulated-mesh-pw' } }, modules: world.modules('n' + i),
  }));
  return { clock, nodes };
}

/**
 * Texts from `from` to `to` until one arrives. Wi-Fi links still settle after the first route (the 2-cycle
 * rule makes a node leave an upstream and rescan, 5 s back-off), and the routers' jitter comes from
 * Math.random: a message sent during a re-join can be lost, as on a board. A node would retry; so does the
 * test, at most 6 times, 10 s apart. Each text arrives at most once (dedup across the AP and station sides).
 */
function sendUntilDelivered(from: EmulatedNode, to: EmulatedNode, dst: number, clock: VirtualClock, label: string): ReturnType<EmulatedNode['deliveries']> {
  const sent: string[] = [];
  let got: ReturnType<EmulatedNode['deliveries']> = [];
  for (let k = 0; k < 6 && got.length === 0; k++) {
    const text = label + k;
    sent.push(text);
    const id = from.command('send', { d: dst, p: app.encode({ t: 'tx', m: text }) });
    clock.advance(10_000);
    expect(from.reply(id)).toMatchObject({ ok: true });
    got = to.deliveries().filter((d) => sent.includes(d.msg?.m));
  }
  expect(got.length).toBeGreaterThanOrEqual(1);
  expect(new Set(got.map((d) => d.msg.m)).size).toBe(got.length);
  return got;
}

describe('firmware bundles meshed in the Espruino emulation', () => {
  it('ESP-NOW, 5 nodes in a line: handshake, a text crosses every hop, the far node answers a ping', () => {
    const { clock, nodes } = espnowLine(5);
    clock.advance(100);
    for (const [i, n] of nodes.entries()) {
      expect(n.hello(), n.text.join('')).toMatchObject({ v: 1, id: ID(i), board: 'esp32-espnow', role: i === 4 ? 'gateway' : 'router' });
      expect(JSON.stringify(n.hello())).not.toContain('2b7e1516'); // the key never leaves the node
    }
    expect(routeTo(nodes[0], clock, ID(4))).toBe(true);
    const sent = nodes[0].command('send', { d: ID(4), p: app.encode({ t: 'tx', m: 'over four hops', to: ID(4) }), a: 1 });
    clock.advance(3000);
    expect(nodes[0].reply(sent)).toMatchObject({ ok: true });
    const got = nodes[4].deliveries().filter((d) => d.msg?.t === 'tx');
    expect(got).toEqual([{ s: ID(0), d: ID(4), h: 3, msg: { t: 'tx', m: 'over four hops', to: ID(4) } }]);
    // a ping is answered by the node itself (shared/app-responder.ts), not by a host
    nodes[0].command('send', { d: ID(4), p: app.encode({ t: 'pi', id: 99 }) });
    clock.advance(3000);
    expect(nodes[0].deliveries().map((d) => d.msg)).toContainEqual({ t: 'po', id: 99 });
    // the middle nodes relayed; counters come back over the link
    const st = nodes[2].command('get', { w: 'st' });
    clock.advance(100);
    expect(nodes[2].reply(st).st.txRelay).toBeGreaterThan(0);
    for (const n of nodes) expect(n.errors).toEqual([]);
  }, 60_000);

  it('hostile frames and garbled console lines: counted, never fatal, the node keeps relaying', () => {
    const { clock, medium, nodes } = espnowLine(3);
    expect(routeTo(nodes[0], clock, ID(2))).toBe(true);
    // 2000 frames of garbage and truncated/bit-flipped frames into the relay
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
    for (let k = 0; k < 2000; k++) {
      const len = 1 + Math.floor(rnd() * 250);
      const f = new Uint8Array(len).map(() => Math.floor(rnd() * 256));
      if (k % 3 === 0 && len > 20) { f[0] = 0x11; f[2] = 5; f[3] = 5; } // looks like a v1 data frame header
      medium.inject('n1', f, '02:00:00:00:00:99', -40);
      if (k % 100 === 0) clock.advance(20);
    }
    nodes[1].env.input("\x10MWc('@@@not base64')\n");
    nodes[1].env.input('\x10MWc(\'' + 'A'.repeat(3000) + '\')\n');
    nodes[1].env.input('garbage typed at the prompt\n');
    clock.advance(2000);
    const id = nodes[0].command('send', { d: ID(2), p: app.encode({ t: 'tx', m: 'still here' }) });
    clock.advance(3000);
    expect(nodes[0].reply(id)).toMatchObject({ ok: true });
    expect(nodes[2].deliveries().some((d) => d.msg?.m === 'still here')).toBe(true);
    const st = nodes[1].command('get', { w: 'st' });
    clock.advance(100);
    const r = nodes[1].reply(st);
    expect(r.st.rxInvalid + r.st.rxDuplicate).toBeGreaterThan(0);
    expect(r.err.receive).toBe(0); // nothing threw inside the router
  }, 60_000);

  it('stock Wi-Fi + dgram (soft-AP / station links), 4 nodes in a line: a message crosses', () => {
    const { clock, nodes } = wifiLine(['esp32', 'esp32', 'esp32', 'esp32']);
    expect(routeTo(nodes[0], clock, ID(3))).toBe(true);
    const got = sendUntilDelivered(nodes[0], nodes[3], ID(3), clock, 'over wifi #');
    // never straight from n0
    for (const d of got) expect(d.h).toBeGreaterThanOrEqual(1);
  }, 90_000);

  it('the ESP32-C3 bundle (the repeater) between two ESP32 routers on Wi-Fi: it says what it is, and a text crosses it', () => {
    const { clock, nodes } = wifiLine(['esp32', 'esp32-c3', 'esp32-c3', 'esp32']);
    clock.advance(100);
    expect(nodes[1].hello()).toMatchObject({ id: ID(1), board: 'esp32-c3', role: 'repeater', caps: ['get', 'set', 'tx', 'reboot'] });
    clock.advance(60_000); // Wi-Fi links form; no route will cross the repeaters
    const got = sendUntilDelivered(nodes[0], nodes[3], ID(3), clock, 'across the repeaters #');
    // n0 and n3 share no Wi-Fi segment (each links only to its neighbours' soft-APs): a repeater carried it
    for (const d of got) expect(d.h).toBeGreaterThanOrEqual(1);
    const st = [1, 2].map((i) => nodes[i].command('get', { w: 'st' }));
    clock.advance(100);
    const r = [1, 2].map((i, k) => nodes[i].reply(st[k]));
    expect(r[0].st.txRelay + r[1].st.txRelay).toBeGreaterThan(0);
    for (const x of r) expect(x.st.txBeacon).toBeGreaterThan(0);
    const no = nodes[1].command('send', { d: ID(3), p: new Uint8Array([1]) });
    clock.advance(100);
    expect(nodes[1].reply(no)).toMatchObject({ ok: false });
  }, 120_000);
});

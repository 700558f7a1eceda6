/**
 * One compliance suite for every RadioDriver (firmware/radio-driver.ts, CONTRACTS §3; STYLE principle 4),
 * run against wifi-udp (emulated Wifi + in-process dgram network), espnow (emulated ESPNOW binding on an
 * in-process medium) and udp-loopback (REAL node:dgram sockets through the REAL host air, host/air/).
 * The drivers run in Node, built by their factories with the emulated Espruino modules as components.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { RadioDriver } from '../firmware/radio-driver.ts';
import { createWifiUdpRadio } from '../firmware/radio-wifi-udp.ts';
import { createEspNowRadio } from '../firmware/radio-espnow.ts';
import { createUdpLoopbackRadio } from '../firmware/radio-udp-loopback.ts';
import { createWifiWorld } from './emulation/espruino-wifi.ts';
import { createEspNowMedium } from './emulation/espruino-espnow.ts';
import { createRealDgram } from './emulation/espruino-dgram.ts';
import { createAir, type Air } from '../host/air/air.ts';
import { explicitLinks } from '../host/air/air-model.ts';
import { nodeBytes, nodeTimers, until } from './support/radio-harness.ts';
import nodeDgram from 'node:dgram';

interface Rx { data: Uint8Array; rssi: number }
interface Harness {
  drivers: RadioDriver[];
  /** resolves once every node can reach every other */
  ready(): Promise<void>;
  /** put garbage on the air for node `to`; returns how many datagrams it sent (all must be counted) */
  garbage(to: number): Promise<number>;
  close(): Promise<void>;
}

const IDS = [0x1001, 0x2002, 0x3003];
const env8 = (kind: number, id: number) => String.fromCharCode(0x4d, 0x77, kind, 0, id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255);
const str = (u8: Uint8Array) => String.fromCharCode(...u8);

/** garbage a UDP driver must drop: not ours, truncated, wrong kind, too long, a Uint8Array sent as text */
function udpGarbage(): string[] {
  return [
    '', 'hello world', 'Mw', env8(1, 0x2002), env8(2, 0x2002) + 'abc', env8(9, 0x2002) + 'abc',
    'XX' + env8(1, 0x2002).substr(2) + 'abc', env8(1, 0x2002) + 'x'.repeat(600), '77,119,1,0,0,0,32,2,1,2,3',
  ];
}

const harnesses: { name: string; make(): Promise<Harness> }[] = [
  {
    name: 'wifi-udp',
    async make() {
      // a line of APs with distinct RSSIs, everyone in range of everyone
      const world = createWifiWorld({ rssi: (a, b) => -40 - 7 * Math.abs(Number(a) - Number(b)) });
      const drivers = IDS.map((id, i) => {
        const n = world.node(String(i));
        return createWifiUdpRadio({ id, mesh: 'test', password: 'correct horse', channel: 6, scanMinMs: 10, scanMaxMs: 40 })({
          wifi: n.wifi, dgram: n.dgram, bytes: nodeBytes, timers: nodeTimers(),
        });
      });
      return {
        drivers,
        async ready() {
          await until(() => IDS.every((_, i) => world.upstreamOf(String(i)) !== null && drivers[i].status().up), 3000, 'wifi links');
        },
        async garbage(to) {
          const ifs = world.interfaces(String(to));
          const g = udpGarbage();
          for (const s of g) world.net.inject({ segment: ifs[0].segment, ip: '10.9.9.9', port: 4210 }, s, 4210, ifs[0].ip);
          return g.length;
        },
        async close() { /* in-process */ },
      };
    },
  },
  {
    name: 'espnow',
    async make() {
      const medium = createEspNowMedium({ rssi: (a, b) => -45 - 5 * Math.abs(Number(a) - Number(b)) });
      const drivers = IDS.map((_, i) => createEspNowRadio({ channel: 1 })({
        espnow: medium.node(String(i)), bytes: nodeBytes, timers: nodeTimers(),
      }));
      return {
        drivers,
        async ready() { /* nothing to associate */ },
        async garbage(to) {
          const g: unknown[] = [new Uint8Array(0), new Uint8Array(300), 42, null, { data: 1 }, ''];
          for (const d of g) medium.inject(String(to), d, '30:ae:a4:99:99:99', -60);
          return g.length;
        },
        async close() { /* in-process */ },
      };
    },
  },
  {
    name: 'udp-loopback',
    async make() {
      const air: Air = await createAir({ port: 0, links: explicitLinks(3, (i, j) => -48 - 4 * Math.abs(i - j)), fastFading: false, ids: IDS });
      const dgram = createRealDgram();
      const drivers = IDS.map((id) => createUdpLoopbackRadio({ id, port: 0, airPort: air.port, helloMs: 50 })({
        dgram, bytes: nodeBytes, timers: nodeTimers(),
      }));
      const raw = nodeDgram.createSocket('udp4');
      return {
        drivers,
        async ready() { await until(() => air.nodes().length === 3, 3000, 'air registrations'); },
        async garbage(to) {
          const port = air.nodes().find((n) => n.id === IDS[to])!.port;
          const g = [...udpGarbage(), env8(1, 0x4004) + 'abc']; // the last one is well formed but not from the air
          for (const s of g) raw.send(Buffer.from(s, 'latin1'), port, '127.0.0.1');
          return g.length;
        },
        async close() { raw.close(); dgram.closeAll(); await air.close(); },
      };
    },
  },
];

describe.each(harnesses)('radio compliance: $name', ({ make }) => {
  let h: Harness;
  let rx: Rx[][];
  let probes: Set<string>[];
  const PROBE = 'PROBE:';
  beforeEach(async () => {
    h = await make();
    rx = h.drivers.map(() => []);
    probes = h.drivers.map(() => new Set());
    h.drivers.forEach((d, i) => d.start((f, len, rssi) => {
      // onFrame's view is valid only during the call: keep a copy
      const data = Uint8Array.prototype.slice.call(f, 0, len) as Uint8Array;
      if (len === PROBE.length + 1 && str(data.subarray(0, PROBE.length)) === PROBE) probes[i].add(String(data[PROBE.length]));
      else rx[i].push({ data, rssi });
    }));
    await h.ready();
    // links may still be settling: probe until every node has heard every other one directly
    const n = h.drivers.length;
    const all = () => probes.every((p, j) => p.size === n - 1 && !p.has(String(j)));
    const end = Date.now() + 5000;
    while (!all()) {
      if (Date.now() > end) throw new Error(`links never settled: ${probes.map((p) => [...p].join(',')).join(' | ')}`);
      h.drivers.forEach((d, i) => { const p = new Uint8Array([...Buffer.from(PROBE), i]); d.send(p, p.length); });
      await new Promise((r) => setTimeout(r, 40));
    }
  });
  afterEach(async () => {
    for (const d of h.drivers) d.stop();
    await h.close();
  });

  /** send a unique sentinel from `from` and wait until `to` has it: everything sent before has landed */
  async function flush(from: number, to: number): Promise<void> {
    const s = new Uint8Array([0xee, ...randomBytes(7)]);
    h.drivers[from].send(s, s.length);
    await until(() => rx[to].some((r) => r.data.length === 8 && str(r.data) === str(s)), 3000, 'sentinel');
  }

  it('delivers frames of 1..250 bytes byte-exact, with an RSSI, to every other node', async () => {
    const tx0 = h.drivers[0].status().tx;
    const sizes = [1, 2, 20, 100, 200, 249, 250];
    const frames = sizes.map((n) => new Uint8Array(randomBytes(n)));
    for (const f of frames) h.drivers[0].send(f, f.length);
    expect(h.drivers[0].status().tx - tx0).toBe(sizes.length);
    await until(() => [1, 2].every((i) => frames.every((f) => rx[i].some((r) => str(r.data) === str(f)))), 3000, 'all frames');
    for (const i of [1, 2]) {
      for (const r of rx[i]) {
        expect(Number.isInteger(r.rssi)).toBe(true);
        expect(r.rssi).toBeLessThan(0);
        expect(r.rssi).toBeGreaterThanOrEqual(-128);
      }
    }
    // a longer buffer with len < buffer length: only len bytes go out
    const big = new Uint8Array(randomBytes(250));
    h.drivers[1].send(big, 33);
    await until(() => rx[0].some((r) => str(r.data) === str(big.subarray(0, 33))), 3000, 'prefix frame');
    expect(h.drivers[0].status().rx).toBeGreaterThanOrEqual(1);
    expect(h.drivers[1].status().rx).toBeGreaterThanOrEqual(sizes.length);
  });

  it('copies the frame inside send(): mutating the buffer afterwards changes nothing received', async () => {
    const buf = new Uint8Array(64).fill(0x5a);
    const expected = str(buf);
    h.drivers[0].send(buf, buf.length);
    buf.fill(0xa5);
    h.drivers[0].send(buf, 10);
    buf.fill(0);
    await until(() => rx[1].length >= 2, 3000, 'two frames');
    expect(str(rx[1][0].data)).toBe(expected);
    expect(str(rx[1][1].data)).toBe('\xa5'.repeat(10));
  });

  it('refuses and counts oversize or empty frames, without throwing', async () => {
    const d = h.drivers[0];
    const before = d.status().oversize;
    expect(() => d.send(new Uint8Array(251), 251)).not.toThrow();
    expect(() => d.send(new Uint8Array(400), 300)).not.toThrow();
    expect(() => d.send(new Uint8Array(10), 0)).not.toThrow();
    expect(() => d.send(new Uint8Array(10), 20)).not.toThrow(); // len beyond the buffer
    expect(d.status().oversize - before).toBe(4);
    expect(d.status().errors).toBeGreaterThanOrEqual(4);
    await flush(0, 1);
    expect(rx[1].length).toBe(1); // only the sentinel
  });

  it('ignores and counts garbage and wrong-envelope datagrams, never throwing', async () => {
    const before = h.drivers[1].status().garbage;
    const n = await h.garbage(1);
    await until(() => h.drivers[1].status().garbage - before >= n, 3000, 'garbage counted');
    await flush(0, 1);
    expect(h.drivers[1].status().garbage - before).toBe(n);
    expect(rx[1].length).toBe(1);
  });

  it('never hands a node its own frames', async () => {
    const f = new Uint8Array(randomBytes(40));
    h.drivers[0].send(f, f.length);
    await until(() => rx[1].length === 1 && rx[2].length === 1, 3000, 'frame at 1 and 2');
    await flush(1, 0);
    expect(rx[0].map((r) => str(r.data))).not.toContain(str(f));
  });

  it('stop() stops: nothing more is delivered, up goes false, send after stop is counted not thrown', async () => {
    h.drivers[2].stop();
    expect(h.drivers[2].status().up).toBe(false);
    const f = new Uint8Array(randomBytes(30));
    h.drivers[0].send(f, f.length);
    await flush(0, 1);
    await new Promise((r) => setTimeout(r, 30));
    expect(rx[2].length).toBe(0);
    const e = h.drivers[2].status().errors;
    expect(() => h.drivers[2].send(f, f.length)).not.toThrow();
    expect(h.drivers[2].status().errors).toBe(e + 1);
    expect(() => h.drivers[2].stop()).not.toThrow();
  });

  it('reports status and airtime', async () => {
    const f = new Uint8Array(10);
    h.drivers[1].send(f, 10);
    h.drivers[2].send(f, 10);
    await until(() => h.drivers[0].status().peers === 2, 3000, 'two peers');
    const s = h.drivers[0].status();
    expect(s.up).toBe(true);
    expect(typeof s.kind).toBe('string');
    expect(s.errors).toBe(s.oversize + s.garbage + s.txErrors);
    const a = h.drivers[0].airtimeMs(250);
    expect(a).toBeGreaterThan(h.drivers[0].airtimeMs(10));
    expect(h.drivers[0].airtimeMs(10)).toBeGreaterThan(0);
    expect(a).toBeLessThan(20);
  });
});

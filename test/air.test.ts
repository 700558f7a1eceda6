/**
 * The host air (host/air/): its decisions (air-model.ts, on the simulator's radio model) and the UDP process
 * (air.ts) over real node:dgram sockets on loopback, with raw sockets standing in for nodes.
 */
import { describe, it, expect, afterEach } from 'vitest';
import dgram from 'node:dgram';
import { createAirModel, explicitLinks } from '../host/air/air-model.ts';
import { createAir, type Air } from '../host/air/air.ts';
import { DEFAULT_PROPAGATION, frameErrorProb } from '../host/sim/propagation.ts';
import { createTopology, usableDbm } from '../host/sim/topology.ts';
import { until } from './support/radio-harness.ts';

const env = (kind: number, id: number, rssi = 0) => Buffer.from([0x4d, 0x77, kind, rssi & 255, id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]);
const frame = (id: number, body: number[]) => Buffer.concat([env(1, id), Buffer.from(body)]);

describe('air model', () => {
  it('hears along the topology: a line of 5 built by the simulator reaches neighbours, not the far end', () => {
    const m = createAirModel({ topology: 'line', nodes: 5, seed: 7 });
    const topo = createTopology('line', 5, 7, DEFAULT_PROPAGATION);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) if (i !== j) expect(m.power(i, j)).toBe(topo.links.power(i, j));
    expect(m.neighbours(0)).toContain(1);
    expect(m.power(0, 1)).toBeGreaterThanOrEqual(usableDbm(DEFAULT_PROPAGATION));
    // 400 frames from node 0: its neighbour gets nearly all, the far end (4 hops) hardly any
    const got = new Int32Array(5);
    for (let k = 0; k < 400; k++) m.transmit(0, (to) => got[to]++);
    expect(got[1]).toBeGreaterThan(360);
    expect(got[4]).toBeLessThan(40);
    expect(got[0]).toBe(0);
  });

  it('gives RSSI = link power without fast fading, and loses frames at the FER of the propagation model', () => {
    const m = createAirModel({ links: explicitLinks(3, (i, j) => (Math.abs(i - j) === 1 ? -60 : -Infinity)), fastFading: false });
    const got: [number, number][] = [];
    m.transmit(1, (to, r) => got.push([to, r]));
    expect(got).toEqual([[0, -60], [2, -60]]);
    // at sensitivity half the frames are lost (FER = 0.5 there)
    const s = DEFAULT_PROPAGATION.sensitivityDbm;
    const m2 = createAirModel({ links: explicitLinks(2, () => s), fastFading: false, seed: 3 });
    let ok = 0;
    for (let k = 0; k < 4000; k++) m2.transmit(0, () => ok++);
    expect(frameErrorProb(DEFAULT_PROPAGATION, s)).toBeCloseTo(0.5, 6);
    expect(ok / 4000).toBeGreaterThan(0.46);
    expect(ok / 4000).toBeLessThan(0.54);
    expect(m2.counters.lost + m2.counters.delivered).toBe(4000);
  });

  it('applies extra loss, and is deterministic per seed regardless of interleaving', () => {
    const links = explicitLinks(4, () => -50);
    const run = (seed: number, order: number[]) => {
      const m = createAirModel({ links, loss: 0.3, seed });
      const out: string[][] = [[], [], [], []];
      for (let k = 0; k < 500; k++) for (const from of order) m.transmit(from, (to) => out[from].push(`${k}>${to}`));
      return out;
    };
    const a = run(11, [0, 1, 2, 3]);
    const b = run(11, [3, 2, 1, 0]); // other senders interleaved differently: same outcome per link
    const c = run(12, [0, 1, 2, 3]);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    const frac = a[0].length / (500 * 3);
    expect(frac).toBeGreaterThan(0.66);
    expect(frac).toBeLessThan(0.74);
  });

  it('supports death, fades and link overrides', () => {
    const m = createAirModel({ links: explicitLinks(3, () => -50), fastFading: false });
    const hear = (from: number) => { const r: number[] = []; m.transmit(from, (to) => r.push(to)); return r; };
    m.setAlive(2, false);
    expect(hear(0)).toEqual([1]);
    expect(hear(2)).toEqual([]);
    m.setAlive(2, true);
    m.fade(0, 1, 80);
    expect(hear(0)).toEqual([2]);
    m.fade(0, 1, 0);
    m.setLink(0, 2, -Infinity);
    expect(hear(0)).toEqual([1]);
    m.setLink(0, 2, -70);
    const r: number[] = [];
    m.transmit(0, (to, rssi) => { if (to === 2) r.push(rssi); });
    expect(r).toEqual([-70]);
    expect(m.counters.dead).toBe(2);
  });
});

describe('air process over real UDP sockets', () => {
  let air: Air | null = null;
  const socks: dgram.Socket[] = [];
  afterEach(async () => {
    for (const s of socks.splice(0)) s.close();
    if (air) await air.close();
    air = null;
  });

  async function node(): Promise<{ sock: dgram.Socket; got: Buffer[] }> {
    const sock = dgram.createSocket('udp4');
    const got: Buffer[] = [];
    sock.on('message', (m) => got.push(m));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    socks.push(sock);
    return { sock, got };
  }

  it('registers nodes by hello, forwards per topology with the sender id and RSSI, counts garbage', async () => {
    // a line 0 - 1 - 2 (ids 10, 20, 30): 0 and 2 do not hear each other
    air = await createAir({ port: 0, links: explicitLinks(3, (i, j) => (Math.abs(i - j) === 1 ? -61 - i - j : -Infinity)), fastFading: false, ids: [10, 20, 30] });
    const n = await Promise.all([node(), node(), node()]);
    [10, 20, 30].forEach((id, i) => n[i].sock.send(env(2, id), air!.port, '127.0.0.1'));
    await until(() => air!.nodes().length === 3, 2000, 'hellos');
    expect(air.counters.hellos).toBe(3);
    n[1].sock.send(frame(20, [1, 2, 3]), air.port, '127.0.0.1');
    n[0].sock.send(frame(10, [9]), air.port, '127.0.0.1');
    await until(() => n[0].got.length === 1 && n[2].got.length === 1 && n[1].got.length === 1, 2000, 'forwarded frames');
    expect([...n[0].got[0]]).toEqual([...env(1, 20, -62), 1, 2, 3]);
    expect([...n[2].got[0]]).toEqual([...env(1, 20, -64), 1, 2, 3]);
    expect([...n[1].got[0]]).toEqual([...env(1, 10, -62), 9]);
    // garbage: not an envelope, envelope only, too long, id 0
    for (const g of [Buffer.from('junk'), env(1, 10), Buffer.concat([env(1, 10), Buffer.alloc(251)]), frame(0, [1])]) n[0].sock.send(g, air.port, '127.0.0.1');
    await until(() => air!.counters.garbage === 4, 2000, 'garbage counted');
    // death: frames from and to a dead node go nowhere
    air.setAlive(20, false);
    n[0].sock.send(frame(10, [7]), air.port, '127.0.0.1');
    n[1].sock.send(frame(20, [8]), air.port, '127.0.0.1');
    await until(() => air!.counters.dead === 2, 2000, 'dead counted');
    air.setAlive(20, true);
    air.setLink(10, 30, -55);
    n[0].sock.send(frame(10, [6]), air.port, '127.0.0.1');
    await until(() => n[2].got.length === 2, 2000, 'new link');
    expect([...n[2].got[1]]).toEqual([...env(1, 10, -55), 6]);
    expect(n[0].got.length).toBe(1);
    expect(air.nodes().map((x) => [x.id, x.index])).toEqual([[10, 0], [20, 1], [30, 2]]);
  });

  it('is reproducible with a seed: same losses on two runs over real sockets', async () => {
    const pattern = async (seed: number) => {
      const a = await createAir({ port: 0, links: explicitLinks(2, () => -50), loss: 0.5, seed });
      const [s, r] = await Promise.all([node(), node()]);
      s.sock.send(env(2, 1), a.port, '127.0.0.1');
      r.sock.send(env(2, 2), a.port, '127.0.0.1');
      await until(() => a.nodes().length === 2, 2000, 'hellos');
      for (let k = 0; k < 60; k++) s.sock.send(frame(1, [k]), a.port, '127.0.0.1');
      await until(() => a.counters.frames === 60, 2000, 'frames');
      await until(() => r.got.length === a.counters.delivered, 2000, 'deliveries');
      await a.close();
      return r.got.map((b) => b[8]);
    };
    const p1 = await pattern(5);
    const p2 = await pattern(5);
    const p3 = await pattern(6);
    expect(p1).toEqual(p2);
    expect(p1).not.toEqual(p3);
    expect(p1.length).toBeGreaterThan(15);
    expect(p1.length).toBeLessThan(45);
  });
});

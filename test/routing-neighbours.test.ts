/**
 * Neighbour discovery with real routers on a tiny air (test/support/mini-air.ts): both directions of a
 * link from beacons, ETX = 1 / (df · dr), the RSSI gate, the adaptive beacon interval, and the airtime
 * control traffic takes.
 */
import { describe, expect, test } from 'vitest';
import { createMiniAir, line } from './support/mini-air.ts';
import { createNeighbourTable } from '../shared/neighbour-table.ts';
import { newBeacon, METRIC_INF } from '../shared/beacon.ts';

describe('neighbour table, driven directly', () => {
  test('receive ratio from beacon seqno gaps, send ratio from the neighbour\'s report, ETX from both', () => {
    const t = createNeighbourTable({ capacity: 4, selfId: 0xaaaa });
    const b = newBeacon();
    b.intervalMs = 1000;
    b.n = 1;
    b.ids[0] = 0xaaaa;
    b.ratios[0] = 128; // the neighbour hears half of our beacons
    // 16 beacons, every other one lost: seqnos 1, 3, 5 …
    let s = -1;
    for (let k = 0; k < 16; k++) {
      b.seq = 1 + 2 * k;
      s = t.onBeacon(0xbbbb, b, -60, 2000 * k);
    }
    expect(s).toBeGreaterThanOrEqual(0);
    const dr = t.rxRatio(s, 30000) / 255;
    expect(dr).toBeCloseTo(0.5, 1);
    expect(t.out[s]).toBe(128);
    // ETX = 1 / (0.5 · 0.5) = 4 → cost ≈ 400 (no RSSI tie-break at -60 dBm)
    expect(t.cost(s, 30000)).toBeGreaterThan(380);
    expect(t.cost(s, 30000)).toBeLessThan(420);
    // silence counts as loss: 8 intervals later the ratio has fallen
    expect(t.rxRatio(s, 30000 + 8000)).toBeLessThan(t.rxRatio(s, 30000));
  });

  test('a neighbour that does not list us is a one-way link: unusable', () => {
    const t = createNeighbourTable({ capacity: 4, selfId: 0xaaaa });
    const b = newBeacon();
    b.intervalMs = 1000;
    b.seq = 1;
    b.n = 0;
    const s = t.onBeacon(0xbbbb, b, -50, 0);
    expect(t.cost(s, 0)).toBe(METRIC_INF);
    expect(t.usable[s]).toBe(0);
    b.seq = 2; b.n = 1; b.ids[0] = 0xaaaa; b.ratios[0] = 255;
    t.onBeacon(0xbbbb, b, -50, 1000);
    expect(t.cost(s, 1000)).toBe(100);
    expect(t.usable[s]).toBe(1);
  });

  test('RSSI gate and tie-break', () => {
    const t = createNeighbourTable({ capacity: 4, selfId: 1 });
    const b = newBeacon();
    b.intervalMs = 1000; b.seq = 1; b.n = 1; b.ids[0] = 1; b.ratios[0] = 255;
    expect(t.onBeacon(0x10, b, -95, 0)).toBe(-1); // below the -90 dBm gate: not even a neighbour
    const strong = t.onBeacon(0x20, b, -60, 0);
    const weak = t.onBeacon(0x30, b, -86, 0);
    expect(t.cost(strong, 0)).toBe(100);
    expect(t.cost(weak, 0)).toBeGreaterThan(100); // same ratios, weaker signal: slightly dearer
    expect(t.cost(weak, 0)).toBeLessThanOrEqual(105);
    // a known neighbour that fades below the gate on average becomes unusable
    for (let k = 2; k < 40; k++) { b.seq = k; t.onBeacon(0x30, b, -99, k * 1000); }
    expect(t.cost(weak, 40000)).toBe(METRIC_INF);
  });

  test('a full table evicts only an unusable entry or for a clearly stronger newcomer, never grows', () => {
    const t = createNeighbourTable({ capacity: 2, selfId: 1 });
    const b = newBeacon();
    b.intervalMs = 1000; b.seq = 1; b.n = 1; b.ids[0] = 1; b.ratios[0] = 255;
    t.onBeacon(0x10, b, -70, 0);
    t.onBeacon(0x20, b, -70, 0);
    expect(t.count()).toBe(2);
    expect(t.onBeacon(0x30, b, -68, 0)).toBe(-1); // not 6 dB better: refused
    expect(t.count()).toBe(2);
    t.onBeacon(0x40, b, -50, 0); // 20 dB better: the worst is marked to go (expires at once)
    const lost: number[] = [];
    t.expire(1, (id) => lost.push(id));
    expect(lost.length).toBe(1);
    expect(t.onBeacon(0x40, b, -50, 2)).toBeGreaterThanOrEqual(0);
    expect(t.count()).toBe(2);
    expect(t.ids.length).toBe(2);
  });
});

describe('neighbour discovery on the air', () => {
  test('both directions of an asymmetric link are known at both ends, and agree on ETX', () => {
    // 0→1 loses 50 %, 1→0 loses nothing
    const air = createMiniAir({ n: 2, seed: 3, lossOf: (i, j) => (i === 0 && j === 1 ? 0.5 : 0), init: { beaconMaxMs: 2000 } });
    air.connect(0, 1);
    air.run(120000);
    const at0 = air.nodes[0].router.neighbours()[0];
    const at1 = air.nodes[1].router.neighbours()[0];
    expect(at0.id).toBe(air.nodes[1].id);
    expect(at0.rx).toBeGreaterThan(0.9); // 0 hears 1 well
    expect(at0.tx).toBeGreaterThan(0.2); // 1 reports hearing about half of 0's beacons
    expect(at0.tx).toBeLessThan(0.8);
    expect(at1.rx).toBeCloseTo(at0.tx, 1); // what 1 measures is what 0 is told
    expect(at1.tx).toBeGreaterThan(0.9);
    // ETX ≈ 1 / (0.5 · 1): both ends see about the same cost
    expect(at0.cost).toBeGreaterThan(130);
    expect(at0.cost).toBeLessThan(500);
    expect(Math.abs(at0.cost - at1.cost)).toBeLessThan(0.35 * at0.cost);
  });

  test('too weak links are not used for routes', () => {
    const air = createMiniAir({ n: 3, seed: 4, rssi: (i, j) => ((i === 0 && j === 2) || (i === 2 && j === 0) ? -94 : -60) });
    air.connect(0, 1); air.connect(1, 2); air.connect(0, 2);
    air.run(30000);
    const ids = air.nodes.map((x) => x.id);
    expect(air.nodes[0].router.neighbours().map((x) => x.id)).toEqual([ids[1]]);
    const r = air.nodes[0].router.routes().find((x) => x.dst === ids[2])!;
    expect(r.nextHop).toBe(ids[1]); // two good hops rather than one gated link
  });

  test('beacon interval adapts: fast while the neighbourhood changes, slow when stable, fast again on change', () => {
    const air = createMiniAir({ n: 3, seed: 5 });
    air.connect(0, 1);
    air.run(1000);
    const early = air.nodes[0].router.neighbours()[0];
    expect(early.intervalMs).toBeLessThanOrEqual(4000);
    air.run(120000);
    expect(air.nodes[0].router.neighbours()[0].intervalMs).toBe(16000);
    const b0 = air.nodes[1].router.stats.txBeacon;
    air.run(240000);
    const stable = air.nodes[1].router.stats.txBeacon - b0;
    expect(stable).toBeGreaterThanOrEqual(6); // 120 s at one per 16 s ± 10 %
    expect(stable).toBeLessThanOrEqual(9);
    // a newcomer next to node 1 (itself beaconing every 16 s by now, so node 1 hears it within 16 s): node
    // 1's neighbourhood changes and its beacons speed up again: ≥ 4 in the next 35 s instead of ≤ 3
    air.connect(1, 2);
    const b1 = air.nodes[1].router.stats.txBeacon;
    let shortest = Infinity;
    while (air.now < 275000) {
      air.run(air.now + 250);
      shortest = Math.min(shortest, air.nodes[0].router.neighbours()[0].intervalMs);
    }
    expect(air.nodes[1].router.stats.txBeacon - b1).toBeGreaterThanOrEqual(4);
    // node 0 saw node 1 announce the fast interval again, and by now the ramp is back at the slow one
    expect(shortest).toBe(2000);
    expect(air.nodes[0].router.neighbours()[0].intervalMs).toBe(16000);
    // and both ends of the new link know it both ways within a few seconds
    const n2 = air.nodes[2].router.neighbours();
    expect(n2.length).toBe(1);
    expect(n2[0].cost).toBeLessThan(200);
  });

  test('control traffic stays a small share of airtime', () => {
    const air = createMiniAir({ n: 10, seed: 6 });
    line(air, 10);
    air.run(600000);
    for (const nd of air.nodes) {
      const st = nd.router.stats;
      // beacons + route adverts, ms of air per second of time: well under the 5 % control share
      expect(st.txAirMs / 600).toBeLessThan(0.5);
      expect(st.txBeacon).toBeGreaterThan(0);
    }
  });
});

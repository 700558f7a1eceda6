/**
 * Simulator metrics on a scenario small enough to check by hand, plus the traffic planner and payloads.
 */
import { describe, expect, it } from 'vitest';
import { createMetrics, percentile } from '../host/sim/metrics.ts';
import { planTraffic, planProbes, encodeTraffic, decodeTraffic, validateEvents } from '../host/sim/scenario.ts';
import { createRng } from '../host/sim/rng.ts';
import { sumStats } from '../host/sim/result.ts';
import { encodeHeader, newHeader, BROADCAST, FRAME_OVERHEAD } from '../shared/frame.ts';
import { Decoder } from 'cbor-x';

const IDS = Uint32Array.from([0x10001, 0x20002, 0x30003]);

function frame(type: number, src: number, dst: number, seq: number, payload = 10): Uint8Array {
  const h = Object.assign(newHeader(), { type, src, dst, seq, hopLimit: 5, hopStart: 5, epoch: 1, payloadLen: payload });
  const f = new Uint8Array(payload + FRAME_OVERHEAD);
  encodeHeader(h, f, 0);
  return f;
}

const info = (hops: number, seq = 1) => ({ src: 0, dst: 0, hops, rssi: -70, seq, type: 1 });

/**
 * Three nodes. Planned: m0 unicast 0→2, m1 unicast 0→1, m2 broadcast from 1, m3 unicast 2→0 with AckReq.
 * Sent at 100, 200, 300, 400 ms. m0 delivered at 150 (1 relay) and again (duplicate); m1 never;
 * m2 reaches nodes 0 (310) and 2 (320); m3 delivered at 420 (direct) and acknowledged.
 * Air: m0 = 2 data frames, m1 = 1, m3 = 1, m2 = 2 broadcast data frames; 2 beacons of 40 B; 1 ack of 36 B.
 */
function scenario(deathOf1At?: number) {
  const m = createMetrics({
    n: 3, ids: IDS, drainMs: 100,
    src: Int32Array.from([0, 0, 1, 2]), dst: Int32Array.from([2, 1, -1, 0]),
    probe: new Uint8Array(4), ack: Uint8Array.from([0, 0, 0, 1]),
  });
  m.sent(0, 100, 1); m.sent(1, 200, 2); m.sent(2, 300, 1); m.sent(3, 400, 7);
  m.transmit(0, frame(1, IDS[0], IDS[2], 1), 42, 100);
  m.transmit(1, frame(1, IDS[0], IDS[2], 1), 42, 110);
  m.transmit(0, frame(1, IDS[0], IDS[1], 2), 42, 200);
  m.transmit(1, frame(1, IDS[1], BROADCAST, 1), 42, 300);
  m.transmit(0, frame(1, IDS[1], BROADCAST, 1), 42, 305);
  m.transmit(2, frame(1, IDS[2], IDS[0], 1), 42, 400);
  m.transmit(0, frame(3, IDS[0], BROADCAST, 9, 8), 40, 50);
  m.transmit(1, frame(3, IDS[1], BROADCAST, 9, 8), 40, 60);
  m.transmit(0, frame(2, IDS[0], IDS[2], 10, 4), 36, 430);
  m.deliver(2, 0, info(1), 150);
  m.deliver(2, 0, info(1), 160);
  m.deliver(0, 2, info(0), 310);
  m.deliver(2, 2, info(1), 320);
  m.deliver(0, 3, info(0), 420);
  m.acked(3, true);
  if (deathOf1At !== undefined) m.setDeath(1, deathOf1At);
  return m.summary(1000);
}

describe('metrics on a hand-checked scenario', () => {
  it('unicast, broadcast, frames and control figures', () => {
    const s = scenario();
    expect(s.unicast.sent).toBe(3);
    expect(s.unicast.delivered).toBe(2);
    expect(s.unicast.deliveryRatio).toBe(0.6667);
    // latencies 50 and 20 ms; nearest rank: p50 = 20, p95 = 50
    expect(s.unicast.latencyMs).toEqual({ p50: 20, p95: 50, max: 50 });
    expect(s.unicast.hops).toEqual({ mean: 0.5, max: 1, histogram: { '0': 1, '1': 1 } });
    expect(s.unicast.dataFrames).toBe(4);
    expect(s.unicast.framesPerDelivered).toBe(2);
    expect(s.unicast.endToEndAck).toEqual({ asked: 1, acked: 1, failed: 0 });
    expect(s.duplicates).toBe(1);
    expect(s.broadcast).toMatchObject({ sent: 1, pairs: 2, delivered: 2, reach: 1, fullReachShare: 1, dataFrames: 2, framesPerMessage: 2 });
    expect(s.broadcast.latencyMs).toEqual({ p50: 10, p95: 20 });
    expect(s.frames.total).toBe(9);
    expect(s.frames.byType).toEqual({ data: { frames: 6, bytes: 252 }, ack: { frames: 1, bytes: 36 }, beacon: { frames: 2, bytes: 80 } });
    expect(s.control).toEqual({ frames: 3, bytes: 116 });
  });

  it('a destination that dies within the drain window is left out of the denominator', () => {
    // node 1 dies at 250: m1 (sent 200, drain 100) no longer counts; m0 and m3 were both delivered
    const s = scenario(250);
    expect(s.unicast.sent).toBe(2);
    expect(s.unicast.deliveryRatio).toBe(1);
    // and one that dies later still counts
    expect(scenario(400).unicast.sent).toBe(3);
  });

  it('tracks the relays of the probe pair and the beacon gaps in a window', () => {
    const m = createMetrics({ n: 3, ids: IDS, drainMs: 0, src: Int32Array.from([0]), dst: Int32Array.from([2]), probe: Uint8Array.from([1]), ack: new Uint8Array(1) });
    m.watchProbePair(0, 2);
    m.watchBeacons(1000, 5000);
    m.sent(0, 100, 0);
    m.transmit(0, frame(1, IDS[0], IDS[2], 5), 42, 100);
    m.transmit(1, frame(1, IDS[0], IDS[2], 5), 42, 105);
    m.transmit(1, frame(1, IDS[0], IDS[2], 5), 42, 140); // a retry: listed once
    m.deliver(2, 0, info(1, 5), 150);
    expect(m.lastProbeRelays()).toEqual([1]);
    for (const t of [500, 1500, 2500, 4500, 6000]) m.transmit(2, frame(3, IDS[2], BROADCAST, t, 8), 40, t);
    // gaps counted when the later beacon is inside [1000, 5000): 1000, 1000, 2000 → median 1000
    expect(m.medianBeaconGapMs()).toBe(1000);
    const s = m.summary(7000);
    expect(s.probes).toEqual({ sent: 1, delivered: 1, latencyMsP50: 50 });
    expect(s.unicast.sent).toBe(0);
  });

  it('percentile is nearest-rank', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.95)).toBe(7);
    const a = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(a, 0.5)).toBe(50);
    expect(percentile(a, 0.95)).toBe(95);
    expect(percentile(a, 1)).toBe(100);
  });

  it('sums router counters across nodes: numbers, arrays and nested objects', () => {
    expect(sumStats([{ a: 1, b: [1, 2], c: { d: 3 }, s: 'x' }, { a: 2, b: Uint8Array.from([3, 4, 5]), c: { d: 4 } }]))
      .toEqual({ a: 3, b: [4, 6, 5], c: { d: 7 } });
  });
});

describe('traffic plan and payloads', () => {
  it('is the same for the same seed, Poisson-like in rate, inside the window, time-ordered', () => {
    const t = { unicastPerSec: 2, broadcastPerSec: 0.5, ackFraction: 0.5, payloadBytes: 40 };
    const a = planTraffic(t, 20, 1000, 601000, createRng(4, 1));
    expect(planTraffic(t, 20, 1000, 601000, createRng(4, 1))).toEqual(a);
    const uni = a.filter((x) => x.dst >= 0), bc = a.filter((x) => x.dst < 0);
    expect(uni.length).toBeGreaterThan(1100);
    expect(uni.length).toBeLessThan(1300);
    expect(bc.length).toBeGreaterThan(250);
    expect(bc.length).toBeLessThan(350);
    for (let k = 1; k < a.length; k++) expect(a[k].at).toBeGreaterThanOrEqual(a[k - 1].at);
    for (const x of a) {
      expect(x.at).toBeGreaterThanOrEqual(1000);
      expect(x.at).toBeLessThan(601000);
      expect(x.src).not.toBe(x.dst);
      if (x.dst < 0) expect(x.ack).toBe(false);
    }
    const acks = uni.filter((x) => x.ack).length / uni.length;
    expect(acks).toBeGreaterThan(0.4);
    expect(acks).toBeLessThan(0.6);
    expect(planTraffic({ ...t, pairs: [[3, 4]] }, 20, 0, 10000, createRng(1, 1)).filter((x) => x.dst >= 0).every((x) => x.src === 3 && x.dst === 4)).toBe(true);
    expect(planProbes(1, 2, 0, 3000, 1000).map((x) => x.at)).toEqual([0, 1000, 2000]);
  });

  it('payloads are app-schema text messages of the requested size that decode back to their id', () => {
    const d = new Decoder({ useRecords: false });
    for (const [id, bytes] of [[0, 40], [123456, 40], [7, 24], [99, 230], [5, 1000]] as const) {
      const p = encodeTraffic(id, bytes, 0x20002);
      expect(p.length).toBe(bytes);
      const v = d.decode(p) as { t: string; m: string; to: number };
      expect(v.t).toBe('tx');
      expect(typeof v.m).toBe('string');
      expect(v.to).toBe(0x20002);
      expect(decodeTraffic(p)).toBe(id);
    }
    expect(decodeTraffic(new Uint8Array([0xa1, 0x61, 0x74, 0x62, 0x70, 0x69]))).toBe(-1);
    expect(decodeTraffic(new Uint8Array([0xff, 0x00]))).toBe(-1);
  });

  it('validates events', () => {
    expect(validateEvents([{ at: 5, kind: 'death', node: 2 }], 3, 10)).toBeNull();
    expect(validateEvents([{ at: 5, kind: 'death', node: 3 }], 3, 10)).toMatch(/node/);
    expect(validateEvents([{ at: 11, kind: 'join', node: 1 }], 3, 10)).toMatch(/outside/);
    expect(validateEvents([{ at: 1, kind: 'fade', a: 1, b: 1, db: 3 }], 3, 10)).toMatch(/two different/);
    expect(validateEvents([{ at: 1, kind: 'boom' } as never], 3, 10)).toMatch(/unknown event/);
  });
});

describe('route repair figure', () => {
  it('is the earliest delivery of a probe sent at or after the kill, in ms and beacon intervals', async () => {
    const { repairFigure } = await import('../host/sim/repair.ts');
    // probes sent at 900, 1000, 2000, 3000, 4000 (kill at 1000); 1000 and 2000 lost, 4000 overtakes 3000
    const probe = Uint8Array.from([1, 1, 1, 1, 1, 0]);
    const sent = Float64Array.from([900, 1000, 2000, 3000, 4000, 1500]);
    const got = Float64Array.from([1100, -1, -1, 4500, 4100, 1600]);
    expect(repairFigure(1000, probe, sent, got, 1550)).toEqual({ repairMs: 3100, probesLostBeforeRepair: 2, beaconIntervalMs: 1550, beaconIntervals: 2 });
    expect(repairFigure(1000, probe, sent, new Float64Array(6).fill(-1), null)).toMatchObject({ repairMs: null, beaconIntervals: null, probesLostBeforeRepair: 4 });
  });
});

describe('relay choice for --kill-relay', () => {
  it('prefers a relay whose death leaves the pair connected, near the middle; on a line every relay is a cut vertex', async () => {
    const { chooseRelay, shortestPath } = await import('../host/sim/repair.ts');
    const { createTopology, usableDbm, hopDistances } = await import('../host/sim/topology.ts');
    const { DEFAULT_PROPAGATION: P } = await import('../host/sim/propagation.ts');
    const g = createTopology('grid', 25, 1, P);
    const alive = new Uint8Array(25).fill(1);
    const c = chooseRelay(g.links, usableDbm(P), 0, 24, [0, 1, 2, 3, 4, 9, 14, 19, 24], alive);
    expect([1, 2, 3, 4, 9, 14, 19]).toContain(c.relay);
    expect(c.pairStillConnected).toBe(true);
    const d = hopDistances(g.links, usableDbm(P), 0, alive);
    const best = Math.min(...[1, 2, 3, 4, 9, 14, 19].map((x) => Math.abs(d[x] - d[24] / 2)));
    expect(Math.abs(d[c.relay!] - d[24] / 2)).toBe(best);
    const l = createTopology('line', 8, 1, P);
    const path = shortestPath(l.links, usableDbm(P), 0, 7, new Uint8Array(8).fill(1));
    expect(path[0]).toBe(0);
    expect(path[path.length - 1]).toBe(7);
    const lc = chooseRelay(l.links, usableDbm(P), 0, 7, [], new Uint8Array(8).fill(1));
    expect(lc.chosenFrom).toMatch(/shortest usable path/);
    expect(lc.pairStillConnected).toBe(false);
  });
});

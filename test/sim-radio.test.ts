/**
 * The simulator's radio models, driven directly through their RadioPorts (no router): airtime, path loss,
 * collisions and capture, half duplex, carrier sense, queueing, extra loss, fades, deaths, moves, the
 * Wi-Fi association tree, and the simulator's AES adapter against @noble/ciphers' one-shot API.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createEngine, type Engine } from '../host/sim/engine.ts';
import { createRng } from '../host/sim/rng.ts';
import { createLinkMap } from '../host/sim/links.ts';
import { DEFAULT_PROPAGATION, frameErrorProb, meanRxDbm, linkRxDbm, maxReachM, type Propagation } from '../host/sim/propagation.ts';
import { airtimeMs, type Medium } from '../host/sim/medium.ts';
import { createEspNowMedium } from '../host/sim/radio-espnow.ts';
import { createWifiMedium, type WifiMedium } from '../host/sim/radio-wifi.ts';
import { createSimAes } from '../host/sim/sim-aes.ts';
import { createNobleAes } from '../host/crypto/aes-noble.ts';

/** no shadowing, no fast fading: link power is a function of distance only */
const FLAT: Propagation = { ...DEFAULT_PROPAGATION, shadowSigmaDb: 0, fastFadingSigmaDb: 0 };

interface Rx { node: number; at: number; bytes: number[]; rssi: number }

function air(xs: number[], opts: { prop?: Propagation; loss?: number; carrierSense?: boolean; seed?: number } = {}) {
  const prop = opts.prop || FLAT;
  const links = createLinkMap(Float64Array.from(xs), new Float64Array(xs.length), prop, 1);
  const engine = createEngine();
  const rx: Rx[] = [];
  const tx: { node: number; at: number; dur: number }[] = [];
  const medium = createEspNowMedium({ links, prop, loss: opts.loss || 0, carrierSense: opts.carrierSense, kindBase: 10 })({
    engine, rng: createRng(opts.seed ?? 3, 0),
    hooks: {
      receive(node, frame, len, rssi) { rx.push({ node, at: engine.now, bytes: Array.from(frame.subarray(0, len)), rssi }); },
      transmit(node, _f, _l, dur) { tx.push({ node, at: engine.now, dur }); },
    },
  });
  for (let i = 0; i < xs.length; i++) medium.setAlive(i, true);
  return { engine, medium, rx, tx, links };
}

function frame(tag: number, len = 60): Uint8Array {
  return new Uint8Array(len).fill(tag);
}

/** schedule port sends at given times through the engine (kind 1) */
function sendAt(engine: Engine, medium: Medium, plan: [number, number, Uint8Array][]): void {
  engine.on(1, (k) => { const [, node, f] = plan[k]; medium.port(node).send(f, f.length); });
  plan.forEach(([t], k) => engine.schedule(t, 1, k, 0));
}

describe('propagation', () => {
  it('mean received power falls strictly with distance, 10·n dB per decade', () => {
    let prev = Infinity;
    for (let d = 1; d <= 2000; d *= 1.3) {
      const p = meanRxDbm(DEFAULT_PROPAGATION, d);
      expect(p).toBeLessThan(prev);
      prev = p;
    }
    expect(meanRxDbm(DEFAULT_PROPAGATION, 10) - meanRxDbm(DEFAULT_PROPAGATION, 100)).toBeCloseTo(10 * DEFAULT_PROPAGATION.exponent, 9);
  });

  it('frame errors: 50 % at sensitivity, more when weaker, fewer when stronger', () => {
    const p = DEFAULT_PROPAGATION;
    expect(frameErrorProb(p, p.sensitivityDbm)).toBeCloseTo(0.5, 12);
    let prev = 1;
    for (let dbm = -110; dbm <= -60; dbm++) {
      const f = frameErrorProb(p, dbm);
      expect(f).toBeLessThanOrEqual(prev);
      prev = f;
    }
    expect(frameErrorProb(p, -70)).toBeLessThan(1e-5);
    expect(frameErrorProb(p, -105)).toBeGreaterThan(0.9999);
  });

  it('shadowing is fixed per link, the same both ways, and bounded so the search radius is exact', () => {
    const p = DEFAULT_PROPAGATION;
    expect(linkRxDbm(p, 7, 3, 9, 120)).toBe(linkRxDbm(p, 7, 9, 3, 120));
    expect(linkRxDbm(p, 7, 3, 9, 120)).not.toBe(linkRxDbm(p, 8, 3, 9, 120));
    for (let a = 0; a < 2000; a++) expect(linkRxDbm(p, 1, a, a + 1, maxReachM(p) * 1.0001)).toBeLessThan(p.floorDbm);
  });
});

describe('ESP-NOW medium', () => {
  it('airtime is (len + 43) × 8 µs + 192 µs, and a frame arrives when its airtime ends', () => {
    expect(airtimeMs(250)).toBeCloseTo(2.536, 12);
    expect(airtimeMs(0)).toBeCloseTo(0.536, 12);
    const { engine, medium, rx, tx } = air([0, 50]);
    expect(medium.port(0).airtimeMs(100)).toBe(airtimeMs(100));
    sendAt(engine, medium, [[10, 0, frame(7, 100)]]);
    engine.run(100);
    expect(tx).toHaveLength(1);
    expect(tx[0].dur).toBe(airtimeMs(100));
    expect(rx).toHaveLength(1);
    expect(rx[0].at - tx[0].at).toBeCloseTo(airtimeMs(100), 9);
    expect(rx[0].bytes).toEqual(Array.from(frame(7, 100)));
    expect(rx[0].rssi).toBe(Math.round(meanRxDbm(FLAT, 50)));
    // DIFS + backoff: 50 µs .. 50 + 31 × 20 µs
    expect(tx[0].at - 10).toBeGreaterThanOrEqual(0.05 - 1e-9);
    expect(tx[0].at - 10).toBeLessThanOrEqual(0.67 + 1e-9);
  });

  it('a strong link delivers, a link far below sensitivity never does', () => {
    const { engine, medium, rx } = air([0, 60, 600]);
    sendAt(engine, medium, Array.from({ length: 50 }, (_, k) => [k * 10, 0, frame(k)] as [number, number, Uint8Array]));
    engine.run(1000);
    expect(rx.filter((r) => r.node === 1)).toHaveLength(50);
    expect(rx.filter((r) => r.node === 2)).toHaveLength(0);
  });

  it('two hidden transmitters of equal power collide at the node between them: both frames lost', () => {
    // A at 0, B at 150, C at 300: A and C are below the CCA threshold at each other (hidden), equal at B
    const { engine, medium, rx } = air([0, 150, 300]);
    sendAt(engine, medium, [[5, 0, frame(1, 200)], [5, 2, frame(2, 200)]]);
    engine.run(50);
    expect(rx.filter((r) => r.node === 1)).toHaveLength(0);
    expect(medium.counters.collisions).toBe(2);
  });

  it('capture: the frame ≥ captureDb stronger survives the overlap, the weaker one is lost', () => {
    const { engine, medium, rx } = air([0, 150, 160], { carrierSense: false });
    sendAt(engine, medium, [[5, 0, frame(1, 200)], [5, 2, frame(2, 200)]]);
    engine.run(50);
    const atB = rx.filter((r) => r.node === 1);
    expect(atB).toHaveLength(1);
    expect(atB[0].bytes[0]).toBe(2);
  });

  it('half duplex: two nodes sending at the same time do not hear each other', () => {
    const { engine, medium, rx } = air([0, 50], { carrierSense: false });
    sendAt(engine, medium, [[5, 0, frame(1, 200)], [5, 1, frame(2, 200)]]);
    engine.run(50);
    expect(rx).toHaveLength(0);
    expect(medium.counters.halfDuplex).toBe(2);
  });

  it('carrier sense: nodes in range of each other defer instead of colliding (unless they pick the same slot)', () => {
    let both = 0, deferrals = 0;
    for (let trial = 0; trial < 20; trial++) {
      const { engine, medium, rx } = air([0, 50, 100], { seed: trial });
      sendAt(engine, medium, [[5, 0, frame(1, 200)], [5, 2, frame(2, 200)]]);
      engine.run(50);
      if (rx.filter((r) => r.node === 1).length === 2) both++;
      deferrals += medium.counters.deferrals;
    }
    expect(deferrals).toBeGreaterThanOrEqual(15);
    expect(both).toBeGreaterThanOrEqual(17);
  });

  it('frames queue behind the one on the air and go out in order, back to back', () => {
    const { engine, medium, rx, tx } = air([0, 50]);
    engine.on(1, () => { for (let k = 1; k <= 3; k++) medium.port(0).send(frame(k, 100), 100); });
    engine.schedule(1, 1, 0, 0);
    engine.run(100);
    expect(rx.map((r) => r.bytes[0])).toEqual([1, 2, 3]);
    for (let k = 1; k < 3; k++) expect(tx[k].at).toBeGreaterThanOrEqual(tx[k - 1].at + tx[k - 1].dur);
  });

  it('the extra per-link loss drops that share of frames on a perfect link', () => {
    const { engine, medium, rx } = air([0, 50], { loss: 0.2 });
    const n = 5000;
    sendAt(engine, medium, Array.from({ length: n }, (_, k) => [k * 5, 0, frame(1, 30)] as [number, number, Uint8Array]));
    engine.run(n * 5 + 100);
    const share = rx.length / n;
    expect(share).toBeGreaterThan(0.78);
    expect(share).toBeLessThan(0.82);
    expect(medium.counters.channelLoss).toBe(n - rx.length);
  });

  it('a fade silences a link until it is lifted; a dead node neither sends nor receives; a moved node hears others', () => {
    const { engine, medium, rx } = air([0, 50, 2000]);
    engine.on(2, (what) => {
      if (what === 0) medium.fade(0, 1, 40);
      if (what === 1) medium.fade(0, 1, 0);
      if (what === 2) medium.setAlive(1, false);
      if (what === 3) medium.moveTo(2, 40, 0);
    });
    const plan: [number, number, Uint8Array][] = [[10, 0, frame(1)], [30, 0, frame(2)], [50, 0, frame(3)], [70, 0, frame(4)], [70, 1, frame(5)]];
    sendAt(engine, medium, plan);
    engine.schedule(20, 2, 0, 0);
    engine.schedule(40, 2, 1, 0);
    engine.schedule(60, 2, 2, 0);
    engine.schedule(65, 2, 3, 0);
    engine.run(200);
    expect(rx.filter((r) => r.node === 1).map((r) => r.bytes[0])).toEqual([1, 3]);
    // node 2 moved next to node 0 before frame 4; dead node 1 sent nothing
    expect(rx.filter((r) => r.node === 2).map((r) => r.bytes[0])).toEqual([4]);
  });

  it('a node that dies mid-frame cuts it: nobody receives the rest', () => {
    const { engine, medium, rx } = air([0, 50]);
    sendAt(engine, medium, [[1, 0, frame(9, 250)]]);
    engine.on(2, () => medium.setAlive(0, false));
    engine.schedule(2, 2, 0, 0);
    engine.run(20);
    expect(rx).toHaveLength(0);
  });

  it('busy time counts own and sensed transmissions', () => {
    const { engine, medium } = air([0, 50, 5000]);
    sendAt(engine, medium, [[1, 0, frame(1, 100)]]);
    engine.run(10);
    expect(medium.busyMs(0)).toBeCloseTo(airtimeMs(100), 9);
    expect(medium.busyMs(1)).toBeCloseTo(airtimeMs(100), 9);
    expect(medium.busyMs(2)).toBe(0);
    expect(medium.globalBusyMs()).toBeCloseTo(airtimeMs(100), 9);
  });

  it('refuses frames longer than 250 bytes (router misuse)', () => {
    const { medium } = air([0, 50]);
    expect(() => medium.port(0).send(new Uint8Array(251), 251)).toThrow(/250/);
  });
});

describe('Wi-Fi station/AP model', () => {
  function wifi(n: number) {
    const side = Math.ceil(Math.sqrt(n));
    const xs = new Float64Array(n), ys = new Float64Array(n);
    for (let i = 0; i < n; i++) { xs[i] = (i % side) * 60; ys[i] = Math.floor(i / side) * 60; }
    const links = createLinkMap(xs, ys, FLAT, 1);
    const engine = createEngine();
    const rx: Rx[] = [];
    const medium = createWifiMedium({ links, prop: FLAT, loss: 0, roots: [0], kindBase: 10 })({
      engine, rng: createRng(1, 0),
      hooks: { receive(node, f, len, rssi) { rx.push({ node, at: engine.now, bytes: Array.from(f.subarray(0, len)), rssi }); }, transmit() { /* counted by the model */ } },
    });
    for (let i = 0; i < n; i++) medium.setAlive(i, true);
    engine.run(1);
    return { engine, medium, rx, n };
  }

  it('builds a tree from the root: every node associated, at most 4 stations per AP, no loops', () => {
    const { medium, n } = wifi(25);
    const stations = new Array(n).fill(0);
    for (let i = 1; i < n; i++) {
      const p = medium.parentOf(i);
      expect(p).toBeGreaterThanOrEqual(0);
      stations[p]++;
      let v = i, steps = 0;
      while (v !== 0 && steps++ < n) v = medium.parentOf(v);
      expect(v).toBe(0);
    }
    expect(medium.parentOf(0)).toBe(-1);
    expect(Math.max(...stations)).toBeLessThanOrEqual(4);
  });

  it('delivers a frame only over associated links (parent and children), and re-associates orphans after a death', () => {
    const { engine, medium, rx, n } = wifi(25);
    const leaf = [...Array(n).keys()].find((i) => i > 0 && [...Array(n).keys()].every((j) => medium.parentOf(j) !== i))!;
    medium.port(leaf).send(frame(5), 60);
    engine.run(engine.now + 50);
    expect(rx.map((r) => r.node)).toEqual([medium.parentOf(leaf)]);
    // kill an AP with stations: they lose the link, then find another AP
    const ap = [...Array(n).keys()].find((i) => i > 0 && [...Array(n).keys()].some((j) => medium.parentOf(j) === i))!;
    const orphans = [...Array(n).keys()].filter((j) => medium.parentOf(j) === ap);
    medium.setAlive(ap, false);
    for (const o of orphans) expect(medium.parentOf(o)).toBe(-1);
    engine.run(engine.now + 10000);
    for (const o of orphans) {
      expect(medium.parentOf(o)).toBeGreaterThanOrEqual(0);
      expect(medium.parentOf(o)).not.toBe(ap);
    }
  });
});

describe('simulator AES adapter', () => {
  it('matches @noble/ciphers one-shot ECB, CTR (zero counter) and CBC-MAC on random inputs, in place too', () => {
    const a = createNobleAes(), b = createSimAes();
    for (let t = 0; t < 300; t++) {
      const key = new Uint8Array(randomBytes(16));
      const n = 1 + ((t * 37) % 260);
      const src = new Uint8Array(randomBytes(n));
      const x = new Uint8Array(n), y = new Uint8Array(src);
      a.ctr0(key, src, x);
      b.ctr0(key, y, y);
      expect(y).toEqual(x);
      const m = 16 * (1 + (t % 12));
      const blk = new Uint8Array(randomBytes(m));
      const e1 = new Uint8Array(m), e2 = new Uint8Array(m);
      a.ecb(key, blk, e1); b.ecb(key, blk, e2);
      expect(e2).toEqual(e1);
      const tl = 1 + (t % 16);
      const t1 = new Uint8Array(tl), t2 = new Uint8Array(tl);
      a.cbcMac(key, blk, t1); b.cbcMac(key, blk, t2);
      expect(t2).toEqual(t1);
      // the same key buffer with new contents must not reuse the old schedule
      key[0] ^= 1;
      a.cbcMac(key, blk, t1); b.cbcMac(key, blk, t2);
      expect(t2).toEqual(t1);
    }
  });
});

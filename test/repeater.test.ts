/**
 * The repeater (shared/repeater.ts), the ESP32-C3's program: real frames sealed by real routers, real
 * crypto; then repeaters inside simulated meshes of routers (host/sim), where they must carry broadcasts
 * and unicasts across without routes.
 */
import { describe, expect, test } from 'vitest';
import { createRepeater, type Repeater } from '../shared/repeater.ts';
import { createRouter, type Router } from '../shared/router.ts';
import { createKeyring } from '../shared/keyring.ts';
import { createFrameSeal } from '../shared/frame-seal.ts';
import { createDedupCache } from '../shared/dedup-cache.ts';
import { createRelayPath } from '../shared/relay-path.ts';
import { BROADCAST, Flag, FrameStatus, FrameType, decodeHeader, newHeader } from '../shared/frame.ts';
import { BeaconFlag, decodeBeacon, newBeacon } from '../shared/beacon.ts';
import { ROUTED, floodField, routedField } from '../shared/unicast.ts';
import { createNodeAes } from './support/aes-node.ts';
import { mulberry32 } from './support/mulberry32.ts';
import { crc32 } from '../host/crc32.ts';
import { runSimulation } from '../host/sim/run.ts';

const aes = createNodeAes();
const KEY = new Uint8Array(16).map((_, i) => i * 7 + 1);
const A = 0x0a0a01, R = 0x0b0b02, OTHER = 0x0c0c03;

function keys() {
  const k = createKeyring({ capacity: 2 })({ aes });
  k.set(1, KEY);
  return k;
}

function memStore() {
  const m = new Map<string, string>();
  return { read: (k: string) => m.get(k), write: (k: string, v: string) => { m.set(k, v); return true; } };
}

/** a router whose frames we collect */
function source(id: number, hopLimit = 5): { r: Router; out: Uint8Array[] } {
  const out: Uint8Array[] = [];
  const store = new Map<string, string>();
  const r = createRouter({
    selfId: id, policy: 'flood', hopLimit,
    capacities: { neighbours: 8, routes: 8, pending: 8, dedupSlots: 64, replaySources: 16, reassemblySlots: 1, reassemblyMaxBytes: 1024 },
  })({
    aes, keys: keys(), crc32, rng: mulberry32(id),
    store: { read: (k) => store.get(k), write: (k, v) => { store.set(k, v); return true; } },
    radio: { send: (f, len) => { out.push(f.slice(0, len)); }, airtimeMs: (len) => (len + 43) * 8 / 1000 },
    events: { deliver: () => {} },
  });
  return { r, out };
}

function repeater(opts: { burst?: number; rate?: number } = {}): { rep: Repeater; sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  const rep = createRepeater({
    selfId: R, capacities: { pending: 4, dedupSlots: 64, sources: 8 }, relayBurst: opts.burst, relayRatePerSec: opts.rate,
  })({ aes, keys: keys(), rng: mulberry32(9), store: memStore(), radio: { send: (f, len) => { sent.push(f.slice(0, len)); }, airtimeMs: (len) => (len + 43) * 8 / 1000 } });
  return { rep, sent };
}

/** run the repeater's timer until nothing is pending */
function drain(rep: Repeater, now: number): number {
  for (let i = 0; i < 20 && rep.nextDeadline() >= 0; i++) { now = Math.max(now, rep.nextDeadline()); rep.tick(now); }
  return now;
}

function broadcastFrame(s: { r: Router; out: Uint8Array[] }, byte: number, now: number): Uint8Array {
  s.out.length = 0;
  expect(s.r.send(BROADCAST, new Uint8Array([byte, 1, 2, 3]), 0, now)).toBeGreaterThanOrEqual(0);
  s.r.tick(now + 1000);
  expect(s.out.length).toBe(1);
  return s.out[0];
}

describe('repeater: what it does with one frame', () => {
  test('a new flood frame is relayed once, after a delay, one hop spent, stamped with its id, still authentic', () => {
    const a = source(A);
    const { rep, sent } = repeater();
    const f = broadcastFrame(a, 1, 0);
    rep.receive(f, f.length, -80, 10);
    expect(sent.length).toBe(0); // contention delay first
    expect(rep.pending()).toBe(1);
    expect(rep.nextDeadline()).toBeGreaterThan(10);
    drain(rep, 10);
    expect(sent.length).toBe(1);
    const h = newHeader(), g = newHeader();
    expect(decodeHeader(f, f.length, h)).toBe(FrameStatus.Ok);
    expect(decodeHeader(sent[0], sent[0].length, g)).toBe(FrameStatus.Ok);
    expect(g.hopLimit).toBe(h.hopLimit - 1);
    expect(g.hopStart).toBe(h.hopStart); // no way to buy hops
    expect(g.prevHop).toBe(floodField(R));
    // a third node accepts the relayed copy as authentic
    const k = keys();
    const path = createRelayPath()({ seal: createFrameSeal()({ aes, keys: k }), dedup: createDedupCache({ slots: 16 }) });
    expect(path.inspect(sent[0], sent[0].length, newHeader())).toBe(FrameStatus.Ok);
    // the same frame again (or its relayed copy) is a duplicate: no second relay
    rep.receive(f, f.length, -80, 500);
    rep.receive(sent[0], sent[0].length, -60, 501);
    drain(rep, 501);
    expect(sent.length).toBe(1);
    expect(rep.stats.rxDuplicate).toBe(2);
    expect(rep.stats.txRelay).toBe(1);
  });

  test('a forged or garbled frame is counted and dropped; hostile bytes never throw or send', () => {
    const a = source(A);
    const { rep, sent } = repeater();
    const f = broadcastFrame(a, 2, 0);
    const bad = f.slice();
    bad[bad.length - 1] ^= 1; // header tag
    rep.receive(bad, bad.length, -70, 1);
    expect(rep.stats.rxInvalid).toBe(1);
    const rnd = mulberry32(77);
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(rnd() * 251);
      const junk = new Uint8Array(len).map(() => Math.floor(rnd() * 256));
      if (i % 3 === 0 && len > 20) junk.set(f.subarray(0, 20)); // a valid-looking header with junk after it
      rep.receive(junk, len, -70, 2 + i);
    }
    drain(rep, 5000);
    expect(sent.length).toBe(0);
    expect(rep.stats.rxInvalid).toBeGreaterThan(1900);
    // and the genuine frame still goes through afterwards
    rep.receive(f, f.length, -70, 6000);
    drain(rep, 6000);
    expect(sent.length).toBe(1);
  });

  test('its own id as source is a spoof; hop limit 0 and one-hop control frames are not relayed', () => {
    const { rep, sent } = repeater();
    const spoof = source(R);
    const f = broadcastFrame(spoof, 3, 0);
    rep.receive(f, f.length, -70, 1);
    expect(rep.stats.dropSpoof).toBe(1);
    const last = source(A, 0);
    const g = broadcastFrame(last, 4, 0);
    rep.receive(g, g.length, -70, 2);
    expect(rep.stats.dropHopLimit).toBe(1);
    // beacons of a meshwork router are one-hop (NoRelay)
    const out: Uint8Array[] = [];
    const m = createRouter({ selfId: OTHER, capacities: { neighbours: 4, routes: 4, pending: 4, dedupSlots: 16, replaySources: 4, reassemblySlots: 1, reassemblyMaxBytes: 512 } })({
      aes, keys: keys(), crc32, rng: mulberry32(3), store: { read: () => undefined, write: () => true },
      radio: { send: (fr, len) => { out.push(fr.slice(0, len)); }, airtimeMs: () => 1 }, events: { deliver: () => {} },
    });
    for (let t = 0; t < 20000; t += 500) m.tick(t);
    expect(out.length).toBeGreaterThan(0);
    for (const b of out) rep.receive(b, b.length, -70, 30000);
    drain(rep, 30000);
    expect(sent.length).toBe(0);
  });

  test('a routed frame naming another node is not relayed, but its fallback flood is', () => {
    const a = source(A);
    const { rep, sent } = repeater();
    a.out.length = 0;
    a.r.send(OTHER, new Uint8Array([9, 9]), 0, 0); // flood policy: goes out flood-stamped
    a.r.tick(1000);
    const flood = a.out[0];
    const routed = flood.slice();
    const h = newHeader();
    expect(decodeHeader(routed, routed.length, h)).toBe(FrameStatus.Ok);
    expect(createFrameSeal()({ aes, keys: keys() }).restamp(routed, h, h.hopLimit, routedField(OTHER))).toBe(FrameStatus.Ok);
    expect(h.prevHop & ROUTED).toBe(ROUTED);
    rep.receive(routed, routed.length, -70, 1);
    drain(rep, 1);
    expect(sent.length).toBe(0);
    rep.receive(flood, flood.length, -70, 50); // the sender gave up on its next hop and flooded
    drain(rep, 50);
    expect(sent.length).toBe(1);
  });

  test('one source cannot flood through it: the per-source rate limit holds, other sources pass', () => {
    const a = source(A), b = source(OTHER);
    const { rep, sent } = repeater({ burst: 3, rate: 0.001 });
    for (let i = 0; i < 10; i++) { const f = broadcastFrame(a, 10 + i, i); rep.receive(f, f.length, -70, 100 + i); drain(rep, 100 + i); }
    expect(sent.length).toBe(3);
    expect(rep.stats.dropRateLimit).toBe(7);
    const g = broadcastFrame(b, 50, 0);
    rep.receive(g, g.length, -70, 200);
    drain(rep, 200);
    expect(sent.length).toBe(4);
  });
});

describe('repeater: its beacons', () => {
  test('once started it beacons: authentic one-hop frames flagged Repeater, listing no links; none before start', () => {
    const { rep, sent } = repeater();
    rep.tick(10000);
    expect(sent.length).toBe(0);
    expect(rep.nextDeadline()).toBe(-1);
    rep.start(0);
    let now = 0;
    for (let i = 0; i < 8; i++) { now = rep.nextDeadline(); rep.tick(now); }
    expect(sent.length).toBe(8);
    expect(rep.stats.txBeacon).toBe(8);
    expect(now).toBeGreaterThan(4 * 1750 + 3 * 7000); // 2 s for the first four, then 8 s (±12.5 %)
    const k = keys();
    const seal = createFrameSeal()({ aes, keys: k });
    const h = newHeader();
    let lastSeq = 0;
    for (const f of sent) {
      expect(decodeHeader(f, f.length, h)).toBe(FrameStatus.Ok);
      expect(h.type).toBe(FrameType.Beacon);
      expect(h.flags & Flag.NoRelay).toBe(Flag.NoRelay);
      expect(h.hopStart).toBe(0);
      expect(h.src).toBe(R);
      expect(h.seq).toBeGreaterThan(lastSeq);
      lastSeq = h.seq;
      const p = new Uint8Array(h.payloadLen);
      expect(seal.open(f, h, p)).toBe(FrameStatus.Ok);
      const b = newBeacon();
      expect(decodeBeacon(p, 0, p.length, b)).toBe(0);
      expect(b.flags & BeaconFlag.Repeater).toBe(BeaconFlag.Repeater);
      expect(b.n).toBe(0);
    }
  });
});

describe('repeaters inside a simulated mesh of routers', () => {
  test('a line cut in two by repeaters: broadcasts reach as far as with routers there, unicasts cross as floods', () => {
    // clean links (no shadowing, no fast fading): what is lost is lost to collisions, the same for both runs
    const base = {
      nodes: 8, topology: 'line' as const, durationS: 240, traffic: { unicastPerSec: 0.5, broadcastPerSec: 0.2 },
      propagation: { shadowSigmaDb: 0, fastFadingSigmaDb: 0 },
    };
    for (const seed of [3, 4]) {
      const routers = runSimulation({ ...base, seed });
      const r = runSimulation({ ...base, seed, repeaters: [3, 4] });
      expect(r.broadcast.sent).toBeGreaterThan(20);
      expect(r.broadcast.reach).toBeGreaterThanOrEqual(routers.broadcast.reach! - 0.03);
      expect(r.unicast.sent).toBeGreaterThan(30);
      expect(r.unicast.deliveryRatio).toBeGreaterThanOrEqual(0.9);
      // the repeaters did carry it: with the first one dead from t = 10 s the far half is cut off
      const cut = runSimulation({ ...base, seed, repeaters: [3, 4], events: [{ at: 10, kind: 'death', node: 3 }] });
      expect(cut.broadcast.reach).toBeLessThan(0.7);
      expect(cut.unicast.deliveryRatio).toBeLessThan(0.7);
    }
  });

  test('repeaters scattered in a random mesh cost no reach', () => {
    const r = runSimulation({ nodes: 60, topology: 'random', seed: 5, durationS: 200, repeaters: [5, 17, 29, 41, 53] });
    expect(r.broadcast.reach).toBeGreaterThanOrEqual(0.99);
    expect(r.unicast.deliveryRatio).toBeGreaterThanOrEqual(0.98);
  });

  test('misuse is refused: a repeater index out of range, or a gateway that is also a repeater', () => {
    expect(() => runSimulation({ nodes: 5, topology: 'line', seed: 1, durationS: 10, repeaters: [7] })).toThrow(/repeaters/);
    expect(() => runSimulation({ nodes: 5, topology: 'line', seed: 1, durationS: 10, repeaters: [1], gateways: [1] })).toThrow(/gateway/);
  });
});

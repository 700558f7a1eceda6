/**
 * Distance-vector routing with Babel's feasibility condition (shared/route-table.ts): convergence to
 * shortest paths, loop freedom at every instant while links fail and come back (many seeds), repair after a
 * relay dies, the default route to the best gateway, and bounded tables.
 */
import { describe, expect, test } from 'vitest';
import { createMiniAir, line, grid, rng01, type MiniAir } from './support/mini-air.ts';
import { hopsFrom, loops, snapshot, walk } from './support/route-walk.ts';
import { createRouteTable } from '../shared/route-table.ts';
import { RouteChange } from '../shared/route-types.ts';
import { GATEWAY } from '../shared/router.ts';
import { METRIC_INF, newAdvert } from '../shared/beacon.ts';

function converged(air: MiniAir): { ok: number; total: number; stretch: number } {
  const t = snapshot(air);
  let ok = 0, total = 0, extra = 0;
  for (let s = 0; s < air.nodes.length; s++) {
    const dist = hopsFrom(air, s);
    for (let d = 0; d < air.nodes.length; d++) {
      if (d === s || dist[d] < 0) continue;
      total++;
      const w = walk(air, t, s, air.nodes[d].id);
      if (w.end === 'ok') {
        ok++;
        extra += w.path.length - 1 - dist[d];
      }
    }
  }
  return { ok, total, stretch: extra };
}

describe('route table, driven directly', () => {
  test('the feasibility condition: only strictly better distances for the same seqno', () => {
    const rt = createRouteTable({ capacity: 8, selfId: 1 });
    const hold = 10000;
    // route to 9 via neighbour 2: advertised 300 + link 100
    expect(rt.update(2, 100, 9, 5, 300, false, hold, 0) & RouteChange.Changed).toBeTruthy();
    const a = newAdvert();
    rt.fill(a, 0, false); // we advertise it: FD(9) = (5, 400)
    expect(a.n).toBe(1);
    expect(a.metrics[0]).toBe(400);
    // neighbour 3 advertises 300 (< FD 400: feasible) over a cheap link: 310 beats 400 by more than the
    // hysteresis margin (max(16, 400/8) = 50)
    expect(rt.update(3, 10, 9, 5, 300, false, hold, 1) & RouteChange.Changed).toBeTruthy();
    expect(rt.nextHop(9)).toBe(3);
    // neighbour 4 advertises 400 with the same seqno: not strictly below FD (400): unfeasible, even with a cheap link
    expect(rt.update(4, 1, 9, 5, 400, false, hold, 2)).toBe(RouteChange.None);
    expect(rt.nextHop(9)).toBe(3);
    // the current next hop retracts: the route is lost, held, and a retraction is due
    expect(rt.update(3, 10, 9, 5, METRIC_INF, false, hold, 3) & RouteChange.Changed).toBeTruthy();
    expect(rt.nextHop(9)).toBe(0);
    // neighbour 4's unfeasible offer cannot bring it back: ask for a new seqno
    expect(rt.update(4, 1, 9, 5, 400, false, hold, 4) & RouteChange.WantSeqno).toBeTruthy();
    expect(rt.nextHop(9)).toBe(0);
    // the destination raised its seqno: now any finite metric is feasible
    expect(rt.update(4, 1, 9, 6, 900, false, hold, 5) & RouteChange.Changed).toBeTruthy();
    expect(rt.nextHop(9)).toBe(4);
    expect(rt.metric[rt.lookup(9)]).toBe(901);
  });

  test('hysteresis: a slightly better route does not steal the next hop', () => {
    const rt = createRouteTable({ capacity: 8, selfId: 1 });
    rt.update(2, 100, 9, 1, 300, false, 1000, 0);
    expect(rt.update(3, 100, 9, 1, 260, false, 1000, 0)).toBe(RouteChange.None); // 360: within 400/8
    expect(rt.nextHop(9)).toBe(2);
    expect(rt.update(3, 100, 9, 1, 200, false, 1000, 0) & RouteChange.Changed).toBeTruthy();
    expect(rt.nextHop(9)).toBe(3);
  });

  test('full table: retracted entries go first, then the worst route if the newcomer is better; gateways stay', () => {
    const rt = createRouteTable({ capacity: 3, selfId: 1 });
    rt.update(2, 100, 10, 1, 0, true, 1000, 0); // a gateway, metric 100
    rt.update(2, 100, 11, 1, 800, false, 1000, 0); // 900
    rt.update(2, 100, 12, 1, 400, false, 1000, 0); // 500
    expect(rt.count()).toBe(3);
    expect(rt.update(2, 100, 13, 1, 900, false, 1000, 0)).toBe(RouteChange.None); // 1000: worse than all
    expect(rt.update(2, 100, 14, 1, 100, false, 1000, 0) & RouteChange.Changed).toBeTruthy(); // 200 evicts 11
    expect(rt.slotOf(11)).toBe(-1);
    expect(rt.slotOf(10)).toBeGreaterThanOrEqual(0);
    expect(rt.count()).toBe(3);
    expect(rt.dsts.length).toBe(3);
    expect(rt.bestGateway()).toBe(rt.slotOf(10));
  });
});

describe('routing on the air', () => {
  test('a line of 8 converges to the shortest paths, metrics = 100 per lossless hop', () => {
    const air = createMiniAir({ n: 8, seed: 11 });
    line(air, 8);
    air.run(30000);
    const c = converged(air);
    expect(c.ok).toBe(c.total);
    expect(c.stretch).toBe(0);
    const r = air.nodes[0].router.routes().find((x) => x.dst === air.nodes[7].id)!;
    expect(r.metric).toBe(700);
  });

  test('a 5×5 grid converges to shortest paths', () => {
    const air = createMiniAir({ n: 25, seed: 12 });
    grid(air, 5, 5);
    air.run(40000);
    const c = converged(air);
    expect(c.ok).toBe(c.total);
    expect(c.stretch).toBe(0);
    const r = air.nodes[0].router.routes().find((x) => x.dst === air.nodes[24].id)!;
    expect(r.metric).toBe(800);
  });

  test('no routing loop at any sampled instant while random links fail and return (30 seeds)', () => {
    let samples = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const n = 16;
      const air = createMiniAir({ n, seed, loss: 0.05 });
      const r = rng01(seed * 31 + 7);
      const links: [number, number][] = [];
      const xs = Array.from({ length: n }, () => r()), ys = Array.from({ length: n }, () => r());
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
        if ((xs[i] - xs[j]) ** 2 + (ys[i] - ys[j]) ** 2 < 0.35 ** 2) { air.connect(i, j); links.push([i, j]); }
      }
      air.run(30000);
      for (let round = 0; round < 12; round++) {
        const [i, j] = links[Math.floor(r() * links.length)];
        air.connect(i, j, !air.linked(i, j)); // fail it, or bring it back
        if (r() < 0.2) {
          const k = Math.floor(r() * n);
          if (air.nodes[k].alive && round < 6) air.kill(k);
        }
        const until = air.now + 6000;
        while (air.now < until) {
          air.run(air.now + 250);
          const l = loops(air);
          samples++;
          if (l.length) throw new Error(`seed ${seed} t=${air.now}: loop ${l[0].join('→')}`);
        }
      }
    }
    expect(samples).toBeGreaterThan(30 * 12 * 20);
  });

  test('route repair: a relay on the path dies, traffic keeps flowing and a new route forms', () => {
    // two parallel paths 0-1-2-3-4 and 0-5-6-7-4; the upper one is shorter on purpose
    const air = createMiniAir({ n: 9, seed: 13 });
    line(air, 5);
    air.connect(0, 5); air.connect(5, 6); air.connect(6, 7); air.connect(7, 8); air.connect(8, 4);
    air.run(30000);
    const dst = air.nodes[4].id;
    const before = walk(air, snapshot(air), 0, dst);
    expect(before.path).toEqual([0, 1, 2, 3, 4]);
    air.kill(2);
    const t0 = air.now;
    let repairedAt = -1;
    let sent = 0;
    for (let k = 0; k < 40; k++) {
      air.send(0, dst, new Uint8Array([k]));
      sent++;
      air.run(air.now + 250);
      const w = walk(air, snapshot(air), 0, dst);
      if (repairedAt < 0 && w.end === 'ok' && !w.path.includes(2)) repairedAt = air.now;
    }
    air.run(air.now + 2000);
    const got = new Set(air.nodes[4].deliveries.map((d) => d.data[0]));
    expect(got.size).toBe(sent); // the first messages fall back to flooding, the rest take the new path
    expect(repairedAt).toBeGreaterThan(0);
    expect(repairedAt - t0).toBeLessThan(3000);
    expect(walk(air, snapshot(air), 0, dst).path).toEqual([0, 5, 6, 7, 8, 4]);
  });

  test('route repair without traffic: beacon expiry alone, within 3.5 beacon intervals + convergence', () => {
    const air = createMiniAir({ n: 7, seed: 14, init: { beaconMaxMs: 4000 } });
    line(air, 4); // 0-1-2-3, and a longer way round 0-4-5-6-3
    air.connect(0, 4); air.connect(4, 5); air.connect(5, 6); air.connect(6, 3);
    air.run(40000);
    expect(walk(air, snapshot(air), 0, air.nodes[3].id).path).toEqual([0, 1, 2, 3]);
    air.kill(1);
    const t0 = air.now;
    let at = -1;
    while (air.now < t0 + 30000 && at < 0) {
      air.run(air.now + 100);
      const w = walk(air, snapshot(air), 0, air.nodes[3].id);
      if (w.end === 'ok' && !w.path.includes(1)) at = air.now;
    }
    expect(at).toBeGreaterThan(0);
    expect(at - t0).toBeLessThanOrEqual(3.5 * 4000 + 1000);
  });

  test('every node keeps a default route to the best (nearest) gateway', () => {
    const air = createMiniAir({ n: 9, seed: 15, roles: (i) => (i === 0 || i === 8 ? 'gateway' : 'router') });
    line(air, 9);
    air.run(30000);
    for (let i = 1; i < 8; i++) {
      const def = air.nodes[i].router.routes().find((r) => r.dst === GATEWAY)!;
      expect(def).toBeDefined();
      const nearest = i < 4 ? 0 : i > 4 ? 8 : -1;
      const nh = air.index(def.nextHop);
      if (nearest === 0) expect(nh).toBe(i - 1);
      if (nearest === 8) expect(nh).toBe(i + 1);
      expect(def.gateway).toBe(true);
    }
    // a message to GATEWAY reaches the nearest gateway, with an end-to-end ack
    const h = air.send(2, GATEWAY, new Uint8Array([42]), 2);
    air.run(air.now + 2000);
    expect(air.nodes[0].deliveries.some((d) => d.data[0] === 42 && d.src === air.nodes[2].id)).toBe(true);
    expect(air.nodes[8].deliveries.some((d) => d.data[0] === 42)).toBe(false);
    expect(air.nodes[2].results.get(h)).toBe(true);
    // the near gateway dies: the default route moves to the other one
    air.kill(0);
    air.run(air.now + 60000);
    const def = air.nodes[2].router.routes().find((r) => r.dst === GATEWAY)!;
    expect(air.index(def.nextHop)).toBe(3);
  });

  test('tables stay within their capacities in a dense mesh larger than them, and delivery still works', () => {
    const n = 30;
    const air = createMiniAir({ n, seed: 16, init: { capacities: { neighbours: 6, routes: 10, dedupSlots: 64, replaySources: 16, pending: 8, reassemblySlots: 2, reassemblyMaxBytes: 1024 } } });
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (Math.abs(i - j) <= 8) air.connect(i, j);
    air.run(60000);
    for (const nd of air.nodes) {
      expect(nd.router.neighbours().length).toBeLessThanOrEqual(6);
      expect(nd.router.routes().filter((r) => r.dst !== GATEWAY).length).toBeLessThanOrEqual(10);
    }
    for (let k = 0; k < 10; k++) {
      expect(air.send(0, air.nodes[29].id, new Uint8Array([k]))).toBeGreaterThanOrEqual(0);
      air.run(air.now + 200);
    }
    air.run(air.now + 3000);
    expect(new Set(air.nodes[29].deliveries.map((d) => d.data[0])).size).toBe(10);
  });
});

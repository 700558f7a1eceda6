/**
 * Simulator layouts: every topology is connected over usable links, neighbours are in range and two-hop
 * nodes mostly are not, the grid-based link lists equal a brute-force O(N²) scan, and moves keep them so.
 */
import { describe, expect, it } from 'vitest';
import { createTopology, hopDistances, isConnected, usableDbm, hopSpacingM, TOPOLOGIES } from '../host/sim/topology.ts';
import { createLinkMap } from '../host/sim/links.ts';
import { DEFAULT_PROPAGATION as P, linkRxDbm } from '../host/sim/propagation.ts';
import { createRng } from '../host/sim/rng.ts';

describe('topologies', () => {
  for (const kind of TOPOLOGIES) {
    for (const n of [12, 60, 200]) {
      it(`${kind} with ${n} nodes is connected over usable links on several seeds`, () => {
        for (const seed of [1, 2, 3]) {
          const t = createTopology(kind, n, seed, P);
          expect(t.links.n).toBe(n);
          expect(isConnected(t.links, usableDbm(P))).toBe(true);
          // deterministic: the same seed gives the same layout
          const u = createTopology(kind, n, seed, P);
          expect(Array.from(u.links.xs)).toEqual(Array.from(t.links.xs));
          expect(Array.from(u.links.pw[0])).toEqual(Array.from(t.links.pw[0]));
        }
      });
    }
  }

  it('line: neighbours are usable and two-hop links mostly are not', () => {
    let twoHopUsable = 0, twoHop = 0, oneHopUsable = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const t = createTopology('line', 10, seed, P);
      for (let i = 0; i + 2 < 10; i++) {
        twoHop++;
        if (t.links.power(i, i + 2) >= usableDbm(P)) twoHopUsable++;
      }
      for (let i = 0; i + 1 < 10; i++) if (t.links.power(i, i + 1) >= usableDbm(P)) oneHopUsable++;
      const d = hopDistances(t.links, usableDbm(P), 0);
      expect(d[9]).toBeGreaterThanOrEqual(6);
    }
    expect(twoHopUsable / twoHop).toBeLessThan(0.3);
    // shadowing can make a neighbour link poor while the line stays connected another way
    expect(oneHopUsable / (20 * 9)).toBeGreaterThan(0.9);
  });

  it('random: the mean usable degree lands near the target (8..14) at 100 and 500 nodes', () => {
    for (const n of [100, 500]) {
      const t = createTopology('random', n, 5, P);
      let use = 0;
      for (let i = 0; i < n; i++) for (const p of t.links.pw[i]) if (p >= usableDbm(P)) use++;
      expect(use / n).toBeGreaterThan(8);
      expect(use / n).toBeLessThan(14);
    }
  });

  it('clusters: joined only through thin bridges (a bridge relay is a cut vertex)', () => {
    const t = createTopology('clusters', 100, 1, P);
    const alive = new Uint8Array(100).fill(1);
    // bridge nodes sit on y = 0 between discs; killing one of them must split the usable graph
    let cuts = 0;
    for (let i = 0; i < 100; i++) {
      alive.fill(1);
      alive[i] = 0;
      if (!isConnected(t.links, usableDbm(P), alive)) cuts++;
    }
    expect(cuts).toBeGreaterThanOrEqual(2);
  });

  it('spacing follows the propagation model (6 dB above sensitivity)', () => {
    const s = hopSpacingM(P);
    expect(linkRxDbm({ ...P, shadowSigmaDb: 0 }, 1, 0, 1, s)).toBeCloseTo(P.sensitivityDbm + 6, 9);
  });

  it('rejects unknown kinds and too few nodes', () => {
    expect(() => createTopology('ring' as never, 10, 1, P)).toThrow(/unknown topology/);
    expect(() => createTopology('line', 1, 1, P)).toThrow(/at least 2/);
  });
});

describe('link lists', () => {
  it('equal a brute-force scan, sorted by node, and stay equal after moves', () => {
    const n = 300;
    const r = createRng(11, 0);
    const xs = new Float64Array(n), ys = new Float64Array(n);
    for (let i = 0; i < n; i++) { xs[i] = r.next() * 2500; ys[i] = r.next() * 2500; }
    const links = createLinkMap(xs, ys, P, 99);
    const brute = (i: number): number[] => {
      const out: number[] = [];
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const d = Math.hypot(xs[j] - xs[i], ys[j] - ys[i]);
        if (linkRxDbm(P, 99, i, j, d) >= P.floorDbm) out.push(j);
      }
      return out;
    };
    for (let i = 0; i < n; i++) expect(Array.from(links.nb[i])).toEqual(brute(i));
    for (let k = 0; k < 20; k++) links.move(k * 7, r.next() * 2500, r.next() * 2500);
    for (let i = 0; i < n; i++) expect(Array.from(links.nb[i])).toEqual(brute(i));
    // symmetric powers
    for (let i = 0; i < n; i++) for (const j of links.nb[i]) expect(links.power(j, i)).toBe(links.power(i, j));
  });
});

/**
 * The two-hop view behind flooding without coverage holes: a ratio reported over few beacons is not trusted
 * to cover anyone (shared/_two-hop.ts), and the per-message tie-break (shared/_tie-break.ts) makes exactly one
 * of two nodes that could cover the same neighbour relay, never both and never neither. Driven through the
 * real neighbour table, frame pool and flood module, then end to end on a mini air with a cluster bridge.
 */
import { describe, expect, test } from 'vitest';
import { createNeighbourTable, type NeighbourTable } from '../shared/neighbour-table.ts';
import { createFramePool } from '../shared/_frame-pool.ts';
import { createFlood, type Flood } from '../shared/flood.ts';
import { TRUST_SAMPLES, trusted } from '../shared/_two-hop.ts';
import { tieRank } from '../shared/_tie-break.ts';
import { BeaconInfo, newBeacon } from '../shared/beacon.ts';
import { BROADCAST } from '../shared/frame.ts';
import { createMiniAir } from './support/mini-air.ts';

const A = 0xa001, B = 0xb002, T = 0x7003, M = 0x4004;

/** beacon from `id` listing `heard` as [id, ratio, samples]; fed `times` times, 2 s apart, from `t0` */
function feed(tab: NeighbourTable, id: number, heard: [number, number, number][], times: number, t0: number): number {
  const b = newBeacon();
  b.intervalMs = 2000;
  b.n = heard.length;
  heard.forEach(([h, r, k], i) => { b.ids[i] = h; b.ratios[i] = r; b.info[i] = k; });
  let s = -1;
  for (let k = 0; k < times; k++) {
    b.seq = 1 + k;
    s = tab.onBeacon(id, b, -60, t0 + 2000 * k);
  }
  return s;
}

function floodAt(tab: NeighbourTable): { flood: Flood; start(src: number, seq: number, t: number): number } {
  const pool = createFramePool(4);
  const flood = createFlood({ policy: 'meshwork' })({ pool, nbrs: tab, rand: () => 0.5 });
  return {
    flood,
    start(src, seq, t) {
      const s = pool.alloc();
      pool.src[s] = src;
      pool.seq[s] = seq;
      pool.hop[s] = 5;
      const d = flood.start(s, t, -60);
      pool.free(s);
      return d;
    },
  };
}

describe('trusted ratios', () => {
  test('a ratio measured over fewer than TRUST_SAMPLES beacons counts as nothing', () => {
    expect(trusted(255, 1)).toBe(0);
    expect(trusted(255, TRUST_SAMPLES - 1)).toBe(0);
    expect(trusted(255, TRUST_SAMPLES)).toBe(255);
    expect(trusted(200, 32 | BeaconInfo.Leaf)).toBe(200);
  });

  test('our beacon reports how many beacon slots each ratio stands on', () => {
    const tab = createNeighbourTable({ capacity: 4, selfId: A });
    feed(tab, T, [[A, 255, 9]], 6, 0);
    const b = newBeacon();
    tab.fill(b, 12000);
    expect(b.n).toBe(1);
    expect(b.info[0] & BeaconInfo.Samples).toBe(6);
  });

  test('a neighbour that heard the transmitter once (1/1) is not taken as covered: the relay goes out', () => {
    // A hears T and M; M reports hearing T. T's copy reaches A: is M covered?
    for (const [samples, expectRelay] of [[1, true], [TRUST_SAMPLES - 1, true], [12, false]] as const) {
      const tab = createNeighbourTable({ capacity: 4, selfId: A });
      const t = feed(tab, T, [[A, 255, 12], [M, 255, 12]], 6, 0);
      feed(tab, M, [[A, 255, 12], [T, 255, samples]], 6, 1000);
      const f = floodAt(tab);
      const d = f.start(0x9999, 7, t);
      expect(d >= 0, `M reports T over ${samples} samples`).toBe(expectRelay);
    }
  });
});

describe('per-message tie-break', () => {
  test('ranks are the same on every node, and change with every message', () => {
    expect(tieRank(5, 9, A)).toBe(tieRank(5, 9, A));
    const lowest = [0, 0, 0];
    for (let seq = 0; seq < 600; seq++) {
      const r = [A, B, M].map((id) => tieRank(0x1234, seq, id));
      lowest[r.indexOf(Math.min(...r))]++;
    }
    for (const n of lowest) expect(n).toBeGreaterThan(150);
  });

  // M's other neighbours (beyond A and B, not heard by T): M is no edge node, so the tie-break applies to it
  const others: [number, number, number][] = [[0x0101, 255, 12], [0x0102, 255, 12], [0x0103, 255, 12]];

  // flood.ts with its default 2 ms slot: a relay goes out within the contention window (≤ 18 slots), a relay held
  // on the strength of the tie-break after it (≥ 30 slots), unless a further copy covers everyone first
  const atOnce = (d: number): boolean => d >= 0 && d < 2 * 18;
  const held = (d: number): boolean => d >= 2 * 30;

  test('two nodes that can both reach a neighbour the transmitter does not: exactly one relays, the other holds, per message', () => {
    // T → A and T → B; A and B both hear M; M does not hear T. A and B do not hear each other.
    const tabA = createNeighbourTable({ capacity: 4, selfId: A });
    const tabB = createNeighbourTable({ capacity: 4, selfId: B });
    const tA = feed(tabA, T, [[A, 255, 12], [B, 255, 12]], 6, 0);
    feed(tabA, M, [[A, 255, 12], [B, 255, 12], ...others], 6, 1000);
    const tB = feed(tabB, T, [[A, 255, 12], [B, 255, 12]], 6, 0);
    feed(tabB, M, [[A, 255, 12], [B, 255, 12], ...others], 6, 1000);
    const fa = floodAt(tabA), fb = floodAt(tabB);
    let onlyA = 0, onlyB = 0;
    for (let seq = 1; seq <= 60; seq++) {
      const da = fa.start(0x5555, seq, tA), db = fb.start(0x5555, seq, tB);
      const ra = atOnce(da), rb = atOnce(db);
      expect(ra !== rb, `message ${seq}: A relays ${ra}, B relays ${rb}`).toBe(true);
      expect(held(ra ? db : da), `message ${seq}: the one counting on the other holds its relay`).toBe(true);
      const aFirst = tieRank(0x5555, seq, A) < tieRank(0x5555, seq, B);
      expect(ra).toBe(aFirst); // the lower rank covers M, the other counts on it
      if (ra) onlyA++; else onlyB++;
    }
    expect(onlyA).toBeGreaterThan(10);
    expect(onlyB).toBeGreaterThan(10);
  });

  test('an edge node (few good links) is covered only by copies actually sent: both relay for it', () => {
    const tabA = createNeighbourTable({ capacity: 4, selfId: A });
    const tabB = createNeighbourTable({ capacity: 4, selfId: B });
    const tA = feed(tabA, T, [[A, 255, 12], [B, 255, 12]], 6, 0);
    feed(tabA, M, [[A, 255, 12], [B, 255, 12]], 6, 1000);
    const tB = feed(tabB, T, [[A, 255, 12], [B, 255, 12]], 6, 0);
    feed(tabB, M, [[A, 255, 12], [B, 255, 12]], 6, 1000);
    const fa = floodAt(tabA), fb = floodAt(tabB);
    for (let seq = 1; seq <= 20; seq++) {
      expect(atOnce(fa.start(0x5555, seq, tA))).toBe(true);
      expect(atOnce(fb.start(0x5555, seq, tB))).toBe(true);
    }
  });

  test('a leaf is never counted on', () => {
    const tabA = createNeighbourTable({ capacity: 4, selfId: A });
    const tA = feed(tabA, T, [[A, 255, 12], [B, 255, 12 | BeaconInfo.Leaf]], 6, 0);
    feed(tabA, M, [[A, 255, 12], [B, 255, 12], ...others], 6, 1000);
    const fa = floodAt(tabA);
    for (let seq = 1; seq <= 30; seq++) expect(atOnce(fa.start(0x5555, seq, tA))).toBe(true);
  });
});

describe('a cluster bridge on a mini air', () => {
  test('every broadcast reaches both clusters, with fewer transmissions than pure flooding', () => {
    // two cliques of 8 (0-7 and 10-17); 6 and 7 both reach the bridge node 8, which alone reaches 9, which
    // reaches the second clique through 10 and 11: both sides of each narrow point can cover it
    const build = (policy: 'meshwork' | 'flood') => {
      const air = createMiniAir({ n: 18, seed: 61, policy });
      for (let i = 0; i < 8; i++) for (let j = i + 1; j < 8; j++) air.connect(i, j);
      for (let i = 10; i < 18; i++) for (let j = i + 1; j < 18; j++) air.connect(i, j);
      air.connect(6, 8); air.connect(7, 8); air.connect(8, 9); air.connect(9, 10); air.connect(9, 11);
      return air;
    };
    const run = (policy: 'meshwork' | 'flood') => {
      const air = build(policy);
      air.run(40000);
      const tx = (): number => air.nodes.reduce((a, x) => a + x.router.stats.txData + x.router.stats.txRelay + x.router.stats.txRetry, 0);
      const tx0 = tx();
      let missed = 0;
      const sources = [0, 3, 6, 8, 9, 12, 17, 0, 17, 5];
      sources.forEach((s, k) => {
        air.send(s, BROADCAST, new Uint8Array([k, 0xcc]));
        air.run(air.now + 1000);
        for (let i = 0; i < 18; i++) {
          if (i !== s && !air.nodes[i].deliveries.some((d) => d.data.length === 2 && d.data[0] === k && d.data[1] === 0xcc)) missed++;
        }
      });
      return { missed, tx: tx() - tx0 };
    };
    const mw = run('meshwork');
    const fl = run('flood');
    expect(mw.missed).toBe(0);
    expect(fl.missed).toBe(0);
    expect(mw.tx).toBeLessThan(0.7 * fl.tx);
  });
});

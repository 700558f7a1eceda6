/**
 * The two-hop view of the neighbour table (neighbour-table.ts), read from the neighbours' beacons (beacon.ts):
 * what each neighbour hears, and how well, so that flooding can leave a relay to others without leaving a
 * coverage hole (flood.ts).
 *
 * hear[m·cap + t]  neighbour m's receive ratio of neighbour t (both in our table)
 * far, farHear     far nodes: ids m's beacon lists that are not in our table (nodes two hops away, whose
 *                  beacons we do not hear). far[f] is the id of far slot f (0 = free); farHear[m·farCap + f] is
 *                  m's receive ratio of far node f. Leaves and ratios below FAR_MIN are not kept: flood.ts
 *                  counts a far node only as a relay that probably got a frame and will pass it on. refs[f]
 *                  counts the rows listing f; a far slot is freed with its last row. A full far table refuses
 *                  newcomers: a far node we do not know is a relay we do not count on (more relays, no hole).
 * sure[m]          m's receive ratio of our beacons (df) as flooding may trust it
 *
 * Trust: a ratio is measured over a number of beacon slots (the beacon's samples). A neighbour heard once
 * reads 1/1, which on a -91 dBm link that loses 2 frames in 3 (seen: clusters seed 5, node 66) made its
 * neighbours leave a bridge to someone else. A ratio counts here (as covering anyone) only from TRUST_SAMPLES
 * samples up: 4/4 on a link that delivers 1 frame in 3 happens 1.2 % of the time, 1/1 a third of the time.
 * Measured: 8 samples cost 6 % more relays on 100-node random meshes (many edge links are young: weak
 * neighbours expire and return), and a sample-dependent cap (1 - 1/(n + 1)) 7 %; 4 keeps the 1/1 case out.
 * Routing (ETX) uses the raw ratios: a new link must become usable within a few beacons.
 *
 * Memory (typed arrays sized from the neighbour capacity; farCap = cap): hear cap², farHear cap², far 4·cap,
 * refs, sure and deg cap bytes each (32 neighbours: 2,240 bytes, ~230 JsVars with the code; hear was there
 * before, 1,024 bytes of it).
 */
import { BeaconInfo } from './beacon.ts';
import type { Beacon } from './beacon.ts';

/** a ratio measured over fewer beacon slots than this is not trusted to cover anyone */
export const TRUST_SAMPLES = 4;
/** far nodes are kept when heard at least this well (0.5): weaker ones would count for little in flood.ts */
const FAR_MIN = 128;

export interface TwoHop {
  readonly hear: Uint8Array;
  readonly sure: Uint8Array;
  /** per slot: how many nodes the neighbour hears well (trusted ratio ≥ 0.5), us included */
  readonly deg: Uint8Array;
  readonly far: Uint32Array;
  readonly farHear: Uint8Array;
  readonly farCap: number;
}

/** the ratio (0..255) as far as flooding may trust it, from a beacon entry's ratio and info byte */
export function trusted(ratio: number, info: number): number {
  const n = info & BeaconInfo.Samples;
  return n < TRUST_SAMPLES ? 0 : ratio;
}

export interface TwoHopRows {
  view: TwoHop;
  /** slot s's beacon b: rebuild row s (and its far entries); returns b's ratio of us (df), raw */
  row(s: number, b: Beacon): number;
  /** slot s is cleared */
  clear(s: number): void;
  /** `id` just took slot s: the far column of id (if any) becomes hear column s */
  adopt(s: number, id: number): void;
}

export function createTwoHop(cap: number, selfId: number, ids: Uint32Array): TwoHopRows {
  const F = cap;
  const hear = new Uint8Array(cap * cap);
  const farHear = new Uint8Array(cap * F);
  const far = new Uint32Array(F);
  const refs = new Uint8Array(F);
  const sure = new Uint8Array(cap);
  const deg = new Uint8Array(cap);

  function dropFar(s: number): void {
    const row = s * F;
    for (let f = 0; f < F; f++) {
      if (farHear[row + f] === 0) continue;
      farHear[row + f] = 0;
      if (--refs[f] === 0) far[f] = 0;
    }
  }

  function row(s: number, b: Beacon): number {
    const r = s * cap;
    hear.fill(0, r, r + cap);
    dropFar(s);
    let df = 0;
    let d = 0;
    for (let i = 0; i < b.n; i++) {
      const e = b.ids[i];
      if (e === 0) continue;
      if (e === selfId) {
        df = b.ratios[i];
        sure[s] = trusted(df, b.info[i]);
        if (sure[s] >= FAR_MIN) d++;
        continue;
      }
      const q = trusted(b.ratios[i], b.info[i]);
      if (q >= FAR_MIN) d++;
      const t = ids.indexOf(e);
      if (t >= 0) {
        if (t !== s) hear[r + t] = q;
        continue;
      }
      if (q < FAR_MIN || b.info[i] & BeaconInfo.Leaf) continue;
      let f = far.indexOf(e);
      if (f < 0) {
        f = far.indexOf(0);
        if (f < 0) continue;
        far[f] = e;
      }
      if (farHear[s * F + f] === 0) refs[f]++;
      farHear[s * F + f] = q;
    }
    deg[s] = d > 255 ? 255 : d;
    return df;
  }

  function clear(s: number): void {
    hear.fill(0, s * cap, (s + 1) * cap);
    for (let m = 0; m < cap; m++) hear[m * cap + s] = 0;
    dropFar(s);
    sure[s] = 0;
    deg[s] = 0;
  }

  function adopt(s: number, id: number): void {
    const f = far.indexOf(id);
    if (f < 0) return;
    for (let m = 0; m < cap; m++) {
      hear[m * cap + s] = farHear[m * F + f];
      farHear[m * F + f] = 0;
    }
    refs[f] = 0;
    far[f] = 0;
  }

  return {
    view: { hear: hear, sure: sure, deg: deg, far: far, farHear: farHear, farCap: F },
    row: row, clear: clear, adopt: adopt,
  };
}

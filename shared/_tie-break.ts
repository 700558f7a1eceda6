/**
 * Per-message tie-break between relays that could cover the same neighbour (flood.ts, 'meshwork' policy).
 *
 * When a flood copy from transmitter t reaches us, the other nodes that heard t well have it too, and each of
 * them may pass it on to our neighbours that hear them. If every such node counted on the others, a neighbour
 * reachable from all of them would be left to "someone else" by each (seen with exact neighbour lists: both
 * sides of a cluster bridge assumed the other would relay, 97.9 % reach). So the candidates are ranked, per
 * message, by rank(src, seq, id): a hash every node computes alike. A node counts on a candidate only when the
 * candidate ranks lower (goes first in the order) than itself; a higher-ranked candidate counts on us in turn.
 * For any neighbour m, the lowest-ranked node that has the frame and knows m finds nobody below itself to count
 * on and covers m itself, so a neighbour is never left only to nodes that all leave it to each other (#8274,
 * #6863). Ranks change with every message, so the relaying load spreads instead of falling on one node.
 *
 * Who counts as a candidate y (from t's copy): a node t hears well or that hears t well (the ratio, ≥ HAS_MIN,
 * is the chance y got this copy), that is no leaf and not t; either one of our neighbours (y's beacon says
 * how well it hears t and m) or a far node (two hops away: t's beacon and m's beacon list it, _two-hop.ts).
 * For each neighbour m still missing the frame: miss[m] ×= 1 - has(y) · hear(m, y) per candidate y below us
 * (for a neighbour y, also y must hear m: it will know m). Every ratio is a trusted one (enough samples) and
 * capped like flood.ts: a candidate that probably missed the copy, or reaches m badly, covers m only in part.
 *
 * Work: one pass over the candidates (C + farCap) to rank those that probably have the copy, then, for each
 * neighbour still missing the frame, one pass over the (few) candidates below us. Scratch arrays are allocated
 * once here: nothing is allocated per message.
 */
import { BeaconFlag } from './beacon.ts';
import type { NeighbourTable } from './neighbour-table.ts';

/** a node that hears t (or that t hears) less well than this (0.5) is not counted as having the copy */
const HAS_MIN = 128;
/** a candidate that our neighbour m hears less well than this (0.5) is not counted as covering m */
const REACH_MIN = 128;
/** neighbours hearing fewer nodes than this well (us included) get no tie-break credit, and only they get a
 *  second copy (flood.ts). Measured (100-node meshes, default traffic, seeds 1-8): without it an edge node on
 *  three weak links (random seed 1, node 88) missed 4 of 20 broadcasts that pure flooding delivered; 5 costs
 *  ~1 % more relays */
export const DEG_MIN = 5;
/** no single link is trusted beyond 0.96: see flood.ts Q_CAP */
const Q_CAP = 245;

/** low 32 bits of a · b for u32 a, b, exact in doubles (Espruino has no Math.imul) */
function mul32(a: number, b: number): number {
  return ((((a >>> 16) * b) & 0xffff) * 65536 + (a & 0xffff) * b) >>> 0;
}

/** the per-message rank of node id for the frame (src, seq): u32, the same on every node */
export function tieRank(src: number, seq: number, id: number): number {
  let x = (mul32(src ^ (seq << 7), 0x9e3779b1) ^ mul32(id >>> 0, 0x85ebca6b) ^ seq) >>> 0;
  x = mul32(x ^ (x >>> 16), 0x7feb352d);
  x = mul32(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

export interface TieBreak {
  /**
   * A copy of frame (src, seq) from transmitter slot t was heard (t < 0: unknown, nothing to do). miss[base +
   * m] is neighbour m's chance × 255 of having no copy (flood.ts): discount each one still above thresh by the
   * candidates that got t's copy and rank below us. seen[at ..] (words) marks candidates already counted for
   * this frame, so that a node heard from twice counts once.
   */
  defer(miss: Uint8Array, base: number, t: number, src: number, seq: number, thresh: number, seen: Uint32Array, at: number): void;
  /** words of a seen set (one bit per candidate: neighbour slots, then far slots) */
  readonly words: number;
}

export function createTieBreak(nbrs: NeighbourTable): TieBreak {
  const C = nbrs.cap;
  const two = nbrs.two;
  const F = two.farCap;
  /** this copy's candidates below us: neighbour slot y, or C + far slot f; with their chance of having it */
  const cand = new Uint16Array(C + F);
  const has = new Uint8Array(C + F);

  function defer(miss: Uint8Array, base: number, t: number, src: number, seq: number, thresh: number, seen: Uint32Array, at: number): void {
    if (t < 0) return;
    const hear = two.hear;
    const farHear = two.farHear;
    const ids = nbrs.ids;
    const me = tieRank(src, seq, nbrs.selfId);
    let k = 0;
    for (let y = 0; y < C; y++) {
      if (y === t || ids[y] === 0 || nbrs.flags[y] & BeaconFlag.Leaf) continue;
      const h = hear[y * C + t];
      if (h < HAS_MIN || seen[at + (y >> 5)] & (1 << (y & 31)) || tieRank(src, seq, ids[y]) >= me) continue;
      seen[at + (y >> 5)] |= 1 << (y & 31);
      cand[k] = y;
      has[k++] = h > Q_CAP ? Q_CAP : h;
    }
    for (let f = 0; f < F; f++) {
      const h = farHear[t * F + f];
      const b = C + f;
      if (h < HAS_MIN || seen[at + (b >> 5)] & (1 << (b & 31)) || tieRank(src, seq, two.far[f]) >= me) continue;
      seen[at + (b >> 5)] |= 1 << (b & 31);
      cand[k] = b;
      has[k++] = h > Q_CAP ? Q_CAP : h;
    }
    if (k === 0) return;
    for (let m = 0; m < C; m++) {
      let v = miss[base + m];
      // a neighbour with few good links (an edge node, or a bridge into another cluster) is covered only by
      // copies actually sent: counting on others there cost whole clusters (one lost copy, nobody else left)
      if (v <= thresh || two.deg[m] < DEG_MIN) continue;
      for (let j = 0; j < k; j++) {
        const y = cand[j];
        let q = 0;
        if (y < C) {
          if (y === m) continue;
          // y must hear m too: it then knows m, and judges m's coverage from its own table
          q = hear[m * C + y];
          const back = hear[y * C + m];
          if (back < q) q = back;
        } else {
          q = farHear[m * F + y - C];
        }
        if (q < REACH_MIN) continue;
        if (q > Q_CAP) q = Q_CAP;
        // round up: never believe a neighbour better covered than the data says
        v = Math.ceil((v * (255 - Math.floor((has[j] * q) / 255))) / 255);
      }
      miss[base + m] = v;
    }
  }

  return { defer: defer, words: (C + F + 31) >> 5 };
}

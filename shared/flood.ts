/**
 * Flooding: when a node relays a flood-mode frame (broadcasts, and unicast frames with no route), after how
 * long, and when it cancels. Three policies share this file (router.ts picks one):
 *
 * - 'flood' (baseline): every node relays every new frame once, after a jitter of 0..2 slots.
 * - 'managed-flood' (baseline, Meshtastic FloodingRouter): a contention delay weighted by received signal,
 *   weaker = earlier (far nodes cover more new ground; RadioInterface::getTxDelayMsecWeighted), and the
 *   relay is cancelled as soon as one other copy is overheard. This is the rule that leaves coverage holes
 *   (meshtastic/firmware#8274: a node that only you reach is starved because you heard a farther relay).
 * - 'meshwork': a coverage-driven delay (below), and the relay is cancelled only when every neighbour that hears us
 *   has probably got the frame already, judged from the two-hop view (_two-hop.ts: beacons say who hears whom,
 *   how well, and over how many beacons; ratios over fewer than TRUST_SAMPLES are not trusted). Per queued
 *   relay and per neighbour m we keep miss[m], the probability that m has NOT received any copy: 1 for each
 *   neighbour that hears us; for every transmitter t we hear send the frame, miss[m] ×= 1 - hear(m, t) (m's
 *   receive ratio of t's beacons) and miss[t] = 0; then the nodes that got t's copy and rank below us for this
 *   message (per-message tie-break, _tie-break.ts) count as relays for the neighbours they reach, so that of
 *   several nodes that could cover the same neighbour exactly one does, never both and never neither.
 *   The relay is cancelled (or never queued) when every miss[m] ≤ coverMiss (default 0.1) from the copies
 *   heard alone. When it takes the tie-break to get there (a candidate below us probably got the copy and will
 *   pass it on), the relay is held instead: queued after the whole contention window (HOLD_SLOTS), and
 *   cancelled when any further copy leaves every neighbour covered. A candidate only probably has the frame
 *   (the copies it might have got were lost together: one collision or fade hits every receiver of a copy);
 *   if nobody is heard taking the frame on, the held relay goes out (seen: a source heard by 2 of its ~10
 *   neighbours, each counting on the others, and the broadcast died there). A neighbour
 *   whose beacons we have not heard yet, or that hears no overheard transmitter, keeps miss = 1 and so forces
 *   the relay: no coverage hole is left where our view is incomplete (#8274, #6863); a node with no usable
 *   neighbour at all (just booted) relays like a plain flood. This is self-pruning broadcast with a
 *   probabilistic coverage test and a priority order (Wu & Dai's coverage condition) instead of a fixed
 *   overheard-copies count. There is no discount for copies a neighbour might get later from beyond our range
 *   (an earlier guess, "ext", starved cluster bridges: their far side gets the frame only through them).
 *
 * Delay (ESP-NOW: slotMs ≈ one frame's airtime, default 2 ms), f = (rssi + 90) / 50 clamped to [0, 1]
 * (0 = weak):
 *   'managed-flood'  slot × (1 + 8f + rand × (2 + 8f)): weak links relay within ~1–3 slots, strong ones wait
 *                    9–19, so they usually overhear the far relays first (Meshtastic's weighting)
 *   'meshwork'       slot × (1 + 10 (1 - u) + 3f + rand × 4), u = the share of our (usable) neighbours that
 *                    probably still miss the frame: the relay that would cover most goes first (greedy set
 *                    cover), the others then overhear it and usually find themselves with nothing left to do
 *
 * Retransmission (meshwork): after sending, we fold our own delivery ratio to each neighbour (its report of
 * our beacons) into miss; if a neighbour with few good links (fewer than DEG_MIN, _tie-break.ts: a node on a
 * chain, at an edge or on a bridge, with nobody else to get the frame from) still probably missed it, one more
 * copy goes out later, unless overheard copies cover it first: it waits out the contention window (18–24
 * slots) for that. At most one extra copy per relay. Measured: a 6-node line with one 40 %-loss link, 3 seeds
 * × 40 broadcasts: reach 0.89 with the second copy, 0.735 without, pure flooding 0.755. A second copy for a
 * well-connected neighbour is wasted: before the DEG_MIN rule, 2,467 of them (13 % of all broadcast
 * transmissions, bench/routing.ts section 3) gave 30 nodes a first copy; such a neighbour hears the frame
 * from nodes we do not hear.
 *
 * Memory: miss is a Uint8Array of pool slots × neighbour capacity (probability × 255), seen one bit per pool
 * slot and tie-break candidate (2 words a slot with 32 neighbours), both allocated here once.
 */
import type { FramePool } from './_frame-pool.ts';
import type { NeighbourTable } from './neighbour-table.ts';
import { BeaconFlag } from './beacon.ts';
import { createTieBreak, DEG_MIN } from './_tie-break.ts';

/**
 * No single link is trusted beyond 0.96 (245/255): a ratio measured over 32 beacons reads 32/32 on a 90 %
 * link 3 % of the time, and then one overheard copy would wrongly count as covering. With the cap a copy
 * over a link measured ≥ 0.9 still covers at the default coverMiss 0.1, and weaker links need two.
 * Measured on 60-node random meshes (mini-air, seeds 61-63 × 8 broadcasts, frames per broadcast including
 * second copies; the graphs leave a few nodes unconnected, so pure flooding's reach is the ceiling): no loss
 * 21.8 frames (flooding 58.6: 0.37×) at flooding's reach (97.7 %); 10 % loss on every link 29.9 (0.53×),
 * reach 93.0 % (flooding 93.4 %); 20 % loss 37.0 (0.67×), 93.1 % (flooding 91.9 %). Meshtastic-style managed
 * flooding: 17–21 frames, 65–72 % reach. Earlier, before the tie-break: coverMiss 0.05 cost ~10 % more frames
 * for the same reach; 0.15 saved ~15 % and dropped reach to ~98.5 %.
 */
const Q_CAP = 245;
/**
 * A relay held on the strength of the tie-break waits this many slots (+ 0..6): past the contention window
 * (≤ 18 slots), so that the candidate it counts on is heard first when it does relay. Measured (100 nodes,
 * seeds 1-16, random / clusters / grid): 20 slots lost a cluster on clusters seed 12 where 30 did not;
 * holding instead of dropping these relays costs ~1 % more transmissions.
 */
const HOLD_SLOTS = 30;

export type FloodPolicy = 'meshwork' | 'flood' | 'managed-flood';

export interface FloodInit {
  policy: FloodPolicy;
  /** contention slot, ms; default 2 */
  slotMs?: number;
  /** a neighbour counts as covered when its chance of having missed every overheard copy is at most this; default 0.1 */
  coverMiss?: number;
}

export interface FloodComponents {
  pool: FramePool;
  nbrs: NeighbourTable;
  /** uniform in [0, 1) */
  rand: () => number;
}

export interface Flood {
  /**
   * A relay candidate in pool slot s, first heard at rssi dBm from neighbour slot t (-1: unknown): returns
   * the contention delay in ms, or -1 when no relay is needed (every neighbour is covered already).
   */
  start(s: number, t: number, rssi: number): number;
  /** another copy of slot s's frame was heard from neighbour slot t (-1: unknown): true = cancel the relay */
  overheard(s: number, t: number): boolean;
  /**
   * We just transmitted slot s's frame: fold in our own delivery ratio to each neighbour. Returns the delay
   * (ms) before one more copy when some neighbour still probably missed it, or -1 when done.
   */
  sent(s: number): number;
}

export function createFlood(init: FloodInit): (c: FloodComponents) => Flood {
  const policy = init.policy;
  const slot = init.slotMs === undefined ? 2 : init.slotMs;
  const thresh = Math.round((init.coverMiss === undefined ? 0.1 : init.coverMiss) * 255);
  return function (c) {
    const pool = c.pool;
    const nbrs = c.nbrs;
    const C = nbrs.cap;
    const miss = new Uint8Array(pool.cap * C);
    /** 1 for a relay queued without any neighbour view: it is never cancelled */
    const blind = new Uint8Array(pool.cap);
    const tie = createTieBreak(nbrs);
    const W = tie.words;
    /** per pool slot, W words: the tie-break candidates counted so far (each counts once per frame) */
    const seen = new Uint32Array(pool.cap * W);

    /** signal weight: 0 at -90 dBm (weak, far) .. 1 at -40 dBm (strong, near) */
    function weight(rssi: number): number {
      const f = (rssi + 90) / 50;
      return f < 0 ? 0 : f > 1 ? 1 : f;
    }

    /** expected neighbours still missing the frame, over those that hear us: 0..1 (1 with none usable) */
    function need(s: number): number {
      const base = s * C;
      let sum = 0;
      let n = 0;
      for (let m = 0; m < C; m++) {
        if (nbrs.usable[m] || nbrs.flags[m] & BeaconFlag.Repeater) {
          n++;
          sum += miss[base + m];
        }
      }
      return n === 0 ? 1 : sum / (255 * n);
    }

    /** fold transmitter t into slot s's miss vector; true when every neighbour is covered */
    function fold(s: number, t: number): boolean {
      const base = s * C;
      const hear = nbrs.hear;
      let all = true;
      if (t >= 0) miss[base + t] = 0;
      for (let m = 0; m < C; m++) {
        let v = miss[base + m];
        if (v === 0) continue;
        if (t >= 0) {
          let q = hear[m * C + t];
          if (q > Q_CAP) q = Q_CAP;
          if (q !== 0) {
            // round up: never believe a neighbour is better covered than the data says
            v = Math.ceil((v * (255 - q)) / 255);
            miss[base + m] = v;
          }
        }
        if (v > thresh) all = false;
      }
      return all;
    }

    function start(s: number, t: number, rssi: number): number {
      if (policy === 'flood') return c.rand() * 2 * slot;
      const f = weight(rssi);
      if (policy === 'managed-flood') return slot * (1 + 8 * f + c.rand() * (2 + 8 * f));
      const base = s * C;
      const usable = nbrs.usable;
      const flags = nbrs.flags;
      // neighbours that do not hear us (unusable links) cannot be helped by our relay; a repeater reports no
      // links (repeater.ts), so it is taken as missing the frame until we overhear it relay the frame
      let known = 0;
      for (let m = 0; m < C; m++) {
        const r = flags[m] & BeaconFlag.Repeater;
        miss[base + m] = usable[m] || r ? 255 : 0;
        known += usable[m] | r;
      }
      // no usable neighbour known yet (just booted, or all links one-way so far): we cannot judge coverage,
      // so we relay like a plain flood rather than risk a hole
      if (known === 0) {
        blind[s] = 1;
        return slot * (1 + c.rand() * 4);
      }
      blind[s] = 0;
      if (fold(s, t)) return -1;
      seen.fill(0, s * W, (s + 1) * W);
      tie.defer(miss, base, t, pool.src[s], pool.seq[s], thresh, seen, s * W);
      // covered only if the candidates below us pass it on: held, not dropped (see the top of the file)
      if (fold(s, -1)) return slot * (HOLD_SLOTS + c.rand() * 6);
      // greedy set cover: whoever would reach the most uncovered neighbours goes first; signal weight
      // (weak = far = earlier) breaks near-ties, and the random part separates equals
      const u = need(s);
      return slot * (1 + 10 * (1 - u) + 3 * f + c.rand() * 4);
    }

    function overheard(s: number, t: number): boolean {
      if (policy === 'flood') return false;
      if (policy === 'managed-flood') return true;
      if (blind[s] !== 0) return false;
      if (fold(s, t)) return true;
      // the nodes that got this copy may take over neighbours it missed
      tie.defer(miss, s * C, t, pool.src[s], pool.seq[s], thresh, seen, s * W);
      return fold(s, -1);
    }

    function sent(s: number): number {
      if (policy !== 'meshwork' || blind[s]) return -1;
      const base = s * C;
      // the neighbours' reports of our beacons, as far as they may be trusted (_two-hop.ts)
      const out = nbrs.two.sure;
      const deg = nbrs.two.deg;
      const flags = nbrs.flags;
      let all = true;
      for (let m = 0; m < C; m++) {
        let v = miss[base + m];
        if (v === 0) continue;
        // a repeater does not say how well it hears us: we hear its beacons, so take the link as good
        let q = flags[m] & BeaconFlag.Repeater ? Q_CAP : out[m];
        if (q > Q_CAP) q = Q_CAP;
        v = Math.ceil((v * (255 - q)) / 255);
        miss[base + m] = v;
        // only a neighbour with few good links is worth a second copy (see the top of the file)
        if (v > thresh && deg[m] < DEG_MIN) all = false;
      }
      // after the whole contention window (≤ ~17 slots), so that the relays it triggers can cancel it
      return all ? -1 : slot * (18 + c.rand() * 6);
    }

    return { start: start, overheard: overheard, sent: sent };
  };
}

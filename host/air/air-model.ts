/**
 * The air's decisions, without sockets: for a frame sent by node i, which nodes hear it and at what RSSI.
 * It reuses the simulator's radio model (host/sim/propagation.ts, links.ts, topology.ts), so real
 * interpreter processes meshed through the air see the same geometry, path loss, shadowing and frame error
 * curve as `meshwork sim`:
 *
 *   power(i, j) = the link map's power (path loss + that link's fixed shadowing) − fade(i, j), or an override
 *   per frame:  P = power + fast fading (σ = prop.fastFadingSigmaDb);  lost with FER(P) (propagation.ts) or
 *               with the extra `loss`;  RSSI = round(P), clamped to −128…−1 dBm.
 *
 * Links below the propagation floor are not links. Every random draw is a hash of (seed, sender, receiver,
 * that link's frame count), not a shared stream: the outcome of the k-th frame on a link does not depend on
 * how datagrams from different processes interleave, so a seeded run is reproducible. There is no collision
 * model: the processes run in real time and frames are forwarded as they come (the simulator models contention;
 * the air is for running the real firmware).
 */
import { createTopology, type Topology, type TopologyKind } from '../sim/topology.ts';
import { DEFAULT_PROPAGATION, frameErrorProb, type Propagation } from '../sim/propagation.ts';
import type { LinkMap } from '../sim/links.ts';
import { hash01, hashNormal } from '../sim/rng.ts';

export interface AirModelOptions {
  /** a built topology, a kind to build with `nodes`, or a link map */
  topology?: Topology | TopologyKind;
  links?: LinkMap;
  /** node count when `topology` is a kind */
  nodes?: number;
  /** extra random frame loss per (frame, receiver), 0..1 */
  loss?: number;
  seed?: number;
  /** the radio model (default host/sim DEFAULT_PROPAGATION) */
  prop?: Partial<Propagation>;
  /** fast fading on (default true); off makes RSSI the link's mean power and drops only FER draws */
  fastFading?: boolean;
}

export interface AirCounters {
  /** frames sent by live, known nodes */
  frames: number;
  /** (frame, receiver) deliveries */
  delivered: number;
  /** (frame, receiver) pairs in range but lost to the frame error rate or `loss` */
  lost: number;
  /** frames from or to dead nodes, not delivered */
  dead: number;
}

export interface AirModel {
  readonly n: number;
  readonly prop: Propagation;
  readonly links: LinkMap;
  readonly counters: AirCounters;
  /** receivers of one frame from node index `from`: calls out(to, rssi) for each */
  transmit(from: number, out: (to: number, rssi: number) => void): void;
  setAlive(i: number, alive: boolean): void;
  isAlive(i: number): boolean;
  /** extra attenuation on the link i–j, dB (0 lifts it) */
  fade(i: number, j: number, db: number): void;
  /** force the link i–j to `dbm` (null: remove the override; -Infinity: cut the link) */
  setLink(i: number, j: number, dbm: number | null): void;
  /** mean power on the link i–j now (after fades and overrides), dBm; -Infinity = no link */
  power(i: number, j: number): number;
  /** neighbours of i (links at or above the floor), ascending */
  neighbours(i: number): number[];
}

export function createAirModel(o: AirModelOptions): AirModel {
  const prop: Propagation = { ...DEFAULT_PROPAGATION, ...(o.prop ?? {}) };
  const seed = (o.seed ?? 1) >>> 0;
  let links: LinkMap;
  if (o.links) links = o.links;
  else if (o.topology && typeof o.topology === 'object') links = o.topology.links;
  else {
    const n = o.nodes ?? 0;
    if (!(n >= 2)) throw new Error('meshwork/air: a topology kind needs nodes ≥ 2');
    links = createTopology((o.topology ?? 'line') as TopologyKind, n, seed, prop).links;
  }
  const n = links.n;
  const loss = o.loss ?? 0;
  if (!(loss >= 0 && loss <= 1)) throw new Error('meshwork/air: loss must be in 0..1');
  const fading = o.fastFading !== false;
  const alive = new Uint8Array(n).fill(1);
  const fades = new Map<number, number>();
  const overrides = new Map<number, number>();
  const sent = new Map<number, number>();
  const counters: AirCounters = { frames: 0, delivered: 0, lost: 0, dead: 0 };
  const pair = (i: number, j: number) => (i < j ? i * n + j : j * n + i);

  function power(i: number, j: number): number {
    if (i === j) return -Infinity;
    const k = pair(i, j);
    const p = overrides.has(k) ? overrides.get(k)! : links.power(i, j);
    return p - (fades.get(k) ?? 0);
  }

  function neighbours(i: number): number[] {
    const r: number[] = [];
    for (let j = 0; j < n; j++) if (power(i, j) >= prop.floorDbm) r.push(j);
    return r;
  }

  function transmit(from: number, out: (to: number, rssi: number) => void): void {
    if (!alive[from]) { counters.dead++; return; }
    counters.frames++;
    for (let to = 0; to < n; to++) {
      const p = power(from, to);
      if (!(p >= prop.floorDbm)) continue;
      if (!alive[to]) { counters.dead++; continue; }
      const dk = from * n + to;
      const k = (sent.get(dk) ?? 0) + 1;
      sent.set(dk, k);
      const s = (seed ^ Math.imul(from + 1, 0x9e3779b1)) >>> 0;
      let x = fading ? hashNormal(s, to + 1, k) : 0;
      if (x > 3) x = 3; else if (x < -3) x = -3;
      const rx = p + prop.fastFadingSigmaDb * x;
      const ferLost = hash01(s ^ 0x51ed27, to + 1, k) < frameErrorProb(prop, rx);
      const extraLost = loss > 0 && hash01(s ^ 0x2545f491, to + 1, k) < loss;
      if (ferLost || extraLost) { counters.lost++; continue; }
      let r = Math.round(rx);
      if (r > -1) r = -1; else if (r < -128) r = -128;
      counters.delivered++;
      out(to, r);
    }
  }

  return {
    n, prop, links, counters, transmit, power, neighbours,
    setAlive(i, a) { alive[i] = a ? 1 : 0; },
    isAlive(i) { return alive[i] === 1; },
    fade(i, j, db) { if (db) fades.set(pair(i, j), db); else fades.delete(pair(i, j)); },
    setLink(i, j, dbm) { if (dbm === null) overrides.delete(pair(i, j)); else overrides.set(pair(i, j), dbm); },
  };
}

/** a link map with explicit powers (tests, hand-made topologies): pw(i, j) dBm or -Infinity */
export function explicitLinks(n: number, pw: (i: number, j: number) => number): LinkMap {
  const nb: Int32Array[] = [];
  const pws: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const a: number[] = [], b: number[] = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const p = pw(i, j);
      if (p > -Infinity) { a.push(j); b.push(p); }
    }
    nb.push(Int32Array.from(a));
    pws.push(Float64Array.from(b));
  }
  return {
    n, xs: new Float64Array(n), ys: new Float64Array(n), nb, pw: pws,
    move() { throw new Error('meshwork/air: explicit links cannot move'); },
    power(i, j) { const k = nb[i].indexOf(j); return k < 0 ? -Infinity : pws[i][k]; },
  };
}

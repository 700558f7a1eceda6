/**
 * Node placements: line, grid, random geometric, and clusters joined by thin bridges.
 *
 * Spacing comes from the propagation model, not from magic metres: `hopM` is the distance at which the mean
 * link sits 6 dB above sensitivity (about 2 % frame loss before shadowing). With a path-loss exponent of 3, a
 * node two hops away is only 9 dB weaker, so at hopM it sits 3 dB under sensitivity (about 88 % loss):
 * neighbours are in range and two-hop nodes mostly are not, as the brief asks. Shadowing (σ = 4 dB)
 * makes a few one-hop links poor and a few two-hop links usable, as on a real rooftop mesh.
 *
 * "Usable" links (graph checks, connectivity, hop distances) are those with power ≥ sensitivity + 3 dB.
 * Random and cluster layouts retry derived seeds until the usable graph is connected.
 */
import { createLinkMap, type LinkMap } from './links.ts';
import { distanceForDbm, type Propagation } from './propagation.ts';
import { createRng, mix32, type SimRng } from './rng.ts';

export type TopologyKind = 'line' | 'grid' | 'random' | 'clusters';
export const TOPOLOGIES: readonly TopologyKind[] = ['line', 'grid', 'random', 'clusters'];

export interface Topology {
  kind: TopologyKind;
  links: LinkMap;
  /** one-hop spacing used, m */
  hopM: number;
  /** seeds tried before the usable graph was connected */
  attempts: number;
  /** width and height of the bounding box, m */
  widthM: number;
  heightM: number;
}

/** Distance between neighbours: mean power 6 dB above sensitivity. */
export function hopSpacingM(p: Propagation): number {
  return distanceForDbm(p, p.sensitivityDbm + 6);
}

/** Links at least this strong count as usable for graph checks. */
export function usableDbm(p: Propagation): number {
  return p.sensitivityDbm + 3;
}

/** BFS hop distances over usable links among nodes with alive[i] (all when alive is omitted); -1 = unreachable. */
export function hopDistances(links: LinkMap, minDbm: number, src: number, alive?: Uint8Array): Int32Array {
  const dist = new Int32Array(links.n).fill(-1);
  if (alive && !alive[src]) return dist;
  const queue = new Int32Array(links.n);
  let head = 0, tail = 0;
  dist[src] = 0;
  queue[tail++] = src;
  while (head < tail) {
    const u = queue[head++];
    const nb = links.nb[u], pw = links.pw[u];
    for (let k = 0; k < nb.length; k++) {
      const v = nb[k];
      if (dist[v] >= 0 || pw[k] < minDbm || (alive && !alive[v])) continue;
      dist[v] = dist[u] + 1;
      queue[tail++] = v;
    }
  }
  return dist;
}

export function isConnected(links: LinkMap, minDbm: number, alive?: Uint8Array): boolean {
  let src = 0;
  if (alive) { src = alive.indexOf(1); if (src < 0) return true; }
  const d = hopDistances(links, minDbm, src, alive);
  for (let i = 0; i < links.n; i++) if (d[i] < 0 && (!alive || alive[i])) return false;
  return true;
}

function placeDisc(rng: SimRng, xs: Float64Array, ys: Float64Array, from: number, to: number, cx: number, cy: number, r: number): void {
  for (let i = from; i < to; i++) {
    // uniform in the disc: radius ∝ sqrt(u)
    const rr = r * Math.sqrt(rng.next());
    const a = 2 * Math.PI * rng.next();
    xs[i] = cx + rr * Math.cos(a);
    ys[i] = cy + rr * Math.sin(a);
  }
}

/**
 * Mean number of usable neighbours the random layouts aim for. Usable links reach beyond s (3 dB more
 * margin is 10^(3/30) = 1.26× the distance) and log-normal shadowing adds more, so the disc area per node
 * is scaled by AREA_PER_DEGREE (measured: it lands the mean usable degree near the target).
 */
const TARGET_DEGREE = 10;
const AREA_PER_DEGREE = 1.75;

function layout(kind: TopologyKind, n: number, s: number, rng: SimRng): { xs: Float64Array; ys: Float64Array } {
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  if (kind === 'line') {
    for (let i = 0; i < n; i++) xs[i] = i * s;
  } else if (kind === 'grid') {
    const side = Math.ceil(Math.sqrt(n));
    for (let i = 0; i < n; i++) { xs[i] = (i % side) * s; ys[i] = Math.floor(i / side) * s; }
  } else if (kind === 'random') {
    const side = s * Math.sqrt((n * Math.PI * AREA_PER_DEGREE) / TARGET_DEGREE);
    for (let i = 0; i < n; i++) { xs[i] = rng.next() * side; ys[i] = rng.next() * side; }
  } else {
    // clusters along a line, 2·s apart edge to edge (out of each other's range); between neighbouring
    // discs a bridge of 2 relays spaced 2s/3 joins two anchor nodes on the facing edges (anchors belong
    // to their clusters). Bridges are tighter than s because every bridge link must hold.
    const k = Math.max(2, Math.round(n / 30));
    const bridge = 2;
    const gap = 2 * s;
    const inClusters = n - (k - 1) * bridge;
    if (inClusters < k * 4) throw new Error('meshwork/sim: too few nodes for clusters (need about 10 per cluster)');
    const per = Math.floor(inClusters / k);
    const r = s * Math.sqrt((per * AREA_PER_DEGREE) / TARGET_DEGREE);
    const pitch = 2 * r + gap;
    let i = 0;
    for (let c = 0; c < k; c++) {
      const m = c === k - 1 ? inClusters - per * (k - 1) : per;
      const cx = c * pitch;
      const anchors: number[] = [];
      if (c > 0) anchors.push(cx - r);
      if (c < k - 1) anchors.push(cx + r);
      for (const ax of anchors) { xs[i] = ax; ys[i] = 0; i++; }
      placeDisc(rng, xs, ys, i, i + m - anchors.length, cx, 0, r);
      i += m - anchors.length;
      if (c < k - 1) {
        for (let b = 1; b <= bridge; b++) { xs[i] = cx + r + (b * gap) / (bridge + 1); ys[i] = 0; i++; }
      }
    }
  }
  return { xs, ys };
}

export function createTopology(kind: TopologyKind, n: number, seed: number, prop: Propagation, maxAttempts = 200): Topology {
  if (!TOPOLOGIES.includes(kind)) throw new Error(`meshwork/sim: unknown topology "${kind}" (${TOPOLOGIES.join(', ')})`);
  if (!Number.isInteger(n) || n < 2) throw new Error('meshwork/sim: a topology needs at least 2 nodes');
  const base = hopSpacingM(prop);
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    // a long line or grid needs every one of its links usable, which one shadowing draw rarely gives:
    // after every 20 failed draws, regular layouts tighten their spacing by 5 % (reported as hopM)
    const shrink = kind === 'line' || kind === 'grid' ? Math.pow(0.95, Math.floor((attempt - 1) / 20)) : 1;
    const s = base * shrink;
    const rng = createRng(mix32(seed) ^ attempt, 0x7090);
    const { xs, ys } = layout(kind, n, s, rng);
    // shadowing is keyed by the seed and the attempt, so a retry redraws positions and shadowing
    const links = createLinkMap(xs, ys, prop, mix32(seed ^ Math.imul(attempt, 0x9e3779b1)));
    if (isConnected(links, usableDbm(prop))) {
      let w = 0, h = 0;
      for (let i = 0; i < n; i++) { if (xs[i] > w) w = xs[i]; if (ys[i] > h) h = ys[i]; }
      return { kind, links, hopM: s, attempts: attempt, widthM: w, heightM: h };
    }
  }
  throw new Error(`meshwork/sim: no connected ${kind} layout of ${n} nodes in ${maxAttempts} seeds`);
}

/**
 * Who can hear whom: per-node lists of links above the propagation floor, with each link's received power
 * (path loss + that link's fixed shadowing) computed once. A uniform spatial grid whose cell is the
 * largest possible reach finds candidates in the 3×3 cells around a node, so building the lists is
 * O(N·density) instead of O(N²), and moving one node rebuilds only the lists it appears in.
 *
 * Lists are sorted by node index so that iteration order (and so every RNG draw that follows it) depends
 * only on the geometry, never on grid internals.
 */
import { linkRxDbm, maxReachM, type Propagation } from './propagation.ts';

export interface LinkMap {
  readonly n: number;
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  /** nodes that hear node i above the floor, ascending */
  nb: Int32Array[];
  /** received power of i's frames at nb[i][k], dBm (links are symmetric) */
  pw: Float64Array[];
  /** move node i and rebuild the lists it was or now is in */
  move(i: number, x: number, y: number): void;
  /** link power between i and j (dBm) or -Infinity when below the floor */
  power(i: number, j: number): number;
}

export function createLinkMap(xs: Float64Array, ys: Float64Array, prop: Propagation, seed: number): LinkMap {
  const n = xs.length;
  const reach = maxReachM(prop);
  const cells = new Map<number, number[]>();
  const cellOf = new Float64Array(n);
  const nb: Int32Array[] = new Array(n);
  const pw: Float64Array[] = new Array(n);
  // cell coordinates are small integers: pack (cx, cy) into one key
  const key = (cx: number, cy: number): number => (cx + 32768) * 65536 + (cy + 32768);
  const cx = (x: number): number => Math.floor(x / reach);

  function place(i: number): void {
    const k = key(cx(xs[i]), cx(ys[i]));
    cellOf[i] = k;
    let c = cells.get(k);
    if (!c) { c = []; cells.set(k, c); }
    c.push(i);
  }

  const tmpN: number[] = [];
  const tmpP: number[] = [];
  const order: number[] = [];
  function rebuild(i: number): void {
    tmpN.length = 0;
    tmpP.length = 0;
    const x = xs[i], y = ys[i];
    const ci = cx(x), cj = cx(y);
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        const c = cells.get(key(ci + dx, cj + dy));
        if (!c) continue;
        for (let t = 0; t < c.length; t++) {
          const j = c[t];
          if (j === i) continue;
          const ddx = xs[j] - x, ddy = ys[j] - y;
          const d = Math.sqrt(ddx * ddx + ddy * ddy);
          if (d > reach) continue;
          const p = linkRxDbm(prop, seed, i, j, d);
          if (p < prop.floorDbm) continue;
          tmpN.push(j);
          tmpP.push(p);
        }
      }
    }
    order.length = 0;
    for (let t = 0; t < tmpN.length; t++) order.push(t);
    order.sort((a, b) => tmpN[a] - tmpN[b]);
    const a = new Int32Array(order.length);
    const b = new Float64Array(order.length);
    for (let t = 0; t < order.length; t++) { a[t] = tmpN[order[t]]; b[t] = tmpP[order[t]]; }
    nb[i] = a;
    pw[i] = b;
  }

  for (let i = 0; i < n; i++) place(i);
  for (let i = 0; i < n; i++) rebuild(i);

  function move(i: number, x: number, y: number): void {
    const touched = new Set<number>(nb[i]);
    const c = cells.get(cellOf[i])!;
    c.splice(c.indexOf(i), 1);
    xs[i] = x;
    ys[i] = y;
    place(i);
    rebuild(i);
    for (const j of nb[i]) touched.add(j);
    const list = [...touched].sort((p, q) => p - q);
    for (const j of list) rebuild(j);
  }

  function power(i: number, j: number): number {
    const l = nb[i];
    // binary search: lists are sorted
    let lo = 0, hi = l.length - 1;
    while (lo <= hi) {
      const m = (lo + hi) >> 1;
      if (l[m] === j) return pw[i][m];
      if (l[m] < j) lo = m + 1; else hi = m - 1;
    }
    return -Infinity;
  }

  return { n, xs, ys, nb, pw, move, power };
}

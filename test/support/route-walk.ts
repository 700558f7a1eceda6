/** Helpers over routers' table views: follow next hops, find loops, shortest paths on the test topology. */
import type { MiniAir } from './mini-air.ts';

export interface Walk {
  /** 'ok' reached dst, 'noroute' stopped at a node without a finite route, 'loop' visited a node twice */
  end: 'ok' | 'noroute' | 'loop';
  path: number[];
}

/** the routing tables of every live node: index → (dst id → next hop id), finite routes only */
export function snapshot(air: MiniAir): Map<number, number>[] {
  return air.nodes.map((n) => {
    const m = new Map<number, number>();
    if (!n.alive) return m;
    for (const r of n.router.routes()) if (r.metric < 0x7fff && r.nextHop !== 0) m.set(r.dst, r.nextHop);
    return m;
  });
}

export function walk(air: MiniAir, tables: Map<number, number>[], from: number, dstId: number): Walk {
  const path = [from];
  const seen = new Set<number>([from]);
  let cur = from;
  for (;;) {
    if (air.nodes[cur].id === dstId) return { end: 'ok', path };
    const nh = tables[cur].get(dstId);
    if (nh === undefined) return { end: 'noroute', path };
    const next = air.index(nh);
    if (next < 0 || !air.nodes[next].alive) return { end: 'noroute', path };
    if (seen.has(next)) return { end: 'loop', path: [...path, next] };
    seen.add(next);
    path.push(next);
    cur = next;
  }
}

/** every loop in the next-hop graphs of all destinations, as index paths */
export function loops(air: MiniAir): number[][] {
  const t = snapshot(air);
  const found: number[][] = [];
  for (const d of air.nodes) {
    for (let s = 0; s < air.nodes.length; s++) {
      if (!air.nodes[s].alive) continue;
      const w = walk(air, t, s, d.id);
      if (w.end === 'loop') found.push(w.path);
    }
  }
  return found;
}

/** BFS hop distances from `from` over the air's current links among live nodes */
export function hopsFrom(air: MiniAir, from: number): number[] {
  const n = air.nodes.length;
  const dist = new Array(n).fill(-1);
  dist[from] = 0;
  const q = [from];
  while (q.length) {
    const x = q.shift()!;
    for (let y = 0; y < n; y++) {
      if (dist[y] < 0 && air.nodes[y].alive && air.linked(x, y)) {
        dist[y] = dist[x] + 1;
        q.push(y);
      }
    }
  }
  return dist;
}

/**
 * Route repair measurement (--kill-relay T): which pair to watch, which relay to kill, and how long the pair
 * went without delivery. All choices come from what the simulator can see from outside the routers: the
 * geometry (usable links), the frames on the air (who relayed the probe pair's last delivered message) and
 * deliveries.
 *
 *  - pair: a random pair at least 3 usable hops apart (the farthest found in 64 tries otherwise), probed
 *    with one message every second from the end of the warm-up;
 *  - relay: among the nodes that relayed the last delivered probe, prefer one whose death leaves the pair
 *    connected over usable links (so a repair is possible), then the one nearest the middle of the path;
 *    if no probe was delivered yet, the nodes of a shortest usable path;
 *  - repair time: from T to the first delivery of a probe sent at or after T (a probe sent earlier may
 *    already have passed the relay). In beacon intervals: divided by the median gap between two beacons of
 *    the same node in the minute before T (the interval the routers were actually using).
 */
import type { LinkMap } from './links.ts';
import type { SimRng } from './rng.ts';
import { hopDistances } from './topology.ts';

export function pickProbePair(links: LinkMap, minDbm: number, n: number, rng: SimRng): [number, number] {
  let best: [number, number] = [0, n - 1], bestD = -1;
  for (let t = 0; t < 64; t++) {
    const s = rng.int(n);
    const d = hopDistances(links, minDbm, s);
    // the farthest node from s (capped at 6 hops so the path stays typical), ties to the lowest index
    let far = -1, fd = -1;
    for (let j = 0; j < n; j++) {
      const dj = Math.min(d[j], 6);
      if (dj > fd) { fd = dj; far = j; }
    }
    if (fd > bestD) { bestD = fd; best = [s, far]; }
    if (fd >= 3) break;
  }
  return best;
}

/** One shortest usable path from s to d (node list, s first), or [] when none. */
export function shortestPath(links: LinkMap, minDbm: number, s: number, d: number, alive: Uint8Array): number[] {
  const ds = hopDistances(links, minDbm, d, alive);
  if (ds[s] < 0) return [];
  const path = [s];
  let u = s;
  while (u !== d) {
    const nb = links.nb[u], pw = links.pw[u];
    let next = -1;
    for (let k = 0; k < nb.length; k++) if (pw[k] >= minDbm && ds[nb[k]] === ds[u] - 1) { next = nb[k]; break; }
    if (next < 0) return [];
    path.push(next);
    u = next;
  }
  return path;
}

export interface RelayChoice { relay: number | null; chosenFrom: string; candidates: number; pairStillConnected: boolean | null }

export function chooseRelay(links: LinkMap, minDbm: number, s: number, d: number, lastRelays: number[], alive: Uint8Array): RelayChoice {
  let from = 'last delivered probe';
  let cands = lastRelays.filter((x) => x !== s && x !== d && alive[x]);
  if (cands.length === 0) {
    from = 'shortest usable path (no probe delivered yet)';
    cands = shortestPath(links, minDbm, s, d, alive).slice(1, -1);
  }
  const ds = hopDistances(links, minDbm, s, alive);
  const half = ds[d] / 2;
  const scored = cands.map((x) => {
    const without = alive.slice();
    without[x] = 0;
    return { x, keeps: hopDistances(links, minDbm, s, without)[d] >= 0, off: Math.abs(ds[x] - half) };
  });
  scored.sort((a, b) => Number(b.keeps) - Number(a.keeps) || a.off - b.off || a.x - b.x);
  const pick = scored[0];
  if (!pick) return { relay: null, chosenFrom: 'no relay between the pair (they are neighbours)', candidates: 0, pairStillConnected: null };
  return { relay: pick.x, chosenFrom: from, candidates: cands.length, pairStillConnected: pick.keeps };
}

export function repairFigure(killAtMs: number, probe: Uint8Array, sentAt: Float64Array, deliveredAt: Float64Array, beaconGapMs: number | null) {
  // the earliest delivery of a probe sent at or after T (a later probe can overtake an earlier one)
  let firstAt = Infinity;
  for (let k = 0; k < probe.length; k++) {
    if (probe[k] && sentAt[k] >= killAtMs && deliveredAt[k] >= 0 && deliveredAt[k] < firstAt) firstAt = deliveredAt[k];
  }
  const first = firstAt < Infinity ? firstAt - killAtMs : -1;
  // probes sent between T and that delivery that never arrived
  let lost = 0;
  for (let k = 0; k < probe.length; k++) {
    if (probe[k] && sentAt[k] >= killAtMs && sentAt[k] < firstAt && deliveredAt[k] < 0) lost++;
  }
  return {
    repairMs: first >= 0 ? Number(first.toFixed(2)) : null,
    probesLostBeforeRepair: lost,
    beaconIntervalMs: beaconGapMs === null ? null : Number(beaconGapMs.toFixed(1)),
    beaconIntervals: first >= 0 && beaconGapMs ? Number((first / beaconGapMs).toFixed(3)) : null,
  };
}

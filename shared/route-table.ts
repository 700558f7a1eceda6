/**
 * Route table: one selected route per destination, distance vector with Babel's feasibility condition
 * (RFC 8966 §3.5), so the next-hop graph never contains a loop, not even while routes change.
 *
 * Per destination d we keep the selected route (next hop, metric, the next hop's advertised metric, route
 * seqno) and the feasibility distance FD(d) = (fdSeq, fdMetric): the best (newest seqno, then lowest metric)
 * distance this node has itself ADVERTISED for d (advertised() updates it; retractions do not).
 *
 * Feasibility (RFC 8966 §3.5.1): an update (seqno s, advertised metric a) is feasible when a is infinite
 * (a retraction), or no FD exists yet, or s is newer than fdSeq, or s = fdSeq and a < fdMetric — strictly.
 * Only feasible updates can select a route. Why it is loop-free: if A routes via B, B's advertised metric is
 * below FD(A) and FD(B) ≤ anything B advertised, so along next hops the pair (seqno, FD) strictly improves
 * and can never come back to A.
 * Selection: an update from the current next hop replaces the route when feasible (also when worse, which
 * is how a path's cost rises); an unfeasible update from it is ignored (§3.5.4 allows it: the stored, older
 * values stay loop-free) and the caller sends a seqno request so that d raises its seqno (§3.8.1.2) and
 * fresh, feasible metrics flow. An update from another neighbour replaces the route when feasible and better
 * by a hysteresis margin (max(16, metric/8)), or when the route is retracted.
 * Loss: a retraction from the next hop, the next hop disappearing (lostNeighbour) or the route not being
 * refreshed within its hold time sets the metric to METRIC_INF (nextHop 0) and marks it for a triggered
 * retraction; the entry and its FD are kept for another hold time (so stale updates from nodes that route
 * through us stay unfeasible), then freed.
 *
 * Memory: fixed typed-array columns of `capacity`. A full table makes room for a new destination by
 * freeing the oldest retracted entry, else by evicting the worst finite route if the newcomer is better by
 * the hysteresis margin (gateway routes are never evicted for non-gateways); an evicted route we advertised
 * is queued for a retraction (so neighbours using it through us let go), since its FD is forgotten.
 * Lookups use the native Uint32Array indexOf.
 */
import { METRIC_INF, ADVERT_MAX_ENTRIES } from './beacon.ts';
import type { Advert } from './beacon.ts';
import { RouteChange, seqNewer16 } from './route-types.ts';
import type { RouteTable, RouteTableInit } from './route-types.ts';

export type { RouteTable, RouteTableInit } from './route-types.ts';


const F_GW = 1;
const F_DIRTY = 2;
const F_FD = 4;
const REPEAT = 2;
/** a seqno request for a route makes its next seqno change urgent for this long */
const REQUEST_WINDOW_MS = 10000;

export function createRouteTable(init: RouteTableInit): RouteTable {
  const cap = init.capacity;
  if (!(cap >= 1 && cap === (cap | 0))) throw new Error('meshwork/route-table: capacity must be an integer >= 1');
  const selfId = init.selfId >>> 0;
  const dsts = new Uint32Array(cap);
  const nh = new Uint32Array(cap);
  const metric = new Uint16Array(cap);
  const adv = new Uint16Array(cap);
  const seqno = new Uint16Array(cap);
  const fdSeqs = new Uint16Array(cap);
  const fdMetric = new Uint16Array(cap);
  const flags = new Uint8Array(cap);
  const expires = new Float64Array(cap);
  const requestedAt = new Float64Array(cap);
  /** the metric we last advertised per entry: triggered updates compare against it (hysteresis), so a metric
   *  drifting by small steps is not re-announced at every step; the periodic dumps carry the drift */
  const sent = new Uint16Array(cap);
  /** further triggered sends still owed for an urgent change (see urgent()) */
  const rep = new Uint8Array(cap);
  // evicted destinations we had advertised: retracted in the next update (a small ring)
  const RING = 8;
  const gone = new Uint32Array(RING);
  const goneSeq = new Uint16Array(RING);
  let goneN = 0;
  let count = 0;
  let anyDirty = false;

  /** switching hysteresis: ETX from 32 beacons is noisy by ~10 % per link at 10 % loss, so 1/8 (≥ 16) */
  function margin(m: number): number {
    const h = m >> 3;
    return h > 16 ? h : 16;
  }

  /** m differs from what we last advertised for i by a quarter or more (+8): worth a triggered update */
  function significant(i: number, m: number): boolean {
    const p = sent[i];
    return m > p + (p >> 2) + 8 || m + (p >> 2) + 8 < p;
  }

  function lookup(d: number): number {
    const i = d === 0 ? -1 : dsts.indexOf(d >>> 0);
    return i >= 0 && metric[i] < METRIC_INF ? i : -1;
  }

  function mark(i: number): void {
    flags[i] |= F_DIRTY;
    anyDirty = true;
  }

  /** an urgent change (retraction, route restored, requested seqno) goes out in REPEAT + 1 triggered updates:
   *  one lost frame must not strand it. New and improved routes go once: if that is lost, the neighbour's
   *  older view is still loop-free and the next full dump corrects it. */
  function urgent(i: number): void {
    mark(i);
    rep[i] = REPEAT;
  }

  function feasible(i: number, s: number, a: number): boolean {
    if (a >= METRIC_INF || !(flags[i] & F_FD)) return true;
    return seqNewer16(s, fdSeqs[i]) || (s === fdSeqs[i] && a < fdMetric[i]);
  }

  function retract(i: number, now: number, holdMs: number): void {
    metric[i] = METRIC_INF;
    nh[i] = 0;
    expires[i] = now + holdMs;
    urgent(i);
  }

  function free(i: number): void {
    dsts[i] = 0;
    nh[i] = 0;
    flags[i] = 0;
    metric[i] = METRIC_INF;
    count--;
  }

  /** a slot for a new destination reachable at metric m, or -1 */
  function place(m: number, gw: boolean): number {
    let i = dsts.indexOf(0);
    if (i >= 0) return i;
    let old = -1;
    let worst = -1;
    for (let k = 0; k < cap; k++) {
      if (metric[k] >= METRIC_INF) {
        if (old < 0 || expires[k] < expires[old]) old = k;
      } else if ((gw || !(flags[k] & F_GW)) && (worst < 0 || metric[k] > metric[worst])) {
        worst = k;
      }
    }
    if (old >= 0) i = old;
    else if (worst >= 0 && m + margin(m) < metric[worst]) {
      i = worst;
      if (flags[i] & F_FD && goneN < RING) {
        gone[goneN] = dsts[i];
        goneSeq[goneN] = seqno[i];
        goneN++;
        anyDirty = true;
      }
    } else return -1;
    free(i);
    rep[i] = 0;
    return i;
  }

  function update(nb: number, c: number, d: number, s: number, a: number, gw: boolean, holdMs: number, now: number): number {
    d = d >>> 0;
    if (d === selfId) return RouteChange.None;
    const m = a >= METRIC_INF || c >= METRIC_INF ? METRIC_INF : a + c >= METRIC_INF ? METRIC_INF - 1 : a + c;
    let i = d === 0 ? -1 : dsts.indexOf(d);
    if (i < 0) {
      if (m >= METRIC_INF) return RouteChange.None;
      i = place(m, gw);
      if (i < 0) return RouteChange.None;
      count++;
      dsts[i] = d;
      flags[i] = gw ? F_GW : 0;
      nh[i] = nb;
      metric[i] = m;
      adv[i] = a;
      seqno[i] = s;
      expires[i] = now + holdMs;
      requestedAt[i] = -1e15;
      mark(i);
      return RouteChange.Changed | RouteChange.Dirty;
    }
    const ok = feasible(i, s, a);
    if (gw) flags[i] |= F_GW;
    if (nh[i] === nb && metric[i] < METRIC_INF) {
      if (!ok) {
        // still advertised, only worse than we may accept: keep the old (loop-free) values alive and ask
        // the destination for a new seqno, after which the real metric becomes feasible again
        expires[i] = now + holdMs;
        return RouteChange.WantSeqno;
      }
      const seqChanged = s !== seqno[i];
      adv[i] = a;
      seqno[i] = s;
      if (m >= METRIC_INF) {
        retract(i, now, holdMs);
        return RouteChange.Changed | RouteChange.Dirty | RouteChange.Urgent;
      }
      metric[i] = m;
      expires[i] = now + holdMs;
      // a new seqno is pushed at once only where someone asked for it (a request passed here); otherwise
      // it rides the next full dump, so periodic seqno bumps cost no triggered traffic
      if (seqChanged && now - requestedAt[i] < REQUEST_WINDOW_MS) {
        urgent(i);
        return RouteChange.Dirty | RouteChange.Urgent;
      }
      if (significant(i, m) && !(flags[i] & F_DIRTY)) {
        mark(i);
        return RouteChange.Dirty;
      }
      return RouteChange.None;
    }
    if (m >= METRIC_INF) return metric[i] < METRIC_INF && a >= METRIC_INF ? RouteChange.Answer : RouteChange.None;
    if (!ok) return metric[i] >= METRIC_INF ? RouteChange.WantSeqno : RouteChange.None;
    if (metric[i] < METRIC_INF && !(m + margin(metric[i]) < metric[i])) return RouteChange.None;
    // a route coming back from retraction is urgent (repair); a better next hop only lowers our metric
    const restored = metric[i] >= METRIC_INF;
    if (restored) urgent(i);
    else mark(i);
    nh[i] = nb;
    metric[i] = m;
    adv[i] = a;
    seqno[i] = s;
    expires[i] = now + holdMs;
    return RouteChange.Changed | RouteChange.Dirty | (restored ? RouteChange.Urgent : 0);
  }

  function relink(nb: number, c: number): boolean {
    let big = false;
    let i = nh.indexOf(nb);
    while (i >= 0) {
      if (metric[i] < METRIC_INF) {
        const m = c >= METRIC_INF ? METRIC_INF - 1 : adv[i] + c >= METRIC_INF ? METRIC_INF - 1 : adv[i] + c;
        metric[i] = m;
        // triggered updates only for changes of a quarter or more against what we last advertised: ETX
        // noise stays in the periodic dumps
        if (significant(i, m) && !(flags[i] & F_DIRTY)) {
          mark(i);
          big = true;
        }
      }
      i = nh.indexOf(nb, i + 1);
    }
    return big;
  }

  function lostNeighbour(nb: number, now: number, holdMs: number): number {
    let n = 0;
    let i = nh.indexOf(nb);
    while (i >= 0) {
      retract(i, now, holdMs);
      n++;
      i = nh.indexOf(nb, i + 1);
    }
    return n;
  }

  function expire(now: number, holdMs: number): number {
    let n = 0;
    for (let i = 0; i < cap; i++) {
      if (dsts[i] === 0 || now < expires[i]) continue;
      if (metric[i] < METRIC_INF) {
        retract(i, now, holdMs);
        n++;
      } else free(i);
    }
    return n;
  }

  function nextExpiry(): number {
    let e = -1;
    for (let i = 0; i < cap; i++) if (dsts[i] !== 0 && (e < 0 || expires[i] < e)) e = expires[i];
    return e;
  }

  function bestGateway(): number {
    let b = -1;
    for (let i = 0; i < cap; i++) {
      if (flags[i] & F_GW && dsts[i] !== 0 && metric[i] < METRIC_INF && (b < 0 || metric[i] < metric[b])) b = i;
    }
    return b;
  }

  function put(a: Advert, d: number, s: number, m: number, g: boolean): void {
    const k = a.n;
    a.dsts[k] = d;
    a.seqs[k] = s;
    a.metrics[k] = m;
    a.gw[k] = g ? 1 : 0;
    a.n = k + 1;
  }

  function fill(a: Advert, from: number, dirtyOnly: boolean): number {
    while (goneN > 0 && a.n < ADVERT_MAX_ENTRIES) {
      goneN--;
      put(a, gone[goneN], goneSeq[goneN], METRIC_INF, false);
    }
    let i = from;
    for (; i < cap && a.n < ADVERT_MAX_ENTRIES; i++) {
      if (dsts[i] === 0 || (dirtyOnly && !(flags[i] & F_DIRTY))) continue;
      const m = metric[i];
      put(a, dsts[i], seqno[i], m, (flags[i] & F_GW) !== 0);
      sent[i] = m;
      if (dirtyOnly && rep[i] > 0) rep[i]--;
      else {
        flags[i] &= ~F_DIRTY;
        rep[i] = 0;
      }
      if (m < METRIC_INF && (!(flags[i] & F_FD) || seqNewer16(seqno[i], fdSeqs[i]) || (seqno[i] === fdSeqs[i] && m < fdMetric[i]))) {
        fdSeqs[i] = seqno[i];
        fdMetric[i] = m;
        flags[i] |= F_FD;
      }
    }
    if (i >= cap) {
      anyDirty = goneN > 0;
      for (let k = 0; k < cap && !anyDirty; k++) if (flags[k] & F_DIRTY) anyDirty = true;
    }
    return i;
  }

  return {
    cap: cap,
    dsts: dsts,
    nh: nh,
    metric: metric,
    seqno: seqno,
    lookup: lookup,
    slotOf: function (d: number): number { return d === 0 ? -1 : dsts.indexOf(d >>> 0); },
    nextHop: function (d: number): number {
      const i = lookup(d);
      return i < 0 ? 0 : nh[i];
    },
    update: update,
    relink: relink,
    lostNeighbour: lostNeighbour,
    expire: expire,
    nextExpiry: nextExpiry,
    bestGateway: bestGateway,
    isGateway: function (i: number): boolean { return (flags[i] & F_GW) !== 0; },
    fdSeq: function (i: number): number { return fdSeqs[i]; },
    hasFd: function (i: number): boolean { return (flags[i] & F_FD) !== 0; },
    touch: mark,
    dirty: function (): boolean { return anyDirty; },
    fill: fill,
    requestedAt: requestedAt,
    count: function (): number { return count; },
  };
}

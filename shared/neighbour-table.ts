/**
 * Neighbour table: who this node hears, how well, and how well they hear it (beacon.ts carries both).
 *
 * Link quality (ETX, De Couto et al.; Babel's rxcost, RFC 8966 §3.4.3 and appendix A):
 *   dr  share of the neighbour's beacons we received: a 32-beacon history bitmap advanced by the gap in its
 *       beacon seqnos (losses show up even when intervals change), and by the time since its last beacon
 *       when it falls silent (a beacon is missed every announced interval)
 *   df  share of OUR beacons the neighbour received, read from its beacon's entry for us
 *   cost = 100 / (df · dr) (ETX × 100) + an RSSI tie-break of 0..5 between -70 and -90 dBm, so that of two
 *       links with the same delivery ratios the stronger wins. A link is unusable (METRIC_INF) when either
 *       ratio is below 0.1 (ETX > 10), when the neighbour does not list us (one-way link), or when its average
 *       RSSI is below the gate (default -90 dBm: such links work only on quiet days). To become usable (again)
 *       a link needs both ratios ≥ 0.2 and RSSI ≥ gate + 2 dB: hysteresis against flapping.
 * Neighbours are kept for `expiryFactor` (3.5) × their announced beacon interval after the last frame heard
 * from them (any authenticated frame whose transmitter is known: beacons, adverts, acks, flood relays), so a
 * neighbour whose beacons happen to be lost three times in a row is not dropped while it is clearly talking.
 *
 * Two-hop view, for managed flooding without coverage holes (flood.ts), in _two-hop.ts: hear[m·cap + t] is
 * neighbour m's receive ratio of neighbour t (from m's beacon), so a node knows which of its neighbours heard a
 * relay by t; and the far nodes each neighbour hears (two hops away), so that flooding can count on the
 * nodes that got a copy beyond our range. Our beacon tells, for each entry, how many beacon slots its ratio is
 * measured over (neighbours trust a ratio only from a few samples up) and whether that neighbour is a leaf.
 *
 * Capacity from RouterInit (board profile): all columns are typed arrays of `cap` (hear is cap²); a full
 * table evicts its worst entry for a newcomer only when that entry is unusable or the newcomer is at least
 * 6 dB stronger, so a crowd of marginal nodes cannot churn out the good links; otherwise it refuses.
 */
import { BeaconFlag, BeaconInfo, METRIC_INF } from './beacon.ts';
import type { Beacon } from './beacon.ts';
import { createTwoHop } from './_two-hop.ts';
import type { NeighbourTable, NeighbourTableInit } from './neighbour-types.ts';

export type { NeighbourTable, NeighbourTableInit } from './neighbour-types.ts';


function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  v = (v + (v >>> 4)) & 0x0f0f0f0f;
  v = v + (v >>> 8);
  v = v + (v >>> 16);
  return v & 0x3f;
}

/** beacons remembered per neighbour: 32, so that a 90 % link reads as perfect only 3 % of the time (flood.ts
 *  trusts these ratios to cancel relays; 16 beacons would show 16/16 on a 90 % link 18 % of the time) */
const HISTORY = 32;

export function createNeighbourTable(init: NeighbourTableInit): NeighbourTable {
  const cap = init.capacity;
  if (!(cap >= 1 && cap <= 255 && cap === (cap | 0))) throw new Error('meshwork/neighbour-table: capacity must be 1..255');
  const selfId = init.selfId >>> 0;
  const gate = init.rssiGateDbm === undefined ? -90 : init.rssiGateDbm;
  const factor = init.expiryFactor === undefined ? 3.5 : init.expiryFactor;
  const maxFail = init.maxFailures === undefined ? 2 : init.maxFailures;
  const ids = new Uint32Array(cap);
  const shorts = new Int32Array(cap).fill(-1);
  const rows = createTwoHop(cap, selfId, ids);
  const out = new Uint8Array(cap);
  const flags = new Uint8Array(cap);
  const routeSeq = new Uint16Array(cap);
  const hist = new Uint32Array(cap);
  const seen = new Uint8Array(cap);
  const lastSeq = new Uint16Array(cap);
  const lastBeacon = new Float64Array(cap);
  const lastHeard = new Float64Array(cap);
  const interval = new Float64Array(cap);
  const rssiAvg = new Float32Array(cap);
  const failures = new Uint8Array(cap);
  const usable = new Uint8Array(cap);
  let count = 0;
  let changed = false;
  /** beacon slots behind the last rxRatio() result (fill() reports it) */
  let rxN = 0;

  function slotOf(id: number): number {
    return id === 0 ? -1 : ids.indexOf(id >>> 0);
  }

  function clear(s: number): void {
    ids[s] = 0;
    shorts[s] = -1;
    rows.clear(s);
    out[s] = 0;
    flags[s] = 0;
    usable[s] = 0;
    failures[s] = 0;
  }

  function rxRatio(s: number, now: number): number {
    let h = hist[s];
    let n = seen[s];
    const iv = interval[s];
    // beacons that should have arrived since the last one count as missed (lazily: state is not changed)
    if (iv > 0 && now - lastBeacon[s] > iv * 1.5) {
      const missed = Math.floor((now - lastBeacon[s]) / iv);
      h = missed >= HISTORY ? 0 : (h << missed) >>> 0;
      n = n + missed > HISTORY ? HISTORY : n + missed;
    }
    rxN = n;
    if (n === 0) return 0;
    return Math.round((popcount32(h) * 255) / n);
  }

  function cost(s: number, now: number): number {
    if (ids[s] === 0) return METRIC_INF;
    const dr = rxRatio(s, now);
    const df = out[s];
    // hysteresis: a link becomes usable at ratios ≥ 0.2 and RSSI ≥ gate + 2 dB, and stays usable down to 0.1
    // and the gate, so a link at the edge does not flap (each flip is a neighbourhood change: beacons and
    // dumps speed up, routes are retracted and restored)
    const u = usable[s];
    const lo = u ? 26 : 51;
    if (dr < lo || df < lo || rssiAvg[s] < (u ? gate : gate + 2)) return METRIC_INF;
    const etx = 100 * (255 / dr) * (255 / df);
    const r = rssiAvg[s];
    const c = Math.round(etx + (r < -70 ? (-70 - r) / 4 : 0));
    return c >= METRIC_INF ? METRIC_INF : c;
  }

  function noteUsable(s: number, now: number): void {
    const u = cost(s, now) < METRIC_INF ? 1 : 0;
    if (u !== usable[s]) {
      usable[s] = u;
      changed = true;
    }
  }

  /** a slot for a newcomer at rssi, or -1 */
  function place(rssi: number, now: number): number {
    let s = ids.indexOf(0);
    if (s >= 0) return s;
    let worst = -1;
    let worstCost = -1;
    for (let i = 0; i < cap; i++) {
      const c = cost(i, now);
      if (c > worstCost || (c === worstCost && lastHeard[i] < lastHeard[worst])) {
        worst = i;
        worstCost = c;
      }
    }
    if (worstCost >= METRIC_INF || rssi >= rssiAvg[worst] + 6) return worst;
    return -1;
  }

  function onBeacon(id: number, b: Beacon, rssi: number, now: number): number {
    id = id >>> 0;
    let s = slotOf(id);
    if (s < 0) {
      if (rssi < gate) return -1;
      s = place(rssi, now);
      if (s < 0) return -1;
      if (ids[s] !== 0) {
        // evicted: its routes are retracted on the next expire() pass through a zero expiry
        lastBeacon[s] = 0;
        lastHeard[s] = 0;
        interval[s] = 0;
        return -1;
      }
      clear(s);
      ids[s] = id;
      rows.adopt(s, id);
      shorts[s] = id & 0x7fff;
      hist[s] = 0;
      seen[s] = 0;
      lastSeq[s] = (b.seq - 1) & 0xffff;
      rssiAvg[s] = rssi;
      count++;
      // not a change yet: a newcomer matters to routing once its link is usable (noteUsable says so)
    }
    const d = (b.seq - lastSeq[s]) & 0xffff;
    if (d === 0) return s;
    if (d < 0x8000) {
      hist[s] = d >= HISTORY ? 1 : ((hist[s] << d) | 1) >>> 0;
      seen[s] = seen[s] + d > HISTORY ? HISTORY : seen[s] + d;
    } else {
      // seqno went back: the neighbour restarted; start its history again
      hist[s] = 1;
      seen[s] = 1;
    }
    lastSeq[s] = b.seq;
    lastBeacon[s] = now;
    lastHeard[s] = now;
    interval[s] = b.intervalMs > 0 ? b.intervalMs : 1000;
    rssiAvg[s] += (rssi - rssiAvg[s]) / 8;
    flags[s] = b.flags;
    routeSeq[s] = b.routeSeq;
    // the two-hop view: row s = what s hears; our own entry is df
    out[s] = rows.row(s, b);
    noteUsable(s, now);
    return s;
  }

  /** silence of any kind (beacons, adverts, acks, flood relays) for `factor` announced intervals */
  function expiryOf(s: number): number {
    const last = lastHeard[s] > lastBeacon[s] ? lastHeard[s] : lastBeacon[s];
    return last + (interval[s] || 0) * factor;
  }

  function drop(s: number, onLost: (id: number, slot: number) => void): void {
    // only a usable neighbour's loss changes routing: weak ones at the edge of range come and go with
    // collisions, and must not keep beacons and dumps at their fastest
    if (usable[s]) changed = true;
    onLost(ids[s], s);
    clear(s);
    count--;
  }

  function expire(now: number, onLost: (id: number, slot: number) => void): void {
    for (let s = 0; s < cap; s++) {
      if (ids[s] === 0) continue;
      if (now >= expiryOf(s)) drop(s, onLost);
      else noteUsable(s, now);
    }
  }

  function nextExpiry(): number {
    let d = -1;
    for (let s = 0; s < cap; s++) {
      if (ids[s] === 0) continue;
      const e = expiryOf(s);
      if (d < 0 || e < d) d = e;
    }
    return d;
  }

  function fill(b: Beacon, now: number): number {
    let n = 0;
    const max = b.ids.length;
    for (let s = 0; s < cap && n < max; s++) {
      if (ids[s] === 0) continue;
      b.ids[n] = ids[s];
      b.ratios[n] = rxRatio(s, now);
      b.info[n] = rxN | (flags[s] & BeaconFlag.Leaf ? BeaconInfo.Leaf : 0);
      n++;
    }
    b.n = n;
    return n;
  }

  return {
    cap: cap,
    selfId: selfId,
    ids: ids,
    hear: rows.view.hear,
    out: out,
    flags: flags,
    routeSeq: routeSeq,
    usable: usable,
    two: rows.view,
    slotOf: slotOf,
    slotOfShort: function (short: number): number {
      return shorts.indexOf(short & 0x7fff);
    },
    onBeacon: onBeacon,
    onFrame: function (s: number, rssi: number, now: number): void {
      lastHeard[s] = now;
      rssiAvg[s] += (rssi - rssiAvg[s]) / 8;
    },
    rxRatio: rxRatio,
    cost: cost,
    rssi: function (s: number): number { return rssiAvg[s]; },
    interval: function (s: number): number { return interval[s]; },
    lastHeard: function (s: number): number { return lastHeard[s]; },
    fill: fill,
    expire: expire,
    nextExpiry: nextExpiry,
    fail: function (s: number, onLost: (id: number, slot: number) => void): boolean {
      if (ids[s] === 0) return false;
      failures[s]++;
      if (failures[s] < maxFail) return false;
      drop(s, onLost);
      return true;
    },
    ok: function (s: number): void { failures[s] = 0; },
    takeChanged: function (): boolean {
      const c = changed;
      changed = false;
      return c;
    },
    count: function (): number { return count; },
  };
}

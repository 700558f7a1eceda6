/**
 * Announcing (meshwork policy only; the baselines send no control traffic): beacons, route adverts and
 * seqno requests, and what the router does with the ones it hears. Payload layouts are in beacon.ts.
 *
 * Beacons: interval adapts like Trickle / Babel's hello backoff: beaconMinMs while the neighbourhood changes
 * (a neighbour appears, disappears, or a link turns usable or unusable), doubling after each beacon with no
 * change up to beaconMaxMs. A change pulls the next beacon in to within beaconMinMs/8 (never closer than
 * beaconMinMs/4 to the previous one), so neighbours learn quickly that we hear them.
 * Route adverts: a full dump (our own entry + every route, several frames if needed) every updateMinMs after
 * a neighbourhood change, doubling up to updateMaxMs while the neighbourhood is stable, and pulled in on a
 * change (the newcomer needs our table). Route changes further away do not speed the dumps up: they travel
 * as triggered updates, which carry only changed entries: urgent ones (retractions, restored routes,
 * requested seqnos) 5–25 ms after the change, the rest batched over 150–300 ms. Retracted routes go out as METRIC_INF. Leaves advertise only themselves (their beacons do that).
 * Seqno requests (RFC 8966 §3.8.1.2): when a route is lost and the only alternatives are unfeasible, we ask our
 * neighbours (one hop, batched) for destination d with seqno FD+1. A neighbour with a route whose seqno is
 * at least that answers with an update; one with an older route forwards the request to d as a routed unicast
 * frame (never flooded); d raises its seqno (at most once a second) and its update spreads as triggered
 * updates, since every node marks a route whose seqno changed for its next triggered update.
 * Rate limits (Babel / BATMAN practice; without them collisions fed a storm: lost beacons → flapping links →
 * triggered updates, requests, retractions → more collisions): triggered updates go at most once per
 * TRIGGER_GAP_MS (URGENT_GAP_MS for urgent ones), batching whatever changed meanwhile; retractions repeat at
 * that gap; seqno requests are deduplicated per destination for REQUEST_GAP_MS (also requests of other nodes
 * passing through, _forwarder.ts), get 3 tries per hop and are never flooded (unicast.ts); full dumps are at
 * least updateMinMs × (frames per dump) apart, so dump bytes per second stay capped as the table grows.
 * Airtime: beacons, dumps, triggered updates and requests (own and forwarded) all count as periodic control
 * (airtime-governor). Adverts and requests keep within this node's part of the neighbourhood's share,
 * controlShare / (1 + neighbours) (budget()): beacons first, then adverts (¾), then requests (½). Beacons,
 * bounded by their own interval, are held back only past the whole per-node controlShare. Postponed control
 * retries after 250–500 ms (beacons after a quarter interval).
 */
import { BROADCAST, FrameType } from './frame.ts';
import {
  AdvertKind, BeaconFlag, CodecStatus, METRIC_INF, ADVERT_MAX_ENTRIES, decodeAdvert, decodeBeacon, encodeAdvert,
  encodeBeacon, newAdvert, newBeacon,
} from './beacon.ts';
import { RouteChange, seqNewer16 } from './route-table.ts';
import type { RouteTable } from './route-table.ts';
import type { NeighbourTable } from './neighbour-table.ts';
import type { AirtimeGovernor } from './airtime-governor.ts';
import { GATEWAY } from './router-types.ts';
import type { RouterStats, Role } from './router-types.ts';

/** hold = this × the sender's announced interval */
const HOLD_FACTOR = 3.5;
/** per destination: one seqno request (sent, forwarded or asked for) per this long; also the dedup window
 *  for requests from other nodes passing through (Babel's resend table does the same) */
const REQUEST_GAP_MS = 4000;
/** triggered updates (and request batches) at most once per this long, plus up to TRIGGER_JITTER_MS: a
 *  burst of changes is batched into one frame instead of one frame each (RFC 8966 §3.7.2 rate limiting) */
const TRIGGER_GAP_MS = 1000;
/** urgent changes (retractions, restored routes, requested seqnos) may follow the previous triggered update
 *  sooner: repair crosses one hop per triggered update. Their repeats go at TRIGGER_GAP_MS (a backoff). */
const URGENT_GAP_MS = 200;
const TRIGGER_JITTER_MS = 250;
/** control priorities, as fractions of this node's control budget: beacons may use all of it, route adverts
 *  three quarters, seqno requests half, so adverts cannot starve beacons nor requests adverts */
const BUDGET_BEACON = 1;
const BUDGET_ADVERT = 0.75;
const BUDGET_REQUEST = 0.5;
const BUMP_GAP_MS = 1000;
/** own route seqno +1 every this many full dumps */
const SEQ_BUMP_DUMPS = 4;

export interface AnnouncerInit {
  selfId: number;
  role: Role;
  mesh: boolean;
  beaconMinMs: number;
  beaconMaxMs: number;
  updateMinMs: number;
  updateMaxMs: number;
  /** control share of a neighbourhood's airtime (see budget()) */
  controlShare: number;
}

export interface AnnouncerComponents {
  nbrs: NeighbourTable;
  routes: RouteTable;
  gov: AirtimeGovernor;
  stats: RouterStats;
  rand: () => number;
  sendOneHop(type: number, body: Uint8Array, now: number, periodic: boolean): boolean;
  /** a routed own frame (a seqno request): true when it went out */
  sendUnicast(type: number, dst: number, body: Uint8Array, now: number): boolean;
}

export interface Announcer {
  /** the neighbourhood changed (or a hop failed): beacon and dump soon */
  changed(now: number): void;
  neighbourLost(id: number, now: number): void;
  /** we needed a route to dst and have none usable: ask for a fresh seqno if we know of dst */
  wantRoute(dst: number, now: number): void;
  beacon(src: number, p: Uint8Array, n: number, rssi: number, now: number): void;
  /** a one-hop Route frame: updates or seqno requests */
  advert(src: number, p: Uint8Array, n: number, now: number): void;
  /** a seqno request that travelled to us as a unicast frame */
  request(src: number, p: Uint8Array, n: number, now: number): void;
  /** a routed seqno request for dst names us as its next hop: true = forward it (then its next seqno change
   *  is urgent here), false = drop it (one for dst passed recently, or the control budget is used up) */
  requestPassing(dst: number, now: number): boolean;
  tick(now: number, lost: (id: number, slot: number) => void): void;
  nextDeadline(): number;
}

export function createAnnouncer(init: AnnouncerInit): (c: AnnouncerComponents) => Announcer {
  const selfId = init.selfId;
  const mesh = init.mesh;
  const gateway = init.role === 'gateway';
  const leaf = init.role === 'leaf';
  return function (c) {
    const nbrs = c.nbrs;
    const routes = c.routes;
    const stats = c.stats;
    const bcn = newBeacon();
    const adv = newAdvert();
    const fwd = newAdvert();
    const ctl = new Uint8Array(224);
    // pending seqno requests (one-hop, batched)
    const reqDst = new Uint32Array(ADVERT_MAX_ENTRIES);
    const reqSeq = new Uint16Array(ADVERT_MAX_ENTRIES);
    let reqN = 0;
    let beaconIv = init.beaconMinMs;
    let dumpIv = init.updateMinMs;
    let nextBeaconAt = mesh ? 0 : -1;
    let nextDumpAt = mesh && !leaf ? 0 : -1;
    let nextTriggerAt = -1;
    let lastBeaconAt = -1e15;
    let lastDumpAt = -1e15;
    let started = false;
    let nbChanged = true;
    let routesChanged = true;
    let selfDirty = false;
    let ownSeq = Math.floor(c.rand() * 65536);
    let beaconSeq = Math.floor(c.rand() * 65536);
    let lastBump = -1e15;
    let lastTriggerAt = -1e15;
    let dumps = 0;
    // expiry housekeeping runs when the earliest expiry is due, not on every tick: the scans are O(capacity)
    let nextHouseAt = -1;
    let houseDirty = true;
    const routeHoldMs = init.updateMaxMs * HOLD_FACTOR;

    /**
     * This node's share of the control airtime: controlShare split among the nodes that share its channel
     * (itself and its neighbours), times a priority fraction. A per-node cap alone does not bound a
     * neighbourhood: 20 nodes each at 5 % would fill the channel at the node between them. The governor
     * counts everything sent as periodic control: beacons, adverts, request batches, routed requests.
     */
    function budget(now: number, frac: number): boolean {
      return c.gov.controlUse(now) < (init.controlShare * frac) / (1 + nbrs.count());
    }

    /** run the trigger timer at `at`, but not sooner than TRIGGER_GAP_MS (URGENT_GAP_MS) + jitter after the
     *  last one */
    function schedule(at: number, urgent: boolean): void {
      const floor = lastTriggerAt + (urgent ? URGENT_GAP_MS : TRIGGER_GAP_MS);
      if (at < floor) at = floor + c.rand() * (urgent ? URGENT_GAP_MS / 4 : TRIGGER_JITTER_MS);
      if (nextTriggerAt < 0 || at < nextTriggerAt) nextTriggerAt = at;
    }

    /** schedule a triggered update: urgent changes within 5–25 ms, others batched over 150–300 ms (both
     *  rate-limited by schedule()) */
    function trigger(now: number, urgent: boolean): void {
      if (leaf || !mesh) return;
      schedule(now + (urgent ? 5 + c.rand() * 20 : 150 + c.rand() * 150), urgent);
    }

    /** shortest gap between full dumps: one updateMinMs per advert frame the dump takes, so the bytes per
     *  second of dumps stay capped however large the table grows */
    function dumpMinMs(): number {
      const frames = Math.ceil((routes.count() + 1) / ADVERT_MAX_ENTRIES);
      return init.updateMinMs * (frames > 1 ? frames : 1);
    }

    function changed(now: number): void {
      if (!mesh) return;
      nbChanged = true;
      routesChanged = true;
      beaconIv = init.beaconMinMs;
      let at = now + c.rand() * (init.beaconMinMs / 8);
      const floor = lastBeaconAt + init.beaconMinMs / 4;
      if (at < floor) at = floor;
      if (at < nextBeaconAt) nextBeaconAt = at;
      if (!leaf) {
        dumpIv = dumpMinMs();
        // soon, but not more often than every dumpMinMs / 2 while a mesh forms and changes come in bursts
        let d = now + 50 + c.rand() * 200;
        const floor = lastDumpAt + dumpIv / 2;
        if (d < floor) d = floor;
        if (d < nextDumpAt) nextDumpAt = d;
      }
    }

    function note(r: number, d: number, now: number): void {
      if (r & RouteChange.Changed) stats.routeChanges++;
      if (r & RouteChange.Dirty) trigger(now, (r & RouteChange.Urgent) !== 0);
      if (r & RouteChange.Answer) {
        routes.touch(routes.slotOf(d));
        trigger(now, true);
      }
      if (r & RouteChange.WantSeqno) wantRoute(d, now);
    }

    function wantRoute(d: number, now: number): void {
      if (!mesh || d === BROADCAST || d === GATEWAY || d === selfId) return;
      const i = routes.slotOf(d);
      if (i < 0 || now - routes.requestedAt[i] < REQUEST_GAP_MS) return;
      routes.requestedAt[i] = now;
      if (reqN >= ADVERT_MAX_ENTRIES) return;
      reqDst[reqN] = d;
      reqSeq[reqN] = ((routes.hasFd(i) ? routes.fdSeq(i) : routes.seqno[i]) + 1) & 0xffff;
      reqN++;
      schedule(now + 5 + c.rand() * 20, true);
    }

    function neighbourLost(id: number, now: number): void {
      houseDirty = true;
      if (routes.lostNeighbour(id, now, routeHoldMs) > 0) trigger(now, true);
    }

    function bump(s: number, now: number): void {
      if (now - lastBump >= BUMP_GAP_MS) {
        ownSeq = seqNewer16(s, ownSeq) ? s : (ownSeq + 1) & 0xffff;
        lastBump = now;
      }
      selfDirty = true;
      schedule(now + 5 + c.rand() * 20, true);
      // a leaf announces itself only in beacons: send one soon
      if (leaf && nextBeaconAt > now + init.beaconMinMs / 8) nextBeaconAt = now + c.rand() * (init.beaconMinMs / 8);
    }

    function beacon(src: number, p: Uint8Array, n: number, rssi: number, now: number): void {
      if (decodeBeacon(p, 0, n, bcn) !== CodecStatus.Ok) {
        stats.rxInvalid++;
        return;
      }
      const t = nbrs.onBeacon(src, bcn, rssi, now);
      houseDirty = true;
      if (t >= 0 && mesh) {
        const cost = nbrs.cost(t, now);
        const hold = bcn.intervalMs * HOLD_FACTOR;
        if (cost < METRIC_INF) {
          note(routes.update(src, cost, src, bcn.routeSeq, 0, (bcn.flags & BeaconFlag.Gateway) !== 0, hold, now), src, now);
          if (routes.relink(src, cost)) trigger(now, false);
        } else if (routes.lostNeighbour(src, now, routeHoldMs) > 0) {
          trigger(now, true);
        }
      }
      if (nbrs.takeChanged()) changed(now);
    }

    function requests(src: number, now: number): void {
      for (let k = 0; k < adv.n; k++) {
        const d = adv.dsts[k];
        const s = adv.seqs[k];
        if (d === selfId) {
          bump(s, now);
          continue;
        }
        const i = routes.lookup(d);
        if (i < 0 || routes.nh[i] === src) continue;
        if (!seqNewer16(s, routes.seqno[i])) {
          routes.touch(i); // we can answer: our route is at least as new as asked
          trigger(now, true);
        } else if (now - routes.requestedAt[i] < REQUEST_GAP_MS || !budget(now, BUDGET_REQUEST)) {
          stats.dropRequest++; // pending already (dedup), or no budget: the periodic seqno bumps cover it
        } else {
          routes.requestedAt[i] = now;
          fwd.kind = AdvertKind.Request;
          fwd.n = 1;
          fwd.dsts[0] = d;
          fwd.seqs[0] = s;
          const len = encodeAdvert(fwd, ctl, 0);
          if (c.sendUnicast(FrameType.Route, d, ctl.subarray(0, len), now)) stats.txRequest++;
        }
      }
    }

    function advert(src: number, p: Uint8Array, n: number, now: number): void {
      if (!mesh) return;
      if (decodeAdvert(p, 0, n, adv) !== CodecStatus.Ok) {
        stats.rxInvalid++;
        return;
      }
      const t = nbrs.slotOf(src);
      if (t < 0) return;
      if (adv.kind === AdvertKind.Request) {
        requests(src, now);
        return;
      }
      const cost = nbrs.cost(t, now);
      if (cost >= METRIC_INF || adv.kind !== AdvertKind.Update) return;
      let hold = adv.intervalMs * HOLD_FACTOR;
      if (hold < 1000) hold = 1000;
      houseDirty = true;
      for (let k = 0; k < adv.n; k++) {
        const d = adv.dsts[k];
        if (d === selfId) {
          if (seqNewer16(adv.seqs[k], ownSeq)) {
            // someone holds a newer seqno of ours than we do: we restarted. Jump past it.
            ownSeq = (adv.seqs[k] + 1) & 0xffff;
            selfDirty = true;
            trigger(now, true);
          }
          continue;
        }
        if (d === 0 || d === BROADCAST || d === GATEWAY) continue;
        note(routes.update(src, cost, d, adv.seqs[k], adv.metrics[k], adv.gw[k] === 1, hold, now), d, now);
      }
    }

    function request(src: number, p: Uint8Array, n: number, now: number): void {
      if (!mesh || decodeAdvert(p, 0, n, adv) !== CodecStatus.Ok || adv.kind !== AdvertKind.Request) return;
      requests(src, now);
    }

    function sendBeacon(now: number): void {
      // beacons are bounded by their own interval (at most one per beaconMinMs / 4) and everything else
      // depends on them: they are held back only when this node's periodic control passes the whole
      // per-node share, never for the neighbourhood split that adverts and requests respect
      if (c.gov.controlUse(now) >= init.controlShare * BUDGET_BEACON) {
        stats.controlDeferred++;
        nextBeaconAt = now + beaconIv / 4;
        return;
      }
      if (nbChanged) beaconIv = init.beaconMinMs;
      else if (started) beaconIv = beaconIv * 2 > init.beaconMaxMs ? init.beaconMaxMs : beaconIv * 2;
      started = true;
      nbChanged = false;
      bcn.flags = (gateway ? BeaconFlag.Gateway : 0) | (leaf ? BeaconFlag.Leaf : 0);
      beaconSeq = (beaconSeq + 1) & 0xffff;
      bcn.seq = beaconSeq;
      bcn.intervalMs = beaconIv;
      bcn.routeSeq = ownSeq;
      nbrs.fill(bcn, now);
      const len = encodeBeacon(bcn, ctl, 0);
      if (c.sendOneHop(FrameType.Beacon, ctl.subarray(0, len), now, true)) stats.txBeacon++;
      lastBeaconAt = now;
      nextBeaconAt = now + beaconIv * (0.9 + 0.2 * c.rand());
    }

    /** send our routes: every entry (full) or only changed ones; self first when full or dirty */
    function sendAdverts(now: number, full: boolean): void {
      let from = 0;
      let first = true;
      while (true) {
        adv.kind = AdvertKind.Update;
        // the longest gap between our full dumps: receivers hold routes for 3.5 of these. (The current
        // interval would be too short while it is still doubling: two lost dumps would expire good routes.)
        adv.intervalMs = init.updateMaxMs;
        adv.n = 0;
        if (first && (full || selfDirty)) {
          adv.dsts[0] = selfId;
          adv.seqs[0] = ownSeq;
          adv.metrics[0] = 0;
          adv.gw[0] = gateway ? 1 : 0;
          adv.n = 1;
          selfDirty = false;
        }
        first = false;
        from = routes.fill(adv, from, !full);
        if (adv.n === 0) break;
        const len = encodeAdvert(adv, ctl, 0);
        if (c.sendOneHop(FrameType.Route, ctl.subarray(0, len), now, true)) {
          stats.txRoute++;
          if (full) stats.txDump++;
          else stats.txTriggered++;
        }
        if (from >= routes.cap) break;
      }
    }

    function sendRequests(now: number): void {
      adv.kind = AdvertKind.Request;
      adv.intervalMs = init.updateMaxMs;
      adv.n = reqN;
      adv.dsts.set(reqDst.subarray(0, reqN));
      adv.seqs.set(reqSeq.subarray(0, reqN));
      adv.metrics.fill(0, 0, reqN);
      adv.gw.fill(0, 0, reqN);
      reqN = 0;
      const len = encodeAdvert(adv, ctl, 0);
      if (c.sendOneHop(FrameType.Route, ctl.subarray(0, len), now, true)) {
        stats.txRoute++;
        stats.txRequest++;
      }
    }

    function tick(now: number, lost: (id: number, slot: number) => void): void {
      if (!mesh) return;
      if (houseDirty || (nextHouseAt >= 0 && now >= nextHouseAt)) {
        nbrs.expire(now, lost);
        if (nbrs.takeChanged()) changed(now);
        if (routes.expire(now, routeHoldMs) > 0) trigger(now, true);
        houseDirty = true;
      }
      if (nextBeaconAt >= 0 && now >= nextBeaconAt) sendBeacon(now);
      if (nextDumpAt >= 0 && now >= nextDumpAt) {
        if (budget(now, BUDGET_ADVERT)) {
          const lo = dumpMinMs();
          const hi = init.updateMaxMs > lo ? init.updateMaxMs : lo;
          dumpIv = routesChanged || dumpIv < lo ? lo : dumpIv * 2 > hi ? hi : dumpIv * 2;
          routesChanged = false;
          // a periodic seqno bump lets feasibility distances everywhere relax even if requests are lost
          if (++dumps % SEQ_BUMP_DUMPS === 0) ownSeq = (ownSeq + 1) & 0xffff;
          sendAdverts(now, true);
          lastDumpAt = now;
          nextDumpAt = now + dumpIv * (0.9 + 0.2 * c.rand());
        } else {
          stats.controlDeferred++;
          nextDumpAt = now + 250 + c.rand() * 250;
        }
      }
      if (nextTriggerAt >= 0 && now >= nextTriggerAt) {
        const adverts = !leaf && (selfDirty || routes.dirty());
        if (adverts ? budget(now, BUDGET_ADVERT) : budget(now, BUDGET_REQUEST)) {
          nextTriggerAt = -1;
          lastTriggerAt = now;
          if (reqN > 0) {
            if (budget(now, BUDGET_REQUEST)) sendRequests(now);
            else {
              stats.dropRequest += reqN;
              reqN = 0;
            }
          }
          if (adverts) sendAdverts(now, false);
          // urgent entries owe repeats: they go again after TRIGGER_GAP_MS (schedule()), a backoff
          if (!leaf && routes.dirty()) trigger(now, false);
        } else {
          stats.controlDeferred++;
          nextTriggerAt = now + 250 + c.rand() * 250;
        }
      }
    }

    /** the earlier of two deadlines, -1 meaning none */
    function earlier(a: number, b: number): number {
      return b >= 0 && (a < 0 || b < a) ? b : a;
    }

    // called after every frame: no allocation (no closures) here
    function nextDeadline(): number {
      if (!mesh) return -1;
      let d = earlier(nextBeaconAt, nextDumpAt);
      d = earlier(d, nextTriggerAt);
      if (houseDirty) {
        houseDirty = false;
        nextHouseAt = earlier(nbrs.nextExpiry(), routes.nextExpiry());
      }
      return earlier(d, nextHouseAt);
    }

    return {
      changed: changed,
      neighbourLost: neighbourLost,
      wantRoute: wantRoute,
      beacon: beacon,
      advert: advert,
      request: request,
      requestPassing: function (d: number, now: number): boolean {
        const i = routes.slotOf(d);
        if (i < 0) return true; // no route here: the forwarder acks and drops it anyway
        if (now - routes.requestedAt[i] < REQUEST_GAP_MS || !budget(now, BUDGET_REQUEST)) {
          stats.dropRequest++;
          return false;
        }
        routes.requestedAt[i] = now;
        return true;
      },
      tick: tick,
      nextDeadline: nextDeadline,
    };
  };
}

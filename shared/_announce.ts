/**
 * Announcing (meshwork policy only; the baselines send no control traffic): beacons, route adverts and
 * seqno requests, and what the router does with the ones it hears. Payload layouts are in beacon.ts.
 *
 * Beacons: an adaptive interval, fast while the neighbourhood changes (_beacon-schedule.ts).
 * Route adverts: a full dump (our own entry + every route, several frames if needed) every updateMinMs after
 * a neighbourhood change, doubling up to updateMaxMs while the neighbourhood is stable, and pulled in on a
 * change (the newcomer needs our table). Route changes further away do not speed the dumps up: they travel
 * as triggered updates, which carry only changed entries: urgent ones (retractions, restored routes,
 * requested seqnos) 5–25 ms after the change, the rest batched over 150–300 ms. Retracted routes go out as METRIC_INF. Leaves advertise only themselves (their beacons do that).
 * Seqno requests: asked for when a route is lost and only unfeasible alternatives remain (_seqno-requests.ts).
 * Rate limits (Babel / BATMAN practice; without them collisions fed a storm: lost beacons → flapping links →
 * triggered updates, requests, retractions → more collisions): triggered updates go at most once per
 * TRIGGER_GAP_MS (URGENT_GAP_MS for urgent ones), batching whatever changed meanwhile; retractions repeat at
 * that gap; seqno requests go out with the triggered updates; full dumps are at least updateMinMs × (frames
 * per dump) apart, so dump bytes per second stay capped as the table grows.
 * Airtime: beacons, dumps, triggered updates and requests (own and forwarded) all count as periodic control
 * (airtime-governor), each kind within its priority share of the control budget (_control-budget.ts).
 * Postponed control retries after 250–500 ms (beacons after a quarter interval).
 */
import { BROADCAST, FrameType } from './frame.ts';
import {
  AdvertKind, BeaconFlag, CodecStatus, METRIC_INF, ADVERT_MAX_ENTRIES, decodeAdvert, decodeBeacon, encodeAdvert,
  newAdvert, newBeacon,
} from './beacon.ts';
import { RouteChange, seqNewer16 } from './route-types.ts';
import type { RouteTable } from './route-table.ts';
import type { NeighbourTable } from './neighbour-table.ts';
import type { AirtimeGovernor } from './airtime-governor.ts';
import { GATEWAY } from './router-types.ts';
import type { RouterStats, Role } from './router-types.ts';
import { BUDGET_ADVERT, BUDGET_REQUEST, createControlBudget } from './_control-budget.ts';
import { createSeqnoRequests } from './_seqno-requests.ts';
import { createBeaconSchedule } from './_beacon-schedule.ts';

/** hold = this × the sender's announced interval */
const HOLD_FACTOR = 3.5;
/** triggered updates (and request batches) at most once per this long, plus up to TRIGGER_JITTER_MS: a
 *  burst of changes is batched into one frame instead of one frame each (RFC 8966 §3.7.2 rate limiting) */
const TRIGGER_GAP_MS = 1000;
/** urgent changes (retractions, restored routes, requested seqnos) may follow the previous triggered update
 *  sooner: repair crosses one hop per triggered update. Their repeats go at TRIGGER_GAP_MS (a backoff). */
const URGENT_GAP_MS = 200;
const TRIGGER_JITTER_MS = 250;
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
  /** control share of a neighbourhood's airtime (_control-budget.ts) */
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
    /** encoding scratch, shared with the beacon schedule and the seqno requests */
    const ctl = new Uint8Array(224);
    const ctlBudget = createControlBudget({ controlShare: init.controlShare })({ gov: c.gov, nbrs: nbrs });
    let dumpIv = init.updateMinMs;
    let nextDumpAt = mesh && !leaf ? 0 : -1;
    let nextTriggerAt = -1;
    let lastDumpAt = -1e15;
    let routesChanged = true;
    let selfDirty = false;
    let ownSeq = Math.floor(c.rand() * 65536);
    // created here: its beacon seqno is drawn from rand right after ours
    const beacons = createBeaconSchedule({
      mesh: mesh, gateway: gateway, leaf: leaf, beaconMinMs: init.beaconMinMs, beaconMaxMs: init.beaconMaxMs,
    })({ nbrs: nbrs, budget: ctlBudget, stats: stats, rand: c.rand, bcn: bcn, ctl: ctl, sendOneHop: c.sendOneHop });
    let lastBump = -1e15;
    let lastTriggerAt = -1e15;
    let dumps = 0;
    // expiry housekeeping runs when the earliest expiry is due, not on every tick: the scans are O(capacity)
    let nextHouseAt = -1;
    let houseDirty = true;
    const routeHoldMs = init.updateMaxMs * HOLD_FACTOR;

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
      routesChanged = true;
      beacons.changed(now);
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
      if (leaf) beacons.soon(now);
    }

    const req = createSeqnoRequests({ selfId: selfId, updateMaxMs: init.updateMaxMs })({
      routes: routes, budget: ctlBudget, stats: stats, rand: c.rand, adv: adv, ctl: ctl,
      schedule: schedule, trigger: trigger, bump: bump, sendOneHop: c.sendOneHop, sendUnicast: c.sendUnicast,
    });

    function wantRoute(d: number, now: number): void {
      if (!mesh || d === BROADCAST || d === GATEWAY || d === selfId) return;
      req.want(d, now);
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

    function advert(src: number, p: Uint8Array, n: number, now: number): void {
      if (!mesh) return;
      if (decodeAdvert(p, 0, n, adv) !== CodecStatus.Ok) {
        stats.rxInvalid++;
        return;
      }
      const t = nbrs.slotOf(src);
      if (t < 0) return;
      if (adv.kind === AdvertKind.Request) {
        req.heard(src, adv, now);
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
      req.heard(src, adv, now);
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

    function tick(now: number, lost: (id: number, slot: number) => void): void {
      if (!mesh) return;
      if (houseDirty || (nextHouseAt >= 0 && now >= nextHouseAt)) {
        nbrs.expire(now, lost);
        if (nbrs.takeChanged()) changed(now);
        if (routes.expire(now, routeHoldMs) > 0) trigger(now, true);
        houseDirty = true;
      }
      beacons.tick(now, ownSeq);
      if (nextDumpAt >= 0 && now >= nextDumpAt) {
        if (ctlBudget.allows(now, BUDGET_ADVERT)) {
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
        if (adverts ? ctlBudget.allows(now, BUDGET_ADVERT) : ctlBudget.allows(now, BUDGET_REQUEST)) {
          nextTriggerAt = -1;
          lastTriggerAt = now;
          req.flush(now);
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
      let d = earlier(beacons.nextDeadline(), nextDumpAt);
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
      requestPassing: req.passing,
      tick: tick,
      nextDeadline: nextDeadline,
    };
  };
}

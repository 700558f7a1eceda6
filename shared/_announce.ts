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
 * Airtime: beacons, dumps and triggered updates count as periodic control (airtime-governor controlShare);
 * while the share is used up, they are postponed (beacons by a quarter interval, updates by 100 ms).
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
const REQUEST_GAP_MS = 2000;
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
}

export interface AnnouncerComponents {
  nbrs: NeighbourTable;
  routes: RouteTable;
  gov: AirtimeGovernor;
  stats: RouterStats;
  rand: () => number;
  sendOneHop(type: number, body: Uint8Array, now: number, periodic: boolean): boolean;
  sendUnicast(type: number, dst: number, body: Uint8Array, now: number): void;
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
  /** we forward a seqno request for dst: its next seqno change is urgent here */
  requestPassing(dst: number, now: number): void;
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
    let dumps = 0;
    // expiry housekeeping runs when the earliest expiry is due, not on every tick: the scans are O(capacity)
    let nextHouseAt = -1;
    let houseDirty = true;
    const routeHoldMs = init.updateMaxMs * HOLD_FACTOR;

    /** schedule a triggered update: urgent changes within 5–25 ms, others batched over 150–300 ms */
    function trigger(now: number, urgent: boolean): void {
      if (leaf || !mesh) return;
      const at = now + (urgent ? 5 + c.rand() * 20 : 150 + c.rand() * 150);
      if (nextTriggerAt < 0 || at < nextTriggerAt) nextTriggerAt = at;
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
        dumpIv = init.updateMinMs;
        // soon, but not more often than every updateMinMs / 2 while a mesh forms and changes come in bursts
        let d = now + 50 + c.rand() * 200;
        const floor = lastDumpAt + init.updateMinMs / 2;
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
      if (nextTriggerAt < 0) nextTriggerAt = now + 5 + c.rand() * 20;
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
      if (nextTriggerAt < 0) nextTriggerAt = now + 5 + c.rand() * 20;
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
        } else if (now - routes.requestedAt[i] >= REQUEST_GAP_MS) {
          routes.requestedAt[i] = now;
          fwd.kind = AdvertKind.Request;
          fwd.n = 1;
          fwd.dsts[0] = d;
          fwd.seqs[0] = s;
          const len = encodeAdvert(fwd, ctl, 0);
          c.sendUnicast(FrameType.Route, d, ctl.subarray(0, len), now);
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
      if (!c.gov.controlBudgetOk(now)) {
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
        if (c.sendOneHop(FrameType.Route, ctl.subarray(0, len), now, true)) stats.txRoute++;
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
      if (c.sendOneHop(FrameType.Route, ctl.subarray(0, len), now, true)) stats.txRoute++;
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
        if (c.gov.controlBudgetOk(now)) {
          dumpIv = routesChanged ? init.updateMinMs : dumpIv * 2 > init.updateMaxMs ? init.updateMaxMs : dumpIv * 2;
          routesChanged = false;
          // a periodic seqno bump lets feasibility distances everywhere relax even if requests are lost
          if (++dumps % SEQ_BUMP_DUMPS === 0) ownSeq = (ownSeq + 1) & 0xffff;
          sendAdverts(now, true);
          lastDumpAt = now;
          nextDumpAt = now + dumpIv * (0.9 + 0.2 * c.rand());
        } else {
          nextDumpAt = now + 100;
        }
      }
      if (nextTriggerAt >= 0 && now >= nextTriggerAt) {
        if (c.gov.controlBudgetOk(now)) {
          nextTriggerAt = -1;
          if (reqN > 0) sendRequests(now);
          if (!leaf && (selfDirty || routes.dirty())) sendAdverts(now, false);
          // urgent entries owe repeats: send them again a little later
          if (!leaf && routes.dirty()) trigger(now, false);
        } else {
          nextTriggerAt = now + 100;
        }
      }
    }

    function nextDeadline(): number {
      if (!mesh) return -1;
      let d = nextBeaconAt;
      function at(x: number): void {
        if (x >= 0 && (d < 0 || x < d)) d = x;
      }
      at(nextDumpAt);
      at(nextTriggerAt);
      if (houseDirty) {
        houseDirty = false;
        const a = nbrs.nextExpiry();
        const b = routes.nextExpiry();
        nextHouseAt = a < 0 ? b : b < 0 || a < b ? a : b;
      }
      at(nextHouseAt);
      return d;
    }

    return {
      changed: changed,
      neighbourLost: neighbourLost,
      wantRoute: wantRoute,
      beacon: beacon,
      advert: advert,
      request: request,
      requestPassing: function (d: number, now: number): void {
        const i = routes.slotOf(d);
        if (i >= 0) routes.requestedAt[i] = now;
      },
      tick: tick,
      nextDeadline: nextDeadline,
    };
  };
}

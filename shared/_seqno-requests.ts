/**
 * Seqno requests (RFC 8966 §3.8.1.2), the announcer's third part (_announce.ts): when a route is lost and the
 * only alternatives are unfeasible, we ask our neighbours (one hop, batched) for destination d with seqno
 * FD+1. A neighbour with a route whose seqno is at least that answers with an update; one with an older route
 * forwards the request to d as a routed unicast frame (never flooded); d raises its seqno (at most once a
 * second, _announce.ts bump) and its update spreads as triggered updates, since every node marks a route
 * whose seqno changed for its next triggered update.
 * Rate limits: requests are deduplicated per destination for REQUEST_GAP_MS (also requests of other nodes
 * passing through, _forwarder.ts), get 3 tries per hop and are never flooded (unicast.ts); a batch goes out
 * with the next triggered update, and requests keep within half of the control budget (_control-budget.ts).
 */
import { FrameType } from './frame.ts';
import { AdvertKind, ADVERT_MAX_ENTRIES, encodeAdvert, newAdvert } from './beacon.ts';
import type { Advert } from './beacon.ts';
import { seqNewer16 } from './route-types.ts';
import type { RouteTable } from './route-table.ts';
import { BUDGET_REQUEST } from './_control-budget.ts';
import type { ControlBudget } from './_control-budget.ts';
import type { RouterStats } from './router-types.ts';

/** per destination: one seqno request (sent, forwarded or asked for) per this long; also the dedup window
 *  for requests from other nodes passing through (Babel's resend table does the same) */
const REQUEST_GAP_MS = 4000;

export interface SeqnoRequestsInit {
  selfId: number;
  /** the interval announced in request batches (the announcer's updateMaxMs) */
  updateMaxMs: number;
}

export interface SeqnoRequestsComponents {
  routes: RouteTable;
  budget: ControlBudget;
  stats: RouterStats;
  rand: () => number;
  /** encoding scratch owned by the announcer (no advert is decoded while one is encoded) */
  adv: Advert;
  ctl: Uint8Array;
  /** run the announcer's triggered-update timer at `at` (rate-limited there) */
  schedule(at: number, urgent: boolean): void;
  /** schedule a triggered update */
  trigger(now: number, urgent: boolean): void;
  /** someone asks for our own route with seqno s */
  bump(s: number, now: number): void;
  sendOneHop(type: number, body: Uint8Array, now: number, periodic: boolean): boolean;
  /** a routed own frame: true when it went out */
  sendUnicast(type: number, dst: number, body: Uint8Array, now: number): boolean;
}

export interface SeqnoRequests {
  /** ask our neighbours for a fresh seqno of d (batched until flush) if we know of d */
  want(d: number, now: number): void;
  /** a request batch from src, decoded into a: answer, forward or bump */
  heard(src: number, a: Advert, now: number): void;
  /** a routed request for d names us as its next hop: true = forward it, false = drop it */
  passing(d: number, now: number): boolean;
  /** requests waiting for the next batch */
  pending(): number;
  /** send the waiting batch (or drop it when over budget) */
  flush(now: number): void;
}

export function createSeqnoRequests(init: SeqnoRequestsInit): (c: SeqnoRequestsComponents) => SeqnoRequests {
  const selfId = init.selfId;
  return function (c) {
    const routes = c.routes;
    const stats = c.stats;
    const adv = c.adv;
    const ctl = c.ctl;
    const fwd = newAdvert();
    // pending seqno requests (one-hop, batched)
    const reqDst = new Uint32Array(ADVERT_MAX_ENTRIES);
    const reqSeq = new Uint16Array(ADVERT_MAX_ENTRIES);
    let reqN = 0;

    function want(d: number, now: number): void {
      const i = routes.slotOf(d);
      if (i < 0 || now - routes.requestedAt[i] < REQUEST_GAP_MS) return;
      routes.requestedAt[i] = now;
      if (reqN >= ADVERT_MAX_ENTRIES) return;
      reqDst[reqN] = d;
      reqSeq[reqN] = ((routes.hasFd(i) ? routes.fdSeq(i) : routes.seqno[i]) + 1) & 0xffff;
      reqN++;
      c.schedule(now + 5 + c.rand() * 20, true);
    }

    function heard(src: number, a: Advert, now: number): void {
      for (let k = 0; k < a.n; k++) {
        const d = a.dsts[k];
        const s = a.seqs[k];
        if (d === selfId) {
          c.bump(s, now);
          continue;
        }
        const i = routes.lookup(d);
        if (i < 0 || routes.nh[i] === src) continue;
        if (!seqNewer16(s, routes.seqno[i])) {
          routes.touch(i); // we can answer: our route is at least as new as asked
          c.trigger(now, true);
        } else if (now - routes.requestedAt[i] < REQUEST_GAP_MS || !c.budget.allows(now, BUDGET_REQUEST)) {
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

    function passing(d: number, now: number): boolean {
      const i = routes.slotOf(d);
      if (i < 0) return true; // no route here: the forwarder acks and drops it anyway
      if (now - routes.requestedAt[i] < REQUEST_GAP_MS || !c.budget.allows(now, BUDGET_REQUEST)) {
        stats.dropRequest++;
        return false;
      }
      routes.requestedAt[i] = now;
      return true;
    }

    function send(now: number): void {
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

    function flush(now: number): void {
      if (reqN === 0) return;
      if (c.budget.allows(now, BUDGET_REQUEST)) send(now);
      else {
        stats.dropRequest += reqN;
        reqN = 0;
      }
    }

    return {
      want: want,
      heard: heard,
      passing: passing,
      pending: function (): number { return reqN; },
      flush: flush,
    };
  };
}

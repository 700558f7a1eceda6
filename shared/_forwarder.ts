/**
 * The forwarder: what this node does with other nodes' frames that are not (only) for it, and with copies of
 * frames it has seen before. This is the relay path: it allocates nothing (frames are copied into
 * preallocated pool slots) and reads only the header the router decoded into `h`.
 *
 * transit (a new frame to take further):
 *   routed mode, not named          remember it (it may come back as a fallback flood), nothing else
 *   hop limit spent / hop clamp     drop (counted); a routed frame is still hop-acked, so its sender stops
 *   per-source rate limit           drop without ack: the sender retries later, then floods (back-pressure)
 *   airtime governor (Relay class)  drop when the channel is above the relay threshold
 *   routed seqno request, named     forwarded only if no request for the same destination passed in the last
 *                                   few seconds and the control budget allows (else acked and dropped)
 *   routed mode, named, route known re-stamp for our next hop, send now: that is the sender's implicit ack
 *   routed mode, named, no route    hop-ack at once, flood it (seqno requests are never flooded)
 *   flood mode                      queue with the contention delay of flood.ts (or skip: all covered)
 * duplicate (a copy of a frame we know):
 *   authenticated by its header tag before it may change anything (cancel, ack, relay)
 *   a fallback flood of a frame we only saw routed → join that flood once
 *   a copy of a queued flood relay → flood.ts decides whether to cancel; more hops left → take them
 *   a copy of a frame waiting for its hop ack with a lower hop limit → implicit ack
 *   a copy naming us of a frame we only overheard before (routed to someone else) → take it now
 *   a copy naming us of a frame we already took → the sender missed our forward or ack: ack again
 * tick: pool slots whose time has come: flood relays go out (and maybe once more, flood.ts), routed frames
 *   are retried or given up (unicast.ts).
 */
import { Flag, FrameStatus, FrameType, MAX_FRAME_LEN } from './frame.ts';
import type { FrameHeader } from './frame.ts';
import type { FrameSeal } from './frame-seal.ts';
import { Airtime } from './airtime-governor.ts';
import type { AirtimeGovernor } from './airtime-governor.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { SlotState } from './_frame-pool.ts';
import type { FramePool } from './_frame-pool.ts';
import type { NeighbourTable } from './neighbour-table.ts';
import type { RouteTable } from './route-table.ts';
import type { Flood } from './flood.ts';
import { ROUTED, floodField, routedField } from './unicast.ts';
import type { Unicast } from './unicast.ts';
import type { Announcer } from './_announce.ts';
import { GATEWAY } from './router-types.ts';
import type { RouterStats } from './router-types.ts';

/** routed frames remembered for a possible fallback flood */
const REMEMBERED = 16;

export interface ForwarderInit {
  selfId: number;
  mesh: boolean;
  /** false for leaves */
  relays: boolean;
  hopClamp: number;
}

export interface ForwarderComponents {
  /** the header of the frame being handled (decoded by the router) */
  h: FrameHeader;
  pool: FramePool;
  seal: FrameSeal;
  nbrs: NeighbourTable;
  routes: RouteTable;
  flood: Flood;
  uni: Unicast;
  gov: AirtimeGovernor;
  limiter: RateLimiter;
  ann: Announcer;
  stats: RouterStats;
  transmit(buf: Uint8Array, len: number, now: number, periodic: boolean): void;
  hopAck(src: number, seq: number, now: number): void;
}

export interface Forwarder {
  /** neighbour slot of the node that transmitted the frame in h, or -1 */
  transmitter(): number;
  transit(frame: Uint8Array, len: number, rssi: number, t: number, now: number): void;
  duplicate(frame: Uint8Array, len: number, rssi: number, now: number): void;
  /** slot s (a flood-mode frame, hop limit pool.hop[s]) becomes a flood relay first heard from neighbour t */
  queueFlood(s: number, t: number, rssi: number, now: number): void;
  remember(src: number, seq: number): void;
  /** slot s's hop ack arrived (explicitly or implicitly) */
  hopAcked(s: number): void;
  tick(now: number): void;
}

export function createForwarder(init: ForwarderInit): (c: ForwarderComponents) => Forwarder {
  const selfId = init.selfId;
  const selfShort = selfId & 0x7fff;
  const mesh = init.mesh;
  return function (c) {
    const h = c.h;
    const pool = c.pool;
    const stats = c.stats;
    const ovSrc = new Uint32Array(REMEMBERED);
    const ovSeq = new Uint32Array(REMEMBERED);
    /** 1: we took the frame (sent or forwarded it); 0: only overheard it on its way to another next hop */
    const ovTaken = new Uint8Array(REMEMBERED);
    let ovNext = 0;

    function note(src: number, seq: number, taken: number): void {
      ovSrc[ovNext] = src;
      ovSeq[ovNext] = seq;
      ovTaken[ovNext] = taken;
      ovNext = (ovNext + 1) % REMEMBERED;
    }

    function remember(src: number, seq: number): void {
      note(src, seq, 1);
    }

    function recalled(src: number, seq: number): number {
      let i = ovSeq.indexOf(seq);
      while (i >= 0 && ovSrc[i] !== src) i = ovSeq.indexOf(seq, i + 1);
      return i;
    }

    function transmitter(): number {
      if (h.hopLimit === h.hopStart) return c.nbrs.slotOf(h.src);
      if (h.prevHop & ROUTED) return -1;
      return c.nbrs.slotOfShort(h.prevHop);
    }

    function queueFlood(s: number, t: number, rssi: number, now: number): void {
      pool.state[s] = SlotState.Relay;
      pool.kind[s] = Airtime.Relay;
      pool.tries[s] = 0;
      const d = c.flood.start(s, t, rssi);
      if (d < 0) {
        pool.free(s);
        stats.relaySkipped++;
        return;
      }
      pool.due[s] = now + d;
    }

    function hopAcked(s: number): void {
      const t = c.nbrs.slotOf(pool.nh[s]);
      if (t >= 0) c.nbrs.ok(t);
      stats.hopAcked++;
      c.uni.acked(s);
    }

    function transit(frame: Uint8Array, len: number, rssi: number, t: number, now: number): void {
      if (!init.relays || h.flags & Flag.NoRelay) return;
      const routed = (h.prevHop & ROUTED) !== 0;
      if (routed && (h.prevHop & 0x7fff) !== selfShort) {
        note(h.src, h.seq, 0);
        return;
      }
      if (h.hopLimit === 0 || h.hopStart > init.hopClamp) {
        if (h.hopLimit === 0) stats.dropHopLimit++;
        else stats.dropHopClamp++;
        if (routed) c.hopAck(h.src, h.seq, now); // the frame ends here either way: stop the retries
        return;
      }
      if (routed && h.type === FrameType.Route && !c.ann.requestPassing(h.dst, now)) {
        // a seqno request for a destination another request went to a moment ago (or over our control
        // budget): one is enough, d's answer reaches every node on the way (dedup while pending)
        c.hopAck(h.src, h.seq, now);
        return;
      }
      if (!c.limiter.take(h.src, now)) {
        stats.dropRateLimit++;
        return;
      }
      if (!c.gov.allow(Airtime.Relay, now)) {
        stats.dropCongestion++;
        return;
      }
      const s = pool.alloc();
      if (s < 0) {
        stats.dropNoSlot++;
        return;
      }
      const buf = pool.buf[s];
      if (frame.length <= MAX_FRAME_LEN) buf.set(frame);
      else buf.set(frame.subarray(0, len));
      pool.len[s] = len;
      pool.src[s] = h.src;
      pool.seq[s] = h.seq;
      pool.dst[s] = h.dst;
      pool.hop[s] = h.hopLimit - 1;
      const nh = routed && h.dst !== GATEWAY ? c.routes.nextHop(h.dst) : 0;
      if (nh !== 0 && c.uni.restampSlot(s, routedField(nh)) === FrameStatus.Ok) {
        pool.nh[s] = nh;
        pool.kind[s] = Airtime.Relay;
        stats.txRelay++;
        remember(h.src, h.seq);
        if (h.type === FrameType.Route) stats.txRequest++;
        c.uni.launch(s, now); // our forward is the previous hop's implicit ack
        return;
      }
      if (routed && h.type === FrameType.Route) {
        pool.free(s); // a seqno request that met a node without a route: acked (no retries), never flooded
        c.hopAck(h.src, h.seq, now);
        return;
      }
      if (c.uni.restampSlot(s, floodField(selfId)) !== FrameStatus.Ok) {
        pool.free(s);
        return;
      }
      if (routed) {
        // no route here: flood it, and ack now since the contention delay would outlast the sender's timer
        stats.floodFallback++;
        c.hopAck(h.src, h.seq, now);
        c.ann.wantRoute(h.dst, now);
      }
      queueFlood(s, t, rssi, now);
    }

    function duplicate(frame: Uint8Array, len: number, rssi: number, now: number): void {
      stats.rxDuplicate++;
      const routedCopy = (h.prevHop & ROUTED) !== 0;
      const namesUs = routedCopy && (h.prevHop & 0x7fff) === selfShort;
      const s = pool.find(h.src, h.seq);
      let ov = -1;
      if (mesh && !routedCopy && h.dst !== selfId) ov = recalled(h.src, h.seq);
      // a copy naming us of a frame we only overheard before (on its way to the previous hop): the dedup
      // cache knows it, but we never took it. Take it now; acking it as a retry would silently lose it.
      let early = -1;
      if (namesUs && s < 0) {
        early = recalled(h.src, h.seq);
        if (early >= 0 && ovTaken[early]) early = -1;
      }
      if (s < 0 && !namesUs && ov < 0) return;
      // only authenticated copies may cancel relays, ack frames or start a relay
      if (c.seal.verifyHeaderTag(frame, h) !== FrameStatus.Ok) {
        stats.rxInvalid++;
        return;
      }
      if (ov >= 0) {
        // a fallback flood of a frame we only knew routed: it moved on (ack our hop), and we relay it once
        ovSrc[ov] = 0;
        ovSeq[ov] = 0;
        if (s >= 0 && pool.state[s] === SlotState.AwaitAck) hopAcked(s);
        if (s < 0 || pool.state[s] === SlotState.Free) transit(frame, len, rssi, transmitter(), now);
        return;
      }
      if (early >= 0) {
        ovTaken[early] = 1;
        transit(frame, len, rssi, transmitter(), now);
        return;
      }
      if (s < 0) {
        c.hopAck(h.src, h.seq, now); // a retry of a frame we took: our forward or ack was missed
        return;
      }
      const st = pool.state[s];
      if (st === SlotState.Relay) {
        if (c.flood.overheard(s, transmitter())) {
          pool.free(s);
          stats.relayCancelled++;
        } else if (h.hopLimit - 1 > pool.hop[s]) {
          pool.hop[s] = h.hopLimit - 1; // a copy with more hops left: go out with those (Meshtastic)
        }
      } else if (st === SlotState.AwaitAck) {
        if (h.hopLimit < pool.hop[s]) {
          hopAcked(s); // it moved on past the next hop: implicit ack
        } else if (namesUs) {
          c.hopAck(h.src, h.seq, now);
        }
      }
    }

    function tick(now: number): void {
      for (let s = 0; s < pool.cap; s++) {
        const st = pool.state[s];
        if (st === SlotState.Free || pool.due[s] > now) continue;
        if (st === SlotState.AwaitAck) {
          if (c.gov.allow(Airtime.Control, now)) c.uni.due(s, now);
          else pool.due[s] = now + 10;
          continue;
        }
        // a flood relay whose contention delay is over
        if (!c.gov.allow(Airtime.Relay, now)) {
          stats.dropCongestion++;
          pool.free(s);
          continue;
        }
        if (c.uni.restampSlot(s, floodField(selfId)) === FrameStatus.Ok) {
          c.transmit(pool.buf[s], pool.len[s], now, false);
          if (pool.tries[s] > 0) stats.txRetry++;
          else if (pool.src[s] !== selfId) stats.txRelay++;
          const again = pool.tries[s] === 0 ? c.flood.sent(s) : -1;
          if (again >= 0) {
            pool.tries[s] = 1;
            pool.due[s] = now + again;
            continue;
          }
        }
        pool.free(s);
      }
    }

    return {
      transmitter: transmitter, transit: transit, duplicate: duplicate, queueFlood: queueFlood, remember: remember,
      hopAcked: hopAcked, tick: tick,
    };
  };
}

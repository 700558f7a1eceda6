/**
 * The router: one sans-IO object per node that turns frames heard and messages to send into frames on the
 * air. Time is passed in (`now`, monotonic ms); the router never reads a clock, calls radio.send() only from
 * inside receive/tick/send, and is deterministic given its inputs and its Rng (the simulator relies on it).
 *
 * Policies (RouterInit.policy), all in this one core so a comparison runs the same code on the same air:
 *   'meshwork'       beacons + neighbour table (ETX both ways), distance-vector routes with Babel's
 *                    feasibility condition (route-table.ts), unicast along next hops with hop-by-hop acks and
 *                    flood fallback (unicast.ts), broadcasts by coverage-checked managed flooding (flood.ts),
 *                    a default route to the best gateway
 *   'managed-flood'  Meshtastic-style: everything flooded with the signal-weighted contention delay, relay
 *                    cancelled on the first overheard copy; no beacons, no routes
 *   'flood'          every node relays every new frame once; no control traffic at all
 * Frame handling (receive): relay-path.ts inspects (decode, dedup, header tag) → own source id = spoof, drop →
 * one-hop control (beacons, route adverts, hop acks) → for us: open (frame tag, decrypt), replay window,
 * reassembly, deliver, e2e ack → for others: routed (named next hop only) or flooded (hop limit, hop clamp,
 * per-source rate limit, airtime governor, pool slot). Duplicates feed flood suppression and implicit acks.
 * Congestion (airtime-governor.ts): every frame heard or sent is counted; periodic control stays within
 * controlShare; relays need Airtime.Relay, own data Airtime.Data (Airtime.Bulk with SEND_BULK), acks and
 * retries Airtime.Control, so control goes first and bulk goes last.
 *
 * GATEWAY (0xfffffffe) is a pseudo destination: send(GATEWAY, …) goes to the best gateway by the default
 * route (routes() lists it as dst GATEWAY); with no gateway known the frame is flooded with dst GATEWAY and
 * every gateway that gets it delivers it. A node id may therefore not be 0xfffffffe.
 *
 * Parts: _outbox.ts (own traffic, e2e acks), _forwarder.ts (other nodes' frames: the relay path),
 * _announce.ts (beacons, route adverts, seqno requests), unicast.ts (hop field, hop acks and retries),
 * flood.ts (relay delays and suppression), neighbour-table.ts, route-table.ts, beacon.ts (control codecs).
 * Memory: all tables are typed arrays sized from RouterInit.capacities; frames kept past a call live in the
 * frame pool (_frame-pool.ts); scratch buffers are allocated once. The relay path allocates nothing.
 */
import { BROADCAST, Flag, FrameStatus, FrameType, MAX_PAYLOAD_LEN, newHeader } from './frame.ts';
import { createFrameSeal } from './frame-seal.ts';
import { createDedupCache } from './dedup-cache.ts';
import { createRelayPath } from './relay-path.ts';
import { createReplayWindow } from './replay-window.ts';
import { createSeqAllocator } from './seqno.ts';
import { COMPLETE, createReassembly } from './reassembly.ts';
import { createAirtimeGovernor } from './airtime-governor.ts';
import { createRateLimiter } from './rate-limiter.ts';
import { createFramePool } from './_frame-pool.ts';
import { createNeighbourTable } from './neighbour-table.ts';
import { createRouteTable } from './route-table.ts';
import { createFlood } from './flood.ts';
import { AckKind, E2E_ACK_LEN, ROUTED, ackU32, createUnicast, isRouteFrame } from './unicast.ts';
import { createAnnouncer } from './_announce.ts';
import type { Announcer } from './_announce.ts';
import { createOutbox } from './_outbox.ts';
import type { Outbox } from './_outbox.ts';
import { createForwarder } from './_forwarder.ts';
import type { Forwarder } from './_forwarder.ts';
import { SlotState } from './_frame-pool.ts';
import { GATEWAY } from './router-types.ts';
import type { Router, RouterComponents, RouterInit, RouterStats, NeighbourInfo, RouteInfo, DeliverInfo } from './router-types.ts';

export { GATEWAY, SEND_BULK, RouterError } from './router-types.ts';
export type {
  RadioPort, DeliverInfo, RouterEvents, Policy, Role, RouterCapacities, RouterInit, RouterComponents, RouterStats,
  NeighbourInfo, RouteInfo, Router,
} from './router-types.ts';

function newStats(): RouterStats {
  return {
    rxFrames: 0, rxDuplicate: 0, rxInvalid: 0, txFrames: 0, txBytes: 0, txAirMs: 0, txData: 0, txRelay: 0,
    txBeacon: 0, txRoute: 0, txAck: 0, txRetry: 0, relayCancelled: 0, relaySkipped: 0, floodFallback: 0,
    delivered: 0, acked: 0, ackTimeout: 0, hopAcked: 0, dropReplay: 0, dropHopLimit: 0, dropHopClamp: 0,
    dropRateLimit: 0, dropCongestion: 0, dropNoSlot: 0, dropSpoof: 0, routeChanges: 0, neighboursLost: 0,
    neighboursFailed: 0, txDump: 0, txTriggered: 0, txRequest: 0, dropRequest: 0, controlDeferred: 0,
  };
}

function opt(v: number | undefined, d: number): number {
  return v === undefined ? d : v;
}

export function createRouter(init: RouterInit): (c: RouterComponents) => Router {
  const selfId = init.selfId >>> 0;
  if (selfId === 0 || selfId === BROADCAST || selfId === GATEWAY || selfId !== init.selfId) {
    throw new Error('meshwork/router: selfId must be a u32 other than 0, 0xffffffff and 0xfffffffe');
  }
  const policy = init.policy || 'meshwork';
  const role = init.role || 'router';
  const mesh = policy === 'meshwork';
  const cap = init.capacities;
  const hopLimit = opt(init.hopLimit, 10);
  const hopClamp = opt(init.hopClamp, 16);
  if (!(hopLimit >= 0 && hopLimit <= 255 && hopClamp >= 0)) throw new Error('meshwork/router: bad hopLimit / hopClamp');
  const selfShort = selfId & 0x7fff;

  return function (c: RouterComponents): Router {
    const events = c.events;
    const stats = newStats();
    function rand(): number {
      const r = c.rng();
      return r >= 1 ? (r >>> 0) / 4294967296 : r;
    }
    const seal = createFrameSeal()({ aes: c.aes, keys: c.keys });
    const dedup = createDedupCache({ slots: cap.dedupSlots });
    const relay = createRelayPath()({ seal: seal, dedup: dedup });
    const replay = createReplayWindow({ sources: cap.replaySources });
    const seqs = createSeqAllocator({ block: opt(init.seqPersistBlock, 256) })({ store: c.store });
    const reasm = createReassembly({
      slots: cap.reassemblySlots, maxMessageBytes: cap.reassemblyMaxBytes, timeoutMs: opt(init.reassemblyTimeoutMs, 10000),
    })({ crc32: c.crc32 });
    const pool = createFramePool(cap.pending);
    const nbrs = createNeighbourTable({ capacity: cap.neighbours, selfId: selfId, rssiGateDbm: init.rssiGateDbm });
    const routes = createRouteTable({ capacity: cap.routes, selfId: selfId });
    const flood = createFlood({ policy: policy, slotMs: init.slotMs, coverMiss: init.coverMiss })({ pool: pool, nbrs: nbrs, rand: rand });
    const gov = createAirtimeGovernor({ controlShare: init.controlShare });
    const limiter = createRateLimiter({
      capacity: cap.replaySources, ratePerSec: opt(init.relayRatePerSec, 20), burst: opt(init.relayBurst, 40),
    });
    const h = newHeader();
    const payBuf = new Uint8Array(MAX_PAYLOAD_LEN);
    const info: DeliverInfo = { src: 0, dst: 0, hops: 0, rssi: 0, seq: 0, type: 0 };
    /** the latest `now` seen: for the table views and callbacks that carry no time */
    let clock = 0;
    // the parts refer to each other (a relay may need an ack sent, an own frame may become a flood relay):
    // they are wired through these, assigned below before any frame or timer can reach them
    let out: Outbox;
    let fwd: Forwarder;
    let ann: Announcer;

    function lost(id: number, slot: number): void {
      stats.neighboursLost++;
      ann.neighbourLost(id, clock);
    }

    const uni = createUnicast({ hopAckTimeoutMs: opt(init.hopAckTimeoutMs, 40), hopTries: opt(init.hopTries, 8) })({
      selfId: selfId, pool: pool, seal: seal, rand: rand,
      transmit: function (buf: Uint8Array, len: number, retry: boolean, now: number): void {
        // a routed seqno request is control: it counts toward the control share like adverts do
        out.transmit(buf, len, now, isRouteFrame(buf));
        if (retry) stats.txRetry++;
      },
      hopFailed: function (nh: number, now: number): void {
        // one failed hop is not a neighbourhood change (under load it is often just collisions): only a
        // dropped neighbour (two in a row) is, and the announcer learns of that through lost()
        const t = nbrs.slotOf(nh);
        if (t >= 0 && nbrs.fail(t, lost)) stats.neighboursFailed++;
      },
      flood: function (s: number, now: number): void {
        stats.floodFallback++;
        fwd.queueFlood(s, -1, -90, now);
        pool.due[s] = now;
      },
    });
    out = createOutbox({
      selfId: selfId, role: role, mesh: mesh, hopLimit: hopLimit, unicastHops: hopClamp > hopLimit ? hopClamp : hopLimit, e2eTimeoutMs: opt(init.e2eTimeoutMs, 5000),
      slots: cap.pending, msgIdStart: Math.floor(rand() * 65536),
    })({
      keys: c.keys, seqs: seqs, seal: seal, dedup: dedup, pool: pool, routes: routes, flood: flood, uni: uni, gov: gov,
      stats: stats, radio: c.radio, crc32: c.crc32, events: events,
      queueFlood: function (s: number, t: number, rssi: number, now: number): void { fwd.queueFlood(s, t, rssi, now); },
      remember: function (src: number, seq: number): void { fwd.remember(src, seq); },
    });
    ann = createAnnouncer({
      selfId: selfId, role: role, mesh: mesh,
      beaconMinMs: opt(init.beaconMinMs, 2000), beaconMaxMs: opt(init.beaconMaxMs, 16000),
      updateMinMs: opt(init.updateMinMs, 4000), updateMaxMs: opt(init.updateMaxMs, 60000),
      controlShare: opt(init.controlShare, 0.05),
    })({
      nbrs: nbrs, routes: routes, gov: gov, stats: stats, rand: rand,
      sendOneHop: out.sendOneHop,
      sendUnicast: function (type: number, dst: number, body: Uint8Array, now: number): boolean {
        return out.emit(type, dst, 0, body, now) >= 0;
      },
    });
    fwd = createForwarder({ selfId: selfId, mesh: mesh, relays: role !== 'leaf', hopClamp: hopClamp })({
      h: h, pool: pool, seal: seal, nbrs: nbrs, routes: routes, flood: flood, uni: uni, gov: gov, limiter: limiter,
      ann: ann, stats: stats, transmit: out.transmit, hopAck: out.hopAck,
    });

    /** open the frame in h into payBuf after the replay check: true when it may be used */
    function openFrame(frame: Uint8Array): boolean {
      if (!replay.check(h.src, h.epoch, h.seq)) {
        stats.dropReplay++;
        return false;
      }
      if (seal.open(frame, h, payBuf) !== FrameStatus.Ok) {
        stats.rxInvalid++;
        return false;
      }
      replay.accept(h.src, h.epoch, h.seq);
      return true;
    }

    function deliver(rssi: number, now: number): void {
      const p = payBuf.subarray(0, h.payloadLen);
      const src = h.src;
      const ackReq = (h.flags & Flag.AckReq) !== 0 && h.dst !== BROADCAST;
      info.src = src;
      info.dst = h.dst;
      info.hops = h.hopStart - h.hopLimit;
      info.rssi = rssi;
      info.seq = h.seq;
      info.type = h.type;
      if (h.flags & Flag.Frag) {
        if (reasm.accept(src, p, now) !== COMPLETE) return;
        const id = (p[0] << 8) | p[1];
        stats.delivered++;
        events.deliver(reasm.message(), info);
        if (ackReq) out.e2eAck(src, AckKind.E2eMsg, id, now);
        return;
      }
      stats.delivered++;
      events.deliver(p, info);
      if (ackReq) out.e2eAck(src, AckKind.E2eSeq, info.seq, now);
    }

    /** one-hop control frames: beacons, route adverts and seqno requests, hop acks */
    function control(frame: Uint8Array, rssi: number, now: number): void {
      if (!(h.flags & Flag.NoRelay) || h.hopStart !== 0 || h.dst !== BROADCAST) {
        stats.rxInvalid++;
        return;
      }
      if (!openFrame(frame)) return;
      const p = payBuf;
      const n = h.payloadLen;
      if (h.type === FrameType.Ack) {
        if (n < 9 || p[0] !== AckKind.Hop) {
          stats.rxInvalid++;
          return;
        }
        // only the next hop's ack counts: a downstream node waiting on the same frame hears it too
        const s = pool.find(ackU32(p, 1), ackU32(p, 5));
        if (s >= 0 && pool.state[s] === SlotState.AwaitAck && pool.nh[s] === h.src) fwd.hopAcked(s);
        return;
      }
      if (h.type === FrameType.Beacon) ann.beacon(h.src, p, n, rssi, now);
      else if (h.type === FrameType.Route) ann.advert(h.src, p, n, now);
    }

    function receive(frame: Uint8Array, len: number, rssi: number, now: number): void {
      if (now > clock) clock = now;
      stats.rxFrames++;
      gov.noteRx(c.radio.airtimeMs(len), now);
      const st = relay.inspect(frame, len, h);
      if (st === FrameStatus.Duplicate) {
        fwd.duplicate(frame, len, rssi, now);
        return;
      }
      if (st !== FrameStatus.Ok) {
        stats.rxInvalid++;
        return;
      }
      if (h.src === selfId) {
        stats.dropSpoof++; // our id on a frame we never sent (ours are in the dedup cache)
        return;
      }
      const t = fwd.transmitter();
      if (t >= 0) nbrs.onFrame(t, rssi, now);
      const type = h.type;
      if (type === FrameType.Beacon || (h.flags & Flag.NoRelay && h.hopStart === 0 && (type === FrameType.Route || type === FrameType.Ack))) {
        control(frame, rssi, now);
        return;
      }
      const dst = h.dst;
      const routed = (h.prevHop & ROUTED) !== 0;
      const mine = dst === selfId || dst === BROADCAST || (dst === GATEWAY && role === 'gateway');
      // a routed frame is ours to take if it names us, or if we are its destination and overheard it early
      if (mine && (!routed || (h.prevHop & 0x7fff) === selfShort || dst === selfId)) {
        if (openFrame(frame)) {
          if (type === FrameType.Data) deliver(rssi, now);
          else if (type === FrameType.Ack && h.payloadLen >= E2E_ACK_LEN) out.e2eAcked(h.src, payBuf[0], ackU32(payBuf, 1));
          else if (type === FrameType.Route) ann.request(h.src, payBuf, h.payloadLen, now);
        }
        if (routed && dst === selfId) out.hopAck(h.src, h.seq, now);
        if (dst !== BROADCAST) return;
      }
      fwd.transit(frame, len, rssi, t, now);
    }

    function tick(now: number): void {
      if (now > clock) clock = now;
      fwd.tick(now);
      out.tick(now);
      reasm.tick(now);
      ann.tick(now, lost);
    }

    /** the earlier of two deadlines, -1 meaning none */
    function earlier(a: number, b: number): number {
      return b >= 0 && (a < 0 || b < a) ? b : a;
    }

    // called after every frame and tick by the simulator (and the firmware loop): no allocation here
    function nextDeadline(): number {
      let d = pool.nextDue();
      d = earlier(d, out.nextDeadline());
      d = earlier(d, reasm.nextDeadline());
      return earlier(d, ann.nextDeadline());
    }

    function neighbours(): NeighbourInfo[] {
      const list: NeighbourInfo[] = [];
      for (let s = 0; s < nbrs.cap; s++) {
        if (nbrs.ids[s] === 0) continue;
        list.push({
          id: nbrs.ids[s], rssi: Math.round(nbrs.rssi(s)), rx: nbrs.rxRatio(s, clock) / 255, tx: nbrs.out[s] / 255,
          cost: nbrs.cost(s, clock), gateway: (nbrs.flags[s] & 1) !== 0, leaf: (nbrs.flags[s] & 2) !== 0,
          intervalMs: nbrs.interval(s), lastHeard: nbrs.lastHeard(s),
        });
      }
      return list;
    }

    function routeList(): RouteInfo[] {
      const list: RouteInfo[] = [];
      for (let i = 0; i < routes.cap; i++) {
        if (routes.dsts[i] === 0) continue;
        list.push({
          dst: routes.dsts[i], nextHop: routes.nh[i], metric: routes.metric[i], seqno: routes.seqno[i],
          gateway: routes.isGateway(i),
        });
      }
      const g = routes.bestGateway();
      if (g >= 0) list.push({ dst: GATEWAY, nextHop: routes.nh[g], metric: routes.metric[g], seqno: routes.seqno[g], gateway: true });
      return list;
    }

    return {
      receive: receive,
      tick: tick,
      nextDeadline: nextDeadline,
      send: function (dst: number, payload: Uint8Array, flags: number, now: number): number {
        if (now > clock) clock = now;
        return out.send(dst, payload, flags, now);
      },
      stats: stats,
      neighbours: neighbours,
      routes: routeList,
    };
  };
}

/**
 * The outbox: everything this node originates. Sealing own frames (a fresh sequence number each, recorded in
 * the dedup cache so echoes are recognised), one-hop control frames, application messages (fragmented when
 * longer than a frame), hop and end-to-end acks, and the table of end-to-end acks still awaited.
 *
 * Routing an own frame (emit): in the meshwork policy a unicast with a known next hop is sealed straight into
 * a frame-pool slot in routed mode and waits there for its hop ack (unicast.ts); a broadcast also goes
 * through the pool, so that a weakly covered neighbour can get a second copy (flood.ts); anything else (no
 * route, the baselines, a full pool) is sealed into the scratch buffer and sent once in flood mode, except
 * a routed seqno request (FrameType.Route), which is dropped rather than flooded.
 *
 * End-to-end acks: a send with Flag.AckReq takes a slot (capacity = capacities.pending) holding the
 * destination, the reference the ack will carry (the frame's seq, or the msgId of a fragmented message) and
 * a deadline; events.sent(handle, ok) reports the outcome once. The source does not resend the message: the
 * hops retry (unicast.ts) and the application decides what a timeout means.
 *
 * Buffers: txBuf, fragBuf and ackBuf are scratch owned here, overwritten by every send; radio.send copies.
 */
import { BROADCAST, Flag, FrameStatus, FrameType, MAX_FRAME_LEN, MAX_PAYLOAD_LEN, newHeader } from './frame.ts';
import type { FrameSeal } from './frame-seal.ts';
import type { DedupCache } from './dedup-cache.ts';
import type { Keyring } from './keyring.ts';
import type { SeqAllocator } from './seqno.ts';
import type { Crc32 } from './ports.ts';
import { fragmentCount, writeFragment, FRAG_MAX_MESSAGE } from './fragmenter.ts';
import { Airtime } from './airtime-governor.ts';
import type { AirtimeGovernor } from './airtime-governor.ts';
import { SlotState } from './_frame-pool.ts';
import type { FramePool } from './_frame-pool.ts';
import type { RouteTable } from './route-table.ts';
import type { Flood } from './flood.ts';
import { AckKind, encodeE2eAck, encodeHopAck, floodField, routedField } from './unicast.ts';
import type { Unicast } from './unicast.ts';
import { GATEWAY, RouterError, SEND_BULK } from './router-types.ts';
import type { RadioPort, RouterEvents, RouterStats, Role } from './router-types.ts';

/** pool slots kept free of own traffic so that relaying never starves */
const POOL_RESERVE = 2;

export interface OutboxInit {
  selfId: number;
  role: Role;
  mesh: boolean;
  hopLimit: number;
  /**
   * hop limit of own frames for one node (unicasts, GATEWAY), routed or flooded: the router's clamp. A route is
   * loop-free, and the path with the best ETX often takes more, better hops than the fewest-hop path a flood
   * finds (clusters seed 12: every lost unicast was a routed frame that ran out of 10 hops on an 11+-hop route);
   * a flood looking for one node may have to go further than a broadcast is meant to (1000-node meshes: 3 % of
   * unicasts). hopLimit is for broadcasts.
   */
  unicastHops: number;
  e2eTimeoutMs: number;
  /** e2e slots (capacities.pending) */
  slots: number;
  msgIdStart: number;
}

export interface OutboxComponents {
  keys: Keyring;
  seqs: SeqAllocator;
  seal: FrameSeal;
  dedup: DedupCache;
  pool: FramePool;
  routes: RouteTable;
  flood: Flood;
  uni: Unicast;
  gov: AirtimeGovernor;
  stats: RouterStats;
  radio: RadioPort;
  crc32: Crc32;
  events: RouterEvents;
  /** queue pool slot s as a flood relay first heard from neighbour slot t (_forwarder.ts) */
  queueFlood(s: number, t: number, rssi: number, now: number): void;
  /** note a routed frame, so a later fallback flood of it is still relayed here (_forwarder.ts) */
  remember(src: number, seq: number): void;
}

export interface Outbox {
  transmit(buf: Uint8Array, len: number, now: number, periodic: boolean): void;
  /** a one-hop control frame (beacon, route advert, hop ack): true when sent */
  sendOneHop(type: number, body: Uint8Array, now: number, periodic: boolean): boolean;
  /** an own frame to dst, routed or flooded: its seq, or a negative code */
  emit(type: number, dst: number, flags: number, body: Uint8Array, now: number): number;
  send(dst: number, payload: Uint8Array, flags: number, now: number): number;
  hopAck(src: number, seq: number, now: number): void;
  /** acknowledge end to end a message from `to` (kind AckKind.E2eSeq / E2eMsg) */
  e2eAck(to: number, kind: number, ref: number, now: number): void;
  /** an end-to-end ack from `from` arrived */
  e2eAcked(from: number, kind: number, ref: number): void;
  /** report e2e timeouts */
  tick(now: number): void;
  nextDeadline(): number;
}

export function createOutbox(init: OutboxInit): (c: OutboxComponents) => Outbox {
  const selfId = init.selfId;
  const mesh = init.mesh;
  const relays = init.role !== 'leaf';
  const hopLimit = init.hopLimit;
  const unicastHops = init.unicastHops;
  return function (c) {
    const pool = c.pool;
    const stats = c.stats;
    const th = newHeader();
    const txBuf = new Uint8Array(MAX_FRAME_LEN);
    const fragBuf = new Uint8Array(MAX_PAYLOAD_LEN);
    const ackBuf = new Uint8Array(16);
    const e2eHandle = new Int32Array(init.slots).fill(-1);
    const e2eDst = new Uint32Array(init.slots);
    const e2eRef = new Uint32Array(init.slots);
    const e2eKind = new Uint8Array(init.slots);
    const e2eDue = new Float64Array(init.slots);
    let nextHandle = 0;
    let msgId = init.msgIdStart & 0xffff;

    function transmit(buf: Uint8Array, len: number, now: number, periodic: boolean): void {
      c.radio.send(buf, len);
      const ms = c.radio.airtimeMs(len);
      c.gov.noteTx(ms, now, periodic);
      stats.txFrames++;
      stats.txBytes += len;
      stats.txAirMs += ms;
    }

    /** seal an own frame into out; returns its length or -FrameStatus. th.seq holds its seq after. */
    function sealOwn(type: number, flags: number, dst: number, hops: number, field: number, body: Uint8Array, out: Uint8Array): number {
      const epoch = c.keys.current();
      if (epoch < 0) return -FrameStatus.UnknownEpoch;
      const seq = c.seqs.next(epoch);
      if (seq < 0) return -FrameStatus.SeqExhausted;
      th.type = type;
      th.flags = flags;
      th.hopLimit = hops;
      th.hopStart = hops;
      th.epoch = epoch;
      th.src = selfId;
      th.dst = dst;
      th.seq = seq;
      th.prevHop = field;
      const n = c.seal.seal(th, body, out, 0);
      if (n > 0) c.dedup.add(selfId, seq);
      return n;
    }

    function sendOneHop(type: number, body: Uint8Array, now: number, periodic: boolean): boolean {
      const n = sealOwn(type, Flag.NoRelay, BROADCAST, 0, floodField(selfId), body, txBuf);
      if (n <= 0) return false;
      transmit(txBuf, n, now, periodic);
      return true;
    }

    /** seal into a pool slot and fill its fields; the slot's length, or a negative code (slot freed) */
    function sealSlot(s: number, type: number, flags: number, dst: number, hops: number, field: number, body: Uint8Array): number {
      const n = sealOwn(type, flags, dst, hops, field, body, pool.buf[s]);
      if (n <= 0) {
        pool.free(s);
        return n;
      }
      pool.len[s] = n;
      pool.src[s] = selfId;
      pool.seq[s] = th.seq;
      pool.dst[s] = dst;
      pool.hop[s] = hops;
      return n;
    }

    function emit(type: number, dst: number, flags: number, body: Uint8Array, now: number): number {
      const hops = dst === BROADCAST ? hopLimit : unicastHops;
      const nh = mesh && dst !== BROADCAST && dst !== GATEWAY ? c.routes.nextHop(dst) : 0;
      if (nh !== 0) {
        const s = pool.alloc();
        if (s >= 0) {
          const n = sealSlot(s, type, flags, dst, hops, routedField(nh), body);
          if (n <= 0) return n;
          pool.nh[s] = nh;
          pool.kind[s] = Airtime.Data;
          c.remember(selfId, th.seq);
          c.uni.launch(s, now);
          return th.seq;
        }
      }
      if (mesh && dst === BROADCAST && relays) {
        // own broadcasts go through the pool, like relays, so a weakly covered neighbour gets a second copy
        const s = pool.alloc();
        if (s >= 0) {
          const n = sealSlot(s, type, flags, dst, hops, floodField(selfId), body);
          if (n <= 0) return n;
          transmit(pool.buf[s], n, now, false);
          c.queueFlood(s, -1, -90, now);
          if (pool.state[s] === SlotState.Relay) {
            const again = c.flood.sent(s);
            if (again < 0) pool.free(s);
            else {
              pool.tries[s] = 1;
              pool.due[s] = now + again;
            }
          }
          return th.seq;
        }
      }
      // a seqno request with no route or no pool slot is dropped: control is never flooded
      if (type === FrameType.Route) return RouterError.Busy;
      const n = sealOwn(type, flags, dst, hops, floodField(selfId), body, txBuf);
      if (n <= 0) return n;
      if (mesh && dst !== BROADCAST) stats.floodFallback++; // a unicast we could not route
      transmit(txBuf, n, now, false);
      return th.seq;
    }

    function send(dst: number, payload: Uint8Array, flags: number, now: number): number {
      dst = dst >>> 0;
      if (dst === 0 || dst === selfId || (dst === GATEWAY && init.role === 'gateway')) return RouterError.BadDestination;
      const len = payload.length;
      if (len > FRAG_MAX_MESSAGE) return RouterError.TooLong;
      const frames = len <= MAX_PAYLOAD_LEN ? 1 : fragmentCount(len, MAX_PAYLOAD_LEN);
      if (frames === 0) return RouterError.TooLong;
      if (!c.gov.allow(flags & SEND_BULK ? Airtime.Bulk : Airtime.Data, now)) return RouterError.Congested;
      let target = dst;
      if (dst === GATEWAY && mesh) {
        const g = c.routes.bestGateway();
        if (g >= 0) target = c.routes.dsts[g];
      }
      const ackReq = (flags & Flag.AckReq) !== 0 && target !== BROADCAST;
      let e = -1;
      if (ackReq) {
        e = e2eHandle.indexOf(-1);
        if (e < 0) return RouterError.Busy;
      }
      if (mesh && c.routes.nextHop(target) !== 0 && pool.cap - pool.used() < frames + POOL_RESERVE) return RouterError.Busy;
      const handle = nextHandle;
      nextHandle = (nextHandle + 1) & 0x3fffffff;
      const id = msgId;
      msgId = (msgId + 1) & 0xffff;
      const wflags = (ackReq ? Flag.AckReq : 0) | (frames > 1 ? Flag.Frag : 0);
      const crc = frames > 1 ? c.crc32(payload) : 0;
      let first = -1;
      for (let k = 0; k < frames; k++) {
        const body = frames === 1 ? payload : fragBuf.subarray(0, writeFragment(payload, id, k, MAX_PAYLOAD_LEN, crc, fragBuf, 0));
        const r = emit(FrameType.Data, target, wflags, body, now);
        if (r < 0) return r;
        if (k === 0) first = r;
        stats.txData++;
      }
      if (ackReq) {
        e2eHandle[e] = handle;
        e2eDst[e] = target;
        e2eRef[e] = frames === 1 ? first : id;
        e2eKind[e] = frames === 1 ? AckKind.E2eSeq : AckKind.E2eMsg;
        e2eDue[e] = now + init.e2eTimeoutMs;
      }
      return handle;
    }

    function hopAck(src: number, seq: number, now: number): void {
      const n = encodeHopAck(src, seq, ackBuf);
      if (sendOneHop(FrameType.Ack, ackBuf.subarray(0, n), now, false)) stats.txAck++;
    }

    function e2eAck(to: number, kind: number, ref: number, now: number): void {
      const n = encodeE2eAck(kind, ref, ackBuf);
      if (emit(FrameType.Ack, to, 0, ackBuf.subarray(0, n), now) >= 0) stats.txAck++;
    }

    function e2eAcked(from: number, kind: number, ref: number): void {
      for (let e = 0; e < init.slots; e++) {
        // an ack for a message to GATEWAY comes from whichever gateway took it
        if (e2eHandle[e] >= 0 && (e2eDst[e] === from || e2eDst[e] === GATEWAY) && e2eRef[e] === ref && e2eKind[e] === kind) {
          const hd = e2eHandle[e];
          e2eHandle[e] = -1;
          stats.acked++;
          if (c.events.sent) c.events.sent(hd, true);
          return;
        }
      }
    }

    function tick(now: number): void {
      for (let e = 0; e < init.slots; e++) {
        if (e2eHandle[e] >= 0 && e2eDue[e] <= now) {
          const hd = e2eHandle[e];
          e2eHandle[e] = -1;
          stats.ackTimeout++;
          if (c.events.sent) c.events.sent(hd, false);
        }
      }
    }

    function nextDeadline(): number {
      let d = -1;
      for (let e = 0; e < init.slots; e++) if (e2eHandle[e] >= 0 && (d < 0 || e2eDue[e] < d)) d = e2eDue[e];
      return d;
    }

    return {
      transmit: transmit, sendOneHop: sendOneHop, emit: emit, send: send, hopAck: hopAck, e2eAck: e2eAck,
      e2eAcked: e2eAcked, tick: tick, nextDeadline: nextDeadline,
    };
  };
}

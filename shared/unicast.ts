/**
 * Unicast forwarding: next-hop routing with hop-by-hop acknowledgement and retry, and fallback to a flood.
 *
 * The hop field. A frame has no next-hop field, and everything but hop limit and the 16-bit "previous hop"
 * field is covered by the end-to-end frame tag (frame.ts). The router therefore gives that 16-bit field two
 * meanings, told apart by its top bit (frame-seal.ts covers it with the per-hop header tag, so only a key
 * holder can set it):
 *   0 | short id (15 bits)  flood mode: the short id (id & 0x7fff) of the node that transmitted this copy
 *   1 | short id (15 bits)  routed mode: the short id of the ONE neighbour that must take the frame further
 * A routed frame is taken only by the named next hop; every other node just remembers it overheard it (so
 * that it still joins a later fallback flood of the same frame). 15-bit ids collide between two neighbours
 * of one node with probability ~n²/65536 (0.2 % for 16 neighbours): both then forward and dedup drops the
 * extra copy downstream. The baselines ('flood', 'managed-flood') only use flood mode.
 *
 * Hop-by-hop reliability (cf. Meshtastic NextHopRouter, but per hop on every hop, with more retries since an
 * ESP-NOW frame costs ~1 ms of air): a routed frame waits in the frame pool (AwaitAck) until the next hop
 * acknowledges it, implicitly (we overhear it forward the frame with a lower hop limit) or explicitly (an
 * Ack frame: the destination always sends one, a relay sends one when it gets a copy it already took, or
 * when it must delay the frame by flooding it). Retries go out after hopAckTimeoutMs × (1 + tries/4) plus up
 * to 50 % jitter. After `tries` transmissions the hop has failed: the neighbour gets a failure mark
 * (neighbour-table.ts drops it after two in a row, retracting routes through it), and the frame is
 * re-stamped into flood mode and flooded from here, keeping its remaining hop limit. Routed seqno requests
 * (Route frames) get REQUEST_TRIES transmissions and are then dropped: control is never flooded.
 * A relay that cannot take a frame (pool full, per-source rate limit) does not ack: the sender retries
 * later, which is back-pressure, and eventually floods.
 *
 * Ack payload (FrameType.Ack), big-endian:
 *   hop ack  (one hop, Flag.NoRelay, dst broadcast): kind=1 | src u32 | seq u32   — the frame (src, seq)
 *   e2e ack  (to the original source, routed like data):  kind=2 | seq u32     — single-frame message
 *                                                          kind=3 | msgId u32  — fragmented message (fragmenter.ts)
 */
import { FrameStatus, FrameType, HEADER_LEN, Off } from './frame.ts';
import type { FrameHeader } from './frame.ts';
import type { FrameSeal } from './frame-seal.ts';
import { SlotState } from './_frame-pool.ts';
import type { FramePool } from './_frame-pool.ts';

export const ROUTED = 0x8000;

/** transmissions of a routed seqno request (a Route frame) per hop: it is control traffic, best effort. A
 *  request that still finds no ack is dropped, never flooded (RFC 8966 §3.8.1.2 forwards requests along next
 *  hops only); the periodic seqno bumps of _announce.ts cover a lost one. */
const REQUEST_TRIES = 3;

/** true when the frame in buf is a Route frame (a routed seqno request) */
export function isRouteFrame(buf: Uint8Array): boolean {
  return (buf[Off.VerType] & 15) === FrameType.Route;
}

export const enum AckKind {
  Hop = 1,
  E2eSeq = 2,
  E2eMsg = 3,
}

export const HOP_ACK_LEN = 9;
export const E2E_ACK_LEN = 5;

export function floodField(id: number): number {
  return id & 0x7fff;
}

export function routedField(nh: number): number {
  return ROUTED | (nh & 0x7fff);
}

export function encodeHopAck(src: number, seq: number, out: Uint8Array): number {
  out[0] = AckKind.Hop;
  out[1] = src >>> 24; out[2] = src >>> 16; out[3] = src >>> 8; out[4] = src;
  out[5] = seq >>> 24; out[6] = seq >>> 16; out[7] = seq >>> 8; out[8] = seq;
  return HOP_ACK_LEN;
}

export function encodeE2eAck(kind: number, ref: number, out: Uint8Array): number {
  out[0] = kind;
  out[1] = ref >>> 24; out[2] = ref >>> 16; out[3] = ref >>> 8; out[4] = ref;
  return E2E_ACK_LEN;
}

/** u32 at p[o..o+4): the caller checked the length */
export function ackU32(p: Uint8Array, o: number): number {
  return ((p[o] << 24) | (p[o + 1] << 16) | (p[o + 2] << 8) | p[o + 3]) >>> 0;
}

export interface UnicastInit {
  hopAckTimeoutMs: number;
  hopTries: number;
}

export interface UnicastComponents {
  selfId: number;
  pool: FramePool;
  seal: FrameSeal;
  rand: () => number;
  /** put a pool frame on the air (the router counts it and feeds the airtime governor) */
  transmit(buf: Uint8Array, len: number, retry: boolean, now: number): void;
  /** the hop to neighbour `nh` failed after every retry */
  hopFailed(nh: number, now: number): void;
  /** slot s now holds a flood-mode frame: queue it as a flood relay */
  flood(s: number, now: number): void;
}

export interface Unicast {
  /** send the routed frame in slot s (sealed or re-stamped for next hop pool.nh[s]) and wait for its ack */
  launch(s: number, now: number): void;
  /** the ack for slot s's frame arrived: free the slot */
  acked(s: number): void;
  /** slot s's timer expired: retry, or give the hop up and flood */
  due(s: number, now: number): void;
  /** re-stamp slot s's frame (hop limit pool.hop[s]) with hop field `field`; FrameStatus */
  restampSlot(s: number, field: number): number;
}

export function createUnicast(init: UnicastInit): (c: UnicastComponents) => Unicast {
  const base = init.hopAckTimeoutMs;
  const tries = init.hopTries;
  return function (c) {
    const pool = c.pool;
    // header fields restamp needs, read back from the slot's bytes (no full decode on the relay path)
    const rh: FrameHeader = {
      version: 1, type: 0, flags: 0, hopLimit: 0, hopStart: 0, epoch: 0, src: 0, dst: 0, seq: 0, prevHop: 0, payloadLen: 0,
    };

    function restampSlot(s: number, field: number): number {
      const b = pool.buf[s];
      rh.epoch = b[Off.Epoch];
      rh.hopStart = b[Off.HopStart];
      rh.payloadLen = b[Off.PayloadLen];
      if (rh.payloadLen + HEADER_LEN > pool.len[s]) return FrameStatus.BadLength;
      return c.seal.restamp(b, rh, pool.hop[s], field);
    }

    function timeout(k: number): number {
      return base * (1 + k / 4) * (1 + 0.5 * c.rand());
    }

    function launch(s: number, now: number): void {
      pool.state[s] = SlotState.AwaitAck;
      pool.tries[s] = 1;
      c.transmit(pool.buf[s], pool.len[s], false, now);
      pool.due[s] = now + timeout(1);
    }

    function due(s: number, now: number): void {
      const request = isRouteFrame(pool.buf[s]);
      if (pool.tries[s] < (request ? REQUEST_TRIES : tries)) {
        pool.tries[s]++;
        c.transmit(pool.buf[s], pool.len[s], true, now);
        pool.due[s] = now + timeout(pool.tries[s]);
        return;
      }
      if (request) {
        // a lost request is not evidence enough to fail the link (three tries, possibly under load)
        pool.free(s);
        return;
      }
      const nh = pool.nh[s];
      if (restampSlot(s, floodField(c.selfId)) !== FrameStatus.Ok) {
        pool.free(s);
      } else {
        c.flood(s, now);
      }
      c.hopFailed(nh, now);
    }

    return {
      launch: launch,
      acked: function (s: number): void { pool.free(s); },
      due: due,
      restampSlot: restampSlot,
    };
  };
}

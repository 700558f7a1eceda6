/**
 * The repeater: the small relay for boards that cannot hold the router (the ESP32-C3's 4,095 JsVars; the
 * router alone takes ~4,000: docs/espruino-memory.md). Sans-IO like the router and driven the same way
 * (receive / tick / nextDeadline), so the simulator runs it next to routers on the same air.
 *
 * What it does with a frame it hears (the router's flood rules, nothing more):
 *   decode, dedup, authenticate the header tag (relay-path.ts)   else counted and dropped
 *   our own id as source                                        spoof: dropped
 *   one-hop control (NoRelay: beacons, adverts, hop acks)       ignored
 *   routed to a named next hop                                  remembered: if it comes back as the
 *                                                               sender's fallback flood, it is relayed then
 *   hop limit spent, hop start over the clamp                   dropped (no sender can buy more hops)
 *   per-source rate limit, airtime governor (Relay class)       dropped: a noisy source cannot flood through
 *   otherwise                                                   relayed ONCE, after a contention delay
 *
 * Why relay every new flood frame once instead of cancelling on overheard copies: a repeater keeps no
 * neighbour table, so it cannot tell whether the nodes behind it heard someone else's copy, and a repeater
 * is put where it is because it bridges (cancelling there is the coverage hole of Meshtastic #8274). The
 * delay is weighted by signal, weaker first (a far sender's frame is where the repeater adds most), so the
 * routers' coverage-aware suppression (flood.ts) hears its copy early.
 * Its only frames of its own are beacons with the Repeater flag and no neighbour list (every 2 s for the first
 * four, then every beaconMs): without them the routers' coverage-aware flooding (flood.ts) would not know
 * the repeater is there and would leave it, and everything behind it, without a copy. A router counts a
 * repeater neighbour as missing every frame until it overhears the repeater relay it.
 * What it does not do: route adverts, hop acks, messages of its own. Its beacons report no links, so no
 * router finds a usable link to it: routes never go through a repeater, and unicast across one travels as
 * the sender's flood (which routers fall back to when they know no route).
 * Memory: the pool's buffers, the dedup cache and the rate limiter, all fixed at start.
 */
import { BROADCAST, Flag, FrameStatus, FrameType, MAX_FRAME_LEN, decodeHeader, newHeader } from './frame.ts';
import type { Aes128, Store } from './ports.ts';
import { BeaconFlag, beaconLength, encodeBeacon } from './beacon.ts';
import { createSeqAllocator } from './seqno.ts';
import type { Keyring } from './keyring.ts';
import { RouterError } from './router-types.ts';
import type { RadioPort, Router, RouterStats } from './router-types.ts';
import { createFrameSeal } from './frame-seal.ts';
import { createDedupCache } from './dedup-cache.ts';
import { createRelayPath } from './relay-path.ts';
import { SlotState, createFramePool } from './_frame-pool.ts';
import { createRateLimiter } from './rate-limiter.ts';
import { Airtime, createAirtimeGovernor } from './airtime-governor.ts';
import { ROUTED, floodField } from './unicast.ts';

/** routed frames remembered for their sender's fallback flood */
const REMEMBERED = 8;

export interface RepeaterInit {
  selfId: number;
  /** frames waiting for their contention delay; dedup cache slots; sources the rate limiter tracks */
  capacities: { pending: number; dedupSlots: number; sources: number };
  /** highest hop start accepted (default 16) */
  hopClamp?: number;
  /** contention slot, ms (default 10) */
  slotMs?: number;
  relayRatePerSec?: number;
  relayBurst?: number;
  /** beacon interval once started, ms (default 8000) */
  beaconMs?: number;
  /** sequence numbers reserved per flash write (seqno.ts; default 256) */
  seqPersistBlock?: number;
}

export interface RepeaterComponents {
  aes: Aes128;
  keys: Keyring;
  radio: RadioPort;
  /** the sequence high-water mark's home (seqno.ts) */
  store: Store;
  /** [0, 1) */
  rng(): number;
}

export interface RepeaterStats {
  rxFrames: number; rxDuplicate: number; rxInvalid: number; txFrames: number; txBytes: number; txAirMs: number;
  txRelay: number; dropHopLimit: number; dropHopClamp: number; dropRateLimit: number; dropCongestion: number;
  dropNoSlot: number; dropSpoof: number; txBeacon: number;
}

export interface Repeater {
  receive(frame: Uint8Array, len: number, rssi: number, now: number): void;
  /** start beaconing (the first beacon goes out within 2 s) */
  start(now: number): void;
  tick(now: number): void;
  /** absolute ms of the next relay or beacon due, or -1 before start() */
  nextDeadline(): number;
  /** frames waiting for their delay */
  pending(): number;
  stats: RepeaterStats;
}

export function createRepeater(init: RepeaterInit): (c: RepeaterComponents) => Repeater {
  const selfId = init.selfId >>> 0;
  if (selfId === 0 || selfId >= 0xfffffffe || selfId !== init.selfId) {
    throw new Error('meshwork/repeater: selfId must be a u32 other than 0, 0xffffffff and 0xfffffffe');
  }
  const cap = init.capacities;
  const hopClamp = init.hopClamp !== undefined ? init.hopClamp : 16;
  const slot = init.slotMs !== undefined ? init.slotMs : 10;
  const field = floodField(selfId);
  const beaconMs = init.beaconMs !== undefined ? init.beaconMs : 8000;
  return function (c: RepeaterComponents): Repeater {
    const stats: RepeaterStats = {
      rxFrames: 0, rxDuplicate: 0, rxInvalid: 0, txFrames: 0, txBytes: 0, txAirMs: 0, txRelay: 0, dropHopLimit: 0,
      dropHopClamp: 0, dropRateLimit: 0, dropCongestion: 0, dropNoSlot: 0, dropSpoof: 0, txBeacon: 0,
    };
    const seal = createFrameSeal()({ aes: c.aes, keys: c.keys });
    const relay = createRelayPath()({ seal: seal, dedup: createDedupCache({ slots: cap.dedupSlots }) });
    const pool = createFramePool(cap.pending);
    const limiter = createRateLimiter({
      capacity: cap.sources,
      ratePerSec: init.relayRatePerSec !== undefined ? init.relayRatePerSec : 20,
      burst: init.relayBurst !== undefined ? init.relayBurst : 40,
    });
    const gov = createAirtimeGovernor({});
    const h = newHeader();
    const ovSrc = new Uint32Array(REMEMBERED);
    const ovSeq = new Uint32Array(REMEMBERED);
    let ovNext = 0;
    const seqs = createSeqAllocator({ block: init.seqPersistBlock !== undefined ? init.seqPersistBlock : 256 })({ store: c.store });
    // the beacon: a header only, flags Repeater, no entries (beacon.ts); body and frame buffers made once
    const bcn = { flags: BeaconFlag.Repeater, seq: 0, intervalMs: 2000, routeSeq: 0, n: 0, ids: new Uint32Array(0), ratios: new Uint8Array(0), info: new Uint8Array(0) };
    const body = new Uint8Array(beaconLength(0));
    const txBuf = new Uint8Array(96);
    let beaconAt = -1;
    let beacons = 0;

    function beacon(now: number): void {
      bcn.seq = (bcn.seq + 1) & 0xffff;
      beacons++;
      bcn.intervalMs = beacons < 4 ? 2000 : beaconMs;
      beaconAt = now + bcn.intervalMs * (0.875 + 0.25 * c.rng());
      const epoch = c.keys.current();
      const seq = epoch < 0 ? -1 : seqs.next(epoch);
      if (seq < 0 || encodeBeacon(bcn, body, 0) < 0) return;
      h.type = FrameType.Beacon;
      h.flags = Flag.NoRelay;
      h.hopLimit = 0;
      h.hopStart = 0;
      h.epoch = epoch;
      h.src = selfId;
      h.dst = BROADCAST;
      h.seq = seq;
      h.prevHop = field;
      const n = seal.seal(h, body, txBuf, 0);
      if (n <= 0) return;
      c.radio.send(txBuf, n);
      const ms = c.radio.airtimeMs(n);
      gov.noteTx(ms, now, true);
      stats.txFrames++;
      stats.txBeacon++;
      stats.txBytes += n;
      stats.txAirMs += ms;
    }

    /** queue the frame in h for relaying */
    function take(frame: Uint8Array, len: number, rssi: number, now: number): void {
      if (h.hopLimit === 0) {
        stats.dropHopLimit++;
        return;
      }
      if (h.hopStart > hopClamp) {
        stats.dropHopClamp++;
        return;
      }
      if (!limiter.take(h.src, now)) {
        stats.dropRateLimit++;
        return;
      }
      if (!gov.allow(Airtime.Relay, now)) {
        stats.dropCongestion++;
        return;
      }
      const s = pool.alloc();
      if (s < 0) {
        stats.dropNoSlot++;
        return;
      }
      pool.state[s] = SlotState.Relay;
      // no view (an allocation) unless the frame sits in a buffer longer than any frame
      if (frame.length <= MAX_FRAME_LEN) pool.buf[s].set(frame);
      else pool.buf[s].set(frame.subarray(0, len));
      pool.len[s] = len;
      pool.src[s] = h.src;
      pool.seq[s] = h.seq;
      pool.hop[s] = h.hopLimit - 1;
      // weaker = earlier, as flood.ts weighs it: -100 dBm → 0, -40 dBm and stronger → 1
      let f = (rssi + 100) / 60;
      f = f < 0 ? 0 : f > 1 ? 1 : f;
      pool.due[s] = now + slot * (1 + 8 * f + c.rng() * (2 + 8 * f));
    }

    function receive(frame: Uint8Array, len: number, rssi: number, now: number): void {
      stats.rxFrames++;
      gov.noteRx(c.radio.airtimeMs(len), now);
      const st = relay.inspect(frame, len, h);
      const routed = (h.prevHop & ROUTED) !== 0;
      if (st === FrameStatus.Duplicate) {
        stats.rxDuplicate++;
        if (routed) return;
        // the fallback flood of a frame we only saw routed: relay it now (authenticated first)
        let i = ovSeq.indexOf(h.seq);
        while (i >= 0 && ovSrc[i] !== h.src) i = ovSeq.indexOf(h.seq, i + 1);
        if (i < 0) return;
        if (seal.verifyHeaderTag(frame, h) !== FrameStatus.Ok) {
          stats.rxInvalid++;
          return;
        }
        ovSrc[i] = 0;
        ovSeq[i] = 0;
        take(frame, len, rssi, now);
        return;
      }
      if (st !== FrameStatus.Ok) {
        stats.rxInvalid++;
        return;
      }
      if (h.src === selfId) {
        stats.dropSpoof++;
        return;
      }
      if (h.flags & Flag.NoRelay) return;
      if (routed) {
        ovSrc[ovNext] = h.src;
        ovSeq[ovNext] = h.seq;
        ovNext = (ovNext + 1) % REMEMBERED;
        return;
      }
      take(frame, len, rssi, now);
    }

    function tick(now: number): void {
      if (beaconAt >= 0 && now >= beaconAt) beacon(now);
      for (let s = 0; s < pool.cap; s++) {
        if (pool.state[s] === 0 || pool.due[s] > now) continue;
        const buf = pool.buf[s];
        const len = pool.len[s];
        if (!gov.allow(Airtime.Relay, now)) {
          stats.dropCongestion++;
        } else if (decodeHeader(buf, len, h) === FrameStatus.Ok && seal.restamp(buf, h, pool.hop[s], field) === FrameStatus.Ok) {
          c.radio.send(buf, len);
          const ms = c.radio.airtimeMs(len);
          gov.noteTx(ms, now, false);
          stats.txFrames++;
          stats.txRelay++;
          stats.txBytes += len;
          stats.txAirMs += ms;
        }
        pool.free(s);
      }
    }

    return {
      receive: receive,
      start: function (now: number) { if (beaconAt < 0) beaconAt = now + 2000 * c.rng(); },
      tick: tick,
      nextDeadline: function () {
        const d = pool.nextDue();
        return d >= 0 && (beaconAt < 0 || d < beaconAt) ? d : beaconAt;
      },
      pending: pool.used,
      stats: stats,
    };
  };
}

/** The repeater behind the router's face, for code that drives either (the firmware's node, the simulator):
 *  no tables to list, and send() refuses with RouterError.Unsupported. */
export function repeaterAsRouter(rep: Repeater): Router {
  return {
    receive: rep.receive, tick: rep.tick, nextDeadline: rep.nextDeadline,
    send: function () { return RouterError.Unsupported; },
    stats: rep.stats as unknown as RouterStats,
    neighbours: function () { return []; },
    routes: function () { return []; },
  };
}

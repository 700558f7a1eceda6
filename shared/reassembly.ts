/**
 * Reassembly: rebuilds messages from fragment payloads (layout in fragmenter.ts) in a fixed table of slots.
 * Sans-IO: the caller passes `now` (a monotonic millisecond clock read once per event), calls tick(now) at
 * nextDeadline(), and hands over the decrypted payload of each frame that had the FRAG flag.
 *
 * Memory: createReassembly allocates one small typed array per slot field; the one Uint8Array of
 * slots × maxMessageBytes is allocated once, when the first multi-fragment message arrives (most nodes never
 * reassemble: it stays out of the boot footprint), and kept. accept/tick/nextDeadline allocate nothing else
 * but short-lived subarray views (one per stored fragment, for the native copy, and the one returned for a
 * completed message). A full table evicts (or refuses); it never grows.
 *
 * Rules (why each exists):
 * - A slot is keyed by (src, msgId) and stores count, a 32-bit received bitmap, the chunk size, the last
 *   chunk's length, fragment 0's totalLength and crc32, and a deadline = first fragment's `now` + timeoutMs.
 *   The deadline is not extended by later fragments, so a trickle of fragments cannot hold a slot forever,
 *   and the slot with the oldest start is simply the one with the earliest deadline.
 * - Placement without fragment 0: every non-last fragment carries the same chunk size C (fragmenter.ts), so
 *   the first non-last fragment seen (any index < count-1, fragment 0 included) fixes C for the slot and
 *   chunk i goes to offset i*C; a non-last fragment of another size is INCONSISTENT. The last fragment alone
 *   does not reveal C (its chunk is 1..C bytes): if it arrives before any non-last one, it is parked at the
 *   END of the slot buffer (offset M-L), and moved to (count-1)*C with one overlapping typed-array `set`
 *   (correct on Node and Espruino, measured) as soon as C is known. Until then no other fragment can have
 *   been stored, since every other fragment is non-last and would have fixed C: the park never collides.
 * - Consistency: each fragment is checked on its own (BAD_HEADER, TOO_BIG) and then against the slot
 *   (INCONSISTENT); nothing is written unless all checks pass, so a rejected fragment changes no slot, and
 *   a fragment only ever writes inside its own slot's range. Together the checks ensure that when the bitmap
 *   is full, the chunks tile [0, totalLength) exactly: every byte of the result was written by this message.
 * - Completion: the CRC-32 of the assembled bytes (Crc32 port) must equal fragment 0's; a mismatch (e.g. a
 *   rebooted source reused a msgId while the old message was in flight) drops the slot: CRC_MISMATCH.
 * - After completion the slot keeps its key until its deadline as a "done" record, so late duplicates of
 *   its fragments (beyond the frame dedup cache) answer DUPLICATE instead of opening a ghost slot. Done
 *   records are reused before any live slot is evicted.
 * - Full table: a new message takes a free slot, else the oldest done record, else the live slot with the
 *   oldest start is evicted (stats.evicted; stats.expired if it was already past its deadline). A live slot
 *   younger than minHoldMs (default 0) is never evicted: NO_SLOT. Boards under hostile load can raise it so
 *   that a burst of new ids cannot flush messages in progress.
 * - Single-fragment messages (count 1) need no slot: checked (length, CRC) and returned as a view of the
 *   caller's payload.
 * - Never throws on hostile bytes; throws only when created with bad parameters.
 */
import type { Crc32 } from './ports.ts';
import { FRAG_FIRST_HEADER_BYTES, FRAG_HEADER_BYTES, FRAG_MAX_COUNT, FRAG_MAX_MESSAGE } from './fragmenter.ts';

/** accept() status: fragment stored, message not complete yet. */
export const NEED_MORE = 0;
/** accept() status: message complete and CRC-checked; read it with message(). */
export const COMPLETE = 1;
/** Malformed fragment header (too short, count 0 or > 32, index ≥ count, lengths that contradict themselves). */
export const BAD_HEADER = -1;
/** The message would exceed maxMessageBytes. */
export const TOO_BIG = -2;
/** This fragment was already received (or the message was just completed). Nothing changed. */
export const DUPLICATE = -3;
/** count, chunk size or length disagree with the slot for this (src, msgId). The slot is kept. */
export const INCONSISTENT = -4;
/** All fragments arrived but the CRC-32 does not match: the slot is dropped. */
export const CRC_MISMATCH = -5;
/** Table full and no slot may be evicted (every live slot is younger than minHoldMs, or 0 slots). */
export const NO_SLOT = -6;

export interface ReassemblyInit {
  /** concurrent messages (board: capacities.reassemblySlots); 0 refuses every multi-fragment message */
  slots: number;
  /** largest message accepted, bytes, ≤ FRAG_MAX_MESSAGE (board: capacities.reassemblyMaxBytes) */
  maxMessageBytes: number;
  /** a message must complete within this many ms of its first fragment */
  timeoutMs: number;
  /** a live slot younger than this (ms) is never evicted for a new message; default 0 */
  minHoldMs?: number;
}

export interface ReassemblyComponents {
  crc32: Crc32;
}

export interface ReassemblyStats {
  completed: number;
  /** live slots dropped at their deadline */
  expired: number;
  crcFailed: number;
  /** live slots dropped early to make room for a new message */
  evicted: number;
  /** fragments refused: BAD_HEADER, TOO_BIG, INCONSISTENT, NO_SLOT */
  rejected: number;
  duplicates: number;
}

export interface Reassembly {
  /** Take one fragment payload from source `src` (a u32 address). Returns a status constant. */
  accept(src: number, fragPayload: Uint8Array, now: number): number;
  /**
   * The message completed by the last accept() that returned COMPLETE (empty before any).
   * Ownership: a subarray VIEW, not a copy: of the reassembly buffer, or for a single-fragment message of the
   * caller's fragPayload. Valid until the next accept() (or until the caller reuses its payload buffer);
   * copy it out to keep it.
   */
  message(): Uint8Array;
  /** Expire live slots whose deadline is ≤ now (and forget done records past theirs). */
  tick(now: number): void;
  /** Earliest deadline of a live slot (ms, same clock as `now`), or -1 if none. */
  nextDeadline(): number;
  /** Counters, updated in place. */
  readonly stats: ReassemblyStats;
}

const FREE = 0;
const LIVE = 1;
const DONE = 2;

export function createReassembly(init: ReassemblyInit): (components: ReassemblyComponents) => Reassembly {
  const slots = init.slots;
  const M = init.maxMessageBytes;
  const timeoutMs = init.timeoutMs;
  const minHoldMs = init.minHoldMs === undefined ? 0 : init.minHoldMs;
  if (!(slots >= 0 && slots === (slots | 0))) throw new Error('meshwork/reassembly: slots must be an integer >= 0');
  if (!(M >= 1 && M <= FRAG_MAX_MESSAGE && M === (M | 0))) throw new Error('meshwork/reassembly: maxMessageBytes must be 1..' + FRAG_MAX_MESSAGE);
  if (!(timeoutMs > 0)) throw new Error('meshwork/reassembly: timeoutMs must be > 0');
  if (!(minHoldMs >= 0)) throw new Error('meshwork/reassembly: minHoldMs must be >= 0');

  return function (components: ReassemblyComponents): Reassembly {
    const crc32 = components.crc32;
    // the message buffer (slots × maxMessageBytes: 16 KB, ~1,200 JsVars on an ESP32 board) is allocated when
    // the first multi-fragment message arrives, not at boot: most nodes never reassemble anything
    let data: Uint8Array | null = null;
    /** src * 65536 + msgId (exact in a double for u32 src); -1 when FREE: found with native indexOf */
    const key = new Float64Array(slots);
    key.fill(-1);
    const state = new Uint8Array(slots);
    const count = new Uint8Array(slots);
    const bits = new Uint32Array(slots);
    /** C: chunk bytes of every non-last fragment; 0 = not known yet */
    const chunk = new Uint16Array(slots);
    /** length of the last fragment's chunk; meaningful once its bit is set */
    const lastLen = new Uint16Array(slots);
    const total = new Uint16Array(slots);
    const crc = new Uint32Array(slots);
    /** start + timeoutMs, ms */
    const deadline = new Float64Array(slots);
    const stats: ReassemblyStats = { completed: 0, expired: 0, crcFailed: 0, evicted: 0, rejected: 0, duplicates: 0 };
    let msg: Uint8Array = new Uint8Array(0);

    const free = function (s: number): void {
      state[s] = FREE;
      key[s] = -1;
    };

    const reject = function (status: number): number {
      stats.rejected++;
      return status;
    };

    /** A slot for a new message, or -1. Counts what it displaces. */
    const allocate = function (now: number): number {
      const s = state.indexOf(FREE);
      if (s >= 0) return s;
      let done = -1;
      let live = -1;
      for (let i = 0; i < slots; i++) {
        if (state[i] === DONE) {
          if (done < 0 || deadline[i] < deadline[done]) done = i;
        } else if (live < 0 || deadline[i] < deadline[live]) live = i;
      }
      if (done >= 0) return done;
      if (live < 0) return -1;
      if (now >= deadline[live]) stats.expired++;
      else if (now - (deadline[live] - timeoutMs) < minHoldMs) return -1;
      else stats.evicted++;
      return live;
    };

    /**
     * Checks a fragment of a multi-fragment message against live slot s (fresh slots pass trivially).
     * C2, L2, T2: chunk size, last length and total length as they would be after storing this fragment.
     */
    const check = function (s: number, index: number, cnt: number, len: number, tot: number): number {
      if (count[s] !== cnt) return INCONSISTENT;
      const b = bits[s];
      if (b & (1 << index)) return DUPLICATE;
      const last = index === cnt - 1;
      const haveLast = b & (1 << (cnt - 1));
      let C2 = chunk[s];
      if (!last) {
        if (C2 === 0) C2 = len;
        else if (len !== C2) return INCONSISTENT;
      }
      const L2 = last ? len : haveLast ? lastLen[s] : 0;
      const T2 = index === 0 ? tot : b & 1 ? total[s] : -1;
      if (C2 !== 0 && L2 !== 0) {
        if (L2 > C2) return INCONSISTENT;
        if ((cnt - 1) * C2 + L2 > M) return TOO_BIG;
        if (T2 >= 0 && T2 !== (cnt - 1) * C2 + L2) return INCONSISTENT;
      }
      return NEED_MORE;
    };

    /** Stores a checked fragment in slot s; returns NEED_MORE, COMPLETE or CRC_MISMATCH. */
    const store = function (s: number, p: Uint8Array, hdr: number, index: number, cnt: number): number {
      if (data === null) data = new Uint8Array(slots * M);
      const base = s * M;
      const len = p.length - hdr;
      let off: number;
      if (index === cnt - 1) {
        lastLen[s] = len;
        off = chunk[s] !== 0 ? (cnt - 1) * chunk[s] : M - len; // unknown C: park at the tail
      } else {
        if (chunk[s] === 0) {
          chunk[s] = len;
          if (bits[s] & (1 << (cnt - 1))) {
            const L = lastLen[s];
            data.set(data.subarray(base + M - L, base + M), base + (cnt - 1) * len);
          }
        }
        off = index * len;
      }
      if (index === 0) {
        total[s] = (p[4] << 8) | p[5];
        crc[s] = (p[6] << 24) | (p[7] << 16) | (p[8] << 8) | p[9];
      }
      data.set(p.subarray(hdr), base + off);
      bits[s] = bits[s] | (1 << index);
      const full = cnt === FRAG_MAX_COUNT ? 0xffffffff : ((1 << cnt) >>> 0) - 1;
      if (bits[s] !== full) return NEED_MORE;
      const view = data.subarray(base, base + total[s]);
      if (crc32(view) >>> 0 !== crc[s]) {
        free(s);
        stats.crcFailed++;
        return CRC_MISMATCH;
      }
      state[s] = DONE; // key and deadline kept: late duplicates answer DUPLICATE
      stats.completed++;
      msg = view;
      return COMPLETE;
    };

    const single = function (p: Uint8Array, tot: number, c: number): number {
      if (p.length - FRAG_FIRST_HEADER_BYTES !== tot) return reject(BAD_HEADER);
      const view = p.subarray(FRAG_FIRST_HEADER_BYTES);
      if (crc32(view) >>> 0 !== c) {
        stats.crcFailed++;
        return CRC_MISMATCH;
      }
      stats.completed++;
      msg = view;
      return COMPLETE;
    };

    const accept = function (src: number, p: Uint8Array, now: number): number {
      const n = p.length;
      if (n < FRAG_HEADER_BYTES) return reject(BAD_HEADER);
      const index = p[2];
      const cnt = p[3];
      if (cnt === 0 || cnt > FRAG_MAX_COUNT || index >= cnt) return reject(BAD_HEADER);
      let hdr = FRAG_HEADER_BYTES;
      let tot = -1;
      if (index === 0) {
        if (n < FRAG_FIRST_HEADER_BYTES) return reject(BAD_HEADER);
        hdr = FRAG_FIRST_HEADER_BYTES;
        tot = (p[4] << 8) | p[5];
        if (tot > M) return reject(TOO_BIG);
        if (cnt === 1) return single(p, tot, ((p[6] << 24) | (p[7] << 16) | (p[8] << 8) | p[9]) >>> 0);
      }
      // count ≥ 2 from here: every chunk holds ≥ 1 byte, the message ≥ (count-1)*C + 1 bytes
      const len = n - hdr;
      if (len === 0) return reject(BAD_HEADER);
      if (index !== cnt - 1) {
        if ((cnt - 1) * len >= M) return reject(TOO_BIG);
        if (index === 0 && (tot <= (cnt - 1) * len || tot > cnt * len)) return reject(BAD_HEADER);
      } else if (len + cnt - 1 > M) return reject(TOO_BIG);

      const k = (src >>> 0) * 65536 + ((p[0] << 8) | p[1]);
      let s = key.indexOf(k);
      if (s >= 0 && now >= deadline[s]) {
        if (state[s] === LIVE) stats.expired++;
        free(s); // stale: this fragment starts a new message in a fresh slot
        s = -1;
      }
      if (s >= 0 && state[s] === DONE) {
        stats.duplicates++;
        return DUPLICATE;
      }
      if (s >= 0) {
        const st = check(s, index, cnt, len, tot);
        if (st === DUPLICATE) stats.duplicates++;
        else if (st !== NEED_MORE) stats.rejected++;
        if (st !== NEED_MORE) return st;
      } else {
        s = allocate(now);
        if (s < 0) return reject(NO_SLOT);
        key[s] = k;
        state[s] = LIVE;
        count[s] = cnt;
        bits[s] = 0;
        chunk[s] = 0;
        deadline[s] = now + timeoutMs;
      }
      return store(s, p, hdr, index, cnt);
    };

    const tick = function (now: number): void {
      for (let i = 0; i < slots; i++) {
        if (state[i] !== FREE && now >= deadline[i]) {
          if (state[i] === LIVE) stats.expired++;
          free(i);
        }
      }
    };

    const nextDeadline = function (): number {
      let d = -1;
      for (let i = 0; i < slots; i++) {
        if (state[i] === LIVE && (d < 0 || deadline[i] < d)) d = deadline[i];
      }
      return d;
    };

    return {
      accept: accept,
      message: function (): Uint8Array {
        return msg;
      },
      tick: tick,
      nextDeadline: nextDeadline,
      stats: stats,
    };
  };
}

/**
 * Per-source replay window: rejects a sequence number that was already accepted or that lies more than
 * WINDOW behind the highest one accepted from that source. No clock needed: sequence numbers never wrap
 * within an epoch (seqno.ts), and the key epoch is part of the table key, so a new epoch starts clean.
 *
 * Layout: fixed-capacity typed arrays (board profile `replaySources`). Per slot: source id, epoch, highest
 * sequence accepted, and a 64-bit bitmap as two u32 (bit k of lo|hi<<32 = "top - k accepted").
 * A full table evicts the least recently used source. Known limit, documented for users: a source evicted
 * and then replayed from older captures is accepted once per eviction; dedup-cache.ts still drops copies
 * of recent frames, and the table is sized so that evictions need more active sources than the mesh has.
 *
 * Use `check` before decrypting and `accept` only after the frame tag verified: a forged frame must never
 * move the window.
 */
export const REPLAY_WINDOW = 64;

export interface ReplayWindow {
  /** true when (src, epoch, seq) may be accepted */
  check(src: number, epoch: number, seq: number): boolean;
  /** record (src, epoch, seq) as accepted; call only after check() returned true and the tag verified */
  accept(src: number, epoch: number, seq: number): void;
  /** sources tracked now */
  size(): number;
}

export function createReplayWindow(init: { sources: number }): ReplayWindow {
  const cap = init.sources;
  const srcs = new Uint32Array(cap);
  const epochs = new Uint8Array(cap);
  const tops = new Uint32Array(cap);
  const lo = new Uint32Array(cap);
  const hi = new Uint32Array(cap);
  const used = new Uint32Array(cap);
  let clock = 0;
  let count = 0;

  /** slot of (src, epoch) or -1; src 0 is never valid (frame.ts) so 0 marks a free slot */
  function find(src: number, epoch: number): number {
    let i = srcs.indexOf(src);
    while (i >= 0 && epochs[i] !== epoch) i = srcs.indexOf(src, i + 1);
    return i;
  }

  function check(src: number, epoch: number, seq: number): boolean {
    const i = find(src, epoch);
    if (i < 0) return true;
    const top = tops[i];
    if (seq > top) return true;
    const d = top - seq;
    if (d >= REPLAY_WINDOW) return false;
    return d < 32 ? ((lo[i] >>> d) & 1) === 0 : ((hi[i] >>> (d - 32)) & 1) === 0;
  }

  function slotFor(src: number, epoch: number): number {
    let i = find(src, epoch);
    if (i >= 0) return i;
    i = srcs.indexOf(0);
    if (i < 0) {
      i = 0;
      for (let k = 1; k < cap; k++) if (used[k] < used[i]) i = k;
    } else {
      count++;
    }
    srcs[i] = src;
    epochs[i] = epoch;
    tops[i] = 0;
    lo[i] = 0;
    hi[i] = 0;
    return i;
  }

  function accept(src: number, epoch: number, seq: number): void {
    const i = slotFor(src, epoch);
    used[i] = ++clock;
    const top = tops[i];
    if (seq > top) {
      const d = seq - top;
      if (d >= REPLAY_WINDOW) {
        hi[i] = 0;
        lo[i] = 0;
      } else if (d >= 32) {
        hi[i] = lo[i] << (d - 32);
        lo[i] = 0;
      } else {
        hi[i] = (hi[i] << d) | (lo[i] >>> (32 - d));
        lo[i] = lo[i] << d;
      }
      lo[i] |= 1;
      tops[i] = seq;
    } else {
      const d = top - seq;
      if (d < 32) lo[i] |= 1 << d;
      else if (d < REPLAY_WINDOW) hi[i] |= 1 << (d - 32);
    }
  }

  return { check: check, accept: accept, size: function () { return count; } };
}

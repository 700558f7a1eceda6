/**
 * Duplicate cache: remembers the last `slots` (source, sequence) pairs seen, so that a frame heard again
 * (from another relay, or looped) is handled once. A ring of two Uint32Arrays; lookups use the native
 * typed-array indexOf (ESPRUINO.md: ~12× cheaper than a JS scan, no per-entry objects).
 * The oldest entry is overwritten when the ring is full: capacity (board profile `dedupSlots`) must cover
 * the frames a node hears within the longest time a copy can still arrive.
 */
export interface DedupCache {
  /** true if (src, seq) is in the cache */
  has(src: number, seq: number): boolean;
  /** insert (src, seq); returns false (and inserts nothing) if it was already there */
  add(src: number, seq: number): boolean;
  /** entries in use (≤ capacity) */
  size(): number;
}

export function createDedupCache(init: { slots: number }): DedupCache {
  const cap = init.slots;
  const srcs = new Uint32Array(cap);
  const seqs = new Uint32Array(cap);
  let next = 0;
  let count = 0;

  function has(src: number, seq: number): boolean {
    // seq is the selective key (sources share few sequence numbers); src 0 is never valid (frame.ts)
    let i = seqs.indexOf(seq);
    while (i >= 0) {
      if (srcs[i] === src) return true;
      i = seqs.indexOf(seq, i + 1);
    }
    return false;
  }

  function add(src: number, seq: number): boolean {
    if (has(src, seq)) return false;
    srcs[next] = src;
    seqs[next] = seq;
    next = next + 1 === cap ? 0 : next + 1;
    if (count < cap) count++;
    return true;
  }

  return { has: has, add: add, size: function () { return count; } };
}

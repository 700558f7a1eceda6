/**
 * Duplicate cache: remembers the last `slots` (source, sequence) pairs seen, so that a frame heard again
 * (from another relay, or looped) is handled once. A ring of two Uint32Arrays; lookups use the native
 * typed-array indexOf (ESPRUINO.md: ~12× cheaper than a JS scan, no per-entry objects).
 * The oldest entry is overwritten when the ring is full: capacity (board profile `dedupSlots`) must cover
 * the frames a node hears within the longest time a copy can still arrive.
 *
 * Search with a sentinel: Espruino's typed-array indexOf scans natively, but when the value is absent it
 * then scans again with its generic array search (jswrap_arraybuffer.c, jswrap_arraybufferview_indexOf),
 * ~10× slower: 0.73 M instructions for 256 entries against 0.07 M for a hit at the end. A miss is the common
 * case (every new frame), so `has` first writes the sequence number just past the entries in use; the
 * search then always hits, and a hit at that position means "absent".
 */
export interface DedupCache {
  /** true if (src, seq) is in the cache */
  has(src: number, seq: number): boolean;
  /** insert (src, seq); returns false (and inserts nothing) if it was already there */
  add(src: number, seq: number): boolean;
  /**
   * insert (src, seq) without looking for it first: for a caller that has just called has() and got false
   * (the relay path, which verifies the frame between the two calls)
   */
  insert(src: number, seq: number): void;
  /** entries in use (≤ capacity) */
  size(): number;
}

export function createDedupCache(init: { slots: number }): DedupCache {
  const cap = init.slots;
  const srcs = new Uint32Array(cap);
  // one slot more than the capacity: the search sentinel once the ring is full
  const seqs = new Uint32Array(cap + 1);
  let next = 0;
  let count = 0;

  function has(src: number, seq: number): boolean {
    // entries in use are [0, count): the ring fills from 0, so seqs[count] is free (or the spare slot)
    seqs[count] = seq;
    // seq is the selective key (sources share few sequence numbers); src 0 is never valid (frame.ts)
    // (i < 0 only for a seq a Uint32Array cannot hold, where the sentinel cannot match)
    let i = seqs.indexOf(seq);
    while (i >= 0 && i < count) {
      if (srcs[i] === src) return true;
      i = seqs.indexOf(seq, i + 1);
    }
    return false;
  }

  function insert(src: number, seq: number): void {
    srcs[next] = src;
    seqs[next] = seq;
    if (++next === cap) next = 0;
    if (count < cap) count++;
  }

  function add(src: number, seq: number): boolean {
    if (has(src, seq)) return false;
    insert(src, seq);
    return true;
  }

  return { has: has, add: add, insert: insert, size: function () { return count; } };
}

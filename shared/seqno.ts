/**
 * Sequence numbers: the per-(source, epoch) counter that makes every nonce unique (frame-seal.ts).
 *
 * They must never repeat under one key, also not after a reboot or a power cut. The allocator keeps a
 * high-water mark in the Store: before handing out sequence number s it makes sure the stored mark is
 * above s, writing mark = s + block ahead of time (one flash write per `block` frames; `seqPersistBlock`
 * in the board profile). After a reboot it resumes at the stored mark, skipping at most `block` numbers.
 * If the write fails it hands out nothing (returns -1), so a node with
 * broken flash stays silent rather than reusing a nonce.
 *
 * Sequence numbers are u32, start at 1 and never wrap: when they run out the epoch must be rotated
 * (`meshwork keys rotate`). At 10 frames/s of the node's own traffic that takes 13 years; relayed frames
 * keep their source's number. Because they never wrap, "newer" is a plain comparison (seqNewer).
 */
import type { Store } from './ports.ts';

export const SEQ_MAX = 0xffffffff;

export interface SeqAllocator {
  /** the next sequence number for `epoch`, or -1 when none can be given safely (store failed, exhausted) */
  next(epoch: number): number;
  /** the last number handed out (0 before the first) */
  last(): number;
}

/** a is newer than b (both from the same source and epoch) */
export function seqNewer(a: number, b: number): boolean {
  return a > b;
}

/** Stored as "epoch:mark" text in the Store record `name`. */
export function createSeqAllocator(init: { block: number; name?: string }): (c: { store: Store }) => SeqAllocator {
  return function (c) {
    const name = init.name || 'mw.seq';
    const block = init.block;
    let epoch = -1;
    let nextSeq = 1;
    let mark = 0;

    function load(e: number): void {
      epoch = e;
      nextSeq = 1;
      mark = 0;
      const rec = c.store.read(name);
      if (!rec) return;
      const colon = rec.indexOf(':');
      const storedEpoch = parseInt(rec.substring(0, colon), 10);
      const storedMark = parseInt(rec.substring(colon + 1), 10);
      // a record for another epoch (or a garbled one) says nothing about this epoch's numbers
      if (storedEpoch === e && storedMark > 0 && storedMark <= SEQ_MAX) {
        nextSeq = storedMark;
        mark = storedMark;
      }
    }

    function next(e: number): number {
      if (e !== epoch) load(e);
      if (nextSeq >= SEQ_MAX) return -1;
      if (nextSeq >= mark) {
        let m = nextSeq + block;
        if (m > SEQ_MAX) m = SEQ_MAX;
        if (!c.store.write(name, e + ':' + m)) return -1;
        mark = m;
      }
      return nextSeq++;
    }

    return { next: next, last: function () { return nextSeq - 1; } };
  };
}

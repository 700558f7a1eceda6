import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createReplayWindow, REPLAY_WINDOW } from '../shared/replay-window.ts';
import { createDedupCache } from '../shared/dedup-cache.ts';
import { createSeqAllocator, SEQ_MAX } from '../shared/seqno.ts';
import type { Store } from '../shared/ports.ts';

function accept(w: ReturnType<typeof createReplayWindow>, src: number, seq: number, epoch = 1): boolean {
  if (!w.check(src, epoch, seq)) return false;
  w.accept(src, epoch, seq);
  return true;
}

describe('replay window', () => {
  it('accepts each sequence number once, in any order within the window', () => {
    const w = createReplayWindow({ sources: 4 });
    expect(accept(w, 7, 100)).toBe(true);
    expect(accept(w, 7, 100)).toBe(false);
    expect(accept(w, 7, 99)).toBe(true);
    expect(accept(w, 7, 99)).toBe(false);
    expect(accept(w, 7, 100 - REPLAY_WINDOW + 1)).toBe(true);
    expect(accept(w, 7, 100 - REPLAY_WINDOW)).toBe(false); // reordered beyond the window
    expect(accept(w, 7, 150)).toBe(true);
    expect(accept(w, 7, 100)).toBe(false);
    expect(accept(w, 7, 120)).toBe(true);
    expect(accept(w, 7, 0xffffffff)).toBe(true);
    expect(accept(w, 7, 0xffffffff - 40)).toBe(true);
    expect(accept(w, 7, 0xffffffff - 40)).toBe(false);
  });

  it('keeps sources and epochs apart', () => {
    const w = createReplayWindow({ sources: 4 });
    expect(accept(w, 1, 5)).toBe(true);
    expect(accept(w, 2, 5)).toBe(true);
    expect(accept(w, 1, 5, 2)).toBe(true);
    expect(accept(w, 1, 5)).toBe(false);
  });

  it('agrees with a model (a set of accepted numbers + highest) on random sequences', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 400 }), (seqs) => {
      const w = createReplayWindow({ sources: 2 });
      const seen = new Set<number>();
      let top = 0;
      for (const s of seqs) {
        const expected = !seen.has(s) && s > top - REPLAY_WINDOW;
        expect(accept(w, 9, s)).toBe(expected);
        if (expected) { seen.add(s); top = Math.max(top, s); }
      }
    }), { numRuns: 300 });
  });

  it('stays within its capacity, evicting the least recently used source', () => {
    const w = createReplayWindow({ sources: 3 });
    for (let src = 1; src <= 10; src++) accept(w, src, 1);
    expect(w.size()).toBe(3);
    expect(accept(w, 10, 1)).toBe(false);
    expect(accept(w, 1, 1)).toBe(true); // evicted: documented limit
  });
});

describe('dedup cache', () => {
  it('remembers the last N (source, seq) pairs in a ring', () => {
    const d = createDedupCache({ slots: 4 });
    expect(d.add(1, 1)).toBe(true);
    expect(d.add(2, 1)).toBe(true);
    expect(d.add(1, 1)).toBe(false);
    expect(d.has(2, 1)).toBe(true);
    expect(d.has(3, 1)).toBe(false);
    d.add(1, 2); d.add(1, 3); d.add(1, 4);
    expect(d.has(1, 1)).toBe(false); // overwritten, oldest first
    expect(d.has(2, 1)).toBe(true);
    d.add(1, 5);
    expect(d.has(2, 1)).toBe(false);
    expect(d.has(1, 4)).toBe(true);
    expect(d.size()).toBe(4);
  });

  it('finds pairs whose sequence number is shared by many sources', () => {
    const d = createDedupCache({ slots: 64 });
    for (let s = 1; s <= 50; s++) d.add(s, 7);
    for (let s = 1; s <= 50; s++) expect(d.has(s, 7)).toBe(true);
    expect(d.has(51, 7)).toBe(false);
  });
});

function memStore(): Store & { data: Map<string, string>; fail: boolean; writes: number } {
  const data = new Map<string, string>();
  return {
    data, fail: false, writes: 0,
    read(n) { return data.get(n); },
    write(n, v) { if (this.fail) return false; this.writes++; data.set(n, v); return true; },
  };
}

describe('sequence numbers', () => {
  it('never repeat across reboots and persist before use', () => {
    const store = memStore();
    const used = new Set<number>();
    for (let boot = 0; boot < 20; boot++) {
      const a = createSeqAllocator({ block: 16 })({ store });
      const n = (boot * 7) % 40; // frames sent before the power cut
      for (let i = 0; i < n; i++) {
        const s = a.next(1);
        expect(s).toBeGreaterThan(0);
        expect(used.has(s)).toBe(false);
        used.add(s);
        // the stored mark is always above what was handed out
        expect(Number(store.data.get('mw.seq')!.split(':')[1])).toBeGreaterThan(s);
      }
    }
    expect(store.writes).toBeLessThan(used.size / 4 + 25);
  });

  it('hands out nothing when the store cannot be written', () => {
    const store = memStore();
    store.fail = true;
    expect(createSeqAllocator({ block: 16 })({ store }).next(1)).toBe(-1);
  });

  it('restarts at 1 for a new epoch and refuses to wrap', () => {
    const store = memStore();
    const a = createSeqAllocator({ block: 16 })({ store });
    expect(a.next(1)).toBe(1);
    expect(a.next(1)).toBe(2);
    expect(a.next(2)).toBe(1);
    store.data.set('mw.seq', '5:' + (SEQ_MAX - 1));
    const b = createSeqAllocator({ block: 16 })({ store });
    expect(b.next(5)).toBe(SEQ_MAX - 1);
    expect(b.next(5)).toBe(-1);
  });

  it('ignores a garbled record rather than trusting it', () => {
    const store = memStore();
    store.data.set('mw.seq', 'garbage');
    expect(createSeqAllocator({ block: 16 })({ store }).next(1)).toBe(1);
  });
});

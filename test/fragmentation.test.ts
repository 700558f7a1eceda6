/**
 * Fragmentation (shared/fragmenter.ts) and reassembly (shared/reassembly.ts), with the host Crc32 backend
 * (host/crc32.ts). Vectors in test/vectors/fragments.json were made by an independent Python script
 * (zlib.crc32, slicing by hand) and are checked in both directions: our fragmenter must produce them, our
 * reassembler must rebuild the message from them. The last block runs the same checks inside the real
 * Espruino interpreter on the esbuild bundle, with E.CRC32 as the port, when the binary is present.
 */
import { describe, it, expect } from 'vitest';
import { bundleForEspruino, espruinoBin, espruinoC3Bin, skipReason } from './support/espruino.ts';
import { mulberry32 } from './support/mulberry32.ts';
import fc from 'fast-check';
import { readFileSync, existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';
import { crc32, crc32Js } from '../host/crc32.ts';
import {
  fragmentCount,
  fragmentChunkSize,
  writeFragment,
  FRAG_MAX_COUNT,
  FRAG_MAX_MESSAGE,
} from '../shared/fragmenter.ts';
import {
  createReassembly,
  NEED_MORE,
  COMPLETE,
  BAD_HEADER,
  TOO_BIG,
  DUPLICATE,
  INCONSISTENT,
  CRC_MISMATCH,
  NO_SLOT,
  type Reassembly,
  type ReassemblyInit,
} from '../shared/reassembly.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
interface Vector { name: string; msgId: number; maxPayload: number; crc32: number; message: string; fragments: string[] }
const VECTORS: Vector[] = JSON.parse(readFileSync(join(ROOT, 'test/vectors/fragments.json'), 'utf8')).vectors;
const STATUSES = [NEED_MORE, COMPLETE, BAD_HEADER, TOO_BIG, DUPLICATE, INCONSISTENT, CRC_MISMATCH, NO_SLOT];

const hex = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** Seeded PRNG so every shuffle is reproducible. */
const prng = mulberry32;
function shuffle<T>(xs: T[], rnd: () => number): T[] {
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
function pattern(n: number, seed: number): Uint8Array {
  const r = prng(seed);
  const u = new Uint8Array(n);
  for (let i = 0; i < n; i++) u[i] = Math.floor(r() * 256);
  return u;
}

/** All fragment payloads of a message, each in its own exact-length buffer. */
function fragmentAll(msg: Uint8Array, msgId: number, maxPayload: number, crc = crc32(msg)): Uint8Array[] {
  const n = fragmentCount(msg.length, maxPayload);
  expect(n).toBeGreaterThan(0);
  const out: Uint8Array[] = [];
  const buf = new Uint8Array(maxPayload + 8);
  for (let i = 0; i < n; i++) {
    const end = writeFragment(msg, msgId, i, maxPayload, crc, buf, 3);
    expect(end - 3).toBeLessThanOrEqual(maxPayload);
    out.push(buf.slice(3, end));
  }
  return out;
}

function make(init: Partial<ReassemblyInit> = {}): Reassembly {
  return createReassembly({ slots: 4, maxMessageBytes: 4096, timeoutMs: 1000, ...init })({ crc32 });
}

/** Feeds fragments; every one but the last must answer NEED_MORE (or DUPLICATE), the last COMPLETE. */
function feed(r: Reassembly, src: number, frags: Uint8Array[], now = 0): Uint8Array {
  for (let i = 0; i < frags.length; i++) {
    const st = r.accept(src, frags[i], now);
    if (i < frags.length - 1) expect([NEED_MORE, DUPLICATE]).toContain(st);
    else expect(st).toBe(COMPLETE);
  }
  return r.message().slice();
}

describe('host crc32 backend', () => {
  it('node:zlib.crc32 is present on this Node and is the backend; matches the check value and the JS table', () => {
    expect(typeof (zlib as { crc32?: unknown }).crc32).toBe('function');
    const check = new TextEncoder().encode('123456789');
    expect(crc32(check)).toBe(0xcbf43926);
    expect(crc32Js(check)).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32Js(new Uint8Array(0))).toBe(0);
  });
  it('agrees with the JS table on random data and on offset subarray views', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(20), (u, cut) => {
        const view = u.subarray(Math.min(cut, u.length));
        const v = crc32(view);
        expect(v).toBe(crc32Js(view));
        expect(v).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('fragment vectors (independent generator), both directions', () => {
  for (const v of VECTORS) {
    it(v.name, () => {
      const msg = unhex(v.message);
      expect(crc32(msg)).toBe(v.crc32);
      expect(fragmentCount(msg.length, v.maxPayload)).toBe(v.fragments.length);
      // fragmenter -> exact bytes
      expect(fragmentAll(msg, v.msgId, v.maxPayload).map(hex)).toEqual(v.fragments);
      // bytes -> reassembler, in order and reversed (the last fragment first exercises the park)
      const frags = v.fragments.map(unhex);
      expect(hex(feed(make(), 9, frags))).toBe(v.message);
      expect(hex(feed(make(), 9, frags.slice().reverse()))).toBe(v.message);
    });
  }
});

describe('fragmenter', () => {
  it('counts fragments at the edges', () => {
    expect(fragmentChunkSize(219)).toBe(209);
    expect(fragmentCount(0, 219)).toBe(1);
    expect(fragmentCount(209, 219)).toBe(1);
    expect(fragmentCount(210, 219)).toBe(2);
    expect(fragmentCount(4096, 219)).toBe(20);
    expect(fragmentCount(4096, 138)).toBe(FRAG_MAX_COUNT);
    expect(fragmentCount(4096, 137)).toBe(0); // would need 33
    expect(fragmentCount(FRAG_MAX_MESSAGE + 1, 219)).toBe(0);
    expect(fragmentCount(1, 11)).toBe(1);
    expect(fragmentCount(32, 11)).toBe(32);
    expect(fragmentCount(33, 11)).toBe(0);
    expect(fragmentCount(0, 10)).toBe(0); // no room for a chunk
    expect(fragmentCount(-1, 219)).toBe(0);
  });
  it('writes at an offset, returns the new offset and touches nothing else', () => {
    const msg = pattern(25, 1);
    const out = new Uint8Array(64).fill(0xaa);
    const end = writeFragment(msg, 0x1_0203, 1, 20, 0, out, 5); // msgId wraps to 0x0203
    expect(end).toBe(5 + 4 + 10);
    expect(hex(out.subarray(5, end))).toBe('02030103' + hex(msg.subarray(10, 20)));
    expect(out.subarray(0, 5).every((b) => b === 0xaa)).toBe(true);
    expect(out.subarray(end).every((b) => b === 0xaa)).toBe(true);
    // the crc is written as u32 whatever its sign (E.CRC32 style signed input)
    const e0 = writeFragment(msg, 7, 0, 20, -1, out, 0);
    expect(hex(out.subarray(0, 10))).toBe('0007000300' + '19' + 'ffffffff');
    expect(e0).toBe(20);
  });
  it('throws on misuse with the module prefix', () => {
    const msg = pattern(100, 2);
    const out = new Uint8Array(300);
    expect(() => writeFragment(msg, 1, 1, 219, 0, out, 0)).toThrow(/^meshwork\/fragmenter: index/);
    expect(() => writeFragment(msg, 1, -1, 50, 0, out, 0)).toThrow(/^meshwork\/fragmenter: index/);
    expect(() => writeFragment(msg, 1, 0, 219, 0, new Uint8Array(50), 0)).toThrow(/^meshwork\/fragmenter: out too short/);
    expect(() => writeFragment(new Uint8Array(5000), 1, 0, 219, 0, out, 0)).toThrow(/^meshwork\/fragmenter: message/);
    expect(() => writeFragment(msg, 1, 0, 10, 0, out, 0)).toThrow(/^meshwork\/fragmenter: message/);
  });
});

describe('round trips', () => {
  it('every size 0..4096 at maxPayload 219, shuffled, with duplicates', () => {
    const r = make();
    const rnd = prng(42);
    for (let n = 0; n <= 4096; n++) {
      const msg = pattern(n, n);
      const frags = fragmentAll(msg, n & 0xffff, 219);
      const order = shuffle(frags, rnd);
      // a duplicate somewhere (single-fragment messages bypass the table: their duplicates are the frame
      // dedup cache's job, and a second copy would simply complete again)
      if (order.length > 1) order.splice(Math.floor(rnd() * order.length), 0, order[Math.floor(rnd() * order.length)]);
      let done = 0;
      for (const f of order) {
        const st = r.accept(n % 7, f, n);
        if (st === COMPLETE) {
          done++;
          expect(hex(r.message())).toBe(hex(msg));
        } else expect([NEED_MORE, DUPLICATE]).toContain(st);
      }
      expect(done, `size ${n}`).toBe(1);
    }
    expect(r.stats.completed).toBe(4097);
    expect(r.stats.rejected + r.stats.crcFailed + r.stats.evicted + r.stats.expired).toBe(0);
  });
  it('sizes around every chunk boundary for several frame budgets, random order', () => {
    const rnd = prng(7);
    for (const mp of [11, 16, 42, 138, 218, 219]) {
      const C = fragmentChunkSize(mp);
      const max = Math.min(FRAG_MAX_MESSAGE, FRAG_MAX_COUNT * C);
      const sizes = new Set<number>([0, 1, max]);
      for (let k = 1; k * C <= max + 1; k++) for (const d of [-1, 0, 1]) if (k * C + d >= 0 && k * C + d <= max) sizes.add(k * C + d);
      const r = make();
      for (const n of sizes) {
        const msg = pattern(n, n * 31 + mp);
        expect(hex(feed(r, 1, shuffle(fragmentAll(msg, n, mp), rnd)))).toBe(hex(msg));
      }
      expect(fragmentCount(max + 1, mp)).toBe(0); // one byte more needs a 33rd fragment or exceeds 4096
    }
  });
  it('interleaves several sources and messages (same msgId on different sources), with duplicates', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rnd = prng(seed);
        const specs = [
          { src: 1, id: 5, n: 900 },
          { src: 2, id: 5, n: 900 },
          { src: 1, id: 6, n: 1 + Math.floor(rnd() * 4096) },
          { src: 0xfffffffe, id: 0xffff, n: Math.floor(rnd() * 2000) },
        ];
        const msgs = specs.map((s, i) => pattern(s.n, seed + i));
        const queues = specs.map((s, i) => shuffle(fragmentAll(msgs[i], s.id, 219), rnd));
        const r = make({ slots: 4 });
        const got: (string | null)[] = specs.map(() => null);
        let now = 0;
        while (queues.some((q) => q.length)) {
          const live = queues.map((q, i) => (q.length ? i : -1)).filter((i) => i >= 0);
          const i = live[Math.floor(rnd() * live.length)];
          const f = queues[i].shift()!;
          if (rnd() < 0.2 && msgs[i].length > 209) queues[i].push(f); // delivered again later (multi-fragment only)
          const st = r.accept(specs[i].src, f, now++);
          if (st === COMPLETE) {
            expect(got[i]).toBe(null);
            got[i] = hex(r.message());
          } else expect([NEED_MORE, DUPLICATE]).toContain(st);
        }
        expect(got).toEqual(msgs.map(hex));
        expect(r.stats.evicted + r.stats.rejected + r.stats.crcFailed).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
  it('places chunks when the last fragment arrives first (parked at the tail, moved once C is known)', () => {
    const msg = pattern(650, 3);
    const f = fragmentAll(msg, 1, 219); // 209 209 209 23
    const r = make({ maxMessageBytes: 700 }); // last chunk parked at [677, 700), moved to [627, 650)
    expect(r.accept(1, f[3], 0)).toBe(NEED_MORE);
    expect(r.accept(1, f[2], 0)).toBe(NEED_MORE);
    expect(r.accept(1, f[1], 0)).toBe(NEED_MORE);
    expect(r.accept(1, f[0], 0)).toBe(COMPLETE);
    expect(hex(r.message())).toBe(hex(msg));
    // overlapping move: slot just big enough, last chunk long
    const msg2 = pattern(417, 4); // 209 + 208
    const g = fragmentAll(msg2, 2, 219);
    const r2 = make({ maxMessageBytes: 418 }); // park at [210, 418), final place [209, 417)
    expect(r2.accept(1, g[1], 0)).toBe(NEED_MORE);
    expect(r2.accept(1, g[0], 0)).toBe(COMPLETE);
    expect(hex(r2.message())).toBe(hex(msg2));
  });
  it('completes single-fragment messages without a slot, as a view of the caller payload', () => {
    const r = make({ slots: 0 });
    const f = fragmentAll(new TextEncoder().encode('hi'), 3, 219)[0];
    expect(r.accept(1, f, 0)).toBe(COMPLETE);
    expect(r.message().buffer).toBe(f.buffer);
    expect(new TextDecoder().decode(r.message())).toBe('hi');
    expect(r.accept(1, f, 1)).toBe(COMPLETE); // no slot, no done record: a repeat is delivered again
    f[5] ^= 1; // totalLength now disagrees with the chunk
    expect(r.accept(1, f, 0)).toBe(BAD_HEADER);
    f[5] ^= 1;
    f[11] ^= 1; // payload corrupted: CRC catches it
    expect(r.accept(1, f, 0)).toBe(CRC_MISMATCH);
    expect(r.stats.crcFailed).toBe(1);
  });
});

describe('timeouts, duplicates and conflicts', () => {
  it('a lost fragment: the slot expires at nextDeadline via tick, and a late fragment starts afresh', () => {
    const r = make({ timeoutMs: 500 });
    const f = fragmentAll(pattern(700, 5), 9, 219); // 4 fragments
    expect(r.nextDeadline()).toBe(-1);
    expect(r.accept(1, f[0], 1000)).toBe(NEED_MORE);
    expect(r.accept(1, f[1], 1400)).toBe(NEED_MORE);
    expect(r.nextDeadline()).toBe(1500); // first fragment + timeout; not extended
    r.tick(1499);
    expect(r.nextDeadline()).toBe(1500);
    r.tick(1500);
    expect(r.stats.expired).toBe(1);
    expect(r.nextDeadline()).toBe(-1);
    // the rest arrives late: a new slot without fragments 0 and 1 never completes with stale data
    expect(r.accept(1, f[2], 1600)).toBe(NEED_MORE);
    expect(r.accept(1, f[3], 1601)).toBe(NEED_MORE);
    expect(r.nextDeadline()).toBe(2100);
  });
  it('a live slot past its deadline is expired by accept itself when tick was not called', () => {
    const r = make({ timeoutMs: 100 });
    const msg = pattern(500, 6);
    const f = fragmentAll(msg, 1, 219);
    expect(r.accept(4, f[0], 0)).toBe(NEED_MORE);
    expect(r.accept(4, f[1], 200)).toBe(NEED_MORE); // old slot expired, new one started
    expect(r.stats.expired).toBe(1);
    expect(r.accept(4, f[0], 201)).toBe(NEED_MORE);
    expect(r.accept(4, f[2], 202)).toBe(COMPLETE);
    expect(hex(r.message())).toBe(hex(msg));
  });
  it('duplicates change nothing, and late duplicates of a completed message open no ghost slot', () => {
    const r = make({ timeoutMs: 100 });
    const msg = pattern(300, 7);
    const f = fragmentAll(msg, 1, 219);
    expect(r.accept(1, f[1], 0)).toBe(NEED_MORE);
    expect(r.accept(1, f[1], 1)).toBe(DUPLICATE);
    expect(r.accept(1, f[0], 2)).toBe(COMPLETE);
    expect(r.accept(1, f[0], 3)).toBe(DUPLICATE);
    expect(r.accept(1, f[1], 4)).toBe(DUPLICATE);
    expect(r.nextDeadline()).toBe(-1);
    expect(r.stats.duplicates).toBe(3);
    // after the deadline the id is free again (e.g. a rebooted source)
    expect(r.accept(1, f[1], 100)).toBe(NEED_MORE);
    expect(r.accept(1, f[0], 101)).toBe(COMPLETE);
    expect(r.stats.completed).toBe(2);
  });
  it('the CRC catches two messages with the same (src, msgId) mixed', () => {
    const a = pattern(600, 8);
    const b = pattern(600, 9);
    const fa = fragmentAll(a, 77, 219);
    const fb = fragmentAll(b, 77, 219); // a rebooted source reusing id 77
    const r = make();
    expect(r.accept(1, fa[0], 0)).toBe(NEED_MORE);
    expect(r.accept(1, fb[1], 1)).toBe(NEED_MORE);
    expect(r.accept(1, fa[2], 2)).toBe(CRC_MISMATCH);
    expect(r.stats.crcFailed).toBe(1);
    expect(r.nextDeadline()).toBe(-1); // slot dropped
    // the next complete delivery of one message works
    expect(hex(feed(r, 1, fb, 3))).toBe(hex(b));
  });
  it('INCONSISTENT fragments are refused and leave the slot intact', () => {
    const msg = pattern(650, 10); // 4 fragments at 219: 209 209 209 23
    const f = fragmentAll(msg, 3, 219);
    const r = make();
    expect(r.accept(1, f[1], 0)).toBe(NEED_MORE);
    // other count
    expect(r.accept(1, fragmentAll(pattern(300, 1), 3, 219)[1], 0)).toBe(INCONSISTENT);
    // other chunk size (maxPayload 200 -> C 190), same count 4
    expect(r.accept(1, fragmentAll(pattern(650, 1), 3, 200)[2], 0)).toBe(INCONSISTENT);
    // last chunk longer than C
    const longLast = new Uint8Array(4 + 210);
    longLast.set([0, 3, 3, 4]);
    expect(r.accept(1, longLast, 0)).toBe(INCONSISTENT);
    // last chunk whose length disagrees with totalLength (fragment 0 first)
    expect(r.accept(1, f[0], 0)).toBe(NEED_MORE);
    expect(r.accept(1, f[3].subarray(0, f[3].length - 1), 0)).toBe(INCONSISTENT);
    expect(r.stats.rejected).toBe(4);
    expect(r.accept(1, f[2], 0)).toBe(NEED_MORE);
    expect(r.accept(1, f[3], 0)).toBe(COMPLETE);
    expect(hex(r.message())).toBe(hex(msg));
    // fragment 0 arriving after a parked last chunk it disagrees with
    const r2 = make();
    expect(r2.accept(1, f[3].subarray(0, 10), 0)).toBe(NEED_MORE);
    expect(r2.accept(1, f[0], 0)).toBe(INCONSISTENT);
  });
  it('BAD_HEADER and TOO_BIG on malformed or oversized fragments', () => {
    const r = make({ maxMessageBytes: 1000 });
    const cases: [number[], number][] = [
      [[], BAD_HEADER],
      [[0, 1, 0], BAD_HEADER],
      [[0, 1, 0, 0, 9], BAD_HEADER], // count 0
      [[0, 1, 0, 33, 9], BAD_HEADER], // count > 32
      [[0, 1, 2, 2, 9], BAD_HEADER], // index >= count
      [[0, 1, 0, 2, 0, 5, 0, 0, 0], BAD_HEADER], // fragment 0 shorter than its header
      [[0, 1, 1, 2], BAD_HEADER], // empty chunk in a 2-fragment message
      [[0, 1, 0, 2, 0, 9, 0, 0, 0, 0, 1, 2, 3], BAD_HEADER], // total 9 > count * chunk (6)
      [[0, 1, 0, 2, 0, 3, 0, 0, 0, 0, 1, 2, 3], BAD_HEADER], // total 3 <= (count-1) * chunk
      [[0, 1, 0, 1, 0, 2, 0, 0, 0, 0, 1], BAD_HEADER], // count 1, chunk 1 != total 2
      [[0, 1, 0, 1, 0x03, 0xe9, 0, 0, 0, 0], TOO_BIG], // total 1001
      [[0, 1, 1, 3, ...new Array(500).fill(1)], TOO_BIG], // two chunks of 500 + >= 1
      [[0, 1, 31, 32, ...new Array(970).fill(1)], TOO_BIG], // last of 970 after 31 chunks of >= 1
    ];
    for (const [bytes, want] of cases) expect(r.accept(1, new Uint8Array(bytes), 0), JSON.stringify(bytes.slice(0, 12))).toBe(want);
    expect(r.stats.rejected).toBe(cases.length);
    expect(r.nextDeadline()).toBe(-1);
    expect(r.accept(1, new Uint8Array([0, 1, 31, 32, ...new Array(969).fill(1)]), 0)).toBe(NEED_MORE);
  });
});

describe('fixed capacity', () => {
  it('a full table evicts the slot with the oldest start, done records first', () => {
    const r = make({ slots: 2 });
    const m = [0, 1, 2, 3].map((i) => pattern(400, 20 + i));
    const f = m.map((x, i) => fragmentAll(x, i, 219));
    expect(r.accept(1, f[0][0], 10)).toBe(NEED_MORE);
    expect(r.accept(1, f[1][0], 20)).toBe(NEED_MORE);
    expect(r.accept(1, f[2][1], 30)).toBe(NEED_MORE); // evicts message 0 (start 10)
    expect(r.stats.evicted).toBe(1);
    expect(r.accept(1, f[1][1], 31)).toBe(COMPLETE); // message 1 untouched
    expect(hex(r.message())).toBe(hex(m[1]));
    expect(r.accept(1, f[3][0], 32)).toBe(NEED_MORE); // takes message 1's done record, no eviction
    expect(r.stats.evicted).toBe(1);
    expect(r.accept(1, f[2][0], 33)).toBe(COMPLETE);
    expect(hex(r.message())).toBe(hex(m[2]));
    expect(r.accept(1, f[3][1], 34)).toBe(COMPLETE);
    expect(hex(r.message())).toBe(hex(m[3]));
  });
  it('minHoldMs protects young slots (NO_SLOT); zero slots refuse every multi-fragment message', () => {
    const r = make({ slots: 1, minHoldMs: 100 });
    const a = fragmentAll(pattern(400, 30), 1, 219);
    const b = fragmentAll(pattern(400, 31), 2, 219);
    expect(r.accept(1, a[0], 0)).toBe(NEED_MORE);
    expect(r.accept(2, b[0], 99)).toBe(NO_SLOT);
    expect(r.accept(2, b[0], 100)).toBe(NEED_MORE);
    expect(r.stats.evicted).toBe(1);
    const z = make({ slots: 0 });
    expect(z.accept(1, a[0], 0)).toBe(NO_SLOT);
    expect(z.nextDeadline()).toBe(-1);
  });
  it('memory does not grow: every multi-fragment message is a view of the one preallocated buffer', () => {
    const r = make({ slots: 3, maxMessageBytes: 2048 });
    const rnd = prng(99);
    let store: ArrayBufferLike | null = null;
    for (let i = 0; i < 3000; i++) {
      const msg = pattern(210 + Math.floor(rnd() * 1838), i);
      const got = r.accept(i % 5, fragmentAll(msg, i, 219)[0], i); // start, never finished: cycles the table
      expect([NEED_MORE, DUPLICATE]).toContain(got);
      if (i % 10 === 0) {
        feed(r, 100, shuffle(fragmentAll(msg, i, 219), rnd), i);
        if (store === null) store = r.message().buffer;
        expect(r.message().buffer).toBe(store);
        expect(r.message().buffer.byteLength).toBe(3 * 2048);
      }
    }
    expect(r.stats.completed).toBe(300);
  });
  it('rejects bad creation parameters with the module prefix', () => {
    const bad: ReassemblyInit[] = [
      { slots: -1, maxMessageBytes: 10, timeoutMs: 1 },
      { slots: 1.5, maxMessageBytes: 10, timeoutMs: 1 },
      { slots: 1, maxMessageBytes: 0, timeoutMs: 1 },
      { slots: 1, maxMessageBytes: 4097, timeoutMs: 1 },
      { slots: 1, maxMessageBytes: 10, timeoutMs: 0 },
      { slots: 1, maxMessageBytes: 10, timeoutMs: 1, minHoldMs: -1 },
    ];
    for (const b of bad) expect(() => createReassembly(b)).toThrow(/^meshwork\/reassembly: /);
  });
});

describe('hostile fragments', () => {
  /** Random bytes, and random headers that pass the cheap checks more often. */
  const hostile = fc.oneof(
    fc.uint8Array({ maxLength: 260 }),
    fc
      .record({
        id: fc.integer({ min: 0, max: 3 }),
        index: fc.integer({ min: 0, max: 34 }),
        // biased towards what an honest 219-byte sender emits, so a fragment often passes every check
        count: fc.oneof(fc.integer({ min: 0, max: 34 }), fc.integer({ min: 2, max: 20 })),
        total: fc.integer({ min: 0, max: 5000 }),
        body: fc.oneof(fc.uint8Array({ maxLength: 230 }), fc.uint8Array({ minLength: 209, maxLength: 209 })),
      })
      .map((h) => {
        const head = h.index === 0 ? [0, h.id, 0, h.count, h.total >> 8, h.total & 255, 1, 2, 3, 4] : [0, h.id, h.index, h.count];
        const u = new Uint8Array(head.length + h.body.length);
        u.set(head);
        u.set(h.body, head.length);
        return u;
      }),
  );
  it('never throw, answer a known status, and never disturb another source\'s message', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 2, max: 4 }), hostile), { maxLength: 40 }), fc.integer(), (junk, seed) => {
        const rnd = prng(seed);
        const msg = pattern(1 + Math.floor(rnd() * 4000), seed);
        const good = shuffle(fragmentAll(msg, 0, 219), rnd);
        // a large minHoldMs: hostile ids may take free slots but can never evict the honest message
        const r = make({ slots: 3, minHoldMs: 1e9, timeoutMs: 1e10 });
        let k = 0;
        let done = 0;
        for (let i = 0; i < good.length; i++) {
          const st = r.accept(1, good[i], i);
          if (st === COMPLETE) {
            done++;
            expect(hex(r.message())).toBe(hex(msg));
          } else expect(st).toBe(NEED_MORE);
          const take = Math.ceil(junk.length / good.length);
          for (let j = 0; j < take && k < junk.length; j++, k++) {
            let st2 = 0;
            expect(() => (st2 = r.accept(junk[k][0], junk[k][1], i))).not.toThrow();
            expect(STATUSES).toContain(st2);
          }
        }
        expect(done).toBe(1);
      }),
      { numRuns: 400 },
    );
  });
  it('from the same source and ids never throw, and a COMPLETE is always a CRC-valid message', () => {
    fc.assert(
      fc.property(fc.array(hostile, { maxLength: 60 }), (junk) => {
        const r = make({ slots: 2, maxMessageBytes: 1500 });
        for (let i = 0; i < junk.length; i++) {
          const st = r.accept(1, junk[i], i);
          expect(STATUSES).toContain(st);
          if (st === COMPLETE) {
            // only possible if the bytes carry a matching crc32 in some fragment 0
            const claimed = junk.filter((u) => u.length >= 10 && u[2] === 0).map((u) => ((u[6] << 24) | (u[7] << 16) | (u[8] << 8) | u[9]) >>> 0);
            expect(claimed).toContain(crc32(r.message()));
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});

const ESPRUINO = espruinoBin() ?? '';
const ESPRUINO_C3 = espruinoC3Bin() ?? '';

/**
 * Runs inside Espruino. Only the messages go in (the interpreter holds its program text in JsVars, and the
 * full vector file does not fit a C3's heap); the fragments it writes and the CRCs it computes come back
 * on stdout and are compared with the vector file here. It then feeds its own fragments (byte-identical to
 * the vectors once that comparison passes) to the reassembler last-first and checks the message on-device.
 */
const DRIVER = `
import { fragmentCount, writeFragment } from './shared/fragmenter.ts';
import { createReassembly } from './shared/reassembly.ts';
declare const E: any, process: any, print: any, quit: any, VECTORS: any, SLOTS: number, MAXB: number;
function unhex(s: string): Uint8Array { const u = new Uint8Array(s.length >> 1); for (let i = 0; i < u.length; i++) u[i] = parseInt(s.substr(i * 2, 2), 16); return u; }
function tohex(u: Uint8Array): string { let s = ''; for (let i = 0; i < u.length; i++) s += (u[i] < 16 ? '0' : '') + u[i].toString(16); return s; }
function same(a: Uint8Array, b: Uint8Array): boolean { if (a.length !== b.length) return false; for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false; return true; }
const port = function (d: Uint8Array): number { return E.CRC32(d); };
const m0 = process.memory().usage;
const r = createReassembly({ slots: SLOTS, maxMessageBytes: MAXB, timeoutMs: 5000 })({ crc32: port });
print('M reassembly ' + (process.memory().usage - m0));
const VS = VECTORS;
const out = new Uint8Array(256);
let frs: Uint8Array[] = [];
for (let v = 0; v < VS.length; v++) {
  const msg = unhex(VS[v].m);
  const crc = E.CRC32(msg) >>> 0;
  const n = fragmentCount(msg.length, VS[v].mp);
  frs = [];
  for (let i = 0; i < n; i++) {
    const e = writeFragment(msg, VS[v].id, i, VS[v].mp, crc, out, 0);
    const f = new Uint8Array(e);
    f.set(out.subarray(0, e));
    frs.push(f);
    print('F ' + v + ' ' + tohex(f));
  }
  let st = 0;
  for (let i = n - 1; i >= 0; i--) st = r.accept(7, frs[i], v);
  print('V ' + v + ' ' + crc + ' ' + n + ' ' + st + ' ' + (st === 1 && same(r.message(), msg) ? 'same' : 'differs'));
}
// soak with the last vector's fragments: once warmed up, the heap must not grow
let ok = 0;
const soak = function (k: number): void { for (let i = frs.length - 1; i >= 0; i--) { if (r.accept(100 + k, frs[i], 1000 + k) === 1) ok++; } r.tick(1000 + k); };
// every variable exists before the first reading, so only real growth can show between the readings;
// a typed array holds the readings (on the C3 layout a large int stored in a plain array costs a JsVar)
const mem = new Uint32Array(3);
let k = 0;
soak(k++);
mem[0] = process.memory().usage;
while (k <= 40) soak(k++);
mem[1] = process.memory().usage;
while (k <= 80) soak(k++);
mem[2] = process.memory().usage;
print('M soak40Delta ' + (mem[1] - mem[0]));
print('M soak80Delta ' + (mem[2] - mem[0]));
print('M soakOk ' + ok);
print('END');
quit();
`;

interface EspruinoRun { frags: string[][]; v: { crc: number; n: number; st: number; same: string }[]; m: Record<string, number> }

async function runOnEspruino(bin: string, slots: number, maxBytes: number): Promise<EspruinoRun> {
  const vectors = VECTORS.filter((v) => v.message.length / 2 <= maxBytes).map((v) => ({ id: v.msgId, mp: v.maxPayload, m: v.message }));
  // the firmware build's own esbuild options (require kept plain, Espruino `supported` map)
  const driverJs = await bundleForEspruino(DRIVER, { VECTORS: JSON.stringify(vectors), SLOTS: String(slots), MAXB: String(maxBytes) });
  const dir = mkdtempSync(join(tmpdir(), 'mw-frag-'));
  try {
    writeFileSync(join(dir, 'driver.js'), driverJs);
    const p = spawnSync(bin, ['driver.js'], { cwd: dir, input: '', timeout: 120_000, killSignal: 'SIGKILL', encoding: 'utf8' });
    const lines = p.stdout.split('\n').map((l) => l.trim());
    if (!lines.includes('END')) throw new Error('driver did not finish on ' + bin + ':\n' + p.stdout.slice(-3000) + p.stderr);
    const run: EspruinoRun = { frags: vectors.map(() => []), v: [], m: {} };
    for (const l of lines) {
      const w = l.split(' ');
      if (w[0] === 'F') run.frags[Number(w[1])].push(w[2]);
      if (w[0] === 'V') run.v[Number(w[1])] = { crc: Number(w[2]), n: Number(w[3]), st: Number(w[4]), same: w[5] };
      if (w[0] === 'M') run.m[w[1]] = Number(w[2]);
    }
    return run;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function checkEspruinoRun(run: EspruinoRun, maxBytes: number): void {
  const vectors = VECTORS.filter((v) => v.message.length / 2 <= maxBytes);
  expect(run.v.length).toBe(vectors.length);
  vectors.forEach((v, i) => {
    expect(run.frags[i], v.name).toEqual(v.fragments);
    expect(run.v[i], v.name).toEqual({ crc: v.crc32, n: v.fragments.length, st: COMPLETE, same: 'same' });
  });
  expect(run.m.soakOk).toBe(81);
  expect(run.m.soak40Delta).toBeLessThanOrEqual(0);
  expect(run.m.soak80Delta).toBeLessThanOrEqual(0);
}

describe.runIf(ESPRUINO !== '')(`inside the Espruino interpreter (esbuild bundle, E.CRC32 port)${ESPRUINO ? '' : ': ' + skipReason()}`, () => {
  it('ESP32 layout (16383 JsVars), table 4 x 4096: vectors both ways, no heap growth', async () => {
    const run = await runOnEspruino(ESPRUINO, 4, 4096);
    checkEspruinoRun(run, 4096);
    console.log('espruino esp32-like: JsVars for a 4 x 4096 reassembly', run.m.reassembly, 'soak deltas', run.m.soak40Delta, run.m.soak80Delta);
  }, 180_000);
  it.runIf(ESPRUINO_C3 !== '')(`ESP32-C3 layout (4095 JsVars), table 1 x 2048${ESPRUINO_C3 ? '' : ': ' + skipReason('ESPRUINO_C3_BIN')}`, async () => {
    const run = await runOnEspruino(ESPRUINO_C3, 1, 2048);
    checkEspruinoRun(run, 2048);
    console.log('espruino esp32-c3-like: JsVars for a 1 x 2048 reassembly', run.m.reassembly, 'soak deltas', run.m.soak40Delta, run.m.soak80Delta);
  }, 180_000);
});

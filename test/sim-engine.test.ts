/**
 * The simulator's engine and random streams: events run in (time, scheduling order), the clock never goes
 * back, the heap survives growth and interleaved scheduling, and seeded streams repeat exactly.
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../host/sim/engine.ts';
import { createRng, hash01, hashNormal } from '../host/sim/rng.ts';
import { xorshift } from './support/xorshift.ts';

describe('engine', () => {
  it('runs events in time order, ties in the order they were scheduled', () => {
    const e = createEngine();
    const seen: string[] = [];
    e.on(1, (a, b) => seen.push(`${e.now}:${a}:${b}`));
    e.schedule(5, 1, 1, 0);
    e.schedule(2, 1, 2, 0);
    e.schedule(5, 1, 3, 0);
    e.schedule(2, 1, 4, 0);
    e.schedule(0, 1, 5, 0);
    e.run(10);
    expect(seen).toEqual(['0:5:0', '2:2:0', '2:4:0', '5:1:0', '5:3:0']);
    expect(e.now).toBe(10);
    expect(e.processed).toBe(5);
  });

  it('orders 100 000 random events like a stable sort, with scheduling from inside handlers and growth', () => {
    const e = createEngine();
    const r = xorshift(7);
    const expected: { t: number; id: number }[] = [];
    const got: number[] = [];
    let id = 0;
    e.on(0, (a) => {
      got.push(a);
      // a third of the handlers schedule a follow-up in the future (never the past)
      if (a % 3 === 0 && id < 100000) {
        const t = e.now + (r() % 1000);
        expected.push({ t, id });
        e.schedule(t, 0, id++, 0);
      }
    });
    for (let k = 0; k < 60000; k++) {
      const t = r() % 50000;
      expected.push({ t, id });
      e.schedule(t, 0, id++, 0);
    }
    e.run(Infinity);
    // ids grow with scheduling order, so the run order is time first, then id: check every step
    expect(got.length).toBe(id);
    const times = new Map(expected.map((x) => [x.id, x.t]));
    let bad = 0;
    for (let k = 1; k < got.length; k++) {
      const a = times.get(got[k - 1])!, b = times.get(got[k])!;
      if (b < a || (a === b && got[k] < got[k - 1])) bad++;
    }
    expect(bad).toBe(0);
  });

  it('clamps events scheduled in the past to now and leaves the clock at `until`', () => {
    const e = createEngine();
    const at: number[] = [];
    e.on(2, () => at.push(e.now));
    e.on(3, () => e.schedule(1, 2, 0, 0));
    e.schedule(50, 3, 0, 0);
    e.schedule(200, 2, 0, 0);
    e.run(100);
    expect(at).toEqual([50]);
    expect(e.now).toBe(100);
    expect(e.pending).toBe(1);
    e.run(300);
    expect(at).toEqual([50, 200]);
  });

  it('reports progress at the requested virtual-time steps', () => {
    const e = createEngine();
    e.on(0, () => undefined);
    for (let t = 0; t < 1000; t += 10) e.schedule(t, 0, 0, 0);
    const p: number[] = [];
    e.run(1000, (now) => p.push(now), 250);
    expect(p).toEqual([250, 500, 750, 1000]);
  });

  it('refuses NaN times and bad kinds', () => {
    const e = createEngine();
    expect(() => e.schedule(NaN, 0, 0, 0)).toThrow(/NaN/);
    expect(() => e.on(256, () => undefined)).toThrow(/0\.\.255/);
  });
});

describe('seeded streams', () => {
  it('repeat exactly for the same (seed, stream) and differ across streams and seeds', () => {
    const a = createRng(42, 1), b = createRng(42, 1), c = createRng(42, 2), d = createRng(43, 1);
    const xa = Array.from({ length: 50 }, () => a.u32());
    expect(Array.from({ length: 50 }, () => b.u32())).toEqual(xa);
    expect(Array.from({ length: 50 }, () => c.u32())).not.toEqual(xa);
    expect(Array.from({ length: 50 }, () => d.u32())).not.toEqual(xa);
  });

  it('next() is uniform in [0, 1) and normal() has mean 0, sd 1 (loose statistical check)', () => {
    const r = createRng(1, 0);
    const n = 100000;
    let s = 0, lo = 1, hi = 0, m = 0, v = 0;
    const bins = new Array(10).fill(0);
    for (let i = 0; i < n; i++) {
      const x = r.next();
      s += x; lo = Math.min(lo, x); hi = Math.max(hi, x);
      bins[Math.floor(x * 10)]++;
      const g = r.normal();
      m += g; v += g * g;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(Math.abs(s / n - 0.5)).toBeLessThan(0.01);
    for (const b of bins) expect(Math.abs(b - n / 10)).toBeLessThan(n / 10 * 0.05);
    expect(Math.abs(m / n)).toBeLessThan(0.02);
    expect(Math.abs(v / n - 1)).toBeLessThan(0.03);
  });

  it('int(n) covers 0..n-1 only', () => {
    const r = createRng(9, 9);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(r.int(7));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('per-link hashes are fixed, symmetric inputs aside, and spread', () => {
    expect(hash01(1, 2, 3)).toBe(hash01(1, 2, 3));
    expect(hash01(1, 2, 3)).not.toBe(hash01(1, 3, 2));
    let m = 0;
    for (let i = 0; i < 20000; i++) m += hashNormal(5, i, i + 1);
    expect(Math.abs(m / 20000)).toBeLessThan(0.03);
  });
});

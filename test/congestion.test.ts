import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Airtime, createAirtimeGovernor } from '../shared/airtime-governor.ts';
import { createRateLimiter } from '../shared/rate-limiter.ts';
import { createCbor } from '../shared/cbor.ts';
import { createAppMessages } from '../shared/app-messages.ts';
import { createTracerouteWalk } from '../shared/traceroute-walk.ts';
import { nodeCborText } from '../host/cbor-text.ts';
import { bundleForEspruino, espruinoBin, markedLines, runEspruino, skipReason } from './support/espruino.ts';

/** ESP-NOW at 1 Mbps: airtime of a frame of len bytes (the RadioPort.airtimeMs formula in ISSUE3). */
const airtimeMs = (len: number): number => ((len + 43) * 8) / 1000 + 0.192;

describe('airtime governor', () => {
  it('utilisation rises with tx and rx, over the span the window covers', () => {
    const g = createAirtimeGovernor({});
    expect(g.utilisation(10_000)).toBe(0);
    g.noteTx(900, 10_000);
    g.noteRx(600, 10_500);
    // window at 10 500: nine full buckets before + 500 ms of the current one = 9500 ms
    expect(g.utilisation(10_500)).toBeCloseTo(1500 / 9500, 12);
    expect(g.txUtilisation(10_500)).toBeCloseTo(900 / 9500, 12);
    // a new bucket began: the window is buckets 2..11, nine full ones and 0 ms of the newest
    expect(g.utilisation(11_000)).toBeCloseTo(1500 / 9000, 12);
    expect(g.utilisation(19_999)).toBeCloseTo(1500 / 9999, 12);
    expect(g.utilisation(20_000)).toBe(0); // bucket 10 left the window
  });

  it('decays as buckets leave the window, and is empty after it', () => {
    const g = createAirtimeGovernor({ windowMs: 10_000, bucketMs: 1000 });
    for (let s = 0; s < 10; s++) g.noteTx(300, s * 1000 + 10); // 300 ms in each of buckets 0..9
    expect(g.utilisation(9_999)).toBeCloseTo(3000 / 9999, 9);
    expect(g.utilisation(10_000)).toBeCloseTo(2700 / 9000, 9); // bucket 0 left, bucket 10 just began
    expect(g.utilisation(14_500)).toBeCloseTo(1500 / 9500, 9);
    expect(g.utilisation(19_000)).toBe(0);
    g.noteRx(100, 19_000);
    expect(g.utilisation(60_000)).toBe(0); // a long silence clears everything at once
  });

  it('caps utilisation at 1 and ignores negative or NaN airtime', () => {
    const g = createAirtimeGovernor({});
    g.noteRx(50_000, 1000);
    g.noteTx(-5, 1000);
    g.noteTx(NaN, 1000);
    expect(g.utilisation(1000)).toBe(1);
    expect(g.txUtilisation(1000)).toBe(0);
  });

  it('applies one threshold per kind, control first', () => {
    const at = (u: number): boolean[] => {
      const g = createAirtimeGovernor({});
      g.noteRx(u * 10_000, 5000);
      const now = 9999; // whole window covered
      expect(g.utilisation(now)).toBeCloseTo(u * 10_000 / 9999, 6);
      return [Airtime.Control, Airtime.Relay, Airtime.Data, Airtime.Bulk].map((k) => g.allow(k, now));
    };
    expect(at(0.1)).toEqual([true, true, true, true]);
    expect(at(0.3)).toEqual([true, true, true, false]); // bulk held above 25 %
    expect(at(0.5)).toEqual([true, true, false, false]); // own data held above 40 %
    expect(at(0.7)).toEqual([true, false, false, false]); // relaying held above 60 %
    expect(at(0.95)).toEqual([false, false, false, false]); // hard cap 90 % even for control
  });

  it('takes thresholds from init and refuses inconsistent ones', () => {
    const g = createAirtimeGovernor({ bulkMax: 0.05, dataMax: 0.1, relayMax: 0.2, controlMax: 0.3 });
    g.noteTx(1500, 9000);
    expect([Airtime.Control, Airtime.Relay, Airtime.Data, Airtime.Bulk].map((k) => g.allow(k, 9999))).toEqual([
      true, true, false, false,
    ]);
    expect(g.allow(7, 9999)).toBe(false); // unknown kind: not allowed
    expect(() => createAirtimeGovernor({ dataMax: 0.1, bulkMax: 0.2 })).toThrow(/^meshwork\/airtime-governor: /);
    expect(() => createAirtimeGovernor({ bucketMs: 0 })).toThrow(/^meshwork\/airtime-governor: /);
    expect(() => createAirtimeGovernor({ controlShare: 2 })).toThrow(/^meshwork\/airtime-governor: /);
  });

  it('caps periodic control (beacons, adverts) to its share, and lets it back as the window slides', () => {
    const g = createAirtimeGovernor({ controlShare: 0.05 });
    const beacon = airtimeMs(120); // ~1.48 ms
    let now = 0;
    let sent = 0;
    // a router that beacons every 2 ms if allowed (far beyond any sane schedule)
    for (; now < 10_000; now += 2) {
      if (g.controlBudgetOk(now)) {
        g.noteTx(beacon, now, true);
        sent++;
      }
    }
    // ≤ 5 % of the window (+ one beacon of overshoot), and the cap was actually reached
    expect(sent * beacon).toBeLessThanOrEqual(0.05 * 10_000 + beacon);
    expect(sent * beacon).toBeGreaterThan(0.05 * 10_000 - beacon);
    const last = now - 2;
    expect(g.controlUse(last)).toBeGreaterThan(0.049);
    expect(g.controlBudgetOk(last)).toBe(false);
    // data tx (and acks: not periodic) do not use the control share
    g.noteTx(200, last);
    expect(g.controlUse(last)).toBeCloseTo(sent * Math.round(beacon * 1000) / 1000 / 9998, 9);
    // the budget was spent in the first bucket (the cap bounds a burst, it does not spread it):
    // once that bucket leaves the window, control may go again
    expect(g.controlBudgetOk(10_000)).toBe(true);
  });

  it('treats a clock going back as the newest bucket', () => {
    const g = createAirtimeGovernor({});
    g.noteTx(100, 5000);
    g.noteTx(100, 4000); // earlier time: counted in bucket 5
    expect(g.utilisation(5999)).toBeCloseTo(200 / 9999, 9);
    expect(g.utilisation(15_500)).toBe(0); // both left with bucket 5
  });

  it('matches a brute-force model on random traffic', () => {
    const ev = fc.record({
      dt: fc.integer({ min: 0, max: 3000 }),
      ms: fc.double({ min: 0, max: 300, noNaN: true }),
      rx: fc.boolean(),
      periodic: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(ev, { maxLength: 60 }), fc.integer({ min: 0, max: 12_000 }), (evs, tail) => {
        const g = createAirtimeGovernor({ windowMs: 5000, bucketMs: 500 });
        const log: { t: number; us: number; rx: boolean; periodic: boolean }[] = [];
        let now = 1000;
        for (const e of evs) {
          now += e.dt;
          if (e.rx) g.noteRx(e.ms, now);
          else g.noteTx(e.ms, now, e.periodic);
          log.push({ t: now, us: Math.round(e.ms * 1000), rx: e.rx, periodic: e.periodic && !e.rx });
        }
        const T = now + tail;
        const cur = Math.floor(T / 500);
        const span = 9 * 500 + (T - cur * 500);
        let all = 0;
        let ctl = 0;
        for (const e of log) {
          const b = Math.floor(e.t / 500);
          if (b > cur - 10) {
            all += e.us;
            if (e.periodic) ctl += e.us;
          }
        }
        expect(g.utilisation(T)).toBeCloseTo(Math.min(1, all / 1000 / span), 9);
        expect(g.controlUse(T)).toBeCloseTo(ctl / 1000 / span, 9);
      }),
      { numRuns: 500 },
    );
  });
});

describe('rate limiter', () => {
  it('allows a burst, then the rate', () => {
    const rl = createRateLimiter({ capacity: 8, ratePerSec: 2, burst: 5 });
    let ok = 0;
    for (let i = 0; i < 20; i++) if (rl.take(7, 1000)) ok++;
    expect(ok).toBe(5);
    expect(rl.take(7, 1499)).toBe(false); // 0.998 tokens
    expect(rl.take(7, 1500)).toBe(true); // 1 token after 500 ms at 2/s
    expect(rl.take(7, 1500)).toBe(false);
    // over 10 s at one attempt per 10 ms: burst is empty, so ≈ rate × time
    let later = 0;
    for (let t = 1510; t <= 11_500; t += 10) if (rl.take(7, t)) later++;
    expect(later).toBe(20);
    expect(rl.tokens(7, 100_000)).toBe(5); // refills to the burst, never beyond
  });

  it('keeps sources independent and charges weighted costs', () => {
    const rl = createRateLimiter({ capacity: 8, ratePerSec: 1, burst: 4 });
    expect(rl.take(1, 0, 4)).toBe(true);
    expect(rl.take(1, 0)).toBe(false);
    expect(rl.take(2, 0, 3)).toBe(true);
    expect(rl.take(2, 0, 2)).toBe(false); // refused: nothing spent
    expect(rl.tokens(2, 0)).toBe(1);
    expect(rl.tokens(3, 0)).toBe(4); // unknown source: a full bucket, and not added
    expect(rl.size()).toBe(2);
    expect(rl.take(0, 0)).toBe(false); // id 0 is never a source
    expect(rl.size()).toBe(2);
  });

  it('evicts the least recently refilled source when the table is full', () => {
    const rl = createRateLimiter({ capacity: 3, ratePerSec: 1, burst: 2 });
    rl.take(10, 0, 2);
    rl.take(20, 100, 2);
    rl.take(30, 200, 2);
    rl.take(10, 300); // 10 refreshed (denied, but refilled at 300)
    expect(rl.take(40, 400)).toBe(true); // table full: 20 (refilled at 100) goes
    expect(rl.size()).toBe(3);
    expect(rl.tokens(20, 400)).toBe(2); // forgotten: back to a full bucket
    expect(rl.tokens(10, 400)).toBeCloseTo(0.4, 9); // kept, with its state
    expect(rl.tokens(30, 400)).toBeCloseTo(0.2, 9);
  });

  it('caps a flooding source while a quiet one is unaffected, even with the table churned', () => {
    const rl = createRateLimiter({ capacity: 4, ratePerSec: 2, burst: 6 });
    let flood = 0;
    let quiet = 0;
    let quietTried = 0;
    let other = 0x1000;
    for (let t = 0; t < 60_000; t += 5) {
      if (rl.take(0xbad, t)) flood++; // 200 frames/s
      if (t % 1000 === 0) {
        quietTried++;
        if (rl.take(0x900d, t)) quiet++; // 1 frame/s, under its rate
      }
      if (t % 250 === 0) rl.take(other++, t); // a stream of new one-off sources churns the table
    }
    // the flood gets its burst plus the rate: 6 + 2 × 60 s (±1 for the last partial token)
    expect(flood).toBeGreaterThanOrEqual(125);
    expect(flood).toBeLessThanOrEqual(127);
    expect(quiet).toBe(quietTried);
  });

  it('reuses an idle source slot (bucket back to full) before the least recently refilled one', () => {
    const rl = createRateLimiter({ capacity: 3, ratePerSec: 1, burst: 2 });
    rl.take(10, 0, 2); // empty at 0, full again at 2000
    rl.take(20, 1500, 2); // empty at 1500
    rl.take(30, 1600, 2);
    expect(rl.take(40, 2100)).toBe(true);
    expect(rl.tokens(10, 2100)).toBe(2); // 10 was idle: it went (nothing lost)
    expect(rl.tokens(20, 2100)).toBeCloseTo(0.6, 9); // 20 is older than 30 but still limited: kept
    expect(rl.tokens(30, 2100)).toBeCloseTo(0.5, 9);
  });

  it('with a bounded eviction scan and more active sources than slots, a flood stays capped', () => {
    const rl = createRateLimiter({ capacity: 16, ratePerSec: 2, burst: 6, evictScan: 4 });
    let flood = 0;
    let quiet = 0;
    let quietTried = 0;
    for (let t = 0; t < 60_000; t += 5) {
      if (rl.take(0xbad, t)) flood++;
      if (t % 1000 === 0) {
        quietTried++;
        if (rl.take(0x900d, t)) quiet++;
      }
      // 40 sources, each sending 4 frames/s (above its rate too): always more than the 16 slots
      if (t % 25 === 0) rl.take(0x2000 + ((t / 25) % 40), t);
    }
    expect(rl.size()).toBe(16);
    expect(flood).toBeGreaterThanOrEqual(125);
    expect(flood).toBeLessThanOrEqual(127);
    expect(quiet).toBe(quietTried);
  });

  it('refuses bad init, and a clock going back refills nothing', () => {
    expect(() => createRateLimiter({ capacity: 0, ratePerSec: 1, burst: 1 })).toThrow(/^meshwork\/rate-limiter: /);
    expect(() => createRateLimiter({ capacity: 2, ratePerSec: -1, burst: 1 })).toThrow(/^meshwork\/rate-limiter: /);
    const rl = createRateLimiter({ capacity: 2, ratePerSec: 10, burst: 1 });
    expect(rl.take(5, 10_000)).toBe(true);
    expect(rl.take(5, 5_000)).toBe(false);
    expect(rl.take(5, 10_099)).toBe(false);
    expect(rl.take(5, 10_100)).toBe(true);
  });

  it('matches a token-bucket model while the table has room', () => {
    const op = fc.record({ src: fc.integer({ min: 1, max: 6 }), dt: fc.integer({ min: 0, max: 2000 }), cost: fc.integer({ min: 1, max: 3 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const rl = createRateLimiter({ capacity: 6, ratePerSec: 1.5, burst: 4 });
        const model = new Map<number, { tok: number; t: number }>();
        let now = 0;
        for (const o of ops) {
          now += o.dt;
          const s = model.get(o.src) ?? { tok: 4, t: now };
          s.tok = Math.min(4, s.tok + ((now - s.t) * 1.5) / 1000);
          s.t = now;
          const want = s.tok >= o.cost;
          if (want) s.tok -= o.cost;
          model.set(o.src, s);
          expect(rl.take(o.src, now, o.cost)).toBe(want);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * One scenario, run by Node here and by the Espruino interpreter from the bundle: the outputs must agree.
 * Text stays ASCII so the 8-bit strings of the ESP32 build and Node's UTF-16 ones have the same length.
 */
const SCENARIO = `
export function scenario(cborText: any): any[] {
  const out: any[] = [];
  const g = createAirtimeGovernor({ windowMs: 5000, bucketMs: 500 });
  let t = 1000;
  for (let i = 0; i < 300; i++) {
    t += (i * 37) % 113;
    if (i % 3 === 0) g.noteTx(((i * 13) % 50) / 7, t, i % 6 === 0);
    else g.noteRx(((i * 29) % 70) * (i < 150 ? 0.1 : 1.3), t);
    if (i % 25 === 0) out.push([g.utilisation(t), g.controlUse(t), g.allow(0, t), g.allow(1, t), g.allow(2, t), g.allow(3, t)]);
  }
  const rl = createRateLimiter({ capacity: 8, ratePerSec: 1, burst: 3 });
  const got: number[] = [];
  for (let i = 0; i < 400; i++) got.push(rl.take(i < 200 ? 1 + ((i * 7) % 5) : 1 + ((i * 7) % 11), i * 40, 1 + (i % 2)) ? 1 : 0);
  out.push(got.join(''), rl.size());
  const app = createAppMessages({})({ cbor: createCbor({})(cborText) });
  const msgs: any[] = [
    { t: 'pi', id: 4000000000, ts: 12.25 }, { t: 'tx', m: 'hello all' }, { t: 'tx', m: 'to you', to: 77 },
    { t: 'tm', up: 86400, mem: 3000, nb: [[0xfffffffe, 350, -80], [5, 100, -40]], v: '0.1.0', b: 'esp32' },
    { t: 'tr', id: 1, d: 9, p: 3 }, { t: 'tR', id: 1, n: 0, m: 4, l: [[3, -61, 97, 93]] },
  ];
  for (const m of msgs) {
    const b = app.encode(m);
    let hex = '';
    for (let k = 0; k < b.length; k++) hex += (b[k] < 16 ? '0' : '') + b[k].toString(16);
    out.push([hex, app.decode(b)]);
  }
  const bad = [[0xa1, 0x61], [0xa2, 0x61, 0x74, 0x62, 0x70, 0x69, 0x62, 0x69, 0x64, 0x20], [0xa1, 0x61, 0x74, 0x62, 0x74, 0x78]];
  for (const x of bad) out.push(app.decode(new Uint8Array(x)));
  const w = createTracerouteWalk({ self: 1, dst: 3, id: 9, maxHops: 5 });
  w.report(1, { t: 'tR', id: 9, n: 2, l: [[2, -50, 90, 80]] });
  w.report(2, { t: 'tR', id: 9, n: 3, l: [[1, -55, 91, 81], [3, -70, 60, 50]] });
  w.report(3, { t: 'tR', id: 9, n: 0, l: [[2, -60, 92, 82]] });
  out.push([w.status(), w.path(), w.links()]);
  return out;
}
`;
const IMPORTS = `
import { createAirtimeGovernor } from './shared/airtime-governor.ts';
import { createRateLimiter } from './shared/rate-limiter.ts';
import { createCbor } from './shared/cbor.ts';
import { createAppMessages } from './shared/app-messages.ts';
import { createTracerouteWalk } from './shared/traceroute-walk.ts';
`;

const bin = espruinoBin();
describe.runIf(bin)(`congestion and app messages on the real interpreter (${bin ?? skipReason()})`, () => {
  it('gives the same figures and bytes as Node', async () => {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const nodeOut = new Function(
      'createAirtimeGovernor', 'createRateLimiter', 'createCbor', 'createAppMessages', 'createTracerouteWalk', 'cborText',
      // the scenario's TypeScript annotations are only ': any' / ': number[]': strip them for Node
      SCENARIO.replace(/export /, '').replace(/: any\[\]|: any|: number\[\]/g, '') + '; return scenario(cborText);',
    )(createAirtimeGovernor, createRateLimiter, createCbor, createAppMessages, createTracerouteWalk, nodeCborText());
    const js = await bundleForEspruino(
      IMPORTS + SCENARIO + `
for (const o of scenario({ textToBytes: E.toUint8Array, bytesToText: E.toString })) console.log('@@' + JSON.stringify(o));
quit();`,
    );
    // the scenario reaches both answers of every decision it checks
    const flat = JSON.stringify(nodeOut);
    expect(nodeOut[12]).toMatch(/0/);
    expect(nodeOut[12]).toMatch(/1/);
    expect(flat).toContain('false,false');
    expect(flat).toContain('"ok":false');
    const { stdout } = await runEspruino(bin!, js);
    const espOut = markedLines(stdout);
    // Espruino prints numbers with ~12 significant digits: floats agree to 1e-9 relative, the rest exactly
    const same = (a: unknown, b: unknown, path: string): void => {
      if (typeof a === 'number' && typeof b === 'number') {
        if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(b))) expect(a, path).toBe(b);
      } else if (Array.isArray(b)) {
        expect(Array.isArray(a), path).toBe(true);
        expect((a as unknown[]).length, path).toBe(b.length);
        b.forEach((x, i) => same((a as unknown[])[i], x, path + '/' + i));
      } else if (b && typeof b === 'object') {
        expect(Object.keys(a as object), path).toEqual(Object.keys(b));
        for (const k of Object.keys(b)) same((a as any)[k], (b as any)[k], path + '/' + k);
      } else expect(a, path).toEqual(b);
    };
    same(espOut, JSON.parse(JSON.stringify(nodeOut)), '');
  });
});

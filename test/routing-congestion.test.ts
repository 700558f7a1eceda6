/**
 * Congestion control as the router applies it: the per-source relay limit (rate-limiter.ts) keeps one noisy
 * source from flooding the mesh through its neighbours, and the airtime governor (airtime-governor.ts) holds
 * back bulk before data, and data before control.
 */
import { describe, expect, test } from 'vitest';
import { createMiniAir } from './support/mini-air.ts';
import { BROADCAST } from '../shared/frame.ts';
import { RouterError, SEND_BULK } from '../shared/router.ts';

describe('congestion', () => {
  test('one noisy source cannot push more than its relay budget through a neighbour; others still pass', () => {
    for (const policy of ['flood', 'meshwork'] as const) {
      // 0 (noisy) and 2 (quiet) both reach 3 only through 1
      const air = createMiniAir({ n: 4, seed: 51, policy });
      air.connect(0, 1); air.connect(2, 1); air.connect(1, 3);
      air.run(20000);
      const t0 = air.now;
      for (let k = 0; k < 300; k++) {
        expect(air.send(0, BROADCAST, new Uint8Array([0, k & 255, k >> 8]))).toBeGreaterThanOrEqual(0);
        if (k % 60 === 0) air.send(2, BROADCAST, new Uint8Array([2, k & 255, k >> 8]));
        air.run(air.now + 2);
      }
      air.run(air.now + 2000);
      const secs = (air.now - t0) / 1000;
      const fromNoisy = air.nodes[3].deliveries.filter((d) => d.data[0] === 0).length;
      const fromQuiet = air.nodes[3].deliveries.filter((d) => d.data[0] === 2).length;
      expect(air.nodes[1].deliveries.filter((d) => d.data[0] === 0).length).toBe(300); // 1 hears them all
      // default budget: bursts of 40, then 20 frames/s
      expect(fromNoisy).toBeLessThanOrEqual(40 + 20 * secs + 1);
      expect(fromNoisy).toBeGreaterThanOrEqual(40);
      expect(fromQuiet).toBe(5);
      expect(air.nodes[1].router.stats.dropRateLimit).toBeGreaterThanOrEqual(300 - fromNoisy - 5);
    }
  });

  test('the airtime governor refuses bulk first, then own data, while control keeps going', () => {
    const air = createMiniAir({ n: 2, seed: 52 });
    air.connect(0, 1);
    air.run(20000);
    let bulkAt = -1, dataAt = -1;
    const big = new Uint8Array(200);
    const b0 = air.nodes[0].router.stats.txBeacon + air.nodes[0].router.stats.txRoute;
    for (let t = 0; t < 20000 && dataAt < 0; t++) {
      const rb = air.send(0, BROADCAST, big, SEND_BULK);
      if (rb === RouterError.Congested && bulkAt < 0) bulkAt = t;
      const rd = air.send(0, air.nodes[1].id, big, 0);
      if (rd === RouterError.Congested && dataAt < 0) dataAt = t;
      air.run(air.now + 1);
    }
    expect(bulkAt).toBeGreaterThan(0);
    expect(dataAt).toBeGreaterThan(bulkAt);
    // while refusing data, the node still sends its periodic control (beacons, route adverts)
    const stillCongested = air.send(0, air.nodes[1].id, big, 0);
    expect(stillCongested).toBe(RouterError.Congested);
    air.run(air.now + 20000);
    expect(air.nodes[0].router.stats.txBeacon + air.nodes[0].router.stats.txRoute).toBeGreaterThan(b0);
    // and once the channel quietens, data flows again
    air.run(air.now + 15000);
    expect(air.send(0, air.nodes[1].id, big, 0)).toBeGreaterThanOrEqual(0);
  });

  test('beacons and route adverts stay within their share of airtime', () => {
    const run = (share: number | undefined): number[] => {
      const air = createMiniAir({ n: 12, seed: 53, init: { controlShare: share, beaconMaxMs: 2000, updateMaxMs: 4000 } });
      for (let i = 0; i < 12; i++) for (let j = i + 1; j < 12; j++) air.connect(i, j); // everyone hears everyone
      air.run(120000);
      // no data was sent: every frame on the air is periodic control
      return air.nodes.map((x) => x.router.stats.txAirMs / 120000);
    };
    const free = run(undefined);
    const capped = run(0.0004); // the uncapped run uses ~0.11 %
    for (let i = 0; i < 12; i++) {
      // the governor checks before sending: at most one more frame (≤ 2.5 ms of air) per 10 s window
      expect(capped[i]).toBeLessThanOrEqual(0.0004 + 2.5 / 10000);
      expect(capped[i]).toBeLessThan(free[i]);
    }
  });
});

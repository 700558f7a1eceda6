import { describe, expect, it } from 'vitest';
import { createNobleAes } from '../host/crypto/aes-noble.ts';
import { fuzzFrames } from './support/fuzz-frames.ts';

const FRAMES = Number(process.env.MESHWORK_FUZZ_FRAMES ?? 1_000_000);

describe('fuzz: random and mutated frames into decode / verify / open', () => {
  it(`${FRAMES} frames: nothing forged is accepted, nothing throws, tables stay bounded`, () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const r = fuzzFrames(createNobleAes(), FRAMES, 20261122);
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
    expect(r.frames).toBe(FRAMES);
    expect(r.thrown).toEqual([]);
    expect(r.escaped).toEqual([]);
    // the originals themselves are accepted once each (then they are replays): the path is really exercised
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.accepted).toBeLessThanOrEqual(32);
    expect(r.statuses[8]).toBeGreaterThan(FRAMES / 10); // BadHeaderTag: mutations reach the crypto check
    expect(r.tableSizes.dedup).toBeLessThanOrEqual(256);
    expect(r.tableSizes.replay).toBeLessThanOrEqual(64);
    expect(heapGrowthMb).toBeLessThan(64);
  }, 600_000);
});

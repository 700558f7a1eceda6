/**
 * Seeded random streams for the simulator: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, as in
 * PractRand), seeded through splitmix32 from (seed, stream). One stream per node and one for the world, so a
 * node's draws never depend on how many draws another node made: adding traffic to one corner of the mesh
 * does not reshuffle the jitter of every other node, and the same seed gives the same run to the byte.
 *
 * Doubles come from 32 random bits (2^-32 resolution), enough for jitter, loss draws and positions.
 */

export interface SimRng {
  /** uniform in [0, 1) */
  next(): number;
  /** uniform u32 */
  u32(): number;
  /** uniform integer in [0, n) */
  int(n: number): number;
  /** standard normal (Box-Muller, one value per call: simpler to keep reproducible than caching the pair) */
  normal(): number;
}

/** splitmix32 step: a good mixer for turning (seed, stream, index) into well-spread u32s. */
export function mix32(x: number): number {
  x = (x + 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** A deterministic hash of up to three u32 values to a double in [0, 1): per-link fixed draws (shadowing). */
export function hash01(a: number, b: number, c: number): number {
  return mix32(mix32(mix32(a >>> 0) ^ (b >>> 0)) ^ (c >>> 0)) / 4294967296;
}

/** Standard normal from a hash of (a, b, c): the same link always gets the same shadowing. */
export function hashNormal(a: number, b: number, c: number): number {
  const u1 = hash01(a, b, c) || 1 / 4294967296;
  const u2 = hash01(a ^ 0x5bd1e995, b, c + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export function createRng(seed: number, stream: number): SimRng {
  let a = mix32(seed >>> 0);
  let b = mix32(a ^ (stream >>> 0));
  let c = mix32(b ^ 0x6a09e667);
  let d = mix32(c ^ (stream * 0x9e3779b1));
  if ((a | b | c | d) === 0) a = 1;

  function u32(): number {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  }
  // discard the first outputs: sfc32's state needs a few rounds to mix a weak seed
  for (let i = 0; i < 12; i++) u32();

  function next(): number {
    return u32() / 4294967296;
  }

  return {
    next,
    u32,
    int(n: number): number {
      return Math.floor(next() * n);
    },
    normal(): number {
      const u1 = next() || 1 / 4294967296;
      const u2 = next();
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    },
  };
}

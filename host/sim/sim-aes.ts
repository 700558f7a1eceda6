/**
 * The Aes128 port for the simulator: @noble/ciphers' own AES block function (its `unsafe` export, pinned
 * at the exact version in package.json) with the key schedule cached per key buffer. The primitive is
 * noble's (STYLE principle 9: no home-made crypto on the host); only the modes are composed here, exactly
 * as shared/ports.ts defines them. Why not host/crypto/aes-noble.ts: its one-shot calls expand the key and
 * allocate output arrays for every call, and a 1000-node run verifies tens of millions of header tags.
 * test/sim-radio.test.ts checks every mode against aes-noble.ts on random inputs.
 *
 * Cache: keyed by the key's Uint8Array object (keyring subkey views are long-lived) and validated against
 * a copy of its bytes. A buffer whose contents change (frame-seal's per-frame CTR subkey) falls back to a
 * second cache keyed by the key bytes: every receiver of a frame derives the same per-frame subkey, so one
 * expansion serves them all. That cache is dropped whole when it reaches 4096 keys.
 */
import { unsafe } from '@noble/ciphers/aes.js';
import type { Aes128 } from '../../shared/ports.ts';

interface Schedule { bytes: Uint8Array; xk: Uint32Array }

function misuse(what: string): never {
  throw new Error('meshwork/sim-aes: ' + what);
}

export function createSimAes(): Aes128 {
  const cache = new WeakMap<Uint8Array, Schedule>();
  const byBytes = new Map<string, Uint32Array>();
  const enc = unsafe.encrypt as (xk: Uint32Array, s0: number, s1: number, s2: number, s3: number) => { s0: number; s1: number; s2: number; s3: number };
  const expand = unsafe.expandKeyLE as (key: Uint8Array) => Uint32Array;

  function expanded(key: Uint8Array): Uint32Array {
    const k = String.fromCharCode(key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
      key[8], key[9], key[10], key[11], key[12], key[13], key[14], key[15]);
    let xk = byBytes.get(k);
    if (!xk) {
      if (byBytes.size >= 4096) byBytes.clear();
      xk = expand(key);
      byBytes.set(k, xk);
    }
    return xk;
  }

  function schedule(key: Uint8Array): Uint32Array {
    if (key.length !== 16) misuse('AES-128 keys are 16 bytes');
    const c = cache.get(key);
    if (c) {
      const b = c.bytes;
      let same = true;
      for (let i = 0; i < 16; i++) if (b[i] !== key[i]) { same = false; break; }
      if (same) return c.xk;
      b.set(key);
      c.xk = expanded(key);
      return c.xk;
    }
    const s = { bytes: new Uint8Array(key), xk: expand(key) };
    cache.set(key, s);
    return s.xk;
  }

  const le = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
  function put(b: Uint8Array, o: number, v: number): void {
    b[o] = v; b[o + 1] = v >>> 8; b[o + 2] = v >>> 16; b[o + 3] = v >>> 24;
  }

  return {
    ecb(key, src, dst) {
      if (src.length % 16 !== 0) misuse('ecb needs whole 16-byte blocks');
      const xk = schedule(key);
      for (let o = 0; o < src.length; o += 16) {
        const r = enc(xk, le(src, o), le(src, o + 4), le(src, o + 8), le(src, o + 12));
        put(dst, o, r.s0); put(dst, o + 4, r.s1); put(dst, o + 8, r.s2); put(dst, o + 12, r.s3);
      }
    },
    ctr0(key, src, dst) {
      const xk = schedule(key);
      const n = src.length;
      // counter block i = i as a 128-bit big-endian integer: only the last word is ever non-zero here
      for (let o = 0, i = 0; o < n; o += 16, i++) {
        const last = ((i & 0xff) << 24) | ((i & 0xff00) << 8) | ((i >>> 8) & 0xff00) | (i >>> 24);
        const r = enc(xk, 0, 0, 0, last);
        const ks = [r.s0, r.s1, r.s2, r.s3];
        const end = o + 16 < n ? o + 16 : n;
        for (let p = o; p < end; p++) dst[p] = src[p] ^ (ks[(p - o) >> 2] >>> (((p - o) & 3) * 8));
      }
    },
    cbcMac(key, src, dst) {
      const n = src.length;
      if (n < 16 || n % 16 !== 0 || dst.length > 16) misuse('cbcMac needs whole 16-byte blocks and a tag of at most 16 bytes');
      const xk = schedule(key);
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let o = 0; o < n; o += 16) {
        const r = enc(xk, s0 ^ le(src, o), s1 ^ le(src, o + 4), s2 ^ le(src, o + 8), s3 ^ le(src, o + 12));
        s0 = r.s0; s1 = r.s1; s2 = r.s2; s3 = r.s3;
      }
      const w = [s0, s1, s2, s3];
      for (let p = 0; p < dst.length; p++) dst[p] = w[p >> 2] >>> ((p & 3) * 8);
    },
  };
}

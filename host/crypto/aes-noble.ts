/**
 * Aes128 on @noble/ciphers (host side): the host never uses our own primitives (STYLE.md, principle 9).
 * noble's one-shot ciphers return fresh arrays, copied into the caller's `dst`; the host is not the hot
 * path, and copying keeps the port's contract (write dst[0..n) only, in-place ctr0 allowed, any byteOffset)
 * without noble's alignment rules for caller-supplied outputs.
 */
import { cbc, ctr, ecb } from '@noble/ciphers/aes.js';
import type { Aes128 } from '../../shared/ports.ts';

const ZERO_BLOCK = new Uint8Array(16);
const NO_PADDING = { disablePadding: true };

function misuse(what: string): never {
  throw new Error('meshwork/aes: ' + what);
}

export function createNobleAes(): Aes128 {
  return {
    ecb(key, src, dst) {
      // noble accepts 24- and 32-byte keys too (AES-192/256): the port is AES-128 only
      if (key.length !== 16 || src.length % 16 !== 0) misuse('ecb needs a 16-byte key and whole 16-byte blocks');
      dst.set(ecb(key, NO_PADDING).encrypt(src));
    },
    ctr0(key, src, dst) {
      if (key.length !== 16) misuse('ctr0 needs a 16-byte key');
      // noble copies the counter block before incrementing it, so the shared zero block stays zero
      dst.set(ctr(key, ZERO_BLOCK).encrypt(src));
    },
    cbcMac(key, src, dst) {
      const n = src.length;
      if (key.length !== 16 || n < 16 || n % 16 !== 0 || dst.length > 16) {
        misuse('cbcMac needs a 16-byte key, whole 16-byte blocks and a tag of at most 16 bytes');
      }
      const out = cbc(key, ZERO_BLOCK, NO_PADDING).encrypt(src);
      dst.set(out.subarray(n - 16, n - 16 + dst.length));
    },
  };
}

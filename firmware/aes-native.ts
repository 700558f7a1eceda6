/**
 * Aes128 on Espruino's native `crypto` module (mbedtls in C): the node's hot path for sealing, opening and
 * relaying frames. The caller passes `require("crypto")` in, so tests can pass the emulation
 * (test/emulation/espruino-crypto.ts) and the firmware never reaches for a global.
 *
 * Facts this relies on (libs/crypto/jswrap_crypto.c at espruino/Espruino c5ff787, checked on the Linux build):
 * - `AES.encrypt(data, key, {mode})` takes any byte source (typed array views included, byteOffset honoured)
 *   and returns a fresh ArrayBuffer the length of `data`, or `undefined` after printing an error (bad key
 *   length, CBC length not a multiple of 16, out of memory) — lines 374-394, 446-453.
 * - CTR starts from an all-zero counter block and ignores `iv` (lines 415-429): exactly ctr0. mbedtls keeps a
 *   byte offset into the keystream block, so any length works and no 16-byte scratch copy is needed.
 * - ECB encrypts whole blocks only and leaves a partial tail block as zeros, without an error (lines 430-439):
 *   refused here as misuse.
 * - CBC with no `iv` uses a zero IV (line 349) and does no padding (mbedtls aes.c:870).
 *
 * Cost (callgrind, Linux build with the ESP32 memory layout, per frame = ecb 16 B + ctr0 200 B + cbcMac 224 B):
 * ~0.53 M instructions as called from frame-seal.ts (0.15 + 0.20 + 0.18 M), of which the C side (mbedtls,
 * result allocation, `set`) is ~0.17 M and the misuse checks ~0.08 M (a 32-byte cbcMac call: ~0.16 M, of
 * which ~35k are its checks); the rest is the interpreter running the three calls. Each call is one native
 * call, a view of its result and one `set`. The ArrayBuffer the native call returns is the only allocation
 * and cannot be avoided with this API; the option objects are allocated once here.
 * The checks are kept although they cost a quarter of the glue, because each stops a silent wrong result:
 * a 24- or 32-byte key silently selects AES-192/256, a partial ECB block comes back as zeros, a tag longer
 * than 16 bytes would read past the result on Espruino (it does not bounds-check a view's length), and a
 * failed call's `undefined` becomes an empty array in Node (dst unchanged: for an in-place ctr0, the
 * plaintext) and an unrelated TypeError on Espruino.
 */
import type { Aes128 } from '../shared/ports.ts';

/** AES options Espruino reads: `mode` 'CBC' | 'CFB' | 'CTR' | 'OFB' | 'ECB' (default CBC), `iv` up to 16 bytes. */
export interface EspruinoAesOptions {
  mode?: string;
  iv?: Uint8Array;
}

/** The part of Espruino's `require("crypto")` this backend uses. */
export interface EspruinoCrypto {
  AES: {
    encrypt(data: Uint8Array, key: Uint8Array, options?: EspruinoAesOptions): ArrayBuffer | undefined;
  };
}

function misuse(what: string): never {
  throw new Error('meshwork/aes: ' + what);
}

export function createNativeAes(crypto: EspruinoCrypto): Aes128 {
  const aes = crypto.AES;
  // allocated once: Espruino reads them on every call and never keeps them
  const ECB: EspruinoAesOptions = { mode: 'ECB' };
  const CTR: EspruinoAesOptions = { mode: 'CTR' };
  const CBC: EspruinoAesOptions = { mode: 'CBC' };

  // Each `.length` read is a builtin property lookup (~12k instructions on Espruino) and each check a few
  // tokens: every length is read once, and the checks share one `if` after the native call.
  return {
    ecb: function (key: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
      const out = aes.encrypt(src, key, ECB);
      if (!out || key.length !== 16 || (src.length & 15) !== 0) misuse('ecb needs a 16-byte key and whole 16-byte blocks');
      dst.set(new Uint8Array(out));
    },
    ctr0: function (key: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
      const out = aes.encrypt(src, key, CTR);
      if (!out || key.length !== 16) misuse('ctr0 needs a 16-byte key');
      dst.set(new Uint8Array(out));
    },
    cbcMac: function (key: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
      const n = src.length;
      const m = dst.length;
      const out = aes.encrypt(src, key, CBC);
      if (!out || n < 16 || m > 16 || key.length !== 16) {
        misuse('cbcMac needs a 16-byte key, whole blocks and a tag of at most 16 bytes');
      }
      // a view on the last block only: no copy of the whole ciphertext
      dst.set(new Uint8Array(out, n - 16, m));
    },
  };
}

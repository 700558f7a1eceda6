/**
 * CBOR text component for Node (see shared/cbor.ts, CborText): JS strings are UTF-16, so text goes
 * through TextEncoder/TextDecoder. Decoding is strict: invalid UTF-8 is refused (undefined → the codec
 * fails with 'invalid utf-8'), and a leading U+FEFF is kept as text (ignoreBOM), not dropped.
 * Lone surrogates in a string encode as U+FFFD (TextEncoder), so they do not round-trip.
 *
 * Speed: TextEncoder.encode allocates a fresh buffer per call (~0.8 µs, as much as the rest of a small
 * encode), so short strings (map keys, codes) are served from a bounded cache of their bytes. The codec
 * only reads what textToBytes returns, so sharing those arrays is safe.
 */

import type { CborText } from '../shared/cbor.ts';

/** Strings up to this many UTF-16 units are cached; the cache is emptied when it reaches CACHE_SIZE. */
const CACHE_MAX_CHARS = 32;
const CACHE_SIZE = 1024;

export function nodeCborText(): CborText {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const cache = new Map<string, Uint8Array>();
  return {
    textToBytes: (s: string): Uint8Array => {
      if (s.length > CACHE_MAX_CHARS) return encoder.encode(s);
      let b = cache.get(s);
      if (b === undefined) {
        if (cache.size >= CACHE_SIZE) cache.clear();
        b = encoder.encode(s);
        cache.set(s, b);
      }
      return b;
    },
    bytesToText: (bytes: Uint8Array): string | undefined => {
      try {
        return decoder.decode(bytes);
      } catch {
        return undefined; // TypeError on invalid UTF-8: a value for the decoder, never a throw
      }
    },
  };
}

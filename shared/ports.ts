/**
 * Ports: the only ways the sans-IO core reaches the world. Each has several backends chosen by the
 * board profile (firmware/) or the host (host/). The core never reads a clock, a radio or flash by itself.
 *
 * Buffer ownership: every port method writes into a caller-owned `dst`; a port never keeps a reference
 * to a buffer it was given.
 */

/**
 * AES-128 block primitives: the only cryptography the wire format uses (see frame-seal.ts).
 * Backends: native Espruino `crypto` (firmware/aes-native.ts), pure JS for builds without it
 * (firmware/aes-js.ts), @noble/ciphers on the host (host/crypto/aes-noble.ts). All produce the same bytes
 * on test/vectors/aes.json.
 */
export interface Aes128 {
  /** ECB-encrypt whole 16-byte blocks: dst[0..src.length) = AES_key(src), src.length a multiple of 16. */
  ecb(key: Uint8Array, src: Uint8Array, dst: Uint8Array): void;
  /**
   * CTR mode with the initial counter block all zero (big-endian increment over the whole block):
   * dst[0..src.length) = src XOR keystream. Any length. Safe only with a fresh key per message:
   * frame-seal.ts derives one per frame from the nonce.
   */
  ctr0(key: Uint8Array, src: Uint8Array, dst: Uint8Array): void;
  /**
   * CBC-MAC with a zero IV over src (a multiple of 16 bytes): dst[0..dst.length) = first dst.length
   * bytes of the last CBC block. Secure only for prefix-free inputs: callers put the length in block 0.
   */
  cbcMac(key: Uint8Array, src: Uint8Array, dst: Uint8Array): void;
}

/** CRC-32 (IEEE 802.3, as zlib and Espruino's E.CRC32) of all bytes of `data`. */
export type Crc32 = (data: Uint8Array) => number;

/** Persistent key/value store for small records (Espruino Storage on the node, a file on the host). */
export interface Store {
  read(name: string): string | undefined;
  write(name: string, data: string): boolean;
}

/** Randomness for jitter and ids (never for keys: keys are made on the host). */
export type Rng = () => number;

/** Structured log sink: level 0 error, 1 warn, 2 info, 3 debug. Never pass key material. */
export type Log = (level: number, event: string, detail?: string | number) => void;

/**
 * Aes128 in plain JavaScript, for Espruino builds without the `crypto` module (ESP32_IDF4). Forward cipher
 * only: ECB, CTR and CBC-MAC never decrypt. FIPS-197 AES-128 with the usual four 32-bit T-tables (sec. 5.2
 * and the "Implementation Suggestions" of the Rijndael proposal); words are big-endian columns.
 *
 * Cost (stated, not hidden; bench/aes.ts, callgrind on the Linux build with the ESP32 memory layout): a block
 * runs ~40 interpreted statements, ~2.4 M machine instructions; the per-frame work of a seal (ecb 16 B +
 * ctr0 200 B + cbcMac 224 B) ~76 M, 144 times the native backend: 0.6-1 s per frame on a 240 MHz ESP32.
 * Fine for rare control traffic; relaying at rate needs the native backend (aes-native.ts). Unrolling the
 * nine middle rounds would save ~13% for ~5 KB more code; not done.
 *
 * Memory: ~740 JsVars once created, 3.4 KB of minified code. S-box (256 B) and T-tables (4 KB) are computed
 * at creation (no literal tables in the code);
 * Int32Array rather than Uint32Array so Espruino keeps every entry a 32-bit integer instead of
 * promoting values ≥ 2^31 to doubles. Expanded keys are cached for the last KEY_SLOTS distinct keys,
 * least recently used evicted: a seal touches four keys (encryption key, per-frame subkey, MAC key,
 * header key) so only the subkey is expanded per frame.
 *
 * Byte I/O goes through DataViews (big-endian getInt32/setInt32: one native call per word), bounded to the
 * caller's view. One or two small DataViews are allocated per call: they cannot be cached per buffer,
 * because Espruino's `===` compares typed arrays and ArrayBuffers by contents (two fresh 16-byte buffers
 * are "identical"), so no identity test is reliable there. Next to the ~3 M instructions of a block, the
 * allocation is noise. No per-byte loops: a partial CTR tail is XORed in a 16-byte scratch block and copied
 * with `set`.
 */
import type { Aes128 } from '../shared/ports.ts';

/** distinct keys whose expansion is kept (a seal uses four) */
const KEY_SLOTS = 4;
/** 32-bit words of one expanded AES-128 key (11 round keys) */
const RK_WORDS = 44;

function misuse(what: string): never {
  throw new Error('meshwork/aes: ' + what);
}

export function createJsAes(): Aes128 {
  const S = new Uint8Array(256);
  const T0 = new Int32Array(256);
  const T1 = new Int32Array(256);
  const T2 = new Int32Array(256);
  const T3 = new Int32Array(256);
  const rk = new Int32Array(KEY_SLOTS * RK_WORDS);
  /** raw key words per slot; the first words again on their own, for a native indexOf; use stamps for LRU */
  const kw = new Int32Array(KEY_SLOTS * 4);
  const first = new Int32Array(KEY_SLOTS);
  const used = new Float64Array(KEY_SLOTS); // doubles: a stamp never wraps
  let clock = 0;
  /** the state block, in and out of encryptBlock */
  const st = new Int32Array(4);
  /** keystream/tag scratch and its view */
  const blk = new Uint8Array(16);
  const bv = new DataView(blk.buffer);

  // S-box (FIPS-197 sec. 5.1.1): walk GF(2^8)* with generator 3 (p) and its inverse (q = 1/p), then the
  // affine map. 255 steps visit every non-zero element once.
  let p = 1;
  let q = 1;
  for (let i = 0; i < 255; i++) {
    p = (p ^ (p << 1) ^ (p & 0x80 ? 0x1b : 0)) & 255;
    q ^= q << 1;
    q ^= q << 2;
    q ^= q << 4;
    q &= 255;
    if (q & 0x80) q ^= 0x09;
    let x = q ^ (q << 1) ^ (q << 2) ^ (q << 3) ^ (q << 4);
    x = (x ^ (x >> 8)) & 255;
    S[p] = x ^ 0x63;
  }
  S[0] = 0x63;
  // T-tables (sec. 5.1.1-5.1.3 combined): T0[x] = MixColumns column of S[x] = (2s, s, s, 3s), the others
  // are its byte rotations.
  for (let i = 0; i < 256; i++) {
    const s = S[i];
    const s2 = ((s << 1) ^ (s & 0x80 ? 0x1b : 0)) & 255;
    const s3 = s2 ^ s;
    T0[i] = (s2 << 24) | (s << 16) | (s << 8) | s3;
    T1[i] = (s3 << 24) | (s2 << 16) | (s << 8) | s;
    T2[i] = (s << 24) | (s3 << 16) | (s2 << 8) | s;
    T3[i] = (s << 24) | (s << 16) | (s3 << 8) | s2;
  }

  /** Key expansion (sec. 5.2) of the key words already in kw[slot] into rk[slot]. */
  function expand(slot: number): void {
    let o = slot * RK_WORDS;
    let rc = 1;
    let r;
    let t;
    rk[o] = kw[slot * 4];
    rk[o + 1] = kw[slot * 4 + 1];
    rk[o + 2] = kw[slot * 4 + 2];
    rk[o + 3] = kw[slot * 4 + 3];
    for (r = 0; r < 10; r++) {
      t = rk[o + 3];
      rk[o + 4] = rk[o] ^ (S[(t >> 16) & 255] << 24) ^ (S[(t >> 8) & 255] << 16) ^ (S[t & 255] << 8) ^ S[t >>> 24] ^ (rc << 24);
      rk[o + 5] = rk[o + 1] ^ rk[o + 4];
      rk[o + 6] = rk[o + 2] ^ rk[o + 5];
      rk[o + 7] = rk[o + 3] ^ rk[o + 6];
      rc = ((rc << 1) ^ (rc & 0x80 ? 0x1b : 0)) & 255;
      o += 4;
    }
  }

  /**
   * Offset in rk of the expanded `key`, expanding it into the least recently used slot on a miss.
   * A hit costs one native indexOf on the first key word and three compares (no loop over slots: on
   * Espruino every interpreted iteration counts). Two cached keys sharing a first word only cost a
   * re-expansion, never a wrong answer: a hit always compares all four words.
   */
  function schedule(key: Uint8Array): number {
    if (key.length !== 16) misuse('AES-128 needs a 16-byte key');
    const w0 = (key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3];
    const w1 = (key[4] << 24) | (key[5] << 16) | (key[6] << 8) | key[7];
    const w2 = (key[8] << 24) | (key[9] << 16) | (key[10] << 8) | key[11];
    const w3 = (key[12] << 24) | (key[13] << 16) | (key[14] << 8) | key[15];
    let s = first.indexOf(w0);
    if (s >= 0 && kw[s * 4 + 1] === w1 && kw[s * 4 + 2] === w2 && kw[s * 4 + 3] === w3) {
      used[s] = ++clock;
      return s * RK_WORDS;
    }
    s = 0;
    for (let i = 1; i < KEY_SLOTS; i++) if (used[i] < used[s]) s = i;
    first[s] = w0;
    kw[s * 4] = w0;
    kw[s * 4 + 1] = w1;
    kw[s * 4 + 2] = w2;
    kw[s * 4 + 3] = w3;
    used[s] = ++clock;
    expand(s);
    return s * RK_WORDS;
  }

  /** Encrypt the block in st[0..4) in place with the round keys at rk[o..o+44) (sec. 5.1). */
  function encryptBlock(o: number): void {
    let a = st[0] ^ rk[o];
    let b = st[1] ^ rk[o + 1];
    let c = st[2] ^ rk[o + 2];
    let d = st[3] ^ rk[o + 3];
    let e;
    let f;
    let g;
    let r;
    // loop variables are declared outside the for: a \`let\` in the header costs Espruino a scope per pass
    for (r = 1; r < 10; r++) {
      o += 4;
      e = T0[a >>> 24] ^ T1[(b >> 16) & 255] ^ T2[(c >> 8) & 255] ^ T3[d & 255] ^ rk[o];
      f = T0[b >>> 24] ^ T1[(c >> 16) & 255] ^ T2[(d >> 8) & 255] ^ T3[a & 255] ^ rk[o + 1];
      g = T0[c >>> 24] ^ T1[(d >> 16) & 255] ^ T2[(a >> 8) & 255] ^ T3[b & 255] ^ rk[o + 2];
      d = T0[d >>> 24] ^ T1[(a >> 16) & 255] ^ T2[(b >> 8) & 255] ^ T3[c & 255] ^ rk[o + 3];
      a = e;
      b = f;
      c = g;
    }
    // last round: SubBytes and ShiftRows only
    st[0] = ((S[a >>> 24] << 24) | (S[(b >> 16) & 255] << 16) | (S[(c >> 8) & 255] << 8) | S[d & 255]) ^ rk[o + 4];
    st[1] = ((S[b >>> 24] << 24) | (S[(c >> 16) & 255] << 16) | (S[(d >> 8) & 255] << 8) | S[a & 255]) ^ rk[o + 5];
    st[2] = ((S[c >>> 24] << 24) | (S[(d >> 16) & 255] << 16) | (S[(a >> 8) & 255] << 8) | S[b & 255]) ^ rk[o + 6];
    st[3] = ((S[d >>> 24] << 24) | (S[(a >> 16) & 255] << 16) | (S[(b >> 8) & 255] << 8) | S[c & 255]) ^ rk[o + 7];
  }

  /** Big-endian view of exactly the bytes of `u` (indices relative to u[0]). */
  function viewOf(u: Uint8Array, n: number): DataView {
    return new DataView(u.buffer, u.byteOffset, n);
  }

  function ecb(key: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
    const n = src.length;
    if ((n & 15) !== 0 || dst.length < n) misuse('ecb needs whole 16-byte blocks and dst as long as src');
    const o = schedule(key);
    const sv = viewOf(src, n);
    const dv = viewOf(dst, n);
    let j;
    for (j = 0; j < n; j += 16) {
      st[0] = sv.getInt32(j);
      st[1] = sv.getInt32(j + 4);
      st[2] = sv.getInt32(j + 8);
      st[3] = sv.getInt32(j + 12);
      encryptBlock(o);
      dv.setInt32(j, st[0]);
      dv.setInt32(j + 4, st[1]);
      dv.setInt32(j + 8, st[2]);
      dv.setInt32(j + 12, st[3]);
    }
  }

  function ctr0(key: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
    const n = src.length;
    if (dst.length < n) misuse('ctr0 needs dst as long as src');
    const o = schedule(key);
    const sv = viewOf(src, n);
    const dv = viewOf(dst, n);
    const whole = n & ~15;
    let j = 0;
    // counter block (0, 0, 0, j/16): the low word never carries for a length below 2^36 bytes
    for (; j < whole; j += 16) {
      st[0] = 0;
      st[1] = 0;
      st[2] = 0;
      st[3] = j >> 4;
      encryptBlock(o);
      // read before write: src and dst may be the same bytes
      dv.setInt32(j, sv.getInt32(j) ^ st[0]);
      dv.setInt32(j + 4, sv.getInt32(j + 4) ^ st[1]);
      dv.setInt32(j + 8, sv.getInt32(j + 8) ^ st[2]);
      dv.setInt32(j + 12, sv.getInt32(j + 12) ^ st[3]);
    }
    if (j < n) {
      st[0] = 0;
      st[1] = 0;
      st[2] = 0;
      st[3] = j >> 4;
      encryptBlock(o);
      blk.fill(0);
      blk.set(src.subarray(j, n));
      bv.setInt32(0, bv.getInt32(0) ^ st[0]);
      bv.setInt32(4, bv.getInt32(4) ^ st[1]);
      bv.setInt32(8, bv.getInt32(8) ^ st[2]);
      bv.setInt32(12, bv.getInt32(12) ^ st[3]);
      dst.set(blk.subarray(0, n - j), j);
      blk.fill(0);
    }
  }

  function cbcMac(key: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
    const n = src.length;
    if (n < 16 || (n & 15) !== 0 || dst.length > 16) misuse('cbcMac needs whole 16-byte blocks and a tag of at most 16 bytes');
    const o = schedule(key);
    const sv = viewOf(src, n);
    st[0] = 0;
    st[1] = 0;
    st[2] = 0;
    st[3] = 0;
    let j;
    for (j = 0; j < n; j += 16) {
      st[0] ^= sv.getInt32(j);
      st[1] ^= sv.getInt32(j + 4);
      st[2] ^= sv.getInt32(j + 8);
      st[3] ^= sv.getInt32(j + 12);
      encryptBlock(o);
    }
    bv.setInt32(0, st[0]);
    bv.setInt32(4, st[1]);
    bv.setInt32(8, st[2]);
    bv.setInt32(12, st[3]);
    dst.set(blk.subarray(0, dst.length));
  }

  // start every slot with a valid expansion (of the zero key) so a lookup never hits an unexpanded slot
  for (let s = 0; s < KEY_SLOTS; s++) expand(s);

  return { ecb: ecb, ctr0: ctr0, cbcMac: cbcMac };
}

/**
 * CBOR encoder (RFC 8949 subset, see cbor.ts for the subset and the public API).
 *
 * Shaped for the Espruino interpreter (docs/espruino-memory.md, measured on the ESP32-like Linux build).
 * RAM: a function object costs ~8 JsVars plus one per parameter however long its body (the code stays
 * in flash), so the functions below are made ONCE per program, in the private scope of `encodeWith`, not
 * per codec as closures; a codec passes its settings (maxDepth, toBytes) as arguments, kept in that
 * scope for one call. The scope is small on purpose: a name is looked up by a linear scan of each
 * enclosing scope (~20 machine instructions per name passed), and the firmware bundle's top level holds
 * hundreds of names, so builtins used per item are cached here too.
 * Speed: every call lexes the WHOLE body of the function, executed or skipped, even after `return`
 * (~150 machine instructions per token; a call itself ~12-16 k). So one giant function is slow, and the
 * split is by frequency: `enc` (every item: int32s 0-23 and simple values written in place), `head`
 * (heads up to 2-byte arguments), `wide` (4- and 8-byte arguments), `put` (strings: short ones without
 * head()), `nest` (arrays and maps, once per container), `float`. Arrays are walked with for..of and maps
 * with for..in (native iteration: ~4 k per element, where indexing a plain array costs ~18 k and
 * Object.keys + indexing ~34 k per key); all bytes of a string or byte string are copied by one native
 * call (`toBytes` is `E.toUint8Array` on the node, then `out.set`); 4- and 8-byte heads and floats are
 * formed in an 8-byte scratch DataView and copied with `out.set` from fixed views of it, so nothing is
 * allocated per item. No DataView over `out` is cached: telling whether `out` is the buffer of the last
 * call would take `===` on typed arrays, which Espruino evaluates by converting both to strings.
 *
 * Buffer ownership: `out` belongs to the caller; the encoder only writes inside [off, out.length) and
 * keeps a reference to the last `out` until the next call. The scratch is shared with the decoder.
 */

/** Module prefix for misuse errors (the only throws; hostile input never reaches the encoder). */
export const CBOR_ERROR_PREFIX = 'meshwork/cbor: ';

/**
 * 8-byte scratch for big-endian numbers, with a DataView and a view of its last 4 bytes: shared by encoder and
 * decoder (neither keeps data in it across calls), so the views exist once per program.
 */
export const SCRATCH = new Uint8Array(8);
export const SCRATCH_DV = new DataView(SCRATCH.buffer);
export const SCRATCH_4 = SCRATCH.subarray(4, 8);

/**
 * `encodeWith(value, out, off, maxDepth, toBytes)`: writes the item at `out[off..]` and returns the
 * offset after it, or -1 when `out` is too small (bytes from `off` on are then unspecified). Throws only
 * on misuse: unsupported types, non-plain objects, nesting deeper than `maxDepth` (which is also how
 * cycles end). `toBytes` is the text component's textToBytes, called as a plain function.
 */
export const encodeWith = /* @__PURE__ */ (function () {
  /** Largest integer encoded as a CBOR integer (2^53-1); larger integral numbers become floats. */
  const MAX_SAFE = 9007199254740991;
  const TWO_32 = 4294967296;
  // Major types are written pre-shifted into the top 3 bits of the initial byte (RFC 8949 §3.1):
  // 0x00 uint, 0x20 negative, 0x40 bytes, 0x60 text, 0x80 array, 0xa0 map.
  let out: Uint8Array = SCRATCH;
  let pos = 0;
  let lim = 0;
  let maxDepth = 0;
  let toBytes!: (s: string) => Uint8Array;
  const s8 = SCRATCH;
  const sdv = SCRATCH_DV;
  const s4 = SCRATCH_4;
  // Builtins cached here: on Espruino each mention of a global is a lookup through every scope (the
  // bundle's top level included) and then the builtin table.
  const U8 = Uint8Array;
  const isArray = Array.isArray;

  /** Head with a 4- or 8-byte argument (n ≥ 65536), kept out of head() so that its usual calls lex less. */
  function wide(mt: number, n: number): boolean {
    const p = pos;
    const big = n >= TWO_32;
    if (p + (big ? 9 : 5) > lim) return false;
    // Split by division: shifts are 32-bit, and Math.pow(2, 32) is inexact on Espruino.
    const hi = Math.floor(n / TWO_32);
    sdv.setUint32(0, hi);
    sdv.setUint32(4, n - hi * TWO_32);
    out[p] = mt | (big ? 27 : 26);
    out.set(big ? s8 : s4, p + 1);
    pos = p + (big ? 9 : 5);
    return true;
  }

  /**
   * Head of a data item (RFC 8949 §3), shortest form for argument n (0 ≤ n ≤ 2^53-1); false when `out`
   * is full. Kept short: every call lexes the whole body, executed or skipped (~150 machine instructions
   * per token).
   */
  function head(mt: number, n: number): boolean {
    const p = pos;
    if (n < 24) {
      if (p >= lim) return false;
      out[p] = mt | n;
      pos = p + 1;
      return true;
    }
    if (n > 65535) return wide(mt, n);
    const w = n < 256 ? 1 : 2; // argument bytes
    if (p + 1 + w > lim) return false;
    out[p] = mt | (23 + w);
    if (w > 1) out[p + 1] = n >> 8;
    out[p + w] = n & 255;
    pos = p + 1 + w;
    return true;
  }

  /** Head plus all bytes of `b`, copied with one native `set`; short ones without calling head(). */
  function put(mt: number, b: Uint8Array): boolean {
    const n = b.length;
    if (n < 24) {
      if (pos + 1 + n > lim) return false;
      out[pos++] = mt | n;
    } else if (!head(mt, n) || pos + n > lim) return false;
    out.set(b, pos);
    pos += n;
    return true;
  }

  /**
   * A number that is not an int32 (or is -0): an integer within ±(2^53-1) as major 0/1, anything else
   * (non-integers, -0, NaN, ±Infinity, integral numbers beyond ±(2^53-1)) as the shortest of
   * float16/32/64 that holds it exactly (RFC 8949 §4.2.2 preferred serialization); NaN is f97e00.
   */
  function float(v: number): boolean {
    if (v === Math.floor(v) && v <= MAX_SAFE && v >= -MAX_SAFE && (v !== 0 || 1 / v > 0)) return v < 0 ? head(0x20, -1 - v) : head(0, v);
    let w = 2; // bytes after the initial byte: 2, 4 or 8
    let h = 0x7e00; // float16 bits (NaN until found otherwise), or -1 when float16 cannot hold the value
    if (v === v) {
      sdv.setFloat32(4, v);
      if (sdv.getFloat32(4) !== v) {
        w = 8;
        sdv.setFloat64(0, v);
      } else {
        const bits = sdv.getUint32(4);
        const sign = (bits >>> 16) & 0x8000;
        const m = bits & 0x7fffff;
        const e = ((bits >>> 23) & 0xff) - 112; // the float16 exponent field if the value is a float16 normal
        h = -1;
        if (e > 0 && e < 31) {
          if ((m & 0x1fff) === 0) h = sign | (e << 10) | (m >>> 13);
        } else if (e === 143) h = sign | 0x7c00; // ±Infinity (NaN never gets here)
        else if (e === -112) {
          if (m === 0) h = sign; // ±0; float32 subnormals are below float16's range
        } else if (e <= 0 && e >= -9) {
          // float16 subnormal: value = k × 2^-24 with k = 1.m × 2^(e+9), i.e. the 24-bit significand >> (14 - e).
          const sh = 14 - e;
          const sig = 0x800000 | m;
          if ((sig & ((1 << sh) - 1)) === 0) h = sign | (sig >>> sh);
        }
        if (h < 0) w = 4; // the float32 is still in the scratch (bytes 4-7)
      }
    }
    const p = pos;
    if (p + 1 + w > lim) return false;
    out[p] = w === 2 ? 0xf9 : w === 4 ? 0xfa : 0xfb;
    if (w === 2) {
      out[p + 1] = h >> 8;
      out[p + 2] = h & 255;
    } else out.set(w === 4 ? s4 : s8, p + 1);
    pos = p + 1 + w;
    return true;
  }

  // nest() and enc() call each other; both exist before the first call (encodeWith, below).
  /** An array or a plain object, inside `depth` arrays/maps. */
  function nest(v: any, depth: number): boolean {
    if (depth >= maxDepth) throw new Error(CBOR_ERROR_PREFIX + 'value nested deeper than ' + maxDepth + ' (cyclic?)');
    depth++;
    if (isArray(v)) {
      if (!head(0x80, v.length)) return false;
      for (const x of v) if (!enc(x, depth)) return false;
      return true;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) throw new Error(CBOR_ERROR_PREFIX + 'cannot encode a non-plain object');
    // for..in, counted first: cheaper on Espruino than Object.keys plus indexing. Only own keys come
    // out: the prototype is Object.prototype (no enumerable members) or null.
    let n = 0;
    for (const k in v) n++;
    if (!head(0xa0, n)) return false;
    for (const k in v) if (!put(0x60, toBytes(k)) || !enc(v[k], depth)) return false;
    return true;
  }

  /**
   * One item, inside `depth` arrays/maps; false when `out` is full. Kept short, because every call lexes
   * the whole body, executed or skipped (~150 machine instructions per token): int32s 0-23 and simple
   * values are written here, the rest goes to head(), put(), float() or nest().
   */
  function enc(v: any, depth: number): boolean {
    const t = typeof v;
    if (t === 'number') {
      // -0 (1/v < 0) is not an integer here, so its sign survives as a float
      if ((v | 0) !== v || (v === 0 && 1 / v < 0)) return float(v);
      if (v >= 24 || v < 0) return v < 0 ? head(0x20, -1 - v) : head(0, v);
    } else if (t === 'string') return put(0x60, toBytes(v));
    else if (t === 'object' && v !== null) return v instanceof U8 ? put(0x40, v) : nest(v, depth);
    else if (v === null) v = 0xf6;
    else if (t === 'boolean') v = v ? 0xf5 : 0xf4;
    else if (t === 'undefined') v = 0xf7;
    else throw new Error(CBOR_ERROR_PREFIX + 'cannot encode a ' + t);
    // v is now the whole item: an integer 0-23 or a simple value's initial byte
    if (pos >= lim) return false;
    out[pos++] = v;
    return true;
  }

  return function encodeWith(value: unknown, dst: Uint8Array, off: number, depthCap: number, textToBytes: (s: string) => Uint8Array): number {
    if (!(dst instanceof U8)) throw new Error(CBOR_ERROR_PREFIX + 'encodeInto needs a Uint8Array');
    if (!(off >= 0 && off <= dst.length) || (off | 0) !== off) throw new Error(CBOR_ERROR_PREFIX + 'offset out of range');
    out = dst;
    pos = off;
    lim = dst.length;
    maxDepth = depthCap;
    toBytes = textToBytes;
    return enc(value, 0) ? pos : -1;
  };
})();

/**
 * CBOR encoder (RFC 8949 subset, see cbor.ts for the subset and the public API).
 *
 * Shaped for the Espruino interpreter, where a simple statement costs ~5-20 k machine instructions, a
 * function call ~15-25 k, and native calls are nearly free (callgrind on the Linux build):
 * - one call per item: `TYPES[typeof v]` picks the handler, with no generic `item()` in between;
 * - arrays are walked with for..of and maps with for..in (native iteration: ~4 k per element, where
 *   indexing a plain array costs ~18 k and Object.keys + indexing ~34 k per key);
 * - all bytes of a string or byte string are copied by one native call (`textToBytes` is `E.toUint8Array`
 *   on the node, then `out.set`);
 * - multi-byte heads and floats are formed in an 8-byte scratch DataView and copied with `out.set` from
 *   fixed views of it, so nothing is allocated per call. No DataView over `out` is cached: telling whether
 *   `out` is the buffer of the last call would take `===` on typed arrays, which Espruino evaluates by
 *   converting both to strings (~250 µs for 256 bytes).
 *
 * Buffer ownership: `out` belongs to the caller; the encoder only writes inside [off, out.length) and
 * keeps a reference to the last `out` until the next call.
 */

/** Module prefix for misuse errors (the only throws; hostile input never reaches the encoder). */
export const CBOR_ERROR_PREFIX = 'meshwork/cbor: ';

/** Largest integer encoded as a CBOR integer (2^53-1); larger integral numbers become floats. */
const MAX_SAFE = 9007199254740991;
const TWO_32 = 4294967296;

/** Major types, pre-shifted into the top 3 bits of the initial byte (RFC 8949 §3.1). */
const MT_UINT = 0x00;
const MT_NINT = 0x20;
const MT_BYTES = 0x40;
const MT_TEXT = 0x60;
const MT_ARRAY = 0x80;
const MT_MAP = 0xa0;

export type EncodeInto = (value: unknown, out: Uint8Array, off: number) => number;

/** Encodes one value; false when `out` is full. `depth` counts the arrays/maps around the value. */
type Handler = (v: any, depth: number) => boolean;

/**
 * Builds `encodeInto(value, out, off)`: writes the item at `out[off..]` and returns the offset after it,
 * or -1 when `out` is too small (bytes from `off` on are then unspecified). Throws only on misuse:
 * unsupported types, non-plain objects, nesting deeper than `maxDepth` (which is also how cycles end).
 */
export function createEncodeInto(maxDepth: number, textToBytes: (s: string) => Uint8Array): EncodeInto {
  let out: Uint8Array = new Uint8Array(0);
  let pos = 0;
  let lim = 0;
  // Scratch, allocated once per codec: big-endian numbers are formed here, then copied into `out`
  // through the fixed-length views (one native `set` each).
  const scratch = new ArrayBuffer(8);
  const sdv = new DataView(scratch);
  const s4 = new Uint8Array(scratch, 0, 4);
  const s8 = new Uint8Array(scratch, 0, 8);
  // Builtins cached in the closure: on Espruino each mention of a global builtin (Math, Uint8Array, ...)
  // is a lookup through every scope and then the builtin table, ~20 k instructions.
  const objectProto = Object.prototype;
  const getProto = Object.getPrototypeOf;
  const isArray = Array.isArray;
  const floor = Math.floor;
  const U8 = Uint8Array;

  function misuse(what: string): Error {
    return new Error(CBOR_ERROR_PREFIX + what);
  }

  /** Head of a data item (RFC 8949 §3): shortest form for argument n (0 ≤ n ≤ 2^53-1). */
  function head(mt: number, n: number): boolean {
    const p = pos;
    if (n < 24) {
      if (p >= lim) return false;
      out[p] = mt | n;
      pos = p + 1;
    } else if (n < 256) {
      if (p + 2 > lim) return false;
      out[p] = mt | 24;
      out[p + 1] = n;
      pos = p + 2;
    } else if (n < 65536) {
      if (p + 3 > lim) return false;
      out[p] = mt | 25;
      out[p + 1] = n >> 8;
      out[p + 2] = n & 255;
      pos = p + 3;
    } else if (n < TWO_32) {
      if (p + 5 > lim) return false;
      out[p] = mt | 26;
      sdv.setUint32(0, n);
      out.set(s4, p + 1);
      pos = p + 5;
    } else {
      if (p + 9 > lim) return false;
      // Split by division: shifts are 32-bit, and Math.pow(2, 32) is inexact on Espruino.
      const hi = floor(n / TWO_32);
      out[p] = mt | 27;
      sdv.setUint32(0, hi);
      sdv.setUint32(4, n - hi * TWO_32);
      out.set(s8, p + 1);
      pos = p + 9;
    }
    return true;
  }

  /** float16 bits for the rare cases of toHalf: ±Infinity, ±0, and float16 subnormals. */
  function rareHalf(bits: number): number {
    const sign = (bits >>> 16) & 0x8000;
    const e = ((bits >>> 23) & 0xff) - 127; // unbiased exponent
    const m = bits & 0x7fffff;
    if (e === 128) return sign | 0x7c00; // ±Infinity (NaN never gets here)
    if (e === -127) return m === 0 ? sign : -1; // ±0; float32 subnormals are below float16's range
    if (e > 15 || e < -24) return -1;
    // float16 subnormal: value = k × 2^-24 with k = 1.m × 2^(e+24), i.e. the 24-bit significand >> -(e+1).
    const s = -1 - e;
    const sig = 0x800000 | m;
    return (sig & ((1 << s) - 1)) === 0 ? sign | (sig >>> s) : -1;
  }

  /**
   * float16 bits for a value whose float32 bits are `bits`, or -1 when float16 cannot hold it exactly
   * (RFC 8949 §4.2.2 preferred serialization: the shortest float that preserves the value). The common
   * case, a float16 normal, is tested first in a few operations.
   */
  function toHalf(bits: number): number {
    const e = ((bits >>> 23) & 0xff) - 112; // the float16 exponent field if the value is a float16 normal
    if (e > 0 && e < 31) return (bits & 0x1fff) === 0 ? ((bits >>> 16) & 0x8000) | (e << 10) | ((bits >>> 13) & 0x3ff) : -1;
    return rareHalf(bits);
  }

  function float(v: number): boolean {
    const p = pos;
    if (v !== v) {
      // NaN: the canonical quiet NaN as float16 (RFC 8949 §4.2.2).
      if (p + 3 > lim) return false;
      out[p] = 0xf9;
      out[p + 1] = 0x7e;
      out[p + 2] = 0;
      pos = p + 3;
      return true;
    }
    sdv.setFloat32(0, v);
    if (sdv.getFloat32(0) !== v) {
      if (p + 9 > lim) return false;
      out[p] = 0xfb;
      sdv.setFloat64(0, v);
      out.set(s8, p + 1);
      pos = p + 9;
      return true;
    }
    const bits = sdv.getUint32(0);
    const h = toHalf(bits);
    if (h < 0) {
      if (p + 5 > lim) return false;
      out[p] = 0xfa;
      out.set(s4, p + 1); // the float32 is still in the scratch
      pos = p + 5;
      return true;
    }
    if (p + 3 > lim) return false;
    out[p] = 0xf9;
    out[p + 1] = h >> 8;
    out[p + 2] = h & 255;
    pos = p + 3;
    return true;
  }

  function num(v: number): boolean {
    // Integers within ±(2^53-1) as major 0/1 (the int32 test first: cheapest); -0 (1/v < 0) stays a
    // float so its sign survives.
    if ((v | 0) === v ? v !== 0 || 1 / v > 0 : v === floor(v) && v <= MAX_SAFE && v >= -MAX_SAFE) {
      if (v < 0) return head(MT_NINT, -1 - v);
      if (v >= 24) return head(MT_UINT, v);
      if (pos >= lim) return false;
      out[pos++] = v;
      return true;
    }
    return float(v);
  }

  /** Head plus all bytes, copied with one native `set`. */
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

  function text(v: string): boolean {
    return put(MT_TEXT, textToBytes(v));
  }

  function one(byte: number): boolean {
    if (pos >= lim) return false;
    out[pos++] = byte;
    return true;
  }

  function bool(v: boolean): boolean {
    return one(v ? 0xf5 : 0xf4);
  }

  function undef(): boolean {
    return one(0xf7);
  }

  function bad(v: unknown): boolean {
    throw misuse('cannot encode a ' + typeof v);
  }

  function array(v: unknown[], depth: number): boolean {
    if (!head(MT_ARRAY, v.length)) return false;
    for (const x of v) if (!TYPES[typeof x](x, depth)) return false;
    return true;
  }

  function map(o: { [k: string]: unknown }, depth: number): boolean {
    const proto = getProto(o);
    if (proto !== objectProto && proto !== null) throw misuse('cannot encode a non-plain object');
    // for..in, counted first: cheaper on Espruino than Object.keys plus indexing. Only own keys come out:
    // the prototype is Object.prototype (no enumerable members) or null.
    let n = 0;
    for (const k in o) n++;
    if (!head(MT_MAP, n)) return false;
    for (const k in o) {
      const x = o[k];
      if (!put(MT_TEXT, textToBytes(k)) || !TYPES[typeof x](x, depth)) return false;
    }
    return true;
  }

  function obj(v: object | null, depth: number): boolean {
    if (v === null) return one(0xf6);
    if (v instanceof U8) return put(MT_BYTES, v);
    if (depth >= maxDepth) throw misuse('value nested deeper than ' + maxDepth + ' (cyclic?)');
    return isArray(v) ? array(v, depth + 1) : map(v as { [k: string]: unknown }, depth + 1);
  }

  // Every result of typeof has an entry, so the lookup never misses.
  const TYPES: { [type: string]: Handler } = {
    number: num,
    string: text,
    object: obj,
    boolean: bool,
    undefined: undef,
    function: bad,
    symbol: bad,
    bigint: bad,
  };

  return function encodeInto(value: unknown, dst: Uint8Array, off: number): number {
    if (!(dst instanceof U8)) throw misuse('encodeInto needs a Uint8Array');
    if (!(off >= 0 && off <= dst.length) || (off | 0) !== off) throw misuse('offset out of range');
    out = dst;
    pos = off;
    lim = dst.length;
    return TYPES[typeof value](value, 0) ? pos : -1;
  };
}

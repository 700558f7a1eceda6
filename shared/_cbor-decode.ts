/**
 * CBOR decoder (RFC 8949 subset, see cbor.ts for the subset and the public API).
 *
 * Hostile bytes never throw: every read is bounds-checked first, and the first failure is kept in
 * `err`/`errAt` and unwinds the recursion through plain returns (no exceptions as control flow).
 * Declared lengths are checked against the remaining input before anything is allocated: a string needs
 * n bytes, an array n items of at least one byte, a map 2n. Nesting is capped at `maxDepth` before
 * recursing, which also bounds the interpreter's stack on the node.
 *
 * Shaped for the Espruino interpreter (a statement costs ~5-20 k machine instructions, a call ~15-25 k,
 * natives are nearly free): `item` reads the head and returns integers itself, so a number or a small
 * value costs one call; strings, arrays and maps go through a table indexed by major type. A text string
 * is one `subarray` plus one native `bytesToText` (`E.toString`); a float64 one `subarray` + `set` into a
 * scratch DataView. No DataView over the input is cached: checking that the input is the buffer of the
 * last call would take `===` on typed arrays, which Espruino evaluates by converting both to strings.
 *
 * Buffer ownership: the input belongs to the caller and is never written. Byte strings are copied unless
 * `viewBytes` is set (then they are views that alias the input). The last input is referenced until the
 * next call.
 */

/** Why a decode failed (`at` in the result is the offset of the offending item or byte). */
export type CborFailure =
  | 'truncated' // the input ends inside a head
  | 'length exceeds input' // a string/array/map declares more than the remaining bytes can hold
  | 'integer out of range' // beyond ±(2^53-1): refused rather than rounded
  | 'unsupported' // tags, indefinite lengths, simple values other than false/true/null/undefined
  | 'malformed' // not well-formed CBOR: reserved additional info 28-30, stray break, f8 with value < 32
  | 'too deep' // arrays/maps nested deeper than maxDepth
  | 'bad map key' // a key that is not a text string or an integer
  | 'duplicate key' // two keys naming the same property (the integer key 1 and the text key "1" collide)
  | 'forbidden key' // "__proto__": assigning it would replace the prototype, on V8 and on Espruino
  | 'invalid utf-8' // bytesToText refused the bytes of a text string
  | 'trailing bytes'; // bytes left after the item and allowTrailing is off

export type CborValue =
  | number
  | string
  | boolean
  | null
  | undefined
  | Uint8Array
  | CborValue[]
  | { [key: string]: CborValue };

export type DecodeResult =
  | { ok: true; value: CborValue; end: number }
  | { ok: false; reason: CborFailure; at: number };

export interface DecoderInit {
  maxDepth: number;
  allowTrailing: boolean;
  viewBytes: boolean;
}

const MAX_SAFE = 9007199254740991;
const TWO_32 = 4294967296;
/** 2^-24, the float16 subnormal step: exact as a double. */
const HALF_STEP = 5.960464477539063e-8;
// Failure reasons as constants: the minifier turns them into one-letter names, cheap to skip over.
const TRUNCATED: CborFailure = 'truncated';
const TOO_LONG: CborFailure = 'length exceeds input';
const OUT_OF_RANGE: CborFailure = 'integer out of range';
const UNSUPPORTED: CborFailure = 'unsupported';
const MALFORMED: CborFailure = 'malformed';
const TOO_DEEP: CborFailure = 'too deep';
const BAD_KEY: CborFailure = 'bad map key';
const DUPLICATE: CborFailure = 'duplicate key';
const FORBIDDEN: CborFailure = 'forbidden key';
const BAD_TEXT: CborFailure = 'invalid utf-8';
const TRAILING: CborFailure = 'trailing bytes';

export type Decode = (buf: Uint8Array, off?: number, end?: number) => DecodeResult;

type Handler = (n: number, depth: number) => CborValue;

export function createDecode(
  init: DecoderInit,
  bytesToText: (bytes: Uint8Array) => string | undefined,
  misuse: (what: string) => Error,
): Decode {
  const maxDepth = init.maxDepth;
  const allowTrailing = init.allowTrailing;
  const viewBytes = init.viewBytes;
  let buf: Uint8Array = new Uint8Array(0);
  let pos = 0;
  let lim = 0;
  // Offset of the item being decoded, for failures found by the handlers before they recurse.
  let itemAt = 0;
  // First failure; once set, every level returns at once (callers test it after each child).
  let err: CborFailure | undefined;
  let errAt = 0;
  const scratch = new ArrayBuffer(8);
  const sdv = new DataView(scratch);
  const s4 = new Uint8Array(scratch, 0, 4);
  const s8 = new Uint8Array(scratch, 0, 8);
  // Taken once: an own key named "hasOwnProperty" must not shadow it (calling it would then throw).
  const hasOwn = {}.hasOwnProperty;
  const SIMPLE = [false, true, null, undefined];
  // Builtins cached in the closure: on Espruino each mention of a global builtin is a lookup through
  // every scope and then the builtin table, ~20 k instructions.
  const U8 = Uint8Array;
  const toStr = String;

  /** Records the failure; returns -1 so that argument readers can signal it in-band. */
  function fail(reason: CborFailure, at: number): number {
    err = reason;
    errAt = at;
    return -1;
  }

  /** Big-endian uint32 at p (bounds already checked). */
  function u32(p: number): number {
    return buf[p] * 16777216 + ((buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]);
  }

  /**
   * Argument of a head whose additional info `ai` is 25-31 (RFC 8949 §3): the next 2, 4 or 8 bytes,
   * big-endian (24 is read inline by `item`). Returns -1 after a failure.
   */
  function arg(ai: number, mt: number): number {
    const p = pos;
    if (ai === 25) {
      if (p + 2 > lim) return fail(TRUNCATED, itemAt);
      pos = p + 2;
      return (buf[p] << 8) | buf[p + 1];
    }
    if (ai === 26) {
      if (p + 4 > lim) return fail(TRUNCATED, itemAt);
      pos = p + 4;
      return u32(p);
    }
    if (ai === 27) {
      if (p + 8 > lim) return fail(TRUNCATED, itemAt);
      const hi = u32(p);
      // ≥ 2^53: not a safe integer, nor a length that fits in any input. Refuse before rounding.
      if (hi > 0x1fffff) return fail(mt < 2 ? OUT_OF_RANGE : mt === 6 ? UNSUPPORTED : TOO_LONG, itemAt);
      const n = hi * TWO_32 + u32(p + 4);
      if (mt === 1 && n === MAX_SAFE) return fail(OUT_OF_RANGE, itemAt); // -1 - n would be -2^53
      pos = p + 8;
      return n;
    }
    if (ai === 24) {
      if (p >= lim) return fail(TRUNCATED, itemAt);
      pos = p + 1;
      return buf[p];
    }
    // 28-30 are reserved; 31 is an indefinite length, well-formed only for major types 2-5.
    return fail(ai === 31 && mt >= 2 && mt <= 5 ? UNSUPPORTED : MALFORMED, itemAt);
  }

  /** float16 → number for the rare cases: zero and subnormals (e = 0), Infinity and NaN (e = 31). */
  function rareHalf(h: number): number {
    const m = h & 1023;
    const v = (h & 0x7c00) === 0 ? m * HALF_STEP : m === 0 ? Infinity : NaN;
    return h & 0x8000 ? -v : v;
  }

  /**
   * float16 → number (RFC 8949 Appendix D) without Math.pow (inexact on Espruino): a normal float16 is
   * widened to float32 bits (exponent rebiased by 127 - 15 = 112) and read back through the scratch.
   */
  function half(h: number): number {
    const e = h & 0x7c00;
    if (e === 0 || e === 0x7c00) return rareHalf(h);
    sdv.setUint32(0, ((h & 0x8000) << 16) | (((h & 0x7fff) << 13) + 0x38000000));
    return sdv.getFloat32(0);
  }

  /** Major type 7 (RFC 8949 §3.3): floats and false/true/null/undefined; other simple values refused. */
  function simple(ai: number): CborValue {
    const p = pos;
    if (ai === 27) {
      if (p + 8 > lim) return fail(TRUNCATED, itemAt);
      pos = p + 8;
      s8.set(buf.subarray(p, p + 8));
      return sdv.getFloat64(0);
    }
    if (ai === 25) {
      if (p + 2 > lim) return fail(TRUNCATED, itemAt);
      pos = p + 2;
      return half((buf[p] << 8) | buf[p + 1]);
    }
    if (ai === 26) {
      if (p + 4 > lim) return fail(TRUNCATED, itemAt);
      pos = p + 4;
      s4.set(buf.subarray(p, p + 4));
      return sdv.getFloat32(0);
    }
    if (ai < 24) return ai < 20 ? fail(UNSUPPORTED, itemAt) : SIMPLE[ai - 20];
    if (ai !== 24) return fail(MALFORMED, itemAt); // 28-30 reserved, 31 a break outside any indefinite item
    if (p >= lim) return fail(TRUNCATED, itemAt);
    return fail(buf[p] < 32 ? MALFORMED : UNSUPPORTED, itemAt); // f8 xx: simple values 32-255
  }

  // Handlers by major type 2-6, called with the argument n read and pos after the head. A failure is
  // left in err; the returned value then does not matter.
  function bytes(n: number): CborValue {
    const p = pos;
    if (n > lim - p) return fail(TOO_LONG, itemAt);
    pos = p + n;
    if (viewBytes) return buf.subarray(p, p + n);
    const b = new U8(n);
    b.set(buf.subarray(p, p + n));
    return b;
  }

  function text(n: number): CborValue {
    const p = pos;
    if (n > lim - p) return fail(TOO_LONG, itemAt);
    const s = bytesToText(buf.subarray(p, p + n));
    if (s === undefined) return fail(BAD_TEXT, itemAt);
    pos = p + n;
    return s;
  }

  function array(n: number, depth: number): CborValue {
    if (depth >= maxDepth) return fail(TOO_DEEP, itemAt);
    // Every item takes at least one byte: refuse impossible counts before allocating anything.
    if (n > lim - pos) return fail(TOO_LONG, itemAt);
    const a: CborValue[] = [];
    depth++;
    while (n-- > 0) {
      a.push(item(depth)); // on failure the array is dropped, so what was pushed does not matter
      if (err) return;
    }
    return a;
  }

  function map(n: number, depth: number): CborValue {
    if (depth >= maxDepth) return fail(TOO_DEEP, itemAt);
    if (n + n > lim - pos) return fail(TOO_LONG, itemAt);
    const o: { [key: string]: CborValue } = {};
    depth++;
    while (n-- > 0) {
      const at = pos;
      const ib = buf[at];
      let k: CborValue;
      // Keys: text, or an integer (major 0/1, initial byte < 0x40) named by its decimal form. Short text
      // keys (the usual case) are read here: going through item() would cost two more calls per key.
      if (ib >= 0x60 && ib < 0x78 && at < lim) {
        const n1 = ib - 0x5f; // head + text bytes
        if (n1 > lim - at) return fail(TOO_LONG, at);
        k = bytesToText(buf.subarray(at + 1, at + n1));
        if (k === undefined) return fail(BAD_TEXT, at);
        pos = at + n1;
      } else {
        if (ib >> 5 === 3) k = item(depth);
        else if (ib < 0x40) k = toStr(item(depth));
        else return fail(at >= lim ? TRUNCATED : BAD_KEY, at);
        if (err) return;
      }
      if (k === '__proto__') return fail(FORBIDDEN, at);
      if (hasOwn.call(o, k as string)) return fail(DUPLICATE, at);
      o[k as string] = item(depth);
      if (err) return;
    }
    return o;
  }

  function tag(): CborValue {
    return fail(UNSUPPORTED, itemAt); // no tag is in the subset
  }

  const MAJOR: Handler[] = [bytes, text, array, map, tag];

  function item(depth: number): CborValue {
    if (pos >= lim) return fail(TRUNCATED, pos);
    itemAt = pos;
    const ib = buf[pos++];
    if (ib < 24) return ib;
    if (ib >= 0xe0) return simple(ib & 31);
    let n = ib & 31;
    if (n > 23) {
      if (n === 24 && pos < lim) n = buf[pos++];
      else if ((n = arg(n, ib >> 5)) < 0) return;
    }
    if (ib < 0x20) return n;
    if (ib < 0x40) return -1 - n;
    return MAJOR[(ib >> 5) - 2](n, depth);
  }

  return function decode(b: Uint8Array, off?: number, end?: number): DecodeResult {
    if (!(b instanceof U8)) throw misuse('decode needs a Uint8Array');
    const s = off === undefined ? 0 : off;
    const e = end === undefined ? b.length : end;
    if (!(s >= 0 && s <= e && e <= b.length) || (s | 0) !== s || (e | 0) !== e) {
      throw misuse('decode range out of bounds');
    }
    buf = b;
    pos = s;
    lim = e;
    err = undefined;
    const value = item(0);
    if (err) return { ok: false, reason: err, at: errAt };
    if (!allowTrailing && pos !== lim) return { ok: false, reason: TRAILING, at: pos };
    return { ok: true, value: value, end: pos };
  };
}

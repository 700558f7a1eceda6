import { CBOR_ERROR_PREFIX, SCRATCH, SCRATCH_DV } from './_cbor-encode.ts';

/**
 * CBOR decoder (RFC 8949 subset, see cbor.ts for the subset and the public API).
 *
 * Hostile bytes never throw: every read is bounds-checked first, and the first failure is kept in
 * `err`/`errAt` and unwinds the recursion through plain returns (no exceptions as control flow).
 * Declared lengths are checked against the remaining input before anything is allocated: a string needs
 * n bytes, an array n items of at least one byte, a map 2n. Nesting is capped at `maxDepth` before
 * recursing, which also bounds the interpreter's stack on the node.
 *
 * Shaped for the Espruino interpreter like the encoder (_cbor-encode.ts, whose header gives the costs):
 * the functions are made ONCE per program in the private scope of `decodeWith`, the codec's settings
 * arrive as its arguments, and the work is split by frequency, because every call lexes the whole body
 * of the function: `item` (every item: integers returned in place), `str`, `array`, `map` (short text
 * keys read in place), `simple` (major type 7: floats and simple values), `arg` (2-8 byte arguments) and
 * `fail`. Failure reasons are literals, not constants, so no string is held in RAM for them. A text
 * string is one `subarray` plus one native `bytesToText` (`E.toString`); a float one `subarray` + `set`
 * into the scratch DataView. No DataView over the input is cached: checking that the input is the buffer
 * of the last call would take `===` on typed arrays, which Espruino evaluates by converting both to
 * strings.
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

/**
 * `decodeWith(buf, off, end, maxDepth, allowTrailing, viewBytes, bytesToText)`: decodes one item from
 * buf[off..end) (off and end default to the whole buffer). Never throws on the bytes; throws (misuse) on
 * a non-Uint8Array or a bad range. `bytesToText` is called as a plain function.
 */
export const decodeWith = /* @__PURE__ */ (function () {
  const MAX_SAFE = 9007199254740991;
  const TWO_32 = 4294967296;
  /** 2^-24, the float16 subnormal step: exact as a double. */
  const HALF_STEP = 5.960464477539063e-8;
  let buf: Uint8Array = SCRATCH;
  let pos = 0;
  let lim = 0;
  // Offset of the item being decoded, for failures found by `arg` and `simple`.
  let itemAt = 0;
  // First failure; once set, every level returns at once (callers test it after each child).
  let err: CborFailure | undefined;
  let errAt = 0;
  let maxDepth = 0;
  let viewBytes = false;
  let toText!: (bytes: Uint8Array) => string | undefined;
  const sdv = SCRATCH_DV;
  const s8 = SCRATCH;
  // Taken once: an own key named "hasOwnProperty" must not shadow it (calling it would then throw).
  const hasOwn = {}.hasOwnProperty;
  const U8 = Uint8Array;

  /** Records the failure; returns -1 so that argument readers can signal it in-band. */
  function fail(reason: CborFailure, at: number): number {
    err = reason;
    errAt = at;
    return -1;
  }

  /**
   * Argument of a head whose additional info `ai` is 24-31 (RFC 8949 §3): the next 2, 4 or 8 bytes,
   * big-endian (`item` reads 24 itself when the byte is there). Returns -1 after a failure.
   */
  function arg(ai: number, mt: number): number {
    const p = pos;
    const w = ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : 0; // argument bytes
    // 24 here means its byte is missing; 28-30 are reserved; 31 is an indefinite length, well-formed
    // only for major types 2-5.
    if (w === 0 || p + w > lim) return fail(w > 0 || ai === 24 ? 'truncated' : ai === 31 && mt >= 2 && mt <= 5 ? 'unsupported' : 'malformed', itemAt);
    pos = p + w;
    if (w === 2) return (buf[p] << 8) | buf[p + 1];
    sdv.setUint32(0, 0);
    s8.set(buf.subarray(p, p + w), 8 - w);
    const hi = sdv.getUint32(0);
    // ≥ 2^53: not a safe integer, nor a length that fits in any input. Refuse before rounding.
    if (hi > 0x1fffff) return fail(mt < 2 ? 'integer out of range' : mt === 6 ? 'unsupported' : 'length exceeds input', itemAt);
    const n = hi * TWO_32 + sdv.getUint32(4);
    if (mt === 1 && n === MAX_SAFE) return fail('integer out of range', itemAt); // -1 - n would be -2^53
    return n;
  }

  /** Major type 7 (RFC 8949 §3.3): floats and false/true/null/undefined; other simple values refused. */
  function simple(ai: number): CborValue {
    if (ai < 24) return ai < 20 ? fail('unsupported', itemAt) : ai === 20 ? false : ai === 21 ? true : ai === 22 ? null : undefined;
    const p = pos;
    const w = ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : ai === 24 ? 1 : 0; // bytes after the initial byte
    if (w === 0) return fail('malformed', itemAt); // 28-30 reserved, 31 a break outside any indefinite item
    if (p + w > lim) return fail('truncated', itemAt);
    if (w === 1) return fail(buf[p] < 32 ? 'malformed' : 'unsupported', itemAt); // f8 xx: simple values 32-255
    pos = p + w;
    if (w > 2) {
      s8.set(buf.subarray(p, p + w), 8 - w); // a float32 into bytes 4-7, a float64 into all 8
      return w === 4 ? sdv.getFloat32(4) : sdv.getFloat64(0);
    }
    // float16 (RFC 8949 Appendix D) without Math.pow (inexact on Espruino): a normal float16 is widened
    // to float32 bits (exponent rebiased by 127 - 15 = 112) and read back through the scratch.
    const h = (buf[p] << 8) | buf[p + 1];
    const e = h & 0x7c00;
    if (e !== 0 && e !== 0x7c00) {
      sdv.setUint32(4, ((h & 0x8000) << 16) | (((h & 0x7fff) << 13) + 0x38000000));
      return sdv.getFloat32(4);
    }
    // zero and subnormals (e = 0), Infinity and NaN (e = 31)
    const m = h & 1023;
    const v = e === 0 ? m * HALF_STEP : m === 0 ? Infinity : NaN;
    return h & 0x8000 ? -v : v;
  }

  /** Byte or text string with n bytes, pos after the head: one view of the input, then one native copy or transcoding. */
  function str(ib: number, n: number): CborValue {
    const p = pos;
    if (n > lim - p) return fail('length exceeds input', itemAt);
    pos = p + n;
    if (ib >= 0x60) {
      const s = toText(buf.subarray(p, p + n));
      return s === undefined ? fail('invalid utf-8', itemAt) : s;
    }
    if (viewBytes) return buf.subarray(p, p + n);
    const b = new U8(n);
    b.set(buf.subarray(p, p + n));
    return b;
  }

  // item(), array() and map() call one another; all exist before the first call (decodeWith, below).
  /** Array of n items inside `depth` arrays/maps (depth already checked), pos after the head. */
  function array(n: number, depth: number): CborValue {
    // Every item takes at least one byte: refuse impossible counts before allocating anything.
    if (n > lim - pos) return fail('length exceeds input', itemAt);
    const a: CborValue[] = [];
    while (n-- > 0) {
      a.push(item(depth)); // on failure the array is dropped, so what was pushed does not matter
      if (err) return;
    }
    return a;
  }

  /** Map of n pairs inside `depth` arrays/maps (depth already checked), pos after the head. */
  function map(n: number, depth: number): CborValue {
    if (n + n > lim - pos) return fail('length exceeds input', itemAt);
    const o: { [key: string]: CborValue } = {};
    while (n-- > 0) {
      const at = pos;
      const kb = buf[at];
      let k: CborValue;
      // Keys: text, or an integer (major 0/1, initial byte < 0x40) named by its decimal form. Short text
      // keys (the usual case) are read here: going through item() would cost two more calls per key.
      if (kb >= 0x60 && kb < 0x78 && at < lim) {
        const n1 = kb - 0x5f; // head + text bytes
        if (n1 > lim - at) return fail('length exceeds input', at);
        k = toText(buf.subarray(at + 1, at + n1));
        if (k === undefined) return fail('invalid utf-8', at);
        pos = at + n1;
      } else {
        if (kb >> 5 === 3) k = item(depth);
        else if (kb < 0x40) k = '' + (item(depth) as number);
        else return fail(at >= lim ? 'truncated' : 'bad map key', at);
        if (err) return;
      }
      if (k === '__proto__') return fail('forbidden key', at);
      if (hasOwn.call(o, k as string)) return fail('duplicate key', at);
      o[k as string] = item(depth);
      if (err) return;
    }
    return o;
  }

  /**
   * One item at `pos`, inside `depth` arrays/maps. A failure is left in `err`. Kept short, because every
   * call lexes the whole body, executed or skipped (~150 machine instructions per token): integers are
   * returned here, everything else goes to one function per kind.
   */
  function item(depth: number): CborValue {
    if (pos >= lim) return fail('truncated', pos);
    itemAt = pos;
    const ib = buf[pos++];
    if (ib < 24) return ib;
    if (ib >= 0xe0) return simple(ib & 31);
    let n = ib & 31;
    if (n > 23) {
      if (n === 24 && pos < lim) n = buf[pos++];
      else if ((n = arg(n, ib >> 5)) < 0) return;
    }
    if (ib < 0x80) return ib < 0x20 ? n : ib < 0x40 ? -1 - n : str(ib, n);
    if (ib >= 0xc0) return fail('unsupported', itemAt); // no tag is in the subset
    if (depth >= maxDepth) return fail('too deep', itemAt);
    return ib < 0xa0 ? array(n, depth + 1) : map(n, depth + 1);
  }

  return function decodeWith(
    b: Uint8Array, off: number | undefined, end: number | undefined,
    depthCap: number, allowTrailing: boolean, views: boolean, bytesToText: (bytes: Uint8Array) => string | undefined,
  ): DecodeResult {
    if (!(b instanceof U8)) throw new Error(CBOR_ERROR_PREFIX + 'decode needs a Uint8Array');
    const s = off === undefined ? 0 : off;
    const e = end === undefined ? b.length : end;
    if (!(s >= 0 && s <= e && e <= b.length) || (s | 0) !== s || (e | 0) !== e) {
      throw new Error(CBOR_ERROR_PREFIX + 'decode range out of bounds');
    }
    buf = b;
    pos = s;
    lim = e;
    maxDepth = depthCap;
    viewBytes = views;
    toText = bytesToText;
    err = undefined;
    const value = item(0);
    if (err) return { ok: false, reason: err, at: errAt };
    if (!allowTrailing && pos !== lim) return { ok: false, reason: 'trailing bytes', at: pos };
    return { ok: true, value: value, end: pos };
  };
})();

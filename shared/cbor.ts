/**
 * Application-payload codec: a CBOR (RFC 8949) subset for what endpoints exchange (text messages,
 * telemetry, traceroute, ping, commands). Relays never parse payloads; only endpoints call this.
 *
 * Subset (anything else decodes to an error value, never an exception):
 * - integers, major types 0/1, within ±(2^53-1). Encode: shortest head (RFC 8949 §4.2.1). Decode: any
 *   head length; beyond that range → 'integer out of range' (never silently rounded).
 * - floats: encode non-integers (and integral numbers beyond ±(2^53-1), -0, NaN, ±Infinity) with the
 *   shortest of float16/32/64 that holds the value exactly (preferred serialization, §4.2.2); NaN is f97e00.
 *   Decode all three widths.
 * - byte strings ⇄ Uint8Array; text strings ⇄ string, through the text component below.
 * - arrays ⇄ arrays; maps ⇄ plain objects (prototype Object.prototype or null). Encode writes every own
 *   enumerable key as a text key, in for..in order (the Object.keys order). Decode accepts text and integer keys; an integer key becomes the decimal property
 *   name (`{1: 2}` in CBOR decodes to `{"1": 2}`, which re-encodes with the text key "1"). Duplicate
 *   property names and "__proto__" are refused.
 * - false, true, null, undefined (simple values 20-23).
 * - not in the subset: tags (major 6), indefinite lengths, other simple values → 'unsupported'.
 * Encode emits definite lengths only. Objects and arrays may nest `maxDepth` deep (default 16) both ways;
 * encoding deeper (or a cycle) throws, decoding deeper fails with 'too deep'.
 *
 * Text: the codec never transcodes text itself. On Espruino ESP32 builds strings are 8-bit and an
 * application string already holds UTF-8 bytes as chars, so `E.toUint8Array`/`E.toString` copy them
 * natively (firmware/_cbor-text.ts); that side does not validate UTF-8. On Node strings are UTF-16 and
 * the component uses the WHATWG text encoder and decoder (host/cbor-text.ts), refusing invalid UTF-8.
 * Espruino has no -0: there it encodes as the integer 0.
 *
 * Cost on Espruino (callgrind, ESP32-like Linux build at -Og, bench/cbor.ts): every item is interpreted
 * (~10 k machine instructions per JS operation, ~150 k per item), never a byte: the 73-byte telemetry
 * sample (32 items) costs ~5.3 M instructions to encode and ~5.2 M to decode, against 0.17 M for native
 * JSON.stringify + JSON.parse of the same object; a 122-byte text message 1.8 M + 1.8 M, where a
 * per-byte JS codec needs 6.8 M + 6.0 M. Fine for endpoints; nothing on the relay path calls this.
 *
 * Usage: `const cbor = createCbor({ maxDepth: 16 })(cborText)`, then
 * `cbor.encodeInto(value, out, off)` (new offset, or -1 if `out` is too small: nothing is allocated but
 * what the text component returns), `cbor.encode(value)` (a fresh Uint8Array), and
 * `cbor.decode(buf, off?, end?)` → `{ ok: true, value, end }` | `{ ok: false, reason, at }`.
 * Misuse (a function, a class instance or other non-plain object, a cycle, a bad offset) throws an Error
 * whose message starts with "meshwork/cbor: ".
 */

import { createEncodeInto, CBOR_ERROR_PREFIX } from './_cbor-encode.ts';
import { createDecode } from './_cbor-decode.ts';
import type { CborFailure, CborValue, DecodeResult } from './_cbor-decode.ts';

export type { CborFailure, CborValue, DecodeResult };
export { CBOR_ERROR_PREFIX };

/** Text transcoding, supplied by the platform (a port; see the header). Both are called as plain functions, without `this`. */
export interface CborText {
  /**
   * UTF-8 bytes of `s`. The codec only reads them, before its next call, and keeps no reference, so the
   * component may return a shared or cached array.
   */
  textToBytes(s: string): Uint8Array;
  /** The string whose UTF-8 encoding is `bytes` (a view into the input: copy, do not keep), or undefined to refuse them. */
  bytesToText(bytes: Uint8Array): string | undefined;
}

export interface CborInit {
  /** Deepest nesting of arrays/maps accepted (encode throws, decode fails beyond it). Default 16. */
  maxDepth?: number;
  /** Decode stops after one item and reports its `end` instead of failing with 'trailing bytes'. Default false. */
  allowTrailing?: boolean;
  /** Decoded byte strings are views aliasing the input instead of copies. Default false. */
  viewBytes?: boolean;
}

export interface Cbor {
  encodeInto(value: unknown, out: Uint8Array, off: number): number;
  encode(value: unknown): Uint8Array;
  decode(buf: Uint8Array, off?: number, end?: number): DecodeResult;
}

/** Initial size of the scratch buffer behind `encode`; it doubles (temporarily) for larger values. */
const ENCODE_SCRATCH = 256;

export function createCbor(init?: CborInit): (text: CborText) => Cbor {
  const maxDepth = init && init.maxDepth !== undefined ? init.maxDepth : 16;
  const allowTrailing = init && init.allowTrailing !== undefined ? init.allowTrailing : false;
  const viewBytes = init && init.viewBytes !== undefined ? init.viewBytes : false;
  if (!(maxDepth >= 0 && maxDepth === Math.floor(maxDepth))) throw new Error(CBOR_ERROR_PREFIX + 'bad maxDepth');

  return function (text: CborText): Cbor {
    if (!text || typeof text.textToBytes !== 'function' || typeof text.bytesToText !== 'function') {
      throw new Error(CBOR_ERROR_PREFIX + 'text component needs textToBytes and bytesToText');
    }
    // Plain function values, so a native (E.toUint8Array, E.toString) is called directly, not via a method.
    const encodeInto = createEncodeInto(maxDepth, text.textToBytes);
    const decode = createDecode(
      { maxDepth: maxDepth, allowTrailing: allowTrailing, viewBytes: viewBytes },
      text.bytesToText,
      function (what: string): Error {
        return new Error(CBOR_ERROR_PREFIX + what);
      },
    );
    let scratch: Uint8Array | undefined;

    function encode(value: unknown): Uint8Array {
      // Only the first, small scratch is kept between calls: a big one would pin RAM on the node.
      if (scratch === undefined) scratch = new Uint8Array(ENCODE_SCRATCH);
      let buf = scratch;
      let n = encodeInto(value, buf, 0);
      while (n < 0) {
        buf = new Uint8Array(buf.length * 2);
        n = encodeInto(value, buf, 0);
      }
      const r = new Uint8Array(n);
      r.set(buf.subarray(0, n));
      return r;
    }

    return { encodeInto: encodeInto, encode: encode, decode: decode };
  };
}

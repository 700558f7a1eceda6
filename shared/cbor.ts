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
 * Cost on Espruino (ESP32-like Linux build at -Og: 16383 JsVars, callgrind, bench/cbor.ts). RAM, booted
 * from flash: ~245 JsVars for the module (the encoder's and decoder's functions, made once per program)
 * plus ~65 per codec (its settings and three small closures); the previous layout, closures per codec,
 * took ~530. Time: every item is interpreted (~10 k machine instructions per JS operation, ~180 k per
 * item), never a byte: the 73-byte telemetry sample (32 items) costs ~6.2 M instructions to encode and
 * ~5.7 M to decode (the per-codec layout: 5.3 M + 5.2 M), against 0.17 M for native JSON.stringify +
 * JSON.parse of the same object. Fine for endpoints; nothing on the relay path calls this.
 *
 * Usage: `const cbor = createCbor({ maxDepth: 16 })(cborText)`, then
 * `cbor.encodeInto(value, out, off)` (new offset, or -1 if `out` is too small: nothing is allocated but
 * what the text component returns), `cbor.encode(value)` (a fresh Uint8Array), and
 * `cbor.decode(buf, off?, end?)` → `{ ok: true, value, end }` | `{ ok: false, reason, at }`.
 * Misuse (a function, a class instance or other non-plain object, a cycle, a bad offset) throws an Error
 * whose message starts with "meshwork/cbor: ".
 */

import { encodeWith, CBOR_ERROR_PREFIX } from './_cbor-encode.ts';
import { decodeWith } from './_cbor-decode.ts';
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
/** Shared by every codec (only one encode runs at a time); allocated at the first `encode`. */
let encodeScratch: Uint8Array | undefined;

/**
 * RAM on Espruino (docs/espruino-memory.md): the encoder and decoder are made once per program
 * (_cbor-encode.ts, _cbor-decode.ts); a codec is only its settings and three small closures that pass
 * them on: ~45 JsVars, plus ~20 for the function createCbor returns (measured booted from flash).
 */
export function createCbor(init?: CborInit): (text: CborText) => Cbor {
  const maxDepth = init && init.maxDepth !== undefined ? init.maxDepth : 16;
  const allowTrailing = init && init.allowTrailing !== undefined ? init.allowTrailing : false;
  const viewBytes = init && init.viewBytes !== undefined ? init.viewBytes : false;
  if (!(maxDepth >= 0 && maxDepth === Math.floor(maxDepth))) throw new Error(CBOR_ERROR_PREFIX + 'bad maxDepth');
  init = undefined; // read once: the closures below must not keep the caller's object alive

  return function (text: CborText): Cbor {
    if (!text || typeof text.textToBytes !== 'function' || typeof text.bytesToText !== 'function') {
      throw new Error(CBOR_ERROR_PREFIX + 'text component needs textToBytes and bytesToText');
    }
    // Plain function values, so a native (E.toUint8Array, E.toString) is called directly, not via a method.
    const toBytes = text.textToBytes;
    const toText = text.bytesToText;
    text = undefined as unknown as CborText; // same: keep the two functions, not the component object

    return {
      encodeInto: function (value: unknown, out: Uint8Array, off: number): number {
        return encodeWith(value, out, off, maxDepth, toBytes);
      },
      encode: function (value: unknown): Uint8Array {
        // Only the first, small scratch is kept between calls: a big one would pin RAM on the node.
        if (encodeScratch === undefined) encodeScratch = new Uint8Array(ENCODE_SCRATCH);
        let buf = encodeScratch;
        let n = encodeWith(value, buf, 0, maxDepth, toBytes);
        while (n < 0) {
          buf = new Uint8Array(buf.length * 2);
          n = encodeWith(value, buf, 0, maxDepth, toBytes);
        }
        const r = new Uint8Array(n);
        r.set(buf.subarray(0, n));
        return r;
      },
      decode: function (buf: Uint8Array, off?: number, end?: number): DecodeResult {
        return decodeWith(buf, off, end, maxDepth, allowTrailing, viewBytes, toText);
      },
    };
  };
}

/**
 * CBOR text component for Espruino ESP32 builds (see shared/cbor.ts, CborText).
 *
 * Strings there are 8-bit and hold UTF-8 bytes as chars, so text ⇄ bytes is a native byte copy:
 * `E.toUint8Array(str)` and `E.toString(u8)`. The natives themselves are the component (no JS wrapper):
 * each string then costs one native call instead of an interpreted call plus a native one (wall time on
 * the ESP32-like Linux build: ~9 vs ~16 µs per short key). No UTF-8 validation: an endpoint that needs it
 * must check. E.toString returns undefined when it cannot allocate, which the decoder reports as
 * 'invalid utf-8'. E.toUint8Array returns a fresh copy (one allocation per encoded string).
 */

import type { CborText } from '../shared/cbor.ts';

export function espruinoCborText(): CborText {
  return { textToBytes: E.toUint8Array, bytesToText: E.toString };
}

/**
 * Espruino's `require("crypto")` emulated on node:crypto, for running firmware code (aes-native.ts) in Node.
 * Mirrors libs/crypto/jswrap_crypto.c of espruino/Espruino at c5ff787 (2v29), quirks included; each one
 * names the C lines it copies. test/aes.test.ts runs one probe script on this emulation and on the real
 * Linux build and compares the output, so a drift shows up as a failing test.
 *
 * Errors come in two kinds, as in C: `jsExceptionHere` throws (unknown mode, bad byte source), while
 * `jsError` prints "ERROR: ..." on the console and the call returns `undefined` (bad key length, CBC length,
 * OFB, bad options). The emulation hands those messages to `onError` (default: pushed on `errors`).
 * A bad byte source (null, a plain object) only flags an exception in C: the function carries on with zero
 * bytes, may still print an error (a null key gives "Unknown error: -0x20"), and the exception is thrown
 * when it returns. The emulation does the same. (A bad element deep inside an array is approximated: C keeps
 * the bytes before it, the emulation none.)
 *
 * Not emulated (they throw "espruino-crypto emulation: ..." so a test cannot rely on them by accident):
 * - typed arrays with elements wider than a byte: C reads element values or raw bytes depending on whether
 *   the backing store is a flat string (jsvar.c:1766-1795 vs jsvariterator.c:76-93);
 * - AES.decrypt in CTR and CFB modes: C sets a decryption key schedule (line 383) and then runs mbedtls'
 *   forward block function over it (mbedtls aes.c:1020), which gives garbage on the software mbedtls of the
 *   Linux build; ESP32 builds link ESP-IDF's mbedtls instead (make/crypto/ESP32.make);
 * - out-of-memory and "Not enough stack memory for data" (jsvar.h:858-860);
 * - string characters above 255 (ESP32 builds have 8-bit strings).
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';

export interface EspruinoCryptoEmulation {
  AES: {
    encrypt(data: unknown, key: unknown, options?: unknown): ArrayBuffer | undefined;
    decrypt(data: unknown, key: unknown, options?: unknown): ArrayBuffer | undefined;
  };
  SHA1(message: unknown): ArrayBuffer | undefined;
  SHA224(message: unknown): ArrayBuffer | undefined;
  SHA256(message: unknown): ArrayBuffer | undefined;
  SHA384(message: unknown): ArrayBuffer | undefined;
  SHA512(message: unknown): ArrayBuffer | undefined;
  /** messages the real module would have printed as "ERROR: ..." (when no onError was given) */
  errors: string[];
}

function notEmulated(what: string): never {
  throw new Error('espruino-crypto emulation: ' + what + ' is not emulated');
}

/** jsvGetInteger on a number: C cast, truncation toward zero; NaN and infinities end as 0. */
function toInt(x: number): number {
  return Number.isFinite(x) ? Math.trunc(x) : 0;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'function') return 'Function';
  return typeof v;
}

/**
 * The built-in type of a value by its tag, not instanceof: the bundle runs in a vm context whose
 * Uint8Array/ArrayBuffer are other constructors than this module's.
 */
function tagOf(v: unknown): string {
  return Object.prototype.toString.call(v).slice(8, -1);
}

/** jsvIterateCallback (jsvariterator.c:28-111): every byte a JS value yields, in order. */
function collect(v: unknown, out: number[]): void {
  if (typeof v === 'number' || typeof v === 'boolean') {
    out.push(toInt(Number(v)) & 255); // lines 35-37: a single number is one byte
  } else if (typeof v === 'string') {
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c > 255) notEmulated('a string character above 255');
      out.push(c); // lines 66-74
    }
  } else if (tagOf(v) === 'ArrayBuffer') {
    for (const b of new Uint8Array(v as ArrayBuffer)) out.push(b);
  } else if (ArrayBuffer.isView(v) && tagOf(v) !== 'DataView' && (v as Uint8Array).BYTES_PER_ELEMENT === 1) {
    // lines 76-94 (and jsvGetDataPointer for flat stores): the view's own bytes, byteOffset honoured
    for (const b of new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) out.push(b);
  } else if (ArrayBuffer.isView(v) && tagOf(v) !== 'DataView') {
    notEmulated('a typed array with elements wider than a byte');
  } else if (Array.isArray(v)) {
    for (const el of v) collect(el, out); // lines 96-105: each element, recursively
  } else if (v !== null && typeof v === 'object') {
    // lines 39-64: {callback: fn} or {data, count}; anything else (a DataView included: Espruino sees a
    // plain object) is a TypeError
    const o = v as { callback?: unknown; data?: unknown; count?: unknown };
    if (typeof o.callback === 'function') {
      const r = (o.callback as () => unknown)();
      if (r !== undefined) collect(r, out);
    } else if (o.count !== undefined && o.data !== undefined && typeof o.count === 'number') {
      for (let n = toInt(o.count); n > 0; n--) collect(o.data, out);
    } else {
      throw new TypeError('If specifying an object, it must be of the form {data : ..., count : N} or {callback : fn}');
    }
  } else {
    throw new TypeError('Expecting Number or iterable, got ' + typeName(v)); // line 107
  }
}

/** An exception flagged by jsExceptionHere: thrown when the native function returns. */
interface Pending {
  error?: Error;
}

/**
 * JSV_GET_AS_CHAR_ARRAY (jsvar.h:853-866): undefined gives no pointer and the C caller returns at once;
 * a source jsvIterateCallback rejects flags the exception and yields zero bytes (the alloca(0) pointer).
 */
function bytesOf(v: unknown, pending: Pending): Buffer | undefined {
  if (v === undefined) return undefined;
  const out: number[] = [];
  try {
    collect(v, out);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e; // "not emulated" errors surface at once
    pending.error ??= e;
    return Buffer.alloc(0);
  }
  return Buffer.from(out);
}

/** A fresh ArrayBuffer with these bytes (never Node's pooled Buffer memory). */
function arrayBufferOf(b: Uint8Array): ArrayBuffer {
  const ab = new ArrayBuffer(b.length);
  new Uint8Array(ab).set(b);
  return ab;
}

/**
 * An object in Espruino's sense (jsvIsObject): not null, an array, a typed array, an ArrayBuffer or a
 * function. A DataView is one (Espruino implements it as a plain object).
 */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  const typed = ArrayBuffer.isView(v) && tagOf(v) !== 'DataView';
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !typed && tagOf(v) !== 'ArrayBuffer';
}

export function createEspruinoCrypto(init: { onError?: (message: string) => void } = {}): EspruinoCryptoEmulation {
  const errors: string[] = [];
  const jsError = init.onError ?? ((m: string) => void errors.push(m));

  /** Run a native function's body; a flagged exception is thrown when it returns, as jsExceptionHere does. */
  function native<R>(body: (pending: Pending) => R): R {
    const pending: Pending = {};
    const r = body(pending);
    if (pending.error) throw pending.error;
    return r;
  }

  /** jswrap_crypto_AEScrypt, lines 345-454. */
  function aesCrypt(message: unknown, key: unknown, options: unknown, encrypt: boolean, pending: Pending): ArrayBuffer | undefined {
    const iv = Buffer.alloc(16); // lines 348-349: zero unless given
    let mode = 'CBC'; // line 351: CBC by default
    if (isPlainObject(options)) {
      if (options.iv !== undefined) {
        // line 356: up to 16 bytes copied, a shorter iv stays zero-padded
        bytesOf(options.iv, pending)!.copy(iv, 0, 0, 16);
      }
      if (options.mode !== undefined) {
        const m = options.mode;
        // lines 127-134: jsvIsStringEqual; anything else throws (jsExceptionHere)
        if (m !== 'CBC' && m !== 'CFB' && m !== 'CTR' && m !== 'OFB' && m !== 'ECB') {
          throw new Error('Unknown Crypto mode "' + String(m) + '"');
        }
        mode = m;
      }
    } else if (options !== undefined) {
      jsError("'options' must be undefined, or an Object"); // lines 364-366
      return undefined;
    }
    const data = bytesOf(message, pending); // lines 374-375: undefined returns undefined silently
    if (!data) return undefined;
    const k = bytesOf(key, pending); // lines 377-378
    if (!k) return undefined;
    if (k.length !== 16 && k.length !== 24 && k.length !== 32) {
      // lines 380-387: mbedtls_aes_setkey_* fails with MBEDTLS_ERR_AES_INVALID_KEY_LENGTH (-0x20), which
      // jswrap_crypto_error_to_str does not name (lines 81-104, 112-116)
      jsError('Unknown error: -0x20');
      return undefined;
    }
    const bits = k.length * 8;
    const n = data.length;
    const out = Buffer.alloc(n); // lines 389-394: a zero-filled ArrayBuffer of the message length
    switch (mode) {
      case 'CBC': {
        // lines 399-406, mbedtls aes.c:870: no padding, whole blocks only
        if (n % 16 !== 0) {
          jsError('Invalid input length');
          return undefined;
        }
        const c = encrypt ? createCipheriv(`aes-${bits}-cbc`, k, iv) : createDecipheriv(`aes-${bits}-cbc`, k, iv);
        c.setAutoPadding(false);
        c.update(data).copy(out);
        break;
      }
      case 'CFB': {
        // lines 407-414: CFB8 (one byte of feedback), any length
        if (!encrypt) notEmulated('AES.decrypt in CFB mode');
        createCipheriv(`aes-${bits}-cfb8`, k, iv).update(data).copy(out);
        break;
      }
      case 'CTR': {
        // lines 415-429: the counter block starts at zero whatever `iv` says; mbedtls keeps a byte offset
        // into the keystream block (aes.c:1017-1030), so any length works
        if (!encrypt) notEmulated('AES.decrypt in CTR mode');
        createCipheriv(`aes-${bits}-ctr`, k, Buffer.alloc(16)).update(data).copy(out);
        break;
      }
      case 'ECB': {
        // lines 430-439: whole blocks only; a partial tail block is left as the zeros of the fresh buffer,
        // with no error
        const whole = n & ~15;
        const c = encrypt ? createCipheriv(`aes-${bits}-ecb`, k, null) : createDecipheriv(`aes-${bits}-ecb`, k, null);
        c.setAutoPadding(false);
        c.update(data.subarray(0, whole)).copy(out);
        break;
      }
      default:
        // lines 441-443: OFB is parsed but not implemented
        jsError('Feature unavailable');
        return undefined;
    }
    return arrayBufferOf(out);
  }

  /** jswrap_crypto_SHAx, lines 153-186: a 20/28/32/48/64-byte ArrayBuffer; undefined gives undefined. */
  function sha(algorithm: string): (message: unknown) => ArrayBuffer | undefined {
    return (message) =>
      native((pending) => {
        const data = bytesOf(message, pending);
        if (!data) return undefined;
        return arrayBufferOf(createHash(algorithm).update(data).digest());
      });
  }

  return {
    AES: {
      encrypt: (data, key, options) => native((p) => aesCrypt(data, key, options, true, p)),
      decrypt: (data, key, options) => native((p) => aesCrypt(data, key, options, false, p)),
    },
    SHA1: sha('sha1'),
    SHA224: sha('sha224'),
    SHA256: sha('sha256'),
    SHA384: sha('sha384'),
    SHA512: sha('sha512'),
    errors,
  };
}

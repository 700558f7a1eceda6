/**
 * One compliance suite for every Aes128 backend (shared/ports.ts): @noble on the host, the pure-JS firmware
 * backend, and the native firmware backend over the Espruino crypto emulation. Each runs the shared vectors
 * (test/vectors/aes.json), random inputs against node:crypto, and the buffer contract (writes dst[0..n) only,
 * leaves src alone, in place, views with byteOffset). Then the emulation's quirks, and — when an Espruino
 * Linux build is present — both firmware backends bundled and run on the real interpreter, plus one probe
 * script run on the emulation and on the interpreter with identical output expected.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createCipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createJsAes } from '../firmware/aes-js.ts';
import { createNativeAes } from '../firmware/aes-native.ts';
import { createNobleAes } from '../host/crypto/aes-noble.ts';
import type { Aes128 } from '../shared/ports.ts';
import { createEspruinoCrypto } from './emulation/espruino-crypto.ts';
import { buildAesVectors, cbcMacRef, ctr0Ref, ecbRef, formatAesVectors, type AesVectors } from './vectors/gen-aes.ts';
import { bundleForEspruino, espruinoBin, markedLines, runEspruino, skipReason } from './support/espruino.ts';
import { checkBundle } from '../host/build/bundle-check.ts';

const vectorsText = readFileSync(new URL('./vectors/aes.json', import.meta.url), 'utf8');
const V: AesVectors = JSON.parse(vectorsText);
const hex = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.length).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

describe('test/vectors/aes.json', () => {
  it('is what gen-aes.ts derives from node:crypto today', () => {
    expect(vectorsText).toBe(formatAesVectors(buildAesVectors()));
  });
  it('holds the FIPS-197 appendix C.1 known answer and every case the brief lists', () => {
    expect(V.ecb[0]).toEqual({
      key: '000102030405060708090a0b0c0d0e0f',
      src: '00112233445566778899aabbccddeeff',
      dst: '69c4e0d86a7b0430d8cdb78070b4c55a',
    });
    expect(new Set(V.ecb.map((v) => v.src.length / 32))).toEqual(new Set([1, 2, 3, 4]));
    expect(new Set(V.ctr0.map((v) => v.src.length / 2))).toEqual(new Set([0, 1, 15, 16, 17, 31, 200, 219]));
    expect(new Set(V.cbcMac.map((v) => v.src.length / 2))).toEqual(new Set([16, 32, 48, 224]));
    expect(new Set(V.cbcMac.map((v) => v.tag.length / 2))).toEqual(new Set([4, 8, 16]));
    expect(new Set(V.ecb.map((v) => v.key)).size).toBe(4);
  });
});

/** Run every vector through one backend: the hex results in file order (also what the interpreter prints). */
function runVectors(aes: Aes128): { ecb: string[]; ctr0: string[]; cbcMac: string[] } {
  return {
    ecb: V.ecb.map((v) => {
      const dst = new Uint8Array(v.src.length / 2);
      aes.ecb(bytes(v.key), bytes(v.src), dst);
      return hex(dst);
    }),
    ctr0: V.ctr0.map((v) => {
      const dst = new Uint8Array(v.src.length / 2);
      aes.ctr0(bytes(v.key), bytes(v.src), dst);
      return hex(dst);
    }),
    cbcMac: V.cbcMac.map((v) => {
      const dst = new Uint8Array(v.tag.length / 2);
      aes.cbcMac(bytes(v.key), bytes(v.src), dst);
      return hex(dst);
    }),
  };
}

function expectVectorResults(r: { ecb: string[]; ctr0: string[]; cbcMac: string[] }, who: string): void {
  V.ecb.forEach((v, i) => expect(r.ecb[i], `${who} ecb #${i}`).toBe(v.dst));
  V.ctr0.forEach((v, i) => expect(r.ctr0[i], `${who} ctr0 #${i} (${v.src.length / 2} B)`).toBe(v.dst));
  V.cbcMac.forEach((v, i) => expect(r.cbcMac[i], `${who} cbcMac #${i}`).toBe(v.tag));
}

const emulated = createEspruinoCrypto();
const backends: [string, () => Aes128][] = [
  ['noble', createNobleAes],
  ['js', createJsAes],
  ['native over emulation', () => createNativeAes(emulated)],
];

/** A buffer of `n` bytes at byteOffset `off` inside a larger one whose other bytes are a sentinel. */
function framed(n: number, off: number, fill = 0xa5): { whole: Uint8Array; view: Uint8Array } {
  const whole = new Uint8Array(off + n + 19).fill(fill);
  return { whole, view: whole.subarray(off, off + n) };
}

const key16 = fc.uint8Array({ minLength: 16, maxLength: 16 });

describe.each(backends)('Aes128 compliance: %s', (_name, make) => {
  const aes = make();

  it('produces every vector of aes.json', () => {
    expectVectorResults(runVectors(aes), _name);
  });

  it('matches node:crypto on random keys and inputs', () => {
    fc.assert(
      fc.property(key16, fc.integer({ min: 0, max: 8 }), fc.uint8Array({ minLength: 128, maxLength: 128 }), (k, blocks, data) => {
        const src = data.subarray(0, blocks * 16);
        const dst = new Uint8Array(src.length);
        aes.ecb(k, src, dst);
        expect(hex(dst)).toBe(ecbRef(Buffer.from(k), Buffer.from(src)).toString('hex'));
      }),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(key16, fc.uint8Array({ maxLength: 300 }), (k, src) => {
        const dst = new Uint8Array(src.length);
        aes.ctr0(k, src, dst);
        expect(hex(dst)).toBe(ctr0Ref(Buffer.from(k), Buffer.from(src)).toString('hex'));
      }),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(key16, fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 16 }), fc.uint8Array({ minLength: 256, maxLength: 256 }), (k, blocks, t, data) => {
        const src = data.subarray(0, blocks * 16);
        const tag = new Uint8Array(t);
        aes.cbcMac(k, src, tag);
        expect(hex(tag)).toBe(cbcMacRef(Buffer.from(k), Buffer.from(src), t).toString('hex'));
      }),
      { numRuns: 150 },
    );
  });

  it('writes only dst[0..n) and never modifies src or key, whatever the byteOffsets', () => {
    for (const off of [0, 1, 3, 16]) {
      const k = framed(16, off + 2);
      k.view.set(bytes(V.ecb[4].key));
      const keyCopy = hex(k.whole);
      for (const n of [0, 5, 16, 31, 200]) {
        const s = framed(n, off, 0x3c);
        s.view.forEach((_, i) => (s.view[i] = (i * 13 + 1) & 255));
        const srcCopy = hex(s.whole);
        const d = framed(n, off + 1);
        aes.ctr0(k.view, s.view, d.view);
        expect(hex(d.view), `ctr0 off ${off} n ${n}`).toBe(ctr0Ref(Buffer.from(k.view), Buffer.from(s.view)).toString('hex'));
        expect(hex(d.whole.subarray(0, off + 1)) + hex(d.whole.subarray(off + 1 + n))).toBe('a5'.repeat(off + 1 + 19));
        expect(hex(s.whole)).toBe(srcCopy);
        if (n % 16 === 0) {
          const e = framed(n, off + 1);
          aes.ecb(k.view, s.view, e.view);
          expect(hex(e.view)).toBe(ecbRef(Buffer.from(k.view), Buffer.from(s.view)).toString('hex'));
          expect(hex(e.whole.subarray(0, off + 1)) + hex(e.whole.subarray(off + 1 + n))).toBe('a5'.repeat(off + 1 + 19));
          expect(hex(s.whole)).toBe(srcCopy);
        }
        if (n % 16 === 0 && n > 0) {
          for (const t of [1, 4, 8, 16]) {
            const m = framed(t, off + 3);
            aes.cbcMac(k.view, s.view, m.view);
            expect(hex(m.view)).toBe(cbcMacRef(Buffer.from(k.view), Buffer.from(s.view), t).toString('hex'));
            expect(hex(m.whole.subarray(0, off + 3)) + hex(m.whole.subarray(off + 3 + t))).toBe('a5'.repeat(off + 3 + 19));
          }
        }
      }
      expect(hex(k.whole)).toBe(keyCopy);
    }
  });

  it('ctr0 works in place (src === dst), on whole buffers and on offset views', () => {
    for (const off of [0, 7]) {
      for (const n of [1, 16, 17, 200, 219]) {
        const f = framed(n, off);
        f.view.forEach((_, i) => (f.view[i] = (i * 7 + n) & 255));
        const plain = Buffer.from(f.view);
        const k = bytes(V.ctr0[3].key);
        aes.ctr0(k, f.view, f.view);
        expect(hex(f.view)).toBe(ctr0Ref(Buffer.from(k), plain).toString('hex'));
        aes.ctr0(k, f.view, f.view); // CTR is its own inverse
        expect(hex(f.view)).toBe(plain.toString('hex'));
        expect(hex(f.whole.subarray(off + n))).toBe('a5'.repeat(19));
      }
    }
  });

  it('ecb works with src and dst as neighbouring views of one buffer, and in place', () => {
    const buf = new Uint8Array(64).map((_, i) => i);
    const k = bytes(V.ecb[8].key);
    const want = ecbRef(Buffer.from(k), Buffer.from(buf.subarray(0, 32))).toString('hex');
    aes.ecb(k, buf.subarray(0, 32), buf.subarray(32, 64));
    expect(hex(buf.subarray(32))).toBe(want);
    aes.ecb(k, buf.subarray(0, 32), buf.subarray(0, 32));
    expect(hex(buf.subarray(0, 32))).toBe(want);
  });

  it('stays right when keys rotate through more keys than any cache holds, and when a key changes in place', () => {
    const keys = [0, 1, 2, 3, 4, 5, 6].map((i) => new Uint8Array(16).fill(i * 37 + 1));
    const src = new Uint8Array(48).map((_, i) => i * 3);
    const order = [0, 1, 2, 3, 4, 5, 6, 0, 6, 1, 5, 2, 4, 3, 3, 0, 0, 6, 2, 2, 5];
    for (const i of order) {
      const k = keys[i];
      const dst = new Uint8Array(48);
      aes.ctr0(k, src, dst);
      expect(hex(dst), `key ${i}`).toBe(ctr0Ref(Buffer.from(k), Buffer.from(src)).toString('hex'));
      const tag = new Uint8Array(8);
      aes.cbcMac(k, src, tag);
      expect(hex(tag), `key ${i}`).toBe(cbcMacRef(Buffer.from(k), Buffer.from(src), 8).toString('hex'));
    }
    // one key object, new contents each time (what frame-seal's per-frame subkey buffer does); also keys
    // that differ in the last word only, and the all-zero key
    const sub = new Uint8Array(16);
    for (let frame = 0; frame < 6; frame++) {
      sub[15] = frame & 1 ? 0 : frame;
      sub[0] = frame & 2;
      const dst = new Uint8Array(16);
      aes.ecb(sub, src.subarray(0, 16), dst);
      expect(hex(dst), `frame ${frame}`).toBe(ecbRef(Buffer.from(sub), Buffer.from(src.subarray(0, 16))).toString('hex'));
    }
  });

  it('throws "meshwork/aes: ..." on misuse, then keeps working', () => {
    const k = new Uint8Array(16);
    const b32 = new Uint8Array(32);
    expect(() => aes.ecb(new Uint8Array(15), b32, b32)).toThrow(/^meshwork\/aes: /);
    expect(() => aes.ecb(new Uint8Array(24), b32, b32)).toThrow(/^meshwork\/aes: /);
    expect(() => aes.ctr0(new Uint8Array(32), b32, b32)).toThrow(/^meshwork\/aes: /);
    expect(() => aes.ecb(k, b32.subarray(0, 17), b32)).toThrow(/^meshwork\/aes: /);
    expect(() => aes.cbcMac(k, b32.subarray(0, 0), new Uint8Array(8))).toThrow(/^meshwork\/aes: /);
    expect(() => aes.cbcMac(k, b32.subarray(0, 20), new Uint8Array(8))).toThrow(/^meshwork\/aes: /);
    expect(() => aes.cbcMac(k, b32, new Uint8Array(17))).toThrow(/^meshwork\/aes: /);
    const dst = new Uint8Array(16);
    aes.ecb(bytes(V.ecb[0].key), bytes(V.ecb[0].src), dst);
    expect(hex(dst)).toBe(V.ecb[0].dst);
  });
});

describe('Espruino crypto emulation', () => {
  const C = createEspruinoCrypto();
  const k = new Uint8Array(16).map((_, i) => i);
  const m = new Uint8Array(20).map((_, i) => i * 7);
  const ab = (x: ArrayBuffer | undefined) => {
    expect(x).toBeInstanceOf(ArrayBuffer);
    return hex(new Uint8Array(x!));
  };

  it('returns fresh ArrayBuffers and leaves the good paths error-free', () => {
    const r = C.AES.encrypt(m, k, { mode: 'CTR' });
    expect(r).toBeInstanceOf(ArrayBuffer);
    expect(r!.byteLength).toBe(20);
    expect(C.errors).toEqual([]);
  });

  it('CTR ignores the iv and starts at a zero counter (jswrap_crypto.c:415-429)', () => {
    const want = ctr0Ref(Buffer.from(k), Buffer.from(m)).toString('hex');
    expect(ab(C.AES.encrypt(m, k, { mode: 'CTR' }))).toBe(want);
    expect(ab(C.AES.encrypt(m, k, { mode: 'CTR', iv: new Uint8Array(16).fill(9) }))).toBe(want);
  });

  it('ECB encrypts whole blocks and leaves a partial tail as zeros, without an error (430-439)', () => {
    const out = ab(C.AES.encrypt(m, k, { mode: 'ECB' }));
    expect(out).toBe(ecbRef(Buffer.from(k), Buffer.from(m.subarray(0, 16))).toString('hex') + '00000000');
    expect(ab(C.AES.encrypt(m.subarray(0, 5), k, { mode: 'ECB' }))).toBe('0000000000');
    expect(C.errors).toEqual([]);
  });

  it('CBC is the default mode, pads nothing, and refuses partial blocks with undefined + an error', () => {
    const z = new Uint8Array(32);
    expect(ab(C.AES.encrypt(z, k))).toBe(createCipheriv('aes-128-cbc', k, Buffer.alloc(16)).update(z).toString('hex'));
    expect(C.AES.encrypt(m, k, { mode: 'CBC' })).toBeUndefined();
    expect(C.errors.splice(0)).toEqual(['Invalid input length']);
    expect(ab(C.AES.encrypt(new Uint8Array(0), k, { mode: 'CBC' }))).toBe('');
  });

  it('reports a bad key length, OFB and bad options as printed errors, an unknown mode as a throw', () => {
    expect(C.AES.encrypt(m, k.subarray(0, 15), { mode: 'CTR' })).toBeUndefined();
    expect(C.AES.encrypt(m, k, { mode: 'OFB' })).toBeUndefined();
    expect(C.AES.encrypt(m, k, 5)).toBeUndefined();
    expect(C.errors.splice(0)).toEqual(['Unknown error: -0x20', 'Feature unavailable', "'options' must be undefined, or an Object"]);
    expect(() => C.AES.encrypt(m, k, { mode: 'XYZ' })).toThrow('Unknown Crypto mode "XYZ"');
    expect(C.AES.encrypt(undefined, k, { mode: 'CTR' })).toBeUndefined();
    expect(C.errors).toEqual([]);
  });

  it('refuses what it does not emulate instead of guessing', () => {
    expect(() => C.AES.decrypt(m, k, { mode: 'CTR' })).toThrow(/not emulated/);
    expect(() => C.AES.encrypt(new Uint16Array(8), k, { mode: 'CTR' })).toThrow(/not emulated/);
  });

  it('hashes like node:crypto and returns ArrayBuffers', () => {
    expect(ab(C.SHA256('abc'))).toBe(createHash('sha256').update('abc').digest('hex'));
    expect(ab(C.SHA1(new Uint8Array([0, 97, 98, 99]).subarray(1)))).toBe(createHash('sha1').update('abc').digest('hex'));
    expect(ab(C.SHA512(''))).toBe(createHash('sha512').update('').digest('hex'));
  });
});

/**
 * Probe script, plain ES5 run unchanged by Node (over the emulation) and by Espruino: each call's result
 * as hex / 'undefined' / ['throw', isTypeError, message], plus the errors it printed.
 */
const PROBE = `
var K = [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15];
function u8(n, s) { var u = new Uint8Array(n); for (var i = 0; i < n; i++) u[i] = (i * 7 + s) & 255; return u; }
function hx(b) { var u = new Uint8Array(b), s = ''; for (var i = 0; i < u.length; i++) s += (u[i] < 16 ? '0' : '') + u[i].toString(16); return s; }
function run(label, f) {
  var r;
  try {
    var x = f();
    r = x === undefined ? 'undefined' : x instanceof ArrayBuffer ? hx(x) : 'not an ArrayBuffer';
  } catch (e) { r = ['throw', e instanceof TypeError, String(e.message).split(' - got')[0]]; }
  out(label, r);
}
var k = new Uint8Array(K), m = u8(20, 3), A = C.AES;
run('ctr 20', function () { return A.encrypt(m, k, { mode: 'CTR' }); });
run('ctr iv ignored', function () { return A.encrypt(m, k, { mode: 'CTR', iv: u8(16, 9) }); });
run('ctr 0', function () { return A.encrypt(new Uint8Array(0), k, { mode: 'CTR' }); });
run('ctr 219 of a view', function () { return A.encrypt(u8(230, 1).subarray(5, 224), k.subarray(0), { mode: 'CTR' }); });
run('ecb 20', function () { return A.encrypt(m, k, { mode: 'ECB' }); });
run('ecb 5', function () { return A.encrypt(m.subarray(0, 5), k, { mode: 'ECB' }); });
run('ecb 0', function () { return A.encrypt(new Uint8Array(0), k, { mode: 'ECB' }); });
run('ecb 48 view', function () { return A.encrypt(u8(60, 2).subarray(3, 51), k, { mode: 'ECB' }); });
run('cbc 20', function () { return A.encrypt(m, k, { mode: 'CBC' }); });
run('cbc 0', function () { return A.encrypt(new Uint8Array(0), k, { mode: 'CBC' }); });
run('cbc default 32', function () { return A.encrypt(u8(32, 4), k); });
run('cbc iv short', function () { return A.encrypt(u8(16, 4), k, { mode: 'CBC', iv: [1, 2] }); });
run('cbc iv long', function () { return A.encrypt(u8(16, 4), k, { mode: 'CBC', iv: u8(20, 5) }); });
run('cbc iv null', function () { return A.encrypt(m, k, { mode: 'CBC', iv: null }); });
run('cfb 3', function () { return A.encrypt(m.subarray(0, 3), k, { mode: 'CFB', iv: u8(16, 6) }); });
run('ofb', function () { return A.encrypt(m, k, { mode: 'OFB' }); });
run('ofb bad key', function () { return A.encrypt(m, k.subarray(1), { mode: 'OFB' }); });
run('mode XYZ', function () { return A.encrypt(m, k, { mode: 'XYZ' }); });
run('mode 3', function () { return A.encrypt(m, k, { mode: 3 }); });
run('mode undefined', function () { return A.encrypt(u8(16, 1), k, { mode: undefined }); });
run('opts {}', function () { return A.encrypt(u8(16, 1), k, {}); });
run('opts null', function () { return A.encrypt(u8(16, 1), k, null); });
run('opts 5', function () { return A.encrypt(u8(16, 1), k, 5); });
run('opts array', function () { return A.encrypt(u8(16, 1), k, [1]); });
run('opts DataView', function () { return A.encrypt(u8(16, 1), k, new DataView(new ArrayBuffer(4))); });
run('key 15', function () { return A.encrypt(m, k.subarray(1), { mode: 'CTR' }); });
run('key 24', function () { return A.encrypt(m, u8(24, 7), { mode: 'CTR' }); });
run('key 32', function () { return A.encrypt(m, u8(32, 7), { mode: 'ECB' }); });
run('key undefined', function () { return A.encrypt(m, undefined, { mode: 'CTR' }); });
run('key null', function () { return A.encrypt(m, null, { mode: 'CTR' }); });
run('key string', function () { return A.encrypt(m, '0123456789abcdef', { mode: 'CTR' }); });
run('key array', function () { return A.encrypt(m, K, { mode: 'CTR' }); });
run('msg undefined', function () { return A.encrypt(undefined, k, { mode: 'CTR' }); });
run('msg null', function () { return A.encrypt(null, k, { mode: 'CTR' }); });
run('msg object', function () { return A.encrypt({}, k, { mode: 'CTR' }); });
run('msg DataView', function () { return A.encrypt(new DataView(new ArrayBuffer(3)), k, { mode: 'CTR' }); });
run('msg 255', function () { return A.encrypt(255, k, { mode: 'CTR' }); });
run('msg -1.7', function () { return A.encrypt(-1.7, k, { mode: 'CTR' }); });
run('msg true', function () { return A.encrypt(true, k, { mode: 'CTR' }); });
run('msg nested', function () { return A.encrypt([1, [2, 3], 'ab', { data: 7, count: 2 }], k, { mode: 'CTR' }); });
run('msg string', function () { return A.encrypt('hello \\xff\\x80', k, { mode: 'CTR' }); });
run('msg ArrayBuffer', function () { return A.encrypt(u8(18, 8).buffer, k, { mode: 'CTR' }); });
run('msg Int8Array', function () { return A.encrypt(new Int8Array([-1, 2, -128]), k, { mode: 'CTR' }); });
run('decrypt ecb', function () { return A.decrypt(u8(32, 9), k, { mode: 'ECB' }); });
run('decrypt cbc', function () { return A.decrypt(u8(32, 9), k, { mode: 'CBC', iv: u8(16, 1) }); });
run('decrypt cbc 20', function () { return A.decrypt(m, k, { mode: 'CBC' }); });
run('sha1', function () { return C.SHA1('abc'); });
run('sha224', function () { return C.SHA224(u8(100, 1)); });
run('sha256', function () { return C.SHA256(u8(200, 1).subarray(7, 150)); });
run('sha256 empty', function () { return C.SHA256(''); });
run('sha256 undefined', function () { return C.SHA256(undefined); });
run('sha256 null', function () { return C.SHA256(null); });
run('sha384', function () { return C.SHA384([1, 2, 3]); });
run('sha512', function () { return C.SHA512(u8(129, 2)); });
`;

type ProbeLine = [string, unknown, string[]];

function probeOnEmulation(): ProbeLine[] {
  const lines: ProbeLine[] = [];
  const emu = createEspruinoCrypto();
  const out = (label: string, r: unknown) => lines.push([label, r, emu.errors.splice(0)]);
  new Function('C', 'out', PROBE)(emu, out);
  return lines;
}

/** Espruino prints jsError messages as "ERROR: ..." lines as they happen: attach them to the next result. */
function probeLinesFromStdout(stdout: string): ProbeLine[] {
  const lines: ProbeLine[] = [];
  let errors: string[] = [];
  for (const l of stdout.split('\n')) {
    if (l.startsWith('ERROR: ')) errors.push(l.slice(7).trimEnd());
    else if (l.startsWith('@@')) {
      const [label, r] = JSON.parse(l.slice(2));
      lines.push([label, r, errors]);
      errors = [];
    }
  }
  return lines;
}

/**
 * Vectors driver for the interpreter: runs the cases in CASES (a `define`: [kind, index, key, src, outLen])
 * on both backends and prints one marked JSON line per result. The vectors go in chunks, one interpreter
 * run each, so the driver also fits the 4095-JsVar ESP32-C3 layout.
 */
const VECTOR_DRIVER = `
import { createNativeAes } from './firmware/aes-native.ts';
import { createJsAes } from './firmware/aes-js.ts';
declare const require: (name: string) => any;
declare const CASES: [string, number, string, string, number][];
declare function print(s: string): void;
declare function quit(): void;
function fromHex(h: string): Uint8Array {
  const u = new Uint8Array(h.length / 2);
  for (let i = 0; i < u.length; i++) u[i] = parseInt(h.substr(2 * i, 2), 16);
  return u;
}
function toHex(u: Uint8Array): string {
  let s = '';
  for (let i = 0; i < u.length; i++) s += (u[i] < 16 ? '0' : '') + u[i].toString(16);
  return s;
}
// read once: esbuild pastes a defined array literal at every use
const cases = CASES;
function runAll(name: string, aes: any): void {
  let i;
  for (i = 0; i < cases.length; i++) {
    const c = cases[i];
    const d = new Uint8Array(c[4]);
    aes[c[0]](fromHex(c[2]), fromHex(c[3]), d);
    print('@@' + JSON.stringify([name, c[0], c[1], toHex(d)]));
  }
  // ctr0 in place on a view with byteOffset 3
  const f = new Uint8Array(40);
  for (i = 0; i < 40; i++) f[i] = i;
  const v = f.subarray(3, 38);
  aes.ctr0(fromHex('${V.ctr0[0].key}'), v, v);
  print('@@' + JSON.stringify([name, 'inplace', 0, toHex(f)]));
}
runAll('native', createNativeAes(require('crypto')));
runAll('js', createJsAes());
quit();
`;

/** All vectors as driver cases, in chunks of at most ~1.5 KB of hex (the ESP32-C3 layout has 4095 JsVars). */
function vectorChunks(): [string, number, string, string, number][][] {
  const cases: [string, number, string, string, number][] = [
    ...V.ecb.map((v, i): [string, number, string, string, number] => ['ecb', i, v.key, v.src, v.src.length / 2]),
    ...V.ctr0.map((v, i): [string, number, string, string, number] => ['ctr0', i, v.key, v.src, v.src.length / 2]),
    ...V.cbcMac.map((v, i): [string, number, string, string, number] => ['cbcMac', i, v.key, v.src, v.tag.length / 2]),
  ];
  const chunks: [string, number, string, string, number][][] = [[]];
  let size = 0;
  for (const c of cases) {
    if (size + c[3].length > 1500 && chunks[chunks.length - 1].length) {
      chunks.push([]);
      size = 0;
    }
    chunks[chunks.length - 1].push(c);
    size += c[3].length;
  }
  return chunks;
}

describe('firmware backends bundled for Espruino', () => {
  it('pass the firmware bundle check and stay small', async () => {
    const js = await bundleForEspruino(`
      import { createNativeAes } from './firmware/aes-native.ts';
      import { createJsAes } from './firmware/aes-js.ts';
      declare const require: (name: string) => any;
      (globalThis as any).a = [createNativeAes(require('crypto')), createJsAes()];`);
    expect(checkBundle(js)).toEqual([]);
    expect(js).toContain('require("crypto")');
    expect(js.length).toBeLessThan(6000);
  });
});

const bin = espruinoBin();
describe.skipIf(!bin)(`on the real interpreter (${bin ?? skipReason()})`, () => {
  it('the native and JS backends produce every vector', async () => {
    const lines: [string, string, number, string][] = [];
    for (const chunk of vectorChunks()) {
      const js = await bundleForEspruino(VECTOR_DRIVER, { CASES: JSON.stringify(chunk) });
      const { stdout } = await runEspruino(bin!, js, { timeoutMs: 60_000 });
      expect(stdout).not.toMatch(/ERROR|Uncaught|OUT OF MEMORY/);
      lines.push(...(markedLines(stdout) as [string, string, number, string][]));
    }
    for (const name of ['native', 'js']) {
      const r = { ecb: [] as string[], ctr0: [] as string[], cbcMac: [] as string[], inplace: [] as string[] };
      for (const [who, kind, i, h] of lines) if (who === name) (r as any)[kind][i] = h;
      expectVectorResults(r, `${name} on Espruino`);
      const f = new Uint8Array(40).map((_, i) => i);
      const want = Buffer.from(f);
      ctr0Ref(Buffer.from(V.ctr0[0].key, 'hex'), want.subarray(3, 38)).copy(want, 3);
      expect(r.inplace[0], `${name} in place on a view`).toBe(want.toString('hex'));
    }
  }, 120_000);

  it('the emulation answers the probe script exactly as the interpreter does', async () => {
    const script = 'var C=require("crypto");function out(l,r){print("@@"+JSON.stringify([l,r]));}\n' + PROBE + '\nquit();\n';
    const { stdout } = await runEspruino(bin!, script, { timeoutMs: 60_000 });
    const real = probeLinesFromStdout(stdout);
    const emu = probeOnEmulation();
    expect(real.length).toBeGreaterThan(50);
    expect(emu).toEqual(real);
  }, 60_000);
});

import { readFileSync } from 'node:fs';
import { Decoder, Encoder } from 'cbor-x';
import type { Options as CborXOptions } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCborText } from '../host/cbor-text.ts';
import { createCbor } from '../shared/cbor.ts';
import type { CborValue, DecodeResult } from '../shared/cbor.ts';

interface ValidVector {
  name: string;
  hex: string;
  value: unknown;
  encode: boolean;
  encodesAs?: string;
  source: string;
}
interface InvalidVector {
  name: string;
  hex: string;
  reason: string;
  at: number;
}
const vectors = JSON.parse(readFileSync(new URL('./vectors/cbor.json', import.meta.url), 'utf8')) as {
  valid: ValidVector[];
  invalid: InvalidVector[];
};

const cbor = createCbor()(nodeCborText());
// cbor-x as plain definite-length CBOR: no record extension (tags 0xd9dfff..), no tag 259 for maps,
// no tag 64 for Uint8Array; maps sized by their key count. Integers beyond 32 bits come out as float64.
const cx = new Encoder({
  useRecords: false,
  mapsAsObjects: true,
  tagUint8Array: false,
  variableMapSize: true,
  useTag259ForMaps: false, // documented in cbor-x's README, missing from its typings
  pack: false,
} as CborXOptions);
const cxDecoder = new Decoder({ useRecords: false, mapsAsObjects: true, int64AsNumber: true } as CborXOptions);

const hex = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex');
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

/** Vector JSON (with $bytes/$num/$undefined tags) → value. */
function fromJson(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(fromJson);
  const o = v as Record<string, unknown>;
  if ('$bytes' in o) return unhex(o.$bytes as string);
  if ('$num' in o) return Number(o.$num);
  if ('$undefined' in o) return undefined;
  const r: Record<string, unknown> = {};
  for (const k of Object.keys(o)) r[k] = fromJson(o[k]);
  return r;
}

/**
 * Value → tagged JSON-able form, for strict comparisons with readable diffs: keeps undefined members,
 * -0, NaN and the bytes (Buffer and Uint8Array alike), and rejects anything outside the subset.
 */
function tagged(v: unknown): unknown {
  if (v === undefined) return { $undefined: true };
  if (typeof v === 'number') {
    if (Object.is(v, -0)) return { $num: '-0' };
    return Number.isFinite(v) ? v : { $num: String(v) };
  }
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Uint8Array) return { $bytes: hex(v) };
  if (Array.isArray(v)) return v.map(tagged);
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) throw new Error('not a plain object: ' + String(v));
    const r: Record<string, unknown> = {};
    for (const k of Object.keys(v)) r[k] = tagged((v as Record<string, unknown>)[k]);
    return r;
  }
  throw new Error('outside the subset: ' + typeof v);
}

function decodeOk(bytes: Uint8Array): CborValue {
  const r = cbor.decode(bytes);
  if (!r.ok) throw new Error(`decode failed: ${r.reason} at ${r.at} in ${hex(bytes)}`);
  expect(r.end).toBe(bytes.length);
  return r.value;
}

/** Decode that must not throw; returns the result for shape checks. */
function decodeSafely(bytes: Uint8Array, off?: number, end?: number): DecodeResult {
  let r: DecodeResult;
  try {
    r = cbor.decode(bytes, off, end);
  } catch (e) {
    throw new Error(`decode threw on ${hex(bytes)}: ${String(e)}`);
  }
  if (r.ok) {
    expect(r.end).toBeGreaterThan(off ?? 0);
    expect(r.end).toBeLessThanOrEqual(end ?? bytes.length);
  } else {
    expect(typeof r.reason).toBe('string');
    expect(r.at).toBeGreaterThanOrEqual(off ?? 0);
    expect(r.at).toBeLessThanOrEqual(end ?? bytes.length);
  }
  return r;
}

const FAILURES = [
  'truncated',
  'length exceeds input',
  'integer out of range',
  'unsupported',
  'malformed',
  'too deep',
  'bad map key',
  'duplicate key',
  'forbidden key',
  'invalid utf-8',
  'trailing bytes',
];

// ---- generated values -------------------------------------------------------------------------------------

const keyArb = fc.oneof(
  fc.constantFrom('t', 'up', 'mem', 'nb', 'v', '1', '-1', '0', '', 'hasOwnProperty', 'toString'),
  fc.string({ unit: 'binary', maxLength: 10 }).filter((k) => k !== '__proto__'),
);
const boundaryInts = [
  0, 1, 23, 24, 255, 256, 65535, 65536, 4294967295, 4294967296, 2 ** 53 - 1, -1, -24, -25, -256, -257, -65536,
  -65537, -4294967296, -4294967297, -(2 ** 53 - 1),
];
function valueArb(negZero: boolean): fc.Arbitrary<unknown> {
  const dbl = negZero ? fc.double() : fc.double().map((x) => (Object.is(x, -0) ? 0 : x));
  const leaf = fc.oneof(
    fc.integer({ min: -300, max: 300 }),
    fc.maxSafeInteger(),
    fc.constantFrom(...boundaryInts),
    dbl,
    fc.float().map((x) => (negZero || !Object.is(x, -0) ? x : 0)), // float32-exact values: f16/f32 paths
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ maxLength: 40 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
  );
  const tree = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', maxDepth: 8 }, leaf, tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 8 }),
    object: fc.dictionary(keyArb, tie('value'), { maxKeys: 8, noNullPrototype: true }),
  }));
  return tree.value;
}
const anyValue = valueArb(true);
const cborXSafeValue = valueArb(false); // cbor-x writes -0 as the integer 0

const RUNS = Number(process.env.MESHWORK_CBOR_RUNS ?? 2000);

// ---- vectors ----------------------------------------------------------------------------------------------

describe('cbor: vectors (RFC 8949 Appendix A within the subset, plus Meshwork cases)', () => {
  it('has the RFC examples and the invalid cases it claims', () => {
    expect(vectors.valid.filter((t) => t.source === 'rfc8949-A').length).toBeGreaterThanOrEqual(55);
    expect(vectors.invalid.length).toBeGreaterThanOrEqual(50);
    for (const t of vectors.invalid) expect(FAILURES).toContain(t.reason);
  });

  for (const t of vectors.valid) {
    it(`valid ${t.name}: ${t.hex.slice(0, 40)}`, () => {
      const bytes = unhex(t.hex);
      const want = tagged(fromJson(t.value));
      expect(tagged(decodeOk(bytes))).toEqual(want);
      // the same item inside a larger buffer, at an odd offset of a pooled Buffer (DataView byteOffset)
      const big = Buffer.concat([Buffer.from([0xff, 0xff, 0xff]), Buffer.from(bytes), Buffer.from([0xff])]);
      const r = cbor.decode(big, 3, 3 + bytes.length);
      expect(r.ok && tagged(r.value)).toEqual(want);
      expect(r.ok && r.end).toBe(3 + bytes.length);
      // cbor-x reads the bytes the same way
      expect(tagged(cxDecoder.decode(Buffer.from(bytes)))).toEqual(want);
      const enc = hex(cbor.encode(fromJson(t.value)));
      if (t.encode) expect(enc).toBe(t.hex);
      else if (t.encodesAs !== undefined) expect(enc).toBe(t.encodesAs);
      expect(tagged(decodeOk(unhex(enc)))).toEqual(want);
    });
  }

  for (const t of vectors.invalid) {
    it(`invalid ${t.name}: ${t.hex.slice(0, 40)} → ${t.reason} at ${t.at}`, () => {
      const r = decodeSafely(unhex(t.hex));
      expect(r).toEqual({ ok: false, reason: t.reason, at: t.at });
    });
  }

  it('encodeInto: exact size fits at any offset; every smaller buffer gives -1 and no write outside it', () => {
    for (const t of vectors.valid.filter((v) => v.encode)) {
      const value = fromJson(t.value);
      const len = t.hex.length / 2;
      const backing = new Uint8Array(len + 8).fill(0xaa);
      expect(cbor.encodeInto(value, backing.subarray(2, 2 + len + 3), 3)).toBe(3 + len);
      expect(hex(backing.subarray(5, 5 + len))).toBe(t.hex);
      expect(backing[4]).toBe(0xaa);
      expect(backing[5 + len]).toBe(0xaa);
      for (let k = 0; k < len; k++) {
        const guard = new Uint8Array(len + 4).fill(0xaa);
        expect(cbor.encodeInto(value, guard.subarray(1, 1 + k), 0)).toBe(-1);
        expect(guard[0]).toBe(0xaa);
        expect([...guard.subarray(1 + k)].every((b) => b === 0xaa)).toBe(true);
      }
    }
  });

  it('every proper prefix of every valid vector fails as truncated (as a copy and as a range)', () => {
    for (const t of vectors.valid) {
      const bytes = unhex(t.hex);
      for (let k = 0; k < bytes.length; k++) {
        const a = decodeSafely(bytes.subarray(0, k));
        const b = decodeSafely(bytes, 0, k);
        expect(a.ok).toBe(false);
        expect(b).toEqual(a);
        expect(['truncated', 'length exceeds input']).toContain(!a.ok && a.reason);
      }
    }
  });
});

// ---- cross-checks with cbor-x ------------------------------------------------------------------------------

describe('cbor: cross-check with cbor-x on generated values', () => {
  it('our encode → cbor-x decode and our decode give the value back', () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        const bytes = cbor.encode(v);
        expect(tagged(cxDecoder.decode(Buffer.from(bytes)))).toEqual(tagged(v));
        expect(tagged(decodeOk(bytes))).toEqual(tagged(v));
      }),
      { numRuns: RUNS },
    );
  });

  it('cbor-x encode → our decode gives the value back', () => {
    fc.assert(
      fc.property(cborXSafeValue, (v) => {
        const bytes = cx.encode(v);
        expect(tagged(decodeOk(new Uint8Array(bytes)))).toEqual(tagged(v));
      }),
      { numRuns: RUNS },
    );
  });

  it('our encoding is never longer than cbor-x plain encoding (shortest heads, shortest exact floats)', () => {
    fc.assert(
      fc.property(cborXSafeValue, (v) => {
        expect(cbor.encode(v).length).toBeLessThanOrEqual(cx.encode(v).length);
      }),
      { numRuns: RUNS },
    );
  });

  it('encodeInto equals encode, and refuses (-1) one byte short', () => {
    const out = new Uint8Array(8192);
    fc.assert(
      fc.property(anyValue, fc.nat(16), (v, off) => {
        const want = cbor.encode(v);
        expect(cbor.encodeInto(v, out, off)).toBe(off + want.length);
        expect(hex(out.subarray(off, off + want.length))).toBe(hex(want));
        expect(cbor.encodeInto(v, out.subarray(0, off + want.length - 1), off)).toBe(-1);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---- hostile input ------------------------------------------------------------------------------------------

describe('cbor: hostile input never throws', () => {
  it('random bytes: a failure value or a value that re-encodes to itself', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = decodeSafely(bytes);
        if (r.ok) expect(tagged(decodeOk(cbor.encode(r.value)))).toEqual(tagged(r.value));
        else expect(FAILURES).toContain(r.reason);
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('mutated and cut encodings of generated values', () => {
    fc.assert(
      fc.property(
        anyValue,
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (v, edits, cut) => {
          const bytes = cbor.encode(v);
          for (const [i, b] of edits) bytes[i % bytes.length] = b;
          const r = decodeSafely(bytes);
          if (r.ok) expect(tagged(decodeOk(cbor.encode(r.value)))).toEqual(tagged(r.value));
          decodeSafely(bytes, 0, cut % (bytes.length + 1));
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('every prefix of a generated value fails', () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        const bytes = cbor.encode(v);
        for (let k = 0; k < bytes.length; k++) expect(cbor.decode(bytes, 0, k).ok).toBe(false);
      }),
      { numRuns: RUNS / 10 },
    );
  });

  it('depth bombs are rejected at the limit, arrays and maps alike', () => {
    for (const [unit, step] of [['81', 1], ['a16161', 3], ['a101', 2]] as const) {
      const bomb = unhex(unit.repeat(100_000));
      expect(decodeSafely(bomb)).toEqual({ ok: false, reason: 'too deep', at: 16 * step });
    }
  });

  it('huge declared lengths fail without allocating', () => {
    const before = process.memoryUsage().arrayBuffers;
    for (const h of ['5a40000000', '7a40000000', '9a40000000', 'ba40000000', '5b001fffffffffffff', '9b001fffffffffffff']) {
      const t0 = performance.now();
      expect(decodeSafely(unhex(h + '00'.repeat(16)))).toEqual({ ok: false, reason: 'length exceeds input', at: 0 });
      expect(performance.now() - t0).toBeLessThan(50);
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });

  it('keys that would break a plain object are refused or kept as data', () => {
    const withHasOwn = decodeOk(cbor.encode({ hasOwnProperty: 1, toString: 2, a: 3 }));
    expect(withHasOwn).toEqual({ hasOwnProperty: 1, toString: 2, a: 3 });
    const proto = JSON.parse('{"__proto__": {"polluted": true}}') as object;
    const r = cbor.decode(cbor.encode(proto));
    expect(r).toEqual({ ok: false, reason: 'forbidden key', at: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

// ---- API ------------------------------------------------------------------------------------------------------

describe('cbor: API and options', () => {
  it('throws with the module prefix on misuse, only there', () => {
    class Point {
      x = 1;
    }
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    const cyclicObj: Record<string, unknown> = {};
    cyclicObj.self = cyclicObj;
    let nested: unknown = 0;
    for (let i = 0; i < 17; i++) nested = [nested];
    const bad: unknown[] = [
      () => 1,
      Symbol('x'),
      10n,
      new Map(),
      new Date(0),
      new Uint16Array(2),
      new ArrayBuffer(2),
      new Point(),
      { deep: { f: () => 1 } },
      cyclic,
      cyclicObj,
      nested,
    ];
    for (const v of bad) {
      expect(() => cbor.encode(v)).toThrow(/^meshwork\/cbor: /);
      // room for the whole walk: with too little, running out of room (-1) may come first
      expect(() => cbor.encodeInto(v, new Uint8Array(1024), 0)).toThrow(/^meshwork\/cbor: /);
    }
    expect(() => cbor.encodeInto(1, new Uint8Array(4), 5)).toThrow(/^meshwork\/cbor: /);
    expect(() => cbor.encodeInto(1, new Uint8Array(4), -1)).toThrow(/^meshwork\/cbor: /);
    expect(() => cbor.encodeInto(1, new Uint8Array(4), 0.5)).toThrow(/^meshwork\/cbor: /);
    expect(() => cbor.encodeInto(1, [0, 0] as unknown as Uint8Array, 0)).toThrow(/^meshwork\/cbor: /);
    expect(() => cbor.decode([0] as unknown as Uint8Array)).toThrow(/^meshwork\/cbor: /);
    expect(() => cbor.decode(new Uint8Array(2), 2, 1)).toThrow(/^meshwork\/cbor: /);
    expect(() => cbor.decode(new Uint8Array(2), 0, 3)).toThrow(/^meshwork\/cbor: /);
    expect(() => createCbor({ maxDepth: -1 })).toThrow(/^meshwork\/cbor: /);
    expect(() => createCbor()({} as never)).toThrow(/^meshwork\/cbor: /);
    // 16 levels are fine both ways; a null-prototype object is a plain map
    let ok16: unknown = 0;
    for (let i = 0; i < 16; i++) ok16 = [ok16];
    expect(decodeOk(cbor.encode(ok16))).toEqual(ok16);
    const bare = Object.create(null) as Record<string, unknown>;
    bare.a = 1;
    expect(hex(cbor.encode(bare))).toBe('a1616101');
  });

  it('encode grows past its 256-byte scratch and returns independent arrays', () => {
    const long = { s: 'x'.repeat(10_000), b: new Uint8Array(70_000).fill(7) };
    const a = cbor.encode(long);
    expect(a.length).toBe(1 + 2 + 3 + 10_000 + 2 + 5 + 70_000);
    expect(tagged(cxDecoder.decode(Buffer.from(a)))).toEqual(tagged(long));
    const b = cbor.encode(1);
    const c = cbor.encode(2);
    expect([hex(b), hex(c)]).toEqual(['01', '02']);
  });

  it('encodeInto and decode switch between buffers (cached DataView follows)', () => {
    const a = new Uint8Array(16);
    const b = new Uint8Array(32).subarray(5);
    expect(cbor.encodeInto(70000, a, 0)).toBe(5);
    expect(cbor.encodeInto(-70000, b, 1)).toBe(6);
    expect(cbor.encodeInto(1.5, a, 5)).toBe(8);
    expect(cbor.decode(a, 0, 5)).toEqual({ ok: true, value: 70000, end: 5 });
    expect(cbor.decode(b, 1, 6)).toEqual({ ok: true, value: -70000, end: 6 });
    expect(cbor.decode(a, 5, 8)).toEqual({ ok: true, value: 1.5, end: 8 });
  });

  it('allowTrailing decodes a sequence item by item', () => {
    const seq = createCbor({ allowTrailing: true })(nodeCborText());
    const bytes = unhex('01' + '6161' + 'a0' + 'f6');
    const got: unknown[] = [];
    let off = 0;
    while (off < bytes.length) {
      const r = seq.decode(bytes, off);
      if (!r.ok) throw new Error(r.reason);
      got.push(r.value);
      off = r.end;
    }
    expect(got).toEqual([1, 'a', {}, null]);
    expect(cbor.decode(bytes)).toEqual({ ok: false, reason: 'trailing bytes', at: 1 });
  });

  it('viewBytes returns views into the input; the default copies', () => {
    const bytes = unhex('8242010243020304');
    const views = createCbor({ viewBytes: true })(nodeCborText()).decode(bytes);
    const copies = cbor.decode(bytes);
    bytes[2] = 0x99;
    expect(views.ok && hex((views.value as Uint8Array[])[0])).toBe('9902');
    expect(views.ok && (views.value as Uint8Array[])[1].buffer).toBe(bytes.buffer);
    expect(copies.ok && hex((copies.value as Uint8Array[])[0])).toBe('0102');
  });

  it('maxDepth is configurable', () => {
    const flat = createCbor({ maxDepth: 1 })(nodeCborText());
    expect(flat.decode(unhex('820102'))).toEqual({ ok: true, value: [1, 2], end: 3 });
    expect(flat.decode(unhex('818100'))).toEqual({ ok: false, reason: 'too deep', at: 1 });
    expect(() => flat.encode([[0]])).toThrow(/^meshwork\/cbor: /);
    const scalars = createCbor({ maxDepth: 0 })(nodeCborText());
    expect(scalars.decode(unhex('80'))).toEqual({ ok: false, reason: 'too deep', at: 0 });
    expect(hex(scalars.encode(new Uint8Array([1])))).toBe('4101');
  });

  it('the Node text component is strict UTF-8 and keeps a BOM; lone surrogates become U+FFFD', () => {
    expect(cbor.decode(unhex('62c328'))).toEqual({ ok: false, reason: 'invalid utf-8', at: 0 });
    expect(cbor.decode(unhex('63efbbbf'))).toEqual({ ok: true, value: '\ufeff', end: 4 });
    expect(hex(cbor.encode('\ud800'))).toBe('63efbfbd');
  });
});

import { Decoder, Encoder } from 'cbor-x';
import type { Options as CborXOptions } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCborText } from '../host/cbor-text.ts';
import { createCbor } from '../shared/cbor.ts';
import { MsgKind, createAppMessages, peekKind } from '../shared/app-messages.ts';
import type { AppDecodeResult, AppMessage, LinkEntry, TraceReportMsg } from '../shared/app-messages.ts';
import { MAX_PAYLOAD_LEN } from '../shared/frame.ts';
import { WalkStatus, createTracerouteWalk } from '../shared/traceroute-walk.ts';

const cbor = createCbor()(nodeCborText());
const app = createAppMessages({})({ cbor });
// cbor-x as plain definite-length CBOR (same options as test/cbor.test.ts)
const cx = new Encoder({
  useRecords: false,
  mapsAsObjects: true,
  tagUint8Array: false,
  variableMapSize: true,
  useTag259ForMaps: false,
  pack: false,
} as CborXOptions);
const cxDecoder = new Decoder({ useRecords: false, mapsAsObjects: true, int64AsNumber: true } as CborXOptions);

const SAMPLES: { msg: AppMessage; kind: number }[] = [
  { msg: { t: 'pi', id: 7 }, kind: MsgKind.Ping },
  { msg: { t: 'pi', id: 0xffffffff, ts: 123456.5 }, kind: MsgKind.Ping },
  { msg: { t: 'po', id: 7, ts: 99 }, kind: MsgKind.Pong },
  { msg: { t: 'tx', m: 'hello mesh' }, kind: MsgKind.Text },
  { msg: { t: 'tx', m: 'ünïcødé → 🛰', to: 0xfffffffe }, kind: MsgKind.Text },
  {
    msg: { t: 'tm', up: 86400, mem: 12000, nb: [[0x0a0b0c0d, 100, -41], [2, 350, -88]], v: '0.1.0', b: 'esp32' },
    kind: MsgKind.Telemetry,
  },
  { msg: { t: 'tm', up: 0, mem: 0, nb: [], v: '', b: '' }, kind: MsgKind.Telemetry },
  { msg: { t: 'tr', id: 3, d: 9 }, kind: MsgKind.TraceQuery },
  { msg: { t: 'tr', id: 3, d: 9, p: 1 }, kind: MsgKind.TraceQuery },
  { msg: { t: 'tR', id: 3, n: 5, m: 230, l: [[1, -60, 98, 95], [5, -75, 80, 77]] }, kind: MsgKind.TraceReport },
  { msg: { t: 'tR', id: 3, n: 0, l: [[4, -70, 90, 91]] }, kind: MsgKind.TraceReport },
  { msg: { t: 'tR', id: 3, l: [] }, kind: MsgKind.TraceReport },
];

function decodeOk(bytes: Uint8Array): AppMessage {
  const r = app.decode(bytes);
  if (!r.ok) throw new Error('decode failed: ' + r.reason);
  return r.msg;
}

describe('app messages: round trips', () => {
  it.each(SAMPLES.map((s) => [s.msg.t, s]))('%s round-trips through createCbor and agrees with cbor-x', (_t, s) => {
    const bytes = app.encode(s.msg);
    expect(decodeOk(bytes)).toEqual(s.msg);
    // cbor-x reads our bytes as the same map, `t` first
    const viaCx = cxDecoder.decode(Buffer.from(bytes)) as Record<string, unknown>;
    expect(viaCx).toEqual(s.msg);
    expect(Object.keys(viaCx)[0]).toBe('t');
    // and we read cbor-x's encoding of the message
    expect(decodeOk(new Uint8Array(cx.encode(s.msg)))).toEqual(s.msg);
    expect(peekKind(bytes, 0, bytes.length)).toBe(s.kind);
  });

  it('encodeInto writes at an offset and reports a too-small buffer', () => {
    const msg: AppMessage = { t: 'tx', m: 'hi', to: 42 };
    const ref = app.encode(msg);
    const out = new Uint8Array(64);
    const end = app.encodeInto(msg, out, 5);
    expect(end).toBe(5 + ref.length);
    expect(out.subarray(5, end)).toEqual(ref);
    expect(app.decode(out, 5, end)).toEqual({ ok: true, msg });
    expect(peekKind(out, 5, end)).toBe(MsgKind.Text);
    expect(app.encodeInto(msg, new Uint8Array(ref.length - 1), 0)).toBe(-1);
  });

  it('keeps messages small: a ping is 12 bytes, worst-case telemetry with 12 neighbours fits one frame', () => {
    // a2 | 61 74 | 62 70 69 | 62 69 64 | 19 04 d2
    expect(Buffer.from(app.encode({ t: 'pi', id: 1234 })).toString('hex')).toBe('a2617462706962696419' + '04d2');
    const nb = [];
    for (let i = 0; i < 12; i++) nb.push([0xfffffffe - i, 65535, -200]);
    const v = 'v'.repeat(16);
    const tm = app.encode({ t: 'tm', up: 0xffffffff, mem: 0xffffffff, nb, v, b: 'esp32c3-supermini' });
    expect(tm.length).toBeLessThanOrEqual(MAX_PAYLOAD_LEN);
  });

  it('encoding drops unknown keys and puts t first, whatever the input order', () => {
    const odd = { id: 5, extra: 'x', t: 'pi' } as unknown as AppMessage;
    const bytes = app.encode(odd);
    expect(cxDecoder.decode(Buffer.from(bytes))).toEqual({ t: 'pi', id: 5 });
    expect(peekKind(bytes, 0, bytes.length)).toBe(MsgKind.Ping);
  });

  it('ignores unknown keys from newer senders on decode', () => {
    const bytes = new Uint8Array(cx.encode({ t: 'po', id: 1, future: [1, 2, 3] }));
    expect(app.decode(bytes)).toEqual({ ok: true, msg: { t: 'po', id: 1 } });
  });
});

describe('app messages: schema violations are values', () => {
  const BAD: [string, unknown, string][] = [
    ['not a map', [1, 2], 'not a map'],
    ['no type', { id: 1 }, 'unknown type'],
    ['unknown type', { t: 'zz', id: 1 }, 'unknown type'],
    ['ping id negative', { t: 'pi', id: -1 }, 'bad id'],
    ['ping id fraction', { t: 'pi', id: 1.5 }, 'bad id'],
    ['ping id over u32', { t: 'pi', id: 2 ** 32 }, 'bad id'],
    ['ping ts string', { t: 'pi', id: 1, ts: 'now' }, 'bad ts'],
    ['text not a string', { t: 'tx', m: 42 }, 'bad text'],
    ['text too long', { t: 'tx', m: 'x'.repeat(1001) }, 'bad text'],
    ['text to broadcast id', { t: 'tx', m: 'a', to: 0xffffffff }, 'bad to'],
    ['text to 0', { t: 'tx', m: 'a', to: 0 }, 'bad to'],
    ['telemetry nb not rows', { t: 'tm', up: 1, mem: 1, nb: [5], v: '', b: '' }, 'bad nb'],
    ['telemetry nb short row', { t: 'tm', up: 1, mem: 1, nb: [[1, 100]], v: '', b: '' }, 'bad nb'],
    ['telemetry nb bad rssi', { t: 'tm', up: 1, mem: 1, nb: [[1, 100, 'x']], v: '', b: '' }, 'bad nb'],
    ['telemetry too many nb', { t: 'tm', up: 1, mem: 1, nb: Array(33).fill([1, 100, -50]), v: '', b: '' }, 'bad nb'],
    ['telemetry no version', { t: 'tm', up: 1, mem: 1, nb: [] , b: '' }, 'bad v/b'],
    ['telemetry up negative', { t: 'tm', up: -1, mem: 1, nb: [], v: '', b: '' }, 'bad up/mem'],
    ['trace query no d', { t: 'tr', id: 1 }, 'bad id/d'],
    ['trace query p bytes', { t: 'tr', id: 1, d: 2, p: new Uint8Array(2) }, 'bad p'],
    ['trace report pct over 100', { t: 'tR', id: 1, l: [[1, -50, 101, 0]] }, 'bad l'],
    ['trace report 5 links', { t: 'tR', id: 1, l: Array(5).fill([1, -50, 1, 1]) }, 'bad l'],
    ['trace report n broadcast', { t: 'tR', id: 1, n: 0xffffffff, l: [] }, 'bad n'],
  ];

  it.each(BAD)('%s → {ok:false}', (_name, value, reason) => {
    const bytes = new Uint8Array(cx.encode(value));
    expect(app.decode(bytes)).toEqual({ ok: false, reason });
    expect(() => app.encode(value as AppMessage)).toThrow(/^meshwork\/app: /);
  });

  it('CBOR-level failures come back as the codec reason', () => {
    expect(app.decode(new Uint8Array([0xa1, 0x61]))).toEqual({ ok: false, reason: 'length exceeds input' });
    expect(app.decode(new Uint8Array([0xa1, 0x61, 0x74]))).toEqual({ ok: false, reason: 'truncated' });
    expect(app.decode(new Uint8Array(0))).toEqual({ ok: false, reason: 'truncated' });
  });
});

describe('app messages: hostile payloads never throw', () => {
  function safe(bytes: Uint8Array): AppDecodeResult {
    let r: AppDecodeResult;
    try {
      r = app.decode(bytes);
    } catch (e) {
      throw new Error('decode threw on ' + Buffer.from(bytes).toString('hex') + ': ' + String(e));
    }
    if (r.ok) {
      // anything accepted is canonical: it re-encodes and decodes to itself
      expect(decodeOk(app.encode(r.msg))).toEqual(r.msg);
    } else {
      expect(typeof r.reason).toBe('string');
    }
    expect(() => peekKind(bytes, 0, bytes.length)).not.toThrow();
    return r;
  }

  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (b) => void safe(b)), { numRuns: 3000 });
  });

  it('random values near the schemas, encoded by cbor-x', () => {
    const cell = fc.oneof(
      fc.integer({ min: -300, max: 70000 }),
      fc.constantFrom(0, 1, 100, -41, 0xfffffffe, 0xffffffff, 2 ** 32, 2 ** 53 - 1),
      fc.double(),
      fc.string({ maxLength: 4 }),
      fc.constant(null),
      fc.boolean(),
    );
    const row = fc.array(cell, { maxLength: 5 });
    const field = fc.oneof(cell, fc.array(row, { maxLength: 5 }), row, fc.string({ maxLength: 40 }));
    const msg = fc.record(
      {
        t: fc.constantFrom('pi', 'po', 'tx', 'tm', 'tr', 'tR', 'x', ''),
        id: field, ts: field, m: field, to: field, up: field, mem: field, nb: field, v: field, b: field,
        d: field, p: field, n: field, l: field,
      },
      { requiredKeys: ['t'] },
    );
    let accepted = 0;
    fc.assert(
      fc.property(msg, (m) => {
        if (safe(new Uint8Array(cx.encode(m))).ok) accepted++;
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(0); // the generator does reach valid messages too
  });

  it('valid encodings with bytes flipped or cut', () => {
    const enc = SAMPLES.map((s) => app.encode(s.msg));
    fc.assert(
      fc.property(fc.nat(enc.length - 1), fc.nat(200), fc.integer({ min: 1, max: 255 }), fc.nat(200), (k, at, x, cut) => {
        const b = new Uint8Array(enc[k]);
        b[at % b.length] ^= x;
        safe(b.subarray(0, Math.max(0, b.length - (cut % 3))));
      }),
      { numRuns: 3000 },
    );
  });

  it('peekKind: short, non-map and foreign-order inputs are None', () => {
    const pi = app.encode({ t: 'pi', id: 1 });
    expect(peekKind(pi, 0, 5)).toBe(MsgKind.None);
    expect(peekKind(new Uint8Array([0x82, 0x61, 0x74, 0x62, 0x70, 0x69]), 0, 6)).toBe(MsgKind.None);
    expect(peekKind(new Uint8Array(cx.encode({ id: 1, t: 'pi' })), 0, 8)).toBe(MsgKind.None);
  });
});

describe('traceroute walk', () => {
  // A line 1 - 2 - 3 - 4; each node's view: rssi of a neighbour = -50 - 10*id of that neighbour,
  // in % = 90 - id, out % = 80 - id. Next hop toward 4 is id+1.
  function answer(self: number, q: { id: number; d: number; p?: number }, next: number | undefined): TraceReportMsg {
    const l: LinkEntry[] = [];
    const view = (id: number): LinkEntry => [id, -50 - 10 * id, 90 - id, 80 - id];
    if (q.p !== undefined) l.push(view(q.p));
    if (next !== undefined && next !== 0) l.push(view(next));
    const r: TraceReportMsg = { t: 'tR', id: q.id, l };
    if (next !== undefined) r.n = next;
    // every report crosses the codec, as it would on the air
    return decodeOk(app.encode(r)) as TraceReportMsg;
  }

  function run(nextOf: (n: number) => number | undefined, maxHops: number): ReturnType<typeof createTracerouteWalk> {
    const walk = createTracerouteWalk({ self: 1, dst: 4, id: 77, maxHops });
    for (let steps = 0; steps < 20; steps++) {
      const q = walk.query();
      if (!q) break;
      expect(q.msg.d).toBe(4);
      const st = walk.report(q.to, answer(q.to, q.msg, q.to === 4 ? 0 : nextOf(q.to)));
      expect(st).toBe(walk.status());
    }
    return walk;
  }

  it('walks a 3-hop line and reports each link both ways', () => {
    const walk = run((n) => n + 1, 10);
    expect(walk.status()).toBe(WalkStatus.Done);
    expect(walk.path()).toEqual([1, 2, 3, 4]);
    expect(walk.links()).toEqual([
      { from: 1, to: 2, fwd: { rssi: -60, pct: 89 }, back: { rssi: -70, pct: 88 } },
      { from: 2, to: 3, fwd: { rssi: -70, pct: 88 }, back: { rssi: -80, pct: 87 } },
      { from: 3, to: 4, fwd: { rssi: -80, pct: 87 }, back: { rssi: -90, pct: 86 } },
    ]);
    expect(walk.query()).toBeNull();
  });

  it('stops on no route, on a loop and at maxHops', () => {
    expect(run((n) => (n === 2 ? undefined : n + 1), 10).status()).toBe(WalkStatus.NoRoute);
    const loop = run((n) => (n === 3 ? 2 : n + 1), 10);
    expect(loop.status()).toBe(WalkStatus.Loop);
    expect(loop.path()).toEqual([1, 2, 3]);
    expect(run((n) => n + 1, 2).status()).toBe(WalkStatus.TooLong);
  });

  it('ignores stale, foreign and repeated reports', () => {
    const walk = createTracerouteWalk({ self: 1, dst: 4, id: 77, maxHops: 10 });
    const q = walk.query()!;
    expect(q).toEqual({ to: 1, msg: { t: 'tr', id: 77, d: 4 } });
    expect(walk.report(2, { t: 'tR', id: 77, n: 3, l: [] })).toBe(WalkStatus.Ignored); // not the node asked
    expect(walk.report(1, { t: 'tR', id: 76, n: 2, l: [] })).toBe(WalkStatus.Ignored); // another walk
    expect(walk.report(1, { t: 'tR', id: 77, n: 2, l: [] })).toBe(WalkStatus.Continue);
    expect(walk.report(1, { t: 'tR', id: 77, n: 9, l: [] })).toBe(WalkStatus.Ignored); // a retry's late answer
    expect(walk.query()).toEqual({ to: 2, msg: { t: 'tr', id: 77, d: 4, p: 1 } });
    expect(walk.links()).toEqual([{ from: 1, to: 2 }]); // no views listed: nothing invented
  });
});

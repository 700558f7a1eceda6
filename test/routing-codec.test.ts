/**
 * Control payload codecs (shared/beacon.ts) and the ack layout (shared/unicast.ts): round trips, exact
 * byte layouts read independently with DataView, and hostile bytes (random, truncated, lying counts).
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  ADVERT_MAX_ENTRIES, AdvertKind, BEACON_MAX_ENTRIES, BeaconInfo, CodecStatus, METRIC_INF, advertLength, beaconLength,
  decodeAdvert, decodeBeacon, encodeAdvert, encodeBeacon, newAdvert, newBeacon,
} from '../shared/beacon.ts';
import { MAX_PAYLOAD_LEN } from '../shared/frame.ts';
import { AckKind, ackU32, encodeE2eAck, encodeHopAck, floodField, routedField, ROUTED } from '../shared/unicast.ts';
import { seqNewer16 } from '../shared/route-types.ts';

describe('beacon codec', () => {
  test('the largest beacon and advert fit one frame payload', () => {
    expect(beaconLength(BEACON_MAX_ENTRIES)).toBeLessThanOrEqual(MAX_PAYLOAD_LEN);
    expect(beaconLength(BEACON_MAX_ENTRIES + 1)).toBeGreaterThan(MAX_PAYLOAD_LEN);
    expect(advertLength(ADVERT_MAX_ENTRIES)).toBeLessThanOrEqual(MAX_PAYLOAD_LEN);
    expect(advertLength(ADVERT_MAX_ENTRIES + 1)).toBeGreaterThan(MAX_PAYLOAD_LEN);
  });

  test('round trip, and the bytes are where the diagram says', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 655350 }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 32 }), fc.boolean()),
        { maxLength: BEACON_MAX_ENTRIES }),
      (flags, seq, iv, rseq, entries) => {
        const b = newBeacon();
        b.flags = flags; b.seq = seq; b.intervalMs = Math.floor(iv / 10) * 10; b.routeSeq = rseq; b.n = entries.length;
        entries.forEach(([id, r, k, leaf], i) => { b.ids[i] = id; b.ratios[i] = r; b.info[i] = k | (leaf ? BeaconInfo.Leaf : 0); });
        const out = new Uint8Array(300);
        const n = encodeBeacon(b, out, 3);
        expect(n).toBe(8 + 6 * entries.length);
        const dv = new DataView(out.buffer, 3);
        expect(out[3] >> 4).toBe(2);
        expect(out[3] & 15).toBe(flags);
        expect(dv.getUint8(1)).toBe(entries.length);
        expect(dv.getUint16(2)).toBe(seq);
        expect(dv.getUint16(4) * 10).toBe(b.intervalMs);
        expect(dv.getUint16(6)).toBe(rseq);
        entries.forEach(([id, r, k, leaf], i) => {
          expect(dv.getUint32(8 + 6 * i)).toBe(id);
          expect(dv.getUint8(12 + 6 * i)).toBe(r);
          // the info byte: samples in the low 6 bits, leaf in bit 6, bit 7 reserved (0)
          expect(dv.getUint8(13 + 6 * i) & 0x3f).toBe(k);
          expect((dv.getUint8(13 + 6 * i) >> 6) & 1).toBe(leaf ? 1 : 0);
          expect(dv.getUint8(13 + 6 * i) >> 7).toBe(0);
        });
        const d = newBeacon();
        expect(decodeBeacon(out, 3, n, d)).toBe(CodecStatus.Ok);
        expect([d.flags, d.seq, d.intervalMs, d.routeSeq, d.n]).toEqual([flags, seq, b.intervalMs, rseq, entries.length]);
        expect(Array.from(d.ids.subarray(0, d.n))).toEqual(entries.map((e) => e[0]));
        expect(Array.from(d.ratios.subarray(0, d.n))).toEqual(entries.map((e) => e[1]));
        expect(Array.from(d.info.subarray(0, d.n)).map((x) => x & BeaconInfo.Samples)).toEqual(entries.map((e) => e[2]));
        expect(Array.from(d.info.subarray(0, d.n)).map((x) => (x & BeaconInfo.Leaf) !== 0)).toEqual(entries.map((e) => e[3]));
      },
    ), { numRuns: 300 });
  });

  test('advert round trip with gateway bits and retractions', () => {
    fc.assert(fc.property(
      fc.constantFrom(AdvertKind.Update, AdvertKind.Request),
      fc.array(fc.tuple(fc.integer({ min: 1, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: METRIC_INF }), fc.boolean()),
        { maxLength: ADVERT_MAX_ENTRIES }),
      (kind, entries) => {
        const a = newAdvert();
        a.kind = kind; a.intervalMs = 60000; a.n = entries.length;
        entries.forEach(([d, s, m, g], i) => { a.dsts[i] = d; a.seqs[i] = s; a.metrics[i] = m; a.gw[i] = g ? 1 : 0; });
        const out = new Uint8Array(250);
        const n = encodeAdvert(a, out, 0);
        expect(n).toBe(4 + 8 * entries.length);
        const dv = new DataView(out.buffer);
        expect(dv.getUint16(2)).toBe(600);
        entries.forEach(([d, s, m, g], i) => {
          expect(dv.getUint32(4 + 8 * i)).toBe(d);
          expect(dv.getUint16(8 + 8 * i)).toBe(s);
          expect(dv.getUint16(10 + 8 * i)).toBe(m | (g ? 0x8000 : 0));
        });
        const r = newAdvert();
        expect(decodeAdvert(out, 0, n, r)).toBe(CodecStatus.Ok);
        expect(r.kind).toBe(kind);
        expect(r.intervalMs).toBe(60000);
        for (let i = 0; i < entries.length; i++) {
          expect([r.dsts[i], r.seqs[i], r.metrics[i], r.gw[i]]).toEqual([entries[i][0], entries[i][1], entries[i][2], entries[i][3] ? 1 : 0]);
        }
      },
    ), { numRuns: 300 });
  });

  test('encoders refuse counts out of range and short buffers instead of writing past them', () => {
    const b = newBeacon();
    b.n = BEACON_MAX_ENTRIES + 1;
    expect(encodeBeacon(b, new Uint8Array(300), 0)).toBe(-1);
    b.n = 3;
    expect(encodeBeacon(b, new Uint8Array(25), 0)).toBe(-1);
    expect(encodeBeacon(b, new Uint8Array(26), 0)).toBe(26);
    const a = newAdvert();
    a.n = 2;
    expect(encodeAdvert(a, new Uint8Array(19), 0)).toBe(-1);
    expect(encodeAdvert(a, new Uint8Array(20), 0)).toBe(20);
  });

  test('hostile bytes: random, truncated and lying input never throws and never reads past len', () => {
    const b = newBeacon();
    const a = newAdvert();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 240 }), fc.nat(260), (bytes, cut) => {
      const len = Math.min(cut, bytes.length);
      // poison everything after len: a decoder that reads past it would see 0xEE
      const buf = new Uint8Array(bytes.length + 16).fill(0xee);
      buf.set(bytes.subarray(0, len));
      const sb = decodeBeacon(buf, 0, len, b);
      if (sb === CodecStatus.Ok) {
        expect(len).toBeGreaterThanOrEqual(beaconLength(b.n));
        expect(b.n).toBeLessThanOrEqual(BEACON_MAX_ENTRIES);
        for (let i = 0; i < b.n; i++) {
          expect(b.ratios[i]).toBe(buf[8 + 6 * i + 4]);
          expect(b.info[i]).toBe(buf[8 + 6 * i + 5] & 0x7f);
        }
      } else expect([CodecStatus.TooShort, CodecStatus.BadVersion, CodecStatus.BadCount]).toContain(sb);
      const sa = decodeAdvert(buf, 0, len, a);
      if (sa === CodecStatus.Ok) {
        expect(len).toBeGreaterThanOrEqual(advertLength(a.n));
        for (let i = 0; i < a.n; i++) expect(a.metrics[i]).toBeLessThanOrEqual(METRIC_INF);
      }
    }), { numRuns: 3000 });
  });

  test('specific refusals', () => {
    const b = newBeacon();
    const ok = new Uint8Array([0x20, 1, 0, 1, 0, 200, 0, 7, 0, 0, 0, 5, 128, 9]);
    expect(decodeBeacon(ok, 0, ok.length, b)).toBe(CodecStatus.Ok);
    expect([b.ids[0], b.ratios[0], b.info[0]]).toEqual([5, 128, 9]);
    expect(decodeBeacon(ok, 0, 7, b)).toBe(CodecStatus.TooShort);
    expect(decodeBeacon(ok, 0, 13, b)).toBe(CodecStatus.BadCount); // says 1 entry, holds 5 of its 6 bytes
    expect(decodeBeacon(ok, 0, 50, b)).toBe(CodecStatus.TooShort); // len beyond the buffer
    // version 1 (5-byte entries, no info byte) is refused: its entries would be misread
    const v1 = ok.slice(0, 13); v1[0] = 0x10;
    expect(decodeBeacon(v1, 0, v1.length, b)).toBe(CodecStatus.BadVersion);
    const many = new Uint8Array(250); many[0] = 0x20; many[1] = BEACON_MAX_ENTRIES + 1;
    expect(decodeBeacon(many, 0, 250, b)).toBe(CodecStatus.BadCount);
    const a = newAdvert();
    const adv = new Uint8Array(250); adv[0] = 0x10; adv[1] = ADVERT_MAX_ENTRIES + 1;
    expect(decodeAdvert(adv, 0, 250, a)).toBe(CodecStatus.BadCount);
  });
});

describe('ack layout and the hop field', () => {
  test('hop ack and e2e ack bytes', () => {
    const out = new Uint8Array(16);
    expect(encodeHopAck(0xdeadbeef, 0x01020304, out)).toBe(9);
    expect(Array.from(out.subarray(0, 9))).toEqual([AckKind.Hop, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]);
    expect(ackU32(out, 1)).toBe(0xdeadbeef);
    expect(encodeE2eAck(AckKind.E2eMsg, 0xabcd, out)).toBe(5);
    expect(Array.from(out.subarray(0, 5))).toEqual([AckKind.E2eMsg, 0, 0, 0xab, 0xcd]);
  });

  test('the 16-bit hop field: top bit says routed, 15 bits of id', () => {
    expect(floodField(0x12345678)).toBe(0x5678);
    expect(routedField(0x12345678)).toBe(0x8000 | 0x5678);
    expect(routedField(0xffff) & ROUTED).toBe(ROUTED);
    expect(floodField(0xffff) & ROUTED).toBe(0);
  });

  test('16-bit seqno order wraps (RFC 8966 §3.2.1)', () => {
    expect(seqNewer16(1, 0)).toBe(true);
    expect(seqNewer16(0, 0xffff)).toBe(true);
    expect(seqNewer16(0xffff, 0)).toBe(false);
    expect(seqNewer16(5, 5)).toBe(false);
    expect(seqNewer16(0x7fff, 0)).toBe(true);
    expect(seqNewer16(0x8000, 0)).toBe(false);
  });
});

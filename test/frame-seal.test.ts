import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as lib from '../shared/index.ts';
import { FrameStatus, HEADER_LEN, MAX_PAYLOAD_LEN, type FrameHeader } from '../shared/frame.ts';
import { createNodeAes } from './support/aes-node.ts';
import { refSeal } from './support/reference-seal.ts';

const aes = createNodeAes();
const KEY = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
const KEY2 = Uint8Array.from({ length: 16 }, (_, i) => 255 - i);

function node(epochKeys: [number, Uint8Array][]) {
  const keys = lib.createKeyring({ capacity: 2 })({ aes });
  for (const [e, k] of epochKeys) keys.set(e, k);
  const seal = lib.createFrameSeal()({ aes, keys });
  return { keys, seal };
}

function header(p: Partial<FrameHeader>): FrameHeader {
  return Object.assign(lib.newHeader(), { type: 1, hopLimit: 4, hopStart: 4, epoch: 3, src: 0x1234, dst: 0xffffffff, seq: 9 }, p);
}

function sealed(payload: Uint8Array, p: Partial<FrameHeader> = {}) {
  const a = node([[3, KEY]]);
  const out = new Uint8Array(250);
  const n = a.seal.seal(header(p), payload, out, 0);
  expect(n).toBeGreaterThan(0);
  return out.slice(0, n);
}

function openStatus(frame: Uint8Array, keys: [number, Uint8Array][] = [[3, KEY]]): number {
  const b = node(keys);
  const h = lib.newHeader();
  const st = lib.decodeHeader(frame, frame.length, h);
  if (st !== FrameStatus.Ok) return st;
  return b.seal.open(frame, h, new Uint8Array(250));
}

describe('frame seal', () => {
  it('round-trips payloads of every length 0..218', () => {
    const b = node([[3, KEY]]);
    for (let n = 0; n <= MAX_PAYLOAD_LEN; n++) {
      const pl = Uint8Array.from({ length: n }, (_, i) => (i * 13 + n) & 255);
      const frame = sealed(pl, { seq: n + 1 });
      expect(frame.length).toBe(n + 32);
      const h = lib.newHeader();
      expect(lib.decodeHeader(frame, frame.length, h)).toBe(FrameStatus.Ok);
      const out = new Uint8Array(250);
      expect(b.seal.open(frame, h, out)).toBe(FrameStatus.Ok);
      expect(Buffer.from(out.subarray(0, n)).equals(Buffer.from(pl))).toBe(true);
      // the ciphertext is not the plaintext (n ≥ 4 makes a chance match negligible)
      if (n >= 4) expect(Buffer.from(frame.subarray(HEADER_LEN, HEADER_LEN + n)).equals(Buffer.from(pl))).toBe(false);
    }
  });

  it('matches the node:crypto reference on random headers and payloads', () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: MAX_PAYLOAD_LEN }),
      fc.integer({ min: 1, max: 0xfffffffe }), fc.integer({ min: 1, max: 0xffffffff }), fc.integer({ min: 1, max: 0xffffffff }),
      fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 15 }),
      (key, pl, src, dst, seq, epoch, hopStart, type) => {
        const keys = lib.createKeyring({ capacity: 1 })({ aes });
        keys.set(epoch, key);
        const s = lib.createFrameSeal()({ aes, keys });
        const h = { type, flags: 0, hopLimit: hopStart, hopStart, epoch, src, dst, seq, prevHop: 0 };
        const out = new Uint8Array(250);
        const n = s.seal(Object.assign(lib.newHeader(), h), pl, out, 0);
        expect(Buffer.from(out.subarray(0, n)).toString('hex')).toBe(refSeal(Buffer.from(key), h, Buffer.from(pl)).toString('hex'));
      }), { numRuns: 300 });
  });

  it('rejects every single-bit flip of a frame', () => {
    const frame = sealed(Uint8Array.from({ length: 40 }, (_, i) => i));
    expect(openStatus(frame)).toBe(FrameStatus.Ok);
    for (let bit = 0; bit < frame.length * 8; bit++) {
      const f = frame.slice();
      f[bit >> 3] ^= 1 << (bit & 7);
      expect(openStatus(f), `bit ${bit}`).not.toBe(FrameStatus.Ok);
    }
  });

  it('rejects frames under another key or another epoch', () => {
    const frame = sealed(new Uint8Array([1, 2, 3]));
    expect(openStatus(frame, [[3, KEY2]])).toBe(FrameStatus.BadHeaderTag);
    expect(openStatus(frame, [[4, KEY]])).toBe(FrameStatus.UnknownEpoch);
    // the same key installed under another epoch still fails: the epoch is bound into the tags
    const f = frame.slice();
    f[4] = 4;
    expect(openStatus(f, [[4, KEY]])).toBe(FrameStatus.BadHeaderTag);
    // during a rollover both epochs open
    expect(openStatus(frame, [[4, KEY2], [3, KEY]])).toBe(FrameStatus.Ok);
  });

  it('relays re-stamp hop fields and the header tag; the end-to-end tag still verifies', () => {
    const frame = sealed(new Uint8Array(30).fill(7), { hopLimit: 3, hopStart: 5 });
    const r = node([[3, KEY]]);
    const relay = lib.createRelayPath()({ seal: r.seal, dedup: lib.createDedupCache({ slots: 4 }) });
    const h = lib.newHeader();
    expect(relay.inspect(frame, frame.length, h)).toBe(FrameStatus.Ok);
    expect(relay.forward(frame, h, 0xabcd1234)).toBe(FrameStatus.Ok);
    expect(frame[2]).toBe(2);
    expect((frame[17] << 8) | frame[18]).toBe(0x1234);
    expect(openStatus(frame)).toBe(FrameStatus.Ok);
    // the same frame heard again is a duplicate, before any crypto
    expect(relay.inspect(frame, frame.length, lib.newHeader())).toBe(FrameStatus.Duplicate);
    // a relay may never raise the hop limit
    expect(r.seal.restamp(frame, h, 6, 1)).toBe(FrameStatus.BadHops);
  });

  it('forged frames do not enter the dedup cache (no suppression of the real frame)', () => {
    const frame = sealed(new Uint8Array(10), { seq: 42 });
    const forged = frame.slice();
    forged[25] ^= 0xff;
    forged[frame.length - 1] ^= 0xff; // bad header tag
    const r = node([[3, KEY]]);
    const relay = lib.createRelayPath()({ seal: r.seal, dedup: lib.createDedupCache({ slots: 4 }) });
    expect(relay.inspect(forged, forged.length, lib.newHeader())).toBe(FrameStatus.BadHeaderTag);
    expect(relay.inspect(frame, frame.length, lib.newHeader())).toBe(FrameStatus.Ok);
  });

  it('refuses payloads that do not fit and unknown epochs when sealing', () => {
    const a = node([[3, KEY]]);
    const out = new Uint8Array(250);
    expect(a.seal.seal(header({}), new Uint8Array(MAX_PAYLOAD_LEN + 1), out, 0)).toBe(-FrameStatus.PayloadTooLong);
    expect(a.seal.seal(header({ epoch: 9 }), new Uint8Array(1), out, 0)).toBe(-FrameStatus.UnknownEpoch);
    expect(a.seal.seal(header({}), new Uint8Array(10), new Uint8Array(41), 0)).toBe(-FrameStatus.BufferTooSmall);
  });

  it('seals at an offset inside a larger buffer', () => {
    const a = node([[3, KEY]]);
    const big = new Uint8Array(300).fill(0xee);
    const n = a.seal.seal(header({}), new Uint8Array([9, 8, 7]), big, 17);
    expect(big[16]).toBe(0xee);
    expect(big[17 + n]).toBe(0xee);
    expect(Buffer.from(big.subarray(17, 17 + n)).equals(Buffer.from(sealed(new Uint8Array([9, 8, 7]))))).toBe(true);
  });
});

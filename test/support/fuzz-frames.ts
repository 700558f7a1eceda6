/**
 * The frame fuzzer shared by test/fuzz.test.ts (10^6 frames, in CI) and bench/fuzz.ts (more): random
 * frames and mutations of valid ones go through the whole receive path a node runs (relay inspect, open,
 * replay window, reassembly). It counts outcomes and reports any frame that was accepted without being
 * one of the originals, and any exception.
 */
import * as lib from '../../shared/index.ts';
import { Flag, FrameStatus, MAX_PAYLOAD_LEN } from '../../shared/frame.ts';
import type { Aes128 } from '../../shared/ports.ts';
import { crc32 } from '../../host/crc32.ts';
import { xorshift } from './xorshift.ts';

export interface FuzzResult {
  frames: number;
  accepted: number;
  escaped: string[];
  thrown: string[];
  statuses: Record<string, number>;
  tableSizes: { dedup: number; replay: number };
}

export function fuzzFrames(aes: Aes128, count: number, seed: number): FuzzResult {
  const rnd = xorshift(seed);
  const key = new Uint8Array(16).map((_, i) => i * 3 + 1);
  const keys = lib.createKeyring({ capacity: 2 })({ aes });
  keys.set(7, key);
  const seal = lib.createFrameSeal()({ aes, keys });
  const dedup = lib.createDedupCache({ slots: 256 });
  const relay = lib.createRelayPath()({ seal, dedup });
  const replay = lib.createReplayWindow({ sources: 64 });
  const reasm = lib.createReassembly({ slots: 4, maxMessageBytes: 4096, timeoutMs: 30000 })({ crc32 });
  // valid frames to mutate: several sizes, some fragments
  const originals: Uint8Array[] = [];
  const originalHex = new Set<string>();
  for (let i = 0; i < 32; i++) {
    const h = Object.assign(lib.newHeader(), {
      type: 1 + (i % 5), flags: i % 3 === 0 ? Flag.Frag : 0, hopLimit: 4, hopStart: 6, epoch: 7,
      src: 0x100 + (i % 9), dst: i % 2 ? 0xffffffff : 0x42, seq: 1000 + i,
    });
    const pl = new Uint8Array((i * 37) % (MAX_PAYLOAD_LEN + 1)).map((_, k) => (k * i) & 255);
    const out = new Uint8Array(250);
    const n = seal.seal(h, pl, out, 0);
    originals.push(out.slice(0, n));
    originalHex.add(Buffer.from(out.subarray(0, n)).toString('hex'));
  }
  const res: FuzzResult = { frames: 0, accepted: 0, escaped: [], thrown: [], statuses: {}, tableSizes: { dedup: 0, replay: 0 } };
  const h = lib.newHeader();
  const payload = new Uint8Array(256);
  const buf = new Uint8Array(300);
  for (let i = 0; i < count; i++) {
    let len: number;
    const mode = rnd() % 4;
    if (mode === 0) {
      // fully random bytes, random length (0..300), version nibble forced valid half the time
      len = rnd() % 301;
      for (let k = 0; k < len; k += 4) { const r = rnd(); buf[k] = r; buf[k + 1] = r >>> 8; buf[k + 2] = r >>> 16; buf[k + 3] = r >>> 24; }
      if (len > 0 && rnd() & 1) buf[0] = 0x10 | (buf[0] & 15);
      if (len > 19 && rnd() & 1) buf[19] = Math.max(0, len - 32) & 255;
    } else {
      const o = originals[rnd() % originals.length];
      buf.set(o);
      len = o.length;
      const flips = 1 + (rnd() % 4);
      for (let k = 0; k < flips; k++) {
        const kind = rnd() % 4;
        if (kind === 0) buf[rnd() % len] ^= 1 << (rnd() % 8);
        else if (kind === 1) buf[rnd() % len] = rnd();
        else if (kind === 2) len = Math.max(0, len - 1 - (rnd() % 8));
        else { const at = rnd() % len; buf[at] ^= 0xff; }
      }
    }
    res.frames++;
    const frame = buf.subarray(0, len);
    try {
      let st = relay.inspect(frame, len, h);
      if (st === FrameStatus.Ok || st === FrameStatus.Duplicate) {
        // an endpoint opens duplicates too (its dedup is the replay window)
        if (st === FrameStatus.Duplicate) st = lib.decodeHeader(frame, len, h);
        if (st === FrameStatus.Ok) st = seal.open(frame, h, payload);
        if (st === FrameStatus.Ok && !replay.check(h.src, h.epoch, h.seq)) st = FrameStatus.Replay;
        if (st === FrameStatus.Ok) {
          replay.accept(h.src, h.epoch, h.seq);
          res.accepted++;
          const hex = Buffer.from(frame).toString('hex');
          // hop fields may legitimately differ only if re-stamped, which nobody here does
          if (!originalHex.has(hex)) res.escaped.push(hex);
          if (h.flags & Flag.Frag) reasm.accept(h.src, payload.subarray(0, h.payloadLen), i);
        }
      }
      res.statuses[st] = (res.statuses[st] ?? 0) + 1;
    } catch (e) {
      if (res.thrown.length < 5) res.thrown.push(`${(e as Error).stack} on ${Buffer.from(frame).toString('hex')}`);
    }
  }
  res.tableSizes = { dedup: dedup.size(), replay: replay.size() };
  return res;
}

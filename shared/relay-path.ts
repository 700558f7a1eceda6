/**
 * The relay path: what every node does to a frame it hears before any routing decision, and how it
 * re-stamps a frame it forwards. This runs for every frame on the air, so it allocates nothing of its
 * own and leaves all byte work to natives (two AES blocks per tag; typed-array indexOf for dedup).
 *
 *   inspect:  decode + bounds-check the header  →  drop a duplicate (cheap, before any crypto)
 *             →  verify the header tag (drops forgeries and tampered hop fields)  →  remember (src, seq)
 *   forward:  hop limit - 1, previous hop = our short id, new header tag
 * The dedup entry is added only after the tag verified, so forged frames cannot poison the cache and
 * suppress real ones. Payloads are never parsed or decrypted here.
 */
import { FrameStatus, decodeHeader } from './frame.ts';
import type { FrameHeader } from './frame.ts';
import type { FrameSeal } from './frame-seal.ts';
import type { DedupCache } from './dedup-cache.ts';

export interface RelayPath {
  /** decode, dedup and authenticate the header of the len-byte frame; fills h. FrameStatus.Ok or why not */
  inspect(frame: Uint8Array, len: number, h: FrameHeader): number;
  /** prepare an inspected frame for forwarding by node `selfId`; Ok, or BadHops when no hop is left */
  forward(frame: Uint8Array, h: FrameHeader, selfId: number): number;
}

export function createRelayPath(): (c: { seal: FrameSeal; dedup: DedupCache }) => RelayPath {
  return function (c) {
    const seal = c.seal;
    const dedup = c.dedup;

    function inspect(frame: Uint8Array, len: number, h: FrameHeader): number {
      const st = decodeHeader(frame, len, h);
      if (st !== FrameStatus.Ok) return st;
      if (dedup.has(h.src, h.seq)) return FrameStatus.Duplicate;
      const vt = seal.verifyHeaderTag(frame, h);
      if (vt !== FrameStatus.Ok) return vt;
      // has() just said "absent": insert without a second search
      dedup.insert(h.src, h.seq);
      return FrameStatus.Ok;
    }

    function forward(frame: Uint8Array, h: FrameHeader, selfId: number): number {
      if (h.hopLimit < 1) return FrameStatus.BadHops;
      return seal.restamp(frame, h, h.hopLimit - 1, selfId & 0xffff);
    }

    return { inspect: inspect, forward: forward };
  };
}

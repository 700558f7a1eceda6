/**
 * Sealing and opening frames: encryption, the frame tag and the header (relay) tag. AES-128 only, so a
 * node needs one primitive (native where Espruino has `crypto`, pure JS where not) and every backend
 * produces the same bytes.
 *
 * Construction (keys from keyring.ts; H = the 20-byte header, H' = H with hop limit and previous hop zeroed):
 *   nonce  N  = 'N' | epoch | src (u32 BE) | seq (u32 BE) | 0…0            (16 bytes; unique per key: seqno.ts)
 *   subkey Kp = AES-ECB_{K_enc}(N)
 *   C         = AES-CTR_{Kp}(P) with a zero counter block (Espruino's CTR ignores the IV; a fresh key per
 *               frame makes the zero counter safe)
 *   frame tag = first 8 bytes of CBC-MAC_{K_mac}( H' | 0^12 | C | 0-pad to 16 )
 *   header tag= first 4 bytes of CBC-MAC_{K_hdr}( H | frame tag | 0^4 )
 * CBC-MAC is secure for prefix-free inputs: the frame-tag input carries the payload length in block 0 and
 * the header-tag input has a fixed length. Encrypt-then-MAC: a tag is checked before anything is decrypted.
 * A relay checks only the header tag (two AES blocks) to drop forged frames cheaply, rewrites hop limit and
 * previous hop, and stamps a new header tag; the frame tag (end to end) does not change along the path.
 *
 * Buffers: all scratch is allocated once here and never holds plaintext (the payload goes from the caller's
 * buffer through AES straight into the caller's buffer); `out` and `payloadOut` belong to the caller.
 *
 * Cost on the node (Espruino interprets the source text: every token executed costs thousands of machine
 * instructions, a call tens of thousands, a native call about as much as a few tokens; docs/espruino-costs.md):
 * the per-frame functions below are short, copy bytes with native typed-array `set` from views made once,
 * look keys up with one typed-array read (keyring.ts slotOf), and compare tags in one expression.
 */
import type { Aes128 } from './ports.ts';
import type { Keyring } from './keyring.ts';
import {
  FRAME_OVERHEAD, FRAME_TAG_LEN, FrameStatus, HEADER_LEN, HEADER_TAG_LEN, MAX_PAYLOAD_LEN, Off,
  encodeHeader,
} from './frame.ts';
import type { FrameHeader } from './frame.ts';

/** Scratch offsets; a const enum so that esbuild inlines the numbers into the per-frame code. */
const enum Scratch {
  /** frame-tag MAC input: H' | 0^12 | ciphertext | 0-pad; the ciphertext starts at block 2 */
  MacCt = 32,
  /** header-tag input H | frame tag | 0^4 is tagIn[0..32); the frame tag sits at 20 */
  TagInLen = 32,
  /** where open() puts the frame tag it computes, next to the received one, for one DataView compare */
  OwnTag = 32,
}

/** frame-tag MAC input capacity: ciphertext up to MAX_PAYLOAD_LEN padded to 16, plus 16 spare bytes so
 *  that the padding is always zeroed with one fixed 16-byte `set` (Espruino's typed-array fill walks the
 *  whole array, whatever the range: ~0.2 M instructions on this buffer) */
const MAC_LEN = Scratch.MacCt + ((MAX_PAYLOAD_LEN + 15) & ~15) + 16;

export interface FrameSeal {
  /**
   * Encrypt and tag: writes header (from h; h.payloadLen is set from payload), ciphertext and both tags into
   * out[off..]. Returns the frame length, or -FrameStatus on error (unknown epoch, payload too long, out
   * too small). h.version is forced to the current version.
   */
  seal(h: FrameHeader, payload: Uint8Array, out: Uint8Array, off: number): number;
  /**
   * Verify both tags of a frame whose header `h` was decoded by decodeHeader, then decrypt its payload
   * into payloadOut[0..h.payloadLen). Returns FrameStatus.Ok or the failure; on failure payloadOut is
   * untouched. Replay checks are the caller's (replay-window.ts), after Ok.
   */
  open(frame: Uint8Array, h: FrameHeader, payloadOut: Uint8Array): number;
  /** Check the header tag only (what a relay does). h was decoded from this frame by decodeHeader. */
  verifyHeaderTag(frame: Uint8Array, h: FrameHeader): number;
  /**
   * Rewrite hop limit and previous hop of a verified frame in place and stamp a new header tag.
   * Returns FrameStatus.Ok, or UnknownEpoch / BadHops (a relay may never raise the hop limit).
   */
  restamp(frame: Uint8Array, h: FrameHeader, hopLimit: number, prevHop: number): number;
}

export function createFrameSeal(): (c: { aes: Aes128; keys: Keyring }) => FrameSeal {
  return function (c) {
    const aes = c.aes;
    const slotOf = c.keys.slotOf;
    // a slot's subkey views never change (keyring.ts): fetched once instead of one call per use
    const encKeys: Uint8Array[] = [];
    const macKeys: Uint8Array[] = [];
    const hdrKeys: Uint8Array[] = [];
    for (let s = 0; s < c.keys.capacity; s++) {
      encKeys.push(c.keys.enc(s));
      macKeys.push(c.keys.mac(s));
      hdrKeys.push(c.keys.hdr(s));
    }
    const nonce = new Uint8Array(16);
    const subkey = new Uint8Array(16);
    const zeros = new Uint8Array(16);
    const mac = new Uint8Array(MAC_LEN);
    const macCt = mac.subarray(Scratch.MacCt);
    // one view per padded MAC length (0..MAX_PAYLOAD_LEN bytes of ciphertext), so the hot path never slices
    const macViews: Uint8Array[] = [];
    for (let n = 0; n <= MAX_PAYLOAD_LEN + 15; n += 16) macViews.push(mac.subarray(0, Scratch.MacCt + n));
    // the true header of the frame being handled lives in tagIn[0..20): encoded there by seal, copied there
    // by verifyHeaderTag; the frame-tag input and the nonce are then filled from it with native copies
    const tagIn = new Uint8Array(Scratch.OwnTag + FRAME_TAG_LEN);
    const tagInput = tagIn.subarray(0, Scratch.TagInLen);
    const tagHead = tagIn.subarray(0, HEADER_LEN);
    const tagFrameTag = tagIn.subarray(HEADER_LEN, HEADER_LEN + FRAME_TAG_LEN);
    const tagEpochSrc = tagIn.subarray(Off.Epoch, Off.Dst);
    const tagSeq = tagIn.subarray(Off.Seq, Off.PrevHop);
    const ownTag = tagIn.subarray(Scratch.OwnTag);
    const tagView = new DataView(tagIn.buffer);
    const htag = new Uint8Array(HEADER_TAG_LEN);
    nonce[0] = 0x4e;

    /**
     * Per-frame CTR subkey into `subkey`: nonce = 'N' | epoch | src | seq, copied from the header in tagIn.
     * `subkey` is not wiped after use: it is AES_{K_enc}(nonce) and K_enc stays in the keyring's RAM, so
     * wiping it would hide nothing (and a typed-array fill walks the whole array on Espruino).
     */
    function deriveSubkey(s: number): void {
      nonce.set(tagEpochSrc, 1);
      nonce.set(tagSeq, 6);
      aes.ecb(encKeys[s], nonce, subkey);
    }

    /** Frame tag into `dst` over H' (from the header in tagIn) and the n bytes of ciphertext in macCt. */
    function frameTag(s: number, n: number, dst: Uint8Array): void {
      mac.set(tagHead);
      mac[Off.HopLimit] = 0;
      mac[Off.PrevHop] = 0;
      mac[Off.PrevHop + 1] = 0;
      mac.set(zeros, Scratch.MacCt + n);
      aes.cbcMac(macKeys[s], macViews[(n + 15) >> 4], dst);
    }

    function seal(h: FrameHeader, payload: Uint8Array, out: Uint8Array, off: number): number {
      const n = payload.length;
      if (n > MAX_PAYLOAD_LEN) return -FrameStatus.PayloadTooLong;
      if (out.length < off + n + FRAME_OVERHEAD) return -FrameStatus.BufferTooSmall;
      const e = h.epoch;
      // h comes from the caller: only a byte indexes slotOf
      const s = (e & 255) === e ? slotOf[e] : -1;
      if (s < 0) return -FrameStatus.UnknownEpoch;
      const frame = off === 0 ? out : out.subarray(off);
      h.version = 1;
      h.payloadLen = n;
      encodeHeader(h, tagIn, 0);
      frame.set(tagHead);
      deriveSubkey(s);
      aes.ctr0(subkey, payload, macCt);
      frame.set(macCt.subarray(0, n), HEADER_LEN);
      frameTag(s, n, tagFrameTag);
      frame.set(tagFrameTag, HEADER_LEN + n);
      aes.cbcMac(hdrKeys[s], tagInput, htag);
      frame.set(htag, HEADER_LEN + n + FRAME_TAG_LEN);
      return n + FRAME_OVERHEAD;
    }

    function verifyHeaderTag(frame: Uint8Array, h: FrameHeader): number {
      const s = slotOf[h.epoch];
      if (s < 0) return FrameStatus.UnknownEpoch;
      const t = HEADER_LEN + h.payloadLen;
      // header tag over frame[0..20) | the frame tag at t | 0^4 (tagIn[28..32) stays zero for ever: the input
      // has a fixed length). Written out here and in restamp: a shared helper would cost a call per frame.
      tagIn.set(frame.subarray(0, HEADER_LEN));
      tagIn.set(frame.subarray(t, t + FRAME_TAG_LEN), HEADER_LEN);
      aes.cbcMac(hdrKeys[s], tagInput, htag);
      // the received header tag is at t + 8: all four bytes compared, no early exit (constant time)
      const diff = (frame[t + 8] ^ htag[0]) | (frame[t + 9] ^ htag[1]) | (frame[t + 10] ^ htag[2])
        | (frame[t + 11] ^ htag[3]);
      return diff === 0 ? FrameStatus.Ok : FrameStatus.BadHeaderTag;
    }

    function open(frame: Uint8Array, h: FrameHeader, payloadOut: Uint8Array): number {
      // also leaves the header and the received frame tag in tagIn
      const st = verifyHeaderTag(frame, h);
      if (st !== FrameStatus.Ok) return st;
      const n = h.payloadLen;
      if (payloadOut.length < n) return FrameStatus.BufferTooSmall;
      const s = slotOf[h.epoch];
      const ct = frame.subarray(HEADER_LEN, HEADER_LEN + n);
      macCt.set(ct);
      frameTag(s, n, ownTag);
      // received frame tag at tagIn[20..28), ours at [32..40): two u32 compares, no early exit
      const diff = (tagView.getUint32(HEADER_LEN) ^ tagView.getUint32(Scratch.OwnTag))
        | (tagView.getUint32(HEADER_LEN + 4) ^ tagView.getUint32(Scratch.OwnTag + 4));
      if (diff !== 0) return FrameStatus.BadFrameTag;
      deriveSubkey(s);
      aes.ctr0(subkey, ct, payloadOut);
      return FrameStatus.Ok;
    }

    function restamp(frame: Uint8Array, h: FrameHeader, hopLimit: number, prevHop: number): number {
      const s = slotOf[h.epoch];
      if (s < 0) return FrameStatus.UnknownEpoch;
      if (hopLimit > h.hopStart || hopLimit < 0) return FrameStatus.BadHops;
      const t = HEADER_LEN + h.payloadLen;
      h.hopLimit = hopLimit;
      h.prevHop = prevHop & 0xffff;
      frame[Off.HopLimit] = hopLimit;
      frame[Off.PrevHop] = prevHop >> 8;
      frame[Off.PrevHop + 1] = prevHop;
      // header tag as in verifyHeaderTag
      tagIn.set(frame.subarray(0, HEADER_LEN));
      tagIn.set(frame.subarray(t, t + FRAME_TAG_LEN), HEADER_LEN);
      aes.cbcMac(hdrKeys[s], tagInput, htag);
      frame.set(htag, t + FRAME_TAG_LEN);
      return FrameStatus.Ok;
    }

    return { seal: seal, open: open, verifyHeaderTag: verifyHeaderTag, restamp: restamp };
  };
}

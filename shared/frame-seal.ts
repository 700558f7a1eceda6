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
 * Buffers: all scratch is allocated once here and wiped of plaintext after use; `out` and `payloadOut`
 * belong to the caller.
 */
import type { Aes128 } from './ports.ts';
import type { Keyring } from './keyring.ts';
import {
  FRAME_OVERHEAD, FRAME_TAG_LEN, FrameStatus, HEADER_LEN, HEADER_TAG_LEN, MAX_PAYLOAD_LEN, Off,
  encodeHeader,
} from './frame.ts';
import type { FrameHeader } from './frame.ts';

/** frame-tag MAC input: header block pair, then up to MAX_PAYLOAD_LEN of ciphertext padded to 16 */
const MAC_HEAD = 32;
const MAC_MAX = MAC_HEAD + ((MAX_PAYLOAD_LEN + 15) & ~15);

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
  /** Check the header tag only (what a relay does). */
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
    const keys = c.keys;
    const nonce = new Uint8Array(16);
    const subkey = new Uint8Array(16);
    const mac = new Uint8Array(MAC_MAX);
    const macHead = mac.subarray(0, HEADER_LEN);
    const macCt = mac.subarray(MAC_HEAD);
    const hdr = new Uint8Array(32);
    const tag = new Uint8Array(FRAME_TAG_LEN);
    const htag = new Uint8Array(HEADER_TAG_LEN);
    // one view per padded MAC length, so the hot path never slices
    const macViews: Uint8Array[] = [];
    for (let n = MAC_HEAD; n <= MAC_MAX; n += 16) macViews.push(mac.subarray(0, n));
    nonce[0] = 0x4e;

    /** Derive the per-frame CTR subkey for (epoch in slot, src, seq) into `subkey`. */
    function deriveSubkey(s: number, h: FrameHeader): void {
      nonce[1] = h.epoch;
      nonce[2] = h.src >>> 24; nonce[3] = h.src >>> 16; nonce[4] = h.src >>> 8; nonce[5] = h.src;
      nonce[6] = h.seq >>> 24; nonce[7] = h.seq >>> 16; nonce[8] = h.seq >>> 8; nonce[9] = h.seq;
      aes.ecb(keys.enc(s), nonce, subkey);
    }

    /** Frame tag over mac[] whose header block and ciphertext are in place: result in `tag`. */
    function frameTag(s: number, n: number): void {
      mac[Off.HopLimit] = 0;
      mac[Off.PrevHop] = 0;
      mac[Off.PrevHop + 1] = 0;
      const end = MAC_HEAD + ((n + 15) & ~15);
      mac.fill(0, MAC_HEAD + n, end);
      aes.cbcMac(keys.mac(s), macViews[(end - MAC_HEAD) >> 4], tag);
    }

    /** Header tag of frame[0..20) + the frame tag that follows the n-byte payload: result in `htag`.
     *  hdr[28..32) stays zero for ever: the input has a fixed length. */
    function headerTag(s: number, frame: Uint8Array, n: number): void {
      hdr.set(frame.subarray(0, HEADER_LEN));
      hdr.set(frame.subarray(HEADER_LEN + n, HEADER_LEN + n + FRAME_TAG_LEN), HEADER_LEN);
      aes.cbcMac(keys.hdr(s), hdr, htag);
    }

    function same(a: Uint8Array, ao: number, b: Uint8Array, len: number): boolean {
      let d = 0;
      for (let i = 0; i < len; i++) d |= a[ao + i] ^ b[i];
      return d === 0;
    }

    function seal(h: FrameHeader, payload: Uint8Array, out: Uint8Array, off: number): number {
      const n = payload.length;
      if (n > MAX_PAYLOAD_LEN) return -FrameStatus.PayloadTooLong;
      if (out.length < off + n + FRAME_OVERHEAD) return -FrameStatus.BufferTooSmall;
      const s = keys.slot(h.epoch);
      if (s < 0) return -FrameStatus.UnknownEpoch;
      h.version = 1;
      h.payloadLen = n;
      encodeHeader(h, mac, 0);
      out.set(macHead, off);
      deriveSubkey(s, h);
      aes.ctr0(subkey, payload, macCt);
      out.set(macCt.subarray(0, n), off + HEADER_LEN);
      frameTag(s, n);
      out.set(tag, off + HEADER_LEN + n);
      const frame = off === 0 ? out : out.subarray(off);
      headerTag(s, frame, n);
      out.set(htag, off + HEADER_LEN + n + FRAME_TAG_LEN);
      subkey.fill(0);
      return n + FRAME_OVERHEAD;
    }

    function verifyHeaderTag(frame: Uint8Array, h: FrameHeader): number {
      const s = keys.slot(h.epoch);
      if (s < 0) return FrameStatus.UnknownEpoch;
      const n = h.payloadLen;
      headerTag(s, frame, n);
      return same(frame, HEADER_LEN + n + FRAME_TAG_LEN, htag, HEADER_TAG_LEN)
        ? FrameStatus.Ok : FrameStatus.BadHeaderTag;
    }

    function open(frame: Uint8Array, h: FrameHeader, payloadOut: Uint8Array): number {
      const st = verifyHeaderTag(frame, h);
      if (st !== FrameStatus.Ok) return st;
      const s = keys.slot(h.epoch);
      const n = h.payloadLen;
      if (payloadOut.length < n) return FrameStatus.BufferTooSmall;
      mac.set(frame.subarray(0, HEADER_LEN));
      macCt.set(frame.subarray(HEADER_LEN, HEADER_LEN + n));
      frameTag(s, n);
      if (!same(frame, HEADER_LEN + n, tag, FRAME_TAG_LEN)) return FrameStatus.BadFrameTag;
      deriveSubkey(s, h);
      aes.ctr0(subkey, macCt.subarray(0, n), payloadOut);
      subkey.fill(0);
      return FrameStatus.Ok;
    }

    function restamp(frame: Uint8Array, h: FrameHeader, hopLimit: number, prevHop: number): number {
      const s = keys.slot(h.epoch);
      if (s < 0) return FrameStatus.UnknownEpoch;
      if (hopLimit > h.hopStart || hopLimit < 0) return FrameStatus.BadHops;
      h.hopLimit = hopLimit;
      h.prevHop = prevHop & 0xffff;
      frame[Off.HopLimit] = hopLimit;
      frame[Off.PrevHop] = h.prevHop >> 8;
      frame[Off.PrevHop + 1] = h.prevHop;
      headerTag(s, frame, h.payloadLen);
      frame.set(htag, HEADER_LEN + h.payloadLen + FRAME_TAG_LEN);
      return FrameStatus.Ok;
    }

    return { seal: seal, open: open, verifyHeaderTag: verifyHeaderTag, restamp: restamp };
  };
}

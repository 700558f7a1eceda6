/**
 * The Meshwork frame: one radio datagram of at most 250 bytes (the ESP-NOW v1 payload limit).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------+-------+---------------+---------------+---------------+
 * |version| type  |     flags     |  hop limit *  |   hop start   |  0..3
 * +-------+-------+---------------+---------------+---------------+
 * |   key epoch   |              source node id (u32) ...         |  4..7
 * +---------------+-----------------------------------------------+
 * |      ...      |           destination node id (u32) ...       |  8..11
 * +---------------+-----------------------------------------------+
 * |      ...      |            sequence number (u32) ...          |  12..15
 * +---------------+-------------------------------+---------------+
 * |      ...      |     previous hop id * (u16)   |  payload len  |  16..19
 * +---------------+-------------------------------+---------------+
 * |  payload (payload len bytes, AES-CTR encrypted) ...           |  20..
 * +---------------------------------------------------------------+
 * |  frame tag (8 bytes): CBC-MAC over the header (fields marked * zeroed) + ciphertext
 * +---------------------------------------------------------------+
 * |  header tag (4 bytes): CBC-MAC over the whole header + frame tag  (the relay tag)
 * +---------------------------------------------------------------+
 *
 * All integers are big-endian. Fields marked * are rewritten by every relay and so are left out of the
 * frame tag; the header tag covers them and is recomputed by each relay (frame-seal.ts explains the
 * construction). Node id 0 is invalid and 0xFFFFFFFF is broadcast. The sequence number is per (source,
 * epoch), starts at 1 and never wraps (seqno.ts): with the epoch and the source it forms the nonce.
 * `hop start` is the hop limit the source set; relays never raise `hop limit` above it, so hops taken =
 * hop start - hop limit is always known and cannot be inflated by a relay.
 * The 16-bit "previous hop" field is the hop field the router (unicast.ts) writes at every hop: top bit 0 =
 * flooded, low 15 bits = the short id of the node that sent this copy; top bit 1 = routed, low 15 bits =
 * the one neighbour that must forward it next.
 */

export const FRAME_VERSION = 1;
export const HEADER_LEN = 20;
export const FRAME_TAG_LEN = 8;
export const HEADER_TAG_LEN = 4;
/** header + both tags: bytes a frame costs beyond its payload */
export const FRAME_OVERHEAD = HEADER_LEN + FRAME_TAG_LEN + HEADER_TAG_LEN;
export const MAX_FRAME_LEN = 250;
export const MAX_PAYLOAD_LEN = MAX_FRAME_LEN - FRAME_OVERHEAD;
export const BROADCAST = 0xffffffff;

/** Byte offsets of the header fields (see the diagram). */
export const enum Off {
  VerType = 0,
  Flags = 1,
  HopLimit = 2,
  HopStart = 3,
  Epoch = 4,
  Src = 5,
  Dst = 9,
  Seq = 13,
  PrevHop = 17,
  PayloadLen = 19,
}

/** Frame types (4 bits). Routing (issue 3) gives the control types their meaning. */
export const enum FrameType {
  Data = 1,
  Ack = 2,
  Beacon = 3,
  Route = 4,
  Control = 5,
}

/** Flag bits. Flags are covered by the frame tag: only the source sets them. */
export const enum Flag {
  /** payload is one fragment of a longer message (fragmenter.ts) */
  Frag = 0x01,
  /** the source asks for an end-to-end acknowledgement */
  AckReq = 0x02,
  /** do not relay: for one hop only (beacons, bridge downlink by default) */
  NoRelay = 0x04,
}

/** Decode and verification results: errors are values, never exceptions. */
export const enum FrameStatus {
  Ok = 0,
  TooShort = 1,
  TooLong = 2,
  BadVersion = 3,
  BadLength = 4,
  BadHops = 5,
  BadAddress = 6,
  UnknownEpoch = 7,
  BadHeaderTag = 8,
  BadFrameTag = 9,
  Replay = 10,
  Duplicate = 11,
  PayloadTooLong = 12,
  BufferTooSmall = 13,
  SeqExhausted = 14,
}

const STATUS_TEXT = [
  'ok', 'frame shorter than header and tags', 'frame longer than 250 bytes', 'unknown frame version',
  'payload length does not match frame length', 'hop limit above hop start', 'invalid source or destination',
  'no key for this epoch', 'header tag does not verify', 'frame tag does not verify',
  'replayed or too old sequence number', 'duplicate frame', 'payload longer than a frame holds',
  'output buffer too small', 'sequence numbers exhausted for this epoch: rotate the key',
];

/** Human text for a FrameStatus (host tools, logs). */
export function statusText(s: number): string {
  return STATUS_TEXT[s] || 'unknown status ' + s;
}

/** A decoded header. Decoders write into a caller-owned instance, so the hot path allocates nothing. */
export interface FrameHeader {
  version: number;
  type: number;
  flags: number;
  hopLimit: number;
  hopStart: number;
  epoch: number;
  src: number;
  dst: number;
  seq: number;
  prevHop: number;
  payloadLen: number;
}

export function newHeader(): FrameHeader {
  return {
    version: FRAME_VERSION, type: 0, flags: 0, hopLimit: 0, hopStart: 0, epoch: 0,
    src: 0, dst: 0, seq: 0, prevHop: 0, payloadLen: 0,
  };
}

/*
 * decodeHeader and encodeHeader run once per frame on the node, where the interpreter pays per token executed
 * (docs/espruino-costs.md): a helper call costs more than the four byte reads of a u32, so the u32 fields are
 * read and written inline, at constant offsets, and every field is read from the buffer once.
 */

/**
 * Decode and bounds-check the header of the `len`-byte frame in `buf` into `h`.
 * Checks: length within [overhead, 250], version, payload length consistent with the frame length,
 * hop limit ≤ hop start, source neither 0 nor broadcast, destination not 0. Never throws.
 */
export function decodeHeader(buf: Uint8Array, len: number, h: FrameHeader): number {
  if (len < FRAME_OVERHEAD || buf.length < len) return FrameStatus.TooShort;
  if (len > MAX_FRAME_LEN) return FrameStatus.TooLong;
  const vt = buf[Off.VerType];
  if (vt >> 4 !== FRAME_VERSION) return FrameStatus.BadVersion;
  const hopLimit = buf[Off.HopLimit];
  const hopStart = buf[Off.HopStart];
  const src = ((buf[Off.Src] << 24) | (buf[Off.Src + 1] << 16) | (buf[Off.Src + 2] << 8) | buf[Off.Src + 3]) >>> 0;
  const dst = ((buf[Off.Dst] << 24) | (buf[Off.Dst + 1] << 16) | (buf[Off.Dst + 2] << 8) | buf[Off.Dst + 3]) >>> 0;
  const payloadLen = buf[Off.PayloadLen];
  h.version = FRAME_VERSION;
  h.type = vt & 15;
  h.flags = buf[Off.Flags];
  h.hopLimit = hopLimit;
  h.hopStart = hopStart;
  h.epoch = buf[Off.Epoch];
  h.src = src;
  h.dst = dst;
  h.seq = ((buf[Off.Seq] << 24) | (buf[Off.Seq + 1] << 16) | (buf[Off.Seq + 2] << 8) | buf[Off.Seq + 3]) >>> 0;
  h.prevHop = (buf[Off.PrevHop] << 8) | buf[Off.PrevHop + 1];
  h.payloadLen = payloadLen;
  if (payloadLen + FRAME_OVERHEAD !== len) return FrameStatus.BadLength;
  if (hopLimit > hopStart) return FrameStatus.BadHops;
  if (src === 0 || src === BROADCAST || dst === 0) return FrameStatus.BadAddress;
  return FrameStatus.Ok;
}

/** Write the header `h` into out[off..off+20). The caller has checked that out is long enough. */
export function encodeHeader(h: FrameHeader, out: Uint8Array, off: number): void {
  // a view for a non-zero offset, so the writes below use constant indices (cheaper than off + k each)
  const b = off === 0 ? out : out.subarray(off, off + HEADER_LEN);
  const src = h.src;
  const dst = h.dst;
  const seq = h.seq;
  b[Off.VerType] = (h.version << 4) | (h.type & 15);
  b[Off.Flags] = h.flags;
  b[Off.HopLimit] = h.hopLimit;
  b[Off.HopStart] = h.hopStart;
  b[Off.Epoch] = h.epoch;
  b[Off.Src] = src >>> 24; b[Off.Src + 1] = src >>> 16; b[Off.Src + 2] = src >>> 8; b[Off.Src + 3] = src;
  b[Off.Dst] = dst >>> 24; b[Off.Dst + 1] = dst >>> 16; b[Off.Dst + 2] = dst >>> 8; b[Off.Dst + 3] = dst;
  b[Off.Seq] = seq >>> 24; b[Off.Seq + 1] = seq >>> 16; b[Off.Seq + 2] = seq >>> 8; b[Off.Seq + 3] = seq;
  b[Off.PrevHop] = h.prevHop >> 8;
  b[Off.PrevHop + 1] = h.prevHop;
  b[Off.PayloadLen] = h.payloadLen;
}

/** Read the fields a relay needs without a full decode (frame already checked by decodeHeader). */
export function frameSrc(buf: Uint8Array): number {
  return ((buf[Off.Src] << 24) | (buf[Off.Src + 1] << 16) | (buf[Off.Src + 2] << 8) | buf[Off.Src + 3]) >>> 0;
}

export function frameSeq(buf: Uint8Array): number {
  return ((buf[Off.Seq] << 24) | (buf[Off.Seq + 1] << 16) | (buf[Off.Seq + 2] << 8) | buf[Off.Seq + 3]) >>> 0;
}

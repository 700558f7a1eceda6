/**
 * Control payload codecs: beacons (FrameType.Beacon) and route adverts (FrameType.Route). Both are compact
 * binary layouts, not CBOR: every node parses every beacon it hears, and CBOR costs ~150k interpreter
 * instructions per item (ESPRUINO.md). All integers big-endian. Decoders check bounds before every read,
 * write into caller-owned records (no allocation) and return a status; they never throw on hostile bytes.
 *
 * Beacon (one hop: Flag.NoRelay, hop limit 0, dst broadcast), 8 + 6n bytes, n ≤ BEACON_MAX_ENTRIES:
 *
 *    0               1               2               3
 *    0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *   +-------+-------+---------------+-------------------------------+
 *   |  ver  | flags |  entries (n)  |      beacon seqno (u16)       |  0..3
 *   +-------+-------+---------------+-------------------------------+
 *   |  interval (u16, 10 ms units)  |   own route seqno (u16)       |  4..7
 *   +-------------------------------+-------------------------------+
 *   |  neighbour id (u32)                                           |  8 + 6i
 *   +---------------+-+-+-----------+-------------------------------+
 *   | rx ratio (u8) |0|L|  samples  |   ... next entry                 12 + 6i
 *   +---------------+-+-+-----------+
 *   ver          BEACON_VERSION (2); a beacon of another version is refused (BadVersion). Version 1 had 5-byte
 *                entries (no info byte). Route adverts have their own ADVERT_VERSION (1).
 *   flags        BeaconFlag bits: the sender is a gateway / a leaf (never relays)
 *   beacon seqno +1 per beacon, wrapping: receivers count missed beacons from gaps (Babel hellos, RFC 8966
 *                §3.4.1), which works whatever the interval was
 *   interval     the sender's current beacon interval: receivers expire it after a few missed intervals
 *   route seqno  the sender's own route sequence number: a beacon doubles as the sender's update for itself
 *                (metric 0), so one-hop routes need no route advert
 *   entries      what the sender hears: for each neighbour, the share of that neighbour's beacons it received
 *                (0..255 = 0..1). The receiver finds itself in the list: that is its outgoing delivery
 *                ratio, so both directions of the link are known (ETX = 1 / (df · dr)).
 *   samples      how many of that neighbour's beacon slots the ratio is measured over (0..32; BeaconInfo.Samples):
 *                a neighbour heard once reads 1/1 = 255, and a ratio is worth only as much as its samples.
 *                Flooding trusts a ratio to cover a neighbour only from TRUST_SAMPLES up (_two-hop.ts), so a
 *                weak link heard once is never taken for a perfect one (a coverage hole behind a bridge)
 *   L            BeaconInfo.Leaf: that neighbour is a leaf (never relays): nobody counts on it to pass a flood on
 *   0            reserved: sent as 0, ignored on receipt
 *
 * Route advert (one hop, like a beacon), 4 + 8n bytes, n ≤ ADVERT_MAX_ENTRIES:
 *
 *   +-------+-------+---------------+-------------------------------+
 *   |  ver  | kind  |  entries (n)  |  interval (u16, 100 ms units) |  0..3
 *   +-------+-------+---------------+-------------------------------+
 *   |  destination id (u32)                                         |  4 + 8i
 *   +-------------------------------+-+-----------------------------+
 *   |     route seqno (u16)         |G|      metric (15 bits)       |  8 + 8i
 *   +-------------------------------+-+-----------------------------+
 *   kind      AdvertKind.Update: the sender's routes (a full dump or a triggered update);
 *             AdvertKind.Request: a seqno request (RFC 8966 §3.8.1.2) for entry 0's destination, asking it to
 *             raise its route seqno to at least entry 0's seqno; sent as a unicast frame to that destination
 *   interval  the longest gap between the sender's full dumps: receivers expire routes it does not refresh
 *             within 3.5 of these
 *   G         the destination is a gateway (bridges to the internet): routes to it form the default route
 *   metric    ETX × 100 summed along the path; METRIC_INF (0x7fff) is a retraction
 */

export const BEACON_VERSION = 2;
/** route adverts keep their own version: their layout did not change with beacon version 2 */
export const ADVERT_VERSION = 1;
export const BEACON_HEADER = 8;
export const BEACON_ENTRY = 6;
/** (218 - 8) / 6: entries that fit one frame payload (frame.ts MAX_PAYLOAD_LEN); ≥ the boards' 32 neighbours */
export const BEACON_MAX_ENTRIES = 35;
export const ADVERT_HEADER = 4;
export const ADVERT_ENTRY = 8;
/** (218 - 4) / 8 */
export const ADVERT_MAX_ENTRIES = 26;
/** route metric meaning "unreachable" (a retraction) */
export const METRIC_INF = 0x7fff;

export const enum BeaconFlag {
  Gateway = 1,
  Leaf = 2,
  /** a repeater (repeater.ts): relays every flood frame, reports no links; routers count it as missing a
   *  frame until they overhear it relay that frame */
  Repeater = 4,
}

/** The per-entry info byte of a beacon. */
export const enum BeaconInfo {
  /** low 6 bits: beacon slots the ratio is measured over */
  Samples = 0x3f,
  /** the neighbour is a leaf */
  Leaf = 0x40,
}

export const enum AdvertKind {
  Update = 0,
  Request = 1,
}

/** Decode results (negative = refused). */
export const enum CodecStatus {
  Ok = 0,
  TooShort = -1,
  BadVersion = -2,
  BadCount = -3,
}

export interface Beacon {
  flags: number;
  seq: number;
  intervalMs: number;
  routeSeq: number;
  n: number;
  /** neighbour ids, [0, n) valid */
  ids: Uint32Array;
  /** rx ratio 0..255 per entry */
  ratios: Uint8Array;
  /** BeaconInfo per entry: samples behind the ratio, leaf bit */
  info: Uint8Array;
}

export interface Advert {
  kind: number;
  intervalMs: number;
  n: number;
  dsts: Uint32Array;
  seqs: Uint16Array;
  metrics: Uint16Array;
  /** 1 where the destination is a gateway */
  gw: Uint8Array;
}

export function newBeacon(): Beacon {
  return {
    flags: 0, seq: 0, intervalMs: 0, routeSeq: 0, n: 0,
    ids: new Uint32Array(BEACON_MAX_ENTRIES), ratios: new Uint8Array(BEACON_MAX_ENTRIES),
    info: new Uint8Array(BEACON_MAX_ENTRIES),
  };
}

export function newAdvert(): Advert {
  return {
    kind: 0, intervalMs: 0, n: 0,
    dsts: new Uint32Array(ADVERT_MAX_ENTRIES), seqs: new Uint16Array(ADVERT_MAX_ENTRIES),
    metrics: new Uint16Array(ADVERT_MAX_ENTRIES), gw: new Uint8Array(ADVERT_MAX_ENTRIES),
  };
}

function rd32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

function clampU16(v: number): number {
  return v < 0 ? 0 : v > 0xffff ? 0xffff : Math.round(v);
}

/** Bytes a beacon with n entries takes. */
export function beaconLength(n: number): number {
  return BEACON_HEADER + n * BEACON_ENTRY;
}

/** Write b into out[off..]; returns the length, or -1 when n is out of range or out too short. */
export function encodeBeacon(b: Beacon, out: Uint8Array, off: number): number {
  const n = b.n;
  if (!(n >= 0 && n <= BEACON_MAX_ENTRIES)) return -1;
  const len = beaconLength(n);
  if (off + len > out.length) return -1;
  out[off] = (BEACON_VERSION << 4) | (b.flags & 15);
  out[off + 1] = n;
  out[off + 2] = b.seq >> 8;
  out[off + 3] = b.seq;
  const iv = clampU16(b.intervalMs / 10);
  out[off + 4] = iv >> 8;
  out[off + 5] = iv;
  out[off + 6] = b.routeSeq >> 8;
  out[off + 7] = b.routeSeq;
  let o = off + BEACON_HEADER;
  for (let i = 0; i < n; i++) {
    wr32(out, o, b.ids[i]);
    out[o + 4] = b.ratios[i];
    out[o + 5] = b.info[i] & 0x7f;
    o += BEACON_ENTRY;
  }
  return len;
}

/** Decode buf[off..off+len) into b. Entries with id 0 or broadcast are kept (the reader ignores unknown ids). */
export function decodeBeacon(buf: Uint8Array, off: number, len: number, b: Beacon): number {
  if (len < BEACON_HEADER || off + len > buf.length) return CodecStatus.TooShort;
  if (buf[off] >> 4 !== BEACON_VERSION) return CodecStatus.BadVersion;
  const n = buf[off + 1];
  if (n > BEACON_MAX_ENTRIES || len < beaconLength(n)) return CodecStatus.BadCount;
  b.flags = buf[off] & 15;
  b.n = n;
  b.seq = (buf[off + 2] << 8) | buf[off + 3];
  b.intervalMs = ((buf[off + 4] << 8) | buf[off + 5]) * 10;
  b.routeSeq = (buf[off + 6] << 8) | buf[off + 7];
  let o = off + BEACON_HEADER;
  for (let i = 0; i < n; i++) {
    b.ids[i] = rd32(buf, o);
    b.ratios[i] = buf[o + 4];
    b.info[i] = buf[o + 5] & 0x7f;
    o += BEACON_ENTRY;
  }
  return CodecStatus.Ok;
}

export function advertLength(n: number): number {
  return ADVERT_HEADER + n * ADVERT_ENTRY;
}

/** Write a's header and entries [0, a.n) into out[off..]; returns the length or -1. */
export function encodeAdvert(a: Advert, out: Uint8Array, off: number): number {
  const n = a.n;
  if (!(n >= 0 && n <= ADVERT_MAX_ENTRIES)) return -1;
  const len = advertLength(n);
  if (off + len > out.length) return -1;
  out[off] = (ADVERT_VERSION << 4) | (a.kind & 15);
  out[off + 1] = n;
  const iv = clampU16(a.intervalMs / 100);
  out[off + 2] = iv >> 8;
  out[off + 3] = iv;
  let o = off + ADVERT_HEADER;
  for (let i = 0; i < n; i++) {
    wr32(out, o, a.dsts[i]);
    out[o + 4] = a.seqs[i] >> 8;
    out[o + 5] = a.seqs[i];
    const m = (a.metrics[i] > METRIC_INF ? METRIC_INF : a.metrics[i]) | (a.gw[i] ? 0x8000 : 0);
    out[o + 6] = m >> 8;
    out[o + 7] = m;
    o += ADVERT_ENTRY;
  }
  return len;
}

export function decodeAdvert(buf: Uint8Array, off: number, len: number, a: Advert): number {
  if (len < ADVERT_HEADER || off + len > buf.length) return CodecStatus.TooShort;
  if (buf[off] >> 4 !== ADVERT_VERSION) return CodecStatus.BadVersion;
  const n = buf[off + 1];
  if (n > ADVERT_MAX_ENTRIES || len < advertLength(n)) return CodecStatus.BadCount;
  a.kind = buf[off] & 15;
  a.n = n;
  a.intervalMs = ((buf[off + 2] << 8) | buf[off + 3]) * 100;
  let o = off + ADVERT_HEADER;
  for (let i = 0; i < n; i++) {
    a.dsts[i] = rd32(buf, o);
    a.seqs[i] = (buf[o + 4] << 8) | buf[o + 5];
    const m = (buf[o + 6] << 8) | buf[o + 7];
    a.metrics[i] = m & METRIC_INF;
    a.gw[i] = m >> 15;
    o += ADVERT_ENTRY;
  }
  return CodecStatus.Ok;
}

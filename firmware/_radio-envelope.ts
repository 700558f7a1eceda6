/**
 * The 8-byte envelope in front of every Meshwork frame carried in a UDP datagram (wifi-udp and
 * udp-loopback; ESP-NOW carries bare frames). It lets a receiver drop stray datagrams from other software on
 * the same port cheaply, drop its own broadcasts echoed back (Linux loops broadcasts to the sender; lwIP may),
 * and lets the air process (host/air/) say who sent a frame and how strong it arrived.
 *
 *  0        1        2        3        4        5        6        7
 * +--------+--------+--------+--------+--------+--------+--------+--------+
 * |  'M'   |  'w'   |  kind  |  rssi  |        sender node id (u32 BE)    |  then the frame (≤ 250 bytes)
 * +--------+--------+--------+--------+--------+--------+--------+--------+
 *
 * kind: 1 FRAME, 2 HELLO (node → air registration / keep-alive; wifi-udp link hello), high nibble = envelope
 * version (0). rssi: i8, dBm as the air computed it (air → node); 0 = "unknown" from a node.
 * The header is built once per driver into a preallocated string prefix (E.toString of 8 bytes) so a send
 * costs one native copy of the frame and one string concatenation, no per-byte JS.
 */
export const ENV_LEN = 8;
export const ENV_M = 0x4d;
export const ENV_W = 0x77;
export const KIND_FRAME = 1;
export const KIND_HELLO = 2;

/** fill the 8 envelope bytes at dst[0..8) */
export function writeEnvelope(dst: Uint8Array, kind: number, rssi: number, id: number): void {
  dst[0] = ENV_M;
  dst[1] = ENV_W;
  dst[2] = kind;
  dst[3] = rssi & 255;
  dst[4] = (id >>> 24) & 255;
  dst[5] = (id >>> 16) & 255;
  dst[6] = (id >>> 8) & 255;
  dst[7] = id & 255;
}

/** envelope kind of a received datagram's bytes, or 0 when it is not ours */
export function envelopeKind(b: Uint8Array): number {
  if (b.length < ENV_LEN || b[0] !== ENV_M || b[1] !== ENV_W) return 0;
  const k = b[2];
  return k === KIND_FRAME || k === KIND_HELLO ? k : 0;
}

export function envelopeRssi(b: Uint8Array): number {
  const r = b[3];
  return r > 127 ? r - 256 : r;
}

export function envelopeId(b: Uint8Array): number {
  return ((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]) >>> 0;
}

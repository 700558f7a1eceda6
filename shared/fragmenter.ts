/**
 * Fragmenter: splits an application message of up to FRAG_MAX_MESSAGE bytes into fragment payloads, one per
 * frame. The fragment header sits INSIDE the (encrypted, authenticated) frame payload: relays never look at
 * it; the sender sets the FRAG flag in the frame header, and reassembly.ts rebuilds the message at the end.
 *
 * Fragment payload (all integers big-endian):
 *
 *    0               1               2               3
 *    0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *   +-------------------------------+---------------+---------------+
 *   |          msgId (u16)          |  index (u8)   |  count (u8)   |   every fragment: 4 bytes
 *   +-------------------------------+---------------+---------------+
 *   |      totalLength (u16)        |      crc32 (u32) ...          |   index 0 only: 6 more bytes
 *   +-------------------------------+-------------------------------+
 *   |      ... crc32 (cont.)        |  chunk bytes ...                  (index 0: from byte 10)
 *   +-------------------------------+                                   (index > 0: from byte 4)
 *
 *   msgId        per source, wrapping; a source should start from a random value after boot so that a
 *                reboot rarely reuses the id of a message still being reassembled somewhere
 *   count        1..FRAG_MAX_COUNT (32): one bit each in the receiver's Uint32Array bitmap
 *   index        0..count-1
 *   totalLength  length of the whole message, 0..FRAG_MAX_MESSAGE
 *   crc32        CRC-32 (IEEE, as zlib / E.CRC32) of the whole message: catches fragments of two messages
 *                that share (source, msgId) being stitched together
 *
 * Chunk sizing: every fragment except the last carries exactly `chunk = maxPayload - 10` bytes (the room left
 * in fragment 0), so chunk i lives at offset i * chunk and a receiver can place any non-last fragment without
 * having seen fragment 0. The price is 6 unused bytes in each fragment after the first (3% at 219 bytes).
 * The last fragment carries the rest: 1..chunk bytes (0 only for an empty message, count 1).
 *
 * Sans-IO and allocation-free: the caller owns `message` and `out`; chunks are copied with typed-array
 * `set` over a `subarray` view (one native call per fragment). The CRC is computed once per message by the
 * caller through the Crc32 port and passed to writeFragment.
 */

/** Header bytes of fragments with index > 0. */
export const FRAG_HEADER_BYTES = 4;
/** Header bytes of fragment 0 (adds totalLength u16 and crc32 u32). */
export const FRAG_FIRST_HEADER_BYTES = 10;
/** Most fragments per message: the receiver tracks them in one 32-bit bitmap. */
export const FRAG_MAX_COUNT = 32;
/** Largest message the protocol fragments (totalLength is a u16, but 4 KB is the protocol's limit). */
export const FRAG_MAX_MESSAGE = 4096;

/** Chunk bytes carried by every non-last fragment for a given fragment payload budget (≤ 0: unusable). */
export function fragmentChunkSize(maxPayload: number): number {
  return maxPayload - FRAG_FIRST_HEADER_BYTES;
}

/**
 * Number of fragments for a message of `messageLength` bytes when each fragment payload may hold
 * `maxPayload` bytes. Returns 0 when it cannot be fragmented: longer than FRAG_MAX_MESSAGE, more than
 * FRAG_MAX_COUNT fragments (maxPayload too small for this length), or maxPayload below 11 bytes.
 * An empty message is one fragment (header only).
 */
export function fragmentCount(messageLength: number, maxPayload: number): number {
  const chunk = maxPayload - FRAG_FIRST_HEADER_BYTES;
  if (!(chunk >= 1) || !(messageLength >= 0) || messageLength > FRAG_MAX_MESSAGE) return 0;
  if (messageLength <= chunk) return 1;
  const n = Math.ceil(messageLength / chunk);
  return n > FRAG_MAX_COUNT ? 0 : n;
}

/**
 * Write fragment `index` of `message` into out[off..]: returns the offset just past it.
 * `crc` is the CRC-32 of the whole message (written in fragment 0 only; ignored for other indices).
 * `msgId` is taken modulo 2^16 so a caller may simply increment it.
 * Throws (API misuse) when the message cannot be fragmented with this maxPayload, the index is out of range,
 * or `out` is too short: call fragmentCount first.
 * Ownership: nothing is kept; `out` is written, `message` only read.
 */
export function writeFragment(
  message: Uint8Array,
  msgId: number,
  index: number,
  maxPayload: number,
  crc: number,
  out: Uint8Array,
  off: number,
): number {
  const len = message.length;
  const count = fragmentCount(len, maxPayload);
  if (count === 0) throw new Error('meshwork/fragmenter: message of ' + len + ' bytes does not fit in maxPayload ' + maxPayload);
  if (!(index >= 0 && index < count) || index !== (index | 0)) throw new Error('meshwork/fragmenter: index out of range');
  const chunk = maxPayload - FRAG_FIRST_HEADER_BYTES;
  const start = index * chunk;
  const end = start + chunk < len ? start + chunk : len;
  const hdr = index === 0 ? FRAG_FIRST_HEADER_BYTES : FRAG_HEADER_BYTES;
  if (!(off >= 0) || off + hdr + (end - start) > out.length) throw new Error('meshwork/fragmenter: out too short');
  const id = msgId & 0xffff;
  out[off] = id >> 8;
  out[off + 1] = id & 0xff;
  out[off + 2] = index;
  out[off + 3] = count;
  if (index === 0) {
    const c = crc >>> 0;
    out[off + 4] = len >> 8;
    out[off + 5] = len & 0xff;
    out[off + 6] = c >>> 24;
    out[off + 7] = (c >>> 16) & 0xff;
    out[off + 8] = (c >>> 8) & 0xff;
    out[off + 9] = c & 0xff;
  }
  out.set(message.subarray(start, end), off + hdr);
  return off + hdr + (end - start);
}

/**
 * An independent implementation of the frame construction (shared/frame-seal.ts header comment) on
 * node:crypto only, written from the spec text, not from the shared code. Vectors are generated with it,
 * so every backend of the real code is checked against a second reading of the spec.
 */
import { createCipheriv } from 'node:crypto';

function aesEcb(key: Buffer, data: Buffer): Buffer {
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

function aesCtr0(key: Buffer, data: Buffer): Buffer {
  const c = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([c.update(data), c.final()]);
}

function cbcMac(key: Buffer, data: Buffer): Buffer {
  const c = createCipheriv('aes-128-cbc', key, Buffer.alloc(16));
  c.setAutoPadding(false);
  const out = Buffer.concat([c.update(data), c.final()]);
  return out.subarray(out.length - 16);
}

function pad16(b: Buffer): Buffer {
  const n = (b.length + 15) & ~15;
  return Buffer.concat([b, Buffer.alloc(n - b.length)]);
}

export function deriveSubkeys(nk: Buffer): { enc: Buffer; mac: Buffer; hdr: Buffer } {
  const label = (i: number) => Buffer.from([i, 0x4d, 0x57, 0x31, ...new Array(12).fill(0)]);
  return { enc: aesEcb(nk, label(1)), mac: aesEcb(nk, label(2)), hdr: aesEcb(nk, label(3)) };
}

export interface RefHeader {
  type: number; flags: number; hopLimit: number; hopStart: number; epoch: number;
  src: number; dst: number; seq: number; prevHop: number;
}

export function refHeader(h: RefHeader, payloadLen: number): Buffer {
  const b = Buffer.alloc(20);
  b[0] = (1 << 4) | h.type;
  b[1] = h.flags;
  b[2] = h.hopLimit;
  b[3] = h.hopStart;
  b[4] = h.epoch;
  b.writeUInt32BE(h.src, 5);
  b.writeUInt32BE(h.dst, 9);
  b.writeUInt32BE(h.seq, 13);
  b.writeUInt16BE(h.prevHop, 17);
  b[19] = payloadLen;
  return b;
}

export function refHeaderTag(hdrKey: Buffer, header: Buffer, frameTag: Buffer): Buffer {
  return cbcMac(hdrKey, Buffer.concat([header, frameTag, Buffer.alloc(4)])).subarray(0, 4);
}

/** The whole sealed frame for network key nk. */
export function refSeal(nk: Buffer, h: RefHeader, payload: Buffer): Buffer {
  const k = deriveSubkeys(nk);
  const header = refHeader(h, payload.length);
  const nonce = Buffer.alloc(16);
  nonce[0] = 0x4e;
  nonce[1] = h.epoch;
  nonce.writeUInt32BE(h.src, 2);
  nonce.writeUInt32BE(h.seq, 6);
  const kp = aesEcb(k.enc, nonce);
  const ct = aesCtr0(kp, payload);
  const hz = Buffer.from(header);
  hz[2] = 0;
  hz[17] = 0;
  hz[18] = 0;
  const frameTag = cbcMac(k.mac, Buffer.concat([hz, Buffer.alloc(12), pad16(ct)])).subarray(0, 8);
  const headerTag = refHeaderTag(k.hdr, header, frameTag);
  return Buffer.concat([header, ct, frameTag, headerTag]);
}

/**
 * Host backend of the link's LinkNatives port (shared/host-link.ts) on Buffer and node:zlib: binary strings
 * are latin1. `atob` is as lenient as Espruino's (Buffer skips bad characters): shared/host-link.ts
 * decodeBase64 accepts only canonical padded base64 by re-encoding, on both sides.
 */
import type { LinkNatives } from '../../shared/host-link.ts';
import { crc32 } from '../crc32.ts';

const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export const nodeNatives: LinkNatives = {
  bin: (a, b) => (b === undefined ? buf(a).toString('latin1') : Buffer.concat([buf(a), buf(b)]).toString('latin1')),
  bytes: (bin) => {
    const b = Buffer.from(bin, 'latin1');
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  },
  btoa: (bin) => (typeof bin === 'string' ? Buffer.from(bin, 'latin1') : buf(bin)).toString('base64'),
  atob: (text) => Buffer.from(text, 'base64').toString('latin1'),
  crc32: (data) => crc32(typeof data === 'string' ? Buffer.from(data, 'latin1') : data),
};

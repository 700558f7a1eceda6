/**
 * Host backend of the Crc32 port (shared/ports.ts): CRC-32/IEEE 802.3 (reflected, poly 0xEDB88320, init and
 * final XOR 0xFFFFFFFF), the CRC of zlib, PNG and Espruino's E.CRC32.
 *
 * node:zlib.crc32 exists since Node 20.15 / 22.2 (checked: present on the project's Node 20.19+ floor, typed in
 * @types/node 20.19), so it is the backend. The table-driven JS version is the fallback for runtimes without
 * it and the independent cross-check in test/fragmentation.test.ts.
 */
import * as zlib from 'node:zlib';
import type { Crc32 } from '../shared/ports.ts';

const TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Table-driven CRC-32 in plain JS (one table lookup per byte). */
export const crc32Js: Crc32 = (data: Uint8Array): number => {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** The host Crc32 backend: node:zlib.crc32 when the runtime has it, else crc32Js. Unsigned result. */
export const crc32: Crc32 = typeof native === 'function' ? (data: Uint8Array): number => native(data) >>> 0 : crc32Js;

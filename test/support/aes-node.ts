/** An Aes128 on node:crypto, for cross-checks: the shared code run over OpenSSL's AES. */
import { createCipheriv } from 'node:crypto';
import type { Aes128 } from '../../shared/ports.ts';

export function createNodeAes(): Aes128 {
  const zero = Buffer.alloc(16);
  return {
    ecb(key, src, dst) {
      const c = createCipheriv('aes-128-ecb', key, null);
      c.setAutoPadding(false);
      dst.set(c.update(src));
    },
    ctr0(key, src, dst) {
      const c = createCipheriv('aes-128-ctr', key, zero);
      dst.set(c.update(src));
    },
    cbcMac(key, src, dst) {
      const c = createCipheriv('aes-128-cbc', key, zero);
      c.setAutoPadding(false);
      const out = c.update(src);
      dst.set(out.subarray(out.length - 16, out.length - 16 + dst.length));
    },
  };
}

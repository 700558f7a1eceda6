/**
 * Runs the shared vector files against a loaded firmware bundle (global MW), wherever the bundle runs:
 * Node under the Espruino emulation, or the real interpreter. Espruino-safe. It only computes; the Node
 * side (test/bundle-vectors.test.ts) compares with the vector files, so a wrong byte anywhere fails there.
 * Bytes travel as hex strings both ways (Espruino's JSON ignores replacers, and has no TextDecoder).
 */
import { hexToU8, runFrameVectors, u8ToHex as hexN } from './frame-driver.ts';

function u8ToHex(u: Uint8Array): string {
  return hexN(u, u.length);
}

/** AES vectors through the bundle's own backend (MW.aes): ecb / ctr0 output, cbcMac tags. */
export function runAesVectors(mw: any, v: any): string[] {
  const out: string[] = [];
  for (let i = 0; i < v.ecb.length; i++) {
    const c = v.ecb[i]; const src = hexToU8(c.src); const dst = new Uint8Array(src.length);
    mw.aes.ecb(hexToU8(c.key), src, dst); out.push(u8ToHex(dst));
  }
  for (let i = 0; i < v.ctr0.length; i++) {
    const c = v.ctr0[i]; const src = hexToU8(c.src); const dst = new Uint8Array(src.length);
    mw.aes.ctr0(hexToU8(c.key), src, dst); out.push(u8ToHex(dst));
  }
  for (let i = 0; i < v.cbcMac.length; i++) {
    const c = v.cbcMac[i]; const tag = new Uint8Array(c.tag.length >> 1);
    mw.aes.cbcMac(hexToU8(c.key), hexToU8(c.src), tag); out.push(u8ToHex(tag));
  }
  return out;
}

/** CBOR: decode each valid vector and re-encode what came out; invalid ones give "reason@at". */
export function runCborVectors(mw: any, v: any): string[] {
  const out: string[] = [];
  const buf = new Uint8Array(1024);
  for (let i = 0; i < v.valid.length; i++) {
    const r = mw.cbor.decode(hexToU8(v.valid[i].hex));
    if (!r.ok) { out.push('fail:' + r.reason); continue; }
    const n = mw.cbor.encodeInto(r.value, buf, 0);
    out.push(n < 0 ? 'encode-fail' : u8ToHex(buf.subarray(0, n)));
  }
  for (let i = 0; i < v.invalid.length; i++) {
    const r = mw.cbor.decode(hexToU8(v.invalid[i].hex));
    out.push(r.ok ? 'ok' : r.reason + '@' + r.at);
  }
  return out;
}

/** Fragments: write every fragment of each message; then reassemble them last-first. */
export function runFragmentVectors(mw: any, v: any): string[] {
  const out: string[] = [];
  const buf = new Uint8Array(256);
  for (let i = 0; i < v.vectors.length; i++) {
    const c = v.vectors[i];
    const msg = hexToU8(c.message);
    const crc = mw.crc32(msg);
    const n = mw.lib.fragmentCount(msg.length, c.maxPayload);
    const frags: string[] = [];
    for (let k = 0; k < n; k++) frags.push(u8ToHex(buf.subarray(0, mw.lib.writeFragment(msg, c.msgId, k, c.maxPayload, crc, buf, 0))));
    out.push((crc >>> 0).toString(16) + ':' + frags.join(','));
    let st = 0;
    // the firmware's own reassembly lives inside its router: a fresh one from the bundle's factories
    const reasm = mw.reassembly || mw.lib.createReassembly({ slots: 4, maxMessageBytes: 4096, timeoutMs: 30000 })({ crc32: mw.crc32 });
    for (let k = n - 1; k >= 0; k--) st = reasm.accept(0x5000 + i, hexToU8(frags[k]), 1000);
    out.push(st === 1 ? u8ToHex(reasm.message()) : 'status ' + st);
  }
  return out;
}

export function runAllVectors(mw: any, V: any): any {
  return {
    frames: runFrameVectors(mw.lib, mw.aes, V.frames),
    aes: runAesVectors(mw, V.aes),
    cbor: mw.cbor ? runCborVectors(mw, V.cbor) : null,
    fragments: runFragmentVectors(mw, V.fragments),
  };
}

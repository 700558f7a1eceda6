/**
 * The naive baseline for bench/frame.ts: what a first JavaScript mesh would do, written for the
 * comparison only. Frames are JSON text; the payload is base64; dedup is an object keyed by
 * "src:seq" strings with an array as eviction queue; tags are the same AES CBC-MAC as ours but over
 * the JSON text, with fresh buffers per call. Same AES backend as the real path, so the ratio measures
 * framing, parsing, dedup and glue, not the cipher. Espruino-safe, so it runs on the interpreter too.
 */
import type { Aes128 } from '../../shared/ports.ts';

declare const E: { toUint8Array(s: string): Uint8Array; toString(u: Uint8Array): string };
declare function btoa(s: string): string;
declare function atob(s: string): string;

export interface NaiveFrames {
  seal(h: any, payload: Uint8Array): string;
  relay(text: string, selfId: number): string | null;
  open(text: string): Uint8Array | null;
}

export function createNaiveFrames(aes: Aes128, key: Uint8Array, dedupSlots: number): NaiveFrames {
  let seen: any = {};
  let order: string[] = [];
  const zero = new Uint8Array(16);

  function tagOf(text: string): string {
    const b = E.toUint8Array(text);
    const p = new Uint8Array((b.length + 15) & ~15);
    p.set(b);
    const t = new Uint8Array(8);
    aes.cbcMac(key, p, t);
    return btoa(E.toString(t));
  }

  function headerText(o: any): string {
    return JSON.stringify({ v: o.v, t: o.t, f: o.f, hl: o.hl, hs: o.hs, e: o.e, s: o.s, d: o.d, q: o.q, ph: o.ph, p: o.p });
  }

  function seal(h: any, payload: Uint8Array): string {
    const nonce = new Uint8Array(16);
    nonce[0] = h.seq & 255; nonce[1] = h.src & 255;
    const sub = new Uint8Array(16);
    aes.ecb(key, nonce, sub);
    const ct = new Uint8Array(payload.length);
    aes.ctr0(sub, payload, ct);
    const o: any = { v: 1, t: h.type, f: h.flags, hl: h.hopLimit, hs: h.hopStart, e: h.epoch, s: h.src, d: h.dst, q: h.seq, ph: 0, p: btoa(E.toString(ct)) };
    o.tag = tagOf(headerText(o));
    return JSON.stringify(o);
  }

  function relay(text: string, selfId: number): string | null {
    const o = JSON.parse(text);
    const k = o.s + ':' + o.q;
    if (seen[k]) return null;
    if (tagOf(headerText(o)) !== o.tag) return null;
    seen[k] = 1;
    order.push(k);
    if (order.length > dedupSlots) delete seen[order.shift() as string];
    o.hl = o.hl - 1;
    o.ph = selfId & 0xffff;
    o.tag = tagOf(headerText(o));
    return JSON.stringify(o);
  }

  function open(text: string): Uint8Array | null {
    const o = JSON.parse(text);
    if (tagOf(headerText(o)) !== o.tag) return null;
    const nonce = new Uint8Array(16);
    nonce[0] = o.q & 255; nonce[1] = o.s & 255;
    const sub = new Uint8Array(16);
    aes.ecb(key, nonce, sub);
    const ct = E.toUint8Array(atob(o.p));
    const pt = new Uint8Array(ct.length);
    aes.ctr0(sub, ct, pt);
    return pt;
  }

  return {
    seal: seal, relay: relay, open: open,
    // a warm node: the dedup object already holds n entries (lookups in a big object are slow: that is the point)
    prefill: function (n: number) { for (let i = 0; i < n; i++) { const k = (0x7000 + i) + ':' + i; seen[k] = 1; order.push(k); } },
  } as NaiveFrames & { prefill(n: number): void };
}

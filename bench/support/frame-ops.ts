/**
 * Benchmark operations over a loaded firmware bundle (global MW) and the naive baseline, Espruino-safe:
 * bench/frame.ts bundles this file and runs it in Node (emulation) and in the real interpreter, where
 * callgrind counts the instructions of N iterations minus 0 iterations.
 * Each op works on a 200-byte payload, as the targets in the issue are stated.
 */
import { createNaiveFrames } from './naive-frames.ts';

declare const MW: any;
declare const global: any;

/**
 * distinct: how many different frames the relay ops cycle through. It must exceed the dedup capacity when
 * an op runs more often than that, so every relay is of a new frame, as on the air.
 */
export function setupOps(payloadLen: number, distinct: number): any {
  const key = new Uint8Array(16);
  for (let i = 0; i < 16; i++) key[i] = i * 11 + 5;
  MW.keys.set(1, key);
  const h = MW.lib.newHeader();
  h.type = 1; h.hopLimit = 5; h.hopStart = 5; h.epoch = 1; h.src = 0x1234567; h.dst = 0xffffffff; h.seq = 1;
  const payload = new Uint8Array(payloadLen);
  for (let i = 0; i < payloadLen; i++) payload[i] = i & 255;
  const out = new Uint8Array(250);
  const n = payloadLen + 32;
  const frames = new Uint8Array(n * distinct);
  const naiveFrames: string[] = [];
  const naive = createNaiveFrames(MW.aes, key, 256) as any;
  for (let i = 0; i < distinct; i++) {
    h.seq = 100 + i;
    MW.seal.seal(h, payload, out, 0);
    frames.set(out.subarray(0, n), i * n);
    naiveFrames.push(naive.seal(h, payload));
  }
  // warm tables: a node that has been up a while has a full dedup ring
  for (let i = 0; i < 256; i++) MW.dedup.add(0x7000 + i, i + 1);
  naive.prefill(256);
  const work = new Uint8Array(n);
  const rh = MW.lib.newHeader();
  const pl = new Uint8Array(256);
  const one = frames.subarray(0, n);
  let seq = 1000000;
  let k = 0;
  let kn = 0;
  return {
    frameLen: n,
    // a source: fresh sequence number, encrypt, both tags
    seal: function () { h.seq = ++seq; MW.seal.seal(h, payload, out, 0); },
    // a relay: decode, dedup, header tag, re-stamp (hop fields + new header tag), on a frame not seen before
    relay: function () {
      work.set(frames.subarray(k * n, k * n + n));
      k = k + 1 === distinct ? 0 : k + 1;
      const st = MW.relay.inspect(work, n, rh);
      if (st !== 0) throw new Error('relay inspect ' + st);
      MW.relay.forward(work, rh, 0x4242);
    },
    // a destination: decode, both tags, decrypt (replay window is separate)
    open: function () {
      MW.lib.decodeHeader(one, n, rh);
      const st = MW.seal.open(one, rh, pl);
      if (st !== 0) throw new Error('open ' + st);
    },
    naiveSeal: function () { h.seq = ++seq; naive.seal(h, payload); },
    naiveRelay: function () {
      const r = naive.relay(naiveFrames[kn], 0x4242);
      kn = kn + 1 === distinct ? 0 : kn + 1;
      if (r === null) throw new Error('naive relay');
    },
    naiveOpen: function () { if (!naive.open(naiveFrames[0])) throw new Error('naive open'); },
  };
}

export function runOp(ops: any, name: string, iterations: number): void {
  const f = ops[name];
  for (let i = 0; i < iterations; i++) f();
}

global.BENCH = { setupOps: setupOps, runOp: runOp };

/**
 * Cost of the per-frame AES work of a seal (frame-seal.ts): one ECB block (the per-frame subkey), ctr0 over a
 * 200-byte payload, CBC-MAC over 224 bytes. Run: npx tsx bench/aes.ts
 *
 * 1. Node: frames/s for @noble/ciphers, the pure-JS backend and the native backend over the crypto
 *    emulation, with ratios to noble. (Node figures say nothing about Espruino: JIT vs a text-walking
 *    interpreter.)
 * 2. Espruino (when ESPRUINO_BIN names a Linux build): machine instructions per frame under
 *    `valgrind --tool=callgrind`, native vs JS backend, from the difference between a run of N frames and a
 *    run of none (so boot, bundle load and table set-up cancel out), plus the JsVars each backend holds.
 *
 * The instruction counts are for the build at ESPRUINO_BIN: /opt/espruino/espruino is a 32-bit Linux build
 * with the ESP32 memory layout (16383 JsVars of 14 bytes). ESP32 time: roughly instructions × 2-3 / 240 MHz.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createJsAes } from '../firmware/aes-js.ts';
import { createNativeAes } from '../firmware/aes-native.ts';
import { createNobleAes } from '../host/crypto/aes-noble.ts';
import type { Aes128 } from '../shared/ports.ts';
import { createEspruinoCrypto } from '../test/emulation/espruino-crypto.ts';
import { bundleForEspruino, callgrindIr, markedLines } from '../test/support/espruino.ts';

/** Driver running FRAMES seals' worth of AES work on BACKEND ('native' | 'js'): both are `define`d. */
const FRAME_DRIVER = `
import { createNativeAes } from './firmware/aes-native.ts';
import { createJsAes } from './firmware/aes-js.ts';
declare const require: (name: string) => any, BACKEND: string, FRAMES: number;
declare const process: any;
declare function print(s: string): void;
declare function quit(): void;
const m0 = process.memory().usage;
const aes = BACKEND === 'native' ? createNativeAes(require('crypto')) : createJsAes();
const m1 = process.memory().usage;
const kEnc = new Uint8Array(16);
const kMac = new Uint8Array(16);
const nonce = new Uint8Array(16);
const kp = new Uint8Array(16);
const frame = new Uint8Array(200);
const macIn = new Uint8Array(224);
const tag = new Uint8Array(8);
kEnc.fill(1);
kMac.fill(2);
for (let i = 0; i < FRAMES; i++) {
  nonce[9] = i;
  aes.ecb(kEnc, nonce, kp);
  aes.ctr0(kp, frame, frame);
  aes.cbcMac(kMac, macIn, tag);
}
let t = '';
for (let i = 0; i < 8; i++) t += (tag[i] < 16 ? '0' : '') + tag[i].toString(16);
print('@@' + JSON.stringify({ jsVars: m1 - m0, tag: t, frame0: frame[0] }));
quit();
`;

/** Callgrind instruction count (Ir) of one interpreter run of the frame driver. */
async function callgrindRun(bin: string, backend: string, frames: number): Promise<{ ir: number; jsVars: number; tag: string }> {
  const js = await bundleForEspruino(FRAME_DRIVER, { BACKEND: JSON.stringify(backend), FRAMES: String(frames) });
  const { ir, stdout } = await callgrindIr(bin, js);
  const out = markedLines(stdout);
  if (out.length !== 1) throw new Error('driver printed no result:\n' + stdout.slice(-2000));
  return { ir, jsVars: out[0].jsVars, tag: out[0].tag };
}

/**
 * Million instructions per frame for `backend`, the JsVars the backend holds after creation, and the last
 * tag (both backends must print the same one: a fast wrong answer is not a result).
 */
export async function callgrindPerFrame(bin: string, backend: 'native' | 'js', frames: number): Promise<{ mInstr: number; jsVars: number; tag: string }> {
  const base = await callgrindRun(bin, backend, 0);
  const run = await callgrindRun(bin, backend, frames);
  return { mInstr: (run.ir - base.ir) / frames / 1e6, jsVars: run.jsVars, tag: run.tag };
}

function frameWork(aes: Aes128): () => void {
  const kEnc = new Uint8Array(16).fill(1);
  const kMac = new Uint8Array(16).fill(2);
  const nonce = new Uint8Array(16);
  const kp = new Uint8Array(16);
  const frame = new Uint8Array(200);
  const macIn = new Uint8Array(224);
  const tag = new Uint8Array(8);
  let i = 0;
  return () => {
    nonce[9] = i++;
    aes.ecb(kEnc, nonce, kp);
    aes.ctr0(kp, frame, frame);
    aes.cbcMac(kMac, macIn, tag);
  };
}

function opsPerSecond(fn: () => void, ms: number): number {
  for (let i = 0; i < 200; i++) fn(); // warm-up
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

async function main(): Promise<void> {
  console.log('per-frame AES work: ecb 1 block + ctr0 200 B + cbcMac 224 B (8-byte tag)\n');
  console.log('Node', process.version);
  const backends: [string, Aes128][] = [
    ['noble', createNobleAes()],
    ['js', createJsAes()],
    ['native over emulation', createNativeAes(createEspruinoCrypto())],
  ];
  let noble = 0;
  for (const [name, aes] of backends) {
    const ops = opsPerSecond(frameWork(aes), 1000);
    if (!noble) noble = ops;
    console.log(`  ${name.padEnd(22)} ${Math.round(ops).toString().padStart(8)} frames/s  ${(ops / noble).toFixed(2)}x noble`);
  }

  const bin = process.env.ESPRUINO_BIN;
  console.log();
  if (!bin || !existsSync(bin)) {
    console.log('Espruino: SKIPPED (set ESPRUINO_BIN to an Espruino Linux binary to measure with callgrind)');
    return;
  }
  console.log(`Espruino ${bin}, valgrind --tool=callgrind, M instructions per frame (difference of N frames and 0):`);
  const native = await callgrindPerFrame(bin, 'native', 20);
  console.log(`  native  ${native.mInstr.toFixed(3).padStart(8)} M instr/frame   backend holds ${native.jsVars} JsVars`);
  const js = await callgrindPerFrame(bin, 'js', 3);
  console.log(`  js      ${js.mInstr.toFixed(3).padStart(8)} M instr/frame   backend holds ${js.jsVars} JsVars`);
  console.log(`  js / native = ${(js.mInstr / native.mInstr).toFixed(0)}x`);
  if (js.tag !== native.tag) throw new Error(`backends disagree on the interpreter: js tag ${js.tag}, native tag ${native.tag}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

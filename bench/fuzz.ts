/**
 * The frame fuzzer at benchmark scale (test/fuzz.test.ts runs 10^6 in CI): random and mutated frames into
 * the receive path (relay inspect, open, replay window, reassembly). Prints frames/s and outcome counts.
 * Run: npx tsx bench/fuzz.ts [frames]   (default 10^7)
 */
import { createNobleAes } from '../host/crypto/aes-noble.ts';
import { statusText } from '../shared/frame.ts';
import { fuzzFrames } from '../test/support/fuzz-frames.ts';
import { createNodeAes } from '../test/support/aes-node.ts';

const n = Number(process.argv[2] ?? 10_000_000);
const t0 = performance.now();
const heap0 = process.memoryUsage().heapUsed;
const r = fuzzFrames(createNobleAes(), n, 1);
const s = (performance.now() - t0) / 1000;
console.log(`fuzz: ${r.frames} frames in ${s.toFixed(1)} s (${Math.round(r.frames / s)} frames/s), heap growth ${((process.memoryUsage().heapUsed - heap0) / 1e6).toFixed(1)} MB`);
console.log(`  accepted ${r.accepted} (the ${r.accepted} originals, once each), escaped ${r.escaped.length}, exceptions ${r.thrown.length}`);
for (const [k, v] of Object.entries(r.statuses).sort((a, b) => b[1] - a[1])) console.log(`  ${String(v).padStart(9)}  ${statusText(Number(k))}`);
// baseline in the same process: the same fuzz over OpenSSL's AES (node:crypto) instead of @noble
const m = Math.min(n, 1_000_000);
const t1 = performance.now();
fuzzFrames(createNobleAes(), m, 2);
const tn = performance.now() - t1;
const t2 = performance.now();
fuzzFrames(createNodeAes(), m, 2);
const to = performance.now() - t2;
console.log(`  baseline: ${m} frames over node:crypto AES ${(to / 1000).toFixed(1)} s vs @noble ${(tn / 1000).toFixed(1)} s: ratio ${(tn / to).toFixed(2)}× (host backend choice)`);
if (r.escaped.length || r.thrown.length) { console.error('FUZZ FAILURE', r.escaped.slice(0, 3), r.thrown.slice(0, 3)); process.exit(1); }

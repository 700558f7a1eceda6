/**
 * Benchmark: the node-side cost of the host link (firmware/console-link.ts), on the real interpreter under
 * callgrind: machine instructions per operation, (Ir(N ops) - Ir(0 ops)) / N with the empty loop removed,
 * each against baselines measured in the same runs: printing a line of the same length (pure console cost)
 * and JSON.stringify of a small object. Then, on Node, the host decoder's throughput.
 * Run: `ESPRUINO_BIN=/opt/espruino/espruino npx tsx bench/host-link.ts`. Env: MESHWORK_BENCH_N (default 40),
 * MESHWORK_BENCH_ONLY=frame,cmd,… (modes to measure besides the baselines).
 */
import { spawnSync } from 'node:child_process';
import { bootFromStorage, bundleForEspruino, callgrindIr, espruinoBin, runEspruino } from '../test/support/espruino.ts';
import { createLinkDecoder, encodeCommandLine } from '../host/link/index.ts';
import { createCbor } from '../shared/cbor.ts';
import { encodeBody, lineText, T_FRAME } from '../shared/host-link.ts';
import { nodeCborText } from '../host/cbor-text.ts';
import { crc32 } from '../host/crc32.ts';
import { nodeNatives } from '../host/link/natives-node.ts';

const SEND_B64 = encodeCommandLine(7, { op: 'send', d: 0x1234, p: new Uint8Array(40).fill(9), a: 1 }).slice(6, -3);
// the same command to a handler that does not reply: the cost of decoding and dispatching alone
const SENDQ_B64 = encodeCommandLine(7, { op: 'sendq', d: 0x1234, p: new Uint8Array(40).fill(9), a: 1 }).slice(6, -3);

/** The on-device workload: MODE and N are prepended as globals; prints one JSON line and quits. */
const ENTRY = `
import { createConsoleLink, espruinoLinkNatives } from './firmware/console-link.ts';
import { createCbor } from './shared/cbor.ts';
import { espruinoCborText } from './firmware/_cbor-text.ts';
declare const MODE: string, N: number, global: any;

var quiet = false;
var link = createConsoleLink({ mask: 15, level: 3 })({
  natives: espruinoLinkNatives(), cbor: createCbor()(espruinoCborText()),
  write: function (l) { if (!quiet) print(l); },
  hello: function () { return { v: 1 }; }, global: global,
});
var frame = new Uint8Array(250);
for (var i = 0; i < 250; i++) frame[i] = (i * 7) & 255;
var sameLen = '\\x01' + btoa(E.toString(new Uint8Array(260)));
var small = { k: 'relay', s: 4660, d: 22136, q: 513, t: 1, h: 2, r: -70 };
var replies = 0;
link.onCommand('send', function (a) { replies++; return { h: 1 }; });
link.onCommand('sendq', function (a) { return undefined; });
var SEND = ${JSON.stringify(SEND_B64)};
var SENDQ = ${JSON.stringify(SENDQ_B64)};
var runs = {
  empty: function (n) { for (var i = 0; i < n; i++) { } },
  printSameLen: function (n) { for (var i = 0; i < n; i++) { print(sameLen); } },
  json: function (n) { for (var i = 0; i < n; i++) { JSON.stringify(small); } },
  frame: function (n) { for (var i = 0; i < n; i++) { link.emitFrame(-70, frame, 250); } },
  frameQuiet: function (n) { quiet = true; for (var i = 0; i < n; i++) { link.emitFrame(-70, frame, 250); } },
  traffic: function (n) { for (var i = 0; i < n; i++) { link.emit(4, small); } },
  log: function (n) { for (var i = 0; i < n; i++) { link.log(2, 'boot'); } },
  cmd: function (n) { for (var i = 0; i < n; i++) { MWc(SEND); } },
  cmdQuiet: function (n) { quiet = true; for (var i = 0; i < n; i++) { MWc(SEND); } },
  cmdDecode: function (n) { for (var i = 0; i < n; i++) { MWc(SENDQ); } },
};
runs[MODE](N);
quiet = true;
print('@@' + JSON.stringify({ mode: MODE, replies: replies, stats: link.stats }));
quit();
`;

/** JsVars of one link (code in flash, as .bootcde runs on a board): usage after minus before. */
const MEM_ENTRY = `
import { createConsoleLink, espruinoLinkNatives } from './firmware/console-link.ts';
import { createCbor } from './shared/cbor.ts';
import { espruinoCborText } from './firmware/_cbor-text.ts';
declare const global: any;
var cbor = createCbor()(espruinoCborText());
var m0 = process.memory().usage;
var link = createConsoleLink({ mask: 15, level: 3, maxPayload: MAX_PAYLOAD })({
  natives: espruinoLinkNatives(), cbor: cbor, write: print, hello: function () { return { v: 1 }; }, global: global,
});
global.R = process.memory().usage - m0;
`;

const ROWS: [string, string][] = [
  ['baseline: print() of a 349-char line', 'printSameLen'],
  ['baseline: JSON.stringify, 7-key object', 'json'],
  ['emitFrame 250 B (line printed)', 'frame'],
  ['emitFrame 250 B (write port no-op)', 'frameQuiet'],
  ['emit TRAFFIC, 7-key CBOR map', 'traffic'],
  ['log(2, "boot")', 'log'],
  ['MWc(send, 40 B) + reply printed', 'cmd'],
  ['MWc(send, 40 B) + reply, no print', 'cmdQuiet'],
  ['MWc(send, 40 B): decode + dispatch only', 'cmdDecode'],
];

async function benchEspruino(bin: string): Promise<void> {
  const n = Number(process.env.MESHWORK_BENCH_N ?? 40);
  const bundle = await bundleForEspruino(ENTRY);
  const script = (mode: string, k: number): string => `var MODE = ${JSON.stringify(mode)}, N = ${k};\n${bundle}`;
  const info = JSON.parse((await runEspruino(bin, script('cmd', 2))).stdout.split('@@')[1].split('\r\n')[0]);
  if (info.replies !== 2 || info.stats.lines !== 2) throw new Error('bench: the command did not run: ' + JSON.stringify(info));
  const mem: string[] = [];
  for (const maxPayload of [1536, 256]) {
    const code = await bundleForEspruino(MEM_ENTRY.replace('MAX_PAYLOAD', String(maxPayload)));
    const out = await bootFromStorage(bin, code, ['print("@"+"@"+R)']);
    mem.push(`${out.split('@@')[1].split('\r\n')[0]} JsVars with maxPayload ${maxPayload}`);
  }
  console.log(`Espruino ${bin}: bundle ${bundle.length} B; one console-link, booted from flash: ${mem.join(', ')}`);
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.log('  callgrind SKIPPED: valgrind not found');
    return;
  }
  const base = (await callgrindIr(bin, script('empty', 0))).ir;
  const per = async (mode: string): Promise<number> => ((await callgrindIr(bin, script(mode, n))).ir - base) / n;
  const empty = await per('empty');
  const res: Record<string, number> = {};
  const only = process.env.MESHWORK_BENCH_ONLY?.split(',');
  const rows = ROWS.filter(([, m]) => !only || only.includes(m) || m === 'printSameLen' || m === 'json');
  for (const [, mode] of rows) res[mode] = (await per(mode)) - empty;
  console.log(`callgrind, machine instructions per op (${n} ops, 32-bit -Og ESP32-like build, empty loop ${(empty / 1e3).toFixed(1)} k removed):`);
  for (const [name, mode] of rows) {
    const ir = res[mode];
    console.log(`  ${name.padEnd(40)} ${(ir / 1e6).toFixed(3).padStart(7)} M   ×${(ir / res.printSameLen).toFixed(2).padStart(5)} of print   ×${(ir / res.json).toFixed(2).padStart(5)} of JSON`);
  }
  console.log('  rough ESP32 time: M instr × 2-3 cycles / 240 MHz (ESPRUINO.md); UART time is extra: 10 bits per char at the baud rate');
}

function benchNode(): void {
  const cbor = createCbor()(nodeCborText());
  const frameBody = encodeBody(T_FRAME, 0, new Uint8Array(251).fill(3), crc32);
  const trafficBody = encodeBody(4, 0, cbor.encode({ k: 'relay', s: 4660, d: 22136, q: 513, t: 1, h: 2, r: -70 }), crc32);
  const lines = Buffer.from((lineText(frameBody, frameBody.length, nodeNatives) + '\r\n' + lineText(trafficBody, trafficBody.length, nodeNatives) + '\r\n>').repeat(1000), 'latin1');
  const dec = createLinkDecoder();
  let t0 = performance.now();
  let reps = 0;
  while (performance.now() - t0 < 1000) {
    dec.push(lines);
    reps++;
  }
  const ms = performance.now() - t0;
  const mbps = (reps * lines.length) / 1e6 / (ms / 1000);
  // baseline: base64-decoding the same bytes with Buffer alone
  const b64 = lines.toString('latin1').replace(/[\x01\r\n>]/g, '');
  t0 = performance.now();
  let breps = 0;
  while (performance.now() - t0 < 500) {
    Buffer.from(b64, 'base64');
    breps++;
  }
  const bmbps = (breps * b64.length) / 1e6 / ((performance.now() - t0) / 1000);
  console.log(`\nNode ${process.version}: host decoder ${mbps.toFixed(1)} MB/s of link lines (${((reps * 2000) / (ms / 1000) / 1e3).toFixed(0)} k msgs/s, payloads decoded), ×${(mbps / bmbps).toFixed(2)} of Buffer.from(base64) alone; a 921600-baud UART is 0.09 MB/s`);
}

const bin = espruinoBin();
if (bin) await benchEspruino(bin);
else console.log('Espruino: SKIPPED (set ESPRUINO_BIN to an Espruino Linux build to measure on the interpreter)');
benchNode();

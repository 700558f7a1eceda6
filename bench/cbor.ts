/**
 * Benchmark: encode+decode of a typical telemetry payload with shared/cbor.ts, against JSON.stringify/parse
 * (baseline, same process) and cbor-x. Run: `npx tsx bench/cbor.ts`.
 *
 * Node: ops/s and ratios to JSON. Espruino (when ESPRUINO_BIN points at a binary): the codec is bundled like firmware (esbuild iife/es2015, firmware/_cbor-text.ts as
 * text component) and timed on the interpreter; with valgrind present, machine instructions per op are
 * counted with callgrind as (Ir(N ops) - Ir(0 ops)) / N, empty-loop cost removed.
 * Env: MESHWORK_BENCH_MS (Node time per case, default 1000), MESHWORK_BENCH_CALLGRIND=0 to skip callgrind.
 */

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder, Encoder } from 'cbor-x';
import type { Options as CborXOptions } from 'cbor-x';
import { nodeCborText } from '../host/cbor-text.ts';
import { bundleForEspruino, espruinoBin } from '../test/support/espruino.ts';
import { createCbor } from '../shared/cbor.ts';

const TELEMETRY_SRC = `{ t: 'tm', up: 123456, mem: 8123,
  nb: [[0x1234, -70, 0.95], [0x2345, -81, 0.5], [0x3456, -90, 0.25], [0x4567, -55, 1]], v: '0.1.0' }`;
const telemetry = {
  t: 'tm',
  up: 123456,
  mem: 8123,
  nb: [
    [0x1234, -70, 0.95],
    [0x2345, -81, 0.5],
    [0x3456, -90, 0.25],
    [0x4567, -55, 1],
  ],
  v: '0.1.0',
};

// ---- Node ---------------------------------------------------------------------------------------------------

function opsPerSec(fn: () => unknown, ms: number): number {
  for (let i = 0; i < 2000; i++) fn(); // warm up the JIT
  let n = 0;
  let batch = 256;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
    t = performance.now();
    if (t - t0 < ms / 20) batch *= 2;
  }
  return (n * 1000) / (t - t0);
}

function benchNode(): void {
  const ms = Number(process.env.MESHWORK_BENCH_MS ?? 1000);
  const cbor = createCbor()(nodeCborText());
  const out = new Uint8Array(256);
  const cx = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true });
  const cxd = new Decoder({ useRecords: false, mapsAsObjects: true, int64AsNumber: true } as CborXOptions);
  const json = JSON.stringify(telemetry);
  const sizes = { json: json.length, cbor: cbor.encode(telemetry).length, cborx: cx.encode(telemetry).length };
  const check = cbor.decode(cbor.encode(telemetry));
  if (!check.ok || JSON.stringify(check.value) !== json) throw new Error('bench: round trip differs');
  const cases: [string, () => unknown][] = [
    ['JSON.stringify + JSON.parse', () => JSON.parse(JSON.stringify(telemetry))],
    ['meshwork cbor encodeInto + decode', () => cbor.decode(out, 0, cbor.encodeInto(telemetry, out, 0))],
    ['meshwork cbor encode + decode', () => cbor.decode(cbor.encode(telemetry))],
    ['cbor-x encode + decode', () => cxd.decode(cx.encode(telemetry))],
  ];
  console.log(`Node ${process.version}: telemetry ${TELEMETRY_SRC.replace(/\s+/g, ' ')}`);
  console.log(`sizes: JSON ${sizes.json} B, meshwork CBOR ${sizes.cbor} B, cbor-x ${sizes.cborx} B`);
  let base = 0;
  for (const [name, fn] of cases) {
    const ops = opsPerSec(fn, ms);
    if (base === 0) base = ops;
    console.log(`  ${name.padEnd(36)} ${Math.round(ops).toString().padStart(10)} ops/s   ×${(ops / base).toFixed(2)} of JSON`);
  }
}

// ---- Espruino -----------------------------------------------------------------------------------------------

/** The on-device workload: `MODE` and `N` are prepended as globals; prints one JSON line. */
const ESPRUINO_ENTRY = `
import { createCbor } from './shared/cbor.ts';
import { espruinoCborText } from './firmware/_cbor-text.ts';
var cbor = createCbor()(espruinoCborText());
var obj = ${TELEMETRY_SRC};
var out = new Uint8Array(256);
var len = cbor.encodeInto(obj, out, 0);
var back = cbor.decode(out, 0, len);
var sizes = { json: JSON.stringify(obj).length, cbor: len, ok: back.ok && JSON.stringify(back.value) === JSON.stringify(obj) };
var runs = {
  empty: function (n) { for (var i = 0; i < n; i++) { } },
  json: function (n) { for (var i = 0; i < n; i++) { JSON.parse(JSON.stringify(obj)); } },
  cbor: function (n) { for (var i = 0; i < n; i++) { cbor.decode(out, 0, cbor.encodeInto(obj, out, 0)); } },
  cborAlloc: function (n) { for (var i = 0; i < n; i++) { cbor.decode(cbor.encode(obj)); } },
  cborEncode: function (n) { for (var i = 0; i < n; i++) { cbor.encodeInto(obj, out, 0); } },
  cborDecode: function (n) { for (var i = 0; i < n; i++) { cbor.decode(out, 0, len); } },
};
var res = { sizes: sizes, us: {} };
var modes = MODE === 'all' ? ['empty', 'json', 'cbor', 'cborAlloc', 'cborEncode', 'cborDecode'] : [MODE];
for (var m = 0; m < modes.length; m++) {
  var t0 = getTime();
  runs[modes[m]](N);
  res.us[modes[m]] = N > 0 ? (getTime() - t0) * 1e6 / N : 0;
}
res.mem = process.memory().usage;
print(JSON.stringify(res));
quit();
`;

interface EspruinoRun {
  sizes: { json: number; cbor: number; ok: boolean };
  us: Record<string, number>;
  mem: number;
}

/** The workload bundled with the firmware build's own esbuild options (test/support/espruino.ts). */
async function bundleEspruino(dir: string): Promise<string> {
  const js = await bundleForEspruino(ESPRUINO_ENTRY);
  writeFileSync(join(dir, 'bundle.js'), js);
  return js;
}

/**
 * Runs a command with stdin kept open and idle: at end-of-file the interpreter's input thread spins,
 * feeding junk to the console and adding instructions in proportion to wall time (/opt/espruino/FACTS.md).
 */
function runIdleStdin(cmd: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('latin1').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('latin1').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 600_000);
    p.on('error', reject);
    p.on('close', () => {
      clearTimeout(timer);
      resolve({ stdout, stderr });
    });
  });
}

async function runEspruino(bin: string, dir: string, bundle: string, mode: string, n: number, callgrind: boolean): Promise<{ run: EspruinoRun; ir?: number }> {
  const script = join(dir, `run-${mode}-${n}.js`);
  writeFileSync(script, `var MODE = ${JSON.stringify(mode)}, N = ${n};\n${bundle}`);
  const cgOut = join(dir, `cg-${mode}-${n}.out`);
  const p = callgrind
    ? await runIdleStdin('valgrind', ['--tool=callgrind', `--callgrind-out-file=${cgOut}`, bin, script], dir)
    : await runIdleStdin(bin, [script], dir);
  const line = p.stdout.split('\n').find((l) => l.startsWith('{"sizes"'));
  if (!line) throw new Error(`espruino ${mode}: no result\n${p.stdout.slice(-800)}\n${p.stderr.slice(-800)}`);
  const run = JSON.parse(line) as EspruinoRun;
  if (!callgrind) return { run };
  const summary = readFileSync(cgOut, 'utf8').match(/^(?:summary|totals):\s+(\d+)/m);
  if (!summary) throw new Error('callgrind: no totals in ' + cgOut);
  return { run, ir: Number(summary[1]) };
}

async function benchEspruino(bin: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meshwork-cbor-bench-'));
  try {
    const bundle = await bundleEspruino(dir);
    const n = 300;
    const { run } = await runEspruino(bin, dir, bundle, 'all', n, false);
    if (!run.sizes.ok) throw new Error('espruino: round trip differs');
    const us = run.us;
    const net = (m: string): number => us[m] - us.empty;
    console.log(`\nEspruino ${bin} (bundle ${bundle.length} B, ${n} ops each, wall time on this host, empty loop removed):`);
    console.log(`sizes: JSON ${run.sizes.json} B, meshwork CBOR ${run.sizes.cbor} B; heap after run ${run.mem} JsVars`);
    const rows: [string, string][] = [
      ['JSON.stringify + JSON.parse', 'json'],
      ['meshwork cbor encodeInto + decode', 'cbor'],
      ['meshwork cbor encode + decode', 'cborAlloc'],
      ['  of which encodeInto', 'cborEncode'],
      ['  of which decode', 'cborDecode'],
    ];
    for (const [name, m] of rows) {
      console.log(`  ${name.padEnd(36)} ${net(m).toFixed(0).padStart(8)} µs/op   ×${(net(m) / net('json')).toFixed(2)} of JSON's time`);
    }
    const valgrind = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
    if (process.env.MESHWORK_BENCH_CALLGRIND === '0' || valgrind.status !== 0) {
      console.log('  (callgrind skipped)');
      return;
    }
    const k = 40;
    const irPerOp = async (m: string): Promise<number> => {
      const a = (await runEspruino(bin, dir, bundle, m, 0, true)).ir ?? 0;
      const b = (await runEspruino(bin, dir, bundle, m, k, true)).ir ?? 0;
      return (b - a) / k;
    };
    const empty = await irPerOp('empty');
    console.log(`callgrind, machine instructions per op (${k} ops, empty loop ${(empty / 1e3).toFixed(1)} k removed):`);
    let jsonIr = 0;
    for (const [name, m] of rows) {
      const ir = (await irPerOp(m)) - empty;
      if (m === 'json') jsonIr = ir;
      console.log(`  ${name.padEnd(36)} ${(ir / 1e6).toFixed(3).padStart(8)} M instr   ×${(ir / jsonIr).toFixed(2)} of JSON`);
    }
  } finally {
    for (const f of readdirSync(dir)) rmSync(join(dir, f));
    rmSync(dir, { recursive: true });
  }
}

benchNode();
const espruino = espruinoBin();
if (espruino) await benchEspruino(espruino);
else console.log('\nEspruino: SKIPPED (set ESPRUINO_BIN to an Espruino Linux build to measure on the interpreter)');

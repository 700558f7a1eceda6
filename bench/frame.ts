/**
 * Per-frame cost of the three things a node does with frames — seal (a source), relay (decode header,
 * dedup, verify the header tag, re-stamp hop fields), open (a destination) — in the BUILT firmware bundle,
 * against a naive baseline (JSON frames, object-keyed dedup: bench/support/naive-frames.ts) run in the same
 * process. 200-byte payloads. Run: npx tsx bench/frame.ts   (make bench)
 *
 * 1. Node: the bundle under the Espruino emulation; ops/s and ratios to the naive baseline.
 * 2. With ESPRUINO_BIN: the same bundle on the real interpreter; machine instructions per op under
 *    callgrind (N ops minus 0 ops), ratios to the naive baseline, and process.memory().usage after boot
 *    (booted from Storage as on a board). Targets (issue 2): relay ≤ 2.5 M and ≤ 1/5 of naive; seal and
 *    open with the native backend ≤ 2 M.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFirmware } from '../host/build/build-firmware.ts';
import { createEspruinoEnv } from '../test/emulation/espruino-env.ts';
import { bootFromStorage, bundleForEspruino, callgrindIr, espruinoBin, markedLines, REPO_ROOT } from '../test/support/espruino.ts';

const OPS = ['seal', 'relay', 'open', 'naiveSeal', 'naiveRelay', 'naiveOpen'] as const;
const BOARDS = [['linux', 'native AES'], ['esp32-idf4', 'JS AES']] as const;

async function bundles(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const r = await buildFirmware({ boards: BOARDS.map((b) => b[0]), outDir: 'dist/bench-firmware' });
  if (!r.ok) throw new Error('bench: firmware build failed: run `meshwork build`');
  for (const x of r.results) out[x.board] = readFileSync(x.outFile!, 'utf8');
  return out;
}

function opsPerSecond(fn: () => void, ms: number): number {
  for (let i = 0; i < 50; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) { for (let i = 0; i < 20; i++) fn(); n += 20; t = performance.now(); }
  return (n * 1000) / (t - t0);
}

function row(name: string, v: number, base: number, unit: string, digits = 0): string {
  return `  ${name.padEnd(12)} ${v.toFixed(digits).padStart(10)} ${unit}   ${(v / base).toFixed(3)}× naive`;
}

async function main(): Promise<void> {
  const fw = await bundles();
  const opsJs = await bundleForEspruino(`import './bench/support/frame-ops.ts';`);
  console.log('Per-frame cost, 200-byte payload, built bundle (dist/bench-firmware/<board>.js)\n');
  for (const [board, what] of BOARDS) {
    const env = createEspruinoEnv({ out: () => {} });
    env.run(fw[board], `${board}.js`);
    env.run(opsJs, 'frame-ops.js');
    const B = (env.context as any).BENCH;
    const ops = B.setupOps(200, 512);
    const r: Record<string, number> = {};
    for (const op of OPS) r[op] = opsPerSecond(ops[op], board === 'linux' ? 700 : 300);
    console.log(`Node ${process.version}, ${board} (${what}) under the Espruino emulation, ops/s (higher is better):`);
    for (const op of ['seal', 'relay', 'open'] as const) {
      const naive = r['naive' + op[0].toUpperCase() + op.slice(1)];
      console.log(`  ${op.padEnd(8)} ${r[op].toFixed(0).padStart(9)}   naive ${naive.toFixed(0).padStart(9)}   speed-up ${(r[op] / naive).toFixed(2)}×`);
    }
    console.log();
  }

  const bin = espruinoBin();
  if (!bin) {
    console.log('Espruino: SKIPPED (set ESPRUINO_BIN to an Espruino Linux build to count instructions on the interpreter)');
    return;
  }
  const N = 30;
  console.log(`Espruino ${bin}: valgrind --tool=callgrind, M machine instructions per op ((N=${N}) − (N=0)) / N`);
  for (const [board, what] of BOARDS) {
    const script = (n: number, op: string) =>
      `${fw[board]}\n${opsJs}\nvar O=BENCH.setupOps(200,${N});BENCH.runOp(O,"${op}",${n});print("@@"+JSON.stringify(process.memory().usage));quit();`;
    const base = await callgrindIr(bin, script(0, 'seal'));
    const m: Record<string, number> = {};
    const ops = board === 'linux' ? OPS : (['seal', 'relay', 'open'] as const);
    for (const op of ops) {
      const run = await callgrindIr(bin, script(N, op));
      if (markedLines(run.stdout).length !== 1) throw new Error(`bench: ${op} printed no result:\n${run.stdout.slice(-1500)}`);
      m[op] = (run.ir - base.ir) / N / 1e6;
    }
    console.log(`${board} (${what}):`);
    for (const op of ['seal', 'relay', 'open'] as const) {
      const nk = 'naive' + op[0].toUpperCase() + op.slice(1);
      const naive = m[nk] ?? Number.NaN;
      console.log(`  ${op.padEnd(8)} ${m[op].toFixed(3).padStart(8)} M instr` + (Number.isNaN(naive) ? '' : `   naive ${naive.toFixed(3).padStart(8)} M   ratio ${(m[op] / naive).toFixed(3)}`));
    }
    const boot = await bootFromStorage(bin, fw[board], ['print("@@"+JSON.stringify(process.memory()))']);
    const mem = markedLines(boot)[0];
    console.log(`  process.memory() after booting the bundle from Storage: usage ${mem?.usage} of ${mem?.total} JsVars`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });

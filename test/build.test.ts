/**
 * The firmware build end to end: buildFirmware() over every board with the real esbuild and the real
 * firmware/main.ts, the files and metadata it writes, how it fails, the `meshwork build` CLI, and (where the
 * Linux build of Espruino is installed, ESPRUINO_BIN) that the bundles and a bundle of lowered constructs
 * really run there, printing what Node prints for the same bundle.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import * as esbuild from 'esbuild';
import { parse } from 'acorn';
import { simple } from 'acorn-walk';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { boards } from '../boards/index.ts';
import { buildFirmware, REPO_ROOT, type BuildFirmwareResult, type BundleMetadata } from '../host/build/build-firmware.ts';
import { espruinoBuildOptions, restoreRequire } from '../host/build/esbuild-options.ts';
import { checkBundle } from '../host/build/bundle-check.ts';
import { formatSizeTable } from '../host/build/size-report.ts';
import { bootFromStorage, espruinoBin, skipReason } from './support/espruino.ts';

const ESPRUINO = espruinoBin() ?? '';
const HAVE_ESPRUINO = ESPRUINO !== '';
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

function identifiers(code: string): Set<string> {
  const names = new Set<string>();
  simple(parse(code, { ecmaVersion: 'latest' }), { Identifier(n) { names.add(n.name); } });
  return names;
}

/** Runs a script on the Linux build of Espruino with stdin held open (EOF makes it spin), in its own dir. */
function runEspruino(code: string, dir: string): Promise<{ code: number | null; out: string }> {
  const file = join(dir, 'run.js');
  writeFileSync(file, code);
  return new Promise((resolve) => {
    const p = spawn(ESPRUINO, [file], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.on('exit', (c) => { clearTimeout(timer); resolve({ code: c, out }); });
  });
}

let tmp: string;
let built: BuildFirmwareResult;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mw-build-'));
  built = await buildFirmware({ outDir: join(tmp, 'fw') });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('buildFirmware over every board with firmware/main.ts', () => {
  it('builds every board, passes the check and fits every budget', () => {
    const summary = built.results.map((r) => ({ board: r.board, ok: r.ok, errors: r.errors, violations: r.violations }));
    expect(summary).toEqual(boards.map((b) => ({ board: b.name, ok: true, errors: [], violations: [] })));
    expect(built.ok).toBe(true);
    for (const r of built.results) {
      const b = boards.find((x) => x.name === r.board)!;
      expect(r.bytes).toBeGreaterThan(1000);
      expect(r.bytes).toBeLessThanOrEqual(b.budgets.bundleBytes);
      expect(r.budget).toBe(b.budgets.bundleBytes);
      expect(r.gzipBytes).toBeLessThan(r.bytes!);
    }
    console.log(formatSizeTable(built.results.map((r) => r.size)));
  });

  it('writes <board>.js and <board>.json with a matching sha256 and the inputs', () => {
    expect(readdirSync(built.outDir).sort()).toEqual(boards.flatMap((b) => [b.name + '.js', b.name + '.json']).sort());
    for (const r of built.results) {
      const code = readFileSync(join(built.outDir, r.board + '.js'), 'utf8');
      const meta = JSON.parse(readFileSync(join(built.outDir, r.board + '.json'), 'utf8')) as BundleMetadata;
      expect(meta).toMatchObject({ board: r.board, version: VERSION, bytes: code.length, sha256: sha256(code), budget: r.budget });
      expect(r.sha256).toBe(sha256(code));
      expect(checkBundle(code)).toEqual([]);
      expect(Object.keys(meta.inputs)).toContain('firmware/main.ts');
      expect(meta.inputs['firmware/main.ts']).toBe(sha256(readFileSync(join(REPO_ROOT, 'firmware/main.ts'), 'utf8')));
    }
  });

  it('inlines the board: no BOARD or FIRMWARE_VERSION identifier is left, no __require shim', () => {
    for (const r of built.results) {
      const code = readFileSync(r.outFile!, 'utf8');
      const ids = identifiers(code);
      expect(ids.has('BOARD')).toBe(false);
      expect(ids.has('FIRMWARE_VERSION')).toBe(false);
      expect(code).not.toContain('typeof require');
      expect(code).not.toContain('__meshwork_espruino_require__');
      expect(code.startsWith('(()=>{')).toBe(true);
    }
  });

  it('keeps require("crypto") only in native-cipher bundles (when the firmware uses it at all)', () => {
    const firmwareUsesCrypto = readdirSync(join(REPO_ROOT, 'firmware'))
      .filter((f) => f.endsWith('.ts'))
      .some((f) => /require\(\s*['"]crypto['"]\s*\)/.test(readFileSync(join(REPO_ROOT, 'firmware', f), 'utf8')));
    for (const r of built.results) {
      const b = boards.find((x) => x.name === r.board)!;
      const code = readFileSync(r.outFile!, 'utf8');
      expect(code.includes('require("crypto")'), r.board).toBe(firmwareUsesCrypto && b.cipher === 'native');
    }
  });

  it('builds byte-identical bundles twice (the sha256 tells a stale bundle)', async () => {
    const again = await buildFirmware({ boards: ['esp32-c3', 'esp32-idf4'], outDir: join(tmp, 'again') });
    for (const r of again.results) expect(r.sha256).toBe(built.results.find((x) => x.board === r.board)!.sha256);
  });
});

describe('buildFirmware failures', () => {
  it('rejects a bundle with violations, writes nothing and removes a stale bundle', async () => {
    const out = join(tmp, 'bad');
    const ok = await buildFirmware({ boards: ['linux'], outDir: out });
    expect(existsSync(join(out, 'linux.js'))).toBe(true);
    const entry = join(tmp, 'bad-entry.ts');
    writeFileSync(entry, 'const k = String(Math.random()); const m = new Map(); print({ [k]: m });\n');
    const bad = await buildFirmware({ boards: ['linux'], outDir: out, entry });
    expect(ok.ok).toBe(true);
    expect(bad.ok).toBe(false);
    expect(bad.results[0].violations.map((v) => v.rule).sort()).toEqual(['computed-key', 'forbidden-global']);
    expect(bad.results[0].outFile).toBeNull();
    expect(existsSync(join(out, 'linux.js'))).toBe(false);
    expect(existsSync(join(out, 'linux.json'))).toBe(false);
  });

  it('fails on an esbuild error with the message and location', async () => {
    const entry = join(tmp, 'default-param.ts');
    writeFileSync(entry, 'export function f(a = 1) { return a; }\nprint(f());\n');
    const r = await buildFirmware({ boards: ['esp32'], outDir: join(tmp, 'err'), entry });
    expect(r.ok).toBe(false);
    expect(r.results[0].errors.join('\n')).toMatch(/default-param\.ts:1:\d+: .*default arguments/);
    expect(r.results[0].size.status).toMatch(/^failed/);
  });

  it('fails a bundle over its budget', async () => {
    const tiny = { ...boards[0], name: 'tiny', budgets: { ...boards[0].budgets, bundleBytes: 1000 } };
    const r = await buildFirmware({ boards: [tiny], outDir: join(tmp, 'tiny') });
    expect(r.ok).toBe(false);
    expect(r.results[0].violations).toEqual([]);
    expect(r.results[0].errors[0]).toMatch(/over the tiny budget of 1000 bytes/);
    expect(r.results[0].size).toMatchObject({ over: true, status: 'over budget' });
    expect(existsSync(join(tmp, 'tiny', 'tiny.js'))).toBe(false);
  });

  it('throws on an unknown board name', async () => {
    await expect(buildFirmware({ boards: ['esp8266'] })).rejects.toThrow(/unknown board "esp8266".*esp32-c3/);
  });
});

describe('meshwork build (CLI)', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(REPO_ROOT, 'bin/meshwork.mjs'), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

  it('prints the size table and exits 0; --json gives the results', () => {
    const out = join(tmp, 'cli');
    const t = cli('build', '--board', 'esp32', 'linux', '--out', out);
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/^board\s+bytes\s+gzip\s+budget\s+used\s+status/);
    expect(t.stdout).toMatch(/\nesp32\s+\d+\s+\d+\s+98304\s+[\d.]+%\s+ok\n/);
    const j = cli('build', '-b', 'esp32-c3', '-o', out, '--json');
    expect(j.status).toBe(0);
    expect((JSON.parse(j.stdout) as BuildFirmwareResult).results.map((r) => [r.board, r.ok])).toEqual([['esp32-c3', true]]);
  });

  it('exits 2 on an unknown board, listing the valid ones', () => {
    const r = cli('build', '--board', 'esp8266');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown board "esp8266"');
    expect(r.stderr).toContain(boards.map((b) => b.name).join(', '));
  });

  it('exits 1 with the violations when a board fails', () => {
    const entry = join(tmp, 'cli-bad.ts');
    writeFileSync(entry, 'const fs: (() => number)[] = []; for (let i = 0; i < 2; i++) fs.push(() => i); print(fs);\n');
    const r = cli('build', '-b', 'linux', '-o', join(tmp, 'cli-bad'), '--entry', entry);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/linux bundle:1:\d+: error \[let-closure-in-loop\]/);
    expect(r.stderr).toContain('1 of 1 board failed');
  });
});

describe.runIf(HAVE_ESPRUINO)(`on the Espruino interpreter (${ESPRUINO || skipReason()})`, () => {
  it('boots every board bundle from Storage (as a board runs it) without an error', async () => {
    // as on a board the code runs from flash (.bootcde): loaded as one text it would not fit in RAM
    for (const r of built.results) {
      const out = await bootFromStorage(ESPRUINO!, readFileSync(r.outFile!, 'utf8'), ['print("LOADED", typeof MW)'], 120_000);
      expect(out, r.board).toContain('LOADED object');
      expect(out, r.board).not.toMatch(/Uncaught|Error|MEMORY/);
    }
  }, 300_000);

  it('runs a bundle of lowered constructs and prints what Node prints', async () => {
    const src = `
      let count = 0;
      class Base { static kind = 'base'; protected n: number; constructor(n: number) { this.n = n; count++; } get twice() { return this.n * 2; } }
      class Sub extends Base { label = 'sub'; constructor(n: number) { super(n + 1); } describe() { return \`\${this.label}:\${this.twice}\`; } }
      const o: any = { a: { b: 5 }, z: null };
      let v: any = 0; v ||= 7; let w: any = 1; w &&= 9; let u: any = null; u ??= 4;
      const merged = { ...{ x: 1, y: 2 }, y: 3 };
      const fs: (() => number)[] = [];
      for (let i = 0; i < 3; i++) { const k = i; fs.push(() => k * 10); }
      let sum = 0; for (const x of [1, 2, 3]) sum += x;
      const view = new Uint8Array([1, 2, 3, 4, 5]).subarray(1, 4); const dst = new Uint8Array(5); dst.set(view, 1);
      const digest = new Uint8Array(require('crypto').SHA256('abc')); let hex = ''; for (let i = 0; i < 4; i++) hex += (digest[i] < 16 ? '0' : '') + digest[i].toString(16);
      print(new Sub(2).describe(), count + Base.kind, o?.a?.b, o.q?.r, o.z ?? 'dflt', v, w, u, 2 ** 10, JSON.stringify(merged));
      print(fs.map((f) => f()).join(','), sum, dst.join(','), hex, BOARD.capacities.keyEpochs, FIRMWARE_VERSION);
    `;
    const entry = join(tmp, 'constructs.ts');
    writeFileSync(entry, src);
    const r = await esbuild.build(espruinoBuildOptions({ entry, board: boards[0], version: '1.2.3', absWorkingDir: tmp }));
    const code = restoreRequire(r.outputFiles![0].text);
    expect(checkBundle(code)).toEqual([]);

    const nodeOut: string[] = [];
    vm.runInNewContext(code, {
      print: (...a: unknown[]) => nodeOut.push(a.map(String).join(' ')),
      require: (m: string) => {
        if (m !== 'crypto') throw new Error('no module ' + m);
        return { SHA256: (s: string) => new Uint8Array(createHash('sha256').update(s, 'latin1').digest()).buffer };
      },
    });
    expect(nodeOut).toEqual(['sub:6 1base 5 undefined dflt 7 9 4 1024 {"x":1,"y":3}', '0,10,20 6 0,2,3,4,0 ba7816bf 2 1.2.3']);

    const res = await runEspruino(code, mkdtempSync(join(tmp, 'run-')));
    expect(res.code).toBe(0);
    expect(res.out).not.toMatch(/Uncaught|Error/);
    const lines = res.out.split('\n').map((l) => l.trim()).filter((l) => nodeOut.includes(l));
    expect(lines).toEqual(nodeOut);
  });
});

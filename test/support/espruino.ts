/**
 * Running code on a real Espruino interpreter (the Linux build, configured like an ESP32) from tests and
 * benchmarks. The interpreter is found ONLY through the ESPRUINO_BIN environment variable (and, for the
 * 4095-JsVar ESP32-C3 layout, ESPRUINO_C3_BIN); suites that need it are skipped with a message saying so.
 *
 * Facts this relies on (/work/shared/ESPRUINO.md, measured): `espruino file.js` runs the file then its
 * timers; stdin must stay an idle open pipe (at end-of-file it spins); the flash is ./espruino.flash in the
 * working directory, so every run gets its own directory; callgrind counts are repeatable.
 */
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESPRUINO_BASE_OPTIONS, REQUIRE_PLACEHOLDER, restoreRequire } from '../../host/build/esbuild-options.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function binFrom(name: string): string | undefined {
  const v = process.env[name];
  if (!v) return undefined;
  if (!existsSync(v)) throw new Error(`${name}=${v} does not exist: unset it or point it at an Espruino binary`);
  return v;
}

/** ESPRUINO_BIN, or undefined (then say the suite was skipped: skipReason()). */
export function espruinoBin(): string | undefined {
  return binFrom('ESPRUINO_BIN');
}

/** ESPRUINO_C3_BIN: an interpreter built with the ESP32-C3 layout (4095 JsVars), or undefined. */
export function espruinoC3Bin(): string | undefined {
  return binFrom('ESPRUINO_C3_BIN');
}

export function skipReason(envName = 'ESPRUINO_BIN'): string {
  return `SKIPPED: ${envName} is not set (point it at an Espruino Linux build to run this on the real interpreter)`;
}

/**
 * Bundle `source` (TypeScript, imports resolved from the repository root) for Espruino with the firmware
 * build's own options: require("crypto") stays a plain call, `define` inlines constants.
 */
export async function bundleForEspruino(source: string, define: Record<string, string> = {}): Promise<string> {
  const r = await build({
    ...ESPRUINO_BASE_OPTIONS,
    stdin: { contents: source, resolveDir: REPO_ROOT, loader: 'ts', sourcefile: 'espruino-driver.ts' },
    write: false,
    define: { ...define, require: REQUIRE_PLACEHOLDER },
    logLevel: 'silent',
  });
  return restoreRequire(r.outputFiles[0].text);
}

export interface RunOptions {
  timeoutMs?: number;
  /** a command put in front (valgrind …) */
  wrap?: string[];
  /** keep the run directory (the caller removes it) */
  keepDir?: boolean;
  /** run in this directory instead of a fresh one (its espruino.flash is used) */
  dir?: string;
  /** no script file: the REPL, fed these lines on stdin (the interpreter boots .bootcde from its flash) */
  stdinLines?: string[];

}

/**
 * Run `js` (or, with stdinLines, the REPL) on the interpreter and resolve with stdout. A script must end
 * with quit(). Rejects on a non-zero exit or a timeout, with the output's tail.
 */
export function runEspruino(bin: string, js: string, opts: RunOptions = {}): Promise<{ stdout: string; dir: string }> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'meshwork-espruino-'));
  const args: string[] = [];
  if (!opts.stdinLines) {
    writeFileSync(join(dir, 'main.js'), js);
    args.push('main.js');
  }
  const argv = [...(opts.wrap ?? []), bin, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (opts.stdinLines) {
      // line by line, after the banner, as a person (or meshwork monitor) would type
      let i = 0;
      const feed = () => { if (i < opts.stdinLines!.length) { child.stdin.write(opts.stdinLines![i++] + '\n'); setTimeout(feed, 50); } };
      setTimeout(feed, 300);
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (!opts.keepDir && !opts.dir) rmSync(dir, { recursive: true, force: true });
      if (signal) reject(new Error(`espruino killed (${signal}) after timeout; stdout:\n${stdout.slice(-2000)}`));
      else if (code !== 0) reject(new Error(`espruino exited ${code}; stderr:\n${stderr.slice(-2000)}\nstdout:\n${stdout.slice(-2000)}`));
      else resolve({ stdout, dir });
    });
  });
}

/** Lines printed with the "@@" marker, parsed as JSON (banner, prompt and echo are dropped). */
export function markedLines(stdout: string): any[] {
  return stdout.split('\n').map((l) => l.replace(/^>+/, '')).filter((l) => l.startsWith('@@')).map((l) => JSON.parse(l.slice(2)));
}

/** Total instructions (callgrind Ir) of one run of `js`, and what it printed. */
export async function callgrindIr(bin: string, js: string, timeoutMs = 600_000): Promise<{ ir: number; stdout: string }> {
  const { stdout, dir } = await runEspruino(bin, js, {
    timeoutMs, keepDir: true, wrap: ['valgrind', '--tool=callgrind', '--callgrind-out-file=cg.out'],
  });
  try {
    const m = /^summary:\s*(\d+)/m.exec(readFileSync(join(dir, 'cg.out'), 'utf8'));
    if (!m) throw new Error('no summary line in callgrind output');
    return { ir: Number(m[1]), stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Boot `code` the way a board does: stored in flash as .bootcde, then run at power-on by the interpreter
 * (code stays in flash, so it costs about half the JsVars of the same code loaded as text). Then `lines`
 * are typed at the REPL. Resolves with stdout. The code is written in pieces of `opts.chunkBytes` (default
 * 8 KB), one short script run per piece (`Storage.write(name, piece, offset, total)`), so it never has to fit
 * in RAM as one string (a 70 KB bundle is more than the C3 layout's RAM) and no long input goes through the
 * Linux build's console thread (README: its input ring is not thread-safe).
 */
export async function bootFromStorage(
  bin: string, code: string, lines: string[], timeoutMs = 60_000, files: Record<string, string> = {}, opts: { chunkBytes?: number } = {},
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'meshwork-boot-'));
  try {
    // other Storage files (mw.cfg, stand-in modules) go in before the first boot: load() on the Linux build
    // drops its quit() global
    const extra = Object.entries(files).map(([k, v]) => `require("Storage").write(${JSON.stringify(k)}, ${JSON.stringify(v)});`);
    const n = opts.chunkBytes ?? 8192;
    for (let o = 0; o < code.length; o += n) {
      await runEspruino(bin, `require("Storage").write(".bootcde", ${JSON.stringify(code.slice(o, o + n))}, ${o}, ${code.length});quit();`, { dir, timeoutMs });
    }
    if (extra.length) await runEspruino(bin, `${extra.join('')}quit();`, { dir, timeoutMs });
    const { stdout } = await runEspruino(bin, '', { dir, timeoutMs, stdinLines: [...lines, 'quit()'] });
    return stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

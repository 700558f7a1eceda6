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
  /**
   * Checked on the whole stdout after every chunk: once true, the output is complete, so the run ends here
   * (stdin feeding stops, the interpreter is killed with SIGKILL) and resolves with stdout. Spares the exit
   * path: quit() on the Linux build walks every variable still allocated, minutes after a big bundle.
   * A timeout is still an error.
   */
  until?: (stdout: string) => boolean;
}

/**
 * Run `js` (or, with stdinLines, the REPL) on the interpreter and resolve with stdout. A script must end
 * with quit(), or the caller passes `until`. Rejects on a non-zero exit or a timeout, with the output's tail.
 * Leaves nothing behind once settled: no timer, no open stream, no process.
 */
export function runEspruino(bin: string, js: string, opts: RunOptions = {}): Promise<{ stdout: string; dir: string }> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'meshwork-espruino-'));
  const args: string[] = [];
  if (!opts.stdinLines) {
    writeFileSync(join(dir, 'main.js'), js);
    args.push('main.js');
  }
  const argv = [...(opts.wrap ?? []), bin, ...args];
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // why the run is being ended by us: 'done' (until matched: success) or 'timeout' (an error)
    let ending: 'done' | 'timeout' | undefined;
    let settled = false;
    let feedTimer: NodeJS.Timeout | undefined;
    let timer: NodeJS.Timeout | undefined;
    let lateTimer: NodeJS.Timeout | undefined;
    const timedOut = () => new Error(`espruino killed (SIGKILL) after ${timeoutMs} ms timeout; stdout:\n${stdout.slice(-2000)}`);
    const clearTimers = () => {
      clearTimeout(feedTimer);
      clearTimeout(timer);
      clearTimeout(lateTimer);
    };
    const settle = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimers();
      if (!opts.keepDir && !opts.dir) rmSync(dir, { recursive: true, force: true });
      if (err) reject(err);
      else resolve({ stdout, dir });
    };
    const end = (why: 'done' | 'timeout') => {
      if (ending || settled) return;
      ending = why;
      clearTimeout(feedTimer);
      clearTimeout(timer);
      child.stdin.destroy(); // nothing more is written; a write racing the kill cannot raise EPIPE
      child.kill('SIGKILL');
      // 'close' follows a SIGKILL at once; should it not (a wrapper's child holding the pipes), settle anyway
      lateTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        settle(why === 'done' ? undefined : timedOut());
      }, 5_000);
    };
    // EPIPE when the interpreter exits (or is killed) while a line is being fed: the exit is reported by 'close'
    child.stdin.on('error', () => {});
    child.on('error', (e) => { settle(new Error(`espruino: cannot run ${argv[0]}: ${e.message}`)); });
    child.stdout.on('data', (d) => {
      stdout += d;
      if (opts.until && !ending && opts.until(stdout)) end('done');
    });
    child.stderr.on('data', (d) => (stderr += d));
    if (opts.stdinLines) {
      // line by line, after the banner, as a person (or meshwork monitor) would type
      const lines = opts.stdinLines;
      let i = 0;
      const feed = () => {
        feedTimer = undefined;
        if (ending || settled || i >= lines.length || !child.stdin.writable) return;
        child.stdin.write(lines[i++] + '\n');
        feedTimer = setTimeout(feed, 50);
      };
      feedTimer = setTimeout(feed, 300);
    }
    timer = setTimeout(() => end('timeout'), timeoutMs);
    child.on('close', (code, signal) => {
      if (ending === 'done') settle(undefined);
      else if (ending === 'timeout') settle(timedOut());
      else if (signal) settle(new Error(`espruino killed (${signal}); stderr:\n${stderr.slice(-2000)}\nstdout:\n${stdout.slice(-2000)}`));
      else if (code !== 0) settle(new Error(`espruino exited ${code}; stderr:\n${stderr.slice(-2000)}\nstdout:\n${stdout.slice(-2000)}`));
      else settle(undefined);
    });
  });
}

/** Lines printed with the "@@" marker, parsed as JSON (banner, prompt and echo are dropped). */
export function markedLines(stdout: string): any[] {
  return stdout.split('\n').map((l) => l.replace(/^>+/, '')).filter((l) => l.startsWith('@@')).map((l) => JSON.parse(l.slice(2)));
}

/**
 * An `until` for runEspruino/bootFromStorage: true once `n` COMPLETE lines (newline received: output comes
 * in chunks, a line may be split across them) start with the "@@" marker, after the REPL's prompt and
 * terminal escapes (output while the REPL idles comes as `>\r\x1b[J@@…`). Echoes of typed lines
 * (`>print("@@"+…)`) do not count.
 */
export function untilMarkedLines(n = 1): (stdout: string) => boolean {
  return (stdout) => {
    let count = 0;
    const complete = stdout.slice(0, stdout.lastIndexOf('\n') + 1).split('\n');
    for (const l of complete) if (/^(?:[>\r]|\x1b\[[0-9;?]*[A-Za-z])*@@/.test(l) && ++count >= n) return true;
    return false;
  };
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
 * `opts.until` (see runEspruino) ends the run as soon as the expected output is complete.
 */
export async function bootFromStorage(
  bin: string, code: string, lines: string[], timeoutMs = 60_000, files: Record<string, string> = {},
  opts: { chunkBytes?: number; until?: (stdout: string) => boolean } = {},
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'meshwork-boot-'));
  try {
    // other Storage files (mw.cfg, stand-in modules) go in before the first boot: load() on the Linux build
    // drops its quit() global
    const n = opts.chunkBytes ?? 8192;
    // small files in one script; a file larger than a piece is written in pieces, like the code
    const big = Object.entries(files).filter(([, v]) => v.length > n);
    const extra = Object.entries(files).filter(([, v]) => v.length <= n)
      .map(([k, v]) => `require("Storage").write(${JSON.stringify(k)}, ${JSON.stringify(v)});`);
    for (const [k, v] of big) {
      for (let o = 0; o < v.length; o += n) {
        await runEspruino(bin, `require("Storage").write(${JSON.stringify(k)}, ${JSON.stringify(v.slice(o, o + n))}, ${o}, ${v.length});quit();`, { dir, timeoutMs });
      }
    }
    for (let o = 0; o < code.length; o += n) {
      await runEspruino(bin, `require("Storage").write(".bootcde", ${JSON.stringify(code.slice(o, o + n))}, ${o}, ${code.length});quit();`, { dir, timeoutMs });
    }
    if (extra.length) await runEspruino(bin, `${extra.join('')}quit();`, { dir, timeoutMs });
    // quit() is still typed last: without `until` it ends the run; with it, a run that never prints what
    // `until` waits for ends there too (slowly) rather than at the timeout
    const { stdout } = await runEspruino(bin, '', { dir, timeoutMs, stdinLines: [...lines, 'quit()'], until: opts.until });
    return stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

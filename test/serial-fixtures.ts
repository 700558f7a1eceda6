/**
 * Stand-in firmwares for the flash/monitor tests: tiny Espruino programs that speak the handshake of the host
 * link (CONTRACTS §1) by hand (CBOR maps of ints and strings, E.CRC32, btoa), so the serial side can be tested
 * on the real interpreter and the emulation before the full firmware is wired. `hashOverride` makes a node that
 * claims another firmware (the "rebooted into an old version" case); `oom` one that runs out of memory at boot.
 * Also: nodes behind socat ptys (emulated REPL, real interpreter, silence, a noisy proxy), the CLI runner, and
 * the bundled stand-in node of the monitor tests (test/serial-fixture-node.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openPort, closePort } from '../host/serial/port.ts';
import { createConsoleSession } from '../host/serial/console-session.ts';

export interface FakeFirmwareOptions { hashOverride?: string; oom?: boolean; board?: string; padTo?: number }

export function fakeFirmware(o: FakeFirmwareOptions = {}): string {
  const board = JSON.stringify(o.board ?? 'linux');
  const lines = [
    '(function(){',
    'var S=require("Storage");var c=S.readJSON("mw.cfg",1)||{};',
    o.hashOverride ? `var h=${JSON.stringify(o.hashOverride)};` : 'var h=("0000000"+(E.CRC32(S.read(".bootcde"))>>>0).toString(16)).substr(-8);',
    'function U(n,t){t=t||0;if(n<24)return String.fromCharCode(t|n);if(n<256)return String.fromCharCode(t|24,n);if(n<65536)return String.fromCharCode(t|25,n>>8,n&255);return String.fromCharCode(t|26,(n>>>24)&255,(n>>16)&255,(n>>8)&255,n&255);}',
    'function T(s){return U(s.length,0x60)+s;}',
    'function M(o){var k=Object.keys(o),r=U(k.length,0xa0);k.forEach(function(x){var v=o[x];r+=T(x)+(typeof v=="string"?T(v):v===true?"\\xf5":U(v));});return r;}',
    'function L(t,id,p){var b=String.fromCharCode(t,id>>8,id&255,p.length>>8,p.length&255)+p;var c=E.CRC32(b)>>>0;b+=String.fromCharCode((c>>>24)&255,(c>>16)&255,(c>>8)&255,c&255);print("\\x01"+btoa(b));}',
    `function H(){return {v:1,fw:"0.0.0-fake",hash:h,board:${board},id:c.id||0,name:c.name||"",role:c.role||"router",mesh:c.mesh||"",epoch:c.epoch||0,boot:1};}`,
    'global.MWc=function(a){var b=atob(a);var id=(b.charCodeAt(1)<<8)|b.charCodeAt(2);var r=H();r.ok=true;L(10,id,M(r));};',
    o.oom ? 'var big=[];while(true)big.push(new Array(64).fill(1));' : '',
    'L(1,0,M(H()));',
    '})();',
  ];
  let code = lines.filter((l) => l).join('\n') + '\n';
  if (o.padTo && code.length < o.padTo) code += '//' + 'x'.repeat(o.padTo - code.length - 3) + '\n';
  return code;
}

// ---------------------------------------------------------------------------------------------------------
// Nodes behind ptys: socat PTY,link=<path> EXEC:<far end>, the way a board appears on a serial path.


export const ESPRUINO_BIN = process.env.ESPRUINO_BIN;
const TSX = new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url).pathname;
const REPL = new URL('./emulation/espruino-repl.ts', import.meta.url).pathname;

export type FarEnd =
  /** baud: H3's --baud paces the emulated console like a UART (for upload-time figures) */
  | { kind: 'emulation'; board?: string; baud?: number }
  | { kind: 'espruino' }
  | { kind: 'silent' }
  /** the real interpreter behind a proxy that injects noise (noise.cjs in the node's directory): a burst of
   *  garbage before every `toHost`-th chunk the node writes, one byte corrupted towards the node at `corruptToNodeAt` */
  | { kind: 'noisy'; toHost?: number; corruptToNodeAt?: number };

export interface PtyNode { path: string; dir: string; socat: ChildProcess; stop(): Promise<void> }

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((x) => x).map(Number);
  } catch { return []; }
}

/**
 * Kills socat and everything under it: the children with SIGKILL (the interpreter ignores SIGTERM and spins
 * at EOF), socat itself with SIGTERM so it removes its pty link.
 */
export function killTree(pid: number, top = true): void {
  for (const c of childrenOf(pid)) killTree(c, false);
  try { process.kill(pid, top ? 'SIGTERM' : 'SIGKILL'); } catch { /* gone */ }
}

const NOISE_PROXY = `
// a node behind a noisy cable: spawns argv[2..], forwards both ways, optionally puts a burst of garbage towards
// the host before every argv[2]-th chunk the node writes (bytes that are never link lines or acknowledgements; only
// while the node talks, so a closed pty is never written to) and corrupts one byte towards the node
const { spawn } = require('node:child_process');
const [, , toHost, corruptAt, ...cmd] = process.argv;
const c = spawn(cmd[0], cmd.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
let seen = 0, corrupted = false;
if (process.stdin.isTTY) process.stdin.setRawMode(true);
process.stdin.on('data', (d) => {
  const at = Number(corruptAt);
  if (at > 0 && !corrupted && seen + d.length > at) {
    for (let i = Math.max(0, at - seen); i < d.length; i++) if (d[i] === 0x78) { d[i] = 0x79; corrupted = true; break; }
  }
  seen += d.length;
  c.stdin.write(d);
});
let k = 0;
const junk = Buffer.from([0x00, 0xff, 0x7e, 0x21, 0x13, 0x11, 0x1b, 0x5b, 0x41, 0x80, 0x3f, 0x0a]);
c.stdout.on('data', (d) => { if (Number(toHost) > 0 && k++ % Number(toHost) === 0) process.stdout.write(junk); process.stdout.write(d); });
c.on('exit', (code, sig) => { process.stderr.write('noise proxy: ' + cmd[0] + ' exited ' + code + ' ' + sig + '\\n'); process.exit(0); });
`;

export async function startPtyNode(dir: string, far: FarEnd, name = 'node'): Promise<PtyNode> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name + '.pty');
  let exec: string;
  if (far.kind === 'emulation') exec = `${process.execPath} ${TSX} ${REPL} --board ${far.board ?? 'linux'} --flash ${join(dir, 'flash')} --quiet${far.baud ? ' --baud ' + far.baud : ''}`;
  else if (far.kind === 'espruino') exec = ESPRUINO_BIN as string;
  else if (far.kind === 'silent') exec = 'sleep 600';
  else {
    writeFileSync(join(dir, 'noise.cjs'), NOISE_PROXY);
    exec = `${process.execPath} ${join(dir, 'noise.cjs')} ${far.toHost ?? 0} ${far.corruptToNodeAt ?? 0} ${ESPRUINO_BIN}`;
  }
  // socat's own complaints (e.g. "child exited on signal 11") go to <dir>/socat.log for post-mortems
  const log = openSync(join(dir, 'socat.log'), 'a');
  // a link left by a killed socat points at a pts number the system may have given to someone else since
  rmSync(path, { force: true });
  const socat = spawn('socat', [`PTY,link=${path},raw,echo=0`, `EXEC:"${exec}",pty,raw,echo=0,stderr`], { cwd: dir, stdio: ['ignore', log, log] });
  closeSync(log);
  const node: PtyNode = {
    path, dir, socat,
    async stop() {
      if (socat.exitCode === null && socat.pid) killTree(socat.pid);
      for (let i = 0; i < 50 && existsSync(path); i++) await new Promise((r) => setTimeout(r, 20));
      rmSync(path, { force: true }); // SIGKILLed socat leaves its link behind
    },
  };
  for (let i = 0; i < 250 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(path)) throw new Error(`socat did not make ${path}`);
  if (far.kind !== 'silent') await waitForPrompt(path);
  return node;
}

/** until the far end answers a newline with the prompt (interpreter start-up; tsx takes a second or two) */
export async function waitForPrompt(path: string, timeoutMs = 15000): Promise<void> {
  const until = Date.now() + timeoutMs;
  const port = await openPort(path);
  const s = createConsoleSession(port as any);
  try {
    for (;;) {
      try { await s.wake(400); return; } catch (e) { if (Date.now() > until) throw e; }
    }
  } finally { s.dispose(); await closePort(port); }
}

/** evaluates expressions on a node behind a pty (probing Storage after a flash) */
export async function nodeEval<T>(path: string, expr: string): Promise<T> {
  const port = await openPort(path);
  const s = createConsoleSession(port as any);
  try { await s.wake(); return await s.exec<T>(expr, 5000); } finally { s.dispose(); await closePort(port); }
}

const BIN = new URL('../bin/meshwork.mjs', import.meta.url).pathname;

export interface CliRun { code: number | null; out: string; err: string }

/** runs the meshwork CLI; `onStderr` sees stderr as it comes (to act mid-flash) */
export function meshwork(args: string[], o: { cwd: string; timeoutMs?: number; onStderr?: (text: string, child: ChildProcess) => void; env?: Record<string, string> }): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; o.onStderr?.(err, child); });
    const t = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 30000);
    child.on('close', (code) => { clearTimeout(t); resolve({ code, out, err }); });
  });
}

/** the monitor's stand-in node (test/serial-fixture-node.ts), bundled for the linux profile like the firmware */
export async function buildFixtureNode(): Promise<string> {
  const esbuild = await import('esbuild');
  const { espruinoBuildOptions, restoreRequire } = await import('../host/build/esbuild-options.ts');
  const { findBoard } = await import('../boards/index.ts');
  const root = new URL('..', import.meta.url).pathname;
  const r = await esbuild.build(espruinoBuildOptions({ entry: join(root, 'test/serial-fixture-node.ts'), board: findBoard('linux')!, version: '0.0.0-fixture', absWorkingDir: root }));
  return restoreRequire(r.outputFiles![0].text);
}

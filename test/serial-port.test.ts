/**
 * Serial plumbing: opening a path with clear errors (missing, busy and who holds it, permission), port listing
 * for --all, the console passthrough, usage errors (exit 2) and --help of flash / monitor / console; plus the
 * pieces of the upload protocol that must hold for any byte (the quoted chunk literal) and the board rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { boards, findBoard } from '../boards/index.ts';
import { classifyOpenError, closePort, openPort, portHolders, SerialOpenError } from '../host/serial/port.ts';
import { listPorts } from '../host/serial/port-list.ts';
import { boardMatches, jsQuote } from '../host/serial/_upload-lines.ts';
import { meshwork, startPtyNode, type PtyNode } from './serial-fixtures.ts';

let dir = '';
let emu: PtyNode;
let silent: PtyNode;
const BIN = new URL('../bin/meshwork.mjs', import.meta.url).pathname;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mw-serial-'));
  [emu, silent] = await Promise.all([startPtyNode(join(dir, 'e'), { kind: 'emulation' }), startPtyNode(join(dir, 's'), { kind: 'silent' })]);
}, 30_000);
afterAll(async () => {
  await Promise.all([emu?.stop(), silent?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('opening ports', () => {
  it('a missing path says so and what to do', async () => {
    const e = await openPort(join(dir, 'nope')).catch((x) => x);
    expect(e).toBeInstanceOf(SerialOpenError);
    expect(e.kind).toBe('missing');
    expect(e.message).toMatch(/does not exist: is the board plugged in/);
  });

  it('a busy port names the process holding it (the CLI as a second user)', async () => {
    const held = await openPort(silent.path);
    try {
      expect(portHolders(silent.path).map((h) => h.pid)).toContain(silent.socat.pid); // socat holds the pty too
      const r = await meshwork(['flash', '--port', silent.path, '--board', 'linux', '--bundle', BIN, '--network', join(dir, 'none.key')], { cwd: dir });
      expect(r.code).toBe(1);
      const k = await meshwork(['keys', 'new', '--out', 'net.key'], { cwd: dir });
      expect(k.code).toBe(0);
      const r2 = await meshwork(['flash', '--port', silent.path, '--board', 'linux', '--bundle', BIN, '--network', 'net.key', '--inventory', 'inv.json'], { cwd: dir });
      expect(r2.code).toBe(1);
      expect(r2.err).toMatch(new RegExp(`is busy: held by .*pid ${process.pid} \\(`));
      expect(r2.err).toMatch(/close that program/);
    } finally { await closePort(held); }
  }, 20_000);

  it('permission and other errors are classified', () => {
    expect(classifyOpenError('/dev/null', new Error('Error: Permission denied, cannot open /dev/null')).kind).toBe('permission');
    expect(classifyOpenError('/dev/null', new Error('Error: Permission denied, cannot open /dev/null')).message).toMatch(/dialout/);
    expect(classifyOpenError('/dev/null', new Error('Error Resource temporarily unavailable Cannot lock port')).kind).toBe('busy');
    expect(classifyOpenError('/dev/null', new Error('Error: Inappropriate ioctl')).kind).toBe('other');
  });

  it('--all lists explicit paths (also missing ones, so flashing them reports it) without duplicates', async () => {
    const found = await listPorts([emu.path, emu.path, join(dir, 'gone')]);
    expect(found.map((p) => p.path).slice(0, 2)).toEqual([emu.path, join(dir, 'gone')]);
  });
});

describe('the console passthrough', () => {
  it('passes the REPL through and quits on Ctrl-]', async () => {
    const child = spawn(process.execPath, [BIN, 'console', '--port', emu.path], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const code = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    for (let i = 0; i < 100 && !out.includes('=7'); i++) {
      if (i % 20 === 0) child.stdin.write('3+4\n');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(out).toContain('=7');
    child.stdin.write('\x1d');
    expect(await code).toBe(0);
  }, 20_000);

  it('exit 1 when the port cannot be opened', async () => {
    const r = await meshwork(['console', '--port', join(dir, 'nope')], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/does not exist/);
  });
});

describe('usage and help', () => {
  it('usage errors exit 2', async () => {
    const runs = await Promise.all([
      meshwork(['flash', '--board', 'linux'], { cwd: dir }),
      meshwork(['flash', '--port', 'x', '--board', 'linux', '--role', 'king'], { cwd: dir }),
      meshwork(['flash', '--port', 'x', '--port', 'y', '--board', 'linux', '--name', 'a'], { cwd: dir }),
      meshwork(['flash', '--port', 'x', '--board', 'pdp11'], { cwd: dir }),
      meshwork(['monitor', '--port', 'x', '--ping', 'zz'], { cwd: dir }),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2]);
    expect(runs[1].err).toMatch(/router, gateway or leaf/);
    expect(runs[3].err).toMatch(/unknown board "pdp11"; valid boards: .*linux/);
  }, 30_000);

  it('--help of each command describes it and its exit codes', async () => {
    const runs = await Promise.all(['flash', 'monitor', 'console'].map((c) => meshwork([c, '--help'], { cwd: dir })));
    for (const r of runs) { expect(r.code).toBe(0); expect(r.out).toMatch(/Exit codes: 0/); }
    expect(runs[0].out).toMatch(/--deploy <file>/);
    expect(runs[1].out).toMatch(/send <dst> <text>/);
    expect(runs[2].out).toMatch(/Ctrl-] quits/);
  }, 20_000);
});

describe('upload details', () => {
  it('a quoted chunk carries every byte value and only printable ASCII', () => {
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('') + "'\\\"\n\r\x10\x03";
    const q = jsQuote(all);
    expect(q).toMatch(/^'[\x20-\x7e]*'$/);
    expect(vm.runInNewContext(q)).toBe(all);
  });

  it('board names: exact, or an unclaimed variant', () => {
    const b = (n: string) => findBoard(n)!;
    expect(boardMatches(b('linux'), 'LINUX_ESP32LIKE', boards)).toBe(true);
    expect(boardMatches(b('esp32'), 'ESP32', boards)).toBe(true);
    expect(boardMatches(b('esp32'), 'ESP32_IDF4', boards)).toBe(false); // esp32-idf4 claims it
    expect(boardMatches(b('esp32-idf4'), 'ESP32_IDF4', boards)).toBe(true);
    expect(boardMatches(b('esp32-c3'), 'ESP32C3_IDF4', boards)).toBe(true);
    expect(boardMatches(b('esp32'), 'ESP32C3_IDF4', boards)).toBe(false);
    expect(boardMatches(b('linux'), 'ESP32', boards)).toBe(false);
  });
});

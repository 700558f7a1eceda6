/**
 * The `meshwork` CLI as a user runs it (a real process): keys, encode, decode, exit codes, and that no
 * key material ever reaches stdout or stderr.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../bin/meshwork.mjs', import.meta.url).pathname;
let dir = '';
function mw(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const keyHexes = (file: string): string[] => JSON.parse(readFileSync(join(dir, file), 'utf8')).epochs.map((e: any) => e.key);

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'mw-cli-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('meshwork keys', () => {
  it('new writes a 0600 file and prints a fingerprint, never the key', () => {
    const r = mw('keys', 'new', '--out', 'net.key', '--mesh', 'rooftops');
    expect(r.code).toBe(0);
    expect(statSync(join(dir, 'net.key')).mode & 0o777).toBe(0o600);
    const [key] = keyHexes('net.key');
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(r.out).toMatch(/fingerprint [0-9a-f]{16}/);
    expect(r.out + r.err).not.toContain(key);
  });

  it('refuses to overwrite without --force (exit 2) and keeps the old key', () => {
    const before = keyHexes('net.key');
    const r = mw('keys', 'new', '--out', 'net.key');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--force/);
    expect(keyHexes('net.key')).toEqual(before);
  });

  it('rotate adds the next epoch and keeps the previous one; show lists them without keys', () => {
    const r = mw('keys', 'rotate', '--file', 'net.key');
    expect(r.code).toBe(0);
    const f = JSON.parse(readFileSync(join(dir, 'net.key'), 'utf8'));
    expect(f.current).toBe(2);
    expect(f.epochs.map((e: any) => e.epoch)).toEqual([1, 2]);
    const s = mw('keys', 'show', '--file', 'net.key', '--json');
    expect(s.code).toBe(0);
    const j = JSON.parse(s.out);
    expect(j.epochs.map((e: any) => e.epoch)).toEqual([1, 2]);
    for (const k of keyHexes('net.key')) expect(s.out + s.err + r.out + r.err).not.toContain(k);
  });

  it('a missing key file is a clear usage error that says what to do', () => {
    const r = mw('keys', 'show', '--file', 'nope.key');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/meshwork keys new/);
  });
});

describe('meshwork encode / decode', () => {
  it('round-trips a message through a sealed frame and verifies both tags', () => {
    const e = mw('encode', '--key', 'net.key', '--src', '1a2b', '--dst', 'c0ffee', '--seq', '9', '{"t":"txt","m":"héllo"}');
    expect(e.code).toBe(0);
    const frame = e.out.trim();
    expect(frame).toMatch(/^[0-9a-f]+$/);
    const d = mw('decode', '--key', 'net.key', '--json', frame);
    expect(d.code).toBe(0);
    const rep = JSON.parse(d.out);
    expect(rep.header).toMatchObject({ src: '00001a2b', dst: '00c0ffee', seq: 9, epoch: 2, type: 'data' });
    expect(rep.headerTag).toBe('ok');
    expect(rep.frameTag).toBe('ok');
    expect(rep.payload).toEqual({ t: 'txt', m: 'héllo' });
    for (const k of keyHexes('net.key')) expect(d.out + d.err).not.toContain(k);
    // base64 input works too
    const b64 = Buffer.from(frame, 'hex').toString('base64');
    expect(JSON.parse(mw('decode', '--key', 'net.key', '--json', b64).out).payload).toEqual({ t: 'txt', m: 'héllo' });
  });

  it('a tampered frame fails verification with exit 1; without a key the header still decodes', () => {
    const frame = mw('encode', '--key', 'net.key', '--seq', '10', '[1,2,3]').out.trim();
    const bad = frame.slice(0, 44) + (frame[44] === '0' ? '1' : '0') + frame.slice(45);
    const d = mw('decode', '--key', 'net.key', '--json', bad);
    expect(d.code).toBe(1);
    expect(JSON.parse(d.out).frameTag).toBe('frame tag does not verify');
    const n = mw('decode', bad);
    expect(n.code).toBe(0);
    expect(n.out).toMatch(/not checked/);
  });

  it('garbage input is exit 2 with a reason; a frame under another network key is exit 1', () => {
    expect(mw('decode', 'zz-not-a-frame!').code).toBe(2);
    mw('keys', 'new', '--out', 'other.key');
    const frame = mw('encode', '--key', 'other.key', '--seq', '3', '"x"').out.trim();
    const d = mw('decode', '--key', 'net.key', frame);
    expect(d.code).toBe(1);
    expect(d.out).toMatch(/no key for this epoch|does not verify/);
  });

  it('reads frames from stdin, one per line', () => {
    const a = mw('encode', '--key', 'net.key', '--seq', '20', '1').out.trim();
    const b = mw('encode', '--key', 'net.key', '--seq', '21', '2').out.trim();
    writeFileSync(join(dir, 'frames.txt'), `${a}\n${b}\n`);
    const r = spawnSync(process.execPath, [BIN, 'decode', '--key', 'net.key', '--json', '-'], { cwd: dir, input: readFileSync(join(dir, 'frames.txt')), encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).payload)).toEqual([1, 2]);
  });
});

describe('meshwork --help', () => {
  it('every command has help', () => {
    for (const c of [[], ['build'], ['keys'], ['keys', 'new'], ['encode'], ['decode']]) {
      const r = mw(...c, '--help');
      expect(r.code, c.join(' ')).toBe(0);
      expect(r.out).toMatch(/Usage: meshwork/);
    }
  });
});

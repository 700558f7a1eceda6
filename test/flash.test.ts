/**
 * `meshwork flash` end to end over socat ptys, with H3's emulated Espruino REPL (test/emulation/espruino-repl.ts)
 * as the board: upload, CRC verify, mw.cfg, reboot, handshake; parallel ports and a deployment file; the
 * failures (wrong board, too big, a node that boots an old version, a silent port) exit 1 with what to do and
 * leave nothing marked good. The stand-in firmware (test/serial-fixtures.ts) answers the handshake by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from '../host/crc32.ts';
import { findBoard } from '../boards/index.ts';
import { fakeFirmware, meshwork, nodeEval, startPtyNode, type PtyNode } from './serial-fixtures.ts';

let dir = '';
const nodes: PtyNode[] = [];
let a: PtyNode;
let b: PtyNode;
const KEY_RE = /"key"\s*:\s*"([0-9a-f]{32})"/;
const fw = fakeFirmware({ padTo: 6000 });
const fwHash = crc32(Buffer.from(fw, 'latin1')).toString(16).padStart(8, '0');
let key = '';
const BUDGET = findBoard('linux')!.budgets.bundleBytes;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mw-flash-'));
  writeFileSync(join(dir, 'fw.js'), fw);
  writeFileSync(join(dir, 'old.js'), fakeFirmware({ padTo: 6000, hashOverride: 'deadbeef' }));
  writeFileSync(join(dir, 'big.js'), 'x'.repeat(BUDGET + 1));
  writeFileSync(join(dir, 'esp.js'), fakeFirmware({ padTo: 4000, board: 'esp32' }));
  const [k, na, nb] = await Promise.all([
    meshwork(['keys', 'new', '--out', 'net.key', '--mesh', 'kitchen'], { cwd: dir }),
    startPtyNode(join(dir, 'a'), { kind: 'emulation' }),
    startPtyNode(join(dir, 'b'), { kind: 'emulation' }),
  ]);
  expect(k.code).toBe(0);
  key = JSON.parse(readFileSync(join(dir, 'net.key'), 'utf8')).epochs[0].key;
  a = na; b = nb;
  nodes.push(a, b);
}, 40_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
});

const inv = (): any => JSON.parse(readFileSync(join(dir, 'inv.json'), 'utf8'));

describe('meshwork flash over a pty (emulated board)', () => {
  it('uploads, verifies the CRC, writes mw.cfg last, reboots and checks the handshake', async () => {
    const r = await meshwork(['flash', '--port', a.path, '--board', 'linux', '--bundle', 'fw.js', '--name', 'roof-north',
      '--role', 'gateway', '--id', '1a2b3c4d', '--network', 'net.key', '--inventory', 'inv.json', '--json'], { cwd: dir });
    expect(r.err).not.toMatch(/FAILED/);
    expect(r.code).toBe(0);
    const [res] = JSON.parse(r.out);
    expect(res).toMatchObject({ ok: true, id: '1a2b3c4d', name: 'roof-north', role: 'gateway', hash: fwHash, bytes: fw.length });
    expect(res.lineBytes).toBeGreaterThanOrEqual(fw.length);
    expect(res.lineBytes).toBeLessThan(fw.length * 1.1); // quoted chunks, not base64
    // what the node stores: the bundle byte for byte and the config, key included, with the hash it was written for
    const [crc, cfg] = await nodeEval<[number, any]>(a.path, '[E.CRC32(require("Storage").read(".bootcde")),require("Storage").readJSON("mw.cfg")]');
    expect((crc >>> 0).toString(16).padStart(8, '0')).toBe(fwHash);
    expect(cfg).toMatchObject({ id: 0x1a2b3c4d, name: 'roof-north', role: 'gateway', mesh: 'kitchen', epoch: 1, ch: 1, key, fw: fwHash });
    // the key never reaches the terminal or the inventory
    expect(r.out + r.err).not.toContain(key);
    expect(JSON.stringify(inv())).not.toContain(key);
    expect(inv().nodes['1a2b3c4d']).toMatchObject({ name: 'roof-north', role: 'gateway', board: 'linux', hash: fwHash, mesh: 'kitchen' });
    expect(inv().nodes['1a2b3c4d'].keyFingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('re-flashing keeps the id and name the node already has', async () => {
    const r = await meshwork(['flash', '--port', a.path, '--board', 'linux', '--bundle', 'fw.js', '--network', 'net.key', '--inventory', 'inv.json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/1a2b3c4d\s+roof-north\s+gateway\s+ok\s+[0-9a-f]{8}/);
    expect(r.out).toMatch(/write s\s+line-rate s/);
  });

  it('flashes two ports in parallel from a deployment file, with a summary table and the inventory', async () => {
    writeFileSync(join(dir, 'fleet.json'), JSON.stringify({
      board: 'linux', network: 'net.key', nodes: [
        { name: 'school', role: 'router', position: [52.1, 13.2], port: a.path, id: '0000beef' },
        { name: 'mill', role: 'leaf', position: [52.2, 13.3], port: b.path },
      ],
    }));
    const r = await meshwork(['flash', '--deploy', 'fleet.json', '--bundle', 'fw.js', '--inventory', 'inv.json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/0000beef\s+school\s+router\s+ok/);
    expect(r.out).toMatch(/mill\s+leaf\s+ok/);
    expect(r.err).toContain(`${a.path}: done`);
    expect(r.err).toContain(`${b.path}: done`);
    const nodesInv = Object.values(inv().nodes) as any[];
    expect(nodesInv.find((n) => n.name === 'school')).toMatchObject({ id: '0000beef', position: [52.1, 13.2] });
    expect(nodesInv.find((n) => n.name === 'mill')).toMatchObject({ role: 'leaf', position: [52.2, 13.3] });
    // a node keeps the id the inventory gave it on the next re-flash of the fleet
    const millId = nodesInv.find((n) => n.name === 'mill').id;
    const again = await meshwork(['flash', '--deploy', 'fleet.json', '--bundle', 'fw.js', '--inventory', 'inv.json', '--json'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out).map((x: any) => x.id).sort()).toEqual(['0000beef', millId].sort());
  }, 30_000);

  it('wrong board: exit 1, says which --board fits, and leaves the node untouched', async () => {
    const r = await meshwork(['flash', '--port', b.path, '--board', 'esp32', '--bundle', 'esp.js', '--network', 'net.key', '--inventory', 'inv.json'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/wrong board: the node runs Espruino for LINUX but --board esp32 expects ESP32; use --board linux/);
    const name = await nodeEval<string>(b.path, 'require("Storage").readJSON("mw.cfg").name');
    expect(name).toBe('mill');
  });

  it('code too big for the board: exit 1 before touching the node', async () => {
    const r = await meshwork(['flash', '--port', b.path, '--board', 'linux', '--bundle', 'big.js', '--network', 'net.key', '--inventory', 'inv.json'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`over the board budget of ${BUDGET}`);
    expect(r.err).not.toMatch(/: connect/);
  });

  it('a node that reboots into another firmware: exit 1 "old version" with the hashes', async () => {
    const r = await meshwork(['flash', '--port', b.path, '--board', 'linux', '--bundle', 'old.js', '--network', 'net.key', '--inventory', 'inv.json', '--hello-timeout', '4000'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/rebooted into another firmware: hash deadbeef, expected [0-9a-f]{8}/);
    expect(r.out).toMatch(/FAILED/);
  });
});

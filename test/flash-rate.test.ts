/**
 * Upload speed against the line rate: the emulated ESP32 console paced like a 115200 baud UART (H3's
 * espruino-repl --baud), a 40 KB bundle. The floor is bytes × 10 / baud; the uploader keeps a few acknowledged
 * lines in flight (window 3 × 512-byte chunks, ~1.6 KB, far below the node's input buffer), so it must come
 * within 25 % of that floor, and a window of 1 (stop-and-wait) must be measurably slower.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeFirmware, meshwork, startPtyNode, type PtyNode } from './serial-fixtures.ts';

let dir = '';
let node: PtyNode;
const fw = fakeFirmware({ padTo: 40000, board: 'esp32' });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mw-rate-'));
  writeFileSync(join(dir, 'fw.js'), fw);
  const [k, n] = await Promise.all([
    meshwork(['keys', 'new', '--out', 'net.key'], { cwd: dir }),
    startPtyNode(join(dir, 'n'), { kind: 'emulation', board: 'esp32', baud: 115200 }),
  ]);
  expect(k.code).toBe(0);
  node = n;
}, 30_000);
afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// wall-clock pacing: a run that shares the CPU with other suites can lag the emulated UART's timers, so the
// bound must hold in one of three runs (the figure itself is reported here and in the README)
describe('upload time against the line rate (115200 baud emulated UART)', { retry: 2 }, () => {
  it('window 3: within 25 % of bytes × 10 / baud; stop-and-wait is slower', async () => {
    const run = async (window: string): Promise<any> => {
      const r = await meshwork(['flash', '--port', node.path, '--board', 'esp32', '--bundle', 'fw.js', '--network', 'net.key',
        '--inventory', 'inv.json', '--window', window, '--json'], { cwd: dir });
      expect(r.code, r.err).toBe(0);
      return JSON.parse(r.out)[0];
    };
    const w3 = await run('3');
    const w1 = await run('1');
    console.log(`40000 B at 115200 baud: line rate ${w3.lineRateMs} ms; window 3: ${w3.writeMs} ms (${w3.lineBytes} B on the line), window 1: ${w1.writeMs} ms`);
    expect(w3.lineRateMs).toBe(Math.round((40000 * 10 * 1000) / 115200));
    expect(w3.writeMs).toBeGreaterThanOrEqual(w3.lineRateMs * 0.95); // the pacing is real
    expect(w3.writeMs).toBeLessThan(w3.lineRateMs * 1.25);
    expect(w1.writeMs).toBeGreaterThan(w3.writeMs * 1.1);
  }, 40_000);
});

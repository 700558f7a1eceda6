/**
 * The built firmware bundle as a node runs it, under the Espruino emulation: it boots without the globals
 * Espruino lacks, picks the board's AES backend, and never reuses a nonce across reboots (the sequence
 * high-water mark lives in Storage and survives a "reboot" = a fresh interpreter over the same flash).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFirmware } from '../host/build/build-firmware.ts';
import { createEspruinoEnv } from './emulation/espruino-env.ts';

const code: Record<string, string> = {};
beforeAll(async () => {
  const r = await buildFirmware({ boards: ['esp32', 'esp32-idf4', 'esp32-c3'], outDir: join(mkdtempSync(join(tmpdir(), 'mw-fw-')), 'fw') });
  expect(r.ok).toBe(true);
  for (const x of r.results) code[x.board] = readFileSync(x.outFile!, 'utf8');
});

function boot(board: string, flash: Record<string, string>, noCrypto = false) {
  const env = createEspruinoEnv({ out: () => {}, noCrypto });
  for (const [k, v] of Object.entries(flash)) env.storage.set(k, v);
  env.run(code[board], `${board}.js`);
  const mw = (env.context as any).MW;
  return { mw, flash: () => Object.fromEntries(env.storage) };
}

describe('firmware bundle under the emulation', () => {
  it('boots with the board constants and the right AES backend', () => {
    expect(boot('esp32', {}).mw).toMatchObject({ board: 'esp32', cipher: 'native' });
    // ESP32_IDF4 has no crypto module: the JS backend must not need it
    expect(boot('esp32-idf4', {}, true).mw).toMatchObject({ board: 'esp32-idf4', cipher: 'js' });
    expect(() => boot('esp32', {}, true)).toThrow(/crypto/);
  });

  it('never reuses a sequence number (nonce) across reboots, and persists before sending', () => {
    let flash: Record<string, string> = {};
    const seen = new Set<number>();
    for (let reboot = 0; reboot < 6; reboot++) {
      const node = boot('esp32-c3', flash);
      const sends = 100 + reboot * 97; // crosses the 256-number persistence block on some boots
      for (let i = 0; i < sends; i++) {
        const s = node.mw.seqs.next(1);
        expect(s).toBeGreaterThan(0);
        expect(seen.has(s)).toBe(false);
        seen.add(s);
        const mark = Number(node.flash()['mw.seq'].split(':')[1]);
        expect(mark).toBeGreaterThan(s);
      }
      flash = node.flash(); // power cut: only what reached flash survives
    }
    expect(seen.size).toBe(6 * 100 + 97 * 15);
  });

  it('seals with the native backend and opens with the JS backend: same bytes on every board', () => {
    const a = boot('esp32', {}).mw;
    const b = boot('esp32-idf4', {}, true).mw;
    const key = new Uint8Array(16).map((_, i) => i + 1);
    a.keys.set(4, key);
    b.keys.set(4, key);
    const h = Object.assign(a.lib.newHeader(), { type: 1, hopLimit: 3, hopStart: 3, epoch: 4, src: 77, dst: 0xffffffff, seq: a.seqs.next(4) });
    const out = new Uint8Array(250);
    const payload = new Uint8Array(150).map((_, i) => i * 3);
    const n = a.seal.seal(h, payload, out, 0);
    const frame = out.subarray(0, n);
    const hb = b.lib.newHeader();
    expect(b.lib.decodeHeader(frame, n, hb)).toBe(0);
    const pl = new Uint8Array(250);
    expect(b.seal.open(frame, hb, pl)).toBe(0);
    expect(Array.from(pl.subarray(0, 150))).toEqual(Array.from(payload));
  });
});

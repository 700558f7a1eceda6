/**
 * The built firmware bundle as a node runs it, under the Espruino emulation: it boots without the globals
 * Espruino lacks, picks the board's AES backend, and never reuses a nonce across reboots (the sequence
 * high-water mark lives in Storage and survives a "reboot" = a fresh interpreter over the same flash): the
 * frames a provisioned node puts on the (emulated) air are read by a sniffer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFirmware } from '../host/build/build-firmware.ts';
import { createEspruinoEnv, VirtualClock } from './emulation/espruino-env.ts';
import { createEspNowMedium } from './emulation/espruino-espnow.ts';
import { bootNode, type EmulatedNode } from './support/emulated-node.ts';

const code: Record<string, string> = {};
beforeAll(async () => {
  const r = await buildFirmware({ boards: ['esp32', 'esp32-idf4', 'esp32-espnow'], outDir: join(mkdtempSync(join(tmpdir(), 'mw-fw-')), 'fw') });
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
    // a provisioned ESP-NOW node; a sniffer on the emulated air reads the sequence number of every frame it
    // sends (beacons and data alike); a "power cut" keeps only what reached flash
    const clock = new VirtualClock();
    const medium = createEspNowMedium({ defer: (fn) => { clock.schedule(clock.now() + 1, fn); } });
    const sniffer = medium.node('sniffer');
    sniffer.init({ channel: 1 });
    let flash: Record<string, string> = {};
    let live: EmulatedNode | null = null;
    const seen = new Set<number>();
    let frames = 0;
    sniffer.on('data', (d: Uint8Array) => {
      const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
      if (d.length < 20 || v.getUint32(5) !== 0x4242) return;
      const seq = v.getUint32(13);
      expect(seen.has(seq), `sequence ${seq} reused`).toBe(false);
      seen.add(seq);
      frames++;
      // the high-water mark in flash is always ahead of what went on the air
      const mark = Number(live!.env.storage.get('mw.seq')!.split(':')[1]);
      expect(mark).toBeGreaterThan(seq);
    });
    for (let reboot = 0; reboot < 5; reboot++) {
      live = bootNode({ code: code['esp32-espnow'], board: 'esp32-espnow', clock, cfg: { id: 0x4242 }, storage: flash,
        modules: { ESPNOW: medium.module('n' + reboot) } });
      const sends = 60 + reboot * 47; // crosses the 256-number persistence block on some boots
      for (let i = 0; i < sends; i++) {
        live.env.run('MW.node.send(0xffffffff, E.toUint8Array("hello"), 0)');
        clock.advance(150);
      }
      clock.advance(2000);
      flash = Object.fromEntries(live.env.storage); // power cut
      live.env.dispose();
    }
    expect(frames).toBeGreaterThan(5 * 60);
    expect(seen.size).toBe(frames);
  });

  it('seals with the native backend and opens with the JS backend: same bytes on every board', () => {
    const a = boot('esp32', {}).mw;
    const b = boot('esp32-idf4', {}, true).mw;
    const key = new Uint8Array(16).map((_, i) => i + 1);
    // the bundle's own factories over its own AES backend (native crypto / pure JS)
    const core = (mw: any) => {
      const keys = mw.lib.createKeyring({ capacity: 2 })({ aes: mw.aes });
      keys.set(4, key);
      return { keys, seal: mw.lib.createFrameSeal()({ aes: mw.aes, keys }) };
    };
    Object.assign(a, core(a));
    Object.assign(b, core(b));
    const h = Object.assign(a.lib.newHeader(), { type: 1, hopLimit: 3, hopStart: 3, epoch: 4, src: 77, dst: 0xffffffff, seq: 9 });
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

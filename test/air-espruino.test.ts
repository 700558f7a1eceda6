/**
 * The radio drivers as Espruino code: each bundles with the firmware build's options and passes the bundle
 * check; and, when ESPRUINO_BIN points at an Espruino Linux build, three REAL interpreter processes running
 * the udp-loopback driver exchange frames through the REAL host air (a line: 0 - 1 - 2), byte-exact, with the
 * RSSI the air computed, and the far ends never hear each other.
 */
import { describe, it, expect } from 'vitest';
import { checkBundle, formatViolations } from '../host/build/bundle-check.ts';
import { bundleForEspruino, espruinoBin, runEspruino, skipReason } from './support/espruino.ts';

/** "@@"-marked JSON lines; output printed from callbacks follows the REPL prompt and an erase-line escape */
function marked(stdout: string): any[] {
  return stdout.split('\n').filter((l) => l.includes('@@')).map((l) => JSON.parse(l.slice(l.indexOf('@@') + 2)));
}
import { createAir } from '../host/air/air.ts';
import { explicitLinks } from '../host/air/air-model.ts';

const DRIVERS: Record<string, string> = {
  'udp-loopback': `import { createUdpLoopbackRadio } from './firmware/radio-udp-loopback.ts';
    declare const global: any; global.R = createUdpLoopbackRadio({ id: 1, port: 1 });`,
  'wifi-udp': `import { createWifiUdpRadio } from './firmware/radio-wifi-udp.ts';
    declare const global: any; global.R = createWifiUdpRadio({ id: 1, mesh: 'm', password: 'pppppppp', channel: 1 });`,
  espnow: `import { createEspNowRadio } from './firmware/radio-espnow.ts';
    declare const global: any; global.R = createEspNowRadio({ channel: 1 });`,
};

describe('radio drivers bundle for Espruino', () => {
  for (const [name, src] of Object.entries(DRIVERS)) {
    it(`${name}: bundles and passes the bundle check`, async () => {
      const code = await bundleForEspruino(src, {});
      const v = checkBundle(code);
      expect(v, formatViolations(v, name)).toEqual([]);
      expect(code.length).toBeLessThan(8000);
    });
  }
});

/** node i's k-th frame: 10..250 bytes covering every byte value */
function frameOf(i: number, k: number): number[] {
  const len = k === 0 ? 250 : 10 + k * 47;
  const f: number[] = [];
  for (let j = 0; j < len; j++) f.push((i * 101 + k * 37 + j * 13) & 255);
  return f;
}

const NODE_SRC = `
import { createUdpLoopbackRadio } from './firmware/radio-udp-loopback.ts';
declare const ID: number, PORT: number, AIR: number, IDX: number;
declare function quit(): void;
const radio = createUdpLoopbackRadio({ id: ID, port: PORT, airPort: AIR, helloMs: 150 })({
  dgram: require('dgram'), bytes: E as any,
  timers: { setTimeout: setTimeout as any, clearTimeout: clearTimeout as any, now: function () { return getTime() * 1000; } },
});
radio.start(function (f: Uint8Array, len: number, rssi: number) {
  print('@@' + JSON.stringify({ rssi: rssi, b: btoa(E.toString(f.subarray(0, len)) as string) }));
});
function frameOf(i: number, k: number): Uint8Array {
  const len = k === 0 ? 250 : 10 + k * 47;
  const f = new Uint8Array(len);
  for (let j = 0; j < len; j++) f[j] = (i * 101 + k * 37 + j * 13) & 255;
  return f;
}
let k = 0;
function next(): void {
  if (k < 5) { const f = frameOf(IDX, k); radio.send(f, f.length); f.fill(0); k++; setTimeout(next, 120); }
}
setTimeout(next, 1200);
setTimeout(function () { print('@@' + JSON.stringify({ status: radio.status() })); radio.stop(); quit(); }, 3000);
`;

const bin = espruinoBin();
describe.skipIf(!bin)('udp-loopback on the real Espruino interpreter through the real air', () => {
  it('three interpreters in a line exchange byte-exact frames with RSSI', async () => {
    const ids = [0x0a000001, 0x0a000002, 0x0a000003];
    const air = await createAir({ port: 0, links: explicitLinks(3, (i, j) => (Math.abs(i - j) === 1 ? -58 - i - j : -Infinity)), fastFading: false, ids });
    try {
      const base = 46000 + Math.floor(Math.random() * 1500) * 2;
      const runs = ids.map(async (id, i) => {
        const code = await bundleForEspruino(NODE_SRC, { ID: String(id), PORT: String(base + i), AIR: String(air.port), IDX: String(i) });
        expect(checkBundle(code)).toEqual([]);
        return runEspruino(bin!, code, { timeoutMs: 20_000 });
      });
      const outs = (await Promise.all(runs)).map((r) => marked(r.stdout));
      const b64 = (f: number[]) => Buffer.from(f).toString('base64');
      const expectFrom = (from: number) => [0, 1, 2, 3, 4].map((k) => b64(frameOf(from, k)));
      const rx = outs.map((lines) => lines.filter((l) => l.b).map((l) => l.b as string));
      const rssi = outs.map((lines) => lines.filter((l) => l.b).map((l) => l.rssi as number));
      expect(rx[0].sort()).toEqual(expectFrom(1).sort());
      expect(rx[2].sort()).toEqual(expectFrom(1).sort());
      expect(rx[1].sort()).toEqual([...expectFrom(0), ...expectFrom(2)].sort());
      expect(new Set(rssi[0])).toEqual(new Set([-59]));
      expect(new Set(rssi[2])).toEqual(new Set([-61]));
      const st = outs.map((lines) => lines.find((l) => l.status).status);
      expect(st.map((s) => s.tx)).toEqual([5, 5, 5]);
      expect(st.map((s) => s.errors)).toEqual([0, 0, 0]);
      expect(st[1].peers).toBe(2);
      expect(air.counters.frames).toBe(15);
      expect(air.counters.delivered).toBe(20);
    } finally {
      await air.close();
    }
  }, 30_000);
});

describe.skipIf(!!bin)('udp-loopback on the real interpreter', () => {
  it(skipReason(), () => { console.log(skipReason()); });
});

/**
 * The radio drivers as BUNDLES, wired the way the firmware wires them (firmware/radio-select.ts createRadio:
 * require() of the board's modules, E as the byte port, getTime), running inside the Espruino emulation
 * (test/emulation/espruino-env.ts: Espruino's missing globals removed, modules through opts.modules, callbacks
 * delivered as node events). Several envs form a mesh:
 * - wifi-udp and espnow on one shared VirtualClock (deterministic, no real time spent);
 * - udp-loopback over REAL node:dgram sockets through the REAL host air, on the real clock.
 */
import { describe, it, expect } from 'vitest';
import { createEspruinoEnv, VirtualClock, type EspruinoEnv, type ModuleSpec } from './emulation/espruino-env.ts';
import { createEspNowMedium } from './emulation/espruino-espnow.ts';
import { createWifiWorld } from './emulation/espruino-wifi.ts';
import { createRealDgram, hooksOf } from './emulation/espruino-dgram.ts';
import { createAir } from '../host/air/air.ts';
import { explicitLinks } from '../host/air/air-model.ts';
import { bundleForEspruino } from './support/espruino.ts';
import { until } from './support/radio-harness.ts';

const ENTRY = `
import { createRadio } from './firmware/radio-select.ts';
declare const global: any;
const C = global.CFG;
const radio = createRadio({ id: C.id, name: 'n', role: 'router', mesh: 'vm', key: new Uint8Array(16), epoch: 0, ch: 3, radio: C.radio },
  function (l: number, e: string, d: any) { if (l < 2) global.LOGS.push(e + ':' + d); });
global.RX = [];
global.LOGS = [];
radio.start(function (f: Uint8Array, len: number, rssi: number) {
  global.RX.push({ s: E.toString(f.subarray(0, len)), rssi: rssi });
});
global.RADIO = radio;
`;

function frameFor(i: number, k: number): string {
  let s = '';
  for (let j = 0; j < 40 + 70 * k; j++) s += String.fromCharCode((i * 7 + k * 13 + j * 29) & 255);
  return s;
}

/** 3 envs send 4 frames each, until every env got every other env's frames; then the checks */
async function exchange(envs: EspruinoEnv[], step: (done: () => boolean) => Promise<boolean>): Promise<void> {
  const rx = (i: number) => envs[i].global('RX') as { s: string; rssi: number }[];
  const want = (i: number) => [0, 1, 2].filter((j) => j !== i).flatMap((j) => [0, 1, 2, 3].map((k) => frameFor(j, k)));
  const done = () => [0, 1, 2].every((i) => want(i).every((s) => rx(i).some((r) => r.s === s)));
  const send = () => {
    for (let i = 0; i < 3; i++) {
      for (let k = 0; k < 4; k++) {
        (envs[i].context as any).F = frameFor(i, k);
        envs[i].run('var u = E.toUint8Array(F); RADIO.send(u, u.length); u.fill(0);');
      }
    }
  };
  let rounds = 0;
  while (!done()) {
    if (rounds++ > 40) throw new Error('frames not delivered');
    send();
    await step(done);
  }
  for (let i = 0; i < 3; i++) {
    expect(rx(i).every((r) => r.rssi < 0 && r.rssi >= -128)).toBe(true);
    expect(rx(i).some((r) => r.s === frameFor(i, 0))).toBe(false);
    const st = JSON.parse(envs[i].run('JSON.stringify(RADIO.status())') as string);
    expect(st.errors, JSON.stringify(st)).toBe(0);
    expect(st.peers).toBe(2);
  }
  for (const e of envs) { e.run('RADIO.stop()'); e.dispose(); }
}

describe('bundled drivers wired by createRadio, in the Espruino emulation', () => {
  for (const [kind, board] of [['espnow', 'esp32-espnow'], ['wifi-udp', 'esp32']] as const) {
    it(`${kind}: three envs on a virtual clock exchange byte-exact frames`, async () => {
      const code = await bundleForEspruino(ENTRY, { 'BOARD.radio': JSON.stringify(kind) });
      const clock = new VirtualClock();
      const defer = (fn: () => void) => { clock.schedule(clock.now() + 1, fn); };
      const medium = createEspNowMedium({ rssi: () => -52, defer });
      const world = createWifiWorld({ rssi: (a, b) => -45 - Math.abs(Number(a.slice(1)) - Number(b.slice(1))), defer });
      const envs = [0, 1, 2].map((i) => {
        const name = 'n' + i;
        const modules: Record<string, ModuleSpec> = kind === 'espnow' ? { ESPNOW: medium.module(name) } : world.modules(name);
        const env = createEspruinoEnv({ board, clock, modules, out: () => {}, name });
        (env.context as any).CFG = { id: 0x500 + i, radio: { password: 'vm-password-1' } };
        env.run(code);
        return env;
      });
      // links form in virtual time (wifi: APs, scans, joins)
      expect(clock.runUntil(() => envs.every((e) => e.run('RADIO.status().up') === true), 10_000)).toBe(true);
      let linked = 0;
      await exchange(envs, async (done) => {
        clock.runUntil(done, 2000);
        linked = ['n0', 'n1', 'n2'].filter((n) => world.upstreamOf(n) !== null).length;
        return done();
      });
      // wifi: frames crossed station links (a 2-cycle may have been broken: one node without upstream)
      if (kind === 'wifi-udp') expect(linked).toBeGreaterThanOrEqual(2);
    });
  }

  it('udp-loopback: three envs through the real air over real sockets', async () => {
    const code = await bundleForEspruino(ENTRY, { 'BOARD.radio': '"udp-loopback"' });
    const air = await createAir({ port: 0, links: explicitLinks(3, () => -57), fastFading: false, ids: [0x501, 0x502, 0x503] });
    const base = 43000 + Math.floor(Math.random() * 1000) * 3;
    try {
      const envs = [0, 1, 2].map((i) => {
        const env = createEspruinoEnv({ board: 'linux', modules: { dgram: (h) => createRealDgram({}, hooksOf(h)) }, out: () => {} });
        (env.context as any).CFG = { id: 0x501 + i, radio: { port: base + i, airPort: air.port } };
        env.run(code);
        return env;
      });
      await until(() => air.nodes().length === 3, 3000, 'hellos at the air');
      await exchange(envs, async () => { await new Promise((r) => setTimeout(r, 40)); return true; });
      expect(air.counters.garbage).toBe(0);
    } finally {
      await air.close();
    }
  });
});

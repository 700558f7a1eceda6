/**
 * The wifi-udp driver on the REAL Espruino interpreter (ESPRUINO_BIN), three processes at once. The Linux build
 * has dgram but no Wifi module, so a small stand-in Wifi gives every node an "AP" on 127.0.0.1/8: its subnet
 * broadcast is 127.255.255.255, which every process bound to the port with reuseAddr receives (own datagrams
 * included: ESPRUINO.md). This exercises what the emulation cannot prove: Espruino's dgram strings,
 * E.toString / E.toUint8Array on real 8-bit strings, own-echo filtering against a real loopback, typed-array
 * tables, and the bundle's Espruino-safety.
 */
import { describe, it, expect } from 'vitest';
import { checkBundle } from '../host/build/bundle-check.ts';
import { bundleForEspruino, espruinoBin, runEspruino, skipReason } from './support/espruino.ts';

function marked(stdout: string): any[] {
  return stdout.split('\n').filter((l) => l.includes('@@')).map((l) => JSON.parse(l.slice(l.indexOf('@@') + 2)));
}

const NODE_SRC = `
import { createWifiUdpRadio } from './firmware/radio-wifi-udp.ts';
declare const ID: number, PORT: number, IDX: number;
declare function quit(): void;
const lo = { ip: '127.0.0.1', netmask: '255.0.0.0', gw: '127.0.0.1', mac: '00:00:00:00:00:0' + IDX };
const wifi = {
  setAPIP: function (s: any, cb: any) { setTimeout(function () { cb('Failure'); }, 1); },
  startAP: function (ssid: string, o: any, cb: any) { setTimeout(function () { cb(null); }, 1); },
  stopAP: function () {}, disconnect: function () {}, on: function () {},
  connect: function (s: string, o: any, cb: any) { setTimeout(function () { cb('no_ap_found'); }, 1); },
  scan: function (cb: any) { setTimeout(function () { cb([]); }, 5); },
  getIP: function () { return { ip: '0.0.0.0', netmask: '0.0.0.0' }; },
  getAPIP: function () { return lo; },
};
const radio = createWifiUdpRadio({ id: ID, mesh: 'lo', password: 'loopback-pass', channel: 1, port: PORT, scanMinMs: 200, scanMaxMs: 400 })({
  wifi: wifi as any, dgram: require('dgram'), bytes: E as any,
  timers: { setTimeout: setTimeout as any, clearTimeout: clearTimeout as any, now: function () { return getTime() * 1000; } },
  log: function (l: number, e: string, d: any) { if (l < 2) print('@@' + JSON.stringify({ log: e, d: d })); },
});
radio.start(function (f: Uint8Array, len: number, rssi: number) {
  print('@@' + JSON.stringify({ rssi: rssi, b: btoa(E.toString(f.subarray(0, len)) as string) }));
});
function frameOf(i: number, k: number): Uint8Array {
  const len = k === 0 ? 250 : 5 + k * 61;
  const f = new Uint8Array(len);
  for (let j = 0; j < len; j++) f[j] = (i * 89 + k * 53 + j * 7) & 255;
  return f;
}
let k = 0;
function next(): void {
  if (k < 4) { const f = frameOf(IDX, k); radio.send(f, f.length); f.fill(0); k++; setTimeout(next, 150); }
}
setTimeout(next, 1200);
setTimeout(function () { print('@@' + JSON.stringify({ status: radio.status() })); radio.stop(); quit(); }, 2800);
`;

function frameOf(i: number, k: number): string {
  const len = k === 0 ? 250 : 5 + k * 61;
  const f: number[] = [];
  for (let j = 0; j < len; j++) f.push((i * 89 + k * 53 + j * 7) & 255);
  return Buffer.from(f).toString('base64');
}

const bin = espruinoBin();
describe.skipIf(!bin)('wifi-udp on the real Espruino interpreter (loopback broadcast segment)', () => {
  it('three interpreters on one broadcast segment exchange byte-exact frames and drop their own', async () => {
    const port = 45000 + Math.floor(Math.random() * 900);
    const ids = [0x0b000001, 0x0b000002, 0x0b000003];
    const outs = await Promise.all(ids.map(async (id, i) => {
      const code = await bundleForEspruino(NODE_SRC, { ID: String(id), PORT: String(port), IDX: String(i) });
      expect(checkBundle(code)).toEqual([]);
      return marked((await runEspruino(bin!, code, { timeoutMs: 20_000 })).stdout);
    }));
    for (let i = 0; i < 3; i++) {
      const got = outs[i].filter((l) => l.b).map((l) => l.b as string).sort();
      const want = [0, 1, 2].filter((j) => j !== i).flatMap((j) => [0, 1, 2, 3].map((k) => frameOf(j, k))).sort();
      expect(got).toEqual(want);
      // never seen in a scan: the fixed default RSSI
      expect(new Set(outs[i].filter((l) => l.b).map((l) => l.rssi))).toEqual(new Set([-70]));
      const st = outs[i].find((l) => l.status).status;
      expect(st.tx).toBe(4);
      expect(st.errors).toBe(0);
      expect(st.peers).toBe(2);
      expect(st.rx).toBe(8);
    }
  }, 30_000);
});

describe.skipIf(!!bin)('wifi-udp on the real interpreter', () => {
  it(skipReason(), () => { console.log(skipReason()); });
});

const ESPNOW_SRC = `
import { createEspNowRadio } from './firmware/radio-espnow.ts';
declare function quit(): void;
// a stand-in ESPNOW binding with the contract's semantics (boards/ESPNOW.md): fresh Uint8Array per receiver
const nodes: any[] = [];
function later(n: any, copy: Uint8Array, mac: string, rssi: number): void {
  setTimeout(function () { for (let k = 0; k < n.ls.length; k++) n.ls[k](copy, mac, rssi); }, 1);
}
function binding(i: number): any {
  const me: any = { up: false, ls: [] };
  nodes.push(me);
  return {
    init: function () { me.up = true; return true; },
    deinit: function () { me.up = false; },
    on: function (ev: string, f: any) { me.ls.push(f); },
    send: function (mac: any, data: Uint8Array) {
      if (!me.up || data.length > 250) return false;
      for (let j = 0; j < nodes.length; j++) {
        const n = nodes[j];
        if (n === me || !n.up) continue;
        const copy = new Uint8Array(data.length);
        copy.set(data);
        later(n, copy, '30:ae:a4:00:00:0' + i, -40 - j);
      }
      return true;
    },
  };
}
const timers = { setTimeout: setTimeout as any, clearTimeout: clearTimeout as any, now: function () { return getTime() * 1000; } };
const radios: any[] = [];
for (let i = 0; i < 2; i++) radios.push(createEspNowRadio({ channel: 1 })({ espnow: binding(i), bytes: E as any, timers: timers }));
radios[0].start(function (f: Uint8Array, len: number, rssi: number) { print('@@' + JSON.stringify({ at: 0, rssi: rssi, b: btoa(E.toString(f.subarray(0, len)) as string) })); });
radios[1].start(function (f: Uint8Array, len: number, rssi: number) { print('@@' + JSON.stringify({ at: 1, rssi: rssi, b: btoa(E.toString(f.subarray(0, len)) as string) })); });
const f = new Uint8Array(250);
for (let j = 0; j < 250; j++) f[j] = (j * 7 + 3) & 255;
radios[0].send(f, 250);
f.fill(0);
radios[1].send(f, 3);
radios[1].send(f, 251);
setTimeout(function () {
  print('@@' + JSON.stringify({ s0: radios[0].status(), s1: radios[1].status() }));
  radios[0].stop(); radios[1].stop();
  quit();
}, 300);
`;

describe.skipIf(!bin)('espnow driver on the real Espruino interpreter (stand-in binding)', () => {
  it('delivers byte-exact frames with RSSI and counts oversize', async () => {
    const code = await bundleForEspruino(ESPNOW_SRC, {});
    expect(checkBundle(code)).toEqual([]);
    const out = marked((await runEspruino(bin!, code, { timeoutMs: 20_000 })).stdout);
    const rx = out.filter((l) => l.b);
    const f = Buffer.from(Array.from({ length: 250 }, (_, j) => (j * 7 + 3) & 255)).toString('base64');
    expect(rx).toEqual([{ at: 1, rssi: -41, b: f }, { at: 0, rssi: -40, b: Buffer.from([0, 0, 0]).toString('base64') }]);
    const st = out.find((l) => l.s0);
    expect(st.s0).toMatchObject({ kind: 'espnow', up: true, rx: 1, tx: 1, errors: 0, peers: 1 });
    expect(st.s1).toMatchObject({ rx: 1, tx: 1, oversize: 1, errors: 1, garbage: 0 });
  }, 30_000);
});

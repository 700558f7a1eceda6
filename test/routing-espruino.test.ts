/**
 * The routing core on the real interpreter: three routers on a line inside one Espruino process (the Linux
 * build configured like an ESP32: 16383 JsVars), booted from Storage as a board boots, with native AES, a
 * virtual clock and a tiny event queue written in Espruino-safe JS. Checks that the bundle runs there and
 * routes, relays, fragments and acknowledges as on Node, and measures the JsVars one router takes.
 * Skipped unless ESPRUINO_BIN points at the interpreter.
 *
 * Measured (2v29, ESP32-like Linux build, code booted from Storage): the bundle's code ~450 JsVars at boot;
 * one router ~3,600 JsVars with these capacities, of which ~3,200 do not depend on capacities (the closures
 * of the factories). Loaded as a script instead (code in RAM) the code alone takes ~9,600 and a router ~5,100.
 */
import { describe, expect, test } from 'vitest';
import { bootFromStorage, bundleForEspruino, espruinoBin, markedLines, skipReason } from './support/espruino.ts';

const DRIVER = `
import { createRouter } from './shared/router.ts';
import { createKeyring } from './shared/keyring.ts';
import { createNativeAes } from './firmware/aes-native.ts';
declare const require: any;
declare const E: any;
declare const process: any;
declare function quit(): void;

const aes = createNativeAes(require('crypto'));
const key = new Uint8Array(16);
key.fill(0x5a);
const N = 3;
const evT: number[] = [];
const evNode: number[] = [];
const evFrame: any[] = [];
const evRssi: number[] = [];
const nextTick: number[] = [];
const routers: any[] = [];
const got: number[] = [];
const acked: number[] = [];
let now = 0;
let seed = 7;
function rnd(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 2147483648;
}
function push(t: number, node: number, frame: any): void {
  evT.push(t); evNode.push(node); evFrame.push(frame); evRssi.push(-60);
}
function schedule(i: number): void {
  const d = routers[i].nextDeadline();
  if (d < 0) return;
  const t = d < now ? now : d;
  if (nextTick[i] >= now && nextTick[i] <= t) return;
  nextTick[i] = t;
  push(t, i, null);
}
function makeNode(i: number): void {
  const keys = createKeyring({ capacity: 2 })({ aes: aes });
  keys.set(1, key);
  const store: any = {};
  got.push(0);
  acked.push(0);
  nextTick.push(-1);
  routers.push(createRouter({
    selfId: 0x100 + i, policy: 'meshwork', role: 'router',
    capacities: { neighbours: 8, routes: 16, dedupSlots: 64, replaySources: 16, pending: 8, reassemblySlots: 2, reassemblyMaxBytes: 1024 },
  })({
    aes: aes, keys: keys, rng: rnd,
    crc32: function (d: Uint8Array) { return E.CRC32(d) >>> 0; },
    store: { read: function (k: string) { return store[k]; }, write: function (k: string, v: string) { store[k] = v; return true; } },
    radio: {
      airtimeMs: function (len: number) { return (len + 43) * 8 / 1000 + 0.192; },
      send: function (f: Uint8Array, len: number) {
        const copy = new Uint8Array(len);
        copy.set(f.subarray(0, len));
        if (i > 0) push(now + 1, i - 1, copy);
        if (i < N - 1) push(now + 1, i + 1, copy);
      },
    },
    events: {
      deliver: function (p: Uint8Array, info: any) { if (p.length === 300 && p[299] === 42) got[i]++; },
      sent: function (h: number, ok: boolean) { if (ok) acked[i]++; },
    },
  }));
}
const mem0 = process.memory().usage;
for (let i = 0; i < N; i++) makeNode(i);
const perRouter = Math.round((process.memory().usage - mem0) / N);
function run(until: number): void {
  while (true) {
    let k = -1;
    for (let j = 0; j < evT.length; j++) if (evT[j] <= until && (k < 0 || evT[j] < evT[k])) k = j;
    if (k < 0) break;
    const t = evT[k]; const node = evNode[k]; const frame = evFrame[k];
    evT.splice(k, 1); evNode.splice(k, 1); evFrame.splice(k, 1); evRssi.splice(k, 1);
    now = t;
    if (frame === null) {
      if (t !== nextTick[node]) continue;
      nextTick[node] = -1;
      routers[node].tick(now);
    } else routers[node].receive(frame, frame.length, -60, now);
    schedule(node);
  }
  now = until;
}
for (let i = 0; i < N; i++) schedule(i);
run(30000);
const msg = new Uint8Array(300);
msg[299] = 42;
const h = routers[0].send(0x102, msg, 2, now);
schedule(0);
run(35000);
const r0 = routers[0].routes();
let hops = -1;
for (let j = 0; j < r0.length; j++) if (r0[j].dst === 0x102) hops = r0[j].metric;
console.log('@@' + JSON.stringify({
  handle: h, got: got, acked: acked, metric: hops, nb: routers[1].neighbours().length,
  stats: routers[1].stats, mem: process.memory().usage, perRouter: perRouter,
}));
`;

describe('routing core on Espruino', () => {
  const bin = espruinoBin();
  test.skipIf(!bin)(bin ? 'a 3-node line routes, relays, fragments and acks on the interpreter' : skipReason(), async () => {
    const js = await bundleForEspruino(DRIVER);
    const stdout = await bootFromStorage(bin!, js, [], 300_000);
    // the REPL may put a terminal escape in front of the marker: cut everything before it
    const lines = markedLines(stdout.split('\n').map((l) => (l.includes('@@') ? l.slice(l.indexOf('@@')) : l)).join('\n'));
    expect(lines.length).toBe(1);
    const out = lines[0];
    expect(out.handle).toBeGreaterThanOrEqual(0);
    expect(out.got).toEqual([0, 0, 1]); // 300 bytes: two fragments, reassembled at node 2 only
    expect(out.acked[0]).toBe(1);
    expect(out.metric).toBe(200);
    expect(out.nb).toBe(2);
    expect(out.stats.rxInvalid).toBe(0);
    expect(out.stats.txRelay).toBeGreaterThanOrEqual(2); // node 1 relayed both fragments (routed)
    expect(out.perRouter).toBeLessThan(4500);
    console.log('JsVars per router on Espruino (from Storage):', out.perRouter, 'total in use:', out.mem);
  }, 300_000);
});

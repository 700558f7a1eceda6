/**
 * A stand-in node for the monitor tests, bundled like the firmware (host/build/esbuild-options.ts) and run on
 * the emulated or real interpreter: H2's real console link (firmware/console-link.ts) with canned answers, so
 * the monitor is tested against the real wire code while the firmware's router wiring is still moving.
 *   node id from mw.cfg; one neighbour 0a0b0c0d (a gateway) and a route to 0a0b0c0d and 0e0e0e0e through it;
 *   `send`: a ping to any node is answered by a pong DELIVERed from that node after 50 ms; a trace query
 *   to 0a0b0c0d answers "next hop 0e0e0e0e", to 0e0e0e0e "I am d"; a text is accepted (handle 7);
 *   `trace` (the first walk step) says "next hop 0a0b0c0d"; every 250 ms one LOG, one TRAFFIC summary and
 *   an EVENT, every second a burst of garbage that looks half like link lines; `reboot` reboots (E.reboot).
 */
import { createCbor } from '../shared/cbor.ts';
import { createAppMessages } from '../shared/app-messages.ts';
import { T_DELIVER, T_EVENT, T_TRAFFIC } from '../shared/host-link.ts';
import { createConsoleLink, espruinoLinkPorts } from '../firmware/console-link.ts';

declare const require: (m: string) => any;
declare const E: { CRC32(d: unknown): number; reboot(): void; toUint8Array(s: string): Uint8Array; toString(b: Uint8Array): string };
declare const global: { [k: string]: unknown };
declare const process: { memory(): { free: number; total: number } };
declare function getTime(): number;
declare function setInterval(f: () => void, ms: number): number;
declare function setTimeout(f: () => void, ms: number): number;
declare function print(s: string): void;

const S = require('Storage');
const cfg = S.readJSON('mw.cfg', 1) || {};
const code = S.read('.bootcde');
const hash = ('0000000' + (E.CRC32(code) >>> 0).toString(16)).substr(-8);
const GW = 0x0a0b0c0d;
const FAR = 0x0e0e0e0e;
// as firmware/_cbor-text.ts (not imported: the host type-check has no Espruino globals)
const cbor = createCbor()({ textToBytes: E.toUint8Array, bytesToText: E.toString });
const app = createAppMessages({})({ cbor: cbor });
const ports = espruinoLinkPorts();
let boots = (S.readJSON('mw.boot', 1) || 0) + 1;
S.writeJSON('mw.boot', boots);
const t0 = getTime();

const link = createConsoleLink({ mask: 1, level: 1 })({
  natives: ports.natives, cbor: cbor, write: ports.write, global: global,
  hello: function () {
    return { v: 1, fw: 'fixture', hash: hash, board: 'linux', id: cfg.id || 1, name: cfg.name || '', role: cfg.role || 'router',
      caps: ['send', 'get', 'trace'], boot: boots, mesh: cfg.mesh || '', epoch: cfg.epoch || 0 };
  },
});

function deliver(src: number, msg: any): void {
  link.emit(T_DELIVER, { s: src, d: cfg.id || 1, q: 1, h: 2, r: -70, p: app.encode(msg) });
}

link.onCommand('get', function (a: any) {
  if (a.w === 'nb') return { n: [[GW, -61, 98, 95, 120, 1, 500]] };
  if (a.w === 'rt') return { r: [[GW, GW, 120, 4, 1], [FAR, GW, 250, 9, 0]] };
  if (a.w === 'tm') return { up: Math.round((getTime() - t0) * 1000), mem: process.memory().free, tot: process.memory().total, st: { rxFrames: 5, txFrames: 3 }, err: { oom: 0 } };
  return { ok: false, err: 'get: w?' };
});
link.onCommand('trace', function (a: any) {
  return { id: a.id, n: GW, m: 120, l: [[GW, -61, 98, 95]] };
});
link.onCommand('send', function (a: any) {
  const d = app.decode(a.p);
  if (!d.ok) return { ok: false, err: 'send: bad payload' };
  const m: any = d.msg;
  const to = a.d;
  if (m.t === 'pi') setTimeout(function () { deliver(to, { t: 'po', id: m.id, ts: m.ts }); }, 50);
  if (m.t === 'tr') {
    setTimeout(function () {
      if (to === GW) deliver(GW, { t: 'tR', id: m.id, n: FAR, m: 130, l: [[cfg.id || 1, -62, 97, 96], [FAR, -75, 80, 70]] });
      else if (to === FAR) deliver(FAR, { t: 'tR', id: m.id, n: 0, l: [[GW, -74, 82, 71]] });
    }, 50);
  }
  return { h: 7 };
});
link.onCommand('reboot', function () { setTimeout(function () { E.reboot(); }, 100); return {}; });

let q = 0;
setInterval(function () {
  q++;
  link.log(1, 'radio-retry', q);
  link.log(3, 'debug-tick', q);
  if (link.wants(T_TRAFFIC)) link.emit(T_TRAFFIC, { k: 'relay', s: GW, d: FAR, q: q, t: 1, h: 2, r: -61 });
  if (q % 4 === 0) link.emit(T_EVENT, { e: 'nb-up', n: GW });
  // noise on the console: a cut link line, stray control bytes, a line that is not base64
  if (q % 4 === 2) print('\x01QUJD!!garbage \x01\x01zz==\x01AAAA');
}, 250);
link.sendHello();

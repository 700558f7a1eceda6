/**
 * JsVars the firmware takes on the real interpreter, booted as a board boots it (from Storage), against
 * each board's jsVarBudget. Needs ESPRUINO_BIN (ESP32 layout) and, for the C3 board, ESPRUINO_C3_BIN
 * (4095 JsVars); skipped with a message otherwise.
 *
 * The node is provisioned (mw.cfg), so the router, the host link and the radio driver are all up: the figure
 * is what a working node has left. The Linux interpreter has dgram but neither Wifi nor an ESP-NOW binding:
 * inert stand-ins are put in Storage as modules (Espruino's require() loads a Storage file of that name),
 * which answer every call and never call back, as a board with no other node in range.
 * On the C3 layout the bundle is written to Storage in 1 KB pieces at the REPL, as a flasher does: the bundle
 * as one string is larger than that interpreter's whole RAM. docs/espruino-memory.md has the breakdown.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boards } from '../boards/index.ts';
import { buildFirmware } from '../host/build/build-firmware.ts';
import { bootFromStorage, espruinoBin, espruinoC3Bin, skipReason, untilMarkedLines } from './support/espruino.ts';
import { fullTableFrames, FULL_TABLES_KEY_HEX } from './support/full-tables.ts';

const bin = espruinoBin();
const c3 = espruinoC3Bin();
const code: Record<string, string> = {};

const CFG = JSON.stringify({
  id: 0x1a2b3c, name: 'mem', role: 'router', mesh: 'm', key: '000102030405060708090a0b0c0d0e0f', epoch: 1, ch: 1,
  radio: { port: 47999, airPort: 47998, password: 'budget-test-pass' },
});
const STAND_INS: Record<string, string> = {
  Wifi: 'var ip={ip:"0.0.0.0",netmask:"0.0.0.0"};exports.startAP=function(s,o,cb){};exports.stopAP=function(cb){};' +
    'exports.setAPIP=function(s,cb){};exports.connect=function(s,o,cb){};exports.disconnect=function(cb){};exports.scan=function(cb){};' +
    'exports.getIP=function(){return ip;};exports.getAPIP=function(){return ip;};exports.getStatus=function(){return {};};exports.on=function(e,f){};',
  ESPNOW: 'exports.init=function(o){return true;};exports.send=function(m,d){return true;};exports.on=function(e,f){};exports.deinit=function(){};',
};


describe.runIf(bin || c3)(`JsVars after boot vs budget${bin ? '' : ': ' + skipReason()}`, () => {
  beforeAll(async () => {
    const r = await buildFirmware({ outDir: join(mkdtempSync(join(tmpdir(), 'mw-mem-')), 'fw') });
    expect(r.ok).toBe(true);
    for (const x of r.results) code[x.board] = readFileSync(x.outFile!, 'utf8');
  });
  for (const b of boards) {
    const small = b.budgets.jsVarsTotal <= 4095;
    const interp = small ? c3 : bin;
    it.runIf(interp)(`${b.name}: usage of a provisioned node after boot ≤ ${b.budgets.jsVarBudget} of ${b.budgets.jsVarsTotal}${interp ? '' : ' (' + skipReason(b.budgets.jsVarsTotal <= 4095 ? 'ESPRUINO_C3_BIN' : 'ESPRUINO_BIN') + ')'}`, async () => {
      const out = await bootFromStorage(interp!, code[b.name], [
        'print("@@"+JSON.stringify(process.memory()))', 'print("@@"+JSON.stringify(MW.node?MW.node.router.stats.txBeacon>=0:"no node"))',
      ], 120_000, { 'mw.cfg': CFG, ...STAND_INS }, { chunkBytes: small ? 1024 : undefined });
      // only the printed results: echoes of the typed lines and link lines contain no '@@{' / '@@true'
      const [mem, mw] = out.split('\n').map((l) => /@@(\{.*\}|true|false|"[^"]*")\s*$/.exec(l)).filter((m) => m).map((m) => JSON.parse(m![1]));
      expect(mw, out.slice(-500)).toBe(true);
      expect(mem.total).toBe(b.budgets.jsVarsTotal);
      console.log(`${b.name}: ${mem.usage} JsVars after boot (budget ${b.budgets.jsVarBudget}, total ${mem.total})`);
      expect(mem.usage).toBeLessThanOrEqual(b.budgets.jsVarBudget);
    }, 120_000);
  }

  // Under full tables: the frames a node hears among more neighbours than its table holds, each with more
  // nodes behind it (test/support/full-tables.ts, recorded from real routers), replayed into the firmware
  // node's router; then the neighbour and route lists are built and held (what `get nb` / `get rt` do).
  for (const b of boards.filter((x) => x.firmware === 'node')) {
    it.runIf(bin)(`${b.name}: usage with full neighbour and route tables ≤ ${b.budgets.jsVarBudget}${bin ? '' : ' (' + skipReason() + ')'}`, async () => {
      const id = 0x1a2b3c;
      const caps = b.capacities;
      const ft = fullTableFrames({
        selfId: id, neighbours: caps.neighbours + 4, children: Math.ceil(caps.routes / caps.neighbours), seconds: 120, keep: 6,
        capacities: { ...caps },
      });
      const cfg = JSON.stringify({ ...JSON.parse(CFG), id, key: FULL_TABLES_KEY_HEX });
      const out = await bootFromStorage(bin!, code[b.name], [
        'var c=require("mwfill").run();print("@@"+JSON.stringify({c:c,m:process.memory().usage}))',
        'var L=[MW.node.router.neighbours(),MW.node.router.routes()];print("@@"+JSON.stringify({nb:L[0].length,rt:L[1].length,m:process.memory().usage}));L=0',
      ], 400_000, { 'mw.cfg': cfg, ...STAND_INS, ...ft.storage }, { until: untilMarkedLines(2) });
      const [fill, held] = out.split('\n').map((l) => /@@(\{.*\})\s*$/.exec(l)).filter((m) => m).map((m) => JSON.parse(m![1]));
      expect(fill, out.slice(-600)).toBeDefined();
      expect(fill.c).toBe(ft.frames);
      expect(held.nb).toBe(caps.neighbours);
      expect(held.rt).toBe(caps.routes);
      console.log(`${b.name}: ${fill.m} JsVars with full tables (${held.nb} neighbours, ${held.rt} routes), ${held.m} holding both lists (budget ${b.budgets.jsVarBudget})`);
      expect(fill.m).toBeLessThanOrEqual(b.budgets.jsVarBudget);
      expect(held.m).toBeLessThanOrEqual(b.budgets.jsVarsTotal - 1000);
    }, 420_000);
  }

  // The repeater (ESP32-C3) under load: floods from ~100 sources, its dedup cache, rate limiter and frame
  // pool all full, on the C3 layout
  for (const b of boards.filter((x) => x.firmware === 'repeater')) {
    it.runIf(c3)(`${b.name}: the repeater after relaying floods from many sources keeps ≥ 200 JsVars free${c3 ? '' : ' (' + skipReason('ESPRUINO_C3_BIN') + ')'}`, async () => {
      const id = 0x1a2b3c;
      const ft = fullTableFrames({
        selfId: id, neighbours: 12, children: 8, seconds: 20, keep: 2, broadcasts: 300, types: [1],
        capacities: { neighbours: 32, routes: 128, pending: 16, dedupSlots: 256, replaySources: 64, reassemblySlots: 1, reassemblyMaxBytes: 1024 },
      });
      const cfg = JSON.stringify({ ...JSON.parse(CFG), id, key: FULL_TABLES_KEY_HEX });
      const out = await bootFromStorage(c3!, code[b.name], [
        'var c=require("mwfill").run();var s=MW.node.router.stats;print("@@"+JSON.stringify({c:c,rx:s.rxFrames,q:s.txRelay+s.dropRateLimit+s.dropNoSlot+s.dropCongestion,m:process.memory().usage}))',
      ], 400_000, { 'mw.cfg': cfg, ...STAND_INS, ...ft.storage }, { until: untilMarkedLines(1), chunkBytes: 4096 });
      const m = /@@(\{.*\})\s*$/m.exec(out.split('\n').filter((l) => l.includes('@@{')).join('\n'));
      expect(m, out.slice(-600)).not.toBeNull();
      const r = JSON.parse(m![1]);
      expect(r.c).toBe(ft.frames);
      expect(r.rx).toBe(ft.frames);
      expect(ft.frames).toBeGreaterThan(100);
      console.log(`${b.name}: ${r.m} JsVars after ${r.c} flood frames from ~100 sources (budget ${b.budgets.jsVarBudget}, total ${b.budgets.jsVarsTotal})`);
      // tables are fixed at boot: under load only the frame in hand (and this REPL's own variables) add to it
      expect(r.m).toBeLessThanOrEqual(b.budgets.jsVarsTotal - 200);
    }, 420_000);
  }
});

/**
 * Firmware entry (bundled per board into dist/firmware/<board>.js, stored on the node as `.bootcde`).
 * Boot, in order:
 *   1. the board's backends: AES (native `crypto` or pure JS), Storage, E.CRC32, CBOR text;
 *   2. the host link on the console (console-link.ts), so a host can always talk to the node, even an
 *      unprovisioned or broken one;
 *   3. the node's config from Storage `mw.cfg` (config.ts); without one the node stays unprovisioned: it
 *      answers the host, blinks "unprovisioned", relays nothing;
 *   4. the boot counter is persisted (the sequence high-water mark is persisted by the router's allocator
 *      before any number is used), then the radio starts and the core is driven by one timer (node.ts);
 *   5. a 1 s interval — the second path — samples memory (memory-guard.ts), re-arms the core's timer if
 *      Espruino dropped it, kicks the watchdog only while the core's timer runs, and sends the periodic
 *      reports the host subscribed to. The core's timer in turn restarts this interval if it has died.
 * Everything is published on one global, MW, for the host link's tests and a curious REPL user.
 */
import {
  decodeHeader, encodeHeader, newHeader, frameSrc, frameSeq, createKeyring, createFrameSeal, createDedupCache, createReplayWindow,
  createRelayPath, createSeqAllocator, fragmentCount, fragmentChunkSize, writeFragment, createReassembly,
} from '../shared/index.ts';
import type { Aes128 } from '../shared/ports.ts';
import { createCbor } from '../shared/cbor.ts';
import { createAppMessages } from '../shared/app-messages.ts';
import { createNativeAes } from './aes-native.ts';
import { createJsAes } from './aes-js.ts';
import { createStorageStore } from './storage-store.ts';
import { espruinoCborText } from './_cbor-text.ts';
import { createConsoleLink, espruinoLinkPorts } from './console-link.ts';
import { parseConfig, CONFIG_FILE } from './config.ts';
import { createNode, type MeshNode } from './node.ts';
import { createRepeaterNode } from './repeater-node.ts';
import { createCommands, type NodeIdentity } from './node-commands.ts';
import { createMemoryGuard } from './memory-guard.ts';
import { createLed, LedPattern } from './led.ts';
import { createRadio } from './radio-select.ts';
import { saveConfig, hex8 } from './_boot.ts';

declare const global: Record<string, unknown>;

const aes: Aes128 = BOARD.cipher === 'native' ? createNativeAes(require('crypto')) : createJsAes();
const storage = require('Storage');
const store = createStorageStore(storage);
const crc32 = function (d: Uint8Array): number { return E.CRC32(d); };
const cbor = createCbor()(espruinoCborText());
const clock = function (): number { return getTime() * 1000; };
const mem = createMemoryGuard({ lowPct: BOARD.budgets.memLowPct, criticalPct: BOARD.budgets.memCriticalPct });
const ports = espruinoLinkPorts();

const parsed = parseConfig(storage.read(CONFIG_FILE));
const cfg = parsed.ok ? parsed.cfg : null;
const code = storage.read('.bootcde');
const boot = (parseInt(store.read('mw.boot') || '0', 10) || 0) + 1;
store.write('mw.boot', '' + boot);
let kcv = '';
if (cfg !== null) {
  const z = new Uint8Array(16);
  aes.ecb(cfg.key, z, z);
  kcv = hex8(z).substr(0, 6);
}
const ident: NodeIdentity = {
  fw: FIRMWARE_VERSION, hash: code === undefined ? 'none' : hex8(E.CRC32(code)), board: BOARD.name, boot: boot, kcv: kcv,
  // a repeater (BOARD.firmware) sends nothing of its own and answers no traceroute
  role: BOARD.firmware === 'repeater' ? 'repeater' : undefined,
  caps: BOARD.firmware === 'repeater' ? ['get', 'set', 'tx', 'reboot'] : ['send', 'get', 'trace', 'set', 'tx', 'reboot'],
};

const link = createConsoleLink({ maxPayload: BOARD.capacities.linkPayload })({
  crc32: ports.crc32, base64: ports.base64, write: ports.write, cbor: cbor, global: global,
  hello: function () {
    return {
      v: 1, fw: ident.fw, hash: ident.hash, board: ident.board, boot: boot, kcv: kcv, caps: ident.caps,
      id: cfg !== null ? cfg.id : 0, name: cfg !== null ? cfg.name : '', role: cfg === null ? 'unprovisioned' : ident.role || cfg.role,
      mesh: cfg !== null ? cfg.mesh : '', epoch: cfg !== null ? cfg.epoch : 0,
    };
  },
});

const led = createLed({
  write: function (on: boolean) { if (BOARD.pins.led !== null) digitalWrite(BOARD.pins.led, on); },
  setTimer: function (fn: () => void, ms: number) { return setTimeout(fn, ms); },
  clearTimer: function (id: number) { clearTimeout(id); },
});

function reboot(): void {
  setTimeout(function () { if (E.reboot) E.reboot(); else load(); }, 200);
}

let node: MeshNode | null = null;
let guardTimer = -1;
let guardRan = 0;
let nextReport = 0;
const errs = { oom: 0, guard: 0 };

function guard(): void {
  guardRan = clock();
  try {
    const m = process.memory(false);
    mem.sample(m.free, m.total);
    const flags = E.getErrorFlags();
    if (flags.length > 0 && (flags.indexOf('MEMORY') >= 0 || flags.indexOf('LOW_MEMORY') >= 0)) {
      errs.oom++;
      link.emit(3, { e: 'oom', free: m.free });
    }
    if (node === null) return;
    node.guard();
    // the watchdog is fed only while the core's timer is alive: a wedged node reboots
    if (E.kickWatchdog && node.uptime() >= 0) E.kickWatchdog();
    const linked = BOARD.firmware === 'repeater' ? node.router.stats.rxFrames > 0 : node.router.neighbours().length > 0;
    led.set(linked ? LedPattern.Linked : LedPattern.Alone);
    const every = link.state.telemetryS;
    if (every > 0 && guardRan >= nextReport && (link.state.mask & 8) !== 0 && mem.level() === 0) {
      nextReport = guardRan + every * 1000;
      const cmd = commands!;
      link.emit(8, cmd.get({ w: 'tm' }));
      link.emit(6, cmd.get({ w: 'nb' }));
      link.emit(7, cmd.get({ w: 'rt' }));
    }
  } catch (e) {
    errs.guard++;
  }
}

let commands: ReturnType<typeof createCommands> | null = null;

if (cfg !== null) {
  const radio = createRadio(cfg, link.log, BOARD.capacities.neighbours);
  const timers = {
    set: function (fn: () => void, ms: number) {
      return setTimeout(function () {
        // the second path's keeper: restart the guard interval if Espruino dropped it
        if (clock() - guardRan > 5000) { clearInterval(guardTimer); guardTimer = setInterval(guard, 1000); }
        fn();
      }, ms);
    },
    clear: function (id: number) { clearTimeout(id); },
  };
  // a build-time constant: each board's bundle holds only the program it runs
  if (BOARD.firmware === 'repeater') {
    node = createRepeaterNode({
      cfg: cfg,
      capacities: {
        pending: BOARD.capacities.pending, dedupSlots: BOARD.capacities.dedupSlots,
        replaySources: BOARD.capacities.replaySources, keyEpochs: BOARD.capacities.keyEpochs,
      },
    })({ aes: aes, store: store, radio: radio, link: link, timers: timers, rng: Math.random, clock: clock, memLevel: mem.level });
  } else {
    node = createNode({
      cfg: cfg, version: FIRMWARE_VERSION, board: BOARD.name, seqPersistBlock: BOARD.seqPersistBlock, hopAckTimeoutMs: BOARD.hopAckTimeoutMs,
      capacities: {
        neighbours: BOARD.capacities.neighbours, routes: BOARD.capacities.routes, pending: BOARD.capacities.pending,
        dedupSlots: BOARD.capacities.dedupSlots, replaySources: BOARD.capacities.replaySources,
        reassemblySlots: BOARD.capacities.reassemblySlots, reassemblyMaxBytes: BOARD.capacities.reassemblyMaxBytes,
        keyEpochs: BOARD.capacities.keyEpochs,
      },
    })({
      aes: aes, store: store, crc32: crc32, rng: Math.random, radio: radio, link: link, clock: clock, timers: timers,
      app: createAppMessages({ maxText: 200, maxNeighbours: 16 })({ cbor: cbor }),
      memLevel: mem.level, memFree: mem.free,
    });
  }
  commands = createCommands({
    node: node, cfg: cfg, id: ident, radio: radio,
    memFree: mem.free, memTotal: function () { return process.memory(false).total; },
    saveConfig: function (c) { return saveConfig(storage, c); }, reboot: reboot,
  });
  const cmds = commands;
  for (const op in cmds) link.onCommand(op, cmds[op]);
  led.set(LedPattern.Boot);
  node.start();
  if (BOARD.watchdogSec > 0 && E.enableWatchdog) E.enableWatchdog(BOARD.watchdogSec, false);
} else {
  link.onCommand('reboot', function () { reboot(); return { ok: true }; });
  led.set(LedPattern.Unprovisioned);
  link.log(0, 'unprovisioned', parsed.ok ? '' : parsed.reason);
}
guardRan = clock();
guardTimer = setInterval(guard, 1000);
link.sendHello();

const MW = {
  version: FIRMWARE_VERSION, board: BOARD.name, cipher: BOARD.cipher, aes: aes, crc32: crc32, cbor: cbor,
  link: link, node: node, mem: mem, errors: errs, ident: ident,
};
// MW.lib (the core's factories, for the vector suites and a curious REPL user) is built when read: a module
// namespace object held from boot costs ~100 JsVars on every node (docs/espruino-memory.md)
if (BOARD.firmware !== 'repeater') Object.defineProperty(MW, 'lib', {
  get: function () {
    return {
      decodeHeader: decodeHeader, encodeHeader: encodeHeader, newHeader: newHeader, frameSrc: frameSrc, frameSeq: frameSeq,
      createKeyring: createKeyring, createFrameSeal: createFrameSeal, createDedupCache: createDedupCache,
      createReplayWindow: createReplayWindow, createRelayPath: createRelayPath, createSeqAllocator: createSeqAllocator,
      fragmentCount: fragmentCount, fragmentChunkSize: fragmentChunkSize, writeFragment: writeFragment, createReassembly: createReassembly,
    };
  },
});
global.MW = MW;

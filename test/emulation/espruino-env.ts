/**
 * An emulation of the Espruino globals and built-in modules the firmware bundle touches, so the real built
 * bundle (dist/firmware/<board>.js) runs in Node inside a vm context, several nodes at once, each optionally
 * behind a REPL console (env.input / opts.write) that a host can drive like a board over a serial port.
 *
 * Faithful where our code depends on behaviour: E.toString / E.toUint8Array copy bytes, E.CRC32 is zlib's
 * CRC-32, Storage is byte strings with Espruino's chunked-write rules (espruino-storage.ts), `crypto` behaves
 * as Espruino's (espruino-crypto.ts), timers follow the 2v29 id/interval rules (espruino-timers.ts) on a real
 * or shared virtual clock (espruino-clock.ts), the console is a port of jsinteractive.c (espruino-console.ts),
 * values print as Espruino prints them (espruino-inspect.ts), and the globals Espruino lacks (Map, Set,
 * WeakMap, Symbol, BigInt, TextEncoder/TextDecoder, Array.from, Math.trunc/imul/clz32, Object.freeze) are
 * removed from the context so a bundle that reaches for them fails here as it would on a board.
 *
 * Boots: reboot() (E.reboot, watchdog, power-on with opts.boot) = banner + Storage .bootcde + E 'init';
 * load() = .bootcde + 'init' without banner; reset() = banner only. Each one fires E 'kill', drops every
 * timer, listener and module instance, and starts a fresh vm context (env.context changes).
 *
 * Not emulated: JsVar accounting (process.memory().usage is an estimate from the code loaded, unless a test
 * sets it with env.setMemoryUsage), out-of-memory, save() of a RAM image, interrupting running code with
 * Ctrl-C, Error stack text (an approximation of Espruino's "    at REPL (:1:2)" lines), and the interpreter
 * itself: V8 runs the code, so function hoisting, let-in-loop closures and the like behave as in Node (the
 * bundle check in host/build and the real interpreter via ESPRUINO_BIN cover those).
 */
import vm from 'node:vm';
import { readFileSync } from 'node:fs';
import { findBoard } from '../../boards/index.ts';
import { createEspruinoCrypto } from './espruino-crypto.ts';
import { RealClock, type EspruinoClock } from './espruino-clock.ts';
import { createEspruinoTimers, type EspruinoTimers } from './espruino-timers.ts';
import { StorageMap, createEspruinoStorage } from './espruino-storage.ts';
import { createEspruinoE } from './_espruino-e.ts';
import { DEVICE_NAME, NATIVE_OBJECT, espruinoInspect, PRINT_FLAGS, REPL_FLAGS } from './espruino-inspect.ts';
import { EspruinoRepl } from './espruino-console.ts';
import { createDeviceHub, type DeviceHub } from './espruino-devices.ts';
import { BANNER, REMOVE_GLOBALS, RebootSignal, VERSION, espruinoErrorText, evalReplLine, replStackText } from './_espruino-repl-eval.ts';
import type { EspruinoEnv, EspruinoEnvOptions, ModuleHost } from './espruino-env-types.ts';

export { VirtualClock, RealClock } from './espruino-clock.ts';
export type { EspruinoClock } from './espruino-clock.ts';
export type { EspruinoEnv, EspruinoEnvOptions, ModuleHost, ModuleSpec } from './espruino-env-types.ts';

export function createEspruinoEnv(opts: EspruinoEnvOptions = {}): EspruinoEnv {
  const profile = opts.board ? findBoard(opts.board) : undefined;
  const BOARD = profile ? profile.espruinoBoard : opts.board ?? 'EMULATED';
  const jsVarsTotal = opts.jsVarsTotal ?? profile?.budgets.jsVarsTotal ?? 16383;
  const blocksize = jsVarsTotal <= 4095 ? 13 : 14;
  // the Linux build's console is "USB" (measured), whatever the profile calls it
  const portDevice = profile ? (profile.name === 'linux' ? 'USB' : profile.console.device) : 'Serial1';
  const clock = opts.clock ?? new RealClock();
  const storage = new StorageMap(Object.entries(opts.storage ?? {}), opts.flashDir);
  const legacyOut = opts.out ?? (opts.write ? undefined : (line: string) => process.stdout.write(line + '\n'));
  const sink = opts.write ?? (() => {});

  let context!: vm.Context;
  /** the context's global object (builtins included: the sandbox object only has what we put in) */
  let G!: Record<string, any>;
  let generation = 0;
  let bootCount = 0;
  let disposed = false;
  let todo: { kind: 'reboot' | 'reset' | 'load'; file?: string } | undefined;
  let depth = 0;
  let memoryOverride: number | undefined;
  let errorFlags: string[] = [];
  let codeBytesFlash = 0;
  let codeBytesRam = 0;
  let timers!: EspruinoTimers;
  let hub!: DeviceHub;
  let killHooks: (() => void)[] = [];
  let moduleCache: Record<string, unknown> = {};
  let processListeners: Record<string, unknown[]> = {};
  const pins: Record<string, number> = {};
  let watchdog: { timeoutMs: number; auto: boolean; lastKick: number; handle?: { cancelled: boolean; at: number } } | undefined;

  const makeError = (msg: string): Error => new (G.Error as ErrorConstructor)(msg);
  const toU8 = (b: Uint8Array | string): Uint8Array => {
    const s = typeof b === 'string' ? b : Buffer.from(b).toString('latin1');
    const U8 = G.Uint8Array as Uint8ArrayConstructor;
    const r = new U8(s.length);
    for (let i = 0; i < s.length; i++) r[i] = s.charCodeAt(i) & 255;
    return r;
  };
  const toAB = (s: string): ArrayBuffer => toU8(s).buffer as ArrayBuffer;
  const inRealm = <T>(v: T): T => (G.JSON as JSON).parse(JSON.stringify(v));

  const rootName = (ctor: unknown): string | undefined => {
    if (!ctor) return undefined;
    for (const k of Object.getOwnPropertyNames(G)) {
      try { if (G[k] === ctor) return k; } catch { /* getter */ }
    }
    return undefined;
  };
  const inspect = (v: unknown, flags: number) =>
    espruinoInspect(v, flags, rootName, (fn) => !(fn instanceof (G.Function as FunctionConstructor)));

  const repl = new EspruinoRepl({
    write: (s) => hub.write(hub.consoleDevice, s),
    execute(code) {
      codeBytesRam += code.length;
      try {
        return { value: evalReplLine(code, context, G) };
      } catch (e) {
        reportUncaught(e, code);
        return { error: true };
      }
    },
    inspect: (v) => inspect(v, REPL_FLAGS),
    afterLine: () => handleTodo(),
    enquiry: () => `Espruino ${VERSION} ${BOARD}\n`,
  });

  function consolePrint(text: string): void {
    repl.print(text);
  }

  /** "Uncaught …"; the stack lines only for an error in the REPL line itself (replCode) */
  function reportUncaught(e: unknown, replCode?: string): void {
    if (e instanceof RebootSignal) return;
    consolePrint('Uncaught ' + espruinoErrorText(e) + '\n' + (replCode === undefined ? '' : replStackText(e, replCode)));
  }

  /** one Espruino event: run fn, report what escapes, then deferred boots and the prompt */
  function task(fn: () => void): void {
    if (disposed) return;
    depth++;
    try {
      fn();
    } catch (e) {
      reportUncaught(e);
    } finally {
      depth--;
    }
    if (depth === 0) {
      handleTodo();
      repl.returnInputLine();
      repl.flush();
    }
  }

  function callIn(gen: number, fn: unknown, args: unknown[]): void {
    if (gen !== generation) return; // a callback from before a reset
    task(() => {
      if (typeof fn === 'function') fn.apply(undefined, args);
      else if (typeof fn === 'string') vm.runInContext(fn, context, { filename: 'timer' });
    });
  }

  function handleTodo(): void {
    while (todo && !disposed) {
      const t = todo;
      todo = undefined;
      if (t.kind === 'reboot') boot({ banner: true, bootcde: '.bootcde' });
      else if (t.kind === 'reset') boot({ banner: true });
      else boot({ banner: false, bootcde: t.file ?? '.bootcde' });
    }
  }

  function newContext(): void {
    generation++;
    const gen = generation;
    timers = createEspruinoTimers(clock, (fn, args) => callIn(gen, fn, args), makeError);
    hub = createDeviceHub({
      portDevice,
      sink: (s) => sink(s),
      toRepl: (s) => task(() => repl.input(s)),
      call: (fn, args) => callIn(gen, fn, args),
      later: (fn) => { clock.schedule(clock.now(), () => { if (gen === generation) fn(); }); },
    });
    killHooks = [];
    moduleCache = {};
    processListeners = {};
    const cryptoModule = createEspruinoCrypto({ onError: (m) => consolePrint(`ERROR: ${m}\n`) });
    const Storage = createEspruinoStorage(storage, {
      totalBytes: opts.storageBytes,
      makeError,
      toArrayBuffer: toAB,
      parseJSON: (s) => (G.JSON as JSON).parse(s),
    });
    // plain data handed to the firmware is made in its realm (instanceof Array/Object hold there)
    const list = Storage.list, getStats = Storage.getStats;
    Storage.list = (pattern?: unknown) => inRealm(list(pattern));
    Storage.getStats = () => inRealm(getStats());
    (Storage as Record<symbol, unknown>)[NATIVE_OBJECT] = true;
    (cryptoModule as unknown as Record<symbol, unknown>)[NATIVE_OBJECT] = true;
    const builtins: Record<string, unknown> = { Storage };
    if (!opts.noCrypto) builtins.crypto = cryptoModule;
    if (/^ESP32/.test(BOARD)) {
      builtins.ESP32 = {
        reboot: () => E.reboot(),
        deepSleep: () => E.reboot(),
        getState: () => inRealm({ sdkVersion: 'v4.4.8', cpuFrequency: 240, freeHeap: 100000, maxBlock: 60000, rssi: 0 }),
        setBLE_Debug() {}, enableWifi() {}, enableBLE() {}, setAtten() {},
      };
    }
    const host: ModuleHost = {
      get env() { return env; },
      clock,
      call: (fn, ...args) => callIn(gen, fn, args),
      onKill: (fn) => { killHooks.push(fn); },
      makeError,
      toUint8Array: toU8,
    };

    const E = createEspruinoE({
      toU8,
      makeError,
      takeErrorFlags: () => { const f = errorFlags; errorFlags = []; return inRealm(f); },
      reboot: () => { todo = { kind: 'reboot' }; throw new RebootSignal(); },
      enableWatchdog(timeoutS, auto) {
        if (watchdog?.handle) clock.cancel(watchdog.handle as never);
        watchdog = { timeoutMs: timeoutS * 1000, auto, lastKick: clock.now() };
        armWatchdog();
      },
      kickWatchdog() { if (watchdog) { watchdog.lastKick = clock.now(); armWatchdog(); } },
      getConsole: () => hub.consoleDevice,
      setConsole(device) {
        const name = device === null || device === undefined ? portDevice
          : typeof device === 'string' ? device : String((device as Record<symbol, unknown>)[DEVICE_NAME] ?? device);
        if (!(name in hub.devices)) throw makeError(`Unknown device ${name}`);
        if (name === hub.consoleDevice) return;
        const old = hub.consoleDevice;
        const echo = repl.echoing;
        if (echo) { repl.removeInputLine(); repl.print(`-> ${name}\n`); }
        hub.consoleDevice = name;
        if (echo) { repl.removeInputLine(); repl.print(`<- ${old}\n`); }
      },
    });
    const memory = () => {
      const usage = memoryOverride ?? Math.min(jsVarsTotal, 60 + Math.ceil(codeBytesFlash / 18) + Math.ceil(codeBytesRam / 9) + timers.count() * 4);
      return { free: jsVarsTotal - usage, usage, total: jsVarsTotal, history: 0, gc: 0, gctime: 0, blocksize };
    };

    const sandbox: Record<string, unknown> = {
      E,
      require(name: string) {
        if (name in moduleCache) return moduleCache[name];
        let m: unknown;
        if (name in builtins) m = builtins[name];
        else if (opts.modules && name in opts.modules) {
          const spec = opts.modules[name];
          m = typeof spec === 'function' ? (spec as (h: ModuleHost) => unknown)(host) : spec;
        } else if (storage.has(name)) {
          const module = { exports: {} as unknown };
          vm.runInContext(`(function(exports, module){${storage.get(name)}\n})`, context, { filename: name })(module.exports, module);
          m = module.exports;
        } else throw makeError(`Module "${name}" not found`);
        moduleCache[name] = m;
        return m;
      },
      print(...a: unknown[]) { printArgs(a); },
      console: { log: (...a: unknown[]) => printArgs(a), debug: (...a: unknown[]) => printArgs(a), info: (...a: unknown[]) => printArgs(a), warn: (...a: unknown[]) => printArgs(a), error: (...a: unknown[]) => printArgs(a) },
      process: {
        env: {
          VERSION, GIT_COMMIT: 'emulated', BOARD, RAM: 0, FLASH: 0, STORAGE: opts.storageBytes ?? 896 * 1024,
          SERIAL: '00000000-emulated', CONSOLE: portDevice,
          MODULES: Object.keys(builtins).concat(Object.keys(opts.modules ?? {})).join(','),
          EXPTR: 0, ...(opts.name ? { NODE_NAME: opts.name } : {}),
        },
        memory: () => inRealm(memory()),
        version: VERSION,
        on(ev: string, fn: unknown) { (processListeners[ev] ??= []).push(fn); },
      },
      ...timers.globals,
      getTime() { return clock.now() / 1000; },
      setTime() { /* the emulated clock is not settable */ },
      echo(on: unknown) { repl.echoOff = !on; },
      reset() { todo = { kind: 'reset' }; },
      load(file?: unknown) { todo = { kind: 'load', file: file === undefined ? undefined : String(file) }; },
      save() {
        if (storage.has('.bootcde')) throw makeError('Cannot save: .bootcde file already exists. Please remove it first.');
        throw makeError('save() of a RAM image is not emulated: write .bootcde to Storage and load()');
      },
      quit() {
        if (opts.onQuit) opts.onQuit();
        else dispose();
      },
      digitalWrite(pin: unknown, v: unknown) { pins[pinName(pin)] = v ? 1 : 0; },
      digitalRead(pin: unknown) { return pins[pinName(pin)] ?? 0; },
      digitalPulse() {}, pinMode() {}, analogWrite() {},
      analogRead() { return 0; },
      setWatch() { return 1; }, clearWatch() {},
      peek8() { return 0; }, poke8() {},
      btoa, atob,
    };
    for (let i = 0; i < 49; i++) sandbox['D' + i] = i;
    for (const [k, d] of Object.entries(hub.devices)) sandbox[k] = d;
    context = vm.createContext(sandbox);
    G = vm.runInContext('this', context);
    vm.runInContext(REMOVE_GLOBALS, context);
  }

  function pinName(pin: unknown): string { return typeof pin === 'number' ? 'D' + pin : String(pin); }

  function printArgs(a: unknown[]): void {
    const text = a.map((x) => (typeof x === 'string' ? x : inspect(x, PRINT_FLAGS))).join(' ');
    if (legacyOut) legacyOut(text);
    consolePrint(text + '\n');
  }

  function armWatchdog(): void {
    if (!watchdog) return;
    if (watchdog.handle) clock.cancel(watchdog.handle as never);
    if (watchdog.auto) return; // kicked by the idle loop, which an emulated node always reaches
    const wd = watchdog;
    wd.handle = clock.schedule(wd.lastKick + wd.timeoutMs, () => {
      if (watchdog !== wd || disposed) return;
      watchdog = undefined;
      todo = { kind: 'reboot' };
      task(() => {});
    });
  }

  function kill(): void {
    try { (context?.E as { emit?: (e: string) => void } | undefined)?.emit?.('kill'); } catch (e) { reportUncaught(e); }
    for (const fn of killHooks) { try { fn(); } catch { /* a module's teardown must not stop the reset */ } }
    timers?.clearAll();
  }

  function boot(o: { banner: boolean; bootcde?: string }): void {
    kill();
    depth++; // boot output and 'init' come before the prompt
    if (o.banner && o.bootcde && watchdog) { // hardware reset: the watchdog is off again
      if (watchdog.handle) clock.cancel(watchdog.handle as never);
      watchdog = undefined;
    }
    bootCount++;
    newContext();
    repl.clearLine();
    codeBytesRam = 0;
    codeBytesFlash = 0;
    if (o.banner) repl.printBanner(BANNER);
    if (o.bootcde !== undefined) {
      const code = storage.get(o.bootcde);
      if (code !== undefined) {
        codeBytesFlash = code.length;
        task(() => { vm.runInContext(code, context, { filename: o.bootcde }); });
      }
    }
    task(() => { (context.E as { emit: (e: string) => void }).emit('init'); });
    depth--;
  }

  function dispose(): void {
    if (disposed) return;
    kill();
    if (watchdog?.handle) clock.cancel(watchdog.handle as never);
    watchdog = undefined;
    disposed = true;
  }

  const env: EspruinoEnv = {
    get context() { return context; },
    storage,
    clock,
    run(code, filename = 'bundle.js') {
      try {
        if (filename === 'bundle.js' || filename.endsWith('.js')) codeBytesFlash += code.length;
        return vm.runInContext(code, context, { filename });
      } catch (e) {
        if (e instanceof RebootSignal) { handleTodo(); return undefined; }
        throw e;
      } finally {
        if (depth === 0) {
          handleTodo();
          repl.returnInputLine();
          repl.flush();
        }
      }
    },
    load(file) { return env.run(readFileSync(file, 'latin1'), file); },
    input(chars) {
      if (disposed) return;
      const s = typeof chars === 'string' ? chars : Buffer.from(chars as Uint8Array).toString('latin1');
      hub.receive(portDevice, s);
    },
    reboot() { todo = { kind: 'reboot' }; task(() => {}); },
    loadFromStorage(name) { todo = { kind: 'load', file: name }; task(() => {}); },
    reset() { todo = { kind: 'reset' }; task(() => {}); },
    global(name) { return G[name]; },
    get bootCount() { return bootCount; },
    get timerCount() { return timers.count(); },
    setMemoryUsage(u) { memoryOverride = u; },
    setErrorFlags(f) { errorFlags = f.slice(); },
    pins,
    dispose,
    get disposed() { return disposed; },
  };

  newContext();
  if (opts.boot) env.reboot();
  return env;
}

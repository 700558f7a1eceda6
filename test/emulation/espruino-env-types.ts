/**
 * The types of the Espruino emulation's API (createEspruinoEnv in espruino-env.ts, which re-exports them).
 */
import type vm from 'node:vm';
import type { EspruinoClock } from './espruino-clock.ts';

/** what an emulated module (dgram, Wifi, ESPNOW …) gets from the env that requires it */
export interface ModuleHost {
  env: EspruinoEnv;
  clock: EspruinoClock;
  /** run a callback inside the node as Espruino runs an event: errors print "Uncaught …", prompt returns */
  call(fn: unknown, ...args: unknown[]): void;
  /** called when the node resets/reboots/loads (the module instance is dropped then) */
  onKill(fn: () => void): void;
  /** Error of the node's realm, for throwing at firmware code */
  makeError(message: string): Error;
  /** host bytes → a Uint8Array of the node's realm */
  toUint8Array(bytes: Uint8Array | string): Uint8Array;
}
/** an object is the module itself; a function is a factory called once per boot on the first require() */
export type ModuleSpec = object | ((host: ModuleHost) => unknown);

export interface EspruinoEnvOptions {
  /** board profile name (esp32, esp32-c3, linux, …) or a raw process.env.BOARD string */
  board?: string;
  jsVarsTotal?: number;
  /** initial Storage records (8-bit strings) */
  storage?: Record<string, string>;
  /** persist Storage to this directory (one file per record); existing records are loaded */
  flashDir?: string;
  /** Storage area size in bytes (default 896 KB, ESP32) */
  storageBytes?: number;
  /** one line per print()/console.log() (without the newline); legacy sink, kept for existing tests */
  out?: (line: string) => void;
  /** the console port: every byte the board would send (echo, prompt, print output …), one call per write */
  write?: (chars: string) => void;
  /** leave out the crypto module, as on ESP32_IDF4 */
  noCrypto?: boolean;
  /** default: a new RealClock; share one VirtualClock between envs for deterministic multi-node tests */
  clock?: EspruinoClock;
  /** extra modules for require() */
  modules?: Record<string, ModuleSpec>;
  /** power on now: banner, Storage .bootcde, E 'init', prompt */
  boot?: boolean;
  /** called by quit() (the CLI exits); without it quit() stops the node's timers */
  onQuit?: () => void;
  /** a label for this node (process.env.NODE_NAME) */
  name?: string;
}

export interface EspruinoEnv {
  /** the current vm context (a new one after every reset/load/reboot) */
  readonly context: vm.Context;
  /** Storage records, live (8-bit strings); with flashDir, changes are persisted */
  storage: Map<string, string>;
  readonly clock: EspruinoClock;
  /** run code in the context as the REPL's caller would (exceptions propagate) */
  run(code: string, filename?: string): unknown;
  /** run a file from the host filesystem in the context */
  load(file: string): unknown;
  /** console bytes from the host (as if typed / sent down the serial line) */
  input(chars: string): void;
  /** power-on / hardware reset: banner, .bootcde, 'init' */
  reboot(): void;
  /** load(): .bootcde (or the given Storage file) and 'init', no banner */
  loadFromStorage(name?: string): void;
  /** reset(): fresh interpreter, banner */
  reset(): void;
  /** value of a global in the current context */
  global(name: string): unknown;
  /** boots so far (power-on, reboot, reset, load) */
  readonly bootCount: number;
  /** live timers of this node */
  readonly timerCount: number;
  /** force process.memory().usage (undefined: back to the estimate) */
  setMemoryUsage(usage: number | undefined): void;
  /** E.getErrorFlags() contents (tests of the error path) */
  setErrorFlags(flags: string[]): void;
  /** pin levels written with digitalWrite, by pin name ("D2") */
  readonly pins: Record<string, number>;
  /** stop everything (timers, watchdog, modules) */
  dispose(): void;
  readonly disposed: boolean;
}

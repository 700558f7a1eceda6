/**
 * Espruino's `E` object for the emulation: the byte natives (toString / toUint8Array copy, CRC32 is zlib's),
 * an event emitter (E.on('init' | 'kill' | 'errorFlag' …), emit), and the calls whose effect lives in the env
 * (reboot, watchdog, console device, error flags), passed in as `host`.
 * getErrorFlags() returns the flags and clears them (jswrap_espruino.c jswrap_espruino_getErrorFlags).
 */
import { crc32 } from '../../host/crc32.ts';
import { toByteString } from './espruino-storage.ts';
import { NATIVE_OBJECT } from './espruino-inspect.ts';

export interface EspruinoEHost {
  toU8(bytes: string): Uint8Array;
  makeError(message: string): Error;
  takeErrorFlags(): string[];
  reboot(): never;
  enableWatchdog(timeoutS: number, auto: boolean): void;
  kickWatchdog(): void;
  getConsole(): string;
  setConsole(device: unknown): void;
}

type Listener = (...a: unknown[]) => void;

export function createEspruinoE(host: EspruinoEHost) {
  let listeners: Record<string, Listener[]> = {};
  const bytes = (args: unknown[]) => args.map((a) => toByteString(a) ?? '').join('');
  const E = {
    toString(...args: unknown[]) { return bytes(args); },
    toUint8Array(...args: unknown[]) { return host.toU8(bytes(args)); },
    CRC32(d: unknown) { return crc32(Buffer.from(toByteString(d) ?? '', 'latin1')); },
    sum(a: ArrayLike<number>) { let s = 0; for (let i = 0; i < a.length; i++) s += Number(a[i]); return s; },
    hwRand() { return (Math.random() * 0x100000000) | 0; },
    getSizeOf() { return 1; },
    getErrorFlags() { return host.takeErrorFlags(); },
    setFlags() {}, getFlags() { return {}; }, setTimeZone() {}, setDST() {},
    getTemperature() { return 40; },
    on(ev: string, fn: Listener) { (listeners[ev] ??= []).push(fn); },
    addListener(ev: string, fn: Listener) { E.on(ev, fn); },
    removeListener(ev: string, fn: Listener) { listeners[ev] = (listeners[ev] ?? []).filter((f) => f !== fn); },
    removeAllListeners(ev?: string) { if (ev) delete listeners[ev]; else listeners = {}; },
    emit(ev: string, ...args: unknown[]) { for (const fn of (listeners[ev] ?? []).slice()) fn(...args); },
    reboot(): never { return host.reboot(); },
    enableWatchdog(timeout: number, isAuto?: unknown) {
      const t = Number(timeout);
      host.enableWatchdog(t >= 0 ? t : 1, isAuto === undefined || !!isAuto);
    },
    kickWatchdog() { host.kickWatchdog(); },
    getConsole() { return host.getConsole(); },
    setConsole(device: unknown) { host.setConsole(device); },
    dumpStr() { return ''; },
  };
  (E as Record<symbol, unknown>)[NATIVE_OBJECT] = true;
  return E;
}

/**
 * Espruino's serial devices as the firmware sees them: Serial1, USB, LoopbackA/B, Telnet. One of them is the
 * "port" (what a host's cable or pty reaches: the board profile's console device); one is the console (where
 * the REPL reads and prints; E.setConsole moves it). Bytes written to the port go to the env's sink; bytes
 * written to LoopbackA arrive as input on LoopbackB and vice versa (on the next turn of the loop, as events
 * do on the board). Input that reaches a device which is not the console is emitted as 'data' on it.
 */
import { DEVICE_NAME } from './espruino-inspect.ts';
import { toByteString } from './espruino-storage.ts';

export const DEVICE_NAMES = ['Serial1', 'Serial2', 'USB', 'LoopbackA', 'LoopbackB', 'Telnet'] as const;

type Listener = (...a: unknown[]) => void;

export interface DeviceHub {
  devices: Record<string, Record<string | symbol, unknown>>;
  /** bytes written by code or the REPL to a device */
  write(device: string, s: string): void;
  /** bytes arriving at a device (from the host, or a loopback) */
  receive(device: string, s: string): void;
  consoleDevice: string;
  readonly portDevice: string;
}

export function createDeviceHub(o: {
  portDevice: string;
  /** bytes that leave through the port */
  sink: (s: string) => void;
  /** input for the REPL (the console device received it) */
  toRepl: (s: string) => void;
  /** run a callback as a task of the env (errors reported, prompt) */
  call: (fn: Listener, args: unknown[]) => void;
  /** run later on the env's clock */
  later: (fn: () => void) => void;
}): DeviceHub {
  const listeners: Record<string, Record<string, Listener[]>> = {};
  const hub: DeviceHub = {
    devices: {},
    consoleDevice: o.portDevice,
    portDevice: o.portDevice,
    write(device, s) {
      if (device === o.portDevice) o.sink(s);
      else if (device === 'LoopbackA') o.later(() => hub.receive('LoopbackB', s));
      else if (device === 'LoopbackB') o.later(() => hub.receive('LoopbackA', s));
      // other devices lead nowhere in the emulation
    },
    receive(device, s) {
      if (device === hub.consoleDevice) { o.toRepl(s); return; }
      for (const fn of listeners[device]?.data ?? []) o.call(fn, [s]);
    },
  };
  for (const name of DEVICE_NAMES) {
    const ls: Record<string, Listener[]> = (listeners[name] = {});
    const dev: Record<string | symbol, unknown> = {
      [DEVICE_NAME]: name,
      setup() { /* baud and pins do not matter here */ },
      write(...args: unknown[]) { hub.write(name, args.map((a) => toByteString(a) ?? String(a)).join('')); },
      print(s: unknown) { hub.write(name, String(s)); },
      println(s: unknown) { hub.write(name, String(s) + '\r\n'); },
      on(ev: string, fn: Listener) { (ls[ev] ??= []).push(fn); }, // Espruino's on() returns undefined
      addListener(ev: string, fn: Listener) { (ls[ev] ??= []).push(fn); },
      removeListener(ev: string, fn: Listener) { ls[ev] = (ls[ev] ?? []).filter((f) => f !== fn); },
      removeAllListeners(ev?: string) { if (ev) delete ls[ev]; else for (const k of Object.keys(ls)) delete ls[k]; },
      emit(ev: string, ...a: unknown[]) { for (const fn of ls[ev] ?? []) o.call(fn, a); },
      setConsole() { hub.consoleDevice = name; },
      available() { return 0; },
      read() { return ''; },
      isConsole() { return hub.consoleDevice === name; },
    };
    hub.devices[name] = dev;
  }
  return hub;
}

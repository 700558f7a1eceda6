/**
 * An emulation of the Espruino globals and built-in modules the firmware bundle touches, so the real
 * built bundle (dist/firmware/<board>.js) runs in Node inside a vm context. It is faithful where our
 * code depends on behaviour: E.toString / E.toUint8Array copy bytes, E.CRC32 is zlib's CRC-32, Storage
 * records are strings, `crypto` behaves as Espruino's (test/emulation/espruino-crypto.ts), and the
 * globals Espruino lacks (Map, Set, WeakMap, Symbol, BigInt, TextEncoder/TextDecoder, Array.from,
 * Math.trunc/imul/clz32, Object.freeze) are removed from the context so a bundle that reaches for them
 * fails here as it would on a board. JsVar accounting cannot be emulated: process.memory() reports the
 * board's total and a usage of 0, and real figures come from the real interpreter (ESPRUINO_BIN).
 */
import vm from 'node:vm';
import { readFileSync } from 'node:fs';
import { crc32 } from '../../host/crc32.ts';
import { createEspruinoCrypto } from './espruino-crypto.ts';

export interface EspruinoEnvOptions {
  /** process.env.BOARD */
  board?: string;
  jsVarsTotal?: number;
  /** initial Storage records */
  storage?: Record<string, string>;
  /** where print()/console.log() go */
  out?: (line: string) => void;
  /** leave out the crypto module, as on ESP32_IDF4 */
  noCrypto?: boolean;
}

export interface EspruinoEnv {
  context: vm.Context;
  storage: Map<string, string>;
  run(code: string, filename?: string): unknown;
  load(file: string): unknown;
}

function toBytes(v: unknown): Uint8Array {
  if (typeof v === 'string') return Uint8Array.from(v, (c) => c.charCodeAt(0) & 255);
  if (typeof v === 'number') return new Uint8Array([v & 255]);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) return Uint8Array.from(v.flatMap((x) => Array.from(toBytes(x))));
  if (v && typeof v === 'object' && 'data' in v) {
    const o = v as { data: unknown; count?: number };
    const b = toBytes(o.data);
    const n = o.count ?? 1;
    const r = new Uint8Array(b.length * n);
    for (let i = 0; i < n; i++) r.set(b, i * b.length);
    return r;
  }
  return new Uint8Array(0);
}

export function createEspruinoEnv(opts: EspruinoEnvOptions = {}): EspruinoEnv {
  const storage = new Map<string, string>(Object.entries(opts.storage ?? {}));
  const out = opts.out ?? ((line: string) => process.stdout.write(line + '\n'));
  const cryptoModule = createEspruinoCrypto();
  const Storage = {
    read(name: string) { return storage.get(name); },
    readJSON(name: string) { const v = storage.get(name); try { return v === undefined ? undefined : JSON.parse(v); } catch { return undefined; } },
    write(name: string, data: unknown) { storage.set(name, typeof data === 'string' ? data : String.fromCharCode(...toBytes(data))); return true; },
    writeJSON(name: string, data: unknown) { storage.set(name, JSON.stringify(data)); return true; },
    erase(name: string) { storage.delete(name); },
    list() { return [...storage.keys()]; },
    getFree() { return 896 * 1024 - [...storage.values()].reduce((a, v) => a + v.length, 0); },
  };
  const modules: Record<string, unknown> = { Storage };
  if (!opts.noCrypto) modules.crypto = cryptoModule;
  const E = {
    toString(...args: unknown[]) { return String.fromCharCode(...args.flatMap((a) => Array.from(toBytes(a)))); },
    toUint8Array(...args: unknown[]) { return Uint8Array.from(args.flatMap((a) => Array.from(toBytes(a)))); },
    CRC32(d: unknown) { return crc32(toBytes(d)); },
    getErrorFlags() { return []; },
    on() { /* events are delivered by the emulation's owner (issue 4 adds them) */ },
  };
  const sandbox: Record<string, unknown> = {
    E,
    require(name: string) {
      if (!(name in modules)) throw new Error(`Module ${name} not found`);
      return modules[name];
    },
    print(...a: unknown[]) { out(a.map(String).join(' ')); },
    console: { log(...a: unknown[]) { out(a.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' ')); } },
    process: {
      env: { VERSION: '2v29-emulated', BOARD: opts.board ?? 'EMULATED' },
      memory() { const t = opts.jsVarsTotal ?? 16383; return { free: t, usage: 0, total: t }; },
    },
    setTimeout, setInterval, clearTimeout, clearInterval,
    // Espruino's btoa/atob work on 8-bit strings, as Node's do
    btoa, atob,
  };
  const context = vm.createContext(sandbox);
  vm.runInContext(
    'global = this;' +
      'delete this.Map; delete this.Set; delete this.WeakMap; delete this.WeakSet; delete this.WeakRef;' +
      'delete this.Symbol; delete this.BigInt; delete this.TextEncoder; delete this.TextDecoder; delete this.Proxy;' +
      'delete Array.from; delete Array.of; delete Math.trunc; delete Math.imul; delete Math.clz32; delete Object.freeze;',
    context,
  );
  return {
    context,
    storage,
    run(code, filename = 'bundle.js') { return vm.runInContext(code, context, { filename }); },
    load(file) { return vm.runInContext(readFileSync(file, 'utf8'), context, { filename: file }); },
  };
}

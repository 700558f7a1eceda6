/**
 * The ESP-NOW binding contract (boards/ESPNOW.md), emulated on an in-process medium: each node's module
 * `ESPNOW` has init({channel}), send(mac | null, data) → bool, on('data', (data: Uint8Array, mac, rssi)),
 * deinit(). A send reaches every other initialised node on the same channel that hears the sender (opts.rssi
 * not null), each with its own copy of the bytes, after `defer`. Faithful where the driver depends on it:
 * send copies the data before returning, refuses (false) more than 250 bytes or an uninitialised radio, and
 * a node never hears its own transmissions. Loss is a seeded per-delivery draw.
 */
import { mulberry32 } from '../support/mulberry32.ts';
import type { ModuleHostLike } from './espruino-dgram.ts';

export interface EspNowMediumOptions {
  /** RSSI at which b hears a, dBm; null = out of range (default -55 for every pair) */
  rssi?: (a: string, b: string) => number | null;
  /** per-delivery loss probability 0..1 */
  loss?: number;
  seed?: number;
  defer?: (fn: () => void) => void;
}

export interface EspNowMedium {
  /** node `name`'s ESPNOW module; with a ModuleHost, data events run as node events with node-realm bytes */
  node(name: string, host?: ModuleHostLike): any;
  /** module factory for createEspruinoEnv({modules: {ESPNOW: medium.module(name)}}) */
  module(name: string): (host: ModuleHostLike) => any;
  /** deliver raw data to `to` as if `mac` sent it (garbage tests): data is passed as is */
  inject(to: string, data: unknown, mac: string, rssi: number): void;
  macOf(name: string): string;
  readonly counters: { sent: number; delivered: number; lost: number; refused: number };
}

function toBytes(d: unknown): Uint8Array | null {
  if (typeof d === 'string') return Uint8Array.from(d, (c) => c.charCodeAt(0) & 255);
  // realm-independent checks: the driver may run in a vm context with its own Uint8Array
  if (ArrayBuffer.isView(d)) return new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
  if (Object.prototype.toString.call(d) === '[object ArrayBuffer]') return new Uint8Array((d as ArrayBuffer).slice(0));
  return null;
}

export function createEspNowMedium(opts: EspNowMediumOptions = {}): EspNowMedium {
  const defer = opts.defer ?? ((fn: () => void) => setImmediate(fn));
  const rand = mulberry32(opts.seed ?? 1);
  const counters = { sent: 0, delivered: 0, lost: 0, refused: 0 };
  interface N { name: string; mac: string; channel: number; up: boolean; listeners: ((d: Uint8Array, mac: string, rssi: number) => void)[]; host?: ModuleHostLike }
  const nodes = new Map<string, N>();
  function deliver(n: N, data: unknown, mac: string, r: number): void {
    for (const f of n.listeners) {
      defer(() => {
        if (!n.up) return;
        const h = n.host;
        if (!h) { f(data as Uint8Array, mac, r); return; }
        const d = data instanceof Uint8Array && h.toUint8Array ? h.toUint8Array(data) : data;
        h.call(f, d, mac, r);
      });
    }
  }
  function node(name: string, host?: ModuleHostLike) {
    let n = nodes.get(name);
    if (!n) {
      const i = nodes.size + 1;
      n = { name, mac: `30:ae:a4:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, channel: 1, up: false, listeners: [] };
      nodes.set(name, n);
    }
    const me = n;
    if (host) {
      me.host = host;
      // a reset drops the node's JS: its listeners and the binding's init go with it
      host.onKill(() => { me.listeners = []; me.up = false; });
    }
    return {
      init(o: { channel?: number } = {}) { me.channel = o.channel ?? 1; me.up = true; return true; },
      deinit() { me.up = false; },
      on(ev: string, fn: (d: Uint8Array, mac: string, rssi: number) => void) { if (ev === 'data') me.listeners.push(fn); },
      send(mac: string | null, data: unknown): boolean {
        const b = toBytes(data);
        if (!me.up || b === null || b.length === 0 || b.length > 250) { counters.refused++; return false; }
        counters.sent++;
        for (const x of nodes.values()) {
          if (x === me || !x.up || x.channel !== me.channel) continue;
          if (mac !== null && mac.toLowerCase() !== x.mac) continue;
          const r = opts.rssi ? opts.rssi(me.name, x.name) : -55;
          if (r === null) continue;
          if (opts.loss && rand() < opts.loss) { counters.lost++; continue; }
          counters.delivered++;
          deliver(x, new Uint8Array(b), me.mac, r);
        }
        return true;
      },
    };
  }
  return {
    node,
    module: (name) => (h: ModuleHostLike) => node(name, h),
    counters,
    macOf(name) { return nodes.get(name)?.mac ?? ''; },
    inject(to, data, mac, r) { const n = nodes.get(to); if (n) deliver(n, data, mac, r); },
  };
}

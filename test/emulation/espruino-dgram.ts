/**
 * Espruino's `dgram` module, emulated for tests (behaviour of Espruino 2v29, /work/shared/ESPRUINO.md):
 * createSocket('udp4' | {type, reuseAddr, recvBufferSize}), bind(port, cb), send(string, port, host) and
 * send(string, offset, length, port, host), on('message', (msg: 8-bit string, rinfo {address, port, size})),
 * close(). Faithful where drivers depend on it: send() takes strings (a Uint8Array or array goes out as the
 * text "65,66,67", as on release builds), received datagrams are cut to recvBufferSize (default 528).
 *
 * Two backends:
 * - createDgramNetwork(): an in-process network. Each emulated node is a host with interfaces
 *   {ip, netmask, segment} (a segment is one broadcast domain: an AP's BSS, a shared LAN, "lo"). A datagram to a
 *   subnet broadcast address reaches every socket bound to that port on every host with an interface in the
 *   sender's segment and that subnet (the sender's own included, as Linux does: drivers filter); to a unicast
 *   address, the socket on the host owning that address in the segment; 127.0.0.1 stays on the host.
 *   A BOUND socket cannot send to a broadcast address (Espruino sets SO_BROADCAST only on the sockets it
 *   creates for unbound sends: libs/network/linux|esp32/network_*.c; measured on the Linux build): such a
 *   send is dropped silently, as there. Delivery is deferred (setImmediate by default, or opts.defer for a
 *   virtual clock). Several vm envs whose require('dgram') return hosts of one network form a mesh.
 * - createRealDgram(): the same API over real node:dgram sockets (bound to 127.0.0.1 by default), so a driver
 *   running in an emulated env can talk to real processes: the host air (host/air/), other interpreters.
 * With createEspruinoEnv (espruino-env.ts), pass modules as factories so listeners run as node events and
 * sockets close at reset: `modules: { dgram: net.module(name, ifaces) }` or
 * `{ dgram: (h) => createRealDgram({}, hooksOf(h)) }`. On a VirtualClock, give the network
 * `defer: (fn) => clock.schedule(clock.now(), fn)` so deliveries happen in virtual time.
 */
import nodeDgram from 'node:dgram';

export interface DgramRemote { address: string; port: number; size: number }
export type DgramListener = (msg: string, rinfo: DgramRemote) => void;

export interface EmulatedDgramSocket {
  bind(port: number, cb?: (sock: EmulatedDgramSocket) => void): EmulatedDgramSocket;
  send(msg: unknown, a: number, b: unknown, c?: number, d?: string): void;
  on(ev: string, fn: (...a: any[]) => void): EmulatedDgramSocket;
  close(): void;
  addMembership(): void;
}

export interface EmulatedDgram {
  createSocket(type: string | { type: string; reuseAddr?: boolean; recvBufferSize?: number }, cb?: DgramListener): EmulatedDgramSocket;
}

export interface NetIface { ip: string; netmask: string; segment: string }

export interface DgramNetworkOptions {
  /** how deliveries are scheduled (default setImmediate) */
  defer?: (fn: () => void) => void;
}

/** how callbacks enter the node: H3's ModuleHost (espruino-env.ts) passes host.call / host.onKill */
export interface NodeHooks {
  /** run a listener as a node event (default: call it directly) */
  invoke?: (fn: (...a: any[]) => void, args: unknown[]) => void;
  /** register teardown at the node's reset/reboot (sockets close then) */
  onKill?: (fn: () => void) => void;
}

/** the slice of espruino-env.ts ModuleHost the emulations use (kept structural: no import cycle) */
export interface ModuleHostLike {
  call(fn: unknown, ...args: unknown[]): void;
  onKill(fn: () => void): void;
  toUint8Array?(bytes: Uint8Array | string): Uint8Array;
}

export function hooksOf(host: ModuleHostLike): NodeHooks {
  return { invoke: (fn, args) => host.call(fn, ...args), onKill: (fn) => host.onKill(fn) };
}

export interface DgramNetwork {
  /** a dgram module for one host; `ifaces` is read at every send (Wi-Fi links come and go) */
  host(name: string, ifaces: () => NetIface[], hooks?: NodeHooks): EmulatedDgram;
  /** the same as a module factory for createEspruinoEnv({modules: {dgram: net.module(name, ifaces)}}) */
  module(name: string, ifaces: () => NetIface[]): (host: ModuleHostLike) => EmulatedDgram;
  /** put raw bytes on the wire as if `from` sent them (for garbage tests) */
  inject(from: { segment: string; ip: string; port: number }, msg: string, port: number, address: string): void;
  readonly counters: { sent: number; delivered: number; noRoute: number; refusedBroadcast: number };
}

/** Espruino converts a non-string to a string: typed arrays and arrays become "65,66,67" */
export function espruinoDgramString(msg: unknown): string {
  if (typeof msg === 'string') return msg;
  if (ArrayBuffer.isView(msg)) return Array.prototype.join.call(msg as unknown as ArrayLike<number>, ',');
  return String(msg);
}

function ip4(s: string): number {
  const p = s.split('.').map(Number);
  return p.length === 4 && p.every((x) => x >= 0 && x <= 255) ? ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0 : -1;
}

function bcastOf(i: NetIface): number {
  return (ip4(i.ip) | ~ip4(i.netmask)) >>> 0;
}

interface Bound { host: string; port: number; sock: { deliver(msg: string, r: DgramRemote): void } }

function parseArgs(msg: unknown, a: number, b: unknown, c?: number, d?: string): { s: string; port: number; addr: string } {
  let s = espruinoDgramString(msg);
  if (typeof b === 'number') { s = s.substr(a, b); return { s, port: c as number, addr: d as string }; }
  return { s, port: a, addr: b as string };
}

function createSocketBase(recv: number, impl: {
  bind(port: number, deliver: (m: string, r: DgramRemote) => void, done: () => void): void;
  send(s: string, port: number, addr: string): void;
  close(): void;
}, cb?: DgramListener, hooks: NodeHooks = {}): EmulatedDgramSocket {
  const listeners: Record<string, ((...a: any[]) => void)[]> = {};
  const invoke = hooks.invoke ?? ((fn, args) => fn(...args));
  const emit = (ev: string, ...a: unknown[]) => { for (const f of listeners[ev] ?? []) invoke(f, a); };
  let closed = false;
  const sock: EmulatedDgramSocket = {
    bind(port, done) {
      impl.bind(port, (m, r) => { if (!closed) emit('message', m.length > recv ? m.substr(0, recv) : m, r); }, () => { if (done) done(sock); });
      return sock;
    },
    send(msg, a, b, c, d) {
      if (closed) throw new Error('Socket is closed');
      const p = parseArgs(msg, a, b, c, d);
      impl.send(p.s, p.port, p.addr);
    },
    on(ev, fn) { (listeners[ev] ??= []).push(fn); return sock; },
    close() { if (!closed) { closed = true; impl.close(); emit('close'); } },
    addMembership() { /* not needed by Meshwork */ },
  };
  if (cb) sock.on('message', cb);
  if (hooks.onKill) hooks.onKill(() => sock.close());
  return sock;
}

function recvSize(type: unknown): number {
  return type && typeof type === 'object' && typeof (type as any).recvBufferSize === 'number' && (type as any).recvBufferSize > 528
    ? (type as any).recvBufferSize : 528;
}

export function createDgramNetwork(opts: DgramNetworkOptions = {}): DgramNetwork {
  const defer = opts.defer ?? ((fn: () => void) => setImmediate(fn));
  const hosts = new Map<string, () => NetIface[]>();
  const bound: Bound[] = [];
  const counters = { sent: 0, delivered: 0, noRoute: 0, refusedBroadcast: 0 };
  /** the limited broadcast, or the directed broadcast of any interface of any host */
  function isBroadcast(addr: string): boolean {
    if (addr === '255.255.255.255') return true;
    const a = ip4(addr);
    for (const ifs of hosts.values()) for (const f of ifs()) if (bcastOf(f) === a) return true;
    return (a & 255) === 255;
  }
  let ephemeral = 40000;

  function route(fromHost: string | null, src: { segment: string; ip: string; port: number } | null, s: string, port: number, addr: string): void {
    counters.sent++;
    const dst = ip4(addr);
    const targets: { host: string; ip: string }[] = [];
    let from = src;
    if (addr === '127.0.0.1' || (dst >>> 24) === 127) {
      if (fromHost !== null) targets.push({ host: fromHost, ip: '127.0.0.1' });
      from = from ?? { segment: 'lo', ip: '127.0.0.1', port: 0 };
    } else {
      if (from === null && fromHost !== null) {
        // the interface whose subnet holds the destination (broadcast or unicast)
        const ifs = hosts.get(fromHost)?.() ?? [];
        const i = ifs.find((f) => ((ip4(f.ip) & ip4(f.netmask)) >>> 0) === ((dst & ip4(f.netmask)) >>> 0) || addr === '255.255.255.255');
        if (i) from = { segment: i.segment, ip: i.ip, port: 0 };
      }
      if (from === null) { counters.noRoute++; return; }
      for (const [h, ifs] of hosts) {
        for (const f of ifs()) {
          if (f.segment !== from.segment) continue;
          if (addr === '255.255.255.255' || bcastOf(f) === dst || ip4(f.ip) === dst) targets.push({ host: h, ip: f.ip });
        }
      }
    }
    const srcIp = from!.ip;
    for (const t of targets) {
      for (const b of bound) {
        if (b.host !== t.host || b.port !== port) continue;
        counters.delivered++;
        const sock = b.sock;
        defer(() => sock.deliver(s, { address: srcIp, port: src?.port ?? 0, size: s.length }));
      }
    }
  }

  return {
    counters,
    inject(from, msg, port, address) { route(null, from, msg, port, address); },
    module(name, ifaces) {
      return (h: ModuleHostLike) => this.host(name, ifaces, hooksOf(h));
    },
    host(name, ifaces, hooks) {
      hosts.set(name, ifaces);
      return {
        createSocket(type, cb) {
          let me: Bound | null = null;
          let myPort = 0;
          return createSocketBase(recvSize(type), {
            bind(port, deliver, done) {
              myPort = port || ephemeral++;
              me = { host: name, port: myPort, sock: { deliver } };
              bound.push(me);
              defer(done);
            },
            send(s, port, addr) {
              // Espruino sets SO_BROADCAST only on sockets it creates for sending (never bound): a bound
              // socket's datagram to a broadcast address is refused by the stack, without an error
              if (me !== null && isBroadcast(addr)) { counters.sent++; counters.refusedBroadcast++; return; }
              if (!myPort) myPort = ephemeral++;
              // source interface is chosen by route(); the source port is the bound one
              const ifs = ifaces();
              const dst = ip4(addr);
              let src: { segment: string; ip: string; port: number } | null = null;
              if ((dst >>> 24) !== 127) {
                const i = ifs.find((f) => ((ip4(f.ip) & ip4(f.netmask)) >>> 0) === ((dst & ip4(f.netmask)) >>> 0));
                if (i) src = { segment: i.segment, ip: i.ip, port: myPort };
                else if (addr === '255.255.255.255' && ifs[0]) src = { segment: ifs[0].segment, ip: ifs[0].ip, port: myPort };
                else { counters.sent++; counters.noRoute++; return; }
              } else {
                src = { segment: 'lo', ip: '127.0.0.1', port: myPort };
              }
              route(name, src, s, port, addr);
            },
            close() { if (me) bound.splice(bound.indexOf(me), 1); me = null; },
          }, cb, hooks);
        },
      };
    },
  };
}

export interface RealDgramOptions {
  /** address sockets bind to (default 127.0.0.1) */
  bindHost?: string;
}

/** dgram over real node:dgram sockets: bytes cross as latin1 so every 8-bit string survives */
export function createRealDgram(opts: RealDgramOptions = {}, hooks: NodeHooks = {}): EmulatedDgram & { closeAll(): void } {
  const open = new Set<nodeDgram.Socket>();
  return {
    closeAll() { for (const s of open) { try { s.close(); } catch { /* closed */ } } open.clear(); },
    createSocket(type, cb) {
      const reuse = !!(type && typeof type === 'object' && type.reuseAddr);
      const real = nodeDgram.createSocket({ type: 'udp4', reuseAddr: reuse });
      open.add(real);
      let ready: Promise<void> | null = null;
      return createSocketBase(recvSize(type), {
        bind(port, deliver, done) {
          real.on('message', (m, r) => deliver(m.toString('latin1'), { address: r.address, port: r.port, size: m.length }));
          ready = new Promise((res) => real.bind(port, opts.bindHost ?? '127.0.0.1', () => { res(); done(); }));
        },
        send(s, port, addr) {
          const buf = Buffer.from(s, 'latin1');
          const go = () => real.send(buf, port, addr);
          if (ready) ready.then(go); else go();
        },
        close() { open.delete(real); try { real.close(); } catch { /* closed */ } },
      }, cb, hooks);
    },
  };
}

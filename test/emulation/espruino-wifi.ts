/**
 * Espruino's `Wifi` module (ESP32 port, 2v29), emulated for tests over a world of nodes that see each
 * other's soft-APs at given RSSIs. Each node gets a Wifi module and a dgram module (espruino-dgram.ts) whose
 * interfaces follow its Wi-Fi state: the AP interface (segment "ap:<node>") while its AP is up, and a station
 * interface in its upstream AP's segment while associated. An AP and its stations are one broadcast domain,
 * as a real soft-AP relays station broadcasts to its other stations.
 *
 * Faithful where the wifi-udp driver depends on it: the soft-AP takes at most 4 stations; connect() calls back
 * once the station has an address (cb(null)) or with a reason string, and fires 'connected' / 'disconnected'
 * as the ESP32 port's events do; scan() lists visible APs with rssi; getStatus().rssi is the station's RSSI to
 * its AP and getDetails() has none (ESP32); setAPIP's callback argument is inverted ("Failure" on success) as
 * on ESP32 2v29, and it throws without a callback. Default AP address 192.168.4.1/24, stations get .2, .3, …
 */
import { createDgramNetwork, hooksOf, type DgramNetwork, type EmulatedDgram, type NetIface, type NodeHooks, type ModuleHostLike } from './espruino-dgram.ts';

export interface WifiWorldOptions {
  /** RSSI at which node b hears node a's AP (and a hears b), dBm; null = out of range. Default: all at -50 */
  rssi?: (a: string, b: string) => number | null;
  maxStations?: number;
  defer?: (fn: () => void) => void;
  net?: DgramNetwork;
}

interface WifiNodeState {
  name: string;
  mac: string;
  alive: boolean;
  ap: { ssid: string; password: string; channel: number; ip: string; netmask: string; stations: string[] } | null;
  apIp: { ip: string; netmask: string };
  sta: { ap: string; ip: string; netmask: string; gw: string } | null;
  listeners: Record<string, ((d?: unknown) => void)[]>;
  invoke: (fn: (...a: any[]) => void, args: unknown[]) => void;
}

export interface WifiWorld {
  net: DgramNetwork;
  /** create (or get) node `name`: its Wifi and dgram modules (hooks: how callbacks enter the node) */
  node(name: string, hooks?: NodeHooks): { wifi: any; dgram: EmulatedDgram };
  /** module factories for createEspruinoEnv({modules: world.modules(name)}): {Wifi, dgram} */
  modules(name: string): { Wifi: (h: ModuleHostLike) => any; dgram: (h: ModuleHostLike) => EmulatedDgram };
  /** change the RSSI of the a–b link (null: out of range); stations out of range lose their AP */
  setRssi(a: string, b: string, rssi: number | null): void;
  /** power a node off (AP down, station gone) or back on */
  setAlive(name: string, alive: boolean): void;
  /** the AP node a node is associated to, or null */
  upstreamOf(name: string): string | null;
  stationsOf(name: string): string[];
  interfaces(name: string): NetIface[];
}

export function createWifiWorld(opts: WifiWorldOptions = {}): WifiWorld {
  const defer = opts.defer ?? ((fn: () => void) => setImmediate(fn));
  const net = opts.net ?? createDgramNetwork({ defer });
  const maxSta = opts.maxStations ?? 4;
  const nodes = new Map<string, WifiNodeState>();
  const overrides = new Map<string, number | null>();
  const key = (a: string, b: string) => (a < b ? a + '|' + b : b + '|' + a);
  function rssi(a: string, b: string): number | null {
    const k = key(a, b);
    if (overrides.has(k)) return overrides.get(k)!;
    return opts.rssi ? opts.rssi(a, b) : -50;
  }
  function emit(n: WifiNodeState, ev: string, d?: unknown): void {
    for (const f of n.listeners[ev] ?? []) defer(() => n.invoke(f, [d]));
  }
  function ifaces(n: WifiNodeState): NetIface[] {
    const r: NetIface[] = [];
    if (!n.alive) return r;
    if (n.ap) r.push({ ip: n.ap.ip, netmask: n.ap.netmask, segment: 'ap:' + n.name });
    if (n.sta) r.push({ ip: n.sta.ip, netmask: n.sta.netmask, segment: 'ap:' + n.sta.ap });
    return r;
  }
  function dropStation(st: WifiNodeState, reason: string): void {
    if (!st.sta) return;
    const ap = nodes.get(st.sta.ap);
    if (ap?.ap) {
      ap.ap.stations = ap.ap.stations.filter((s) => s !== st.name);
      emit(ap, 'sta_left', { mac: st.mac });
    }
    st.sta = null;
    emit(st, 'disconnected', { reason });
  }
  function stopAp(n: WifiNodeState): void {
    if (!n.ap) return;
    for (const s of n.ap.stations.slice()) { const st = nodes.get(s); if (st) dropStation(st, 'beacon_timeout'); }
    n.ap = null;
  }
  function octets(ip: string): number[] { return ip.split('.').map(Number); }

  function makeWifi(n: WifiNodeState) {
    // callbacks enter the node through its hooks (a node event under createEspruinoEnv)
    const later = (cb: (...a: any[]) => void, ...args: unknown[]) => defer(() => n.invoke(cb, args));
    return {
      setAPIP(settings: { ip: string; gw: string; netmask: string }, cb: (err: unknown) => void) {
        if (typeof cb !== 'function') throw new Error('Callback is not a function');
        n.apIp = { ip: settings.ip, netmask: settings.netmask };
        later(cb, 'Failure'); // ESP32 2v29 passes "Failure" on success (inverted test)
      },
      startAP(ssid: string, o: { password?: string; channel?: number } = {}, cb?: (err: unknown) => void) {
        if (typeof ssid !== 'string') throw new Error('No SSID');
        stopAp(n);
        n.ap = { ssid, password: o.password ?? '', channel: o.channel ?? 1, ip: n.apIp.ip, netmask: n.apIp.netmask, stations: [] };
        if (cb) later(cb, null);
      },
      stopAP(cb?: () => void) { stopAp(n); if (cb) later(cb); },
      connect(ssid: string, o: { password?: string } = {}, cb?: (err: unknown) => void) {
        if (typeof ssid !== 'string') throw new Error('No SSID provided');
        if (n.sta) dropStation(n, 'assoc_leave');
        const fail = (reason: string) => { emit(n, 'disconnected', { reason }); if (cb) later(cb, reason); };
        const ap = [...nodes.values()].find((x) => x !== n && x.alive && x.ap && x.ap.ssid === ssid && rssi(x.name, n.name) !== null);
        if (!ap || !ap.ap) { fail('no_ap_found'); return; }
        if (ap.ap.password !== (o.password ?? '')) { fail('auth_fail'); return; }
        if (ap.ap.stations.length >= maxSta) { fail('assoc_toomany'); return; }
        ap.ap.stations.push(n.name);
        const o4 = octets(ap.ap.ip);
        let host = 2;
        const used = new Set(ap.ap.stations.map((s) => nodes.get(s)?.sta?.ip));
        while (used.has(`${o4[0]}.${o4[1]}.${o4[2]}.${host}`)) host++;
        n.sta = { ap: ap.name, ip: `${o4[0]}.${o4[1]}.${o4[2]}.${host}`, netmask: ap.ap.netmask, gw: ap.ap.ip };
        emit(ap, 'sta_joined', { mac: n.mac });
        emit(n, 'associated', { ssid });
        emit(n, 'connected', { ip: n.sta.ip });
        if (cb) later(cb, null);
      },
      disconnect(cb?: () => void) { if (n.sta) dropStation(n, 'assoc_leave'); if (cb) later(cb); },
      scan(cb: (aps: unknown[]) => void) {
        const list = [...nodes.values()]
          .filter((x) => x !== n && x.alive && x.ap && rssi(x.name, n.name) !== null)
          .map((x) => ({ ssid: x.ap!.ssid, mac: x.mac, rssi: rssi(x.name, n.name)!, channel: x.ap!.channel, authMode: x.ap!.password ? 'wpa2' : 'open', isHidden: false }));
        later(cb, list);
      },
      getIP() { return n.sta ? { ip: n.sta.ip, netmask: n.sta.netmask, gw: n.sta.gw, mac: n.mac } : { ip: '0.0.0.0', netmask: '0.0.0.0', gw: '0.0.0.0', mac: n.mac }; },
      getAPIP() { return n.ap ? { ip: n.ap.ip, netmask: n.ap.netmask, gw: n.ap.ip, mac: n.mac } : { ip: '0.0.0.0', netmask: '0.0.0.0', gw: '0.0.0.0', mac: n.mac }; },
      getStatus() {
        return n.sta ? { station: 'connected', ap: n.ap ? 'enabled' : 'disabled', rssi: rssi(n.sta.ap, n.name) ?? -127 }
          : { station: 'off', ap: n.ap ? 'enabled' : 'disabled' };
      },
      getDetails() { return n.sta ? { status: 'connected', ssid: nodes.get(n.sta.ap)?.ap?.ssid } : { status: 'off' }; },
      on(ev: string, fn: (d?: unknown) => void) { (n.listeners[ev] ??= []).push(fn); },
    };
  }

  const world: WifiWorld = {
    net,
    node(name, hooks = {}) {
      let n = nodes.get(name);
      if (!n) {
        const i = nodes.size + 1;
        n = { name, mac: `24:0a:c4:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, alive: true, ap: null,
          apIp: { ip: '192.168.4.1', netmask: '255.255.255.0' }, sta: null, listeners: {}, invoke: (fn, args) => fn(...args) };
        nodes.set(name, n);
      }
      const state = n;
      if (hooks.invoke) state.invoke = hooks.invoke;
      // the node's JS is gone after a reset: its listeners go with it (the radio state stays, as on a board)
      if (hooks.onKill) hooks.onKill(() => { state.listeners = {}; });
      return { wifi: makeWifi(state), dgram: net.host(name, () => ifaces(state), hooks) };
    },
    modules(name) {
      return {
        Wifi: (h: ModuleHostLike) => world.node(name, hooksOf(h)).wifi,
        dgram: (h: ModuleHostLike) => net.host(name, () => world.interfaces(name), hooksOf(h)),
      };
    },
    setRssi(a, b, r) {
      overrides.set(key(a, b), r);
      if (r !== null) return;
      for (const [x, y] of [[a, b], [b, a]]) {
        const st = nodes.get(x);
        if (st?.sta && st.sta.ap === y) dropStation(st, 'beacon_timeout');
      }
    },
    setAlive(name, alive) {
      const n = nodes.get(name);
      if (!n) return;
      if (!alive) { stopAp(n); if (n.sta) dropStation(n, 'power_off'); }
      n.alive = alive;
    },
    upstreamOf(name) { return nodes.get(name)?.sta?.ap ?? null; },
    stationsOf(name) { return nodes.get(name)?.ap?.stations.slice() ?? []; },
    interfaces(name) { const n = nodes.get(name); return n ? ifaces(n) : []; },
  };
  return world;
}

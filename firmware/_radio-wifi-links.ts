/**
 * How a wifi-udp node chooses and keeps its links (the rules boards/RADIOS.md documents; see also
 * radio-wifi-udp.ts):
 *
 * 1. AP side, always on: a WPA2 soft-AP named "mw-<mesh>-<id as 8 hex>" (mesh cut to 20 chars: SSIDs are
 *    ≤ 32 bytes), password cfg.password (derived on the host at provisioning, in mw.cfg radio.password), on
 *    cfg.channel. Its subnet is 10.A.B.0/24 with A.B from a hash of the node id, so a node's AP subnet and
 *    its upstream's differ (ESP32's default 192.168.4.1 on every AP would make both sides one subnet).
 * 2. Station side, one upstream: with cfg.infra set, the station joins that shared network (every node on
 *    it is one broadcast segment) and retries with back-off. Otherwise (mesh mode) a node with no upstream
 *    scans; candidates are SSIDs "mw-<mesh>-<hex>" other than its own, heard at ≥ cfg.joinRssi, not
 *    blacklisted, and not the AP of a node heard on our own AP side within the last minute (it is our
 *    station: joining it would only duplicate that link). It joins the strongest (ties: higher id).
 * 3. Back-off: a scan that finds no candidate, or a join that fails (or has not called back within 20 s),
 *    doubles the wait before the next scan, from scanMinMs (5 s) up to scanMaxMs (80 s); a failed AP (full:
 *    4 stations, wrong password, out of range) is blacklisted for the current back-off. Losing the upstream ('disconnected')
 *    blacklists it for scanMinMs and rescans at once. A connected node rescans every keepScanMs (60 s)
 *    only to refresh its RSSI table; it never drops a working upstream for a stronger one (stability).
 * 4. An upstream whose subnet collides with our own AP subnet is dropped and blacklisted for scanMaxMs.
 * 5. Two nodes that joined each other's APs (each scanned before hearing the other) would carry every frame
 *    twice: when our upstream's datagrams arrive on our AP side too, the node with the lower id leaves it
 *    and rescans (rule 2 then skips that node). Only 2-cycles duplicate frames, so after this none do.
 * Known limit: each node has exactly one upstream, so two groups that are each internally linked and in
 * range of each other only through nodes that already have an upstream stay apart until a link changes.
 */
import type { RadioTimers, RadioLog } from './radio-driver.ts';
import { createRadioPeers, peerHeard, peerHeardWithin, peerRssi, type RadioPeers } from './_radio-peers.ts';
import { broadcastOf, type RadioWifiModule, type RadioWifiAp } from './_radio-wifi-module.ts';

export interface WifiLinksConfig {
  id: number;
  mesh: string;
  password: string;
  channel: number;
  infra?: { ssid: string; password?: string };
  joinRssi: number;
  scanMinMs: number;
  scanMaxMs: number;
  keepScanMs: number;
}

export interface WifiLinks {
  start(): void;
  stop(): void;
  /** subnet broadcast of the AP side / station side, or null when that side is down */
  apBcast: string | null;
  staBcast: string | null;
  /** "10.A.B." : datagrams from addresses with this prefix came in on the AP side */
  apPrefix: string;
  /** node id of the upstream AP (0: none, or the infra network) */
  upstream: number;
  upstreamRssi: number;
  /** last RSSI at which we saw each mesh AP (id from its SSID) in a scan */
  scanRssi: RadioPeers;
  /** ids heard on the AP side (our stations) */
  apSide: RadioPeers;
  /** a datagram from node `id` came in on our AP side: it is our station (rule 5: break 2-cycles) */
  heardOnApSide(id: number, nowMs: number): void;
  ssid: string;
}

/** a join that has not called back after this long has failed */
const JOIN_TIMEOUT_MS = 20000;

function hex8(v: number): string {
  return ('0000000' + (v >>> 0).toString(16)).substr(-8);
}

/** 10.A.B.1 from the id: A in 1..254 so the subnet is never 10.0.x / 10.255.x */
function apSubnet(id: number): string {
  const h = (id ^ (id >>> 16) ^ 0x5a5a) & 0xffff;
  return '10.' + (1 + ((h >>> 8) % 254)) + '.' + (h & 255) + '.';
}

export function createWifiLinks(cfg: WifiLinksConfig, wifi: RadioWifiModule, timers: RadioTimers, log: RadioLog): WifiLinks {
  const prefix = 'mw-' + cfg.mesh.substr(0, 20) + '-';
  const blackId = new Uint32Array(8);
  const blackUntil = new Float64Array(8);
  let backoff = cfg.scanMinMs;
  let timer: unknown = null;
  let running = false;
  let joining = false;
  let listening = false;
  const noop = function (): void { /* replaced below: Espruino does not hoist function declarations */ };
  const L: WifiLinks = {
    start: noop, stop: noop, heardOnApSide: noop, apBcast: null, staBcast: null, apPrefix: apSubnet(cfg.id), upstream: 0,
    upstreamRssi: 0, scanRssi: createRadioPeers(16), apSide: createRadioPeers(8), ssid: prefix + hex8(cfg.id),
  };

  function blacklist(id: number, ms: number): void {
    let k = blackId.indexOf(id);
    if (k < 0) { k = 0; for (let i = 1; i < 8; i++) if (blackUntil[i] < blackUntil[k]) k = i; }
    blackId[k] = id;
    blackUntil[k] = timers.now() + ms;
  }
  function blacklisted(id: number): boolean {
    const k = blackId.indexOf(id);
    return k >= 0 && blackUntil[k] > timers.now();
  }
  /** (re)arm the one link timer; ms < 0 only disarms it */
  function schedule(ms: number): void {
    if (timer !== null) timers.clearTimeout(timer);
    timer = running && ms >= 0 ? timers.setTimeout(tick, ms) : null;
  }
  function failed(): void {
    schedule(backoff);
    backoff = backoff * 2 > cfg.scanMaxMs ? cfg.scanMaxMs : backoff * 2;
  }

  function readRssi(): void {
    let r: number | undefined;
    try {
      const s = wifi.getStatus ? wifi.getStatus() : undefined;
      if (s && typeof s.rssi === 'number') r = s.rssi;
      const d = r === undefined && wifi.getDetails ? wifi.getDetails() : undefined;
      if (d && typeof d.rssi === 'number') r = d.rssi;
    } catch (e) { /* keep the scan figure */ }
    L.upstreamRssi = r !== undefined ? r : peerRssi(L.scanRssi, L.upstream, L.upstreamRssi);
  }

  function staUp(): void {
    if (!running) return;
    const ip = wifi.getIP();
    const b = broadcastOf(ip.ip, ip.netmask);
    if (b === null) return; // no address yet: 'connected' will call again
    if (ip.ip.indexOf(L.apPrefix) === 0) {
      log(1, 'wifi-subnet-clash', L.upstream);
      if (L.upstream) blacklist(L.upstream, cfg.scanMaxMs);
      staDown();
      wifi.disconnect();
      failed();
      return;
    }
    L.staBcast = b;
    joining = false;
    backoff = cfg.scanMinMs;
    readRssi();
    log(2, 'wifi-up', L.upstream);
    keepScan();
  }
  /** while connected: the RSSI-refresh scan, if enabled (keepScanMs 0 = never) */
  function keepScan(): void {
    if (cfg.keepScanMs > 0) schedule(cfg.keepScanMs);
    else schedule(-1);
  }
  function staDown(): void {
    L.staBcast = null;
    L.upstream = 0;
    joining = false;
  }

  function join(ssid: string, password: string | undefined, id: number): void {
    joining = true;
    L.upstream = id;
    // safety net: a port that never calls back would leave us joining forever (tick treats it as a failure)
    schedule(JOIN_TIMEOUT_MS);
    try {
      wifi.connect(ssid, { password: password }, function (err: unknown) {
        if (!running) return;
        if (err) {
          log(2, 'wifi-join-fail', String(err));
          if (id) blacklist(id, backoff);
          staDown();
          failed();
        } else {
          staUp();
        }
      });
    } catch (e) {
      // a throw here would end link management for good (we run inside a scan callback): count and retry
      log(1, 'wifi-join-err', String(e));
      if (id) blacklist(id, backoff);
      staDown();
      failed();
    }
  }

  function onScan(aps: RadioWifiAp[]): void {
    if (!running) return;
    const now = timers.now();
    let best = -1, bestRssi = -1000, bestId = 0;
    for (let i = 0; aps && i < aps.length; i++) {
      const ap = aps[i];
      if (!ap || typeof ap.ssid !== 'string' || ap.ssid.length !== prefix.length + 8 || ap.ssid.indexOf(prefix) !== 0) continue;
      const id = parseInt(ap.ssid.substr(prefix.length), 16) >>> 0;
      if (!(id > 0) || id === cfg.id) continue;
      peerHeard(L.scanRssi, id, now, ap.rssi);
      if (ap.rssi < cfg.joinRssi || blacklisted(id)) continue;
      if (peerHeardWithin(L.apSide, id, now, 60000)) continue;
      if (ap.rssi > bestRssi || (ap.rssi === bestRssi && id > bestId)) { best = i; bestRssi = ap.rssi; bestId = id; }
    }
    if (L.staBcast !== null || joining || cfg.infra) {
      if (L.staBcast !== null) readRssi();
      if (!joining) keepScan();
      return;
    }
    if (best < 0) { failed(); return; }
    log(3, 'wifi-join', bestId);
    join(aps[best].ssid, cfg.password, bestId);
  }

  function tick(): void {
    timer = null;
    if (!running) return;
    if (joining) {
      log(1, 'wifi-join-timeout', L.upstream);
      if (L.upstream) blacklist(L.upstream, backoff);
      staDown();
      try { wifi.disconnect(); } catch (e) { /* not connected */ }
      failed();
      return;
    }
    if (cfg.infra && L.staBcast === null && !joining) { join(cfg.infra.ssid, cfg.infra.password, 0); return; }
    try { wifi.scan(onScan); } catch (e) { failed(); }
  }

  function start(): void {
    running = true;
    const ip = L.apPrefix + '1';
    // Espruino cannot remove one listener by function: register once for the manager's life
    if (!listening) {
      listening = true;
      wifi.on('connected', function () { if (running && L.staBcast === null) staUp(); });
      wifi.on('disconnected', function () {
        // a failed join also fires 'disconnected': its connect callback handles that (with back-off)
        if (!running || L.staBcast === null) return;
        const was = L.upstream;
        staDown();
        if (was) blacklist(was, cfg.scanMinMs);
        backoff = cfg.scanMinMs;
        schedule(0);
      });
    }
    if (cfg.password.length < 8) {
      log(0, 'wifi-no-ap', 'radio.password must have 8..63 chars');
    } else {
      // setAPIP's callback argument is unreliable (inverted on ESP32 2v29): read the address back instead
      wifi.setAPIP({ ip: ip, gw: ip, netmask: '255.255.255.0' }, function () {
        wifi.startAP(L.ssid, { password: cfg.password, authMode: 'wpa2', channel: cfg.channel }, function (err: unknown) {
          if (!running) return;
          if (err) { log(0, 'wifi-ap-fail', String(err)); return; }
          const a = wifi.getAPIP();
          L.apBcast = broadcastOf(a.ip, a.netmask);
          if (L.apBcast !== null && a.ip.indexOf(L.apPrefix) !== 0) {
            // setAPIP did not take (or the port ignores it): classify AP-side senders by the real subnet
            log(1, 'wifi-ap-ip', a.ip);
            L.apPrefix = a.ip.substr(0, a.ip.lastIndexOf('.') + 1);
          }
        });
      });
    }
    schedule(0);
  }

  function stop(): void {
    running = false;
    schedule(0);
    try { wifi.disconnect(); wifi.stopAP(); } catch (e) { /* already down */ }
    L.apBcast = null;
    staDown();
  }

  L.heardOnApSide = function (id: number, nowMs: number): void {
    peerHeard(L.apSide, id, nowMs, 0);
    // our upstream is also our station: every frame would cross that pair twice. The lower id leaves.
    if (id === L.upstream && L.staBcast !== null && cfg.id < id) {
      log(2, 'wifi-cycle', id);
      staDown();
      wifi.disconnect();
      backoff = cfg.scanMinMs;
      schedule(0);
    }
  };
  L.start = start;
  L.stop = stop;
  return L;
}

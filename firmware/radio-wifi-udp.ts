/**
 * Wi-Fi / UDP radio for stock Espruino ESP32 builds: require("Wifi") + require("dgram"), no ESP-NOW.
 *
 * Links (full rules in _radio-wifi-links.ts and boards/RADIOS.md):
 * - every node runs a WPA2 soft-AP "mw-<mesh>-<id 8 hex>" on 10.A.B.1/24 (A.B hashed from its id), with the
 *   mesh password from mw.cfg (radio.password, derived on the host at provisioning), on the mesh channel;
 * - its station joins ONE upstream: the shared network cfg.infra when given (nodes sharing a Wi-Fi segment
 *   reach each other by broadcast there), otherwise the strongest mesh AP it can see that is not its own
 *   station, re-scanning with back-off (5 s doubling to 80 s) while it has none.
 * Frames: every send() goes out as ONE UDP datagram per interface that is up, to the subnet-directed broadcast
 * address of that interface (AP side 10.A.B.255, station side from getIP()), port cfg.port (4210). All nodes
 * in one BSS (an AP and its ≤ 4 stations) hear it: the AP relays station broadcasts to its other stations.
 * A node with both sides up thus reaches its upstream's BSS and its own: multi-hop relaying is the router's
 * job (shared/), the driver never forwards frames by itself.
 * Envelope: _radio-envelope.ts (8 bytes: "Mw", kind, rssi, sender id) + frame, sent as a string
 * (E.toString: dgram sends strings only) and read with E.toUint8Array. Frames go out from a second, UNBOUND
 * socket: Espruino sets SO_BROADCAST only on those (a bound socket's broadcasts are dropped; measured on the
 * Linux build), so they arrive from an ephemeral source port. Datagrams with other envelopes or of wrong length
 * are garbage (counted); our own broadcasts echoed back (Linux loops them) are dropped by id.
 * RSSI: frames from the upstream AP's node carry the station's RSSI (Wifi.getStatus().rssi, read at every
 * join and scan); frames from any other node carry the RSSI its AP had in our last scan (the SSID names the
 * node); a node never seen in a scan gets cfg.defaultRssi (-70 dBm): a fixed stand-in, not a measurement.
 */
import {
  RADIO_MAX_FRAME, airtime1Mbps, newRadioStatus,
  type RadioDriver, type RadioFrameHandler, type RadioBytes, type RadioTimers, type RadioLog,
} from './radio-driver.ts';
import { ENV_LEN, KIND_FRAME, envelopeId, envelopeKind, writeEnvelope } from './_radio-envelope.ts';
import { createRadioPeers, peerCount, peerHeard, peerRssi, RADIO_PEER_TTL_MS } from './_radio-peers.ts';
import { createWifiLinks, type WifiLinks } from './_radio-wifi-links.ts';
import type { RadioDgramModule, RadioDgramSocket, RadioDgramRemote } from './_radio-dgram.ts';
import type { RadioWifiModule } from './_radio-wifi-module.ts';

export interface WifiUdpConfig {
  /** node id (u32, not 0): names the AP and tags every datagram */
  id: number;
  /** mesh name (mw.cfg mesh): AP names are "mw-<mesh>-<id hex>" */
  mesh: string;
  /** WPA2 password of every mesh AP, 8..63 chars (mw.cfg radio.password) */
  password: string;
  /** Wi-Fi channel 1..14, one for the whole mesh (mw.cfg ch) */
  channel: number;
  /** UDP port every node binds and sends to (default 4210) */
  port?: number;
  /** join this shared network as the upstream instead of another node's AP */
  infra?: { ssid: string; password?: string };
  /** weakest AP a node joins, dBm (default -85) */
  joinRssi?: number;
  scanMinMs?: number;
  scanMaxMs?: number;
  /** rescan period while connected, RSSI refresh only (default 60000; 0 = never) */
  keepScanMs?: number;
  /** RSSI reported for senders never seen in a scan (default -70) */
  defaultRssi?: number;
  /** senders remembered for their RSSI and the status count (default 32; the board's neighbour capacity) */
  peers?: number;
}

export interface WifiUdpComponents {
  wifi: RadioWifiModule;
  dgram: RadioDgramModule;
  bytes: RadioBytes;
  timers: RadioTimers;
  log?: RadioLog;
}

export const DEFAULT_WIFI_UDP_PORT = 4210;

/** bytes a frame carries besides itself in one datagram: envelope + IPv4/UDP (28) + LLC/SNAP (8) */
const DATAGRAM_OVERHEAD = ENV_LEN + 28 + 8;

export function createWifiUdpRadio(cfg: WifiUdpConfig): (c: WifiUdpComponents) => RadioDriver {
  return function (c: WifiUdpComponents): RadioDriver {
    const id = cfg.id >>> 0;
    const port = cfg.port || DEFAULT_WIFI_UDP_PORT;
    const dflt = cfg.defaultRssi === undefined ? -70 : cfg.defaultRssi;
    const st = newRadioStatus('wifi-udp');
    const peers = createRadioPeers(cfg.peers || 32);
    const txBuf = new Uint8Array(ENV_LEN + RADIO_MAX_FRAME);
    writeEnvelope(txBuf, KIND_FRAME, 0, id);
    const log: RadioLog = function (l, e, d) { if (c.log) c.log(l, e, d); };
    const links: WifiLinks = createWifiLinks({
      id: id, mesh: cfg.mesh || '', password: cfg.password || '', channel: cfg.channel || 1, infra: cfg.infra,
      joinRssi: cfg.joinRssi === undefined ? -85 : cfg.joinRssi,
      scanMinMs: cfg.scanMinMs || 5000, scanMaxMs: cfg.scanMaxMs || 80000,
      keepScanMs: cfg.keepScanMs === undefined ? 60000 : cfg.keepScanMs,
    }, c.wifi, c.timers, log);
    // two sockets: `sock` bound to the port receives; `txSock` is never bound, because Espruino (ESP32 and
    // Linux, libs/network/*/network_*.c) sets SO_BROADCAST only on sockets it creates for sending: a bound
    // socket's sends to a broadcast address are refused by the stack, silently.
    let sock: RadioDgramSocket | null = null;
    let txSock: RadioDgramSocket | null = null;
    let handler: RadioFrameHandler | null = null;

    function onMessage(msg: unknown, rinfo: RadioDgramRemote): void {
      if (handler === null) return;
      // no source-port check: frames are sent from an unbound socket, so they come from an ephemeral port
      if (typeof msg !== 'string' || msg.length <= ENV_LEN || msg.length > ENV_LEN + RADIO_MAX_FRAME || !rinfo) {
        st.garbage++;
        return;
      }
      const b = c.bytes.toUint8Array(msg);
      if (envelopeKind(b) !== KIND_FRAME) { st.garbage++; return; }
      const from = envelopeId(b);
      if (from === id || from === 0) return; // our own broadcast, looped back
      const now = c.timers.now();
      if (typeof rinfo.address === 'string' && rinfo.address.indexOf(links.apPrefix) === 0) links.heardOnApSide(from, now);
      const rssi = from === links.upstream && links.staBcast !== null ? links.upstreamRssi : peerRssi(links.scanRssi, from, dflt);
      st.rx++;
      peerHeard(peers, from, now, rssi);
      handler(b.subarray(ENV_LEN, b.length), b.length - ENV_LEN, rssi);
    }

    function sendTo(s: string, addr: string | null): number {
      if (addr === null || txSock === null) return 0;
      try { txSock.send(s, port, addr); return 1; } catch (e) { st.txErrors++; return 0; }
    }

    return {
      start: function (onFrame: RadioFrameHandler): void {
        if (handler !== null) throw new Error('meshwork/radio-wifi-udp: already started');
        handler = onFrame;
        try {
          const s = c.dgram.createSocket({ type: 'udp4', reuseAddr: true });
          sock = s;
          s.on('message', onMessage);
          s.on('error', function (e: unknown) { st.txErrors++; log(1, 'radio-err', String(e)); });
          s.bind(port);
          txSock = c.dgram.createSocket('udp4');
          links.start();
        } catch (e) {
          st.txErrors++;
          log(0, 'radio-start', String(e));
        }
      },
      send: function (frame: Uint8Array, len: number): void {
        if (!(len > 0 && len <= RADIO_MAX_FRAME && len <= frame.length)) { st.oversize++; return; }
        if (links.apBcast === null && links.staBcast === null) { st.txErrors++; return; }
        txBuf.set(frame.subarray(0, len), ENV_LEN);
        const s = c.bytes.toString(txBuf.subarray(0, ENV_LEN + len));
        if (s === undefined) { st.txErrors++; return; }
        if (sendTo(s, links.apBcast) + sendTo(s, links.staBcast) > 0) st.tx++;
      },
      // broadcasts go at the basic rate (1 Mbps 802.11b on an ESP32 soft-AP), once per interface that is up
      airtimeMs: function (len: number): number {
        const n = (links.apBcast !== null ? 1 : 0) + (links.staBcast !== null ? 1 : 0);
        return (n > 0 ? n : 1) * airtime1Mbps(len + DATAGRAM_OVERHEAD);
      },
      stop: function (): void {
        handler = null;
        links.stop();
        if (sock !== null) {
          try { sock.close(); } catch (e) { /* already closed */ }
          sock = null;
        }
        if (txSock !== null) {
          try { txSock.close(); } catch (e) { /* already closed */ }
          txSock = null;
        }
      },
      status: function () {
        st.up = sock !== null && (links.apBcast !== null || links.staBcast !== null);
        st.peers = peerCount(peers, c.timers.now(), RADIO_PEER_TTL_MS);
        st.errors = st.oversize + st.garbage + st.txErrors;
        return st;
      },
    };
  };
}

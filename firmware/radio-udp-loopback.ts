/**
 * UDP loopback radio for Espruino's Linux build: several interpreter processes on one machine form a mesh
 * through the host "air" process (host/air/), which decides who hears whom from the simulator's radio model.
 *
 * - The node binds its own UDP port `cfg.port` (unique per node; the launcher assigns them) and sends
 *   every frame, in the 8-byte envelope of _radio-envelope.ts (kind FRAME, its node id), to the air at
 *   127.0.0.1:`cfg.airPort`.
 * - Registration: the first datagram is a HELLO envelope (no frame); it is repeated every `helloMs` (default
 *   2 s) so an air process started or restarted after the node still learns which node id is on which port.
 * - The air forwards each frame to every node that hears it, re-enveloped with the SENDER's id and the RSSI
 *   it computed (signed byte 3). The driver accepts datagrams only from the air's port, with a FRAME
 *   envelope, 9..258 bytes; anything else is counted as garbage and dropped. A frame carrying our own id
 *   (an air that echoes) is dropped silently.
 */
import {
  RADIO_MAX_FRAME, airtime1Mbps, newRadioStatus,
  type RadioDriver, type RadioFrameHandler, type RadioBytes, type RadioTimers, type RadioLog,
} from './radio-driver.ts';
import { ENV_LEN, KIND_FRAME, KIND_HELLO, envelopeId, envelopeKind, envelopeRssi, writeEnvelope } from './_radio-envelope.ts';
import { createRadioPeers, peerCount, peerHeard, RADIO_PEER_TTL_MS } from './_radio-peers.ts';
import type { RadioDgramModule, RadioDgramSocket, RadioDgramRemote } from './_radio-dgram.ts';

export interface UdpLoopbackConfig {
  /** this node's id (u32, not 0) */
  id: number;
  /** the UDP port this node binds (unique per node on the machine) */
  port: number;
  /** the air process's port (default 47000) */
  airPort?: number;
  /** the air's address (default 127.0.0.1) */
  airHost?: string;
  /** HELLO repeat period, ms (default 2000; 0 = only the first one) */
  helloMs?: number;
}

export interface UdpLoopbackComponents {
  dgram: RadioDgramModule;
  /** E on Espruino */
  bytes: RadioBytes;
  timers: RadioTimers;
  log?: RadioLog;
}

export const DEFAULT_AIR_PORT = 47000;

export function createUdpLoopbackRadio(cfg: UdpLoopbackConfig): (c: UdpLoopbackComponents) => RadioDriver {
  return function (c: UdpLoopbackComponents): RadioDriver {
    const id = cfg.id >>> 0;
    const airPort = cfg.airPort || DEFAULT_AIR_PORT;
    const airHost = cfg.airHost || '127.0.0.1';
    const helloMs = cfg.helloMs === undefined ? 2000 : cfg.helloMs;
    const st = newRadioStatus('udp-loopback');
    const peers = createRadioPeers(32);
    // one transmit buffer for the driver's life: envelope written once, frame copied in per send
    const txBuf = new Uint8Array(ENV_LEN + RADIO_MAX_FRAME);
    const hello = new Uint8Array(ENV_LEN);
    writeEnvelope(txBuf, KIND_FRAME, 0, id);
    writeEnvelope(hello, KIND_HELLO, 0, id);
    let sock: RadioDgramSocket | null = null;
    let handler: RadioFrameHandler | null = null;
    let helloTimer: unknown = null;

    function log(level: number, ev: string, d?: string | number): void {
      if (c.log) c.log(level, ev, d);
    }

    function sendRaw(u8: Uint8Array): boolean {
      if (sock === null) return false;
      try {
        const s = c.bytes.toString(u8);
        if (s === undefined) return false;
        sock.send(s, airPort, airHost);
        return true;
      } catch (e) {
        return false;
      }
    }

    function sayHello(): void {
      helloTimer = null;
      if (sock === null) return;
      if (!sendRaw(hello)) st.txErrors++;
      if (helloMs > 0) helloTimer = c.timers.setTimeout(sayHello, helloMs);
    }

    function onMessage(msg: unknown, rinfo: RadioDgramRemote): void {
      if (handler === null) return;
      // cheap checks on the string first: no allocation for stray datagrams
      if (typeof msg !== 'string' || msg.length <= ENV_LEN || msg.length > ENV_LEN + RADIO_MAX_FRAME ||
          !rinfo || rinfo.port !== airPort) {
        st.garbage++;
        return;
      }
      const b = c.bytes.toUint8Array(msg);
      if (envelopeKind(b) !== KIND_FRAME) { st.garbage++; return; }
      const from = envelopeId(b);
      if (from === id || from === 0) return;
      const rssi = envelopeRssi(b);
      st.rx++;
      peerHeard(peers, from, c.timers.now(), rssi);
      handler(b.subarray(ENV_LEN, b.length), b.length - ENV_LEN, rssi);
    }

    return {
      start: function (onFrame: RadioFrameHandler): void {
        if (sock !== null) throw new Error('meshwork/radio-udp-loopback: already started');
        handler = onFrame;
        try {
          const s = c.dgram.createSocket('udp4');
          sock = s;
          s.on('message', onMessage);
          s.on('error', function (e: unknown) { st.txErrors++; log(1, 'radio-err', String(e)); });
          s.bind(cfg.port, function () { st.up = true; sayHello(); });
        } catch (e) {
          sock = null;
          st.txErrors++;
          log(0, 'radio-bind', String(e));
        }
      },
      send: function (frame: Uint8Array, len: number): void {
        if (!(len > 0 && len <= RADIO_MAX_FRAME && len <= frame.length)) { st.oversize++; return; }
        txBuf.set(frame.subarray(0, len), ENV_LEN);
        if (sendRaw(txBuf.subarray(0, ENV_LEN + len))) st.tx++;
        else st.txErrors++;
      },
      airtimeMs: airtime1Mbps,
      stop: function (): void {
        handler = null;
        if (helloTimer !== null) { c.timers.clearTimeout(helloTimer); helloTimer = null; }
        if (sock !== null) {
          try { sock.close(); } catch (e) { /* already closed */ }
          sock = null;
        }
        st.up = false;
      },
      status: function () {
        st.peers = peerCount(peers, c.timers.now(), RADIO_PEER_TTL_MS);
        st.errors = st.oversize + st.garbage + st.txErrors;
        return st;
      },
    };
  };
}

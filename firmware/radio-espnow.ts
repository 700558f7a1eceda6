/**
 * ESP-NOW radio, for Espruino ESP32 builds that carry an ESP-NOW binding (stock Espruino has none:
 * /work/shared/ESPRUINO.md). The driver is written against the small contract in boards/ESPNOW.md, module
 * `ESPNOW`:
 *
 *   init({channel}) → bool      send(mac | null, data) → bool (null = broadcast; copies data before returning)
 *   on('data', (data: Uint8Array, mac: "aa:bb:cc:dd:ee:ff", rssi: dBm) => …)      deinit()
 *
 * Every Meshwork frame goes out as one ESP-NOW broadcast (the router does its own addressing, and ESP-NOW
 * never encrypts broadcasts: frames are sealed by shared/frame-seal.ts anyway). Frames are bare (no envelope:
 * the 250-byte ESP-NOW payload is the frame limit). Received data that is not bytes, empty or longer than 250
 * bytes is counted as garbage; everything else goes to the router, which authenticates it.
 * ESP-NOW does not hear its own transmissions, so there is nothing to filter by sender.
 */
import {
  RADIO_MAX_FRAME, airtime1Mbps, newRadioStatus,
  type RadioDriver, type RadioFrameHandler, type RadioBytes, type RadioTimers, type RadioLog,
} from './radio-driver.ts';
import { createRadioPeers, peerCount, peerHeard, RADIO_PEER_TTL_MS } from './_radio-peers.ts';

/** The binding contract (boards/ESPNOW.md). */
export interface EspNowBinding {
  init(opts: { channel: number }): boolean | undefined;
  send(mac: string | null, data: string | Uint8Array): boolean;
  on(event: 'data', listener: (data: Uint8Array | string, mac: string, rssi: number) => void): void;
  deinit(): void;
}

export interface EspNowConfig {
  /** Wi-Fi channel 1..14, the same on every node (and on the station link, if any) */
  channel: number;
}

export interface EspNowComponents {
  espnow: EspNowBinding;
  /** E on Espruino: only used when a binding hands data as a string */
  bytes: RadioBytes;
  timers: RadioTimers;
  log?: RadioLog;
}

/** the last 4 bytes of a MAC as a u32: the key the peer table uses (0 when unreadable) */
function macKey(mac: unknown): number {
  if (typeof mac !== 'string' || mac.length < 17) return 0;
  const v = parseInt(mac.substr(6, 2) + mac.substr(9, 2) + mac.substr(12, 2) + mac.substr(15, 2), 16);
  return v >= 0 ? v >>> 0 : 0;
}

export function createEspNowRadio(cfg: EspNowConfig): (c: EspNowComponents) => RadioDriver {
  return function (c: EspNowComponents): RadioDriver {
    const st = newRadioStatus('espnow');
    const peers = createRadioPeers(32);
    let handler: RadioFrameHandler | null = null;
    let listening = false;

    function onData(data: Uint8Array | string, mac: string, rssi: number): void {
      if (handler === null) return;
      let b: Uint8Array;
      if (typeof data === 'string') {
        if (data.length === 0 || data.length > RADIO_MAX_FRAME) { st.garbage++; return; }
        b = c.bytes.toUint8Array(data);
      } else if (data && typeof (data as Uint8Array).subarray === 'function') {
        // duck-typed, not instanceof: a binding (or an emulation in another realm) may hand its own
        // Uint8Array. (Espruino's typed arrays have no BYTES_PER_ELEMENT to check.)
        b = data as Uint8Array;
      } else {
        st.garbage++;
        return;
      }
      if (b.length === 0 || b.length > RADIO_MAX_FRAME) { st.garbage++; return; }
      const r = typeof rssi === 'number' && rssi < 0 && rssi >= -128 ? rssi | 0 : -127;
      st.rx++;
      const k = macKey(mac);
      if (k !== 0) peerHeard(peers, k, c.timers.now(), r);
      handler(b, b.length, r);
    }

    return {
      start: function (onFrame: RadioFrameHandler): void {
        if (handler !== null) throw new Error('meshwork/radio-espnow: already started');
        handler = onFrame;
        try {
          st.up = c.espnow.init({ channel: cfg.channel }) !== false;
          // Espruino cannot remove one listener by function: register once for the driver's life
          if (!listening) { c.espnow.on('data', onData); listening = true; }
        } catch (e) {
          st.up = false;
          st.txErrors++;
          if (c.log) c.log(0, 'radio-init', String(e));
        }
      },
      send: function (frame: Uint8Array, len: number): void {
        if (!(len > 0 && len <= RADIO_MAX_FRAME && len <= frame.length)) { st.oversize++; return; }
        if (!st.up) { st.txErrors++; return; }
        let ok = false;
        // the binding copies the bytes before returning (esp_now_send does): no copy of ours needed
        try { ok = c.espnow.send(null, frame.subarray(0, len)); } catch (e) { ok = false; }
        if (ok) st.tx++;
        else st.txErrors++;
      },
      airtimeMs: airtime1Mbps,
      stop: function (): void {
        handler = null;
        if (st.up) {
          try { c.espnow.deinit(); } catch (e) { /* already down */ }
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

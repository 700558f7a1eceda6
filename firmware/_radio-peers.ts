/**
 * Who the driver heard recently: a fixed table of sender ids with their last-heard time and last RSSI
 * (typed arrays, native indexOf, never grows: a full table replaces its oldest entry). Drivers use it for
 * status().peers and wifi-udp also keeps per-AP scan RSSI here.
 */
export interface RadioPeers {
  /** record id heard at nowMs with rssi */
  heard(id: number, nowMs: number, rssi: number): void;
  /** last RSSI recorded for id, or `dflt` */
  rssiOf(id: number, dflt: number): number;
  /** ids heard within ttlMs of nowMs */
  count(nowMs: number, ttlMs: number): number;
  has(id: number): boolean;
  /** id was heard within ttlMs of nowMs */
  heardWithin(id: number, nowMs: number, ttlMs: number): boolean;
  clear(): void;
}

export const RADIO_PEER_TTL_MS = 60000;

export function createRadioPeers(capacity: number): RadioPeers {
  const ids = new Uint32Array(capacity);
  const at = new Float64Array(capacity);
  const rssi = new Int8Array(capacity);
  return {
    heard: function (id: number, nowMs: number, r: number): void {
      let k = ids.indexOf(id >>> 0);
      if (k < 0) {
        // replace an empty row (id 0 is never a node id) or the oldest one
        k = ids.indexOf(0);
        if (k < 0) {
          k = 0;
          for (let i = 1; i < capacity; i++) if (at[i] < at[k]) k = i;
        }
        ids[k] = id;
      }
      at[k] = nowMs;
      rssi[k] = r < -128 ? -128 : r > 127 ? 127 : r;
    },
    rssiOf: function (id: number, dflt: number): number {
      const k = ids.indexOf(id >>> 0);
      return k < 0 ? dflt : rssi[k];
    },
    count: function (nowMs: number, ttlMs: number): number {
      let n = 0;
      for (let i = 0; i < capacity; i++) if (ids[i] !== 0 && nowMs - at[i] <= ttlMs) n++;
      return n;
    },
    has: function (id: number): boolean {
      return ids.indexOf(id >>> 0) >= 0;
    },
    heardWithin: function (id: number, nowMs: number, ttlMs: number): boolean {
      const k = ids.indexOf(id >>> 0);
      return k >= 0 && nowMs - at[k] <= ttlMs;
    },
    clear: function (): void {
      ids.fill(0);
    },
  };
}

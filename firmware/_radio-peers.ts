/**
 * Who the driver heard recently: a fixed table of sender ids with their last-heard time and last RSSI
 * (typed arrays, native indexOf, never grows: a full table replaces its oldest entry). Drivers use it for
 * status().peers and wifi-udp also keeps per-AP scan RSSI here.
 *
 * A table is plain data and the operations are module functions taking it: a wifi-udp node holds three
 * tables, and closures per table cost ~75 JsVars each on Espruino (docs/espruino-memory.md).
 */
export interface RadioPeers {
  readonly ids: Uint32Array;
  readonly at: Float64Array;
  readonly rssi: Int8Array;
  readonly cap: number;
}

export const RADIO_PEER_TTL_MS = 60000;

export function createRadioPeers(capacity: number): RadioPeers {
  return { ids: new Uint32Array(capacity), at: new Float64Array(capacity), rssi: new Int8Array(capacity), cap: capacity };
}

/** record id heard at nowMs with rssi */
export function peerHeard(p: RadioPeers, id: number, nowMs: number, r: number): void {
  const ids = p.ids;
  const at = p.at;
  let k = ids.indexOf(id >>> 0);
  if (k < 0) {
    // replace an empty row (id 0 is never a node id) or the oldest one
    k = ids.indexOf(0);
    if (k < 0) {
      k = 0;
      for (let i = 1; i < p.cap; i++) if (at[i] < at[k]) k = i;
    }
    ids[k] = id;
  }
  at[k] = nowMs;
  p.rssi[k] = r < -128 ? -128 : r > 127 ? 127 : r;
}

/** last RSSI recorded for id, or `dflt` */
export function peerRssi(p: RadioPeers, id: number, dflt: number): number {
  const k = p.ids.indexOf(id >>> 0);
  return k < 0 ? dflt : p.rssi[k];
}

/** ids heard within ttlMs of nowMs */
export function peerCount(p: RadioPeers, nowMs: number, ttlMs: number): number {
  const ids = p.ids;
  const at = p.at;
  let n = 0;
  for (let i = 0; i < p.cap; i++) if (ids[i] !== 0 && nowMs - at[i] <= ttlMs) n++;
  return n;
}

/** id was heard within ttlMs of nowMs */
export function peerHeardWithin(p: RadioPeers, id: number, nowMs: number, ttlMs: number): boolean {
  const k = p.ids.indexOf(id >>> 0);
  return k >= 0 && nowMs - p.at[k] <= ttlMs;
}

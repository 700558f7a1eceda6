/**
 * Airtime governor: how busy the channel is, and whether a frame of a given kind may go now.
 *
 * Channel utilisation = (airtime we sent + airtime we received) / time, over a sliding window of
 * `windowMs` kept as ring buckets of `bucketMs` (Meshtastic's channel_utilization does the same over
 * 60 s in 10 s blocks; ESP-NOW frames are ~1000× shorter than LoRa ones, so 10 s in 1 s buckets reacts
 * as fast relative to traffic). Only frames the radio decoded are fed in, so collisions and foreign
 * Wi-Fi are not counted: utilisation is a floor, and thresholds are set with that in mind.
 * Airtime is kept in whole microseconds in Float64Arrays with running sums, so every call is O(1)
 * (amortised: passing buckets are subtracted once) and the sums never drift. Measured on the ESP32-like
 * Linux build (callgrind, minus the loop): noteRx ~70 k, allow ~65 k machine instructions
 * per call (a native AES block is a few k; sealing a frame ~0.46 M).
 * The window is the n-1 full buckets before the current one plus the elapsed part of it; time before
 * the first note counts as idle (a node that just booted has not heard the channel: it may send).
 *
 * allow(kind, now), against the utilisation (defaults, fractions of the window):
 *   Airtime.Control (acks, route error, anything a retry storm would follow)  util < controlMax 0.90
 *   Airtime.Relay   (forwarding someone else's data: the mesh depends on it)   util < relayMax   0.60
 *   Airtime.Data    (this node's own application traffic; Meshtastic: 40 %)   util < dataMax    0.40
 *   Airtime.Bulk    (telemetry, non-essential, polite; Meshtastic: 25 %)      util < bulkMax    0.25
 * Control first: the order of the thresholds is checked at creation (bulk ≤ data ≤ relay ≤ control).
 * Periodic control (beacons, route adverts) is capped separately to a share of airtime:
 * noteTx(ms, now, true) counts it, controlBudgetOk(now) says whether the share (controlShare, default
 * 0.05) still has room. Acks are not periodic and should not be flagged, or data would starve beacons.
 *
 * Usage: `const g = createAirtimeGovernor({})`, `g.noteTx(radio.airtimeMs(len), now, isBeacon)` after
 * every send, `g.noteRx(airtimeMs(len), now)` for every frame heard, `g.allow(Airtime.Relay, now)`.
 * Time in ms, monotonic; a clock going back is treated as "still the newest bucket".
 */

export const enum Airtime { Control = 0, Relay = 1, Data = 2, Bulk = 3 }

export interface AirtimeGovernorInit {
  /** sliding window, ms. Default 10000 */
  windowMs?: number;
  /** bucket width, ms (window / bucket = ring size). Default 1000 */
  bucketMs?: number;
  controlMax?: number;
  relayMax?: number;
  dataMax?: number;
  bulkMax?: number;
  /** most of the window that periodic control (beacons, route adverts) may use. Default 0.05 */
  controlShare?: number;
}

export interface AirtimeGovernor {
  /** ms of our own transmission at time now; periodic = beacon / route advert (counts toward the control share) */
  noteTx(ms: number, now: number, periodic?: boolean): void;
  /** ms of a frame received (any frame heard, also duplicates and frames for others) */
  noteRx(ms: number, now: number): void;
  /** channel utilisation over the window, 0..1 */
  utilisation(now: number): number;
  /** our own share of the window (tx only), 0..1: for telemetry */
  txUtilisation(now: number): number;
  /** may a frame of this kind (Airtime.*) go now? */
  allow(kind: number, now: number): boolean;
  /** share of the window used by our periodic control, 0..1 */
  controlUse(now: number): number;
  /** true while periodic control is under its share */
  controlBudgetOk(now: number): boolean;
}

const GOV_ERROR_PREFIX = 'meshwork/airtime-governor: ';

function opt(v: number | undefined, d: number): number {
  return v !== undefined ? v : d;
}

export function createAirtimeGovernor(init: AirtimeGovernorInit): AirtimeGovernor {
  const windowMs = opt(init.windowMs, 10000);
  const bucketMs = opt(init.bucketMs, 1000);
  const n = Math.ceil(windowMs / bucketMs);
  // thresholds indexed by Airtime kind
  const max = new Float64Array(4);
  max[Airtime.Control] = opt(init.controlMax, 0.9);
  max[Airtime.Relay] = opt(init.relayMax, 0.6);
  max[Airtime.Data] = opt(init.dataMax, 0.4);
  max[Airtime.Bulk] = opt(init.bulkMax, 0.25);
  const share = opt(init.controlShare, 0.05);
  if (!(bucketMs > 0 && n >= 1 && n <= 3600)) throw new Error(GOV_ERROR_PREFIX + 'bad window/bucket');
  if (!(max[3] <= max[2] && max[2] <= max[1] && max[1] <= max[0] && max[0] <= 1 && max[3] >= 0)) {
    throw new Error(GOV_ERROR_PREFIX + 'thresholds must rise bulk ≤ data ≤ relay ≤ control ≤ 1');
  }
  if (!(share >= 0 && share <= 1)) throw new Error(GOV_ERROR_PREFIX + 'bad controlShare');

  // per bucket, µs: own tx, rx, own periodic control tx (a subset of tx)
  const tx = new Float64Array(n);
  const rx = new Float64Array(n);
  const ctl = new Float64Array(n);
  const floor = Math.floor;
  const baseUs = (n - 1) * bucketMs * 1000; // the n-1 full buckets before the current one
  let sumTx = 0;
  let sumRx = 0;
  let sumCtl = 0;
  let cur = -1; // bucket number (floor(now / bucketMs)) of the newest bucket; -1 before the first call
  let ci = 0; // its ring index
  let start = 0; // its start, ms
  let edge = -Infinity; // the start of the next bucket, ms: below it, nothing moves (the common case)

  // Hot path shape (callgrind, ESP32-like Linux build): the per-frame calls compare `now` with `edge`
  // and skip this function; it runs once per bucket boundary.
  function advance(now: number): void {
    const b = floor(now / bucketMs);
    if (b <= cur) return; // clock went back: stay in the newest bucket
    if (cur < 0 || b - cur >= n) {
      tx.fill(0);
      rx.fill(0);
      ctl.fill(0);
      sumTx = 0;
      sumRx = 0;
      sumCtl = 0;
    } else {
      for (let k = cur + 1; k <= b; k++) {
        const i = k % n;
        sumTx -= tx[i];
        sumRx -= rx[i];
        sumCtl -= ctl[i];
        tx[i] = 0;
        rx[i] = 0;
        ctl[i] = 0;
      }
    }
    cur = b;
    ci = b % n;
    start = b * bucketMs;
    edge = start + bucketMs;
  }

  /** µs of window the sums cover (advance first) */
  function spanUs(now: number): number {
    return now > start ? baseUs + (now - start) * 1000 : baseUs || 1;
  }

  /** whole µs of ms: ≥ 0, NaN → 0, capped so `| 0` cannot wrap */
  function us(ms: number): number {
    return ms > 0 ? (ms < 2e6 ? (ms * 1000 + 0.5) | 0 : 2e9) : 0;
  }

  function utilisation(now: number): number {
    if (now >= edge) advance(now);
    const u = (sumTx + sumRx) / spanUs(now);
    return u > 1 ? 1 : u;
  }

  function controlUse(now: number): number {
    if (now >= edge) advance(now);
    return sumCtl / spanUs(now);
  }

  return {
    noteTx: function (ms: number, now: number, periodic?: boolean): void {
      if (now >= edge) advance(now);
      const v = us(ms);
      tx[ci] += v;
      sumTx += v;
      if (periodic) {
        ctl[ci] += v;
        sumCtl += v;
      }
    },
    noteRx: function (ms: number, now: number): void {
      if (now >= edge) advance(now);
      const v = ms > 0 ? (ms < 2e6 ? (ms * 1000 + 0.5) | 0 : 2e9) : 0; // us(ms), inlined: once per frame heard
      rx[ci] += v;
      sumRx += v;
    },
    utilisation: utilisation,
    txUtilisation: function (now: number): number {
      if (now >= edge) advance(now);
      const u = sumTx / spanUs(now);
      return u > 1 ? 1 : u;
    },
    allow: function (kind: number, now: number): boolean {
      if (now >= edge) advance(now);
      const m = max[kind];
      // util < m without a division; an unknown kind (m undefined) compares false
      return sumTx + sumRx < m * (now > start ? baseUs + (now - start) * 1000 : baseUs || 1);
    },
    controlUse: controlUse,
    controlBudgetOk: function (now: number): boolean {
      return controlUse(now) < share;
    },
  };
}

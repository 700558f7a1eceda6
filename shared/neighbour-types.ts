/**
 * What the neighbour table (neighbour-table.ts) offers the router, flooding and routing: its interface.
 */
import type { Beacon } from './beacon.ts';
import type { TwoHop } from './_two-hop.ts';

export interface NeighbourTableInit {
  capacity: number;
  selfId: number;
  /** links whose average RSSI is below this are unusable; default -90 dBm */
  rssiGateDbm?: number;
  /** a neighbour is dropped after this many announced intervals without a beacon; default 3.5 */
  expiryFactor?: number;
  /** hop failures in a row (no ack after every retry) before a neighbour is dropped; default 2 */
  maxFailures?: number;
}

export interface NeighbourTable {
  readonly cap: number;
  readonly selfId: number;
  /** neighbour id per slot, 0 = free */
  readonly ids: Uint32Array;
  /** hear[m * cap + t]: neighbour m's receive ratio (0..255) of neighbour t, from m's last beacon */
  readonly hear: Uint8Array;
  /** per slot: the neighbour's receive ratio of our beacons (df), 0..255 */
  readonly out: Uint8Array;
  /** per slot: BeaconFlag bits of the neighbour */
  readonly flags: Uint8Array;
  /** per slot: the neighbour's route seqno from its last beacon */
  readonly routeSeq: Uint16Array;
  /** per slot: 1 while the link is usable both ways (cost < METRIC_INF as of the last beacon or expire pass) */
  readonly usable: Uint8Array;
  /** the two-hop view (_two-hop.ts): hear above, trusted ratios, far nodes */
  readonly two: TwoHop;
  slotOf(id: number): number;
  /** slot of the neighbour whose id & 0x7fff is `short`, or -1 (the frame's hop field carries 15 bits) */
  slotOfShort(short: number): number;
  /** a beacon heard from `id` at rssi: returns its slot, or -1 when refused (weak, or table full) */
  onBeacon(id: number, b: Beacon, rssi: number, now: number): number;
  /** any other frame heard from a known neighbour */
  onFrame(slot: number, rssi: number, now: number): void;
  /** dr: our receive ratio of this neighbour's beacons, 0..255 */
  rxRatio(slot: number, now: number): number;
  /** link cost (ETX × 100 + RSSI tie-break) or METRIC_INF */
  cost(slot: number, now: number): number;
  /** average RSSI of a neighbour, dBm */
  rssi(slot: number): number;
  /** the neighbour's announced beacon interval, ms */
  interval(slot: number): number;
  lastHeard(slot: number): number;
  /** our beacon's entries: what we hear of each neighbour; returns n (≤ b.ids.length) */
  fill(b: Beacon, now: number): number;
  /** drop neighbours past their expiry; onLost(id, slot) is called for each, before its slot is cleared */
  expire(now: number, onLost: (id: number, slot: number) => void): void;
  /** earliest expiry time, or -1 */
  nextExpiry(): number;
  /** a hop toward this neighbour failed after all retries: true when it is dropped (onLost called) */
  fail(slot: number, onLost: (id: number, slot: number) => void): boolean;
  /** a hop toward this neighbour was acknowledged */
  ok(slot: number): void;
  /** true once after a change of the usable neighbourhood (a link turned usable or unusable, or a usable
   *  neighbour was dropped); weak neighbours coming and going do not count */
  takeChanged(): boolean;
  count(): number;
}

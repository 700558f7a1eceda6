/**
 * The router's public types and constants: the seam between the protocol core (router.ts) and whatever
 * drives it (firmware/, the simulator in host/sim/, tests). Kept apart from router.ts so the composition file
 * stays about behaviour and the router's internal parts can share them; router.ts re-exports everything here.
 */
import type { Aes128, Crc32, Rng, Store, Log } from './ports.ts';
import type { Keyring } from './keyring.ts';

/**
 * Pseudo destination: the best gateway (the default route). send(GATEWAY, …) goes to the nearest gateway;
 * with none known the frame is flooded with dst GATEWAY and any gateway that gets it delivers it. A node
 * id may therefore not be 0xfffffffe.
 */
export const GATEWAY = 0xfffffffe;
/** send() flag, never on the wire: non-essential traffic (airtime class Bulk, held back first) */
export const SEND_BULK = 0x100;

/** send() results besides -FrameStatus */
export const enum RouterError {
  /** no free frame-pool or e2e slot: try again later */
  Busy = -100,
  /** the airtime governor holds this traffic back: the channel is too busy */
  Congested = -101,
  BadDestination = -102,
  /** longer than 4 KB (or than fragmentation allows) */
  TooLong = -103,
  /** this node sends no messages of its own (a repeater: shared/repeater.ts) */
  Unsupported = -104,
}

/** The radio as the router sees it: STYLE principle 4. send() copies the bytes before returning. */
export interface RadioPort {
  send(frame: Uint8Array, len: number): void;
  /** time on air for a frame of len bytes, ms (ESP-NOW 1 Mbps: ~ (len + 43) * 8 / 1000 + 0.192) */
  airtimeMs(len: number): number;
}

/** hops: relays the frame went through (hop start − hop limit as received; 0 = heard from the source) */
export interface DeliverInfo { src: number; dst: number; hops: number; rssi: number; seq: number; type: number }

export interface RouterEvents {
  /** an application message for this node (or a broadcast), after reassembly. payload is a view valid only during the call */
  deliver(payload: Uint8Array, info: DeliverInfo): void;
  /** end-to-end result of a send(…, AckReq): ok = acknowledged by dst */
  sent?(handle: number, ok: boolean): void;
  log?: Log;
}

export type Policy = 'meshwork' | 'flood' | 'managed-flood';
export type Role = 'router' | 'gateway' | 'leaf';

export interface RouterCapacities {
  neighbours: number;
  routes: number;
  dedupSlots: number;
  replaySources: number;
  /** frame pool: queued relays + unicast frames awaiting a hop ack; also the end-to-end ack table */
  pending: number;
  reassemblySlots: number;
  reassemblyMaxBytes: number;
}

export interface RouterInit {
  /** u32, not 0, not 0xffffffff (broadcast), not 0xfffffffe (GATEWAY) */
  selfId: number;
  /** 'meshwork' default; the two baselines live in the same core */
  policy?: Policy;
  role?: Role;
  capacities: RouterCapacities;
  /** hop limit of own broadcasts; default 10 (own unicasts take hopClamp: _outbox.ts) */
  hopLimit?: number;
  /** policy clamp: frames whose hop start exceeds it are not relayed; default 16 */
  hopClamp?: number;
  // Timing knobs, ms. Defaults (router.ts DEFAULTS) are for ESP-NOW at 1 Mbps.
  /** beacon interval while the neighbourhood changes / when stable; default 2000 / 16000 */
  beaconMinMs?: number;
  beaconMaxMs?: number;
  /** full route dump interval while routes change / when stable; default 4000 / 60000 */
  updateMinMs?: number;
  updateMaxMs?: number;
  /** flood contention slot; default 2 */
  slotMs?: number;
  /** wait for a hop ack before resending; default 40 (+ up to 50% jitter, growing with each retry) */
  hopAckTimeoutMs?: number;
  /** transmissions of a routed frame before the hop counts as failed and the frame falls back to flooding; default 8 */
  hopTries?: number;
  /** wait for an end-to-end ack; default 5000 */
  e2eTimeoutMs?: number;
  reassemblyTimeoutMs?: number;
  /** per-source relay budget (rate-limiter.ts); defaults 20 frames/s, bursts of 40 */
  relayRatePerSec?: number;
  relayBurst?: number;
  /** flood coverage: a neighbour counts as covered when it missed every overheard copy with probability ≤ this; default 0.1 */
  coverMiss?: number;
  /** link gate: neighbours weaker than this (average) are not used; default -90 dBm */
  rssiGateDbm?: number;
  /** share of airtime for control (beacons, route adverts, seqno requests) in a neighbourhood: each node
   *  gets controlShare / (1 + its neighbours), so that the nodes sharing a channel stay within it together
   *  (airtime-governor.ts counts it); default 0.05 */
  controlShare?: number;
  /** sequence numbers reserved per flash write (seqno.ts); default 256 */
  seqPersistBlock?: number;
}

export interface RouterComponents {
  aes: Aes128; keys: Keyring; store: Store;
  /** uniform in [0, 1) (Math.random-like); a u32 source is accepted and scaled */
  rng: Rng;
  crc32: Crc32;
  radio: RadioPort; events: RouterEvents;
}

export interface RouterStats {
  rxFrames: number;
  /** copies of frames already handled (dedup) */
  rxDuplicate: number;
  /** refused by decode, header tag, frame tag or codec checks */
  rxInvalid: number;
  txFrames: number;
  txBytes: number;
  txAirMs: number;
  /** own application frames, first transmissions (one per fragment) */
  txData: number;
  /** frames forwarded for others: flood relays and routed hops, first transmissions */
  txRelay: number;
  txBeacon: number;
  txRoute: number;
  /** hop acks and end-to-end acks */
  txAck: number;
  /** retransmissions of routed frames after a missing hop ack */
  txRetry: number;
  /** queued flood relays cancelled after overhearing enough copies */
  relayCancelled: number;
  /** flood relays not even queued: every neighbour was covered already (meshwork) */
  relaySkipped: number;
  /** routed frames that fell back to flooding (no route, or the next hop never acked) */
  floodFallback: number;
  /** messages handed to events.deliver */
  delivered: number;
  /** end-to-end acknowledged sends / sends that timed out */
  acked: number;
  ackTimeout: number;
  hopAcked: number;
  dropReplay: number;
  dropHopLimit: number;
  dropHopClamp: number;
  dropRateLimit: number;
  dropCongestion: number;
  dropNoSlot: number;
  /** frames claiming our own id as source that we did not send */
  dropSpoof: number;
  routeChanges: number;
  neighboursLost: number;
  /** of neighboursLost: dropped after hop failures in a row (the rest expired: silent too long, or evicted) */
  neighboursFailed: number;
  /** of txRoute: frames of full route dumps / of triggered updates */
  txDump: number;
  txTriggered: number;
  /** seqno requests put on the air: one-hop batches, routed ones we originate or forward (first transmissions) */
  txRequest: number;
  /** seqno requests not sent or forwarded: one for the same destination is pending, or over the control budget */
  dropRequest: number;
  /** periodic control (beacon, dump, triggered update) postponed because the control share was used up */
  controlDeferred: number;
}

export interface NeighbourInfo {
  id: number;
  /** average RSSI, dBm */
  rssi: number;
  /** share of its beacons we hear (dr), 0..1 */
  rx: number;
  /** share of our beacons it hears (df), 0..1 */
  tx: number;
  /** link cost, ETX × 100 (+ RSSI tie-break); METRIC_INF (32767) = unusable */
  cost: number;
  gateway: boolean;
  leaf: boolean;
  /** its announced beacon interval, ms */
  intervalMs: number;
  lastHeard: number;
}

export interface RouteInfo {
  /** destination id, or GATEWAY for the default route (the best gateway) */
  dst: number;
  /** 0 when retracted */
  nextHop: number;
  /** ETX × 100 along the path; METRIC_INF = retracted */
  metric: number;
  seqno: number;
  gateway: boolean;
}

export interface Router {
  /** a frame heard on the radio (any frame: the router does dedup, auth, relay, delivery). rssi in dBm */
  receive(frame: Uint8Array, len: number, rssi: number, now: number): void;
  /** run timers due at or before now (beacons, contention delays, retries, expiries) */
  tick(now: number): void;
  /** absolute ms of the next timer, or -1 */
  nextDeadline(): number;
  /** send an application message (≤ 4 KB; fragmented as needed). dst 0xffffffff = broadcast, GATEWAY = the
   *  best gateway. flags: Flag.AckReq for an end-to-end ack, SEND_BULK for non-essential traffic.
   *  Returns a handle ≥ 0, or -FrameStatus / a RouterError (negative). */
  send(dst: number, payload: Uint8Array, flags: number, now: number): number;
  /** counters (frames sent by kind, relayed, dropped by reason, delivered, acks, retries …) */
  readonly stats: RouterStats;
  /** table views for telemetry, monitor, simulator metrics (allocation OK here: not a hot path) */
  neighbours(): NeighbourInfo[];
  routes(): RouteInfo[];
}

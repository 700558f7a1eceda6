/**
 * The options of a simulation run, their defaults and their checks: kept apart from run.ts so the CLI can
 * validate arguments without loading the routing core.
 */
import type { Policy, RouterInit, Router, DeliverInfo, RadioPort } from '../../shared/router.ts';
import type { Engine } from './engine.ts';
import type { LinkMap } from './links.ts';
import type { Propagation } from './propagation.ts';
import { TOPOLOGIES, type TopologyKind } from './topology.ts';
import { validateEvents, type SimEvent, type TrafficOptions } from './scenario.ts';

export type RadioKind = 'espnow' | 'wifi';
export const POLICIES: readonly Policy[] = ['meshwork', 'flood', 'managed-flood'];
export const RADIOS: readonly RadioKind[] = ['espnow', 'wifi'];

export interface SimProgress { fraction: number; nowS: number; events: number }

export interface SimOptions {
  nodes: number;
  topology: TopologyKind;
  seed: number;
  durationS: number;
  policy?: Policy;
  radio?: RadioKind;
  /** extra random frame loss per link, 0..1 */
  loss?: number;
  traffic?: Partial<TrafficOptions>;
  events?: SimEvent[];
  /** kill a relay of the probe pair's current path at this time (s) and measure the repair */
  killRelayAtS?: number;
  /** probe spacing on the kill-relay pair, ms (default 1000) */
  probeEveryMs?: number;
  /** no traffic before this (neighbour discovery), s; default clamp(10 % of duration, 5, 60) */
  warmupS?: number;
  /** no traffic during the last drainS so messages in flight settle; default clamp(10 %, 5, 30) */
  drainS?: number;
  /** node indices with role 'gateway' (default none) */
  gateways?: number[];
  /** node indices that run the repeater (shared/repeater.ts: what an ESP32-C3 runs) instead of the router;
   *  they are neither sources nor destinations of the traffic, and not counted in broadcast reach */
  repeaters?: number[];
  capacities?: Partial<RouterInit['capacities']>;
  hopLimit?: number;
  /** extra RouterInit fields (timing knobs), passed through unchanged */
  routerInit?: Record<string, unknown>;
  propagation?: Partial<Propagation>;
  carrierSense?: boolean;
  /** table-fill samples every this many seconds (default duration / 20, at least 10) */
  sampleEveryS?: number;
  progress?: (p: SimProgress) => void;
  /** watch the air (tests, traces): called for every transmission start and every decoded frame */
  observer?: SimObserver;
  /** the mesh's network key (epoch 1), 16 bytes; default: derived from the seed */
  meshKey?: Uint8Array;
}

export interface SimObserver {
  transmit?(node: number, frame: Uint8Array, len: number, nowMs: number): void;
  receive?(node: number, frame: Uint8Array, len: number, rssi: number, nowMs: number): void;
  /** live mode (host/web/sim-live-worker.ts): the run's handle, given once the routers have booted, before the clock starts */
  attach?(sim: LiveSim): void;
  /** an application message delivered at `node` (after the simulator's own accounting); payload valid during the call */
  deliver?(node: number, payload: Uint8Array, info: DeliverInfo, nowMs: number): void;
  /** end-to-end result of a send(…, AckReq) made at `node`, whoever made it */
  sent?(node: number, handle: number, ok: boolean, nowMs: number): void;
}

/**
 * What a live driver may touch in a running simulation: the clock (it may register engine event kinds
 * 200..255 and schedule them), the routers (send() on them, then reschedule(i)), and node death and boot
 * through the same paths as the scripted events. Arrays are the run's own, updated in place.
 */
export interface LiveSim {
  readonly engine: Engine;
  readonly ids: Uint32Array;
  /** 1 = up */
  readonly alive: Uint8Array;
  readonly routers: readonly (Router | null)[];
  readonly links: LinkMap;
  readonly gateways: ReadonlySet<number>;
  kill(i: number): void;
  boot(i: number): void;
  /** re-ask router i for its next deadline (after calling send() on it) */
  reschedule(i: number): void;
  /** node i's radio: send() puts an already sealed frame on the air from that node */
  radio(i: number): RadioPort;
}

export const DEFAULT_TRAFFIC: TrafficOptions = { unicastPerSec: 1, broadcastPerSec: 0.1, ackFraction: 0, payloadBytes: 40 };

/** Router capacities the simulator gives each node unless told otherwise (an ESP32 with ESP-NOW). */
export const SIM_CAPACITIES: RouterInit['capacities'] = {
  neighbours: 32, routes: 128, dedupSlots: 256, replaySources: 64, pending: 16, reassemblySlots: 4, reassemblyMaxBytes: 4096,
};

export class SimUsageError extends Error {}

function misuse(msg: string): never {
  throw new SimUsageError('meshwork/sim: ' + msg);
}

/** Throws SimUsageError (a usage mistake, exit 2 in the CLI) on options no run can use. */
export function checkOptions(o: SimOptions): void {
  if (!Number.isInteger(o.nodes) || o.nodes < 2 || o.nodes > 5000) misuse('nodes must be an integer 2..5000');
  if (!TOPOLOGIES.includes(o.topology)) misuse(`topology must be one of ${TOPOLOGIES.join(', ')}`);
  if (o.topology === 'clusters' && o.nodes < 10) misuse('clusters need at least 10 nodes');
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) misuse('seed must be an integer 0..4294967295');
  if (!(o.durationS > 0) || o.durationS > 7 * 86400) misuse('duration must be > 0 s (and at most a week)');
  if (o.policy !== undefined && !POLICIES.includes(o.policy)) misuse(`policy must be one of ${POLICIES.join(', ')}`);
  if (o.radio !== undefined && !RADIOS.includes(o.radio)) misuse(`radio must be one of ${RADIOS.join(', ')}`);
  if (o.loss !== undefined && !(o.loss >= 0 && o.loss < 1)) misuse('loss must be in [0, 1)');
  if (o.killRelayAtS !== undefined && !(o.killRelayAtS > 0 && o.killRelayAtS < o.durationS)) misuse('kill-relay time must be inside the run');
  if (o.meshKey !== undefined && !(o.meshKey instanceof Uint8Array && o.meshKey.length === 16)) misuse('meshKey must be 16 bytes');
  if (o.repeaters !== undefined && !o.repeaters.every((i) => Number.isInteger(i) && i >= 0 && i < o.nodes)) misuse('repeaters must be node indices 0..nodes-1');
  if (o.repeaters !== undefined && (o.gateways || []).some((g) => o.repeaters!.includes(g))) misuse('a gateway cannot be a repeater');
  const why = validateEvents(o.events || [], o.nodes, o.durationS);
  if (why) misuse(why);
}


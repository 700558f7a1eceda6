/**
 * What the simulator's radio models have in common: each gives every node a RadioPort (the router's only
 * way onto the air, shared/router.ts) and reports back through hooks. The router never learns which model
 * it runs on.
 */
import type { RadioPort } from '../../shared/router.ts';

/** 802.11b at 1 Mbps as ESP-NOW uses it: (len + 43) bytes of MAC/vendor overhead at 8 µs a byte + 192 µs PLCP. */
export function airtimeMs(len: number): number {
  return (len + 43) * 0.008 + 0.192;
}

/** The largest frame ESP-NOW v1 carries (shared/frame.ts MAX_FRAME_LEN). */
export const MAX_AIR_FRAME = 250;

export interface MediumHooks {
  /**
   * node `rx` decoded a frame: frame[0..len) is a scratch copy the receiver may modify, valid only
   * during the call. rssi in whole dBm, as ESP-NOW reports it.
   */
  receive(rx: number, frame: Uint8Array, len: number, rssi: number): void;
  /** node `tx` started sending frame[0..len) (a view valid during the call) for `durMs` of airtime */
  transmit(tx: number, frame: Uint8Array, len: number, durMs: number): void;
}

export interface MediumCounters {
  /** transmissions started */
  transmissions: number;
  /** frames decoded by some receiver */
  receptions: number;
  /** (frame, receiver) pairs at or above sensitivity lost to an overlapping transmission */
  collisions: number;
  /** (frame, receiver) pairs at or above sensitivity lost because the receiver was transmitting */
  halfDuplex: number;
  /** (frame, receiver) pairs at or above sensitivity lost to frame errors or the extra --loss */
  channelLoss: number;
  /** frames dropped because a node's transmit queue was full */
  queueDrops: number;
  /** carrier-sense deferrals */
  deferrals: number;
}

export interface Medium {
  /** the RadioPort handed to node i's router */
  port(i: number): RadioPort;
  /** switch a node on (join) or off (death: its queue is dropped and its frame on the air is cut) */
  setAlive(i: number, alive: boolean): void;
  /** move node i to (x, y) metres */
  moveTo(i: number, x: number, y: number): void;
  /** extra attenuation on the link i–j, dB (0 lifts the fade) */
  fade(i: number, j: number, db: number): void;
  /** ms during which node i's channel was busy (its own transmissions or ones it could sense) */
  busyMs(i: number): number;
  /** ms during which anything at all was on the air */
  globalBusyMs(): number;
  readonly counters: MediumCounters;
}

export function newCounters(): MediumCounters {
  return { transmissions: 0, receptions: 0, collisions: 0, halfDuplex: 0, channelLoss: 0, queueDrops: 0, deferrals: 0 };
}

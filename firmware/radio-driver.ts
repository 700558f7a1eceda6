/**
 * The radio driver interface (CONTRACTS.md §3): the one seam between the router (which sees a RadioPort:
 * send + airtimeMs, shared/router-types.ts) and a real radio. Three backends implement it, all built as
 * factories `createXRadio(cfg)(components)` that receive the Espruino modules they use instead of reaching
 * for globals, so Node tests pass emulations in (test/emulation/espruino-*.ts):
 *
 *   radio-wifi-udp.ts      stock ESP32: require("Wifi") + require("dgram"), UDP broadcast over soft-AP/station links
 *   radio-espnow.ts        ESP32 builds with an ESP-NOW binding (contract in boards/ESPNOW.md)
 *   radio-udp-loopback.ts  Espruino's Linux build: UDP to the host "air" process (host/air/)
 *
 * Every backend passes test/radio-compliance.test.ts. Buffer ownership: send() copies frame[0..len) before it
 * returns (the caller reuses its buffer at once); onFrame's `frame` is a view owned by the driver, valid only
 * during the call. No method throws: failures are counted in status().
 */

/** ESP-NOW v1 payload limit and so the largest Meshwork frame (shared/frame.ts MAX_FRAME_LEN). */
export const RADIO_MAX_FRAME = 250;

export type RadioFrameHandler = (frame: Uint8Array, len: number, rssi: number) => void;

export interface RadioStatus {
  kind: string;
  /** the driver can send right now (socket bound, binding initialised, …) */
  up: boolean;
  /** distinct senders heard within the last peer window (RADIO_PEER_TTL_MS) */
  peers: number;
  /** all errors: oversize + garbage + txErrors */
  errors: number;
  /** frames handed to onFrame */
  rx: number;
  /** frames put on the air (one per send(), however many interfaces it went out on) */
  tx: number;
  /** send() calls refused because len was 0 or above RADIO_MAX_FRAME (or the buffer was shorter than len) */
  oversize: number;
  /** datagrams ignored: wrong envelope, truncated, too long, not bytes */
  garbage: number;
  /** sends the platform refused or that threw (socket gone, binding false, no memory) */
  txErrors: number;
}

export interface RadioDriver {
  /** onFrame gets a view valid only during the call */
  start(onFrame: RadioFrameHandler): void;
  /** copies before returning; never throws (counts errors) */
  send(frame: Uint8Array, len: number): void;
  airtimeMs(len: number): number;
  stop(): void;
  status(): RadioStatus;
}

/** The two Espruino natives the drivers use to cross between bytes and dgram's 8-bit strings. */
export interface RadioBytes {
  /** bytes → 8-bit string (a copy) */
  toString(data: Uint8Array): string | undefined;
  /** 8-bit string → fresh Uint8Array (a copy) */
  toUint8Array(data: string): Uint8Array;
}

/** Timers as Espruino has them (globals on the node, fakes or Node's in tests). */
export interface RadioTimers {
  setTimeout(cb: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
  /** monotonic ms (getTime() * 1000 on Espruino) */
  now(): number;
}

/** Log port (shared/ports.ts): level 0 err … 3 debug. */
export type RadioLog = (level: number, event: string, detail?: string | number) => void;

/** 802.11b at 1 Mbps (ESP-NOW's default PHY and the simulator's model, host/sim/medium.ts): ms on air. */
export function airtime1Mbps(len: number): number {
  return (len + 43) * 0.008 + 0.192;
}

export function newRadioStatus(kind: string): RadioStatus {
  return { kind: kind, up: false, peers: 0, errors: 0, rx: 0, tx: 0, oversize: 0, garbage: 0, txErrors: 0 };
}

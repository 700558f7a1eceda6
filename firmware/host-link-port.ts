/**
 * What the node needs from the serial link to the host (its implementation: console-link.ts; the wire
 * format: shared/host-link.ts). Message types as in /work/notes/CONTRACTS.md §1.
 */
export const enum LinkType {
  Hello = 0x01, Log = 0x02, Event = 0x03, Traffic = 0x04, Deliver = 0x05, Neighbours = 0x06, Routes = 0x07,
  Telemetry = 0x08, Frame = 0x09, Reply = 0x0a,
}

export interface HostLink {
  /** send a typed message (a CBOR map) to the host */
  emit(type: number, obj: unknown): void;
  /** a whole sealed frame, for a gateway's bridge (no CBOR) */
  emitFrame(rssi: number, frame: Uint8Array, len: number): void;
  /** a log line, subject to the host's subscription and level */
  log(level: number, event: string, detail?: string | number): void;
  /** whether the host subscribed to this kind of message */
  wants(type: number): boolean;
}

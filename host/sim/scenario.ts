/**
 * What happens during a run, decided before it starts: the application traffic (who sends what to whom,
 * when) and the scripted events (deaths, joins, fades, moves). Everything here is drawn from the traffic
 * stream of the seed, never from the routers' or the radio's streams, so the three policies of a
 * comparison see exactly the same messages at exactly the same times.
 *
 * Payloads are real application text messages (shared/app-messages.ts schema {t:'tx', m, to?}) encoded
 * with cbor-x: m = "<message id in base 36>|" padded with 'x' so that the CBOR is `payloadBytes` long.
 * The simulator recognises its messages at delivery by decoding them (it never looks inside the router).
 */
import { Decoder, Encoder } from 'cbor-x';
import type { SimRng } from './rng.ts';

export interface TrafficOptions {
  /** unicast messages per second, mesh-wide (Poisson) */
  unicastPerSec: number;
  /** broadcast messages per second, mesh-wide (Poisson) */
  broadcastPerSec: number;
  /** share of unicasts sent with Flag.AckReq (end-to-end acknowledgement), 0..1 */
  ackFraction: number;
  /** CBOR payload size of every message, bytes (longer than one frame → fragmented by the router) */
  payloadBytes: number;
  /** only these [src, dst] node-index pairs send unicasts (default: random pairs) */
  pairs?: [number, number][];
}

export type SimEvent =
  | { at: number; kind: 'death'; node: number }
  /** the node is off from the start and boots at `at` */
  | { at: number; kind: 'join'; node: number }
  /** extra attenuation on the link a–b for `forS` seconds (for ever when absent) */
  | { at: number; kind: 'fade'; a: number; b: number; db: number; forS?: number }
  /** the node goes to (x, y) m, at speedMps (teleports when absent) */
  | { at: number; kind: 'move'; node: number; x: number; y: number; speedMps?: number };

export const EVENT_KINDS = ['death', 'join', 'fade', 'move'] as const;

/** One planned message; times in ms. dst = -1 for a broadcast. */
export interface PlannedMessage {
  at: number;
  src: number;
  dst: number;
  ack: boolean;
  /** a probe of the --kill-relay pair (reported on its own) */
  probe: boolean;
}

/**
 * Poisson arrivals of unicasts and broadcasts in [startMs, stopMs), merged in time order (ties: unicast
 * first, then by draw order). Sources and destinations are node indices, uniform unless `pairs` is given.
 */
export function planTraffic(t: TrafficOptions, n: number, startMs: number, stopMs: number, rng: SimRng): PlannedMessage[] {
  const out: PlannedMessage[] = [];
  const draw = (ratePerSec: number, broadcast: boolean): void => {
    if (!(ratePerSec > 0)) return;
    let at = startMs;
    for (;;) {
      at += (-Math.log(1 - rng.next()) / ratePerSec) * 1000;
      if (at >= stopMs) return;
      let src: number, dst: number;
      if (broadcast) {
        src = rng.int(n);
        dst = -1;
      } else if (t.pairs && t.pairs.length) {
        const p = t.pairs[rng.int(t.pairs.length)];
        src = p[0];
        dst = p[1];
      } else {
        src = rng.int(n);
        dst = rng.int(n - 1);
        if (dst >= src) dst++;
      }
      out.push({ at, src, dst, ack: !broadcast && rng.next() < t.ackFraction, probe: false });
    }
  };
  draw(t.unicastPerSec, false);
  draw(t.broadcastPerSec, true);
  // stable merge by time: index order breaks ties, so the result does not depend on the sort algorithm
  const idx = out.map((_, i) => i);
  idx.sort((a, b) => out[a].at - out[b].at || a - b);
  return idx.map((i) => out[i]);
}

/** Probes every `everyMs` in [startMs, stopMs) on one pair (route-repair measurement). */
export function planProbes(src: number, dst: number, startMs: number, stopMs: number, everyMs: number): PlannedMessage[] {
  const out: PlannedMessage[] = [];
  for (let at = startMs; at < stopMs; at += everyMs) out.push({ at, src, dst, ack: false, probe: true });
  return out;
}

const encoder = new Encoder({ useRecords: false, tagUint8Array: false, variableMapSize: true });
const decoder = new Decoder({ useRecords: false });

/** The CBOR payload of message `id`: {t:'tx', m:'<id base36>|xxx…'[, to]} exactly `bytes` long when possible. */
export function encodeTraffic(id: number, bytes: number, to?: number): Uint8Array {
  const head = id.toString(36) + '|';
  const msg = (m: string): Record<string, unknown> => (to === undefined ? { t: 'tx', m } : { t: 'tx', m, to });
  let pad = Math.max(0, bytes - (encoder.encode(msg(head)) as Uint8Array).length);
  // the string length prefix grows at 24 and 256 characters: step back until the size fits
  for (;;) {
    const b = encoder.encode(msg(head + 'x'.repeat(pad))) as Uint8Array;
    if (b.length <= bytes || pad === 0) return new Uint8Array(b);
    pad--;
  }
}

/** The message id of a simulator payload, or -1 for anything else. */
export function decodeTraffic(payload: Uint8Array): number {
  let v: unknown;
  try { v = decoder.decode(payload); } catch { return -1; }
  if (!v || typeof v !== 'object') return -1;
  const o = v as { t?: unknown; m?: unknown };
  if (o.t !== 'tx' || typeof o.m !== 'string') return -1;
  const bar = o.m.indexOf('|');
  if (bar <= 0) return -1;
  const id = parseInt(o.m.slice(0, bar), 36);
  return Number.isInteger(id) && id >= 0 ? id : -1;
}

/** Check an event list against the node count; returns a reason, or null when valid. */
export function validateEvents(events: SimEvent[], n: number, durationS: number): string | null {
  const node = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 0 && (x as number) < n;
  for (const e of events) {
    if (!e || typeof e !== 'object' || !(EVENT_KINDS as readonly string[]).includes((e as SimEvent).kind)) return `unknown event ${JSON.stringify(e)}`;
    if (!(e.at >= 0 && e.at <= durationS)) return `event time ${e.at} s is outside 0..${durationS}`;
    if (e.kind === 'fade') {
      if (!node(e.a) || !node(e.b) || e.a === e.b) return `fade needs two different nodes in 0..${n - 1}`;
      if (!(e.db >= 0)) return 'fade needs db ≥ 0';
    } else if (!node(e.node)) return `${e.kind} needs a node in 0..${n - 1}`;
    if (e.kind === 'move' && !(Number.isFinite(e.x) && Number.isFinite(e.y))) return 'move needs x and y in metres';
  }
  return null;
}

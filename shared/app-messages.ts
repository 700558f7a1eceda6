/**
 * Application messages: what the dashboard, the bridge and the monitor show. Each is a CBOR map
 * (cbor.ts subset) with short text keys; `t` names the type and is always written FIRST, so an endpoint
 * can dispatch on the first six bytes (peekKind) before paying for a full decode (~150 k machine
 * instructions per CBOR item on the interpreter: these schemas keep the item count small).
 *
 *   ping      {t:'pi', id, ts?}         id: uint ≤ 2^32-1 chosen by the sender; ts: sender's clock in ms
 *                                       (opaque to the receiver, number ≥ 0)
 *   pong      {t:'po', id, ts?}         id and ts echoed from the ping (RTT without state at the sender)
 *   text      {t:'tx', m, to?}          m: string ≤ maxText chars; to: node id (absent = everyone)
 *   telemetry {t:'tm', up, mem, nb, v, b}
 *                                       up: uptime s (uint); mem: free JsVars (uint);
 *                                       nb: [[id, etx×100 (uint ≤ 65535), rssi dBm (int)] …] ≤ maxNeighbours;
 *                                       v: firmware version (string ≤ 32); b: board name (string ≤ 32)
 *   trace query  {t:'tr', id, d, p?}    walk `id` toward destination d; p: the node queried before this one
 *   trace report {t:'tR', id, n?, m?, l}
 *                                       n: this node's next hop toward d, 0 when this node IS d, absent when
 *                                       it has no route; m: its route metric to d (etx×100, uint);
 *                                       l: links as seen here, ≤ 4 entries [id, rssi dBm, in %, out %]:
 *                                       in = share of that neighbour's frames heard here, out = share of
 *                                       ours it reports hearing (its beacons). Entries for p and n.
 * Node ids are u32 in 1..0xfffffffe (frame.ts). Unknown extra keys are ignored (newer senders); a wrong
 * type on a known key, a missing key or an unknown `t` fails the decode with {ok:false, reason}.
 *
 * Traceroute design: relays never decrypt or parse payloads (relay-path.ts, issue 2), so nothing is
 * appended in flight and the router needs no traceroute hook. Instead the source WALKS the path
 * (traceroute-walk.ts): it answers the first query itself from its own tables, then sends a query to
 * each next hop in turn, as an ordinary end-to-end message; every queried node is the destination of
 * its query, answers with a report of its own next hop toward d and its own view of the links to p and
 * to n. Per-hop quality both ways comes from the two ends of each link: for a→b, a's entry for b gives
 * b→a (rssi, in %) and b's entry for a gives a→b. Each node's answer is its real forwarding decision,
 * so the walk shows the path frames take now. Cost: h(h+1)/2 queries for h hops (21 for 6 hops): a
 * diagnostic, not something to run continuously. Route changes during the walk show up as a loop
 * (walk stops) or a different path.
 *
 * Usage: `const app = createAppMessages({})({ cbor: createCbor()(text) })`, then
 * `app.encodeInto(msg, out, off)` (new offset, -1 if out is too small), `app.encode(msg)`,
 * `app.decode(buf, off?, end?)` → {ok:true, msg} | {ok:false, reason}. Encoding a message that fails
 * the schema is misuse and throws "meshwork/app: …"; decoding never throws.
 */
import type { Cbor } from './cbor.ts';

export interface PingMsg { t: 'pi'; id: number; ts?: number }
export interface PongMsg { t: 'po'; id: number; ts?: number }
export interface TextMsg { t: 'tx'; m: string; to?: number }
/** [id, etx×100, rssi dBm] */
export type NeighbourEntry = number[];
export interface TelemetryMsg { t: 'tm'; up: number; mem: number; nb: NeighbourEntry[]; v: string; b: string }
export interface TraceQueryMsg { t: 'tr'; id: number; d: number; p?: number }
/** [id, rssi dBm, in %, out %] */
export type LinkEntry = number[];
export interface TraceReportMsg { t: 'tR'; id: number; n?: number; m?: number; l: LinkEntry[] }
export type AppMessage = PingMsg | PongMsg | TextMsg | TelemetryMsg | TraceQueryMsg | TraceReportMsg;

export type AppDecodeResult = { ok: true; msg: AppMessage } | { ok: false; reason: string };

/** Message kinds as numbers, for dispatch without string compares (peekKind). */
export const enum MsgKind { None = 0, Ping = 1, Pong = 2, Text = 3, Telemetry = 4, TraceQuery = 5, TraceReport = 6 }

export interface AppMessagesInit {
  /** longest text accepted, in string units (UTF-16 on the host, bytes on the node). Default 1000 */
  maxText?: number;
  /** most neighbour entries in telemetry. Default 32 */
  maxNeighbours?: number;
}

export interface AppMessages {
  encodeInto(msg: AppMessage, out: Uint8Array, off: number): number;
  encode(msg: AppMessage): Uint8Array;
  decode(buf: Uint8Array, off?: number, end?: number): AppDecodeResult;
}

const APP_ERROR_PREFIX = 'meshwork/app: ';
const MAX_NODE = 0xfffffffe;
const MAX_U32 = 0xffffffff;
const MAX_SHORT_STRING = 32;
const MAX_LINKS = 4;

/**
 * Kind of a message encoded by this module, from its first 6 bytes: map head (1..23 pairs), then the
 * text key "t" (61 74) and a 2-char text value (62 x y). MsgKind.None for anything else, including
 * valid CBOR from another encoder that does not put `t` first: decode() is the authority.
 */
export function peekKind(buf: Uint8Array, off: number, end: number): number {
  if (end - off < 6 || buf[off] < 0xa1 || buf[off] > 0xb7) return MsgKind.None;
  if (buf[off + 1] !== 0x61 || buf[off + 2] !== 0x74 || buf[off + 3] !== 0x62) return MsgKind.None;
  const a = buf[off + 4];
  const b = buf[off + 5];
  if (a === 0x70) return b === 0x69 ? MsgKind.Ping : b === 0x6f ? MsgKind.Pong : MsgKind.None; // pi po
  if (a !== 0x74) return MsgKind.None;
  if (b === 0x78) return MsgKind.Text; // tx
  if (b === 0x6d) return MsgKind.Telemetry; // tm
  if (b === 0x72) return MsgKind.TraceQuery; // tr
  return b === 0x52 ? MsgKind.TraceReport : MsgKind.None; // tR
}

function isUint(v: unknown, max: number): boolean {
  return typeof v === 'number' && v >= 0 && v <= max && v === Math.floor(v);
}

function isInt(v: unknown, min: number, max: number): boolean {
  return typeof v === 'number' && v >= min && v <= max && v === Math.floor(v);
}

function isNode(v: unknown): boolean {
  return typeof v === 'number' && v >= 1 && v <= MAX_NODE && v === Math.floor(v);
}

function isStr(v: unknown, max: number): boolean {
  return typeof v === 'string' && v.length <= max;
}

/** Every element an array of exactly `width` numbers passing `each(value, column)`. */
function rowsOk(v: unknown, maxRows: number, width: number, each: (x: unknown, col: number) => boolean): boolean {
  if (!Array.isArray(v) || v.length > maxRows) return false;
  for (const row of v) {
    if (!Array.isArray(row) || row.length !== width) return false;
    for (let c = 0; c < width; c++) if (!each(row[c], c)) return false;
  }
  return true;
}

function neighbourCell(x: unknown, col: number): boolean {
  if (col === 0) return isNode(x);
  return col === 1 ? isUint(x, 65535) : isInt(x, -200, 50);
}

function linkCell(x: unknown, col: number): boolean {
  if (col === 0) return isNode(x);
  return col === 1 ? isInt(x, -200, 50) : isUint(x, 100);
}

export function createAppMessages(init: AppMessagesInit): (c: { cbor: Cbor }) => AppMessages {
  const maxText = init.maxText !== undefined ? init.maxText : 1000;
  const maxNb = init.maxNeighbours !== undefined ? init.maxNeighbours : 32;

  /** The canonical map for `o` (`t` first, known keys only), or a reason string when `o` breaks the schema. */
  function canonical(o: any): any {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return 'not a map';
    const t = o.t;
    if (t === 'pi' || t === 'po') {
      if (!isUint(o.id, MAX_U32)) return 'bad id';
      if (o.ts !== undefined && !(typeof o.ts === 'number' && o.ts >= 0 && o.ts <= 9007199254740991)) return 'bad ts';
      return o.ts === undefined ? { t: t, id: o.id } : { t: t, id: o.id, ts: o.ts };
    }
    if (t === 'tx') {
      if (!isStr(o.m, maxText)) return 'bad text';
      if (o.to === undefined) return { t: t, m: o.m };
      return isNode(o.to) ? { t: t, m: o.m, to: o.to } : 'bad to';
    }
    if (t === 'tm') {
      if (!isUint(o.up, MAX_U32) || !isUint(o.mem, MAX_U32)) return 'bad up/mem';
      if (!rowsOk(o.nb, maxNb, 3, neighbourCell)) return 'bad nb';
      if (!isStr(o.v, MAX_SHORT_STRING) || !isStr(o.b, MAX_SHORT_STRING)) return 'bad v/b';
      return { t: t, up: o.up, mem: o.mem, nb: o.nb, v: o.v, b: o.b };
    }
    if (t === 'tr') {
      if (!isUint(o.id, MAX_U32) || !isNode(o.d)) return 'bad id/d';
      if (o.p === undefined) return { t: t, id: o.id, d: o.d };
      return isNode(o.p) ? { t: t, id: o.id, d: o.d, p: o.p } : 'bad p';
    }
    if (t === 'tR') {
      if (!isUint(o.id, MAX_U32)) return 'bad id';
      if (o.n !== undefined && !(o.n === 0 || isNode(o.n))) return 'bad n';
      if (o.m !== undefined && !isUint(o.m, MAX_U32)) return 'bad m';
      if (!rowsOk(o.l, MAX_LINKS, 4, linkCell)) return 'bad l';
      const r: any = { t: t, id: o.id };
      if (o.n !== undefined) r.n = o.n;
      if (o.m !== undefined) r.m = o.m;
      r.l = o.l;
      return r;
    }
    return 'unknown type';
  }

  return function (c: { cbor: Cbor }): AppMessages {
    const cbor = c.cbor;

    function checked(msg: AppMessage): any {
      const v = canonical(msg);
      if (typeof v === 'string') throw new Error(APP_ERROR_PREFIX + v);
      return v;
    }

    function decode(buf: Uint8Array, off?: number, end?: number): AppDecodeResult {
      const d = cbor.decode(buf, off, end);
      if (!d.ok) return { ok: false, reason: d.reason };
      const v = canonical(d.value);
      if (typeof v === 'string') return { ok: false, reason: v };
      return { ok: true, msg: v };
    }

    return {
      encodeInto: function (msg: AppMessage, out: Uint8Array, off: number): number {
        return cbor.encodeInto(checked(msg), out, off);
      },
      encode: function (msg: AppMessage): Uint8Array {
        return cbor.encode(checked(msg));
      },
      decode: decode,
    };
  };
}

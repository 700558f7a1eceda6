/**
 * Host link codec: the wire format between a node and the host over the Espruino console
 * (CONTRACTS.md §1). Sans-IO and Espruino-safe: the firmware (firmware/console-link.ts) and the host
 * (host/link/) share these functions and test/vectors/host-link.json.
 *
 * Body (bytes):
 *
 *     0      1     3      5              5+len        9+len
 *     +------+-----+------+---------------+------------+
 *     | type | id  | len  | payload[len]  | crc32      |
 *     | u8   | u16 | u16  |               | u32        |   (big-endian; CRC-32 IEEE over type..payload)
 *     +------+-----+------+---------------+------------+
 *
 * Node → host: one console line `"\x01" + base64(body) + "\r\n"`, printed in ONE write (Espruino is single
 * threaded, so no text lands inside it). `print(lineText(...))` on Espruino adds the "\r\n".
 * Host → node: one line `"\x10MWc('" + base64(body) + "')\n"` (`\x10` = echo off for that line).
 * Payloads are CBOR maps, except FRAME (`rssi i8 | sealed frame`).
 *
 * API (all functions; errors are values, nothing here throws on hostile bytes):
 * - `writeBodyHeader(body, type, id, len)`, then the payload at body[5..5+len), then
 *   `sealBody(body, len, crc32)` → total body length (9+len); `encodeBody(type, id, payload, crc32)` allocates.
 * - `decodeBody(body, crc32)` → `{ok:true, type, id, payload}` (payload is a VIEW into body) |
 *   `{ok:false, reason, id}` (id -1 when unreadable).
 * - `lineText(body, total, nat)` → "\x01"+base64 (no terminator: the console write adds it);
 *   `lineFromParts(head, payload, scratch, nat)` the same line from a header and a payload kept apart (the
 *   node's path: no copy of the payload into a body buffer; `scratch = createLineScratch()`, reused);
 *   `decodeLineText(text, nat)` decodes the base64 part of a line (between "\x01" and "\r\n").
 * - `commandLine(body, total, nat)` → "\x10MWc('…')\n".
 * Natives are a port (`LinkNatives`): on the node E.toString, E.toUint8Array, btoa, atob and E.CRC32 themselves
 * (firmware/console-link.ts espruinoLinkNatives), Buffer and zlib on the host (host/link/natives-node.ts), so no
 * per-byte JS loop runs anywhere. The node works on 8-bit strings, which Espruino's natives walk faster than
 * typed arrays (bench/host-link.ts). (The port lives here, not in ports.ts: only this link uses it.)
 */
import type { Crc32 } from './ports.ts';

/** Link version announced in HELLO `v`. */
export const LINK_VERSION = 1;

// Node → host types (CONTRACTS.md §1)
export const T_HELLO = 0x01;
export const T_LOG = 0x02;
export const T_EVENT = 0x03;
export const T_TRAFFIC = 0x04;
export const T_DELIVER = 0x05;
export const T_NEIGHBOURS = 0x06;
export const T_ROUTES = 0x07;
export const T_TELEMETRY = 0x08;
export const T_FRAME = 0x09;
export const T_REPLY = 0x0a;
// Host → node
export const T_CMD = 0x80;

/** header bytes: type u8, id u16, len u16 */
export const HL_HEADER = 5;
/** trailer bytes: crc32 u32 */
export const HL_TRAILER = 4;
/** largest payload either side sends or accepts */
export const HL_MAX_PAYLOAD = 1536;
/** largest body: 5 + 1536 + 4 */
export const HL_MAX_BODY = HL_HEADER + HL_MAX_PAYLOAD + HL_TRAILER;
/** base64 characters of the largest body: 4 * ceil(1545 / 3) */
export const HL_MAX_B64 = 2060;

/** First byte of a node → host line. */
export const LINE_START = '\x01';
/** Node → host line terminator (what Espruino's print appends). */
export const LINE_END = '\r\n';
/** Host → node command line: prefix + base64 + suffix. */
export const CMD_PREFIX = "\x10MWc('";
export const CMD_SUFFIX = "')\n";

/**
 * Platform natives for the link (a port). "Binary strings" hold one byte per char (Espruino's 8-bit strings;
 * latin1 on Node). Every member is called as a plain function, so Espruino's natives can be the members.
 */
export interface LinkNatives {
  /** bytes of a, then of b when given, as one binary string (E.toString); undefined when out of memory */
  bin(a: Uint8Array, b?: Uint8Array): string | undefined;
  /** binary string → fresh bytes (E.toUint8Array) */
  bytes(bin: string): Uint8Array;
  /** binary string or bytes → base64 (btoa); not a string when out of memory. The node's code passes only
   *  strings (a browser-style btoa, as in Node and the emulation, would turn a Uint8Array into "1,2,3"). */
  btoa(bin: string | Uint8Array): string;
  /** base64 → binary string, lenient about bad characters (atob): callers check canonical form */
  atob(text: string): string;
  /** CRC-32/IEEE of a binary string or of bytes (E.CRC32) */
  crc32(data: string | Uint8Array): number;
}

/** Reusable scratch for lineFromParts: the 4 CRC bytes and a view to write them (owned by one caller). */
export interface LineScratch {
  crc: Uint8Array;
  view: DataView;
}

export function createLineScratch(): LineScratch {
  const crc = new Uint8Array(4);
  return { crc: crc, view: new DataView(crc.buffer) };
}

export interface BodyOk {
  ok: true;
  type: number;
  id: number;
  /** a view into the decoded body: copy before keeping */
  payload: Uint8Array;
}

export interface BodyBad {
  ok: false;
  /** 'short' | 'length' | 'too long' | 'crc' | 'bad base64' */
  reason: string;
  /** the id field when the body has one (it is not covered by a good CRC then), else -1 */
  id: number;
}

export type BodyResult = BodyOk | BodyBad;

function bad(reason: string, id: number): BodyBad {
  return { ok: false, reason: reason, id: id };
}

/** Writes type, id and payload length at body[0..5). */
export function writeBodyHeader(body: Uint8Array, type: number, id: number, len: number): void {
  body[0] = type;
  body[1] = (id >> 8) & 255;
  body[2] = id & 255;
  body[3] = (len >> 8) & 255;
  body[4] = len & 255;
}

/**
 * With header and payload (len bytes) in place, appends the CRC-32 of body[0..5+len) and returns the
 * body's total length. `body` must hold 9 + len bytes.
 */
export function sealBody(body: Uint8Array, len: number, crc32: Crc32): number {
  const end = HL_HEADER + len;
  const c = crc32(body.subarray(0, end));
  body[end] = (c >>> 24) & 255;
  body[end + 1] = (c >>> 16) & 255;
  body[end + 2] = (c >>> 8) & 255;
  body[end + 3] = c & 255;
  return end + HL_TRAILER;
}

/** A fresh body for `payload` (host side and tests; the node writes into its preallocated buffer). */
export function encodeBody(type: number, id: number, payload: Uint8Array, crc32: Crc32): Uint8Array {
  const body = new Uint8Array(HL_HEADER + payload.length + HL_TRAILER);
  writeBodyHeader(body, type, id, payload.length);
  body.set(payload, HL_HEADER);
  sealBody(body, payload.length, crc32);
  return body;
}

/** Checks length fields and CRC of a whole body; the payload is returned as a view, never copied. */
export function decodeBody(body: Uint8Array, crc32: Crc32): BodyResult {
  const n = body.length;
  const id = n >= 3 ? (body[1] << 8) | body[2] : -1;
  if (n < HL_HEADER + HL_TRAILER) return bad('short', id);
  const len = (body[3] << 8) | body[4];
  if (len > HL_MAX_PAYLOAD) return bad('too long', id);
  if (HL_HEADER + len + HL_TRAILER !== n) return bad('length', id);
  const end = HL_HEADER + len;
  const c = ((body[end] << 24) | (body[end + 1] << 16) | (body[end + 2] << 8) | body[end + 3]) >>> 0;
  if (crc32(body.subarray(0, end)) >>> 0 !== c) return bad('crc', id);
  return { ok: true, type: body[0], id: id, payload: body.subarray(HL_HEADER, end) };
}

/** "\x01" + base64 of body[0..total): a node → host line without its terminator. */
export function lineText(body: Uint8Array, total: number, nat: LinkNatives): string {
  return LINE_START + nat.btoa(total === body.length ? body : body.subarray(0, total));
}

/**
 * "\x01" + base64(head | payload | crc32): a line from a header (5 bytes, written by writeBodyHeader, or more:
 * FRAME puts its rssi byte there) and a payload view, in five native calls and no payload copy. Returns ''
 * when a native could not allocate (the caller counts a drop).
 */
export function lineFromParts(head: Uint8Array, payload: Uint8Array, scratch: LineScratch, nat: LinkNatives): string {
  const s = nat.bin(head, payload);
  if (s === undefined) return '';
  scratch.view.setUint32(0, nat.crc32(s));
  const crc = nat.bin(scratch.crc);
  if (crc === undefined) return '';
  const b = nat.btoa(s + crc);
  return typeof b === 'string' ? LINE_START + b : '';
}

/** base64 text → bytes, or undefined unless it is canonical padded base64 (atob alone accepts anything). */
export function decodeBase64(text: string, nat: LinkNatives): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  let bin: string;
  try {
    bin = nat.atob(text); // Espruino's is lenient; a browser-style atob (Node, emulations) throws instead
  } catch (e) {
    return undefined;
  }
  if (typeof bin !== 'string' || nat.btoa(bin) !== text) return undefined;
  return nat.bytes(bin);
}

/** Decodes the base64 text of one line (without "\x01" and the terminator) into a checked body. */
export function decodeLineText(text: string, nat: LinkNatives): BodyResult {
  if (text.length > HL_MAX_B64) return bad('too long', -1);
  const body = decodeBase64(text, nat);
  if (body === undefined) return bad('bad base64', -1);
  return decodeBody(body, nat.crc32);
}

/** The host → node line for body[0..total): "\x10MWc('" + base64 + "')\n". */
export function commandLine(body: Uint8Array, total: number, nat: LinkNatives): string {
  return CMD_PREFIX + nat.btoa(total === body.length ? body : body.subarray(0, total)) + CMD_SUFFIX;
}

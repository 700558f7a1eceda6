/**
 * Host-side decoder of the node → host console stream (CONTRACTS.md §1, §5), sans-IO:
 *
 *   const dec = createLinkDecoder();
 *   for (const item of dec.push(chunk)) …   // chunk: Uint8Array | string, any split
 *
 * LinkItem:
 *   {kind:'msg', type, id, payload: Uint8Array, msg?: object}   msg = the CBOR map decoded
 *        (byte strings stay Uint8Array), or for FRAME {rssi, f: frame bytes};
 *   {kind:'text', text}    everything outside link lines: banner, prompt, print() output, REPL errors;
 *   {kind:'error', reason, id?, type?}   a bad line: 'bad base64' | 'short' | 'length' | 'too long' | 'crc' |
 *        'garbage' (a byte outside base64 inside a line) | 'payload: <cbor reason>' (type/id given then).
 *
 * Rules: a line starts at "\x01" anywhere and ends at "\n" (a "\r" before it is dropped). A byte that cannot
 * be in a line ends it with an error and goes back to text (so a node rebooting mid-line loses only that line,
 * and its banner still shows); a second "\x01" starts a new line. A line longer than the largest body is an
 * error and the rest of it, up to "\n" or "\x01", is dropped. Buffers are bounded by HL_MAX_B64 plus one chunk.
 * Text bytes are decoded as UTF-8 (an 8-bit Espruino string holding UTF-8 prints as such), a character split
 * across chunks is kept for the next push. Never throws on any input.
 */
import { StringDecoder } from 'node:string_decoder';
import { createCbor } from '../../shared/cbor.ts';
import { decodeLineText, HL_MAX_B64, T_FRAME } from '../../shared/host-link.ts';
import { nodeCborText } from '../cbor-text.ts';
import { nodeNatives } from './natives-node.ts';

export interface LinkMsg {
  kind: 'msg';
  type: number;
  id: number;
  /** the payload bytes (a copy owned by the item) */
  payload: Uint8Array;
  /** decoded payload: the CBOR map, or {rssi, f} for FRAME */
  msg?: Record<string, any>;
}
export interface LinkText { kind: 'text'; text: string }
export interface LinkError { kind: 'error'; reason: string; id?: number; type?: number }
export type LinkItem = LinkMsg | LinkText | LinkError;

export interface LinkDecoderStats {
  msgs: number;
  errors: number;
  textBytes: number;
}

export interface LinkDecoder {
  push(chunk: Uint8Array | string): LinkItem[];
  stats: LinkDecoderStats;
}

export interface LinkDecoderOptions {
  /** decode payloads into `msg` (default true) */
  decodePayloads?: boolean;
}

const SOH = 0x01;
const LF = 0x0a;
const CR = 0x0d;

/** 1 for bytes that may appear inside a line's base64 text. */
const B64_BYTE = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=') B64_BYTE[c.charCodeAt(0)] = 1;

const TEXT = 0;
const LINE = 1;
const DISCARD = 2;

const cbor = createCbor({ maxDepth: 16 })(nodeCborText());

/** The decoded form of a payload: CBOR map for every type but FRAME. Errors as values. */
export function decodePayload(type: number, payload: Uint8Array): { ok: true; msg: Record<string, any> } | { ok: false; reason: string } {
  if (type === T_FRAME) {
    if (payload.length < 1) return { ok: false, reason: 'payload: empty frame' };
    return { ok: true, msg: { rssi: (payload[0] << 24) >> 24, f: payload.slice(1) } };
  }
  const d = cbor.decode(payload);
  if (!d.ok) return { ok: false, reason: 'payload: ' + d.reason };
  const v = d.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) return { ok: false, reason: 'payload: not a map' };
  return { ok: true, msg: v as Record<string, any> };
}

export function createLinkDecoder(opts: LinkDecoderOptions = {}): LinkDecoder {
  const decodePayloads = opts.decodePayloads !== false;
  const text = new StringDecoder('utf8');
  const line = new Uint8Array(HL_MAX_B64 + 1);
  let lineLen = 0;
  let mode = TEXT;
  const stats: LinkDecoderStats = { msgs: 0, errors: 0, textBytes: 0 };

  function error(out: LinkItem[], reason: string, id?: number, type?: number): void {
    stats.errors++;
    const e: LinkError = { kind: 'error', reason };
    if (id !== undefined && id >= 0) e.id = id;
    if (type !== undefined) e.type = type;
    out.push(e);
  }

  function endLine(out: LinkItem[]): void {
    let n = lineLen;
    if (n > 0 && line[n - 1] === CR) n--;
    const s = Buffer.from(line.buffer, 0, n).toString('latin1');
    const r = decodeLineText(s, nodeNatives);
    if (!r.ok) return error(out, r.reason, r.id);
    const payload = r.payload.slice();
    const item: LinkMsg = { kind: 'msg', type: r.type, id: r.id, payload };
    if (decodePayloads) {
      const d = decodePayload(r.type, payload);
      if (!d.ok) return error(out, d.reason, r.id, r.type);
      item.msg = d.msg;
    }
    stats.msgs++;
    out.push(item);
  }

  function pushText(out: LinkItem[], bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    stats.textBytes += bytes.length;
    const s = text.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (s.length === 0) return;
    const last = out[out.length - 1];
    if (last !== undefined && last.kind === 'text') last.text += s;
    else out.push({ kind: 'text', text: s });
  }

  function push(chunk: Uint8Array | string): LinkItem[] {
    const out: LinkItem[] = [];
    let buf: Uint8Array;
    if (typeof chunk === 'string') buf = Buffer.from(chunk, 'utf8');
    else if (chunk instanceof Uint8Array) buf = chunk;
    else return out;
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (mode === TEXT) {
        const j = buf.indexOf(SOH, i);
        if (j < 0) {
          pushText(out, buf.subarray(i));
          break;
        }
        pushText(out, buf.subarray(i, j));
        mode = LINE;
        lineLen = 0;
        i = j + 1;
      } else if (mode === DISCARD) {
        while (i < n && buf[i] !== LF && buf[i] !== SOH) i++;
        if (i < n) {
          mode = TEXT;
          if (buf[i] === LF) i++;
        }
      } else {
        const b = buf[i];
        if (b === LF) {
          endLine(out);
          mode = TEXT;
          i++;
        } else if (B64_BYTE[b] === 1 || (b === CR && (i + 1 >= n || buf[i + 1] === LF))) {
          if (lineLen >= line.length) {
            error(out, 'too long');
            mode = DISCARD;
          } else {
            line[lineLen++] = b;
            i++;
          }
        } else {
          // not a base64 byte: the line is cut (reboot, noise); this byte starts text again (or a new line)
          error(out, 'garbage');
          mode = TEXT;
        }
      }
    }
    return out;
  }

  return { push, stats };
}

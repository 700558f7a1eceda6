/**
 * The packet inspector behind `meshwork decode`: a captured frame (bytes) and optionally a key file in,
 * a plain report out — header fields, which checks passed, and the payload (CBOR decoded with cbor-x, or
 * the fragment header for fragments). Uses the same shared/ code as the node, over @noble AES.
 * The report never contains key material.
 */
import { decode as cborDecode } from 'cbor-x';
import * as lib from '../shared/index.ts';
import { Flag, FrameStatus, statusText } from '../shared/frame.ts';
import { FRAG_FIRST_HEADER_BYTES, FRAG_HEADER_BYTES } from '../shared/fragmenter.ts';
import { createNobleAes } from './crypto/aes-noble.ts';
import type { KeyFile } from './keyfile.ts';

const TYPE_NAMES: Record<number, string> = { 1: 'data', 2: 'ack', 3: 'beacon', 4: 'route', 5: 'control' };
const FLAG_NAMES: [number, string][] = [[Flag.Frag, 'frag'], [Flag.AckReq, 'ack-req'], [Flag.NoRelay, 'no-relay']];

export interface FrameReport {
  length: number;
  decode: string;
  header?: Record<string, unknown>;
  headerTag?: string;
  frameTag?: string;
  payloadHex?: string;
  payload?: unknown;
  fragment?: Record<string, number>;
  payloadError?: string;
}

const hexId = (n: number) => n.toString(16).padStart(8, '0');

/** Parse hex (spaces, colons allowed) or base64 text into bytes, or say why not. */
export function parseFrameText(text: string): { ok: true; bytes: Uint8Array } | { ok: false; reason: string } {
  const t = text.trim();
  const hex = t.replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (hex.length > 0 && /^[0-9a-fA-F]+$/.test(hex)) {
    if (hex.length % 2) return { ok: false, reason: 'odd number of hex digits' };
    return { ok: true, bytes: new Uint8Array(Buffer.from(hex, 'hex')) };
  }
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return { ok: true, bytes: new Uint8Array(Buffer.from(t, 'base64')) };
  return { ok: false, reason: 'not hex or base64' };
}

export function inspectFrame(frame: Uint8Array, keyFile?: KeyFile): FrameReport {
  const h = lib.newHeader();
  const st = lib.decodeHeader(frame, frame.length, h);
  const report: FrameReport = { length: frame.length, decode: statusText(st) };
  if (st === FrameStatus.TooShort || st === FrameStatus.TooLong || st === FrameStatus.BadVersion) return report;
  report.header = {
    version: h.version, type: TYPE_NAMES[h.type] ?? h.type, flags: FLAG_NAMES.filter(([b]) => h.flags & b).map(([, n]) => n),
    hopLimit: h.hopLimit, hopStart: h.hopStart, hopsTaken: h.hopStart - h.hopLimit, epoch: h.epoch,
    src: hexId(h.src), dst: h.dst === 0xffffffff ? 'broadcast' : hexId(h.dst), seq: h.seq,
    prevHop: h.prevHop.toString(16).padStart(4, '0'), payloadLen: h.payloadLen,
  };
  if (st !== FrameStatus.Ok || !keyFile) {
    if (!keyFile && st === FrameStatus.Ok) report.headerTag = report.frameTag = 'not checked (no key file given)';
    return report;
  }
  const aes = createNobleAes();
  const keys = lib.createKeyring({ capacity: keyFile.epochs.length })({ aes });
  for (const e of keyFile.epochs) keys.set(e.epoch, e.key);
  const seal = lib.createFrameSeal()({ aes, keys });
  const ht = seal.verifyHeaderTag(frame, h);
  report.headerTag = ht === FrameStatus.Ok ? 'ok' : statusText(ht);
  if (ht !== FrameStatus.Ok) return report;
  const out = new Uint8Array(h.payloadLen);
  const ot = seal.open(frame, h, out);
  report.frameTag = ot === FrameStatus.Ok ? 'ok' : statusText(ot);
  if (ot !== FrameStatus.Ok) return report;
  report.payloadHex = Buffer.from(out).toString('hex');
  let body = out;
  if (h.flags & Flag.Frag) {
    if (out.length < FRAG_HEADER_BYTES) { report.payloadError = 'fragment shorter than its header'; return report; }
    const fr: Record<string, number> = { msgId: (out[0] << 8) | out[1], index: out[2], count: out[3] };
    if (out[2] === 0 && out.length >= FRAG_FIRST_HEADER_BYTES) {
      fr.totalLength = (out[4] << 8) | out[5];
      fr.crc32 = ((out[6] << 24) | (out[7] << 16) | (out[8] << 8) | out[9]) >>> 0;
    }
    report.fragment = fr;
    if (!(out[2] === 0 && out[3] === 1)) return report; // a piece of a longer message: nothing to decode alone
    body = out.subarray(FRAG_FIRST_HEADER_BYTES);
  }
  if (body.length === 0) return report;
  try {
    report.payload = cborDecode(body);
  } catch (e) {
    report.payloadError = `payload is not CBOR: ${(e as Error).message}`;
  }
  return report;
}

/** Human-readable lines for a report. */
export function formatReport(r: FrameReport): string {
  const lines = [`frame: ${r.length} bytes, ${r.decode}`];
  if (r.header) for (const [k, v] of Object.entries(r.header)) lines.push(`  ${k.padEnd(10)} ${Array.isArray(v) ? v.join(',') || '-' : v}`);
  if (r.headerTag) lines.push(`header tag: ${r.headerTag}`);
  if (r.frameTag) lines.push(`frame tag:  ${r.frameTag}`);
  if (r.fragment) lines.push(`fragment:   ${JSON.stringify(r.fragment)}`);
  if (r.payloadHex !== undefined) lines.push(`payload hex: ${r.payloadHex || '(empty)'}`);
  if (r.payload !== undefined) lines.push(`payload: ${JSON.stringify(r.payload, (_k, v) => (v instanceof Uint8Array ? `h'${Buffer.from(v).toString('hex')}'` : v))}`);
  if (r.payloadError) lines.push(`payload: ${r.payloadError}`);
  return lines.join('\n');
}

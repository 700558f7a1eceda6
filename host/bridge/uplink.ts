/**
 * Uplink: one frame heard by the gateway → verified, decrypted, deduplicated → the publications for it.
 * Pure (no I/O): the bridge queues what this returns (disk-queue.ts) and the publisher sends it.
 *
 * Checks, in order, with the real protocol core (shared/): header decode and bounds; replay window per
 * (source, epoch) (copies relayed by several neighbours arrive many times: the first verified one wins);
 * both tags (header tag and end-to-end frame tag) with the network key; then decryption. Nothing that fails
 * a check is published, not even raw. Control frames (beacons, route adverts, hop acks, e2e acks) are
 * counted, not published: they are one-hop routing chatter. Fragments are reassembled (shared/reassembly.ts)
 * and the message is published with the frame that completed it; each fragment is published raw.
 *
 * Keys: the keyring holds derived subkeys only; nothing here ever writes a key or a subkey anywhere.
 */
import { Encoder } from 'cbor-x';
import { createHash } from 'node:crypto';
import { decodeHeader, newHeader, Flag, FrameStatus, FrameType, MAX_PAYLOAD_LEN, BROADCAST } from '../../shared/frame.ts';
import { createFrameSeal } from '../../shared/frame-seal.ts';
import { createKeyring } from '../../shared/keyring.ts';
import { createReplayWindow } from '../../shared/replay-window.ts';
import { createReassembly, COMPLETE } from '../../shared/reassembly.ts';
import { FRAG_MAX_MESSAGE } from '../../shared/fragmenter.ts';
import { createAppMessages } from '../../shared/app-messages.ts';
import { createCbor } from '../../shared/cbor.ts';
import { createNobleAes } from '../crypto/aes-noble.ts';
import { nodeCborText } from '../cbor-text.ts';
import { crc32 } from '../crc32.ts';
import type { KeyFile } from '../keyfile.ts';
import { hexId, KIND_NAMES, type Topics } from './topics.ts';

export interface Publication { topic: string; payload: Buffer }
export interface FrameKey { src: number; epoch: number; seq: number }
export interface UplinkRecord { key: FrameKey; pubs: Publication[] }

export interface UplinkCounters {
  heard: number; published: number; invalid: number; duplicate: number; control: number; fragments: number;
}

export interface UplinkInit {
  keyFile: KeyFile;
  topics: Topics;
  mesh: string;
  bridgeId: string;
  /** also publish the CBOR envelope (default true) */
  cbor?: boolean;
  /** sources tracked by the replay window (default 4096) */
  sources?: number;
}

export interface Uplink {
  /** a frame heard; null when nothing is to be published (invalid, duplicate, control, partial fragment…) */
  handle(rssi: number, frame: Uint8Array, gateway: number, nowMs: number): UplinkRecord | null;
  /**
   * Mark a frame as already published by someone else (a peer bridge's raw publication): verified like a
   * heard frame, then only its key is remembered. True when it verified.
   */
  markSeen(frame: Uint8Array): FrameKey | null;
  /** remember a payload this bridge sent into the mesh for another mesh, so it is never sent back (loops) */
  noteInjected(payload: Uint8Array, via: string[], nowMs: number): void;
  /** verify and decrypt a frame of this mesh for a mesh link (replay window applies); null when it fails */
  openPayload(frame: Uint8Array): { key: FrameKey; payload: Uint8Array; frag: boolean } | null;
  /** true when this uplink published this application payload in the last two minutes (loop guard) */
  published(payload: Uint8Array, nowMs: number): boolean;
  readonly counters: UplinkCounters;
}

export const keyString = (k: FrameKey): string => `${k.src}:${k.epoch}:${k.seq}`;

const cborx = new Encoder({ useRecords: false, tagUint8Array: false, variableMapSize: true });
const INJECT_MEMORY_MS = 120_000;

function payloadHash(p: Uint8Array): string {
  return createHash('sha256').update(p).digest('base64').slice(0, 22);
}

function dstText(d: number): string {
  return d === BROADCAST ? 'all' : d === 0xfffffffe ? 'gateway' : hexId(d);
}

export function createUplink(init: UplinkInit): Uplink {
  const aes = createNobleAes();
  const kf = init.keyFile;
  const keys = createKeyring({ capacity: Math.max(1, kf.epochs.length) })({ aes });
  for (const e of kf.epochs) keys.set(e.epoch, e.key);
  const seal = createFrameSeal()({ aes, keys });
  const replay = createReplayWindow({ sources: init.sources ?? 4096 });
  const reasm = createReassembly({ slots: 64, maxMessageBytes: FRAG_MAX_MESSAGE, timeoutMs: 30_000 })({ crc32 });
  const app = createAppMessages({})({ cbor: createCbor()(nodeCborText()) });
  const h = newHeader();
  const pay = new Uint8Array(MAX_PAYLOAD_LEN);
  const injected = new Map<string, { via: string[]; until: number }>();
  const recent = new Map<string, { via: string[]; until: number }>();
  function remember(m: Map<string, { via: string[]; until: number }>, p: Uint8Array, nowMs: number, via: string[] = []): void {
    // insertion order = age order: the oldest go first once the map is full
    while (m.size >= 8192) m.delete(m.keys().next().value as string);
    m.set(payloadHash(p), { via, until: nowMs + INJECT_MEMORY_MS });
  }
  const counters: UplinkCounters = { heard: 0, published: 0, invalid: 0, duplicate: 0, control: 0, fragments: 0 };
  const withCbor = init.cbor !== false;
  const T = init.topics;

  /** decode + replay check + both tags + decrypt into pay; a FrameStatus */
  function open(frame: Uint8Array): number {
    const st = decodeHeader(frame, frame.length, h);
    if (st !== FrameStatus.Ok) return st;
    if (!replay.check(h.src, h.epoch, h.seq)) return FrameStatus.Duplicate;
    const o = seal.open(frame, h, pay);
    if (o !== FrameStatus.Ok) return o;
    replay.accept(h.src, h.epoch, h.seq);
    return FrameStatus.Ok;
  }

  function envelope(frame: Uint8Array, message: Uint8Array, rssi: number, gateway: number, nowMs: number): { kind: string; env: Record<string, unknown> } {
    const d = app.decode(message);
    const kind = d.ok ? KIND_NAMES[d.msg.t] ?? 'data' : 'data';
    const inj = injected.get(payloadHash(message));
    const env: Record<string, unknown> = {
      v: 1, mesh: init.mesh, src: hexId(h.src), dst: dstText(h.dst), seq: h.seq, epoch: h.epoch,
      hops: h.hopStart - h.hopLimit, rssi, gw: hexId(gateway), bridge: init.bridgeId, at: new Date(nowMs).toISOString(),
      kind, frame: Buffer.from(frame).toString('base64'),
    };
    if (inj && inj.until > nowMs) { env.via = inj.via.concat([init.mesh]); env.injected = true; }
    else remember(recent, message, nowMs);
    if (d.ok) env.msg = d.msg;
    return { kind, env };
  }

  function handle(rssi: number, frame: Uint8Array, gateway: number, nowMs: number): UplinkRecord | null {
    counters.heard++;
    const st = open(frame);
    if (st === FrameStatus.Duplicate) { counters.duplicate++; return null; }
    if (st !== FrameStatus.Ok) { counters.invalid++; return null; }
    if (h.type !== FrameType.Data) { counters.control++; return null; }
    const key: FrameKey = { src: h.src, epoch: h.epoch, seq: h.seq };
    const pubs: Publication[] = [{ topic: T.raw(h.src), payload: Buffer.from(frame) }];
    let message: Uint8Array | null = pay.subarray(0, h.payloadLen);
    if (h.flags & Flag.Frag) {
      counters.fragments++;
      reasm.tick(nowMs);
      message = reasm.accept(h.src, message, nowMs) === COMPLETE ? reasm.message() : null;
    }
    if (message) {
      const { kind, env } = envelope(frame, message, rssi, gateway, nowMs);
      const json = { ...env, ...(kind === 'data' ? { payload: Buffer.from(message).toString('base64') } : {}) };
      pubs.push({ topic: T.json(h.src, kind), payload: Buffer.from(JSON.stringify(json)) });
      if (withCbor) {
        const c = { ...env, ...(kind === 'data' ? { payload: Buffer.from(message) } : {}) };
        pubs.push({ topic: T.cbor(h.src, kind), payload: Buffer.from(cborx.encode(c)) });
      }
    }
    counters.published++;
    return { key, pubs };
  }

  function markSeen(frame: Uint8Array): FrameKey | null {
    const st = open(frame);
    if (st !== FrameStatus.Ok && st !== FrameStatus.Duplicate) return null;
    return { src: h.src, epoch: h.epoch, seq: h.seq };
  }

  function noteInjected(payload: Uint8Array, via: string[], nowMs: number): void {
    remember(injected, payload, nowMs, via);
  }

  function openPayload(frame: Uint8Array): { key: FrameKey; payload: Uint8Array; frag: boolean } | null {
    if (open(frame) !== FrameStatus.Ok || h.type !== FrameType.Data) return null;
    return { key: { src: h.src, epoch: h.epoch, seq: h.seq }, payload: pay.slice(0, h.payloadLen), frag: (h.flags & Flag.Frag) !== 0 };
  }

  function published(payload: Uint8Array, nowMs: number): boolean {
    const r = recent.get(payloadHash(payload));
    return !!r && r.until > nowMs;
  }

  return { handle, markSeen, noteInjected, openPayload, published, counters };
}

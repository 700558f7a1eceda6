/**
 * Downlink: MQTT → mesh, safely (issue 6; Meshtastic's failures #8634/#8636 in ANCHORS.md §3.3).
 *
 * A command on <root>/cmd/<dst|all> is sent into the mesh only when ALL hold:
 *  1. authorised: its publisher is on this bridge's allow-list (client id or username; known only with the
 *     embedded broker, which tells the bridge who published), or it carries a valid signature
 *     (command-sign.ts) with a fresh timestamp and an unseen nonce;
 *  2. well formed: an application message (shared/app-messages.ts schema) or a base64 payload that fits;
 *     hop limit ≤ the bridge's maxHops (default 0: zero-hop, the gateway's neighbours only, never a flood);
 *  3. within rate: one token from the bridge's bucket and one from the destination's (token-bucket.ts).
 * Every refusal is logged (reason, topic; never the payload) and counted. What is sent is remembered by the
 * uplink (noteInjected) so that its echo is marked and never carried to another mesh again.
 */
import { Encoder } from 'cbor-x';
import type { AppMessage } from '../../shared/app-messages.ts';
import { createAppMessages } from '../../shared/app-messages.ts';
import { createCbor } from '../../shared/cbor.ts';
import { FRAG_MAX_MESSAGE } from '../../shared/fragmenter.ts';
import { nodeCborText } from '../cbor-text.ts';
import { parseCommand } from './command-sign.ts';
import type { GatewayLink } from './gateway-link.ts';
import { createBucket, createBucketMap } from './token-bucket.ts';
import type { Topics } from './topics.ts';

export interface DownlinkInit {
  topics: Topics;
  /** downlink key for signed commands; null = only allow-listed publishers (embedded broker) */
  key: Uint8Array | null;
  /** client ids or usernames whose unsigned commands are accepted (embedded broker only) */
  allow: string[];
  bridgeRatePerSec?: number; bridgeBurst?: number; dstRatePerSec?: number; dstBurst?: number;
  /** largest hop limit a command may ask for (default 0) */
  maxHops?: number;
  /** accepted clock skew of a signed command's ts (default 120 s) */
  maxSkewMs?: number;
}

export interface DownlinkComponents {
  gateway(): GatewayLink | null;
  log(level: 'info' | 'warn', event: string, detail: Record<string, unknown>): void;
  injected(payload: Uint8Array, via: string[]): void;
  now(): number;
}

export interface Publisher { clientId?: string; username?: string }
export interface DownlinkCounters { accepted: number; sent: number; rejectedAuth: number; rejectedRate: number; rejectedBad: number; sendFailed: number }

export interface Downlink {
  /**
   * Check (auth, form, rate) now and, when accepted, send in the background (`done` settles with the
   * gateway's reply). The embedded broker calls this from its publish hook, so a refused command is
   * never even delivered to other subscribers.
   */
  handle(topic: string, payload: Uint8Array, publisher: Publisher | null): { ok: boolean; reason?: string; done?: Promise<{ ok: boolean; reason?: string }> };
  /** mesh-to-mesh: send a payload from another mesh (already verified with that mesh's key) */
  inject(payload: Uint8Array, via: string[], hops: number): Promise<{ ok: boolean; reason?: string }>;
  readonly counters: DownlinkCounters;
}

const cborx = new Encoder({ useRecords: false, tagUint8Array: false, variableMapSize: true });

export function createDownlink(init: DownlinkInit): (c: DownlinkComponents) => Downlink {
  return function (c) {
    const T = init.topics;
    const allow = new Set(init.allow);
    const bridgeBucket = createBucket(init.bridgeRatePerSec ?? 2, init.bridgeBurst ?? 5);
    const dstBuckets = createBucketMap(init.dstRatePerSec ?? 0.5, init.dstBurst ?? 2);
    const maxHops = init.maxHops ?? 0;
    const skew = init.maxSkewMs ?? 120_000;
    const nonces = new Map<string, number>();
    const app = createAppMessages({})({ cbor: createCbor()(nodeCborText()) });
    const counters: DownlinkCounters = { accepted: 0, sent: 0, rejectedAuth: 0, rejectedRate: 0, rejectedBad: 0, sendFailed: 0 };

    function refuse(kind: 'auth' | 'bad' | 'rate', topic: string, reason: string, who: Publisher | null): { ok: false; reason: string } {
      if (kind === 'auth') counters.rejectedAuth++;
      else if (kind === 'rate') counters.rejectedRate++;
      else counters.rejectedBad++;
      c.log('warn', 'downlink-rejected', { topic, reason, kind, client: who?.clientId, user: who?.username });
      return { ok: false, reason };
    }

    type Checked = { ok: true; dst: number; payload: Uint8Array; hops: number; ack: boolean } | { ok: false; reason: string };

    /** steps 1 and 2 (no tokens taken) */
    function check(topic: string, raw: Uint8Array, who: Publisher | null): Checked {
      const dst = T.cmdTarget(topic);
      if (dst < 0) return refuse('bad', topic, 'not a command topic of this mesh', who);
      const p = parseCommand(raw, topic, init.key);
      if (!p.ok) return refuse(p.reason.includes('signature') || p.reason.includes('downlink key') ? 'auth' : 'bad', topic, p.reason, who);
      const cmd = p.cmd;
      if (!p.signed) {
        const listed = !!who && ((who.clientId !== undefined && allow.has(who.clientId)) || (who.username !== undefined && allow.has(who.username)));
        if (!listed) return refuse('auth', topic, who ? 'publisher not on the allow-list and command not signed' : 'command not signed', who);
      } else {
        const now = c.now();
        const ts = cmd.ts;
        const n = cmd.n;
        if (typeof ts !== 'number' || Math.abs(now - ts) > skew) return refuse('auth', topic, 'signed command too old or from the future (ts)', who);
        if (typeof n !== 'string' && typeof n !== 'number') return refuse('auth', topic, 'signed command without a nonce (n)', who);
        const nk = `${ts}:${n}`;
        if (nonces.has(nk)) return refuse('auth', topic, 'replayed command (nonce seen)', who);
        if (nonces.size > 10000) for (const [k, t] of nonces) if (Math.abs(now - t) > skew) nonces.delete(k);
        nonces.set(nk, ts);
      }
      const hops = cmd.h === undefined ? 0 : cmd.h;
      if (typeof hops !== 'number' || !Number.isInteger(hops) || hops < 0 || hops > maxHops) {
        return refuse('bad', topic, `hop limit must be an integer 0..${maxHops} (this bridge's maxHops)`, who);
      }
      let payload: Uint8Array;
      if (cmd.msg !== undefined) {
        try { payload = app.encode(cmd.msg as AppMessage); } catch (e) { return refuse('bad', topic, `msg: ${(e as Error).message}`, who); }
      } else if (typeof cmd.p === 'string') {
        payload = new Uint8Array(Buffer.from(cmd.p, 'base64'));
      } else if (cmd.json !== undefined) {
        payload = new Uint8Array(cborx.encode(cmd.json));
      } else return refuse('bad', topic, 'a command needs msg (app message), p (base64) or json', who);
      if (payload.length === 0 || payload.length > FRAG_MAX_MESSAGE) return refuse('bad', topic, `payload must be 1..${FRAG_MAX_MESSAGE} bytes`, who);
      return { ok: true, dst, payload, hops, ack: cmd.a === 1 || cmd.a === true };
    }

    function rate(dst: number, topic: string, who: Publisher | null): boolean {
      const now = c.now();
      // the destination bucket first: a flood at one node must not drain the bridge's bucket for others
      if (!dstBuckets.take(dst, now)) { refuse('rate', topic, 'destination rate exceeded', who); return false; }
      if (!bridgeBucket.take(now)) { refuse('rate', topic, 'bridge rate exceeded', who); return false; }
      return true;
    }

    async function send(dst: number, payload: Uint8Array, hops: number, ack: boolean, via: string[], topic: string): Promise<{ ok: boolean; reason?: string }> {
      const g = c.gateway();
      if (!g) { counters.sendFailed++; c.log('warn', 'downlink-failed', { topic, reason: 'no gateway attached' }); return { ok: false, reason: 'no gateway attached' }; }
      c.injected(payload, via);
      const r = await g.send(dst, payload, { hopLimit: hops, ack });
      if (r.ok) counters.sent++;
      else { counters.sendFailed++; c.log('warn', 'downlink-failed', { topic, reason: r.err }); }
      return r.ok ? { ok: true } : { ok: false, reason: r.err };
    }

    return {
      counters,
      handle(topic, raw, who) {
        const r = check(topic, raw, who);
        if (!r.ok) return r;
        if (!rate(r.dst, topic, who)) return { ok: false, reason: 'rate' };
        counters.accepted++;
        c.log('info', 'downlink', { topic, dst: r.dst.toString(16), hops: r.hops, bytes: r.payload.length, client: who?.clientId });
        return { ok: true, done: send(r.dst, r.payload, r.hops, r.ack, [], topic) };
      },
      async inject(payload, via, hops) {
        const topic = `link from ${via.join(',')}`;
        if (!rate(0xffffffff, topic, null)) return { ok: false, reason: 'rate' };
        counters.accepted++;
        return send(0xffffffff, payload, Math.min(hops, maxHops), false, via, topic);
      },
    };
  };
}

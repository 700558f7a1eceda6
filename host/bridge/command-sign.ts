/**
 * Signed downlink commands: the general way to authorise a command on any broker (the bridge cannot see who
 * published on an external broker). Payload on <root>/cmd/<dst>:
 *
 *   {"c": "<the command as JSON text>", "sig": "<hex HMAC-SHA256(K_dl, topic | 0x0a | c), first 16 bytes>"}
 *   command c: {"ts": ms since 1970, "n": nonce (string ≤ 64), "msg": {app message} | "p": "base64 payload",
 *               "h"?: hop limit (default 0), "a"?: 1 ack}
 *
 * The topic is signed so a command cannot be moved to another node; ts (±maxSkewMs) and the nonce (kept
 * for the skew window) stop replays. K_dl is a separate downlink key file (--downlink-key, 64 hex) or,
 * by default, derived from the current network key: HMAC-SHA256(NK, "meshwork downlink v1"), so whoever
 * may seal frames for the mesh may also command its bridges, and nobody else.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { readFileSync } from 'node:fs';
import type { KeyFile } from '../keyfile.ts';

export const SIG_LEN = 16;

export function deriveDownlinkKey(kf: KeyFile): Uint8Array {
  const e = kf.epochs.find((x) => x.epoch === kf.current)!;
  return hmac(sha256, e.key, new TextEncoder().encode('meshwork downlink v1'));
}

export function readDownlinkKey(path: string): { ok: true; key: Uint8Array } | { ok: false; reason: string } {
  let t: string;
  try { t = readFileSync(path, 'utf8').trim(); } catch (e) { return { ok: false, reason: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code}` }; }
  if (!/^[0-9a-f]{32,128}$/i.test(t) || t.length % 2) return { ok: false, reason: `${path}: a downlink key file holds 32 to 128 hex digits` };
  return { ok: true, key: new Uint8Array(Buffer.from(t, 'hex')) };
}

function mac(key: Uint8Array, topic: string, c: string): Uint8Array {
  return hmac(sha256, key, Buffer.from(topic + '\n' + c, 'utf8')).subarray(0, SIG_LEN);
}

/** Build a signed command payload (what an operator's tool publishes). */
export function signCommand(key: Uint8Array, topic: string, cmd: Record<string, unknown>): string {
  const c = JSON.stringify(cmd);
  return JSON.stringify({ c, sig: Buffer.from(mac(key, topic, c)).toString('hex') });
}

export type ParsedCommand = { ok: true; cmd: Record<string, unknown>; signed: boolean } | { ok: false; reason: string };

/**
 * Parse a command payload; with `key`, check its signature (constant-time compare). A payload without
 * `sig` parses as unsigned ({signed:false}): only allow-listed publishers may use that form.
 */
export function parseCommand(payload: Uint8Array, topic: string, key: Uint8Array | null): ParsedCommand {
  let j: unknown;
  try { j = JSON.parse(Buffer.from(payload).toString('utf8')); } catch { return { ok: false, reason: 'not JSON' }; }
  if (!j || typeof j !== 'object' || Array.isArray(j)) return { ok: false, reason: 'not a JSON object' };
  const o = j as Record<string, unknown>;
  if (typeof o.c === 'string' && typeof o.sig === 'string') {
    if (!key) return { ok: false, reason: 'signed command but this bridge has no downlink key' };
    if (!/^[0-9a-f]+$/i.test(o.sig) || o.sig.length !== SIG_LEN * 2) return { ok: false, reason: 'bad signature format' };
    const want = mac(key, topic, o.c);
    const got = Buffer.from(o.sig, 'hex');
    let d = 0;
    for (let i = 0; i < SIG_LEN; i++) d |= want[i] ^ got[i];
    if (d !== 0) return { ok: false, reason: 'bad signature' };
    let c: unknown;
    try { c = JSON.parse(o.c); } catch { return { ok: false, reason: 'signed command is not JSON' }; }
    if (!c || typeof c !== 'object' || Array.isArray(c)) return { ok: false, reason: 'signed command is not an object' };
    return { ok: true, cmd: c as Record<string, unknown>, signed: true };
  }
  return { ok: true, cmd: o, signed: false };
}

/**
 * Claims: two bridges on one broker and one mesh never publish the same frame twice.
 *
 * Both gateways hear the frame; both bridges queue it. Before publishing, each bridge publishes a CLAIM for
 * the frame's key (source, epoch, seq) on <root>/bridge/claims, batched (many keys per message, every
 * few ms), and subscribes to that topic itself. A broker delivers the messages of one topic to every
 * subscriber in the one order it processed them (mosquitto and aedes are single-threaded per topic), so
 * every bridge sees the same FIRST claim for a key. When a bridge sees its own claim come back, it knows
 * every claim before it: if the first claim for the key is its own it publishes, otherwise it stands by.
 * No clocks, no waiting window: the decision costs one round trip to the broker.
 *
 * Standing by is not forgetting: the loser keeps the record until it sees the frame on the raw topic
 * (published by the winner), and publishes it itself after takeoverMs if it never does (the winner died
 * between claim and publish). A claim whose echo does not come back (connection lost) is claimed again.
 * A frame a bridge hears after it was already published is dropped earlier: the raw topic feeds the
 * uplink's replay window (uplink.markSeen).
 */
import type { FrameKey } from './uplink.ts';
import { keyString } from './uplink.ts';

export interface ClaimsInit { bridgeId: string; echoTimeoutMs?: number; takeoverMs?: number; batchMs?: number; batchMax?: number }
export interface ClaimsComponents {
  publishClaims(batch: Buffer): void;
  /** we won (or took over): publish the record */
  publish(id: number): void;
  /** someone else published it: the record is done */
  done(id: number): void;
  /** put the record back in the queue (claim again later) */
  retry(id: number): void;
  /**
   * we lost the claim and stand by: the record no longer counts toward the publisher's window (two bridges
   * whose windows filled with records each waits on the other to publish would stall until takeoverMs)
   */
  standby(id: number): void;
  now(): number;
}

export interface Claims {
  add(id: number, key: FrameKey): void;
  onClaims(payload: Buffer): void;
  onRawSeen(key: FrameKey): void;
  /** the broker connection was lost: claims in flight are void */
  onDisconnect(): void;
  /** records this object holds (claimed or standing by) */
  holding(): number;
  close(): void;
  readonly counters: { won: number; lost: number; takeovers: number; reclaimed: number };
}

function encode(bridgeId: string, keys: FrameKey[]): Buffer {
  const id = Buffer.from(bridgeId);
  const b = Buffer.allocUnsafe(1 + id.length + 2 + keys.length * 9);
  b[0] = id.length;
  id.copy(b, 1);
  let o = 1 + id.length;
  b.writeUInt16BE(keys.length, o); o += 2;
  for (const k of keys) { b.writeUInt32BE(k.src >>> 0, o); b[o + 4] = k.epoch; b.writeUInt32BE(k.seq >>> 0, o + 5); o += 9; }
  return b;
}

function decode(b: Buffer): { bridge: string; keys: string[] } | null {
  if (b.length < 3) return null;
  const n = b[0];
  if (b.length < 1 + n + 2) return null;
  const bridge = b.toString('utf8', 1, 1 + n);
  const count = b.readUInt16BE(1 + n);
  let o = 3 + n;
  if (b.length !== o + count * 9) return null;
  const keys: string[] = [];
  for (let i = 0; i < count; i++, o += 9) keys.push(`${b.readUInt32BE(o)}:${b[o + 4]}:${b.readUInt32BE(o + 5)}`);
  return { bridge, keys };
}

export function createClaims(init: ClaimsInit): (c: ClaimsComponents) => Claims {
  return function (c) {
    const me = init.bridgeId;
    const echoTimeout = init.echoTimeoutMs ?? 5000;
    const takeover = init.takeoverMs ?? 10_000;
    const batchMax = init.batchMax ?? 500;
    /** first claimant per key, with when we saw it (pruned after a while) */
    const first = new Map<string, { bridge: string; at: number }>();
    /** our claims not echoed yet: key → record id, claimed at */
    const claimed = new Map<string, { id: number; at: number }>();
    /** lost claims: key → record id, give up waiting at */
    const standby = new Map<string, { id: number; until: number }>();
    let batch: FrameKey[] = [];
    let batchIds: number[] = [];
    const counters = { won: 0, lost: 0, takeovers: 0, reclaimed: 0 };

    function flush(): void {
      if (!batch.length) return;
      const now = c.now();
      for (let i = 0; i < batch.length; i++) claimed.set(keyString(batch[i]), { id: batchIds[i], at: now });
      c.publishClaims(encode(me, batch));
      batch = [];
      batchIds = [];
    }

    function tick(): void {
      flush();
      const now = c.now();
      for (const [k, v] of claimed) {
        if (now - v.at < echoTimeout) break; // insertion order = claim order
        claimed.delete(k);
        counters.reclaimed++;
        c.retry(v.id);
      }
      for (const [k, v] of standby) {
        if (v.until > now) continue;
        standby.delete(k);
        counters.takeovers++;
        c.publish(v.id);
      }
      // a claim matters for one echo round trip (echoTimeoutMs); kept 30 s, then forgotten
      for (const [k, v] of first) { if (now - v.at < 30_000) break; first.delete(k); }
    }
    const timer = setInterval(tick, init.batchMs ?? 5);
    timer.unref();

    return {
      counters,
      add(id, key) {
        batch.push(key);
        batchIds.push(id);
        if (batch.length >= batchMax) flush();
      },
      onClaims(payload) {
        const d = decode(payload);
        if (!d) return;
        const now = c.now();
        for (const k of d.keys) {
          if (!first.has(k)) first.set(k, { bridge: d.bridge, at: now });
          if (d.bridge !== me) continue;
          const mine = claimed.get(k);
          if (!mine) continue;
          claimed.delete(k);
          if (first.get(k)!.bridge === me) { counters.won++; c.publish(mine.id); }
          else { counters.lost++; standby.set(k, { id: mine.id, until: now + takeover }); c.standby(mine.id); }
        }
      },
      onRawSeen(key) {
        const k = keyString(key);
        const s = standby.get(k);
        if (s) { standby.delete(k); c.done(s.id); }
        // a claim of ours still in flight for a frame already out: nothing to publish
        const m = claimed.get(k);
        if (m) { claimed.delete(k); c.done(m.id); }
      },
      onDisconnect() {
        for (const id of batchIds) c.retry(id);
        counters.reclaimed += batchIds.length;
        batch = [];
        batchIds = [];
        for (const v of claimed.values()) c.retry(v.id);
        counters.reclaimed += claimed.size;
        claimed.clear();
      },
      holding: () => claimed.size + standby.size + batch.length,
      close() { clearInterval(timer); },
    };
  };
}

/**
 * Token buckets for the downlink: one per bridge and one per destination (issue 6: "rate-limited per bridge
 * and per destination"). A bucket holds up to `burst` tokens and refills at `ratePerSec`; a message takes
 * one token or is refused. Per-destination buckets live in a bounded map (oldest evicted first: an evicted
 * bucket comes back full, which is at most one extra burst for a destination unseen for a while).
 */
export interface Bucket { take(nowMs: number): boolean; tokens(nowMs: number): number }

export function createBucket(ratePerSec: number, burst: number): Bucket {
  let tokens = burst;
  let at = -1;
  function refill(now: number): void {
    if (at < 0) at = now;
    tokens = Math.min(burst, tokens + ((now - at) * ratePerSec) / 1000);
    at = now;
  }
  return {
    take(now) {
      refill(now);
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    tokens(now) { refill(now); return tokens; },
  };
}

export interface BucketMap { take(key: number, nowMs: number): boolean }

export function createBucketMap(ratePerSec: number, burst: number, capacity = 4096): BucketMap {
  const m = new Map<number, Bucket>();
  return {
    take(key, now) {
      let b = m.get(key);
      if (!b) {
        if (m.size >= capacity) m.delete(m.keys().next().value as number);
        b = createBucket(ratePerSec, burst);
        m.set(key, b);
      }
      return b.take(now);
    },
  };
}

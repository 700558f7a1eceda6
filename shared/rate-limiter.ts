/**
 * Per-source rate limiter: one token bucket per source id, so that one noisy or hostile source cannot
 * make this node relay (or deliver) more than `ratePerSec` frames per second on average, with bursts of
 * up to `burst`. Sources that stay under their rate are never affected by a source that does not.
 *
 * Table: `capacity` slots in three typed arrays (ids, tokens, time of last refill); lookups use the
 * native Uint32Array indexOf (id 0 is never a valid source, frame.ts, so 0 marks a free slot). A new
 * source starts with a full bucket. When the table is full, a slot is reused: among `evictScan` slots
 * from a rotating hand, one whose bucket has refilled to the brim (an idle source: forgetting it loses
 * nothing), else the one refilled least recently (exact LRU when capacity ≤ evictScan). A flooding
 * source refills on every frame and never has a full bucket, so it keeps its empty one. The scan is
 * bounded because a relay in a big mesh sees more sources than it has slots, and misses are then
 * frequent. Cost on the ESP32-like Linux build (callgrind, 32 slots): a hit ~155 k machine instructions
 * (of which ~20-110 k is the native indexOf, ~3.5 k per slot passed), a miss on a full table ~0.4-0.56 M
 * (an exact LRU scan of 32 slots measured ~1 M, twice sealing a frame).
 *
 * What this does not stop: a holder of the network key can forge frames under many source ids, each
 * getting a fresh bucket. A second limiter keyed by the previous hop (frame.ts prevHop) bounds what one
 * neighbour can push through us, whatever sources it claims.
 *
 * Usage: `const rl = createRateLimiter({ capacity: 32, ratePerSec: 2, burst: 8 })`, then
 * `if (!rl.take(h.src, now)) drop()`; `take(src, now, cost)` for weighted costs (e.g. fragments).
 * Time in ms, monotonic; a clock going back refills nothing.
 */

export interface RateLimiterInit {
  /** sources tracked at once (board profile) */
  capacity: number;
  /** long-run tokens per second per source */
  ratePerSec: number;
  /** bucket size: the most tokens a source can spend at once */
  burst: number;
  /** slots looked at per eviction (bounds its cost). Default 4 */
  evictScan?: number;
}

export interface RateLimiter {
  /** spend `cost` tokens (default 1) of u32 `src` at `now`: true if it had them, false (nothing spent) if not */
  take(src: number, now: number, cost?: number): boolean;
  /** tokens `src` has at `now` (burst for an unknown source); does not change the table */
  tokens(src: number, now: number): number;
  /** sources in the table */
  size(): number;
}

const RL_ERROR_PREFIX = 'meshwork/rate-limiter: ';

export function createRateLimiter(init: RateLimiterInit): RateLimiter {
  const cap = init.capacity;
  const perMs = init.ratePerSec / 1000;
  const burst = init.burst;
  const scan = init.evictScan !== undefined ? init.evictScan : 4;
  if (!(cap >= 1 && cap === Math.floor(cap))) throw new Error(RL_ERROR_PREFIX + 'bad capacity');
  if (!(perMs >= 0 && burst >= 0)) throw new Error(RL_ERROR_PREFIX + 'bad rate or burst');
  if (!(scan >= 1)) throw new Error(RL_ERROR_PREFIX + 'bad evictScan');
  const ids = new Uint32Array(cap);
  const tok = new Float64Array(cap);
  const last = new Float64Array(cap);
  let count = 0;
  let hand = 0; // where the next eviction scan starts

  function refilled(i: number, now: number): number {
    const dt = now - last[i];
    if (!(dt > 0)) return tok[i];
    const t = tok[i] + dt * perMs;
    return t > burst ? burst : t;
  }

  /**
   * The slot to reuse when the table is full: among `scan` slots from the hand, the first whose bucket
   * has refilled to the brim (its source was idle long enough that forgetting it changes nothing: it
   * would come back to a full bucket anyway), else the one refilled least recently.
   */
  function victim(now: number): number {
    let best = hand;
    let bestLast = last[hand];
    const steps = scan < cap ? scan : cap;
    let k = hand;
    // ~50 k machine instructions per step on the interpreter: refilled() is inlined
    for (let s = 0; s < steps; s++) {
      const l = last[k];
      if (tok[k] + (now - l) * perMs >= burst) {
        best = k;
        break;
      }
      if (l < bestLast) {
        best = k;
        bestLast = l;
      }
      k = k + 1 === cap ? 0 : k + 1;
    }
    hand = best + 1 === cap ? 0 : best + 1;
    return best;
  }

  return {
    take: function (src: number, now: number, cost?: number): boolean {
      const c = cost === undefined ? 1 : cost;
      let i = ids.indexOf(src);
      if (i >= 0 && i < count) {
        // hit (the common case), refill inlined
        const dt = now - last[i];
        if (dt > 0) {
          const t = tok[i] + dt * perMs;
          tok[i] = t > burst ? burst : t;
          last[i] = now;
        }
      } else {
        if (!(src > 0 && src <= 0xffffffff && src === Math.floor(src))) return false; // never a source (0 marks free slots)
        i = count < cap ? count++ : victim(now);
        ids[i] = src;
        tok[i] = burst;
        last[i] = now;
      }
      if (tok[i] < c) return false;
      tok[i] = tok[i] - c;
      return true;
    },
    tokens: function (src: number, now: number): number {
      const i = ids.indexOf(src);
      return i < 0 || i >= count ? burst : refilled(i, now);
    },
    size: function (): number {
      return count;
    },
  };
}

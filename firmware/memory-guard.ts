/**
 * Low-memory guard. Espruino aborts whatever runs out of JsVars (uncatchable; a timer whose callback ran
 * out is removed for good), so the node sheds optional work well before that: sample process.memory()
 * (without a garbage collection: main.ts calls it from a 1 s interval) and classify.
 *   Ok       — everything runs
 *   Low      — below lowPct free: no traffic summaries, no telemetry, fewer logs (node.ts)
 *   Critical — below criticalPct free: messages for this node are not decoded; relaying goes on (it does
 *              not allocate)
 * Hysteresis (+2 points) keeps the level from flapping around a threshold.
 */
export const enum MemLevel { Ok = 0, Low = 1, Critical = 2 }

export interface MemoryGuard {
  /** feed one sample (free and total JsVars); returns the new level */
  sample(free: number, total: number): number;
  level(): number;
  free(): number;
  /** times the level went up (towards Critical) */
  escalations(): number;
}

export function createMemoryGuard(init: { lowPct?: number; criticalPct?: number }): MemoryGuard {
  const lowPct = init.lowPct !== undefined ? init.lowPct : 15;
  const critPct = init.criticalPct !== undefined ? init.criticalPct : 7;
  let level = 0;
  let lastFree = 0;
  let ups = 0;
  return {
    sample: function (free: number, total: number) {
      lastFree = free;
      const pct = total > 0 ? (free * 100) / total : 100;
      let next = level;
      if (pct < critPct) next = MemLevel.Critical;
      else if (pct < lowPct) next = level === MemLevel.Critical && pct < critPct + 2 ? MemLevel.Critical : MemLevel.Low;
      else if (pct >= lowPct + 2) next = MemLevel.Ok;
      else if (level === MemLevel.Critical) next = MemLevel.Low;
      if (next > level) ups++;
      level = next;
      return level;
    },
    level: function () { return level; },
    free: function () { return lastFree; },
    escalations: function () { return ups; },
  };
}

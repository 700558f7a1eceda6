import type { BoardProfile } from './types.ts';

/**
 * ESP32-C3: 4095 JsVars, the tightest board. It runs the repeater (shared/repeater.ts: flood relay with
 * dedup, authentication, hop clamp, rate limit and airtime governor; no routes, no messages of its own),
 * because the full router node needs ~7,100 JsVars at even the smallest tables (docs/espruino-memory.md).
 * neighbours / routes / reassembly are unused by the repeater; they are kept at the smallest router sizes.
 */
export const board: BoardProfile = {
  name: 'esp32-c3',
  title: 'ESP32-C3 (stock Espruino, Wi-Fi UDP, native crypto, 4095 JsVars)',
  espruinoBoard: 'ESP32C3',
  radio: 'wifi-udp',
  firmware: 'repeater',
  cipher: 'native',
  console: { device: 'USB', baud: 115200 },
  pins: { led: 'D8', button: 'D9' },
  capacities: { neighbours: 12, routes: 24, pending: 4, dedupSlots: 64, replaySources: 16, reassemblySlots: 1, reassemblyMaxBytes: 2048, keyEpochs: 2, linkPayload: 384 },
  // jsVarBudget: the repeater node after boot from Storage on the C3 layout (test/memory-budget.test.ts),
  // with the rest left for traffic and host commands (memLowPct: the guard's own thresholds for 4k)
  budgets: { jsVarsTotal: 4095, jsVarBudget: 3800, bundleBytes: 48 * 1024, memLowPct: 6, memCriticalPct: 3 },
  hopAckTimeoutMs: 250,
  watchdogSec: 10,
  seqPersistBlock: 256,
};

import type { BoardProfile } from './types.ts';

/** ESP32-C3: 4095 JsVars, the tightest board. Smallest tables. */
export const board: BoardProfile = {
  name: 'esp32-c3',
  title: 'ESP32-C3 (stock Espruino, Wi-Fi UDP, native crypto, 4095 JsVars)',
  espruinoBoard: 'ESP32C3',
  radio: 'wifi-udp',
  cipher: 'native',
  console: { device: 'USB', baud: 115200 },
  pins: { led: 'D8', button: 'D9' },
  capacities: { neighbours: 12, routes: 24, pending: 6, dedupSlots: 96, replaySources: 24, reassemblySlots: 1, reassemblyMaxBytes: 2048, keyEpochs: 2 },
  // jsVarBudget: measured 2165 after boot from Storage with the issue-2 core (test/memory-budget.test.ts).
  // The full router node does NOT fit yet: at these capacities it needs ~7,100 JsVars (docs/espruino-memory.md)
  budgets: { jsVarsTotal: 4095, jsVarBudget: 2400, bundleBytes: 96 * 1024 },
  hopAckTimeoutMs: 250,
  watchdogSec: 10,
  seqPersistBlock: 256,
};

import type { BoardProfile } from './types.ts';

/** Classic ESP32 on an Espruino build with an ESP-NOW binding (contract: boards/ESPNOW-BINDING.md). */
export const board: BoardProfile = {
  name: 'esp32-espnow',
  title: 'ESP32 (Espruino with ESP-NOW binding, native crypto)',
  espruinoBoard: 'ESP32',
  radio: 'espnow',
  firmware: 'node',
  cipher: 'native',
  console: { device: 'Serial1', baud: 115200 },
  pins: { led: 'D2', button: 'D0' },
  capacities: { neighbours: 32, routes: 96, pending: 16, dedupSlots: 256, replaySources: 64, reassemblySlots: 4, reassemblyMaxBytes: 4096, keyEpochs: 2, linkPayload: 1536 },
  // jsVarBudget: 7588 measured after boot from Storage, provisioned, + ~10 % (test/memory-budget.test.ts,
  // docs/espruino-memory.md)
  budgets: { jsVarsTotal: 16383, jsVarBudget: 8400, bundleBytes: 96 * 1024, memLowPct: 15, memCriticalPct: 7 },
  hopAckTimeoutMs: 200,
  watchdogSec: 10,
  seqPersistBlock: 256,
};

import type { BoardProfile } from './types.ts';

/** ESP32 on the ESP32_IDF4 build, which has no `crypto` module: the pure-JS AES backend, slow. */
export const board: BoardProfile = {
  name: 'esp32-idf4',
  title: 'ESP32 (Espruino ESP32_IDF4, Wi-Fi UDP, JS AES: no crypto module)',
  espruinoBoard: 'ESP32_IDF4',
  radio: 'wifi-udp',
  firmware: 'node',
  cipher: 'js',
  console: { device: 'Serial1', baud: 115200 },
  pins: { led: 'D2', button: 'D0' },
  capacities: { neighbours: 32, routes: 96, pending: 12, dedupSlots: 256, replaySources: 64, reassemblySlots: 2, reassemblyMaxBytes: 4096, keyEpochs: 2, linkPayload: 1536 },
  // jsVarBudget: 8451 measured after boot from Storage, provisioned, + ~10 % (test/memory-budget.test.ts,
  // docs/espruino-memory.md)
  budgets: { jsVarsTotal: 16383, jsVarBudget: 9300, bundleBytes: 104 * 1024, memLowPct: 15, memCriticalPct: 7 },
  hopAckTimeoutMs: 3000,
  watchdogSec: 10,
  seqPersistBlock: 256,
};

import type { BoardProfile } from './types.ts';

/** Classic ESP32 on stock Espruino: Wi-Fi/UDP radio, native AES from the `crypto` module. */
export const board: BoardProfile = {
  name: 'esp32',
  title: 'ESP32 (stock Espruino, Wi-Fi UDP, native crypto)',
  espruinoBoard: 'ESP32',
  radio: 'wifi-udp',
  firmware: 'node',
  cipher: 'native',
  console: { device: 'Serial1', baud: 115200 },
  pins: { led: 'D2', button: 'D0' },
  capacities: { neighbours: 32, routes: 96, pending: 16, dedupSlots: 256, replaySources: 64, reassemblySlots: 4, reassemblyMaxBytes: 4096, keyEpochs: 2, linkPayload: 1536 },
  // jsVarBudget: 8107 measured after boot from Storage, provisioned, + ~10 % (test/memory-budget.test.ts,
  // docs/espruino-memory.md)
  budgets: { jsVarsTotal: 16383, jsVarBudget: 9000, bundleBytes: 96 * 1024, memLowPct: 15, memCriticalPct: 7 },
  hopAckTimeoutMs: 200,
  watchdogSec: 10,
  seqPersistBlock: 256,
};

import type { BoardProfile } from './types.ts';

/** ESP32-S3 on stock Espruino: Wi-Fi UDP, native crypto, the roomiest heap. */
export const board: BoardProfile = {
  name: 'esp32-s3',
  title: 'ESP32-S3 (stock Espruino, Wi-Fi UDP, native crypto)',
  espruinoBoard: 'ESP32S3',
  radio: 'wifi-udp',
  firmware: 'node',
  cipher: 'native',
  console: { device: 'USB', baud: 115200 },
  pins: { led: null, button: 'D0' },
  capacities: { neighbours: 48, routes: 128, pending: 16, dedupSlots: 256, replaySources: 96, reassemblySlots: 4, reassemblyMaxBytes: 4096, keyEpochs: 2, linkPayload: 1536 },
  // jsVarBudget: 8450 measured after boot from Storage, provisioned, + ~10 % (test/memory-budget.test.ts,
  // docs/espruino-memory.md)
  budgets: { jsVarsTotal: 16383, jsVarBudget: 9300, bundleBytes: 96 * 1024, memLowPct: 15, memCriticalPct: 7 },
  hopAckTimeoutMs: 150,
  watchdogSec: 10,
  seqPersistBlock: 256,
};

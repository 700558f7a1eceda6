import type { BoardProfile } from './types.ts';

/** Espruino's Linux build: test nodes on one machine, UDP on loopback, native crypto. */
export const board: BoardProfile = {
  name: 'linux',
  title: 'Linux (Espruino Linux build, UDP loopback, native crypto)',
  espruinoBoard: 'LINUX',
  radio: 'udp-loopback',
  firmware: 'node',
  cipher: 'native',
  console: { device: 'Terminal', baud: 115200 },
  pins: { led: null, button: null },
  capacities: { neighbours: 32, routes: 96, pending: 16, dedupSlots: 256, replaySources: 64, reassemblySlots: 4, reassemblyMaxBytes: 4096, keyEpochs: 2, linkPayload: 1536 },
  // jsVarBudget: 7725 measured after boot from Storage, provisioned, + ~10 % (test/memory-budget.test.ts,
  // docs/espruino-memory.md)
  budgets: { jsVarsTotal: 16383, jsVarBudget: 8500, bundleBytes: 96 * 1024, memLowPct: 15, memCriticalPct: 7 },
  hopAckTimeoutMs: 400,
  watchdogSec: 0,
  seqPersistBlock: 256,
};

import type { BoardProfile } from './types.ts';

/** ESP32-S3 on stock Espruino: Wi-Fi UDP, native crypto, the roomiest heap. */
export const board: BoardProfile = {
  name: 'esp32-s3',
  title: 'ESP32-S3 (stock Espruino, Wi-Fi UDP, native crypto)',
  espruinoBoard: 'ESP32S3',
  radio: 'wifi-udp',
  cipher: 'native',
  console: { device: 'USB', baud: 115200 },
  pins: { led: null, button: 'D0' },
  capacities: { dedupSlots: 512, replaySources: 128, reassemblySlots: 6, reassemblyMaxBytes: 4096, keyEpochs: 2 },
  budgets: { jsVarsTotal: 16383, jsVarBudget: 4500, bundleBytes: 48 * 1024 },
  seqPersistBlock: 256,
};

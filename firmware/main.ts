/**
 * Firmware entry (bundled per board into dist/firmware/<board>.js). This first part wires the protocol
 * core to Espruino: the board's AES backend (native `crypto` or pure JS), Storage for the sequence
 * high-water mark, E.CRC32 for reassembly checks, the board's table capacities. It publishes one global,
 * MW, through which the host link and the vector suites drive the real bundle; the router, radio drivers
 * and serial link (issue 4) start from here.
 */
import * as lib from '../shared/index.ts';
import type { Aes128 } from '../shared/ports.ts';
import { createNativeAes } from './aes-native.ts';
import { createJsAes } from './aes-js.ts';
import { createStorageStore } from './storage-store.ts';
import { createCbor } from '../shared/cbor.ts';
import { espruinoCborText } from './_cbor-text.ts';

declare const global: Record<string, unknown>;

// BOARD.cipher is a build-time constant: the other backend is dropped from the bundle.
const aes: Aes128 = BOARD.cipher === 'native' ? createNativeAes(require('crypto')) : createJsAes();
const store = createStorageStore(require('Storage'));
const crc32 = function (d: Uint8Array): number { return E.CRC32(d); };

const keys = lib.createKeyring({ capacity: BOARD.capacities.keyEpochs })({ aes: aes });
const seal = lib.createFrameSeal()({ aes: aes, keys: keys });
const dedup = lib.createDedupCache({ slots: BOARD.capacities.dedupSlots });
const replay = lib.createReplayWindow({ sources: BOARD.capacities.replaySources });
const relay = lib.createRelayPath()({ seal: seal, dedup: dedup });
const seqs = lib.createSeqAllocator({ block: BOARD.seqPersistBlock })({ store: store });
const reassembly = lib.createReassembly({
  slots: BOARD.capacities.reassemblySlots,
  maxMessageBytes: BOARD.capacities.reassemblyMaxBytes,
  timeoutMs: 30000,
})({ crc32: crc32 });

// application payloads (endpoints only: relays never parse payloads)
const cbor = createCbor()(espruinoCborText());

global.MW = {
  version: FIRMWARE_VERSION,
  board: BOARD.name,
  cipher: BOARD.cipher,
  lib: lib,
  aes: aes,
  crc32: crc32,
  keys: keys,
  seal: seal,
  dedup: dedup,
  replay: replay,
  relay: relay,
  seqs: seqs,
  reassembly: reassembly,
  cbor: cbor,
};

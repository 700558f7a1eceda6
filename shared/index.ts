/**
 * The protocol core's public surface, as one object of factories and pure functions. The firmware
 * exposes it as MW.lib (so the host link and the vector suites can drive the real bundle) and the host
 * imports the same names.
 */
export { decodeHeader, encodeHeader, newHeader, statusText, frameSrc, frameSeq } from './frame.ts';
export { createKeyring } from './keyring.ts';
export { createFrameSeal } from './frame-seal.ts';
export { createDedupCache } from './dedup-cache.ts';
export { createReplayWindow } from './replay-window.ts';
export { createRelayPath } from './relay-path.ts';
export { createSeqAllocator } from './seqno.ts';
export { fragmentCount, fragmentChunkSize, writeFragment } from './fragmenter.ts';
export { createReassembly } from './reassembly.ts';

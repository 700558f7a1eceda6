/**
 * Host side of the serial link (CONTRACTS.md §5): the stream decoder, command lines, NodeLink.
 * Wire format and constants: shared/host-link.ts.
 */
export { createLinkDecoder, decodePayload } from './decoder.ts';
export type { LinkItem, LinkMsg, LinkText, LinkError, LinkDecoder, LinkDecoderOptions, LinkDecoderStats } from './decoder.ts';
export { encodeCommandLine, encodeCommandPayload, RESYNC_LINE } from './command.ts';
export { NodeLink } from './node-link.ts';
export type { NodeLinkOptions, NodeLinkStats, Reply } from './node-link.ts';
export { nodeNatives } from './natives-node.ts';
export * from '../../shared/host-link.ts';

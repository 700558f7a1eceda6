/**
 * Host → node command lines (CONTRACTS.md §1): `encodeCommandLine(id, {op, …args})` →
 * "\x10MWc('<base64 body>')\n", body type CMD (0x80), payload the CBOR map (shared/cbor.ts; Uint8Array
 * values become byte strings). Throws (prefix "meshwork/link: ") on misuse only: an id outside 1..65535
 * (0 is the node's unsolicited id), a payload over 1536 bytes, a value CBOR cannot carry.
 */
import { createCbor } from '../../shared/cbor.ts';
import { commandLine, encodeBody, HL_MAX_PAYLOAD, T_CMD } from '../../shared/host-link.ts';
import { nodeCborText } from '../cbor-text.ts';
import { crc32 } from '../crc32.ts';
import { nodeNatives } from './natives-node.ts';

const cbor = createCbor({ maxDepth: 16 })(nodeCborText());

/**
 * Written after a command timed out. Espruino's REPL runs a line only when its brackets balance
 * (jsinteractive.c jsiCountBracketsInInput), so a command line that lost its ')' on the wire (or gained a
 * '(' from noise) leaves the REPL waiting, and it swallows every later command. This line brings the count
 * to zero or below, so whatever is pending runs (as a syntax error, printed as text) and the REPL is clean
 * again; on a clean REPL it only prints that error. Measured on the real interpreter (test/host-link-node).
 * Not "*\/" for comments: after a '*' the lexer reads "/)]}" as a regex and the REPL keeps waiting.
 */
export const RESYNC_LINE = '\x10)]}\n';

/** The CBOR payload of a command (exported for tests and tools). */
export function encodeCommandPayload(payload: Record<string, unknown>): Uint8Array {
  return cbor.encode(payload);
}

export function encodeCommandLine(id: number, payload: Record<string, unknown>): string {
  if (!(Number.isInteger(id) && id >= 1 && id <= 0xffff)) throw new Error('meshwork/link: command id must be 1..65535');
  if (typeof payload?.op !== 'string') throw new Error('meshwork/link: command payload needs a string op');
  const p = cbor.encode(payload);
  if (p.length > HL_MAX_PAYLOAD) throw new Error(`meshwork/link: command payload of ${p.length} B is over ${HL_MAX_PAYLOAD}`);
  const body = encodeBody(T_CMD, id, p, crc32);
  return commandLine(body, body.length, nodeNatives);
}

/**
 * The text the uploader types into the Espruino console, and the board-name rule. Every line starts with
 * `\x10` (echo off for that line) and carries only printable ASCII: the bundle chunk is a single-quoted JS
 * literal with every byte outside 0x20..0x7e, the quote and the backslash written as `\xHH`. Minified
 * bundles are ASCII and use double quotes, so the overhead is a few percent (base64 would cost 33 %).
 */
import type { BoardProfile } from '../../boards/index.ts';

/** One-char-per-byte string → single-quoted Espruino literal (8-bit safe). */
export function jsQuote(s: string): string {
  return "'" + s.replace(/[^\x20-\x7e]|['\\]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code > 0xff) throw new Error('meshwork/serial: jsQuote takes one-byte chars only');
    return '\\x' + code.toString(16).padStart(2, '0');
  }) + "'";
}

export const BOOT_FILE = '.bootcde';
export const CONFIG_FILE = 'mw.cfg';

/**
 * Defines `W(chunk, offset)` on the node (in RAM, after reset()): `Storage.write(".bootcde", chunk, offset,
 * total)`, then it prints `\x06W<end>` when the write succeeded and `\x06F<offset>` when Storage refused it
 * (full, or flash not erased there). Keeps the per-chunk line overhead to ~15 bytes.
 */
export function writerLine(total: number): string {
  return `\x10function W(d,o){print(require("Storage").write(${JSON.stringify(BOOT_FILE)},d,o,${total})?"\\x06W"+(o+d.length):"\\x06F"+o)}\n`;
}

/** one chunk for W() */
export function chunkLine(chunk: string, offset: number): string {
  return `\x10W(${jsQuote(chunk)},${offset})\n`;
}

/** matches a chunk acknowledgement (W: written up to group 2) or refusal (F: at offset group 2) */
export const CHUNK_ACK = /\x06([WF])(\d+)\r?\n/g;

/** Writes mw.cfg; acknowledged `\x06C<n>`. Holds the network key: never log this line. */
export function configLine(config: object, n: number): string {
  return `\x10print(require("Storage").write(${JSON.stringify(CONFIG_FILE)},${jsQuote(JSON.stringify(config))})?"\\x06C"+${n}:"\\x06F"+${n})\n`;
}

/**
 * Does the node's process.env.BOARD fit the profile? Exactly its espruinoBoard, or a variant of it
 * (`ESP32C3_IDF4` for `ESP32C3`, `LINUX_ESP32LIKE` for `LINUX`) unless another profile names that variant.
 */
export function boardMatches(profile: BoardProfile, envBoard: string, all: readonly BoardProfile[]): boolean {
  if (envBoard === profile.espruinoBoard) return true;
  if (all.some((b) => b.espruinoBoard === envBoard)) return false;
  return envBoard.startsWith(profile.espruinoBoard + '_');
}

/** profiles that would accept this BOARD, for the "wrong board" hint */
export function profilesFor(envBoard: string, all: readonly BoardProfile[]): BoardProfile[] {
  return all.filter((b) => boardMatches(b, envBoard, all));
}

/**
 * The Espruino emulation as a board on stdin/stdout, like the `espruino` Linux binary run without a file:
 *
 *   npx tsx test/emulation/espruino-repl.ts --board esp32 --flash DIR [--no-boot] [--stay]
 *   socat PTY,link=/tmp/node1,raw,echo=0 EXEC:"npx tsx test/emulation/espruino-repl.ts --board esp32 --flash /tmp/f1"
 *
 * Prints Espruino's banner, runs Storage .bootcde from the flash directory if present (unless --no-boot,
 * like holding the button at power-on), then is a REPL on the console. Storage is persisted in DIR (one file
 * per record), so a flashed node keeps its code across restarts. E.reboot() and the watchdog reboot
 * in-process (banner, .bootcde again); quit() exits 0. Bytes are 8-bit both ways (latin1).
 * At end of input the process exits (a real board would keep running; --stay keeps it alive).
 * Options: --board NAME (a boards/ profile, default esp32), --flash DIR (default: a fresh temp dir),
 * --name LABEL, --quiet (no stderr notes), --baud N (pace both directions at N/10 bytes per second, as a
 * UART would, in 10 ms slices: for upload-time measurements; default unlimited).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEspruinoEnv } from './espruino-env.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const has = (name: string) => process.argv.includes(name);

const board = arg('--board') ?? 'esp32';
const flashDir = arg('--flash') ?? mkdtempSync(join(tmpdir(), 'espruino-flash-'));
const quiet = has('--quiet');

if (!quiet) process.stderr.write(`espruino-emulation: board ${board}, flash ${flashDir}\r\n`);

const baud = Number(arg('--baud') ?? 0);
let outQ = '';
let inQ = '';
let exiting = false;
const exit = () => {
  exiting = true;
  if (outQ === '') process.stdout.write('', () => process.exit(0));
};
const send = (chars: string) => {
  if (baud > 0) outQ += chars;
  else process.stdout.write(Buffer.from(chars, 'latin1'));
};

const env = createEspruinoEnv({ board, flashDir, name: arg('--name'), write: send, onQuit: exit });
if (has('--no-boot')) env.reset();
else env.reboot();

if (baud > 0) {
  // a UART moves baud/10 bytes per second each way
  const perSlice = Math.max(1, Math.round(baud / 10 / 100));
  setInterval(() => {
    if (outQ) {
      const chunk = outQ.slice(0, perSlice);
      outQ = outQ.slice(perSlice);
      process.stdout.write(Buffer.from(chunk, 'latin1'));
    } else if (exiting) exit();
    if (inQ) {
      const chunk = inQ.slice(0, perSlice);
      inQ = inQ.slice(perSlice);
      env.input(chunk);
    }
  }, 10);
}

if (process.stdin.isTTY) process.stdin.setRawMode(true);
process.stdin.on('data', (d: Buffer) => {
  if (baud > 0) inQ += d.toString('latin1');
  else env.input(d.toString('latin1'));
});
process.stdin.on('end', () => {
  if (!has('--stay')) exit();
});
if (has('--stay')) setInterval(() => {}, 1 << 30);
process.on('SIGTERM', () => process.exit(0));

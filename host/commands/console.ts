/**
 * `meshwork console --port PATH`: the Espruino REPL passed through. stdin goes to the node byte for byte (raw
 * mode when it is a terminal, so Ctrl-C reaches the node); the node's output goes to stdout. Ctrl-] quits
 * (like telnet). Exit 0 on Ctrl-] or end of stdin, 1 when the port cannot be opened or goes away.
 */
import type { Command } from 'commander';
import { closePort, openPort } from '../serial/port.ts';

const QUIT = 0x1d; // Ctrl-]

export function register(program: Command): void {
  const cmd = program.command('console');
  cmd.description('raw Espruino REPL on a serial port (Ctrl-] quits)')
    .requiredOption('-p, --port <path>', 'serial port of the node')
    .option('--baud <n>', 'baud rate', '115200')
    .addHelpText('after', '\nKeys go straight to the node (Ctrl-C interrupts the node\'s code). Ctrl-] quits.\nExit codes: 0 quit, 1 port failure, 2 bad usage.')
    .action(async (o: { port: string; baud: string }) => {
      const baud = Number(o.baud);
      if (!Number.isInteger(baud) || baud <= 0) cmd.error('meshwork console: --baud must be a positive integer', { exitCode: 2 });
      let port;
      try { port = await openPort(o.port, baud); } catch (e) {
        process.stderr.write(`meshwork console: ${(e as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      const stdin = process.stdin;
      const tty = stdin.isTTY;
      if (tty) { stdin.setRawMode(true); process.stderr.write(`connected to ${o.port} (Ctrl-] quits)\r\n`); }
      let done = false;
      await new Promise<void>((resolve) => {
        const finish = (code: number, msg?: string): void => {
          if (done) return;
          done = true;
          if (msg) process.stderr.write(msg);
          process.exitCode = code;
          stdin.off('data', onIn);
          if (tty) stdin.setRawMode(false);
          // an open stdin (a pipe from a script) must not keep the process alive
          stdin.destroy();
          closePort(port).then(() => { resolve(); setTimeout(() => process.exit(code), 200).unref(); });
        };
        const onIn = (d: Buffer): void => {
          const q = d.indexOf(QUIT);
          if (q >= 0) { if (q > 0) port.write(d.subarray(0, q)); finish(0, tty ? '\r\n' : ''); return; }
          port.write(d);
        };
        port.on('data', (d: Buffer) => process.stdout.write(d));
        port.on('close', () => finish(1, `\r\nmeshwork console: ${o.port} closed (unplugged?)\r\n`));
        stdin.on('data', onIn);
        stdin.on('end', () => { port.drain(() => setTimeout(() => finish(0), 300)); });
        stdin.resume();
      });
    });
}

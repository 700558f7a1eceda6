/**
 * Transcripts of a REPL session: the same console input fed to the emulation (in-process, on a VirtualClock)
 * and to a real interpreter (the `espruino` Linux binary over pipes, in real time), for comparison.
 * A step is [bytes, ms to wait after sending them]. Outputs are 8-bit strings.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEspruinoEnv } from './espruino-env.ts';
import { VirtualClock } from './espruino-clock.ts';

export type Step = [input: string, waitMs?: number];

export const DEFAULT_WAIT_MS = 150;

/** run steps on a fresh emulated board (empty flash); returns the output after the power-on banner/prompt */
export function emulatedTranscript(steps: Step[], board = 'linux'): { banner: string; output: string[] } {
  const clock = new VirtualClock();
  let out = '';
  const env = createEspruinoEnv({ board, clock, write: (s) => { out += s; }, boot: true });
  const banner = out;
  const output: string[] = [];
  for (const [input, wait] of steps) {
    out = '';
    env.input(input);
    clock.advance(wait ?? DEFAULT_WAIT_MS);
    output.push(out);
  }
  env.dispose();
  return { banner, output };
}

/**
 * run steps on the real interpreter in a fresh directory (fresh flash); a step without a wait ends when a
 * prompt arrived and the line stayed quiet for 30 ms (at most DEFAULT_WAIT_MS)
 */
export async function realTranscript(bin: string, steps: Step[]): Promise<{ banner: string; output: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'espruino-repl-'));
  const p = spawn(bin, [], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => { out += d.toString('latin1'); });
  p.stderr.on('data', () => {});
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    // the banner ends with the prompt
    for (let i = 0; i < 100 && !out.endsWith('>'); i++) await sleep(20);
    const banner = out;
    const output: string[] = [];
    for (const [input, wait] of steps) {
      out = '';
      p.stdin.write(Buffer.from(input, 'latin1'));
      if (wait !== undefined) await sleep(wait);
      else {
        // no timers involved: done once a prompt has come and 30 ms passed quietly (or after the default wait)
        const start = Date.now();
        let last = out, quietSince = Date.now();
        while (Date.now() - start < DEFAULT_WAIT_MS) {
          await sleep(5);
          if (out !== last) { last = out; quietSince = Date.now(); }
          if (out.endsWith('>') && Date.now() - quietSince >= 30) break;
        }
      }
      output.push(out);
    }
    return { banner, output };
  } finally {
    p.stdin.write('\x10quit()\n');
    await sleep(50);
    p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What may differ: the stack lines Espruino prints under "Uncaught …" (its own parser's positions, which V8
 * does not give), SyntaxError messages (Espruino's parser words them its own way) and the version in the
 * banner ("2v29.277" on a git build, "2v29" emulated).
 */
export function normalizeTranscript(s: string): string {
  return s
    .replace(/(Uncaught [^\r\n]*\r\n)(?: {4}at [^\r\n]*\r\n(?:[^\r\n]*\r\n {0,200}\^\r\n)?)+/g, '$1')
    .replace(/Uncaught SyntaxError: [^\r\n]*/g, 'Uncaught SyntaxError: …')
    .replace(/ 2v\d+(?:\.\d+)? \(c\) \d{4} G\.Williams/g, ' 2vXX (c) YYYY G.Williams');
}

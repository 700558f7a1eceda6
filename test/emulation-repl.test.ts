/**
 * The emulated Espruino console against the real one: each session in test/emulation/repl-cases.ts is fed
 * to the emulation (VirtualClock, in-process) and must print what Espruino 2v29 printed (recorded, after
 * normalizeTranscript: stack lines, SyntaxError wording and the banner version may differ). With ESPRUINO_BIN
 * set, the same bytes go to the real interpreter and its transcript must equal the emulation's, so a
 * recorded expectation that drifted from the real thing shows up too. Then the CLI (espruino-repl.ts) is
 * driven over pipes and over a socat pty as a host would drive a board.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPL_CASES } from './emulation/repl-cases.ts';
import { emulatedTranscript, normalizeTranscript, realTranscript } from './emulation/repl-transcript.ts';
import { espruinoBin, skipReason, REPO_ROOT } from './support/espruino.ts';

const bin = espruinoBin();

describe('emulated REPL transcripts equal the recorded Espruino 2v29 ones', () => {
  for (const c of REPL_CASES) {
    it(c.name, () => {
      const { banner, output } = emulatedTranscript(c.steps);
      expect(banner.endsWith('http://espruino.com/Donate\r\n\r\n>')).toBe(true);
      c.steps.forEach(([input], i) => {
        expect({ input, out: normalizeTranscript(output[i]) }).toEqual({ input, out: c.expected[i] });
      });
    });
  }
});

describe.skipIf(!bin).concurrent('the real interpreter prints the same transcripts (ESPRUINO_BIN)', () => {
  for (const c of REPL_CASES) {
    it(c.name, async () => {
      const real = await realTranscript(bin!, c.steps);
      const emu = emulatedTranscript(c.steps);
      expect(normalizeTranscript(real.banner)).toBe(normalizeTranscript(emu.banner));
      c.steps.forEach(([input], i) => {
        expect({ input, out: normalizeTranscript(emu.output[i]) }).toEqual({ input, out: normalizeTranscript(real.output[i]) });
      });
    }, 20_000);
  }
});
if (!bin) it('real interpreter comparison', () => { console.log(skipReason()); });

// ---------------------------------------------------------------------------------------------------------

const CLI = join(REPO_ROOT, 'test/emulation/espruino-repl.ts');
const TSX = join(REPO_ROOT, 'node_modules/.bin/tsx');

function startCli(args: string[]): { p: ChildProcess; read: () => string; waitFor: (re: RegExp, ms?: number) => Promise<string> } {
  const p = spawn(TSX, [CLI, '--quiet', ...args], { stdio: ['pipe', 'pipe', 'pipe'], cwd: REPO_ROOT });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => { out += d.toString('latin1'); });
  const waitFor = async (re: RegExp, ms = 30_000) => {
    const end = Date.now() + ms;
    while (!re.test(out)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${re} in ${JSON.stringify(out)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return out;
  };
  return { p, read: () => out, waitFor };
}

describe('espruino-repl.ts CLI stands in for a board', () => {
  it('banner, REPL, Storage persisted in --flash DIR, .bootcde run at start and on E.reboot()', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-flash-'));
    try {
      const a = startCli(['--board', 'esp32', '--flash', dir]);
      await a.waitFor(/Donate\r\n\r\n>$/);
      a.p.stdin!.write('process.env.BOARD\n');
      await a.waitFor(/="ESP32"\r\n>$/);
      // an upload as EspruinoTools does it: echo-off lines, chunked .bootcde
      const code = 'print("node up");E.on("init",function(){print("init ran")});';
      a.p.stdin!.write(`\x10require("Storage").write(".bootcde",${JSON.stringify(code.slice(0, 20))},0,${code.length});\n`);
      a.p.stdin!.write(`\x10require("Storage").write(".bootcde",${JSON.stringify(code.slice(20))},20);\n`);
      a.p.stdin!.write('\x10E.reboot()\n');
      await a.waitFor(/node up\r\ninit ran\r\n>$/);
      expect(readFileSync(join(dir, '%2Ebootcde'), 'latin1')).toBe(code);
      a.p.stdin!.write('\x10quit()\n');
      await new Promise((r) => a.p.on('exit', r));

      // a second process on the same flash boots the stored code
      const b = startCli(['--board', 'esp32', '--flash', dir]);
      const out = await b.waitFor(/node up\r\ninit ran\r\n>$/);
      expect(out.indexOf('Donate')).toBeLessThan(out.indexOf('node up'));
      b.p.stdin!.end();
      await new Promise((r) => b.p.on('exit', r));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('--baud paces the console like a UART', async () => {
    const a = startCli(['--board', 'esp32', '--baud', '9600']);
    await a.waitFor(/Donate\r\n\r\n>$/);
    const t0 = Date.now();
    a.p.stdin!.write('\x10print("y".repeat(480))\n'); // 27 bytes in, 482 out, at 960 bytes/s
    await a.waitFor(/y{480}\r\n>?$/);
    const ms = Date.now() - t0;
    a.p.kill('SIGTERM');
    expect(ms).toBeGreaterThan(450);
    expect(ms).toBeLessThan(5000);
  }, 30_000);

  const socat = spawnSync('sh', ['-c', 'command -v socat']).status === 0;
  it.skipIf(!socat)('works behind a socat pty like a board', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-pty-'));
    const link = join(dir, 'tty');
    const s = spawn('socat', [`PTY,link=${link},raw,echo=0`, `EXEC:${TSX} ${CLI} --quiet --board esp32 --flash ${join(dir, 'flash')}`], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 200 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 25));
      const { openSync, readSync, writeSync, closeSync, constants } = await import('node:fs');
      const fd = openSync(link, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
      let out = '';
      const buf = Buffer.alloc(4096);
      const pump = async (re: RegExp) => {
        const end = Date.now() + 30_000;
        while (!re.test(out)) {
          if (Date.now() > end) throw new Error(`pty: timed out waiting for ${re} in ${JSON.stringify(out)}`);
          try {
            const n = readSync(fd, buf, 0, buf.length, null);
            out += buf.subarray(0, n).toString('latin1');
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
            await new Promise((r) => setTimeout(r, 10));
          }
        }
      };
      writeSync(fd, '\n');
      await pump(/>$/);
      out = '';
      writeSync(fd, '\x10print("<","<<",JSON.stringify(process.env),">>",">")\n');
      await pump(/>> >\r\n/);
      const env = JSON.parse(/< << (.*) >> >/.exec(out)![1]);
      expect(env.BOARD).toBe('ESP32');
      expect(env.VERSION).toBe('2v29');
      closeSync(fd);
    } finally {
      s.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

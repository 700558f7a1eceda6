/**
 * The shared vectors against the BUILT firmware bundles — the bytes a board runs — for a native-AES board
 * (linux) and the pure-JS-AES board (esp32-idf4): in Node under the Espruino emulation always, and on the
 * real interpreter when ESPRUINO_BIN is set (`make test-espruino`). Same drivers, same expectations as the
 * TS-source suites (test/support/vector-expect.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFirmware } from '../host/build/build-firmware.ts';
import { createEspruinoEnv } from './emulation/espruino-env.ts';
import {
  bootFromStorage, bundleForEspruino, espruinoBin, markedLines, skipReason, untilMarkedLines,
} from './support/espruino.ts';
import {
  expectAesResults, expectCborResults, expectFragmentResults, expectFrameResults, slimVectors, VECTORS,
} from './support/vector-expect.ts';

const BOARDS = ['linux', 'esp32-idf4'];
const SUITES = ['frames', 'aes', 'cbor', 'fragments'] as const;
const DRIVER = `
import { runFrameVectors } from './test/support/frame-driver.ts';
import { runAesVectors, runCborVectors, runFragmentVectors } from './test/support/bundle-driver.ts';
declare const global: any;
global.VECTOR_DRIVER = {
  frames: function (mw: any, v: any) { return runFrameVectors(mw.lib, mw.aes, v); },
  aes: runAesVectors, cbor: runCborVectors, fragments: runFragmentVectors,
};
`;

let tmp = '';
const code: Record<string, string> = {};
let driver = '';
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mw-vectors-'));
  const r = await buildFirmware({ boards: BOARDS, outDir: join(tmp, 'fw') });
  expect(r.ok).toBe(true);
  for (const x of r.results) code[x.board] = readFileSync(x.outFile!, 'utf8');
  driver = await bundleForEspruino(DRIVER);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The bundle's CBOR text component is Espruino's (E.toString copies bytes and checks no UTF-8), in the
 *  emulation too: the vectors marked espruinoSkip say why those few cannot hold on the node. */
function check(suite: (typeof SUITES)[number], r: any): void {
  if (suite === 'frames') expectFrameResults(r);
  else if (suite === 'aes') expectAesResults(r);
  else if (suite === 'cbor') expect(expectCborResults(r, true)).toBeGreaterThan(VECTORS.cbor.valid.length);
  else expectFragmentResults(r);
}

describe.each(BOARDS)('built bundle %s in Node under the Espruino emulation', (board) => {
  it.each(SUITES)('%s vectors', (suite) => {
    const env = createEspruinoEnv({ out: () => {} });
    env.run(code[board], `${board}.js`);
    env.run(driver, 'driver.js');
    const ctx = env.context as any;
    expect(ctx.MW.board).toBe(board);
    check(suite, ctx.VECTOR_DRIVER[suite](ctx.MW, JSON.parse(JSON.stringify(slimVectors(suite)))));
  });
});

const bin = espruinoBin();
describe.runIf(bin)(`built bundles on the real interpreter (${bin ?? skipReason()})`, () => {
  describe.each(BOARDS)('%s', (board) => {
    it.each(SUITES)('%s vectors', async (suite) => {
      // booted from Storage as a board runs it (code executes from flash; as one text it would not fit in RAM)
      const js = `${code[board]}\n${driver}\nvar V=${JSON.stringify(slimVectors(suite))};` +
        `print("@@"+JSON.stringify(VECTOR_DRIVER.${suite}(MW,V)));V=undefined;`;
      // the run ends once the '@@' line is complete: quit() would walk every leftover variable for minutes
      const stdout = await bootFromStorage(bin!, js, [], 120_000, {}, { until: untilMarkedLines(1) });
      const lines = markedLines(stdout);
      expect(lines.length, stdout.slice(-1500)).toBe(1);
      check(suite, lines[0]);
    }, 300_000);
  });
});

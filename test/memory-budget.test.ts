/**
 * JsVars the firmware takes on the real interpreter, booted as a board boots it (from Storage), against
 * each board's jsVarBudget. Needs ESPRUINO_BIN (ESP32 layout) and, for the C3 board, ESPRUINO_C3_BIN
 * (4095 JsVars); skipped with a message otherwise.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boards } from '../boards/index.ts';
import { buildFirmware } from '../host/build/build-firmware.ts';
import { bootFromStorage, espruinoBin, espruinoC3Bin, markedLines, skipReason } from './support/espruino.ts';

const bin = espruinoBin();
const c3 = espruinoC3Bin();
const code: Record<string, string> = {};

describe.runIf(bin || c3)(`JsVars after boot vs budget${bin ? '' : ': ' + skipReason()}`, () => {
  beforeAll(async () => {
    const r = await buildFirmware({ outDir: join(mkdtempSync(join(tmpdir(), 'mw-mem-')), 'fw') });
    expect(r.ok).toBe(true);
    for (const x of r.results) code[x.board] = readFileSync(x.outFile!, 'utf8');
  });
  for (const b of boards) {
    const interp = b.budgets.jsVarsTotal <= 4095 ? c3 : bin;
    it.runIf(interp)(`${b.name}: usage after boot ≤ ${b.budgets.jsVarBudget} of ${b.budgets.jsVarsTotal}${interp ? '' : ' (' + skipReason(b.budgets.jsVarsTotal <= 4095 ? 'ESPRUINO_C3_BIN' : 'ESPRUINO_BIN') + ')'}`, async () => {
      const out = await bootFromStorage(interp!, code[b.name], ['print("@@"+JSON.stringify(process.memory()))', 'print("@@"+JSON.stringify(typeof MW))']);
      const [mem, mw] = markedLines(out);
      expect(mw, out.slice(-500)).toBe('object');
      expect(mem.total).toBe(b.budgets.jsVarsTotal);
      console.log(`${b.name}: ${mem.usage} JsVars after boot (budget ${b.budgets.jsVarBudget}, total ${mem.total})`);
      expect(mem.usage).toBeLessThanOrEqual(b.budgets.jsVarBudget);
    }, 120_000);
  }
});

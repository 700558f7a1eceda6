/**
 * The real firmware on real interpreters (issue 4's proof): five processes of Espruino's Linux build boot
 * the Linux bundle from their own flash, mesh through the host air process in a strict line, and a text
 * message from the first node crosses every hop to the last. The host talks to each node over its console
 * with the serial-link client, as `meshwork monitor` does. Needs ESPRUINO_BIN; says SKIPPED otherwise.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { espruinoBin, espruinoC3Bin, skipReason, REPO_ROOT } from './support/espruino.ts';
import { runEspruinoMesh, linuxBundle } from '../host/sim/espruino-mesh.ts';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const bin = espruinoBin();
// the repeaters run on the C3 layout (4095 JsVars) when ESPRUINO_C3_BIN is set, as on the board
const c3 = espruinoC3Bin();

// retry: Espruino's Linux build can crash under console input (its input thread races the main loop on the
// IO event ring: README "Testing on the real interpreter"); a board's UART interrupt has no such race
describe('real interpreters in a mesh (udp-loopback + air)', { retry: 2 }, () => {
  let bundle = '';
  beforeAll(async () => { if (bin) bundle = await linuxBundle(REPO_ROOT); }, 120_000);

  it.skipIf(!bin)(bin ? '5 nodes in a line: a text message crosses all 4 hops' : skipReason(), async () => {
    const r = await runEspruinoMesh({ bin: bin!, bundle, nodes: 5, topology: 'line', timeoutMs: 100_000 });
    expect(r.reason).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.hops).toBe(3); // relays between the first and the last of 5
    // every middle node relayed; the ends did not need to
    expect(r.counters.slice(1, 4).every((c) => c.relay > 0)).toBe(true);
    expect(r.counters.every((c) => c.mem > 1000)).toBe(true);
  }, 150_000);

  it.skipIf(!bin)(bin ? `4 nodes in a line, the middle two the ESP32-C3 repeater${c3 ? ' on the C3 layout' : ''}: a text crosses them` : skipReason(), async () => {
    const r = await runEspruinoMesh({ bin: bin!, bundle, nodes: 4, topology: 'line', timeoutMs: 100_000, repeaters: [1, 2], repeaterBin: c3 });
    expect(r.reason).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.routeFormedMs).toBeNull(); // no route crosses a repeater: the text went as a flood
    expect(r.hops).toBe(2);
    expect(r.counters[1].relay).toBeGreaterThan(0);
    expect(r.counters[2].relay).toBeGreaterThan(0);
    // the repeaters still have memory to spare while relaying (of 4095 on the C3 layout)
    expect(r.counters[1].mem).toBeGreaterThan(200);
  }, 150_000);

  it.skipIf(!bin)(bin ? '`meshwork sim --espruino` runs the same and says so' : skipReason(), () => {
    const p = spawnSync('node', [join(REPO_ROOT, 'bin/meshwork.mjs'), 'sim', '--espruino', bin!, '--nodes', '3', '--topology', 'line', '--json'],
      { encoding: 'utf8', timeout: 140_000 });
    expect(p.status, p.stderr).toBe(0);
    const j = JSON.parse(p.stdout);
    expect(j.ok).toBe(true);
    expect(j.hops).toBe(1);
  }, 150_000);
});

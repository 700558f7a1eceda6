/**
 * Status LED patterns, for someone standing under the rooftop node (boards with `pins.led`):
 *   Boot          fast blink (100 ms on / 100 ms off) until the radio is up
 *   Alone         a blink every second: running, no neighbour yet
 *   Linked        a short flash every 3 s: running with neighbours (the quiet normal state)
 *   Unprovisioned on 1 s / off 1 s: no mw.cfg — flash it with `meshwork flash`
 *   Fault         two flashes every 2 s: errors counted recently (look with `meshwork monitor`)
 * A pattern is a list of on/off durations walked by one timer; setting the same pattern again is free.
 */
export const enum LedPattern { Off = 0, Boot = 1, Alone = 2, Linked = 3, Unprovisioned = 4, Fault = 5 }

/** on/off durations (ms) of every pattern, one after another; pattern p is STEPS[AT[p] .. AT[p + 1]) (Off: none).
 *  One typed array instead of an array of arrays: ~20 JsVars less on the C3 */
const STEPS = new Uint16Array([100, 100, 60, 940, 30, 2970, 1000, 1000, 60, 140, 60, 1740]);
const AT = new Uint8Array([0, 0, 2, 4, 6, 8, 12]);

export interface Led { set(p: number): void; current(): number; stop(): void }

export function createLed(c: { write(on: boolean): void; setTimer(fn: () => void, ms: number): number; clearTimer(id: number): void }): Led {
  let pattern = 0;
  let step = 0;
  let timer = -1;

  function next(): void {
    timer = -1;
    const n = AT[pattern + 1] - AT[pattern];
    if (n === 0) { c.write(false); return; }
    c.write(step % 2 === 0);
    const ms = STEPS[AT[pattern] + step];
    step = (step + 1) % n;
    timer = c.setTimer(next, ms);
  }

  return {
    set: function (p: number) {
      if (p === pattern || !(p >= 0 && p < AT.length - 1)) return;
      pattern = p;
      step = 0;
      if (timer >= 0) c.clearTimer(timer);
      next();
    },
    current: function () { return pattern; },
    stop: function () {
      if (timer >= 0) c.clearTimer(timer);
      timer = -1;
      pattern = 0;
      c.write(false);
    },
  };
}

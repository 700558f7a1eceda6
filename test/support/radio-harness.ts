/**
 * Helpers for running the radio drivers in Node: E's byte natives (strings are 8-bit, as on ESP32 builds),
 * timers on the real clock, and a polling wait.
 */
import type { RadioBytes, RadioTimers } from '../../firmware/radio-driver.ts';

export const nodeBytes: RadioBytes = {
  toString(u8: Uint8Array): string {
    let s = '';
    for (let i = 0; i < u8.length; i += 8192) s += String.fromCharCode(...u8.subarray(i, Math.min(u8.length, i + 8192)));
    return s;
  },
  toUint8Array(s: string): Uint8Array {
    const r = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) r[i] = s.charCodeAt(i) & 255;
    return r;
  },
};

export function nodeTimers(): RadioTimers {
  return {
    setTimeout: (cb, ms) => setTimeout(cb, ms),
    clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
    now: () => performance.now(),
  };
}

/** poll cond every 5 ms until it holds, or fail after timeoutMs naming what was awaited */
export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Espruino's timer globals on an EspruinoClock, as measured on the 2v29 Linux build:
 * - ids are the highest live id + 1 (1 when none is live): a fired or cleared timer's id is reused;
 * - setTimeout/setInterval take a function or a string of code, and extra arguments for the function;
 * - an interval re-arms from its previous due time (no drift) and survives an exception in its callback;
 * - clearTimeout/clearInterval of an unknown id do nothing, with no argument they clear every timer;
 * - changeInterval(id, ms) re-arms the interval ms from now; an unknown id throws "Unknown Interval".
 * Callbacks run through `run`, the env's task runner (exception report, prompt, deferred reboot).
 */
import type { ClockHandle, EspruinoClock } from './espruino-clock.ts';

interface Timer {
  id: number;
  fn: unknown;
  args: unknown[];
  interval: number; // 0 for a timeout
  due: number;
  handle: ClockHandle;
}

export interface EspruinoTimers {
  globals: {
    setTimeout(fn: unknown, ms?: number, ...args: unknown[]): number;
    setInterval(fn: unknown, ms?: number, ...args: unknown[]): number;
    clearTimeout(id?: unknown): void;
    clearInterval(id?: unknown): void;
    changeInterval(id: unknown, ms: number): void;
  };
  /** cancel every timer (reset/reboot) */
  clearAll(): void;
  /** live timer count */
  count(): number;
}

export function createEspruinoTimers(
  clock: EspruinoClock,
  run: (fn: unknown, args: unknown[]) => void,
  makeError: (msg: string) => Error,
): EspruinoTimers {
  const timers = new Map<number, Timer>();

  function fire(t: Timer): void {
    if (timers.get(t.id) !== t) return;
    if (t.interval > 0) {
      t.due += t.interval;
      if (t.due < clock.now()) t.due = clock.now();
      t.handle = clock.schedule(t.due, () => fire(t));
    } else {
      timers.delete(t.id);
    }
    run(t.fn, t.args);
  }

  function add(fn: unknown, ms: unknown, args: unknown[], isInterval: boolean): number {
    let d = Number(ms);
    if (!(d >= 0)) d = 0;
    let id = 1;
    for (const k of timers.keys()) if (k >= id) id = k + 1;
    const due = clock.now() + d;
    const t: Timer = { id, fn, args, interval: isInterval ? Math.max(d, 0.001) : 0, due, handle: undefined as unknown as ClockHandle };
    t.handle = clock.schedule(due, () => fire(t));
    timers.set(id, t);
    return id;
  }

  function clear(id: unknown): void {
    if (id === undefined) { clearAll(); return; }
    const t = timers.get(Number(id));
    if (!t) return;
    clock.cancel(t.handle);
    timers.delete(t.id);
  }

  function clearAll(): void {
    for (const t of timers.values()) clock.cancel(t.handle);
    timers.clear();
  }

  return {
    globals: {
      setTimeout: (fn, ms, ...args) => add(fn, ms, args, false),
      setInterval: (fn, ms, ...args) => add(fn, ms, args, true),
      clearTimeout: (id?: unknown) => clear(id),
      clearInterval: (id?: unknown) => clear(id),
      changeInterval(id: unknown, ms: number) {
        const t = timers.get(Number(id));
        if (!t || t.interval === 0) throw makeError('Unknown Interval');
        let d = Number(ms);
        if (!(d > 0)) d = 0.001;
        clock.cancel(t.handle);
        t.interval = d;
        t.due = clock.now() + d;
        t.handle = clock.schedule(t.due, () => fire(t));
      },
    },
    clearAll,
    count: () => timers.size,
  };
}

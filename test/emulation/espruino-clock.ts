/**
 * Clocks for the Espruino emulation. Every env schedules its timers on a clock; several envs may share one.
 *
 * - RealClock: milliseconds since the clock was made, callbacks on Node timers (unref'd: an idle emulated node
 *   does not keep a process alive; the REPL CLI is kept alive by stdin).
 * - VirtualClock: time moves only when a test calls advance(ms) / advanceTo / runUntil. Due callbacks run in
 *   time order (ties in scheduling order) across every env sharing the clock, each seeing now() = its due
 *   time, so multi-node tests are deterministic and fast. A callback may schedule more work inside the
 *   window; it runs in the same advance() if due.
 */

export interface ClockHandle {
  readonly at: number;
  cancelled: boolean;
}

export interface EspruinoClock {
  /** milliseconds, monotonic */
  now(): number;
  /** run fn at time `at` (ms, same scale as now()); earlier than now() means as soon as possible */
  schedule(at: number, fn: () => void): ClockHandle;
  cancel(handle: ClockHandle): void;
  readonly virtual: boolean;
}

interface Entry extends ClockHandle {
  seq: number;
  fn: () => void;
}

/** binary min-heap on (at, seq) */
class TimerHeap {
  private a: Entry[] = [];
  get size(): number { return this.a.length; }
  peek(): Entry | undefined { return this.a[0]; }
  push(e: Entry): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): Entry | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && less(a[l], a[m])) m = l;
        if (r < a.length && less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

function less(x: Entry, y: Entry): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}

export class VirtualClock implements EspruinoClock {
  readonly virtual = true;
  private t: number;
  private seq = 0;
  private heap = new TimerHeap();
  private running = false;

  constructor(startMs = 0) { this.t = startMs; }

  now(): number { return this.t; }

  schedule(at: number, fn: () => void): ClockHandle {
    const e: Entry = { at: Math.max(at, this.t), seq: this.seq++, fn, cancelled: false };
    this.heap.push(e);
    return e;
  }

  cancel(h: ClockHandle): void { h.cancelled = true; }

  /** time of the next live callback, or undefined */
  next(): number | undefined {
    for (;;) {
      const e = this.heap.peek();
      if (!e) return undefined;
      if (!e.cancelled) return e.at;
      this.heap.pop();
    }
  }

  /** number of live scheduled callbacks (all envs) */
  get pending(): number {
    let n = 0;
    for (const e of (this.heap as unknown as { a: Entry[] }).a) if (!e.cancelled) n++;
    return n;
  }

  /** move time forward by ms, running every callback due on the way, in order */
  advance(ms: number): void { this.advanceTo(this.t + Math.max(0, ms)); }

  advanceTo(target: number): void {
    if (this.running) throw new Error('VirtualClock: advance() called from inside a timer callback');
    this.running = true;
    try {
      for (;;) {
        const at = this.next();
        if (at === undefined || at > target) break;
        const e = this.heap.pop()!;
        this.t = e.at;
        e.cancelled = true;
        e.fn();
      }
      if (target > this.t) this.t = target;
    } finally {
      this.running = false;
    }
  }

  /**
   * Advance in steps of `stepMs` until cond() is true or `maxMs` have passed; returns whether cond() held.
   * For "wait until the message arrives" in multi-node tests.
   */
  runUntil(cond: () => boolean, maxMs: number, stepMs = 10): boolean {
    const end = this.t + maxMs;
    while (!cond()) {
      if (this.t >= end) return false;
      this.advanceTo(Math.min(end, this.t + stepMs));
    }
    return true;
  }
}

export class RealClock implements EspruinoClock {
  readonly virtual = false;
  private readonly origin = performance.now();
  now(): number { return performance.now() - this.origin; }
  schedule(at: number, fn: () => void): ClockHandle {
    const h = { at, cancelled: false, timer: undefined as NodeJS.Timeout | undefined };
    h.timer = setTimeout(() => { if (!h.cancelled) { h.cancelled = true; fn(); } }, Math.max(0, at - this.now()));
    h.timer.unref?.();
    return h;
  }
  cancel(h: ClockHandle): void {
    h.cancelled = true;
    const t = (h as { timer?: NodeJS.Timeout }).timer;
    if (t) clearTimeout(t);
  }
}

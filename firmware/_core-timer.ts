/**
 * The one timer that drives a sans-IO core (the router, or the repeater): always set to the core's next
 * deadline, at most MAX_WAIT_MS away. A received frame may pull the deadline earlier (schedule(now) after
 * every frame): the timer is moved only then. guard() is the second path: Espruino drops a timer whose
 * callback ran out of memory, and main.ts's own interval calls guard() to notice and re-arm it.
 */
export interface NodeTimers {
  set(fn: () => void, ms: number): number;
  clear(id: number): void;
}

export interface CoreTimer {
  /** move the timer to the core's deadline if that is earlier than the one set */
  schedule(now: number): void;
  start(now: number): void;
  stop(): void;
  /** re-arm the timer if it died; true when it had to */
  guard(now: number): boolean;
}

export const MAX_WAIT_MS = 1000;

/** deadline(): the core's next deadline (absolute ms, -1 = none); run(now): the work due (must not throw);
 *  rearmed(): counts a re-arm */
export function createCoreTimer(c: {
  timers: NodeTimers; deadline(): number; run(now: number): void; rearmed(): void; clock(): number;
}): CoreTimer {
  let timer = -1;
  let timerAt = -1;
  let lastRun = 0;
  let running = false;

  // schedule and onTimer call each other: schedule is declared first (no hoisting on Espruino)
  let onTimer: () => void;

  function schedule(now: number): void {
    if (!running) return;
    let at = c.deadline();
    if (at < 0 || at > now + MAX_WAIT_MS) at = now + MAX_WAIT_MS;
    if (timer >= 0) {
      if (timerAt <= at) return;
      c.timers.clear(timer);
    }
    timerAt = at;
    timer = c.timers.set(onTimer, at > now ? at - now : 0);
  }

  onTimer = function (): void {
    timer = -1;
    timerAt = -1;
    const now = c.clock();
    lastRun = now;
    c.run(now);
    schedule(now);
  };

  return {
    schedule: schedule,
    start: function (now: number) {
      running = true;
      lastRun = now;
      schedule(now);
    },
    stop: function () {
      running = false;
      if (timer >= 0) c.timers.clear(timer);
      timer = -1;
    },
    guard: function (now: number) {
      // the timer is overdue by far more than any callback takes: Espruino dropped it (out of memory)
      if (running && (timer < 0 || now - timerAt > 3 * MAX_WAIT_MS) && now - lastRun > 2 * MAX_WAIT_MS) {
        c.rearmed();
        if (timer >= 0) c.timers.clear(timer);
        timer = -1;
        schedule(now);
        return true;
      }
      return false;
    },
  };
}

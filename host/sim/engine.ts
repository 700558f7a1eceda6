/**
 * The discrete-event engine: a virtual clock in milliseconds and a binary-heap event queue.
 *
 * Events are (time, kind, a, b): `kind` picks a handler registered with on(), `a` and `b` are two integers
 * (a node index, a transmission slot, a generation number…). Nothing is a closure, so scheduling allocates
 * nothing once the arrays have grown to the run's working set: a 1000-node hour schedules tens of millions
 * of events.
 *
 * Determinism: events at the same time run in the order they were scheduled (each gets a sequence number
 * and the heap orders by (time, seq)), so a run depends only on its inputs and seeded RNG draws, never on
 * heap internals or object-key order.
 */

export type EventHandler = (a: number, b: number) => void;

export interface Engine {
  /** the virtual clock, ms; advances only as events are popped */
  readonly now: number;
  /** events run so far */
  readonly processed: number;
  /** events waiting */
  readonly pending: number;
  /** register the handler of an event kind (0..255) */
  on(kind: number, handler: EventHandler): void;
  /** run handler `kind` with (a, b) at absolute time `at` ms (clamped to now: the past cannot be changed) */
  schedule(at: number, kind: number, a: number, b: number): void;
  /**
   * Run events with time ≤ until (ms), then leave the clock at `until`. `progress` is called every
   * `progressEveryMs` of virtual time with the clock.
   */
  run(until: number, progress?: (now: number) => void, progressEveryMs?: number): void;
}

export function createEngine(): Engine {
  let cap = 1024;
  let times = new Float64Array(cap);
  let seqs = new Float64Array(cap);
  let kinds = new Uint8Array(cap);
  let as = new Int32Array(cap);
  let bs = new Int32Array(cap);
  let heap = new Int32Array(cap);
  let free = new Int32Array(cap);
  let nFree = cap;
  for (let i = 0; i < cap; i++) free[i] = cap - 1 - i;
  let size = 0;
  let seqNext = 0;
  let now = 0;
  let processed = 0;
  const handlers: EventHandler[] = [];

  function grow(): void {
    const n = cap * 2;
    const t = new Float64Array(n); t.set(times); times = t;
    const s = new Float64Array(n); s.set(seqs); seqs = s;
    const k = new Uint8Array(n); k.set(kinds); kinds = k;
    const a = new Int32Array(n); a.set(as); as = a;
    const b = new Int32Array(n); b.set(bs); bs = b;
    const h = new Int32Array(n); h.set(heap); heap = h;
    const f = new Int32Array(n);
    // every old slot is in use when we grow: the free list is the new half
    for (let i = 0; i < n - cap; i++) f[i] = n - 1 - i;
    free = f;
    nFree = n - cap;
    cap = n;
  }

  /** true when slot x runs before slot y */
  function before(x: number, y: number): boolean {
    const tx = times[x], ty = times[y];
    return tx < ty || (tx === ty && seqs[x] < seqs[y]);
  }

  function schedule(at: number, kind: number, a: number, b: number): void {
    if (!(at >= now)) {
      if (at !== at) throw new Error('meshwork/sim: event time is NaN');
      at = now;
    }
    if (nFree === 0) grow();
    const e = free[--nFree];
    times[e] = at;
    seqs[e] = seqNext++;
    kinds[e] = kind;
    as[e] = a;
    bs[e] = b;
    // sift up
    let i = size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = heap[p];
      if (!before(e, pe)) break;
      heap[i] = pe;
      i = p;
    }
    heap[i] = e;
  }

  function pop(): number {
    const top = heap[0];
    const last = heap[--size];
    if (size > 0) {
      // sift down
      let i = 0;
      const half = size >> 1;
      while (i < half) {
        let c = 2 * i + 1;
        let ce = heap[c];
        const r = c + 1;
        if (r < size && before(heap[r], ce)) { c = r; ce = heap[r]; }
        if (!before(ce, last)) break;
        heap[i] = ce;
        i = c;
      }
      heap[i] = last;
    }
    free[nFree++] = top;
    return top;
  }

  function run(until: number, progress?: (now: number) => void, progressEveryMs?: number): void {
    const every = progressEveryMs && progressEveryMs > 0 ? progressEveryMs : Infinity;
    let nextProgress = progress ? now + every : Infinity;
    while (size > 0) {
      const e = heap[0];
      const t = times[e];
      if (t > until) break;
      pop();
      if (t >= nextProgress) {
        while (nextProgress <= t) nextProgress += every;
        now = t;
        progress!(now);
      }
      now = t;
      processed++;
      // the slot is back on the free list: read its fields before the handler schedules into it
      const h = handlers[kinds[e]];
      h(as[e], bs[e]);
    }
    if (until > now) now = until;
    if (progress) progress(now);
  }

  return {
    get now() { return now; },
    get processed() { return processed; },
    get pending() { return size; },
    on(kind: number, handler: EventHandler): void {
      if (kind < 0 || kind > 255 || (kind | 0) !== kind) throw new Error('meshwork/sim: event kind must be 0..255');
      handlers[kind] = handler;
    },
    schedule,
    run,
  };
}

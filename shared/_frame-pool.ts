/**
 * Frame pool: the router's only buffers for frames it keeps past one call (queued relays waiting out a
 * contention delay, unicast frames waiting for a hop acknowledgement). `cap` buffers of MAX_FRAME_LEN
 * bytes are carved out of one Uint8Array at creation; the relay path never allocates. A full pool
 * refuses (alloc returns -1): the caller drops the frame and counts it (stats.dropNoSlot), and an
 * unacknowledged unicast hop is retried by its sender later, so a full pool is back-pressure.
 *
 * Per-slot fields are typed-array columns (one noun per column, indexed by slot). Ownership: slot
 * buffers belong to the pool; a slot's user writes only its own slot between alloc and free.
 */
import { MAX_FRAME_LEN } from './frame.ts';

/** Slot states. */
export const enum SlotState {
  Free = 0,
  /** flood-mode frame waiting for its contention delay (flood.ts) */
  Relay = 1,
  /** routed unicast frame sent, waiting for a hop ack; resent at `due` (unicast.ts) */
  AwaitAck = 2,
  /** routed unicast frame waiting to go out (a short jitter before the first send) */
  Queued = 3,
}

export interface FramePool {
  readonly cap: number;
  /** slot buffers (views into one block) */
  readonly buf: Uint8Array[];
  readonly state: Uint8Array;
  readonly len: Uint8Array;
  readonly src: Uint32Array;
  readonly seq: Uint32Array;
  readonly dst: Uint32Array;
  /** absolute ms of the slot's next action */
  readonly due: Float64Array;
  /** hop limit the frame goes out with */
  readonly hop: Uint8Array;
  /** transmissions so far (unicast) or copies overheard (flood) */
  readonly tries: Uint8Array;
  /** next hop (routed unicast), full id */
  readonly nh: Uint32Array;
  /** airtime class of the slot's frame (airtime-governor Airtime.*) */
  readonly kind: Uint8Array;
  /** a free slot, or -1 */
  alloc(): number;
  free(s: number): void;
  /** slot holding (src, seq), or -1 */
  find(src: number, seq: number): number;
  /** earliest `due` of a busy slot, or -1 */
  nextDue(): number;
  /** busy slots */
  used(): number;
}

export function createFramePool(cap: number): FramePool {
  if (!(cap >= 1 && cap === (cap | 0))) throw new Error('meshwork/router: pool capacity must be an integer >= 1');
  const block = new Uint8Array(cap * MAX_FRAME_LEN);
  const buf: Uint8Array[] = [];
  for (let i = 0; i < cap; i++) buf.push(block.subarray(i * MAX_FRAME_LEN, (i + 1) * MAX_FRAME_LEN));
  const state = new Uint8Array(cap);
  const src = new Uint32Array(cap);
  const seq = new Uint32Array(cap);
  const due = new Float64Array(cap);
  let busy = 0;

  function alloc(): number {
    const s = state.indexOf(SlotState.Free);
    if (s >= 0) busy++;
    return s;
  }

  function free(s: number): void {
    if (state[s] === SlotState.Free) return;
    state[s] = SlotState.Free;
    src[s] = 0;
    seq[s] = 0;
    busy--;
  }

  function find(sr: number, sq: number): number {
    // seq is the selective key; src 0 marks free slots (frame.ts: 0 is never a valid source)
    let i = seq.indexOf(sq);
    while (i >= 0) {
      if (src[i] === sr && state[i] !== SlotState.Free) return i;
      i = seq.indexOf(sq, i + 1);
    }
    return -1;
  }

  function nextDue(): number {
    let d = -1;
    if (busy === 0) return d;
    for (let i = 0; i < cap; i++) {
      if (state[i] !== SlotState.Free && (d < 0 || due[i] < d)) d = due[i];
    }
    return d;
  }

  return {
    cap: cap,
    buf: buf,
    state: state,
    len: new Uint8Array(cap),
    src: src,
    seq: seq,
    dst: new Uint32Array(cap),
    due: due,
    hop: new Uint8Array(cap),
    tries: new Uint8Array(cap),
    nh: new Uint32Array(cap),
    kind: new Uint8Array(cap),
    alloc: alloc,
    free: free,
    find: find,
    nextDue: nextDue,
    used: function () { return busy; },
  };
}

/**
 * What the route table (route-table.ts) offers the router: its update() result flags, the 16-bit seqno
 * comparison, and the table's interface.
 */
import type { Advert } from './beacon.ts';

/** update() results, bit flags */
export const enum RouteChange {
  None = 0,
  /** the selected route (next hop or finiteness) changed */
  Changed = 1,
  /** the route needs to go out in the next triggered update */
  Dirty = 2,
  /** an unfeasible update could not be used: ask the destination for a new seqno */
  WantSeqno = 4,
  /** a retraction arrived from a neighbour we do not route through while we have a route: answer with it */
  Answer = 8,
  /** an update about ourselves with a newer seqno than ours (we rebooted): raise our own seqno */
  SelfNewer = 16,
  /** the change is urgent (retraction, route restored, requested seqno): send the triggered update at once */
  Urgent = 32,
}

/** a is newer than b, 16-bit wrapping (RFC 8966 §3.2.1) */
export function seqNewer16(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
}

export interface RouteTableInit {
  capacity: number;
  selfId: number;
}

export interface RouteTable {
  readonly cap: number;
  readonly dsts: Uint32Array;
  readonly nh: Uint32Array;
  readonly metric: Uint16Array;
  readonly seqno: Uint16Array;
  /** slot of dst with a finite route, or -1 */
  lookup(dst: number): number;
  /** slot of dst (any state), or -1 */
  slotOf(dst: number): number;
  /** next hop toward dst, 0 when none */
  nextHop(dst: number): number;
  update(nb: number, cost: number, dst: number, s: number, adv: number, gw: boolean, holdMs: number, now: number): number;
  /** the link cost to neighbour nb is now `cost`: re-derive the metrics of routes through it; true if any changed by ≥ 25 % */
  relink(nb: number, cost: number): boolean;
  /** retract every route through nb; returns how many */
  lostNeighbour(nb: number, now: number, holdMs: number): number;
  /** retract routes not refreshed in time and free retracted entries past their hold; returns retractions */
  expire(now: number, holdMs: number): number;
  nextExpiry(): number;
  /** slot of the best finite route to a gateway, or -1 */
  bestGateway(): number;
  isGateway(slot: number): boolean;
  fdSeq(slot: number): number;
  hasFd(slot: number): boolean;
  /** mark a route for the next triggered update */
  touch(slot: number): void;
  dirty(): boolean;
  /**
   * Fill advert entries from slot `from` on (every entry, or only dirty ones), starting at a.n, up to
   * ADVERT_MAX_ENTRIES; updates FD for finite entries and clears their dirty bit. Returns the slot to
   * continue from (cap when done).
   */
  fill(a: Advert, from: number, dirtyOnly: boolean): number;
  /** seqno-request bookkeeping: time of the last request for a slot */
  readonly requestedAt: Float64Array;
  count(): number;
}

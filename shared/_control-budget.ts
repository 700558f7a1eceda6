/**
 * The control budget: how much periodic control (beacons, route adverts, seqno requests, own and forwarded)
 * this node may send now. The airtime governor counts everything sent as periodic control; this file decides
 * what share of it each kind may use.
 *
 * Adverts and requests keep within this node's part of the neighbourhood's share, controlShare / (1 +
 * neighbours): a per-node cap alone does not bound a neighbourhood (20 nodes each at 5 % would fill the
 * channel at the node between them). Priorities, as fractions of that part: beacons first, then adverts (¾),
 * then requests (½), so adverts cannot starve beacons nor requests adverts. Beacons, bounded by their own
 * interval (at most one per beaconMinMs / 4) and needed by everything else, are held back only past the whole
 * per-node controlShare, never for the neighbourhood split.
 */
import type { AirtimeGovernor } from './airtime-governor.ts';
import type { NeighbourTable } from './neighbour-table.ts';

/** priority fractions of this node's control budget */
export const BUDGET_BEACON = 1;
export const BUDGET_ADVERT = 0.75;
export const BUDGET_REQUEST = 0.5;

export interface ControlBudgetInit {
  /** control share of a neighbourhood's airtime */
  controlShare: number;
}

export interface ControlBudgetComponents {
  gov: AirtimeGovernor;
  nbrs: NeighbourTable;
}

export interface ControlBudget {
  /** true while this node's periodic control is below its neighbourhood part × frac (adverts, requests) */
  allows(now: number, frac: number): boolean;
  /** true while this node's periodic control is below the whole per-node share (beacons) */
  beaconAllowed(now: number): boolean;
}

export function createControlBudget(init: ControlBudgetInit): (c: ControlBudgetComponents) => ControlBudget {
  const share = init.controlShare;
  return function (c) {
    return {
      allows: function (now: number, frac: number): boolean {
        return c.gov.controlUse(now) < (share * frac) / (1 + c.nbrs.count());
      },
      beaconAllowed: function (now: number): boolean {
        return c.gov.controlUse(now) < share * BUDGET_BEACON;
      },
    };
  };
}

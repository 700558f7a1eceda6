/**
 * The beacon schedule, the announcer's first part (_announce.ts): when this node beacons, and what its beacon
 * says. The interval adapts like Trickle / Babel's hello backoff: beaconMinMs while the neighbourhood changes
 * (a neighbour appears, disappears, or a link turns usable or unusable), doubling after each beacon with no
 * change up to beaconMaxMs. A change pulls the next beacon in to within beaconMinMs/8 (never closer than
 * beaconMinMs/4 to the previous one), so neighbours learn quickly that we hear them. Beacons are held back only
 * past the whole per-node control share (_control-budget.ts), and then retry after a quarter interval.
 */
import { FrameType } from './frame.ts';
import { BeaconFlag, encodeBeacon } from './beacon.ts';
import type { Beacon } from './beacon.ts';
import type { NeighbourTable } from './neighbour-table.ts';
import type { ControlBudget } from './_control-budget.ts';
import type { RouterStats } from './router-types.ts';

export interface BeaconScheduleInit {
  /** false: never beacon (the baselines) */
  mesh: boolean;
  gateway: boolean;
  leaf: boolean;
  beaconMinMs: number;
  beaconMaxMs: number;
}

export interface BeaconScheduleComponents {
  nbrs: NeighbourTable;
  budget: ControlBudget;
  stats: RouterStats;
  rand: () => number;
  /** encoding scratch owned by the announcer */
  bcn: Beacon;
  ctl: Uint8Array;
  sendOneHop(type: number, body: Uint8Array, now: number, periodic: boolean): boolean;
}

export interface BeaconSchedule {
  /** the neighbourhood changed: back to the shortest interval, next beacon soon */
  changed(now: number): void;
  /** beacon within beaconMinMs/8 (a leaf announces its new route seqno only in beacons) */
  soon(now: number): void;
  /** beacon if due, announcing route seqno ownSeq */
  tick(now: number, ownSeq: number): void;
  /** absolute ms of the next beacon, or -1 */
  nextDeadline(): number;
}

export function createBeaconSchedule(init: BeaconScheduleInit): (c: BeaconScheduleComponents) => BeaconSchedule {
  const minMs = init.beaconMinMs;
  const maxMs = init.beaconMaxMs;
  return function (c) {
    const stats = c.stats;
    const bcn = c.bcn;
    const ctl = c.ctl;
    let beaconIv = minMs;
    let nextBeaconAt = init.mesh ? 0 : -1;
    let lastBeaconAt = -1e15;
    let started = false;
    let nbChanged = true;
    let beaconSeq = Math.floor(c.rand() * 65536);

    function changed(now: number): void {
      nbChanged = true;
      beaconIv = minMs;
      let at = now + c.rand() * (minMs / 8);
      const floor = lastBeaconAt + minMs / 4;
      if (at < floor) at = floor;
      if (at < nextBeaconAt) nextBeaconAt = at;
    }

    function send(now: number, ownSeq: number): void {
      if (!c.budget.beaconAllowed(now)) {
        stats.controlDeferred++;
        nextBeaconAt = now + beaconIv / 4;
        return;
      }
      if (nbChanged) beaconIv = minMs;
      else if (started) beaconIv = beaconIv * 2 > maxMs ? maxMs : beaconIv * 2;
      started = true;
      nbChanged = false;
      bcn.flags = (init.gateway ? BeaconFlag.Gateway : 0) | (init.leaf ? BeaconFlag.Leaf : 0);
      beaconSeq = (beaconSeq + 1) & 0xffff;
      bcn.seq = beaconSeq;
      bcn.intervalMs = beaconIv;
      bcn.routeSeq = ownSeq;
      c.nbrs.fill(bcn, now);
      const len = encodeBeacon(bcn, ctl, 0);
      if (c.sendOneHop(FrameType.Beacon, ctl.subarray(0, len), now, true)) stats.txBeacon++;
      lastBeaconAt = now;
      nextBeaconAt = now + beaconIv * (0.9 + 0.2 * c.rand());
    }

    return {
      changed: changed,
      soon: function (now: number): void {
        if (nextBeaconAt > now + minMs / 8) nextBeaconAt = now + c.rand() * (minMs / 8);
      },
      tick: function (now: number, ownSeq: number): void {
        if (nextBeaconAt >= 0 && now >= nextBeaconAt) send(now, ownSeq);
      },
      nextDeadline: function (): number { return nextBeaconAt; },
    };
  };
}

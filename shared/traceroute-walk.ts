/**
 * Traceroute as a walk (design in app-messages.ts): the source asks each node on the path, one after
 * the other, for its next hop toward the destination and its view of the links to the previous and the
 * next node. Pure state: the caller sends what query() returns (answering it locally when `to` is this
 * node), feeds the reports back through report(), and re-sends query() on its own timeout (query() is
 * idempotent until a report moves the walk on).
 *
 *   query()  → { to, msg } for the next node to ask, or null once finished
 *   report(from, r) → WalkStatus: Continue | Done (reached d) | NoRoute (a node has no route) |
 *                     Loop (a node names a next hop already on the path) | TooLong (maxHops) | Ignored
 *   links()  → per hop a→b: fwd = a→b as measured at b, back = b→a as measured at a (rssi dBm, % heard);
 *              undefined where an end did not list the other (e.g. a one-way link)
 */
import type { TraceQueryMsg, TraceReportMsg, LinkEntry } from './app-messages.ts';

export const enum WalkStatus { Continue = 0, Done = 1, NoRoute = 2, Loop = 3, TooLong = 4, Ignored = 5 }

export interface WalkInit { self: number; dst: number; id: number; maxHops: number }

export interface LinkView { rssi: number; pct: number }
export interface HopLink { from: number; to: number; fwd?: LinkView; back?: LinkView }

export interface TracerouteWalk {
  query(): { to: number; msg: TraceQueryMsg } | null;
  report(from: number, r: TraceReportMsg): number;
  /** nodes on the path so far, source first */
  path(): number[];
  links(): HopLink[];
  status(): number;
}

function find(l: LinkEntry[], id: number): LinkView | undefined {
  for (const e of l) if (e[0] === id) return { rssi: e[1], pct: e[2] };
  return undefined;
}

export function createTracerouteWalk(init: WalkInit): TracerouteWalk {
  const nodes: number[] = [init.self];
  const reports: TraceReportMsg[] = [];
  let state: number = WalkStatus.Continue;

  function query(): { to: number; msg: TraceQueryMsg } | null {
    if (state !== WalkStatus.Continue) return null;
    const k = nodes.length - 1;
    const msg: TraceQueryMsg = { t: 'tr', id: init.id, d: init.dst };
    if (k > 0) msg.p = nodes[k - 1];
    return { to: nodes[k], msg: msg };
  }

  function report(from: number, r: TraceReportMsg): number {
    if (state !== WalkStatus.Continue || r.id !== init.id) return WalkStatus.Ignored;
    if (from !== nodes[nodes.length - 1] || reports.length === nodes.length) return WalkStatus.Ignored;
    reports.push(r);
    if (from === init.dst) state = WalkStatus.Done;
    else if (r.n === undefined || r.n === 0) state = WalkStatus.NoRoute; // 0 from a node that is not d: no answer
    else if (nodes.indexOf(r.n) >= 0) state = WalkStatus.Loop;
    else if (nodes.length > init.maxHops) state = WalkStatus.TooLong;
    else nodes.push(r.n);
    return state;
  }

  function links(): HopLink[] {
    const out: HopLink[] = [];
    for (let i = 0; i + 1 < nodes.length; i++) {
      const a = nodes[i];
      const b = nodes[i + 1];
      const h: HopLink = { from: a, to: b };
      const fwd = i + 1 < reports.length ? find(reports[i + 1].l, a) : undefined;
      const back = find(reports[i].l, b);
      if (fwd) h.fwd = fwd;
      if (back) h.back = back;
      out.push(h);
    }
    return out;
  }

  return {
    query: query,
    report: report,
    path: function () { return nodes.slice(); },
    links: links,
    status: function () { return state; },
  };
}

/**
 * Links learned from telemetry messages (app 'tm', shared/app-messages.ts), for the feeds that see other
 * nodes only through what they report (mqtt-feed.ts, serial-feed.ts). Each report is a node's neighbour list
 * [id, etx×100, rssi]; the link a–b is up while either end lists the other.
 * Telemetry carries ETX, not the two delivery ratios, so both directions show the symmetric estimate 1/√ETX
 * (ETX = 1/(df·dr), from the worse end's report); RSSI is the mean of what the ends report.
 * Also the TraceResult of a finished traceroute walk (shared/traceroute-walk.ts), for both feeds.
 */
import type { TracerouteWalk } from '../../shared/traceroute-walk.ts';
import { linkKey, nodeIdHex, type MeshEvent, type NodeId, type TraceResult, type TraceStatus } from './mesh-feed.ts';

export interface NbReport { etx: number; rssi: number }

/** the telemetry `nb` rows as a map; malformed rows are skipped */
export function nbRows(nb: unknown): Map<NodeId, NbReport> {
  const rows = new Map<NodeId, NbReport>();
  if (!Array.isArray(nb)) return rows;
  for (const r of nb) {
    if (Array.isArray(r) && typeof r[0] === 'number' && typeof r[1] === 'number' && typeof r[2] === 'number') rows.set(nodeIdHex(r[0]), { etx: r[1], rssi: r[2] });
  }
  return rows;
}

export function createTelemetryLinks(o: {
  apply(e: MeshEvent): void;
  /** links known better elsewhere (the attached node's own table): neither sent nor dropped from here */
  skip?(key: string): boolean;
}) {
  const reports = new Map<NodeId, Map<NodeId, NbReport>>();
  const up = new Set<string>();

  const down = (a: NodeId, b: NodeId): void => {
    o.apply({ type: 'link', link: { a, b, qualityAB: null, qualityBA: null, rssi: null, up: false, t: Date.now() } });
  };

  /** the link x–y from both ends' latest reports */
  function refresh(x: NodeId, y: NodeId): void {
    const k = linkKey(x, y);
    if (o.skip?.(k)) { up.delete(k); return; }
    const a = x < y ? x : y, b = a === x ? y : x;
    const ends = [reports.get(a)?.get(b), reports.get(b)?.get(a)].filter((r): r is NbReport => !!r);
    if (!ends.length) { if (up.delete(k)) down(a, b); return; }
    const etx = Math.max(...ends.map((e) => e.etx));
    const q = etx > 0 ? Math.round(Math.min(1, 1 / Math.sqrt(etx / 100)) * 100) / 100 : null;
    up.add(k);
    o.apply({ type: 'link', link: { a, b, qualityAB: q, qualityBA: q, rssi: Math.round(ends.reduce((s, e) => s + e.rssi, 0) / ends.length), up: true, t: Date.now() } });
  }

  return {
    /** a node's new report (null: forget it); returns the neighbours whose link was looked at */
    set(id: NodeId, rows: Map<NodeId, NbReport> | null): Set<NodeId> {
      const before = reports.get(id);
      if (rows) reports.set(id, rows); else reports.delete(id);
      const touched = new Set<NodeId>([...(before?.keys() ?? []), ...(rows?.keys() ?? [])]);
      for (const y of touched) refresh(id, y);
      return touched;
    },
    /** a node gone silent: its own report and the others' entries for it */
    remove(id: NodeId): void {
      this.set(id, null);
      for (const [x, m] of reports) if (m.delete(id)) refresh(x, id);
    },
    reports: (id: NodeId): boolean => reports.has(id),
    /** links up now that touch id */
    count(id: NodeId): number {
      let c = 0;
      for (const k of up) if (k.startsWith(id + '-') || k.endsWith('-' + id)) c++;
      return c;
    },
  };
}

/** The record of a walk (finished or not) for the page: per hop a→b, quality and RSSI as measured at each end. */
export function walkResult(walk: TracerouteWalk, from: NodeId, to: NodeId, status: TraceStatus, t0: number): TraceResult {
  return {
    from, to, status, path: walk.path().map(nodeIdHex),
    hops: walk.links().map((h) => ({
      a: nodeIdHex(h.from), b: nodeIdHex(h.to), qualityAB: h.fwd ? h.fwd.pct / 100 : null, qualityBA: h.back ? h.back.pct / 100 : null,
      rssiAB: h.fwd ? h.fwd.rssi : null, rssiBA: h.back ? h.back.rssi : null,
    })),
    ms: Date.now() - t0, t: Date.now(),
  };
}

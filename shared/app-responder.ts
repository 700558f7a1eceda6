/**
 * The endpoint side of the application messages (app-messages.ts): what a node answers on its own,
 * without the host. Used by the firmware and by the simulator, so both answer the same way.
 *
 *   ping          → pong to the sender, id and ts echoed
 *   trace query   → trace report to the sender: this node's next hop toward d (0 when this node is d,
 *                   absent without a route), the route metric, and its view of the links to p and n
 *   telemetry()   → this node's telemetry message (uptime, free memory, neighbours, version, board), which
 *                   nodes send to the best gateway now and then (firmware) and which the bridge publishes
 * Everything else (text, pong, reports, telemetry from others) is handed back decoded for the caller to
 * show or forward. Decoding never throws: a hostile payload gives {ok:false}.
 *
 * Not on the relay path (only for messages addressed to this node), so it may allocate.
 */
import type { AppMessages, AppMessage, TraceReportMsg, LinkEntry, NeighbourEntry } from './app-messages.ts';
import type { NeighbourInfo, RouteInfo } from './router-types.ts';

export interface AppResponderInit { selfId: number; version: string; board: string; maxNeighbours?: number }

export interface AppResponderComponents {
  app: AppMessages;
  neighbours(): NeighbourInfo[];
  routes(): RouteInfo[];
  /** free memory (JsVars on the node, any unit on the host) */
  memFree(): number;
}

/** what handle() found: the decoded message, and the reply to send to `to` (null when none) */
export interface AppHandled {
  ok: boolean;
  msg: AppMessage | null;
  reason: string;
  reply: Uint8Array | null;
  to: number;
}

export interface AppResponder {
  handle(payload: Uint8Array, src: number): AppHandled;
  /** the answer this node gives to a trace query (also used by the walk's source for its own first hop) */
  traceReport(id: number, d: number, p: number): TraceReportMsg;
  telemetry(uptimeMs: number): AppMessage;
}

const METRIC_INF = 32767;

function link(nb: NeighbourInfo[], id: number): LinkEntry | null {
  for (let i = 0; i < nb.length; i++) {
    const n = nb[i];
    if (n.id === id) {
      const rssi = Math.max(-200, Math.min(50, Math.round(n.rssi)));
      return [id, rssi, Math.round(n.rx * 100), Math.round(n.tx * 100)];
    }
  }
  return null;
}

export function createAppResponder(init: AppResponderInit): (c: AppResponderComponents) => AppResponder {
  const maxNb = init.maxNeighbours !== undefined ? init.maxNeighbours : 16;
  return function (c: AppResponderComponents): AppResponder {
    function traceReport(id: number, d: number, p: number): TraceReportMsg {
      const nb = c.neighbours();
      const r: TraceReportMsg = { t: 'tR', id: id, l: [] };
      let next = -1;
      if (d === init.selfId) {
        r.n = 0;
      } else {
        const rt = c.routes();
        for (let i = 0; i < rt.length; i++) {
          if (rt[i].dst === d && rt[i].nextHop !== 0 && rt[i].metric < METRIC_INF) {
            next = rt[i].nextHop; r.n = next; r.m = rt[i].metric; break;
          }
        }
        // a direct neighbour with no route entry yet is its own next hop
        if (next < 0 && link(nb, d) !== null) { next = d; r.n = d; }
      }
      const lp = p > 0 ? link(nb, p) : null;
      if (lp !== null) r.l.push(lp);
      const ln = next > 0 && next !== p ? link(nb, next) : null;
      if (ln !== null) r.l.push(ln);
      return r;
    }

    function telemetry(uptimeMs: number): AppMessage {
      const nb = c.neighbours();
      const rows: NeighbourEntry[] = [];
      for (let i = 0; i < nb.length && rows.length < maxNb; i++) {
        const n = nb[i];
        if (n.cost >= METRIC_INF) continue;
        rows.push([n.id, Math.min(65535, n.cost), Math.max(-200, Math.min(50, Math.round(n.rssi)))]);
      }
      return {
        t: 'tm', up: Math.floor(uptimeMs / 1000), mem: Math.max(0, Math.floor(c.memFree())), nb: rows,
        v: init.version.substring(0, 32), b: init.board.substring(0, 32),
      };
    }

    function handle(payload: Uint8Array, src: number): AppHandled {
      const d = c.app.decode(payload);
      if (!d.ok) return { ok: false, msg: null, reason: d.reason, reply: null, to: 0 };
      const m = d.msg;
      let reply: AppMessage | null = null;
      if (m.t === 'pi') {
        reply = m.ts === undefined ? { t: 'po', id: m.id } : { t: 'po', id: m.id, ts: m.ts };
      } else if (m.t === 'tr') {
        reply = traceReport(m.id, m.d, m.p !== undefined ? m.p : 0);
      }
      return { ok: true, msg: m, reason: '', reply: reply === null ? null : c.app.encode(reply), to: reply === null ? 0 : src };
    }

    return { handle: handle, traceReport: traceReport, telemetry: telemetry };
  };
}

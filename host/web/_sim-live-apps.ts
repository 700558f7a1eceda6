/**
 * The application layer of the simulated nodes in live mode, and the page's commands (text, ping,
 * traceroute) as they go through the simulated mesh. Runs inside the simulation worker.
 *
 * Every node answers pings and trace queries with shared/app-responder.ts, the same code the firmware
 * runs. Commands are real messages handed to the source node's router.send(); a text is reported
 * delivered when the destination's router delivers it (events.deliver), a ping when the pong comes back,
 * a traceroute by walking the path with shared/traceroute-walk.ts (one query per hop, as a node does).
 *
 * Sends decided inside a delivery (replies, the walk's next query) are queued and made from an engine
 * event scheduled at the same virtual time: the router is never re-entered from its own deliver callback.
 * Timeouts are in virtual time (the mesh's own time), checked at every live tick.
 */
import { createAppMessages, type AppMessage } from '../../shared/app-messages.ts';
import { createAppResponder, type AppResponder } from '../../shared/app-responder.ts';
import { createCbor } from '../../shared/cbor.ts';
import { Flag } from '../../shared/frame.ts';
import { GATEWAY, SEND_BULK } from '../../shared/router-types.ts';
import { createTracerouteWalk, WalkStatus, type TracerouteWalk } from '../../shared/traceroute-walk.ts';
import type { DeliverInfo } from '../../shared/router.ts';
import { nodeCborText } from '../cbor-text.ts';
import { decodeTraffic } from '../sim/scenario.ts';
import type { LiveSim } from '../sim/options.ts';
import { nodeIdHex, type CommandResult, type MeshCommand, type PacketKind, type TraceResult, type TraceStatus } from './mesh-feed.ts';

const K_FLUSH = 201;
const TEXT_TIMEOUT_MS = 20000;
const PING_TIMEOUT_MS = 15000;
const QUERY_TIMEOUT_MS = 4000;
const QUERY_TRIES = 3;
const TRACE_MAX_HOPS = 16;

export interface LiveAppsInit {
  sim: LiveSim;
  fw: string;
  /** free memory a node reports (modelled by the caller) */
  memFree(i: number): number;
  /** wall-clock epoch ms of a virtual time */
  epoch(virtualMs: number): number;
  reply(rid: number, r: CommandResult): void;
  trace(t: TraceResult): void;
  /** a page's text arrived at its node: the simulator-side record */
  delivered(d: { rid: number; at: string; src: string; text: string; hops: number; virtualMs: number }): void;
  /** every node but the gateways sends its telemetry message to the best gateway this often, virtual ms,
   *  as the firmware does (firmware/node.ts; 0 = never, the default); first ones spread over one period */
  telemetryMs?: number;
  /** a node's uptime, virtual ms */
  uptimeMs?(i: number, now: number): number;
}

export interface Delivered { kind: PacketKind; text?: string }

interface Pending {
  rid: number; op: MeshCommand['op']; src: number; dst: number; at: number; deadline: number;
  handle: number; text?: string; pingId?: number;
  walk?: TracerouteWalk; queryAt?: number; tries?: number;
}

const STATUS: Record<number, TraceStatus> = {
  [WalkStatus.Done]: 'done', [WalkStatus.NoRoute]: 'no-route', [WalkStatus.Loop]: 'loop', [WalkStatus.TooLong]: 'too-long',
};

export function createLiveApps(init: LiveAppsInit) {
  const { sim } = init;
  const n = sim.ids.length;
  const app = createAppMessages({})({ cbor: createCbor()(nodeCborText()) });
  const responders: (AppResponder | null)[] = new Array(n).fill(null);
  const index = new Map<number, number>();
  for (let i = 0; i < n; i++) index.set(sim.ids[i], i);
  const queue: { node: number; dst: number; payload: Uint8Array; flags: number }[] = [];
  const pending = new Set<Pending>();
  let nextId = 1;
  const telemetryMs = init.telemetryMs ?? 0;
  // node i's first telemetry at a spread offset (a fixed hash of i), so 30 nodes do not all speak at once
  const nextTelemetry = new Float64Array(n);
  for (let i = 0; i < n; i++) nextTelemetry[i] = telemetryMs > 0 ? 2000 + ((i * 2654435761) >>> 0) % telemetryMs : Infinity;

  function responder(i: number): AppResponder {
    let r = responders[i];
    if (!r) {
      r = createAppResponder({ selfId: sim.ids[i], version: init.fw, board: 'sim' })({
        app,
        neighbours: () => sim.routers[i]?.neighbours() ?? [],
        routes: () => sim.routers[i]?.routes() ?? [],
        memFree: () => init.memFree(i),
      });
      responders[i] = r;
    }
    return r;
  }

  function send(node: number, dst: number, msg: AppMessage | Uint8Array, flags: number): number {
    const r = sim.routers[node];
    if (!r) return -1000;
    const payload = msg instanceof Uint8Array ? msg : app.encode(msg);
    const h = r.send(dst, payload, flags, sim.engine.now);
    sim.reschedule(node);
    return h;
  }

  function later(node: number, dst: number, msg: AppMessage | Uint8Array, flags: number): void {
    if (queue.length === 0) sim.engine.schedule(sim.engine.now, K_FLUSH, 0, 0);
    queue.push({ node, dst, payload: msg instanceof Uint8Array ? msg.slice() : app.encode(msg), flags });
  }
  sim.engine.on(K_FLUSH, () => {
    const list = queue.splice(0);
    for (const q of list) send(q.node, q.dst, q.payload, q.flags);
  });

  function finish(p: Pending, r: CommandResult): void {
    if (!pending.delete(p)) return;
    init.reply(p.rid, r);
  }

  function traceResult(p: Pending, status: TraceStatus): TraceResult {
    const w = p.walk!;
    return {
      from: nodeIdHex(sim.ids[p.src]), to: nodeIdHex(sim.ids[p.dst]), status,
      path: w.path().map(nodeIdHex),
      hops: w.links().map((h) => ({
        a: nodeIdHex(h.from), b: nodeIdHex(h.to),
        qualityAB: h.fwd ? h.fwd.pct / 100 : null, qualityBA: h.back ? h.back.pct / 100 : null,
        rssiAB: h.fwd ? h.fwd.rssi : null, rssiBA: h.back ? h.back.rssi : null,
      })),
      ms: Math.round(sim.engine.now - p.at), t: init.epoch(sim.engine.now),
    };
  }

  function endWalk(p: Pending, status: TraceStatus): void {
    const t = traceResult(p, status);
    init.trace(t);
    finish(p, status === 'done' ? { ok: true, trace: t, ms: t.ms, hops: t.path.length - 1 } : { ok: false, err: `traceroute: ${status}`, trace: t, ms: t.ms });
  }

  /** ask the next node on the walk (answering locally for the source itself); `queued` when inside a delivery */
  function stepWalk(p: Pending, queued: boolean): void {
    const w = p.walk!;
    for (;;) {
      const q = w.query();
      if (!q) { endWalk(p, STATUS[w.status()] ?? 'error'); return; }
      if (q.to !== sim.ids[p.src]) {
        if (queued) later(p.src, q.to, q.msg, 0); else send(p.src, q.to, q.msg, 0);
        p.queryAt = sim.engine.now;
        p.tries = 1;
        return;
      }
      const st = w.report(q.to, responder(p.src).traceReport(q.msg.id, q.msg.d, q.msg.p ?? 0));
      if (st !== WalkStatus.Continue) { endWalk(p, STATUS[st] ?? 'error'); return; }
    }
  }

  return {
    /** a page's command: starts it now (we are inside an engine event, outside any router call) */
    command(rid: number, c: MeshCommand): void {
      const now = sim.engine.now;
      const s = index.get(parseInt(c.from ?? '0', 16));
      const d = index.get(parseInt(c.to, 16));
      if (s === undefined || d === undefined) { init.reply(rid, { ok: false, err: 'unknown node' }); return; }
      if (!sim.alive[s]) { init.reply(rid, { ok: false, err: `the sending node ${nodeIdHex(sim.ids[s])} is down` }); return; }
      if (s === d) { init.reply(rid, { ok: false, err: 'the sending node and the destination are the same' }); return; }
      const p: Pending = { rid, op: c.op, src: s, dst: d, at: now, deadline: now, handle: -1 };
      if (c.op === 'text') {
        p.text = c.text;
        p.deadline = now + TEXT_TIMEOUT_MS;
        p.handle = send(s, sim.ids[d], { t: 'tx', m: c.text, to: sim.ids[d] }, Flag.AckReq);
      } else if (c.op === 'ping') {
        p.pingId = (nextId++ * 2654435761) >>> 0;
        p.deadline = now + PING_TIMEOUT_MS;
        p.handle = send(s, sim.ids[d], { t: 'pi', id: p.pingId, ts: Math.floor(now) }, 0);
      } else {
        p.walk = createTracerouteWalk({ self: sim.ids[s], dst: sim.ids[d], id: (nextId++ * 2654435761) >>> 0, maxHops: TRACE_MAX_HOPS });
        p.deadline = now + QUERY_TIMEOUT_MS * QUERY_TRIES * TRACE_MAX_HOPS;
        pending.add(p);
        stepWalk(p, false);
        return;
      }
      if (p.handle < 0) { init.reply(rid, { ok: false, err: `the router refused the send (${p.handle})` }); return; }
      pending.add(p);
    },

    /** a delivery at `node`: answer what a node answers, settle commands, and say what it was for the log */
    deliver(node: number, payload: Uint8Array, info: DeliverInfo): Delivered {
      if (decodeTraffic(payload) >= 0) return { kind: 'data' };
      const h = responder(node).handle(payload, info.src);
      if (!h.ok || !h.msg) return { kind: 'data' };
      if (h.reply) later(node, h.to, h.reply, 0);
      const m = h.msg;
      const now = sim.engine.now;
      for (const p of pending) {
        if (p.op === 'text' && m.t === 'tx' && node === p.dst && info.src === sim.ids[p.src] && m.m === p.text) {
          init.delivered({ rid: p.rid, at: nodeIdHex(sim.ids[node]), src: nodeIdHex(info.src), text: m.m, hops: info.hops, virtualMs: now });
          finish(p, { ok: true, delivered: true, hops: info.hops, ms: Math.round(now - p.at) });
        } else if (p.op === 'ping' && m.t === 'po' && node === p.src && m.id === p.pingId) {
          finish(p, { ok: true, hops: info.hops, ms: Math.round(now - p.at) });
        } else if (p.op === 'traceroute' && m.t === 'tR' && node === p.src) {
          const st = p.walk!.report(info.src, m);
          if (st === WalkStatus.Continue) stepWalk(p, true);
          else if (st !== WalkStatus.Ignored) endWalk(p, STATUS[st] ?? 'error');
        }
      }
      const kind: PacketKind = m.t === 'tx' ? 'text' : m.t === 'pi' ? 'ping' : m.t === 'po' ? 'pong'
        : m.t === 'tr' ? 'trace' : m.t === 'tR' ? 'trace-report' : 'telemetry';
      return m.t === 'tx' ? { kind, text: m.m.length > 80 ? m.m.slice(0, 80) + '…' : m.m } : { kind };
    },

    /** end-to-end result of a send with AckReq */
    sent(node: number, handle: number, ok: boolean): void {
      if (ok) return;
      for (const p of pending) {
        if (p.op === 'text' && p.src === node && p.handle === handle) finish(p, { ok: false, err: 'not acknowledged end to end: the message did not arrive' });
      }
    },

    /** timeouts and query retries; periodic telemetry */
    tick(now: number): void {
      if (telemetryMs > 0) {
        for (let i = 0; i < n; i++) {
          if (now < nextTelemetry[i]) continue;
          nextTelemetry[i] = now + telemetryMs;
          if (!sim.alive[i] || sim.gateways.has(i) || !sim.routers[i]) continue;
          send(i, GATEWAY, responder(i).telemetry(init.uptimeMs ? init.uptimeMs(i, now) : now), SEND_BULK);
        }
      }
      for (const p of pending) {
        if (p.op === 'traceroute' && p.queryAt !== undefined && now - p.queryAt > QUERY_TIMEOUT_MS) {
          if (p.tries! >= QUERY_TRIES || !sim.alive[p.src]) { endWalk(p, 'timeout'); continue; }
          const q = p.walk!.query();
          if (q) { send(p.src, q.to, q.msg, 0); p.queryAt = now; p.tries!++; }
        }
        if (now > p.deadline) {
          if (p.op === 'traceroute') endWalk(p, 'timeout');
          else finish(p, { ok: false, err: p.op === 'text' ? 'not delivered in time' : 'no pong in time' });
        }
      }
    },
  };
}

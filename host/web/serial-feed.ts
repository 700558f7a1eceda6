/**
 * One serial-attached node as a MeshFeed: what `meshwork monitor --web` shows. Works over a NodeLink
 * (host/link/node-link.ts) on any Duplex (a serial port, a pty, the Espruino emulation's console).
 *
 *   const feed = await createSerialFeed({ link: new NodeLink(port), name: '/dev/ttyUSB0' });
 *   await startDashboard({ feed });
 *
 * What it learns, and from where (CONTRACTS §1):
 *   - the node itself: HELLO (id, name, role, firmware), TELEMETRY (uptime, free memory, counters);
 *   - its neighbours: NEIGHBOURS rows [id, rssi, rx %, tx %, cost, flags, ago ms] give the links with quality
 *     both ways (rx % = share of the neighbour's frames heard here, tx % = share of ours it hears) and RSSI;
 *   - other nodes: ROUTES (every destination, gateways flagged), TRAFFIC summaries (sources heard), and the
 *     telemetry messages other nodes send to a gateway (app 'tm' in DELIVER payloads, when this node is the
 *     gateway they chose): uptime, memory, firmware, and their neighbour lists (links, quality estimated from
 *     ETX as 1/√ETX both ways, see mqtt-feed.ts);
 *   - packets: DELIVER (decoded: text, ping, pong, trace, telemetry) and TRAFFIC (data frames heard here).
 * The feed subscribes (`sub {f: logs|traffic|reports, n: reportS}`) after every HELLO, so a node that rebooted
 * is subscribed again. Commands from the page leave from this node: text (send, ack asked), ping (waits for
 * the pong DELIVERed back), traceroute (shared/traceroute-walk.ts: the first hop from the node's own `trace`
 * answer, the next ones by sending 'tr' queries and reading the 'tR' reports from DELIVER).
 * A node absent from both tables and not heard for `staleMs` is shown down.
 */
import { createAppMessages, type AppMessage } from '../../shared/app-messages.ts';
import { createCbor } from '../../shared/cbor.ts';
import { nodeCborText } from '../cbor-text.ts';
import {
  BROADCAST_ID, createFeedState, upsertNode, linkKey, nodeIdHex, parseCommand, type CommandResult, type FeedInfo, type MeshCommand,
  type MeshFeed, type NodeId, type NodeInfo, type NodeRole, type PacketKind,
} from './mesh-feed.ts';
import { createTelemetryLinks, nbRows } from './_telemetry-links.ts';
import { createSerialCommands, type SerialLinkLike } from './_serial-commands.ts';

export type { SerialLinkLike };

export interface SerialFeedOptions {
  link: SerialLinkLike;
  /** what the page title shows (the port path) */
  name?: string;
  /** report period asked of the node, s (default 5) */
  reportS?: number;
  /** max log level subscribed (default 2) */
  logLevel?: number;
  /** a node in neither table and not heard for this long is shown down (default 600 000 ms) */
  staleMs?: number;
  /** a pong or a trace report not back within this long fails (default 15 000 / 4 000 ms) */
  pingTimeoutMs?: number;
  queryTimeoutMs?: number;
  /** display names by node id */
  names?: Record<string, string>;
}

export interface SerialFeed extends MeshFeed {
  /** resolves once the node said HELLO and the first reports are in */
  readonly ready: Promise<void>;
  /** carry on over a new link to the node (the port was re-opened: a reconnecting monitor makes a new NodeLink) */
  attach(link: SerialLinkLike): void;
}

const METRIC_INF = 32767;
const SUB_LOGS = 1, SUB_TRAFFIC = 2, SUB_REPORTS = 8;
const FRAME_DATA = 1;
const KINDS: Record<string, PacketKind> = { tx: 'text', pi: 'ping', po: 'pong', tr: 'trace', tR: 'trace-report', tm: 'telemetry' };

export async function createSerialFeed(o: SerialFeedOptions): Promise<SerialFeed> {
  let link = o.link;
  const app = createAppMessages({})({ cbor: createCbor()(nodeCborText()) });
  const state = createFeedState();
  const staleMs = o.staleMs ?? 600_000;
  const info: FeedInfo = { source: 'serial', name: o.name ?? 'serial node', anySender: false };
  const nodes = new Map<NodeId, NodeInfo>();
  let selfN = 0;
  let self: NodeId = '';
  /** links as the attached node sees them (exact), and from other nodes' telemetry (estimated) */
  const ownLinks = new Set<string>();
  const tlinks = createTelemetryLinks({ apply: state.apply, skip: (k) => ownLinks.has(k) });
  let inTables = new Set<NodeId>();
  let closed = false;
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => { readyResolve = r; });

  const nameOf = (id: NodeId, given?: string): string => o.names?.[id] ?? given ?? nodes.get(id)?.name ?? id;
  const touch = (id: NodeId, patch: Partial<NodeInfo>, heardAt: number | null = null): NodeInfo =>
    upsertNode(nodes, state.apply, id, nameOf(id), patch, heardAt);
  const linkDown = (a: NodeId, b: NodeId): void => {
    const x = a < b ? a : b, y = x === a ? b : a;
    state.apply({ type: 'link', link: { a: x, b: y, qualityAB: null, qualityBA: null, rssi: null, up: false, t: Date.now() } });
  };

  function onHello(h: Record<string, any>): void {
    if (typeof h.id !== 'number' || h.id === 0) return; // unprovisioned: nothing to show yet
    selfN = h.id >>> 0;
    self = nodeIdHex(selfN);
    info.self = self;
    info.name = `${o.name ?? 'serial'}: ${h.name || self} (${h.board ?? '?'}, mesh ${h.mesh ?? '?'})`;
    const role: NodeRole = h.role === 'gateway' || h.role === 'leaf' || h.role === 'repeater' ? h.role : 'router';
    touch(self, { name: nameOf(self, h.name || undefined), role, fw: typeof h.fw === 'string' ? h.fw : null }, Date.now());
    void (async () => {
      try {
        await link.request('sub', { f: SUB_LOGS | SUB_TRAFFIC | SUB_REPORTS, lvl: o.logLevel ?? 2, n: o.reportS ?? 5 });
        for (const w of ['tm', 'nb', 'rt']) {
          const r = await link.request('get', { w });
          if (r.ok) (w === 'tm' ? onTelemetry : w === 'nb' ? onNeighbours : onRoutes)(r);
        }
      } catch { /* a node busy rebooting: its next HELLO subscribes again */ }
      readyResolve();
    })();
  }

  function onTelemetry(m: Record<string, any>): void {
    if (!self) return;
    const st = m.st ?? {};
    touch(self, {
      uptimeS: typeof m.up === 'number' ? Math.floor(m.up / 1000) : null, mem: typeof m.mem === 'number' ? m.mem : null,
      counters: {
        tx: st.txFrames, rx: st.rxFrames, relay: st.txRelay, delivered: st.delivered,
        dropped: (st.dropRateLimit ?? 0) + (st.dropCongestion ?? 0) + (st.dropNoSlot ?? 0) + (st.dropHopLimit ?? 0),
      },
    }, Date.now());
  }

  function onNeighbours(m: Record<string, any>): void {
    if (!self || !Array.isArray(m.n)) return;
    const now = Date.now();
    const next = new Set<string>();
    let usable = 0;
    for (const row of m.n as number[][]) {
      if (!Array.isArray(row) || row.length < 7) continue;
      const [id, rssi, rxPct, txPct, cost, flags, ago] = row;
      const nb = nodeIdHex(id);
      if (cost < METRIC_INF) usable++;
      touch(nb, (flags & 1) ? { role: 'gateway' } : (flags & 2) ? { role: 'leaf' } : {}, now - ago);
      const k = linkKey(self, nb);
      next.add(k);
      // a < b: qualityAB = share of a's frames heard by b. Here: rx = nb→self, tx = self→nb
      const selfIsA = self < nb;
      state.apply({
        type: 'link', link: {
          a: selfIsA ? self : nb, b: selfIsA ? nb : self, qualityAB: (selfIsA ? txPct : rxPct) / 100, qualityBA: (selfIsA ? rxPct : txPct) / 100,
          rssi, up: true, t: now,
        },
      });
    }
    for (const k of ownLinks) if (!next.has(k)) { const [a, b] = k.split('-'); linkDown(a, b); }
    ownLinks.clear();
    for (const k of next) ownLinks.add(k);
    touch(self, { neighbours: usable }, now);
    refreshTables();
  }

  let routeIds = new Set<NodeId>();
  function onRoutes(m: Record<string, any>): void {
    if (!self || !Array.isArray(m.r)) return;
    const ids = new Set<NodeId>();
    for (const row of m.r as number[][]) {
      if (!Array.isArray(row) || row.length < 5 || row[2] >= METRIC_INF) continue;
      const id = nodeIdHex(row[0]);
      ids.add(id);
      const prev = nodes.get(id);
      if (!prev || !prev.up || (row[4] === 1 && prev.role !== 'gateway')) touch(id, { up: true, ...(row[4] === 1 ? { role: 'gateway' as NodeRole } : {}) });
    }
    routeIds = ids;
    touch(self, { routes: ids.size });
    refreshTables();
  }

  function refreshTables(): void {
    const next = new Set<NodeId>(routeIds);
    for (const k of ownLinks) for (const id of k.split('-')) if (id !== self) next.add(id);
    inTables = next;
  }

  /** links from another node's telemetry (this node is the gateway it reports to) */
  function telemetryFrom(src: NodeId, tm: Extract<AppMessage, { t: 'tm' }>): void {
    const now = Date.now();
    touch(src, { uptimeS: tm.up, mem: tm.mem, fw: tm.v, neighbours: tm.nb.length }, now);
    const rows = nbRows(tm.nb);
    for (const y of rows.keys()) if (!nodes.has(y)) touch(y, {});
    tlinks.set(src, rows);
  }

  function onDeliver(m: Record<string, any>): void {
    if (typeof m.s !== 'number' || !(m.p instanceof Uint8Array)) return;
    const src = nodeIdHex(m.s);
    const now = Date.now();
    touch(src, {}, now);
    const d = app.decode(m.p);
    const msg = d.ok ? d.msg : null;
    if (msg && msg.t === 'tm') telemetryFrom(src, msg);
    state.apply({
      type: 'packet', packet: {
        t: now, src, dst: m.d === 0xffffffff ? BROADCAST_ID : nodeIdHex(m.d >>> 0), kind: msg ? KINDS[msg.t] : 'data',
        hops: typeof m.h === 'number' ? m.h : null, rssi: typeof m.r === 'number' ? m.r : null, at: self,
        ...(msg && msg.t === 'tx' ? { text: msg.m.length > 80 ? msg.m.slice(0, 80) + '…' : msg.m } : {}),
      },
    });
    if (msg) commands.delivered(m.s >>> 0, msg, m.h);
  }

  function onTraffic(m: Record<string, any>): void {
    if (m.k !== 'rx' || typeof m.s !== 'number') return;
    const src = nodeIdHex(m.s);
    if (src === self) return;
    const now = Date.now();
    touch(src, {}, now);
    if (m.t !== FRAME_DATA) return; // beacons and route adverts: one-hop chatter, not the packet log
    state.apply({
      type: 'packet', packet: {
        t: now, src, dst: m.d === 0xffffffff ? BROADCAST_ID : nodeIdHex(m.d >>> 0), kind: 'data',
        hops: typeof m.h === 'number' ? m.h : null, rssi: typeof m.r === 'number' ? m.r : null, at: self,
      },
    });
  }

  const onEvent = (e: Record<string, any>): void => {
    if ((e.e === 'nb-up' || e.e === 'nb-down') && !closed) link.request('get', { w: 'nb' }).then((r) => { if (r.ok) onNeighbours(r); }, () => {});
  };
  const onClose = (): void => { if (self) touch(self, { up: false }); readyResolve(); };
  const handlers = [['hello', onHello], ['telemetry', onTelemetry], ['neighbours', onNeighbours], ['routes', onRoutes],
    ['deliver', onDeliver], ['traffic', onTraffic], ['event', onEvent], ['close', onClose]] as const;
  function wire(l: SerialLinkLike): void {
    for (const [ev, fn] of handlers) l.on(ev, fn as never);
    // the handshake; a node that does not answer now says HELLO when it boots (onHello then runs)
    l.hello().then((h) => { if (l === link && (!self || h.id >>> 0 !== selfN)) onHello(h); }, () => {});
  }
  function unwire(l: SerialLinkLike): void {
    for (const [ev, fn] of handlers) l.off(ev, fn as never);
  }
  wire(link);

  const staleTimer = setInterval(() => {
    const now = Date.now();
    for (const n of nodes.values()) {
      if (n.id === self || !n.up || inTables.has(n.id)) continue;
      if (n.lastHeard === null || now - n.lastHeard > staleMs) {
        touch(n.id, { up: false });
        tlinks.remove(n.id);
      }
    }
  }, Math.min(5000, Math.max(250, staleMs / 4)));
  staleTimer.unref();

  const commands = createSerialCommands({
    link: () => link, app, self: () => selfN, trace: (t) => state.apply({ type: 'trace', trace: t }),
    pingTimeoutMs: o.pingTimeoutMs, queryTimeoutMs: o.queryTimeoutMs,
  });

  return {
    info,
    ready,
    snapshot: state.snapshot,
    subscribe: (l) => state.subscribe(l),
    async command(c: MeshCommand): Promise<CommandResult> {
      const v = parseCommand(c);
      if (typeof v === 'string') return { ok: false, err: v };
      if (closed) return { ok: false, err: 'the feed is closed' };
      if (!self) return { ok: false, err: 'the node has not said who it is yet (no HELLO)' };
      if (v.from && v.from !== self) return { ok: false, err: 'commands leave from the attached node only' };
      if (v.to === self) return { ok: false, err: 'that is the attached node itself' };
      return commands.run(v);
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(staleTimer);
      commands.close();
      unwire(link);
    },
    attach(l: SerialLinkLike): void {
      if (closed || l === link) return;
      unwire(link);
      link = l;
      wire(l);
    },
  };
}

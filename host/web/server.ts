/**
 * startDashboard({feed, port}) → {url, close()}: the dashboard page served on localhost (node:http), fed
 * over a WebSocket (ws) from any MeshFeed (mesh-feed.ts).
 *
 * Batching (so 1000 nodes do not drown the browser): feed events are coalesced per record (the last node
 * or link record wins) and sent to every page at most FLUSH_HZ times a second, as one JSON message; the
 * packet log sends at most MAX_PACKETS_PER_FLUSH lines per flush and says how many it skipped. A page
 * whose socket backs up (bufferedAmount over MAX_BUFFERED) is skipped and later resynchronised with a
 * full snapshot instead of being sent everything it missed.
 *
 * Page → server: {t:'cmd', rid, cmd: MeshCommand} → {t:'reply', rid, result}; {t:'history', rid, id} →
 * {t:'history', rid, id, h: NodeHistory}. Server → page: {t:'hello', info, nodes, links, packets,
 * traces, now}, then {t:'batch', nodes, links, packets, dropped, traces, now}. The page code is in page/.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import { pageFiles } from './bundle.ts';
import { createHistory } from './_history.ts';
import { linkKey, type LinkInfo, type MeshEvent, type MeshFeed, type NodeInfo, type PacketInfo, type TraceResult } from './mesh-feed.ts';

export interface DashboardOptions {
  feed: MeshFeed;
  /** TCP port; 0 (default) picks a free one */
  port?: number;
  /** interface to listen on; default 127.0.0.1 (the dashboard can send into the mesh: keep it local) */
  host?: string;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
  /** figures: pages connected, batches sent, the last batch's size in bytes, the bundle's build time */
  stats(): { clients: number; batches: number; lastBatchBytes: number; buildMs: number };
}

const FLUSH_HZ = 4;
const MAX_PACKETS_PER_FLUSH = 200;
const RECENT_PACKETS = 300;
const RECENT_TRACES = 10;
const MAX_BUFFERED = 8 * 1024 * 1024;

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const { feed } = o;
  const page = await pageFiles();
  const history = createHistory();

  // --- what the pages are owed since the last flush
  let nodes = new Map<string, NodeInfo>();
  let links = new Map<string, LinkInfo>();
  let packets: PacketInfo[] = [];
  let dropped = 0;
  let traces: TraceResult[] = [];
  const recentPackets: PacketInfo[] = [];
  const recentTraces: TraceResult[] = [];
  // each node's links now, for the mean link quality its chart shows
  const adjacency = new Map<string, Map<string, LinkInfo>>();
  const adj = (id: string): Map<string, LinkInfo> => {
    let m = adjacency.get(id);
    if (!m) { m = new Map(); adjacency.set(id, m); }
    return m;
  };
  const meanQuality = (id: string): number => {
    const m = adjacency.get(id);
    if (!m || m.size === 0) return NaN;
    let s = 0, k = 0;
    for (const l of m.values()) {
      const q = Math.min(l.qualityAB ?? 1, l.qualityBA ?? 1);
      if (l.qualityAB !== null || l.qualityBA !== null) { s += q; k++; }
    }
    return k ? s / k : NaN;
  };

  const onEvent = (e: MeshEvent): void => {
    if (e.type === 'node') {
      nodes.set(e.node.id, e.node);
      history.record(e.node, meanQuality(e.node.id), Date.now());
    } else if (e.type === 'link') {
      const k = linkKey(e.link.a, e.link.b);
      links.set(k, e.link);
      if (e.link.up) { adj(e.link.a).set(k, e.link); adj(e.link.b).set(k, e.link); } else { adj(e.link.a).delete(k); adj(e.link.b).delete(k); }
    } else if (e.type === 'packet') {
      recentPackets.push(e.packet);
      if (recentPackets.length > RECENT_PACKETS) recentPackets.splice(0, recentPackets.length - RECENT_PACKETS);
      if (packets.length < MAX_PACKETS_PER_FLUSH) packets.push(e.packet); else dropped++;
    } else if (e.type === 'trace') {
      traces.push(e.trace);
      recentTraces.push(e.trace);
      if (recentTraces.length > RECENT_TRACES) recentTraces.shift();
    }
  };
  for (const l of feed.snapshot().links) onEvent({ type: 'link', link: l });
  const unsubscribe = feed.subscribe(onEvent);

  // --- http: the page's files, nothing else
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url || '/').split('?')[0];
    const f = page.files.get(path === '/' ? '/index.html' : path);
    if (req.method !== 'GET' || !f) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n'); return; }
    res.writeHead(200, { 'content-type': f.type, 'cache-control': 'no-store', 'content-length': f.body.length });
    res.end(f.body);
  });
  const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 64 * 1024 });
  const stale = new WeakSet<WebSocket>();
  let batches = 0, lastBatchBytes = 0;

  const hello = (ws: WebSocket): void => {
    const s = feed.snapshot();
    ws.send(JSON.stringify({ t: 'hello', info: feed.info, nodes: s.nodes, links: s.links, packets: recentPackets, traces: recentTraces, now: Date.now() }));
  };

  wss.on('connection', (ws) => {
    hello(ws);
    ws.on('message', (raw) => {
      let m: { t?: string; rid?: unknown; cmd?: unknown; id?: unknown };
      try { m = JSON.parse(String(raw)); } catch { return; }
      const rid = typeof m.rid === 'number' ? m.rid : 0;
      const reply = (x: object): void => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ rid, ...x })); };
      if (m.t === 'cmd') {
        feed.command(m.cmd as never).then(
          (result) => reply({ t: 'reply', result }),
          (e: Error) => reply({ t: 'reply', result: { ok: false, err: e.message } }),
        );
      } else if (m.t === 'history' && typeof m.id === 'string') {
        reply({ t: 'history', id: m.id, h: history.get(m.id) });
      }
    });
  });

  const flush = (): void => {
    if (nodes.size === 0 && links.size === 0 && packets.length === 0 && traces.length === 0 && dropped === 0) return;
    const msg = JSON.stringify({ t: 'batch', nodes: [...nodes.values()], links: [...links.values()], packets, dropped, traces, now: Date.now() });
    nodes = new Map();
    links = new Map();
    packets = [];
    dropped = 0;
    traces = [];
    batches++;
    lastBatchBytes = msg.length;
    for (const ws of wss.clients) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (ws.bufferedAmount > MAX_BUFFERED) { stale.add(ws); continue; }
      if (stale.has(ws)) { stale.delete(ws); hello(ws); continue; }
      ws.send(msg);
    }
  };
  const timer = setInterval(flush, 1000 / FLUSH_HZ);

  // ws re-emits the http server's errors; a port in use reaches the caller through listen() below instead
  wss.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  }).catch((e: Error) => {
    clearInterval(timer);
    unsubscribe();
    wss.close();
    throw e;
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  return {
    url: `http://${host}:${addr.port}/`,
    stats: () => ({ clients: wss.clients.size, batches, lastBatchBytes, buildMs: page.buildMs }),
    async close() {
      clearInterval(timer);
      unsubscribe();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * The whole community through its bridges as a MeshFeed: an MQTT client that follows the bridge's topic
 * scheme (host/bridge/TOPICS.md, topics.ts) on any broker, so the dashboard shows what every bridge of a mesh
 * (or of every mesh, mesh '+') publishes.
 *
 *   const feed = await createMqttFeed({ url: 'mqtt://127.0.0.1:1883', mesh: 'demo', keyFile });
 *   await startDashboard({ feed });
 *
 * What it learns, and from where:
 *   - nodes: every uplink envelope (<root>/node/<src>/<kind>) says its source was heard now, through which
 *     gateway (`gw`); telemetry messages add uptime, free memory, firmware and the neighbour list; bridge
 *     status topics (retained) name the gateways. A node not heard for `staleMs` is shown down.
 *   - links: from telemetry `nb` rows [id, etx×100, rssi]. Telemetry carries ETX, not the two delivery ratios,
 *     so both directions show the symmetric estimate 1/√ETX (ETX = 1/(df·dr)); RSSI is the mean of what the
 *     two ends report. A link is dropped when neither end lists the other any more (or an end goes stale).
 *   - packets: every envelope, deduplicated on (src, epoch, seq) (QoS 1 is at least once).
 * Commands from the page are signed downlink commands (command-sign.ts) on <root>/cmd/<dst>, so they work on
 * any broker; without a key they answer {ok:false} saying so. The bridge carries them from its gateway with
 * hop limit `hops` (it must allow that many: `meshwork bridge --max-hops`). A text is ok once the bridge did
 * not refuse it within REFUSAL_WAIT_MS (refusals come back on the bridge's events topic); a ping waits for the
 * pong the bridge publishes; a traceroute walks from the destination BACK to the gateway (shared/
 * traceroute-walk.ts: each node asked in turn for its next hop toward the gateway, the reports arriving as
 * trace-report publications), since the gateway's own tables are not reachable over MQTT.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { deriveDownlinkKey, signCommand } from '../bridge/command-sign.ts';
import { DEFAULT_PREFIX, TOPIC_VERSION, validMeshName } from '../bridge/topics.ts';
import type { KeyFile } from '../keyfile.ts';
import { createTracerouteWalk, WalkStatus } from '../../shared/traceroute-walk.ts';
import type { TraceReportMsg } from '../../shared/app-messages.ts';
import {
  BROADCAST_ID, createFeedState, upsertNode, parseCommand, type CommandResult, type FeedInfo, type MeshCommand,
  type MeshFeed, type NodeId, type NodeInfo, type PacketKind, type TraceStatus,
} from './mesh-feed.ts';
import { createTelemetryLinks, nbRows, walkResult } from './_telemetry-links.ts';

export interface MqttFeedOptions {
  url: string;
  /** mesh name, or '+' for every mesh on the broker (default '+') */
  mesh?: string;
  prefix?: string;
  username?: string;
  password?: string;
  /** signs the page's commands with the downlink key derived from it (as the bridge derives it) */
  keyFile?: KeyFile | null;
  /** a separate downlink key (the bridge's --downlink-key); wins over keyFile */
  downlinkKey?: Uint8Array | null;
  /** hop limit the commands ask for (default 0: the gateway's neighbours only, the bridge's default) */
  hops?: number;
  /** a node not heard for this long is shown down (default 900 000 ms: three firmware telemetry periods) */
  staleMs?: number;
  /** display names by node id (a deployment file's names); default: the id */
  names?: Record<string, string>;
  /** more client options (TLS: ca, cert, key, rejectUnauthorized; protocolVersion) */
  clientOptions?: IClientOptions;
  /** a ping or a trace query without an answer for this long fails (default 15 000 ms) */
  answerTimeoutMs?: number;
}

export interface MqttFeed extends MeshFeed {
  /** publications received, envelopes taken, envelopes refused (not JSON, not v1) */
  stats(): { messages: number; envelopes: number; bad: number; bridges: number };
}

const REFUSAL_WAIT_MS = 1500;
const TRACE_MAX_HOPS = 16;
const KIND: Record<string, PacketKind> = {
  text: 'text', ping: 'ping', pong: 'pong', telemetry: 'telemetry', 'trace-query': 'trace', 'trace-report': 'trace-report',
};

interface Env {
  v: number; mesh: string; src: string; dst: string; seq: number; epoch: number; hops: number; rssi: number; gw: string;
  bridge: string; at: string; kind: string; msg?: Record<string, unknown>;
}

interface Waiter { match(src: NodeId, kind: string, msg: Record<string, unknown>, env: Env): boolean; done(env: Env): void }

export async function createMqttFeed(o: MqttFeedOptions): Promise<MqttFeed> {
  const mesh = o.mesh ?? '+';
  if (mesh !== '+' && !validMeshName(mesh)) throw new Error(`meshwork/web: mesh name "${mesh}" is not usable in a topic`);
  const base = `${o.prefix ?? DEFAULT_PREFIX}/${TOPIC_VERSION}`;
  const key = o.downlinkKey ?? (o.keyFile ? deriveDownlinkKey(o.keyFile) : null);
  const hops = o.hops ?? 0;
  const staleMs = o.staleMs ?? 900_000;
  const answerMs = o.answerTimeoutMs ?? 15_000;
  const state = createFeedState();
  const nodes = new Map<NodeId, NodeInfo>();
  const nodeMesh = new Map<NodeId, string>();
  const bridges = new Map<string, { state: string; gw: NodeId | null; mesh: string }>();
  const seen = new Map<string, number>();
  const waiters = new Set<Waiter>();
  const refusals = new Set<(topic: string, reason: string) => void>();
  const counts = { messages: 0, envelopes: 0, bad: 0 };
  const info: FeedInfo = { source: 'mqtt', name: `MQTT ${redact(o.url)}, mesh ${mesh === '+' ? 'all' : mesh}`, anySender: false };
  let closed = false;

  const nameOf = (id: NodeId): string => o.names?.[id] ?? id;
  const touch = (id: NodeId, patch: Partial<NodeInfo>, heardAt: number | null): NodeInfo =>
    upsertNode(nodes, state.apply, id, nameOf(id), patch, heardAt);

  const tlinks = createTelemetryLinks({ apply: state.apply });
  /** a node's neighbour report; a node that sends none (a gateway) counts the links the others report with it */
  const setReports = (id: NodeId, rows: ReturnType<typeof nbRows> | null): void => {
    for (const x of [id, ...tlinks.set(id, rows)]) {
      const n = nodes.get(x);
      if (n && !tlinks.reports(x) && x !== id && tlinks.count(x) !== n.neighbours) touch(x, { neighbours: tlinks.count(x) }, null);
    }
  };

  const onEnvelope = (env: Env): void => {
    const now = Date.now();
    const at = Date.parse(env.at);
    const heard = Number.isFinite(at) && at <= now + 60_000 ? at : now;
    const src = env.src;
    nodeMesh.set(src, env.mesh);
    if (/^[0-9a-f]{8}$/.test(env.gw)) { nodeMesh.set(env.gw, env.mesh); touch(env.gw, { role: 'gateway' }, heard); }
    const msg = env.msg ?? {};
    if (env.kind === 'telemetry' && Array.isArray(msg.nb)) {
      const rows = nbRows(msg.nb);
      touch(src, {
        uptimeS: typeof msg.up === 'number' ? msg.up : null, mem: typeof msg.mem === 'number' ? msg.mem : null,
        fw: typeof msg.v === 'string' ? msg.v : null, neighbours: rows.size,
      }, heard);
      setReports(src, rows);
    } else touch(src, {}, heard);
    const dst = env.dst === 'all' ? BROADCAST_ID : env.dst === 'gateway' ? env.gw : env.dst;
    state.apply({
      type: 'packet', packet: {
        t: heard, src, dst, kind: KIND[env.kind] ?? 'data', hops: typeof env.hops === 'number' ? env.hops : null,
        rssi: typeof env.rssi === 'number' ? env.rssi : null, at: env.gw,
        ...(env.kind === 'text' && typeof msg.m === 'string' ? { text: msg.m.length > 80 ? msg.m.slice(0, 80) + '…' : msg.m } : {}),
      },
    });
    for (const w of waiters) if (w.match(src, env.kind, msg, env)) { waiters.delete(w); w.done(env); }
  };

  const onStatus = (bridge: string, meshName: string, j: Record<string, unknown>): void => {
    const gw = (j.gateway as { id?: unknown } | undefined)?.id;
    const gid = typeof gw === 'string' && /^[0-9a-f]{8}$/.test(gw) ? gw : null;
    const prev = bridges.get(meshName + '/' + bridge);
    bridges.set(meshName + '/' + bridge, { state: String(j.state), gw: gid ?? prev?.gw ?? null, mesh: meshName });
    if (gid) {
      nodeMesh.set(gid, meshName);
      const online = j.state === 'online';
      touch(gid, { role: 'gateway', ...(online ? {} : { up: false }) }, online ? Date.now() : null);
    }
    if (!info.self) { const g = [...bridges.values()].find((b) => b.gw && b.state === 'online'); if (g) info.self = g.gw!; }
    const online = [...bridges.values()].filter((b) => b.state === 'online').length;
    info.name = `MQTT ${redact(o.url)}, mesh ${mesh === '+' ? 'all' : mesh}: ${online} bridge${online === 1 ? '' : 's'} online`;
  };

  const client: MqttClient = mqtt.connect(o.url, {
    clientId: 'meshwork-web-' + randomBytes(4).toString('hex'), username: o.username, password: o.password,
    reconnectPeriod: 1000, connectTimeout: 5000, clean: true, ...o.clientOptions,
  });
  client.on('error', () => { /* reconnects by itself; the page shows what it has */ });
  client.on('connect', () => {
    client.subscribe([`${base}/${mesh}/node/+/+`, `${base}/${mesh}/bridge/+/status`, `${base}/${mesh}/bridge/+/events`], { qos: 1 });
  });
  client.on('message', (topic, payload) => {
    counts.messages++;
    const parts = topic.split('/');
    // <prefix>/v1/<mesh>/node/<src>/<kind> | …/bridge/<id>/status | …/bridge/<id>/events
    let j: Record<string, unknown>;
    try { j = JSON.parse(payload.toString('utf8')); } catch { counts.bad++; return; }
    if (!j || typeof j !== 'object') { counts.bad++; return; }
    if (parts[3] === 'node' && parts.length === 6) {
      const env = j as unknown as Env;
      if (env.v !== 1 || typeof env.src !== 'string' || !/^[0-9a-f]{8}$/.test(env.src)) { counts.bad++; return; }
      const k = `${env.mesh}:${env.src}:${env.epoch}:${env.seq}`;
      if (seen.has(k)) return;
      seen.set(k, Date.now());
      if (seen.size > 20000) for (const x of [...seen.keys()].slice(0, 10000)) seen.delete(x);
      counts.envelopes++;
      onEnvelope(env);
    } else if (parts[3] === 'bridge' && parts[5] === 'status') onStatus(parts[4], parts[2], j);
    else if (parts[3] === 'bridge' && parts[5] === 'events') {
      if ((j.event === 'downlink-rejected' || j.event === 'downlink-failed') && typeof j.topic === 'string') {
        for (const r of refusals) r(j.topic, String(j.reason ?? j.event));
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`meshwork/web: no MQTT connection to ${redact(o.url)} within 5 s`)), 5000);
    client.once('connect', () => { clearTimeout(t); resolve(); });
  }).catch(async (e) => { await client.endAsync(true).catch(() => {}); throw e; });

  // nodes not heard for staleMs go down (their neighbour reports with them)
  const staleTimer = setInterval(() => {
    const now = Date.now();
    for (const n of nodes.values()) {
      if (n.up && n.lastHeard !== null && now - n.lastHeard > staleMs) {
        touch(n.id, { up: false }, null);
        tlinks.remove(n.id);
      }
    }
  }, Math.min(5000, Math.max(250, staleMs / 4)));
  staleTimer.unref();

  /** publish a signed command; resolves with the refusal reason, or null when none came back in time */
  const publishCmd = (to: NodeId, msg: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<string | null> => {
    const m = nodeMesh.get(to) ?? (mesh !== '+' ? mesh : null);
    if (!m) return Promise.resolve(`node ${to} has not been heard on any mesh yet`);
    const topic = `${base}/${m}/cmd/${to}`;
    const payload = signCommand(key!, topic, { ts: Date.now(), n: randomBytes(8).toString('hex'), msg, h: hops, ...extra });
    return new Promise((resolve) => {
      let settled = false;
      const end = (r: string | null): void => { if (settled) return; settled = true; refusals.delete(onRefusal); clearTimeout(t); resolve(r); };
      const onRefusal = (tp: string, reason: string): void => { if (tp === topic) end(`the bridge refused it: ${reason}`); };
      refusals.add(onRefusal);
      const t = setTimeout(() => end(null), REFUSAL_WAIT_MS);
      client.publish(topic, payload, { qos: 1 }, (err) => { if (err) end(`publish failed: ${err.message}`); });
    });
  };

  const waitFor = (match: Waiter['match'], ms: number): Promise<Env | null> => new Promise((resolve) => {
    const w: Waiter = { match, done: (env) => { clearTimeout(t); resolve(env); } };
    const t = setTimeout(() => { waiters.delete(w); resolve(null); }, ms);
    waiters.add(w);
  });

  async function ping(to: NodeId): Promise<CommandResult> {
    const id = randomBytes(4).readUInt32BE(0);
    const t0 = Date.now();
    const pong = waitFor((src, kind, msg) => src === to && kind === 'pong' && msg.id === id, answerMs);
    const refused = await publishCmd(to, { t: 'pi', id, ts: t0 });
    if (refused) return { ok: false, err: refused };
    const env = await pong;
    return env ? { ok: true, hops: env.hops, ms: Date.now() - t0 } : { ok: false, err: `no pong within ${answerMs / 1000} s` };
  }

  async function traceroute(to: NodeId): Promise<CommandResult> {
    const gw = [...bridges.values()].find((b) => b.gw && b.state === 'online' && b.mesh === nodeMesh.get(to))?.gw;
    if (!gw) return { ok: false, err: 'no online bridge with a gateway for that node\'s mesh' };
    if (gw === to) return { ok: false, err: 'that is the gateway itself' };
    const t0 = Date.now();
    const id = randomBytes(4).readUInt32BE(0);
    const gwN = parseInt(gw, 16);
    // walk from the destination back to the gateway: the path the node's answers take
    const walk = createTracerouteWalk({ self: parseInt(to, 16), dst: gwN, id, maxHops: TRACE_MAX_HOPS });
    let status: TraceStatus = 'timeout';
    for (;;) {
      const q = walk.query();
      if (!q) break;
      if (q.to === gwN) { status = 'done'; break; } // reached the gateway: its own tables are not reachable over MQTT
      const qid = q.to.toString(16).padStart(8, '0');
      let env: Env | null = null;
      for (let tries = 0; tries < 2 && !env; tries++) {
        const rep = waitFor((src, kind, msg) => src === qid && kind === 'trace-report' && msg.id === id, answerMs / 2);
        const refused = await publishCmd(qid, q.msg as unknown as Record<string, unknown>);
        if (refused) return { ok: false, err: refused };
        env = await rep;
      }
      if (!env) { status = 'timeout'; break; }
      const st = walk.report(q.to, env.msg as unknown as TraceReportMsg);
      if (st === WalkStatus.Done) { status = 'done'; break; }
      if (st === WalkStatus.NoRoute) { status = 'no-route'; break; }
      if (st === WalkStatus.Loop) { status = 'loop'; break; }
      if (st === WalkStatus.TooLong) { status = 'too-long'; break; }
    }
    const trace = walkResult(walk, to, gw, status, t0);
    state.apply({ type: 'trace', trace });
    return status === 'done' ? { ok: true, trace, ms: trace.ms, hops: trace.path.length - 1 } : { ok: false, err: `traceroute: ${status}`, trace, ms: trace.ms };
  }

  return {
    info,
    snapshot: state.snapshot,
    subscribe: (l) => state.subscribe(l),
    stats: () => ({ ...counts, bridges: bridges.size }),
    async command(c: MeshCommand): Promise<CommandResult> {
      const v = parseCommand(c);
      if (typeof v === 'string') return { ok: false, err: v };
      if (closed) return { ok: false, err: 'the feed is closed' };
      if (!key) return { ok: false, err: 'downlink needs the key: give the network key file (--network FILE) so commands can be signed' };
      if (!client.connected) return { ok: false, err: 'not connected to the broker' };
      try {
        if (v.op === 'text') {
          // accepted by the bridge; nodes do not report deliveries over the air, so no `delivered` here
          const refused = await publishCmd(v.to, { t: 'tx', m: v.text, to: parseInt(v.to, 16) }, { a: 1 });
          return refused ? { ok: false, err: refused } : { ok: true };
        }
        return v.op === 'ping' ? await ping(v.to) : await traceroute(v.to);
      } catch (e) {
        return { ok: false, err: (e as Error).message };
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(staleTimer);
      for (const w of waiters) w.done(null as never);
      waiters.clear();
      await client.endAsync(true).catch(() => {});
    },
  };
}

/** a URL without its password */
function redact(u: string): string {
  try { const x = new URL(u); if (x.password) x.password = '***'; return x.toString().replace(/\/$/, ''); } catch { return '(url)'; }
}

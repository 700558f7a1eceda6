/**
 * The bridge: a gateway node (GatewayLink) ↔ an MQTT broker. Wiring only; the parts are
 *   uplink.ts (verify, decrypt, envelopes) → disk-queue.ts (nothing lost) → claims.ts (no duplicates between
 *   bridges) → MQTT QoS 1;   MQTT commands → downlink.ts (auth, rate, zero-hop) → gateway;
 *   other meshes' topics → mesh links (verified with that mesh's key, loop-guarded) → downlink.inject.
 * Topic scheme: topics.ts / TOPICS.md. Status: retained JSON on <root>/bridge/<id>/status, "offline" by last
 * will. Reconnects: MQTT with exponential back-off (reconnect.minMs … maxMs); the gateway by calling its
 * factory again after every close, also with back-off, so an unplugged or rebooted node comes back alone.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { readFileSync } from 'node:fs';
import type { KeyFile } from '../keyfile.ts';
import { createClaims, type Claims } from './claims.ts';
import { createDiskQueue, decodeRecord, encodeRecord } from './disk-queue.ts';
import { createDownlink, type Downlink } from './downlink.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.ts';
import type { GatewayLink, GatewayLinkFactory } from './gateway-link.ts';
import { createTopics, NAME_TO_T } from './topics.ts';
import { createUplink, type Uplink } from './uplink.ts';

export interface LinkConfig { mesh: string; keyFile: KeyFile; kinds?: string[]; hops?: number }

export interface BridgeConfig {
  keyFile: KeyFile;
  mesh?: string;
  bridgeId: string;
  gateway: GatewayLinkFactory;
  queueDir: string;
  queueMax?: number;
  mqtt?: {
    url?: string; username?: string; password?: string; ca?: string; cert?: string; key?: string; insecure?: boolean;
    clientId?: string; protocolVersion?: 4 | 5;
  };
  /** embedded aedes when mqtt.url is absent */
  embedded?: { host?: string; port?: number };
  dedupe?: boolean;
  cbor?: boolean;
  /**
   * QoS of uplink publications: 1 (default, at least once) or 2 (exactly once between bridge and broker, with
   * a persistent session: no copy when the broker dies between taking a message and acknowledging it, as
   * long as the broker keeps its session state, e.g. mosquitto with persistence stopped with SIGTERM)
   */
  qos?: 1 | 2;
  downlink?: {
    key?: Uint8Array | null; allow?: string[]; maxHops?: number;
    bridgeRatePerSec?: number; bridgeBurst?: number; dstRatePerSec?: number; dstBurst?: number;
  };
  links?: LinkConfig[];
  window?: number;
  statusEveryMs?: number;
  reconnect?: { minMs?: number; maxMs?: number };
  log?: (entry: Record<string, unknown>) => void;
}

export interface Bridge {
  url: string;
  readonly uplink: Uplink;
  readonly downlink: Downlink;
  status(): Record<string, unknown>;
  connected(): boolean;
  gateway(): GatewayLink | null;
  stop(): Promise<void>;
}

export async function startBridge(cfg: BridgeConfig): Promise<Bridge> {
  const mesh = cfg.mesh ?? cfg.keyFile.mesh;
  const T = createTopics(mesh);
  const id = cfg.bridgeId;
  /** the MQTT client once created (log() may run before: it then only writes the log) */
  let mq: MqttClient | null = null;
  const log = (level: string, event: string, detail: Record<string, unknown> = {}): void => {
    const e = { t: new Date().toISOString(), level, bridge: id, event, ...detail };
    (cfg.log ?? ((x) => process.stderr.write(JSON.stringify(x) + '\n')))(e);
    if (level === 'warn' && mq?.connected) mq.publish(T.events(id), JSON.stringify(e), { qos: 0 });
  };
  const uplink = createUplink({ keyFile: cfg.keyFile, topics: T, mesh, bridgeId: id, cbor: cfg.cbor });
  const queue = createDiskQueue({ dir: cfg.queueDir, maxEntries: cfg.queueMax });
  const window = cfg.window ?? 128;
  const minMs = cfg.reconnect?.minMs ?? 250;
  const maxMs = cfg.reconnect?.maxMs ?? 10_000;
  let gw: GatewayLink | null = null;
  let gwId = 0;
  let stopping = false;
  let connected = false;
  let inflight = 0;
  const held = new Map<number, Buffer>();
  const standing = new Set<number>();
  const counters = { mqttConnects: 0, gatewayAttaches: 0, published: 0, linkInjected: 0, linkLoopsPrevented: 0, linkRejected: 0 };

  const downlink = createDownlink({ topics: T, key: cfg.downlink?.key ?? null, allow: cfg.downlink?.allow ?? [], ...cfg.downlink })({
    gateway: () => gw,
    log: (level, event, detail) => log(level, event, detail),
    injected: (payload, via) => uplink.noteInjected(payload, via, Date.now()),
    now: () => Date.now(),
  });

  // --- broker: embedded unless a URL is given
  let embedded: EmbeddedBroker | null = null;
  let url = cfg.mqtt?.url;
  if (!url) {
    embedded = await startEmbeddedBroker({
      host: cfg.embedded?.host, port: cfg.embedded?.port,
      onPublish: (topic, payload, who) => {
        if (!topic.startsWith(T.root + '/cmd/')) return null;
        const r = downlink.handle(topic, payload, who);
        // refused for rate: the publisher was authorised, keep it connected; anything else disconnects it
        return r.ok || r.reason === 'rate' ? null : `downlink refused: ${r.reason}`;
      },
    });
    url = embedded.url;
  }

  // --- MQTT
  const m = cfg.mqtt ?? {};
  const uplinkQos = cfg.qos ?? 1;
  const statusMsg = (state: string): string => JSON.stringify({ state, bridge: id, mesh, at: new Date().toISOString(), ...(state === 'online' ? statusBody() : {}) });
  const opts: IClientOptions = {
    clientId: m.clientId ?? `meshwork-bridge-${id}`,
    username: m.username, password: m.password,
    ca: m.ca ? readFileSync(m.ca) : undefined, cert: m.cert ? readFileSync(m.cert) : undefined, key: m.key ? readFileSync(m.key) : undefined,
    rejectUnauthorized: !m.insecure,
    protocolVersion: m.protocolVersion ?? 4,
    // QoS 2 needs the session kept across reconnects: the broker then knows which packet ids it already has
    clean: uplinkQos !== 2, resubscribe: false, reconnectPeriod: minMs, connectTimeout: 5000,
    will: { topic: T.status(id), payload: Buffer.from(JSON.stringify({ state: 'offline', bridge: id, mesh })), qos: 1, retain: true },
  };
  const client: MqttClient = mqtt.connect(url, opts);
  mq = client;

  const claims: Claims | null = cfg.dedupe === false ? null : createClaims({ bridgeId: id })({
    publishClaims: (b) => { if (client.connected) client.publish(T.claims, b, { qos: 1 }); },
    publish: (rid) => publishRecord(rid),
    done: (rid) => finish(rid, true),
    retry: (rid) => { held.delete(rid); inflight--; queue.retry(rid); },
    standby: (rid) => { standing.add(rid); inflight--; pump(); },
    now: () => Date.now(),
  });

  function finish(rid: number, ok: boolean): void {
    held.delete(rid);
    // a record that stood by (claims) gave its window slot back already
    if (!standing.delete(rid)) inflight--;
    if (ok) queue.ack(rid); else queue.retry(rid);
    pump();
  }

  function publishRecord(rid: number): void {
    const rec = held.get(rid);
    if (!rec) return;
    const r = decodeRecord(rec);
    let left = r.pubs.length;
    let failed = false;
    for (const p of r.pubs) {
      client.publish(p.topic, p.payload, { qos: uplinkQos }, (err) => {
        if (err) failed = true;
        if (--left === 0) { if (!failed) counters.published++; finish(rid, !failed); }
      });
    }
  }

  function pump(): void {
    if (!connected || stopping) return;
    while (inflight < window) {
      const e = queue.next();
      if (!e) return;
      inflight++;
      held.set(e.id, e.rec);
      if (claims) claims.add(e.id, { src: e.rec.readUInt32BE(0), epoch: e.rec[4], seq: e.rec.readUInt32BE(5) });
      else publishRecord(e.id);
    }
  }

  function statusBody(): Record<string, unknown> {
    return {
      gateway: { attached: !!gw, id: gwId ? gwId.toString(16).padStart(8, '0') : null },
      queue: { waiting: queue.waiting(), unacked: queue.size(), ...queue.stats },
      uplink: uplink.counters, downlink: downlink.counters, claims: claims?.counters ?? null, counters,
    };
  }

  const linkUplinks = new Map<string, { up: Uplink; cfg: LinkConfig }>();
  for (const l of cfg.links ?? []) {
    const LT = createTopics(l.mesh);
    linkUplinks.set(LT.root, { up: createUplink({ keyFile: l.keyFile, topics: LT, mesh: l.mesh, bridgeId: id }), cfg: l });
  }

  function subscribeAll(): void {
    const subs: string[] = [];
    if (claims) subs.push(T.claims, T.rawFilter);
    if (!embedded) subs.push(T.cmdFilter);
    for (const [root, l] of linkUplinks) for (const k of l.cfg.kinds ?? ['text']) subs.push(`${root}/node/+/${k}`);
    if (subs.length) client.subscribe(subs, { qos: 1 });
  }

  function onLink(root: string, payload: Buffer): void {
    const l = linkUplinks.get(root)!;
    let env: Record<string, unknown>;
    try { env = JSON.parse(payload.toString('utf8')); } catch { counters.linkRejected++; return; }
    if (env.via !== undefined || env.injected) { counters.linkLoopsPrevented++; return; }
    if (typeof env.frame !== 'string') { counters.linkRejected++; return; }
    const r = l.up.openPayload(new Uint8Array(Buffer.from(env.frame, 'base64')));
    if (!r || r.frag) { if (!r) counters.linkRejected++; return; }
    if (uplink.published(r.payload, Date.now())) { counters.linkLoopsPrevented++; return; }
    counters.linkInjected++;
    void downlink.inject(r.payload, [l.cfg.mesh], l.cfg.hops ?? 0);
  }

  client.on('message', (topic, payload) => {
    if (topic === T.claims) { claims?.onClaims(payload); return; }
    if (topic.startsWith(T.root + '/raw/')) {
      const k = uplink.markSeen(new Uint8Array(payload));
      if (k) claims?.onRawSeen(k);
      return;
    }
    if (topic.startsWith(T.root + '/cmd/')) { if (!embedded) downlink.handle(topic, payload, null); return; }
    for (const root of linkUplinks.keys()) if (topic.startsWith(root + '/node/')) { onLink(root, payload); return; }
  });
  client.on('connect', () => {
    connected = true;
    counters.mqttConnects++;
    client.options.reconnectPeriod = minMs;
    subscribeAll();
    client.publish(T.status(id), statusMsg('online'), { qos: 1, retain: true });
    log('info', 'mqtt-connected', { url: redact(url!) });
    pump();
  });
  client.on('close', () => {
    if (connected) log('warn', 'mqtt-disconnected', { queued: queue.waiting() });
    connected = false;
    claims?.onDisconnect();
    // exponential back-off: mqtt.js retries on a fixed interval, set up when the connection dropped (its own
    // 'close' listener runs first); restart that interval with the doubled period after every failed try
    client.options.reconnectPeriod = Math.min(maxMs, Math.max(minMs, (client.options.reconnectPeriod ?? minMs) * 2));
    const c = client as unknown as { reconnectTimer?: unknown; _clearReconnect?(): void; _setupReconnect?(): void };
    if (!stopping && c.reconnectTimer && c._clearReconnect && c._setupReconnect) { c._clearReconnect(); c._setupReconnect(); }
  });
  client.on('error', (e) => log('warn', 'mqtt-error', { reason: e.message }));

  const statusTimer = setInterval(() => {
    if (client.connected) client.publish(T.status(id), statusMsg('online'), { qos: 1, retain: true });
  }, cfg.statusEveryMs ?? 10_000);
  statusTimer.unref();

  // --- gateway, re-attached after every close
  let gwBackoff = minMs;
  let gwTimer: NodeJS.Timeout | null = null;
  async function attach(): Promise<void> {
    gwTimer = null;
    if (stopping) return;
    let g: GatewayLink;
    try { g = await cfg.gateway(); } catch (e) {
      log('warn', 'gateway-open-failed', { reason: (e as Error).message, retryMs: gwBackoff });
      gwTimer = setTimeout(attach, gwBackoff);
      gwBackoff = Math.min(maxMs, gwBackoff * 2);
      return;
    }
    if (stopping) { g.close(); return; }
    gw = g;
    gwBackoff = minMs;
    counters.gatewayAttaches++;
    log('info', 'gateway-attached', {});
    g.on('hello', (info) => { gwId = info.id >>> 0; log('info', 'gateway-hello', { id: gwId.toString(16), mesh: info.mesh, fw: info.fw }); });
    g.on('frame', (rssi, frame) => {
      const rec = uplink.handle(rssi, frame, gwId, Date.now());
      if (!rec) return;
      queue.push(encodeRecord(rec));
      pump();
    });
    g.on('close', (reason) => {
      if (gw !== g) return;
      gw = null;
      log('warn', 'gateway-closed', { reason: reason ?? '', retryMs: minMs });
      if (!stopping) gwTimer = setTimeout(attach, minMs);
    });
    g.on('error', (e: Error) => log('warn', 'gateway-error', { reason: e.message }));
  }
  void attach();

  return {
    url: url!,
    uplink, downlink,
    status: statusBody,
    connected: () => connected,
    gateway: () => gw,
    async stop() {
      stopping = true;
      if (gwTimer) clearTimeout(gwTimer);
      clearInterval(statusTimer);
      claims?.close();
      if (gw) { const g = gw; gw = null; g.close(); }
      if (client.connected) await new Promise<void>((r) => client.publish(T.status(id), JSON.stringify({ state: 'offline', bridge: id, mesh }), { qos: 1, retain: true }, () => r()));
      await client.endAsync(true).catch(() => {});
      queue.close();
      if (embedded) await embedded.close();
    },
  };
}

/** a URL without its password, for logs */
function redact(u: string): string {
  try { const x = new URL(u); if (x.password) x.password = '***'; return x.toString(); } catch { return '(url)'; }
}

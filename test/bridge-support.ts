/**
 * Test support for the bridge suites: a gateway that hears frames sealed by the real core (shared/frame-seal,
 * shared/keyring, host/crypto/aes-noble), a mosquitto started on a free loopback port with a generated
 * config (never a system service), and an MQTT collector.
 */
import { EventEmitter } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { createFrameSeal } from '../shared/frame-seal.ts';
import { createKeyring } from '../shared/keyring.ts';
import { newHeader, Flag, BROADCAST } from '../shared/frame.ts';
import { createAppMessages, type AppMessage } from '../shared/app-messages.ts';
import { createCbor } from '../shared/cbor.ts';
import { createNobleAes } from '../host/crypto/aes-noble.ts';
import { nodeCborText } from '../host/cbor-text.ts';
import { newKeyFile, type KeyFile } from '../host/keyfile.ts';
import type { GatewayLink, GatewayHello, SendOptions, SendResult } from '../host/bridge/gateway-link.ts';

export const MOSQUITTO = '/usr/sbin/mosquitto';
export const app = createAppMessages({})({ cbor: createCbor()(nodeCborText()) });

export function tmp(prefix = 'mw-bridge-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function keyFileFor(mesh: string): KeyFile {
  return newKeyFile(mesh, 1);
}

/** Seals frames of one mesh the way a node does (the real core). */
export function createSealer(kf: KeyFile) {
  const aes = createNobleAes();
  const keys = createKeyring({ capacity: 2 })({ aes });
  for (const e of kf.epochs) keys.set(e.epoch, e.key);
  const seal = createFrameSeal()({ aes, keys });
  return function sealFrame(o: { src: number; seq: number; dst?: number; payload: Uint8Array; hops?: number; flags?: number; type?: number }): Uint8Array {
    const h = Object.assign(newHeader(), {
      type: o.type ?? 1, hopLimit: o.hops ?? 3, hopStart: o.hops ?? 3, epoch: kf.current, src: o.src,
      dst: o.dst ?? BROADCAST, seq: o.seq, flags: o.flags ?? 0,
    });
    const out = new Uint8Array(250);
    const n = seal.seal(h, o.payload, out, 0);
    if (n < 0) throw new Error('seal failed ' + n);
    return out.slice(0, n);
  };
}

export interface FakeGateway extends GatewayLink {
  id: number;
  sent: { dst: number; payload: Uint8Array; opts: SendOptions; at: number }[];
  /** the gateway hears a frame */
  hear(frame: Uint8Array, rssi?: number): void;
  /** a node's app message heard by the gateway */
  hearMsg(src: number, seq: number, msg: AppMessage, rssi?: number): Uint8Array;
  unplug(): void;
}

/**
 * A gateway link that hears frames sealed by the real core. `echo`: what the gateway sends comes back as a
 * frame sealed with its own id (as when a relay repeats it), to exercise the loop guards.
 */
export function createFakeGateway(kf: KeyFile, id: number, opts: { echo?: boolean } = {}): FakeGateway {
  const g = new EventEmitter() as FakeGateway;
  const seal = createSealer(kf);
  let seq = 1000;
  let closed = false;
  g.id = id;
  g.sent = [];
  g.hear = (frame, rssi = -60) => { if (!closed) g.emit('frame', rssi, frame); };
  g.hearMsg = (src, s, msg, rssi) => {
    const f = seal({ src, seq: s, payload: app.encode(msg) });
    g.hear(f, rssi);
    return f;
  };
  g.send = async (dst: number, payload: Uint8Array, o: SendOptions): Promise<SendResult> => {
    if (closed) return { ok: false, err: 'closed' };
    g.sent.push({ dst, payload: payload.slice(), opts: o, at: Date.now() });
    if (opts.echo) {
      const f = seal({ src: id, seq: ++seq, dst, payload, hops: o.hopLimit ?? 0, flags: (o.hopLimit ?? 0) === 0 ? Flag.NoRelay : 0 });
      setTimeout(() => g.hear(f, -40), 5);
    }
    return { ok: true, h: g.sent.length };
  };
  g.tx = async () => ({ ok: true });
  g.close = () => { if (!closed) { closed = true; g.emit('close', 'closed'); } };
  g.unplug = () => g.close();
  setImmediate(() => g.emit('hello', { id, mesh: kf.mesh, fw: 'test' } satisfies GatewayHello));
  return g;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

export interface Mosquitto { port: number; url: string; stop(signal?: NodeJS.Signals): Promise<void>; start(): Promise<void>; dir: string }

/** mosquitto on a free loopback port, own config, persistence in its own directory. */
export async function startMosquitto(o: { persistence?: boolean; extra?: string[]; scheme?: string } = {}): Promise<Mosquitto> {
  if (!existsSync(MOSQUITTO)) throw new Error(`mosquitto not installed at ${MOSQUITTO} (scripts/setup-system.sh installs it)`);
  const dir = tmp('mw-mosq-');
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [
    // as root mosquitto would switch to the "mosquitto" user, who cannot read this private directory
    `user ${userInfo().username}`, `listener ${port} 127.0.0.1`, 'allow_anonymous true', `persistence ${o.persistence ? 'true' : 'false'}`,
    `persistence_location ${dir}/`, 'autosave_interval 0', 'max_queued_messages 100000', 'max_inflight_messages 0',
    'log_dest none', ...(o.extra ?? []), '',
  ].join('\n'));
  let proc: ChildProcess | null = null;
  const m: Mosquitto = {
    port, dir, url: `${o.scheme ?? 'mqtt'}://127.0.0.1:${port}`,
    async start() {
      proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      // ready when the port accepts TCP connections
      for (let i = 0; i < 200; i++) {
        const ok = await new Promise<boolean>((res) => {
          const c = connect(port, '127.0.0.1');
          c.once('connect', () => { c.destroy(); res(true); });
          c.once('error', () => res(false));
        });
        if (ok) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('mosquitto did not start');
    },
    async stop(signal = 'SIGTERM') {
      const p = proc;
      if (!p || p.exitCode !== null) return;
      await new Promise<void>((res) => { p.once('exit', () => res()); p.kill(signal); });
      proc = null;
    },
  };
  await m.start();
  return m;
}

export interface Collector {
  client: MqttClient;
  messages: { topic: string; payload: Buffer; dup: boolean; retain: boolean }[];
  waitFor(pred: () => boolean, ms?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

export async function collect(url: string, filters: string[], opts: { clientId?: string; clean?: boolean; qos?: 0 | 1 | 2 } = {}): Promise<Collector> {
  const client = mqtt.connect(url, { clientId: opts.clientId, clean: opts.clean ?? true, reconnectPeriod: 100, resubscribe: true });
  const messages: Collector['messages'] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload, dup: !!packet.dup, retain: !!packet.retain }));
  await new Promise<void>((res, rej) => { client.once('connect', () => res()); client.once('error', rej); });
  await client.subscribeAsync(filters, { qos: opts.qos ?? 1 });
  return {
    client, messages,
    waitFor: (pred, ms = 10_000, what = 'condition') => waitFor(pred, ms, what),
    close: () => client.endAsync(true).then(() => {}),
  };
}

export async function waitFor(pred: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface RestartResult {
  received: number; distinct: number; brokerRedeliveries: number; repeats: string[]; retransmitted: Set<string>;
  outages: number[]; queuedWhileDown: number[]; status: Record<string, any>; ms: number;
}

/**
 * The no-loss scenario: N text messages heard by a gateway while mosquitto is stopped and restarted four
 * times; a persistent-session subscriber collects them. `retransmitted` = messages whose PUBLISH packet the
 * bridge's MQTT client put on the wire more than once (protocol retransmission after a reconnect), observed
 * by wrapping the mqtt.js client class in this test process (no hook in the bridge).
 */
export async function restartScenario(o: { n: number; qos: 1 | 2; signals: NodeJS.Signals[]; subQos: 1 | 2 }): Promise<RestartResult> {
  const { startBridge } = await import('../host/bridge/bridge.ts');
  const sends = new Map<string, number>();
  const proto = (mqtt as unknown as { MqttClient: { prototype: Record<string, unknown> } }).MqttClient.prototype;
  const orig = proto._sendPacket as (...a: unknown[]) => unknown;
  proto._sendPacket = function (this: unknown, p: { cmd: string; topic?: string; payload?: Buffer }, ...rest: unknown[]) {
    if (p.cmd === 'publish' && p.topic!.includes('/node/') && !p.topic!.includes('/cbor/')) {
      const k = JSON.parse(p.payload!.toString()).msg.m as string;
      sends.set(k, (sends.get(k) ?? 0) + 1);
    }
    return orig.call(this, p, ...rest);
  };
  const mesh = 'restartmesh';
  const kf = keyFileFor(mesh);
  const seal = createSealer(kf);
  const mosq = await startMosquitto({ persistence: true });
  let gw!: FakeGateway;
  const bridge = await startBridge({
    keyFile: kf, bridgeId: 'rb', queueDir: tmp(), gateway: async () => (gw = createFakeGateway(kf, 0x99)),
    mqtt: { url: mosq.url }, qos: o.qos, reconnect: { minMs: 50, maxMs: 400 }, log: () => {},
  });
  const sub = await collect(mosq.url, [`meshwork/v1/${mesh}/node/+/text`], { clientId: `restart-sub-${o.qos}`, clean: false, qos: o.subQos });
  try {
    await waitFor(() => bridge.connected() && !!bridge.gateway(), 5000, 'bridge up');
    const frames: Uint8Array[] = [];
    for (let i = 0; i < o.n; i++) frames.push(seal({ src: 0x100 + (i % 16), seq: 1 + Math.floor(i / 16), payload: app.encode({ t: 'tx', m: `m${i}` }) }));
    let sent = 0;
    const t0 = Date.now();
    const feeder = setInterval(() => { for (let k = 0; k < 10 && sent < o.n; k++) gw.hear(frames[sent++]); }, 2); // up to ~5,000/s
    const outages: number[] = [];
    const queuedWhileDown: number[] = [];
    for (let r = 0; r < o.signals.length; r++) {
      await waitFor(() => sent >= ((r + 1) * o.n) / (o.signals.length + 1), 30_000, 'feeder progress');
      // the bridge is back and publishing before the next outage, so each outage is a separate reconnect
      const before = sub.messages.length;
      await waitFor(() => bridge.connected() && sub.messages.length > before + 50, 20_000, 'bridge reconnected and publishing');
      await mosq.stop(o.signals[r]);
      outages.push(sent);
      await new Promise((res) => setTimeout(res, 400));
      queuedWhileDown.push((bridge.status() as any).queue.unacked);
      await mosq.start();
    }
    await waitFor(() => sent >= o.n, 30_000, 'all heard');
    clearInterval(feeder);
    const ids = () => new Set(sub.messages.map((m) => JSON.parse(m.payload.toString()).msg.m as string));
    await waitFor(() => ids().size >= o.n, 40_000, `all ${o.n} delivered`);
    await new Promise((res) => setTimeout(res, 300));
    const seen = new Set<string>();
    let brokerRedeliveries = 0;
    const repeats: string[] = [];
    for (const m of sub.messages) {
      const k = JSON.parse(m.payload.toString()).msg.m as string;
      if (!seen.has(k)) { seen.add(k); continue; }
      if (m.dup) brokerRedeliveries++; // the broker's own redelivery to the subscriber, flagged DUP
      else repeats.push(k);
    }
    const retransmitted = new Set([...sends.entries()].filter(([, c]) => c > 1).map(([k]) => k));
    return { received: sub.messages.length, distinct: seen.size, brokerRedeliveries, repeats, retransmitted, outages, queuedWhileDown, status: bridge.status(), ms: Date.now() - t0 };
  } finally {
    proto._sendPacket = orig;
    await sub.close();
    await bridge.stop();
    await mosq.stop();
  }
}

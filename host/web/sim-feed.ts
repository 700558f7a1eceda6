/**
 * The simulator as a MeshFeed: a live simulated mesh (sim-live-worker.ts runs it in a worker thread, so
 * the dashboard's server never waits for the routers) seen through the feed interface of mesh-feed.ts.
 *
 *   const feed = await createSimFeed({ nodes: 50, speed: 1 });
 *   startDashboard({ feed, port: 8080 });
 *   feed.kill('0001a2b3')          // a node dies, as a scenario `death` event does
 *   feed.onDelivered((d) => …)     // the simulator's record of a page's text arriving at its node
 *
 * Commands may name any node as the sender (info.anySender); by default they leave from the first
 * gateway (node 0 unless `gateways` says otherwise), the node a host would be attached to.
 */
import { Worker, MessageChannel } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import type { SimOptions } from '../sim/options.ts';
import type { SimEvent, TrafficOptions } from '../sim/scenario.ts';
import type { TopologyKind } from '../sim/topology.ts';
import type { Policy } from '../../shared/router.ts';
import { createFeedState, parseCommand, type CommandResult, type FeedInfo, type MeshCommand, type MeshEvent, type MeshFeed, type NodeId } from './mesh-feed.ts';
import type { ClockInfo, FromWorker, LiveWorkerData, ToWorker } from './sim-live-worker.ts';

export interface SimFeedOptions {
  nodes: number;
  topology?: TopologyKind;
  seed?: number;
  /** virtual seconds per wall second (default 1) */
  speed?: number;
  policy?: Policy;
  radio?: 'espnow' | 'wifi';
  loss?: number;
  /** node indices with the gateway role (default [0]) */
  gateways?: number[];
  /** node indices that run the repeater (host/sim/options.ts) */
  repeaters?: number[];
  /** scripted events (deaths, joins, fades, moves), times in virtual seconds */
  events?: SimEvent[];
  traffic?: Partial<TrafficOptions>;
  /** virtual time the run lasts (default one day; the planned traffic is drawn for all of it up front) */
  durationS?: number;
  /** seconds before planned traffic starts (default 10) */
  warmupS?: number;
  /** a command with no answer from the worker in this many wall ms settles as a failure (default 60000) */
  commandTimeoutMs?: number;
  /** the mesh's network key (epoch 1), e.g. from a key file, so a bridge can open the gateway's frames;
   *  default: derived from the seed */
  meshKey?: Uint8Array;
  /** every node but the gateways sends a telemetry message (app 'tm': uptime, memory, neighbours) to the
   *  best gateway every … virtual seconds, as the firmware does every 300 s; default: never */
  telemetryS?: number;
}

export interface GatewayResult { ok: boolean; err?: string; h?: number }

export interface DeliveredText { rid: number; at: NodeId; src: NodeId; text: string; hops: number; virtualMs: number }

export interface SimFeed extends MeshFeed {
  /** node ids by simulator index */
  readonly ids: readonly NodeId[];
  kill(node: NodeId | number): void;
  /** switch a dead node on again (it boots as a scripted `join` does) */
  boot(node: NodeId | number): void;
  setSpeed(speed: number): void;
  clock(): ClockInfo;
  onDelivered(l: (d: DeliveredText) => void): () => void;
  /** the gateway node (info.self) as a bridge sees it, see sim-gateway.ts: every frame it hears ... */
  gatewayFrames(l: (rssi: number, frame: Uint8Array) => void): () => void;
  /** ... an application payload sent from it (ack: end-to-end acknowledgement asked) ... */
  gatewaySend(dst: number, payload: Uint8Array, ack: boolean): Promise<GatewayResult>;
  /** ... and an already sealed frame put on the air by it */
  gatewayTx(frame: Uint8Array): Promise<GatewayResult>;
  /** settles when the run stops: 'end' (its virtual duration elapsed) or 'stopped' (close()); rejects on a simulation error */
  readonly ended: Promise<'end' | 'stopped'>;
}

const FW = (() => {
  try { return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version + '-sim'; } catch { return 'sim'; }
})();

export async function createSimFeed(o: SimFeedOptions): Promise<SimFeed> {
  const gateways = o.gateways ?? [0];
  const options: SimOptions = {
    nodes: o.nodes, topology: o.topology ?? 'random', seed: o.seed ?? 1, durationS: o.durationS ?? 86400,
    policy: o.policy, radio: o.radio, loss: o.loss, gateways, repeaters: o.repeaters, events: o.events, traffic: o.traffic,
    warmupS: o.warmupS ?? 10, drainS: 0, meshKey: o.meshKey,
  };
  // the same checks `meshwork sim` makes, here in the caller's thread so a bad option throws at once
  const { checkOptions } = await import('../sim/options.ts');
  checkOptions(options);

  const control = new SharedArrayBuffer(8);
  const ctl = new Int32Array(control);
  const { port1, port2 } = new MessageChannel();
  const data: LiveWorkerData = { meshworkLiveSim: true, options, speed: o.speed ?? 1, fw: FW, telemetryS: o.telemetryS, control, port: port2 };
  // workers load the TypeScript through tsx's API, as host/sim/parallel.ts and bin/meshwork.mjs do
  const tsx = import.meta.resolve('tsx/esm/api');
  const me = new URL('./sim-live-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(me)}); });`;
  const worker = new Worker(code, { eval: true, workerData: data, transferList: [port2] });

  const state = createFeedState();
  const replies = new Map<number, { resolve: (r: CommandResult) => void; timer: NodeJS.Timeout }>();
  const delivered = new Set<(d: DeliveredText) => void>();
  const frameListeners = new Set<(rssi: number, frame: Uint8Array) => void>();
  const gwReplies = new Map<number, (r: GatewayResult) => void>();
  let ids: NodeId[] = [];
  let self = '';
  let lastClock: ClockInfo = { virtualMs: 0, speed: o.speed ?? 1, lagMs: 0, slippedMs: 0, wallMs: Date.now() };
  let rid = 1;
  let closed = false;
  let endResolve!: (why: 'end' | 'stopped') => void, endReject!: (e: Error) => void;
  const ended = new Promise<'end' | 'stopped'>((res, rej) => { endResolve = res; endReject = rej; });
  ended.catch(() => { /* reported to whoever awaits it */ });

  const toWorker = (m: ToWorker): void => {
    if (closed) return;
    port1.postMessage(m);
    Atomics.notify(ctl, 0);
  };
  const settleAll = (err: string): void => {
    for (const [k, r] of replies) { clearTimeout(r.timer); r.resolve({ ok: false, err }); replies.delete(k); }
    for (const [k, r] of gwReplies) { r({ ok: false, err }); gwReplies.delete(k); }
  };

  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: FromWorker) => {
      if (m.t === 'ready') {
        ids = m.ids;
        self = m.self;
        lastClock = m.clock;
        for (const node of m.nodes) state.apply({ type: 'node', node });
        resolve();
      } else if (m.t === 'state') {
        lastClock = m.clock;
        for (const node of m.nodes) state.apply({ type: 'node', node });
        for (const link of m.links) state.apply({ type: 'link', link });
        for (const packet of m.packets) state.apply({ type: 'packet', packet });
        for (const trace of m.traces) state.apply({ type: 'trace', trace });
      } else if (m.t === 'reply') {
        const r = replies.get(m.rid);
        if (r) { clearTimeout(r.timer); replies.delete(m.rid); r.resolve(m.result); }
      } else if (m.t === 'delivered') {
        const { t: _t, ...d } = m;
        for (const l of delivered) l(d);
      } else if (m.t === 'frames') {
        for (const [rssi, frame] of m.list) for (const l of frameListeners) l(rssi, frame);
      } else if (m.t === 'gw-reply') {
        const r = gwReplies.get(m.rid);
        if (r) { gwReplies.delete(m.rid); r(m.result); }
      } else if (m.t === 'end') {
        lastClock = m.clock;
        settleAll('the simulation ended');
        endResolve('end');
      } else if (m.t === 'error') {
        settleAll('the simulation failed: ' + m.message);
        const e = new Error(m.message);
        reject(e);
        endReject(e);
      }
    });
    worker.on('error', (e) => { settleAll('the simulation failed: ' + e.message); reject(e); endReject(e); });
    worker.on('exit', () => { settleAll('the simulation stopped'); endResolve('stopped'); });
  });
  await ready;

  const idOf = (node: NodeId | number): NodeId => (typeof node === 'number' ? ids[node] : node);
  const info: FeedInfo = {
    source: 'sim',
    name: `simulated mesh: ${o.nodes} nodes, ${options.topology}, seed ${options.seed}, ×${o.speed ?? 1}`,
    self, anySender: true,
  };

  return {
    info,
    ids,
    ended,
    snapshot: state.snapshot,
    subscribe: (l: (e: MeshEvent) => void) => state.subscribe(l),
    command(c: MeshCommand): Promise<CommandResult> {
      const v = parseCommand(c);
      if (typeof v === 'string') return Promise.resolve({ ok: false, err: v });
      if (closed) return Promise.resolve({ ok: false, err: 'the simulation is stopped' });
      const id = rid++;
      return new Promise((resolve) => {
        const timer = setTimeout(() => { replies.delete(id); resolve({ ok: false, err: 'no answer from the simulation' }); }, o.commandTimeoutMs ?? 60000);
        replies.set(id, { resolve, timer });
        toWorker({ t: 'cmd', rid: id, cmd: { ...v, from: v.from ?? self } });
      });
    },
    kill(node) { toWorker({ t: 'kill', node: idOf(node) }); },
    boot(node) { toWorker({ t: 'boot', node: idOf(node) }); },
    setSpeed(speed) { toWorker({ t: 'speed', speed }); },
    clock: () => lastClock,
    onDelivered(l) { delivered.add(l); return () => { delivered.delete(l); }; },
    gatewayFrames(l) {
      frameListeners.add(l);
      if (frameListeners.size === 1) toWorker({ t: 'gw-sub', on: true });
      return () => {
        if (frameListeners.delete(l) && frameListeners.size === 0) toWorker({ t: 'gw-sub', on: false });
      };
    },
    gatewaySend(dst, payload, ack) {
      if (closed) return Promise.resolve({ ok: false, err: 'the simulation is stopped' });
      const id = rid++;
      return new Promise((resolve) => { gwReplies.set(id, resolve); toWorker({ t: 'gw-send', rid: id, dst, payload: payload.slice(), ack }); });
    },
    gatewayTx(frame) {
      if (closed) return Promise.resolve({ ok: false, err: 'the simulation is stopped' });
      const id = rid++;
      return new Promise((resolve) => { gwReplies.set(id, resolve); toWorker({ t: 'gw-tx', rid: id, frame: frame.slice() }); });
    },
    async close() {
      if (closed) return;
      closed = true;
      Atomics.store(ctl, 1, 1);
      Atomics.notify(ctl, 0);
      settleAll('the simulation is stopped');
      await worker.terminate();
      port1.close();
    },
  };
}

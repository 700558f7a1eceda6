/**
 * The simulator in live mode, inside a worker thread (started by sim-feed.ts): runSimulation() as
 * `meshwork sim` runs it (the same routers, radio, traffic and scripted events), paced to wall-clock time
 * times a speed factor, reporting what the dashboard shows and taking the page's commands.
 *
 * How it hooks in (host/sim/options.ts SimObserver): attach() hands over the run before the clock starts;
 * this file then registers an engine event every TICK_MS of virtual time. At each tick it takes the
 * commands waiting on its port (receiveMessageOnPort: the run never returns to the event loop), sleeps
 * with Atomics.wait until wall time catches up with virtual time (woken early by Atomics.notify when a
 * command is posted), and every STATE_WALL_MS of wall time posts what changed: nodes, links (from the
 * routers' neighbour tables, both ends), packets delivered, traceroutes. When the simulation falls behind
 * (1000 nodes discovering each other) it runs flat out; more than MAX_LAG_MS behind, it lets virtual time
 * slip instead of racing to catch up, and counts the slip.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { runSimulation } from '../sim/run.ts';
import { Flag } from '../../shared/frame.ts';
import type { LiveSim, SimOptions } from '../sim/options.ts';
import { createLiveApps } from './_sim-live-apps.ts';
import { BROADCAST_ID, nodeIdHex, type CommandResult, type LinkInfo, type MeshCommand, type NodeInfo, type PacketInfo, type TraceResult } from './mesh-feed.ts';

export interface LiveWorkerData {
  meshworkLiveSim: true;
  options: SimOptions;
  speed: number;
  fw: string;
  /** nodes send telemetry to the gateway every … virtual seconds (0/absent: never) */
  telemetryS?: number;
  /** Int32Array over it: [0] wake-up word (notify only), [1] stop flag */
  control: SharedArrayBuffer;
  port: MessagePort;
}

export type ToWorker =
  | { t: 'cmd'; rid: number; cmd: MeshCommand }
  | { t: 'kill'; node: string }
  | { t: 'boot'; node: string }
  | { t: 'speed'; speed: number }
  // the gateway as a bridge sees it (sim-gateway.ts): its frames, and sends from it
  | { t: 'gw-sub'; on: boolean }
  | { t: 'gw-send'; rid: number; dst: number; payload: Uint8Array; ack: boolean }
  | { t: 'gw-tx'; rid: number; frame: Uint8Array };

export interface ClockInfo { virtualMs: number; speed: number; lagMs: number; slippedMs: number; wallMs: number }

export type FromWorker =
  | { t: 'ready'; ids: string[]; self: string; nodes: NodeInfo[]; clock: ClockInfo }
  | { t: 'state'; nodes: NodeInfo[]; links: LinkInfo[]; packets: PacketInfo[]; droppedPackets: number; traces: TraceResult[]; clock: ClockInfo }
  | { t: 'reply'; rid: number; result: CommandResult }
  | { t: 'delivered'; rid: number; at: string; src: string; text: string; hops: number; virtualMs: number }
  | { t: 'frames'; list: [number, Uint8Array][]; dropped: number }
  | { t: 'gw-reply'; rid: number; result: { ok: boolean; err?: string; h?: number } }
  | { t: 'end'; clock: ClockInfo }
  | { t: 'error'; message: string };

const K_LIVE = 200;
const TICK_MS = 50;
const STATE_WALL_MS = 500;
/** a node record is re-sent at least this often even when nothing visible changed (counters, last heard) */
const REFRESH_WALL_MS = 2000;
const MAX_LAG_MS = 1000;
const MAX_PACKETS = 500;
/** gateway frames kept between two ticks (a bridge that cannot keep up loses the excess, counted) */
const MAX_FRAMES = 2000;
const METRIC_INF = 32767;
/** the esp32 board profile: JsVars in total and the firmware's budget after boot (boards/esp32.ts) */
const JSVARS_TOTAL = 16383, JSVARS_BUDGET = 4000;

function live(data: LiveWorkerData): void {
  const out = parentPort!;
  const ctl = new Int32Array(data.control);
  const post = (m: FromWorker): void => out.postMessage(m);
  let speed = data.speed > 0 ? data.speed : 1;
  let sim: LiveSim;
  let apps: ReturnType<typeof createLiveApps>;
  let n = 0;
  let hex: string[] = [];
  let lastTx = new Float64Array(0), bootAt = new Float64Array(0);
  let wasAlive = new Uint8Array(0);
  let virtBase = 0, wallBase = 0, slipped = 0, lastPost = -Infinity;
  const sentNode = new Map<number, { sig: string; wall: number }>();
  let prevLinks = new Map<string, string>();
  let packets: PacketInfo[] = [];
  let dropped = 0;
  let traces: TraceResult[] = [];
  const seenBroadcast = new Set<string>();
  let gw = 0, gwSub = false, gwDropped = 0;
  let gwFrames: [number, Uint8Array][] = [];

  const clock = (): ClockInfo => {
    const now = sim.engine.now;
    return { virtualMs: now, speed, lagMs: Math.max(0, Math.round(performance.now() - (wallBase + (now - virtBase) / speed))), slippedMs: Math.round(slipped), wallMs: Date.now() };
  };
  const epoch = (v: number): number => Math.round(Date.now() - (sim.engine.now - v) / speed);

  // modelled free memory: the board's JsVars less the firmware's budget, less a little per table entry in use
  // (the views telemetry builds); the simulator has no interpreter, so this is a stand-in, not a measurement
  const memModel = (neighbours: number, routes: number): number => JSVARS_TOTAL - JSVARS_BUDGET - 3 * neighbours - 2 * routes;
  const memFree = (i: number): number => {
    const r = sim.routers[i];
    return r ? memModel(r.neighbours().length, r.routes().length) : 0;
  };

  function nodeInfo(i: number, now: number): NodeInfo {
    const r = sim.routers[i];
    const nb = r ? r.neighbours() : [];
    const routes = r ? r.routes().length : 0;
    let usable = 0;
    for (const x of nb) if (x.cost < METRIC_INF) usable++;
    const st = r ? r.stats : null;
    return {
      id: hex[i], name: (sim.gateways.has(i) ? 'gw-' : 'n-') + i, role: sim.gateways.has(i) ? 'gateway' : 'router',
      up: sim.alive[i] === 1,
      pos: { x: Math.round(sim.links.xs[i] * 10) / 10, y: Math.round(sim.links.ys[i] * 10) / 10 },
      uptimeS: r ? Math.floor((now - bootAt[i]) / 1000) : null,
      mem: r ? memModel(nb.length, routes) : null,
      fw: data.fw, neighbours: usable,
      lastHeard: lastTx[i] >= 0 ? epoch(lastTx[i]) : null,
      routes: r ? routes : undefined,
      counters: st ? { tx: st.txFrames, rx: st.rxFrames, relay: st.txRelay, delivered: st.delivered, dropped: st.dropRateLimit + st.dropCongestion + st.dropNoSlot + st.dropHopLimit } : undefined,
      t: Date.now(),
    };
  }

  function collectLinks(): LinkInfo[] {
    // both ends' views: a's entry for b says how well a hears b (rx) and how well b hears a (tx, from b's beacons)
    const acc = new Map<string, { a: number; b: number; ab: number[]; ba: number[]; rssi: number[] }>();
    for (let i = 0; i < n; i++) {
      const r = sim.routers[i];
      if (!r) continue;
      for (const x of r.neighbours()) {
        if (x.cost >= METRIC_INF) continue;
        const j = (x.id & 0xffff) - 1; // ids carry index + 1 in their low half (host/sim/run.ts)
        if (j < 0 || j >= n || sim.ids[j] !== x.id || !sim.alive[j]) continue;
        const a = hex[i] < hex[j] ? i : j, b = a === i ? j : i;
        const k = hex[a] + '-' + hex[b];
        let e = acc.get(k);
        if (!e) { e = { a, b, ab: [], ba: [], rssi: [] }; acc.set(k, e); }
        // at node i: rx = share of j's frames heard here (j→i), tx = share of i's frames j hears (i→j)
        if (i === a) { e.ba.push(x.rx); e.ab.push(x.tx); } else { e.ab.push(x.rx); e.ba.push(x.tx); }
        e.rssi.push(x.rssi);
      }
    }
    const mean = (v: number[]): number | null => (v.length ? v.reduce((s, x) => s + x, 0) / v.length : null);
    const q = (x: number | null): number | null => (x === null ? null : Math.round(x * 100) / 100);
    const changed: LinkInfo[] = [];
    const next = new Map<string, string>();
    const t = Date.now();
    for (const [k, e] of acc) {
      const rs = mean(e.rssi);
      const li: LinkInfo = { a: hex[e.a], b: hex[e.b], qualityAB: q(mean(e.ab)), qualityBA: q(mean(e.ba)), rssi: rs === null ? null : Math.round(rs), up: true, t };
      const sig = `${li.qualityAB}/${li.qualityBA}/${li.rssi}`;
      next.set(k, sig);
      if (prevLinks.get(k) !== sig) changed.push(li);
    }
    for (const k of prevLinks.keys()) {
      if (!next.has(k)) {
        const [a, b] = k.split('-');
        changed.push({ a, b, qualityAB: null, qualityBA: null, rssi: null, up: false, t });
      }
    }
    prevLinks = next;
    return changed;
  }

  function postState(): void {
    const now = sim.engine.now;
    const wall = performance.now();
    const nodes: NodeInfo[] = [];
    for (let i = 0; i < n; i++) {
      const up = sim.alive[i];
      if (up && !wasAlive[i]) bootAt[i] = now;
      wasAlive[i] = up;
      const ni = nodeInfo(i, now);
      const sig = `${ni.up}/${ni.neighbours}/${ni.mem}/${ni.routes}`;
      const prev = sentNode.get(i);
      if (!prev || prev.sig !== sig || wall - prev.wall >= REFRESH_WALL_MS) {
        nodes.push(ni);
        sentNode.set(i, { sig, wall });
      }
    }
    post({ t: 'state', nodes, links: collectLinks(), packets, droppedPackets: dropped, traces, clock: clock() });
    packets = [];
    dropped = 0;
    traces = [];
  }

  function drain(): void {
    for (;;) {
      const m = receiveMessageOnPort(data.port);
      if (!m) return;
      const msg = m.message as ToWorker;
      if (msg.t === 'cmd') apps.command(msg.rid, msg.cmd);
      else if (msg.t === 'gw-sub') gwSub = msg.on;
      else if (msg.t === 'gw-send' || msg.t === 'gw-tx') gatewaySend(msg);
      else if (msg.t === 'speed') { if (msg.speed > 0) { virtBase = sim.engine.now; wallBase = performance.now(); speed = msg.speed; } }
      else {
        const i = hex.indexOf(msg.node);
        if (i < 0) continue;
        if (msg.t === 'kill') sim.kill(i);
        else if (!sim.alive[i]) sim.boot(i);
      }
    }
  }

  function gatewaySend(m: Extract<ToWorker, { t: 'gw-send' | 'gw-tx' }>): void {
    const r = sim.routers[gw];
    let result: { ok: boolean; err?: string; h?: number };
    if (!r) result = { ok: false, err: 'the gateway node is down' };
    else if (m.t === 'gw-tx') { sim.radio(gw).send(m.frame, m.frame.length); result = { ok: true }; }
    else {
      const h = r.send(m.dst >>> 0, m.payload, m.ack ? Flag.AckReq : 0, sim.engine.now);
      sim.reschedule(gw);
      result = h >= 0 ? { ok: true, h } : { ok: false, err: `the gateway's router refused the send (${h})` };
    }
    post({ t: 'gw-reply', rid: m.rid, result });
  }

  const observer = {
    attach(s: LiveSim): void {
      sim = s;
      n = s.ids.length;
      hex = Array.from(s.ids, nodeIdHex);
      lastTx = new Float64Array(n).fill(-1);
      bootAt = new Float64Array(n);
      wasAlive = Uint8Array.from(s.alive);
      apps = createLiveApps({
        sim, fw: data.fw, memFree, epoch,
        reply: (rid, result) => post({ t: 'reply', rid, result }),
        trace: (t) => { traces.push(t); },
        delivered: (d) => post({ t: 'delivered', ...d }),
        telemetryMs: (data.telemetryS ?? 0) * 1000,
        uptimeMs: (i, now) => now - bootAt[i],
      });
      s.engine.on(K_LIVE, () => {
        const now = s.engine.now;
        drain();
        apps.tick(now);
        if (gwFrames.length || gwDropped) { post({ t: 'frames', list: gwFrames, dropped: gwDropped }); gwFrames = []; gwDropped = 0; }
        if (performance.now() - lastPost >= STATE_WALL_MS) { lastPost = performance.now(); postState(); }
        // pace: sleep until wall time reaches this virtual time (commands wake us up)
        for (;;) {
          if (Atomics.load(ctl, 1)) throw new Error('stopped');
          const w = performance.now();
          const target = wallBase + (now - virtBase) / speed;
          if (w - target > MAX_LAG_MS) { slipped += w - target - MAX_LAG_MS; wallBase += w - target - MAX_LAG_MS; break; }
          if (target - w < 1) break;
          Atomics.wait(ctl, 0, 0, Math.min(target - w, 250));
          drain();
        }
        s.engine.schedule(now + TICK_MS, K_LIVE, 0, 0);
      });
      virtBase = s.engine.now;
      wallBase = performance.now();
      s.engine.schedule(s.engine.now, K_LIVE, 0, 0);
      const self = s.gateways.size ? Math.min(...s.gateways) : 0;
      gw = self;
      post({ t: 'ready', ids: hex, self: hex[self], nodes: Array.from({ length: n }, (_, i) => nodeInfo(i, 0)), clock: clock() });
      sentNode.clear();
    },
    transmit(node: number, _f: Uint8Array, _l: number, now: number): void { lastTx[node] = now; },
    receive(node: number, frame: Uint8Array, len: number, rssi: number): void {
      if (!gwSub || node !== gw) return;
      if (gwFrames.length >= MAX_FRAMES) { gwDropped++; return; }
      gwFrames.push([rssi, frame.slice(0, len)]);
    },
    deliver(node: number, payload: Uint8Array, info: { src: number; dst: number; hops: number; rssi: number; seq: number }, now: number): void {
      const d = apps.deliver(node, payload, info as Parameters<typeof apps.deliver>[2]);
      const bcast = info.dst === 0xffffffff;
      if (bcast) {
        // one line per broadcast, not one per receiver
        const k = info.src + ':' + info.seq;
        if (seenBroadcast.has(k)) return;
        if (seenBroadcast.size > 4096) seenBroadcast.clear();
        seenBroadcast.add(k);
      }
      if (packets.length >= MAX_PACKETS) { dropped++; return; }
      const p: PacketInfo = {
        t: epoch(now), src: nodeIdHex(info.src), dst: bcast ? BROADCAST_ID : nodeIdHex(info.dst), kind: d.kind,
        hops: info.hops, rssi: info.rssi, at: hex[node],
      };
      if (d.text !== undefined) p.text = d.text;
      packets.push(p);
    },
    sent(node: number, handle: number, ok: boolean): void { apps.sent(node, handle, ok); },
  };

  try {
    runSimulation({ ...data.options, observer });
    post({ t: 'end', clock: clock() });
  } catch (e) {
    if ((e as Error).message === 'stopped') return;
    post({ t: 'error', message: (e as Error).message });
  }
}

if (parentPort && (workerData as LiveWorkerData | null)?.meshworkLiveSim) live(workerData as LiveWorkerData);

/**
 * runSimulation(options) → SimResult: N instances of the real routing core (shared/router.ts) on one
 * virtual clock, one radio model, one seed.
 *
 * Each node is exactly what a board runs, minus the board: createRouter(init)(components) with a keyring
 * holding the mesh key, a host AES, a per-node seeded Rng, an in-memory Store, and a RadioPort from the
 * radio model. The simulator calls router.receive() when the medium delivers a frame, router.tick() at
 * router.nextDeadline() (re-asked after every receive, tick and send), and router.send() when the planned
 * traffic says so. It never decides anything a router decides (STYLE principle 14).
 *
 * Streams of the seed: topology (layout + shadowing), traffic (planned messages and events), medium
 * (backoff, frame errors), and one per router. A run is a pure function of its options: everything in the
 * result except `wallClock` is identical for the same options, to the byte.
 */
import { createRouter } from '../../shared/router.ts';
import type { Router, RouterInit, Policy, DeliverInfo } from '../../shared/router.ts';
export { POLICIES, RADIOS, type SimOptions, type SimProgress, type SimObserver, type RadioKind } from './options.ts';
import { createKeyring } from '../../shared/keyring.ts';
import { createRepeater, repeaterAsRouter } from '../../shared/repeater.ts';
import { Flag } from '../../shared/frame.ts';
import { crc32 } from '../crc32.ts';
import { createEngine } from './engine.ts';
import { createRng, mix32 } from './rng.ts';
import { DEFAULT_PROPAGATION, type Propagation } from './propagation.ts';
import { createTopology, isConnected, usableDbm } from './topology.ts';
import { createEspNowMedium } from './radio-espnow.ts';
import { createWifiMedium } from './radio-wifi.ts';
import type { Medium } from './medium.ts';
import { planProbes, planTraffic, encodeTraffic, decodeTraffic, type TrafficOptions, type PlannedMessage } from './scenario.ts';
import { createMetrics } from './metrics.ts';
import { checkOptions, DEFAULT_TRAFFIC, SIM_CAPACITIES, type RadioKind, type SimOptions } from './options.ts';
import { createSimAes } from './sim-aes.ts';
import { chooseRelay, pickProbePair, repairFigure } from './repair.ts';
import { summarise, type SimResult } from './result.ts';

const K_TIMER = 0, K_MSG = 1, K_EVENT = 2, K_MOVE = 3, K_SAMPLE = 4, K_KILL = 5, K_UNFADE = 6, K_MEDIUM = 10;

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

function misuse(msg: string): never {
  throw new Error('meshwork/sim: ' + msg);
}

export function runSimulation(o: SimOptions): SimResult {
  checkOptions(o);
  const wall0 = performance.now();
  const n = o.nodes;
  const seed = o.seed >>> 0;
  const policy: Policy = o.policy || 'meshwork';
  const radio: RadioKind = o.radio || 'espnow';
  const loss = o.loss || 0;
  const durationMs = o.durationS * 1000;
  const warmupMs = (o.warmupS ?? clamp(o.durationS * 0.1, 5, 60)) * 1000;
  const drainMs = (o.drainS ?? clamp(o.durationS * 0.1, 5, 30)) * 1000;
  const traffic: TrafficOptions = { ...DEFAULT_TRAFFIC, ...(o.traffic || {}) };
  const caps = { ...SIM_CAPACITIES, ...(o.capacities || {}) };
  const prop: Propagation = { ...DEFAULT_PROPAGATION, ...(o.propagation || {}) };
  const events = (o.events || []).slice().sort((a, b) => a.at - b.at);
  const gateways = new Set(o.gateways || []);
  const repeaters = new Set(o.repeaters || []);

  const topo = createTopology(o.topology, n, seed, prop);
  const links = topo.links;
  const engine = createEngine();
  const trafficRng = createRng(seed, 0x10001);
  const mediumRng = createRng(seed, 0x10002);

  // node ids: random high half, index in the low half, so the 16-bit previous-hop field never collides
  const ids = new Uint32Array(n);
  const index = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    ids[i] = (((mix32(seed ^ 0x1d5) + i * 0x10000) & 0xffff0000) | (i + 1)) >>> 0;
    if ((ids[i] >>> 16) === 0 || ids[i] === 0xffffffff) ids[i] = ((0x5a5a << 16) | (i + 1)) >>> 0;
    index.set(ids[i], i);
  }

  // --- planned traffic (+ probes of the kill-relay pair)
  const stopMs = durationMs - drainMs;
  let plan: PlannedMessage[] = planTraffic(traffic, n, warmupMs, stopMs, trafficRng);
  let probePair: [number, number] | null = null;
  if (o.killRelayAtS !== undefined) {
    probePair = pickProbePair(links, usableDbm(prop), n, trafficRng);
    plan = plan.concat(planProbes(probePair[0], probePair[1], warmupMs, stopMs, o.probeEveryMs ?? 1000));
    const order = plan.map((_, i) => i).sort((a, b) => plan[a].at - plan[b].at || a - b);
    plan = order.map((i) => plan[i]);
  }
  const m = plan.length;
  const pSrc = new Int32Array(m), pDst = new Int32Array(m), pProbe = new Uint8Array(m), pAck = new Uint8Array(m);
  for (let k = 0; k < m; k++) {
    pSrc[k] = plan[k].src; pDst[k] = plan[k].dst; pProbe[k] = plan[k].probe ? 1 : 0; pAck[k] = plan[k].ack ? 1 : 0;
  }
  const metrics = createMetrics({ n, ids, src: pSrc, dst: pDst, probe: pProbe, ack: pAck, drainMs });
  if (probePair) metrics.watchProbePair(probePair[0], probePair[1]);

  // --- the medium
  const alive = new Uint8Array(n);
  const routers: (Router | null)[] = new Array(n).fill(null);
  const watch = o.observer || {};
  const hooks = {
    receive(rx: number, frame: Uint8Array, len: number, rssi: number): void {
      const r = routers[rx];
      if (!r) return;
      if (watch.receive) watch.receive(rx, frame, len, rssi, engine.now);
      // try/catch inline: no closure per delivered frame
      try { r.receive(frame, len, rssi, engine.now); } catch (e) { rethrow(rx, e); }
      reschedule(rx);
    },
    transmit(tx: number, frame: Uint8Array, len: number): void {
      metrics.transmit(tx, frame, len, engine.now);
      if (watch.transmit) watch.transmit(tx, frame, len, engine.now);
    },
  };
  const roots = o.gateways && o.gateways.length ? o.gateways.slice() : [0];
  const medium: Medium = radio === 'espnow'
    ? createEspNowMedium({ links, prop, loss, carrierSense: o.carrierSense, kindBase: K_MEDIUM })({ engine, rng: mediumRng, hooks })
    : createWifiMedium({ links, prop, loss, roots, kindBase: K_MEDIUM })({ engine, rng: mediumRng, hooks });

  // --- routers
  const aes = createSimAes();
  const meshKey = new Uint8Array(16);
  for (let b = 0; b < 16; b++) meshKey[b] = mix32(seed ^ (0xc0de + b)) & 0xff;
  if (o.meshKey) meshKey.set(o.meshKey);
  const timerGen = new Int32Array(n);
  const timerAt = new Float64Array(n).fill(Infinity);
  const handles: Map<number, number>[] = [];
  for (let i = 0; i < n; i++) handles.push(new Map());
  const deadStats: unknown[] = [];
  let spins = 0;

  /** a router that throws stops the run: say which node and when, keep the original as the cause */
  function rethrow(i: number, e: unknown): never {
    const err = new Error(`meshwork/sim: node ${i} (id ${ids[i].toString(16)}) router threw at t=${engine.now.toFixed(3)} ms: ${(e as Error).message}`);
    (err as Error & { cause?: unknown }).cause = e;
    throw err;
  }

  function reschedule(i: number): void {
    const r = routers[i];
    if (!r) return;
    let d = r.nextDeadline();
    if (d < 0) {
      if (timerAt[i] !== Infinity) { timerGen[i]++; timerAt[i] = Infinity; }
      return;
    }
    if (d === timerAt[i]) return;
    timerGen[i]++;
    timerAt[i] = d;
    if (d < engine.now) d = engine.now;
    engine.schedule(d, K_TIMER, i, timerGen[i]);
  }

  let lastTickAt = -1;
  engine.on(K_TIMER, (i, gen) => {
    if (gen !== timerGen[i]) return;
    const r = routers[i];
    if (!r) return;
    timerAt[i] = Infinity;
    const now = engine.now;
    // a router whose deadline stays at or before now after tick() would stall virtual time
    if (now === lastTickAt) { if (++spins > 100000) misuse(`routers keep asking for ticks at t=${now} ms without advancing`); } else { spins = 0; lastTickAt = now; }
    try { r.tick(now); } catch (e) { rethrow(i, e); }
    reschedule(i);
  });

  function boot(i: number): void {
    const self = i;
    const keys = createKeyring({ capacity: 2 })({ aes });
    keys.set(1, meshKey);
    const store = new Map<string, string>();
    const rng = createRng(seed, 1 + i);
    const init = {
      ...(o.routerInit || {}),
      selfId: ids[i], policy, role: gateways.has(i) ? 'gateway' : 'router', capacities: caps,
      ...(o.hopLimit !== undefined ? { hopLimit: o.hopLimit } : {}),
    } as RouterInit;
    if (repeaters.has(i)) {
      const rep = createRepeater({
        selfId: ids[i], capacities: { pending: caps.pending, dedupSlots: caps.dedupSlots, sources: caps.replaySources },
      })({ aes, keys, radio: medium.port(i), rng: rng.next, store: { read: (k: string) => store.get(k), write: (k: string, v: string) => { store.set(k, v); return true; } } });
      rep.start(engine.now);
      routers[i] = repeaterAsRouter(rep);
    } else routers[i] = createRouter(init)({
      aes, keys, crc32, rng: rng.next, radio: medium.port(i),
      store: { read: (k: string) => store.get(k), write: (k: string, v: string) => { store.set(k, v); return true; } },
      events: {
        deliver(payload: Uint8Array, info: DeliverInfo): void {
          const id = decodeTraffic(payload);
          if (id >= 0) metrics.deliver(self, id, info, engine.now);
          if (watch.deliver) watch.deliver(self, payload, info, engine.now);
        },
        sent(handle: number, ok: boolean): void {
          if (watch.sent) watch.sent(self, handle, ok, engine.now);
          const msg = handles[self].get(handle);
          if (msg === undefined) return;
          handles[self].delete(handle);
          metrics.acked(msg, ok);
        },
      },
    });
    alive[i] = 1;
    medium.setAlive(i, true);
    // a repeater is never an endpoint: out of the reach and delivery counts (a join time that never comes)
    metrics.setJoin(i, repeaters.has(i) ? Infinity : engine.now);
    reschedule(i);
  }

  function kill(i: number): void {
    if (!alive[i]) return;
    alive[i] = 0;
    medium.setAlive(i, false);
    metrics.setDeath(i, engine.now);
    deadStats.push(routers[i]!.stats);
    routers[i] = null;
    timerGen[i]++;
    timerAt[i] = Infinity;
  }

  // --- traffic: one event at a time, chained
  engine.on(K_MSG, (k) => {
    if (k + 1 < m) engine.schedule(plan[k + 1].at, K_MSG, k + 1, 0);
    const s = pSrc[k], d = pDst[k];
    if (!alive[s] || (d >= 0 && !alive[d]) || repeaters.has(s) || repeaters.has(d)) return;
    const payload = encodeTraffic(k, traffic.payloadBytes, d >= 0 ? ids[d] : undefined);
    const r = routers[s]!;
    let h = 0;
    try { h = r.send(d >= 0 ? ids[d] : 0xffffffff, payload, pAck[k] ? Flag.AckReq : 0, engine.now); } catch (e) { rethrow(s, e); }
    metrics.sent(k, engine.now, h);
    if (h >= 0 && pAck[k]) handles[s].set(h, k);
    reschedule(s);
  });

  // --- scripted events
  const moving = new Map<number, { x: number; y: number; stepX: number; stepY: number; steps: number }>();
  engine.on(K_EVENT, (e) => {
    const ev = events[e];
    if (ev.kind === 'death') kill(ev.node);
    else if (ev.kind === 'join') { if (!alive[ev.node]) boot(ev.node); }
    else if (ev.kind === 'fade') {
      medium.fade(ev.a, ev.b, ev.db);
      if (ev.forS !== undefined) engine.schedule(engine.now + ev.forS * 1000, K_UNFADE, e, 0);
    } else if (ev.kind === 'move') {
      const i = ev.node;
      if (!ev.speedMps) { medium.moveTo(i, ev.x, ev.y); return; }
      const dx = ev.x - links.xs[i], dy = ev.y - links.ys[i];
      const steps = Math.max(1, Math.ceil(Math.sqrt(dx * dx + dy * dy) / ev.speedMps));
      moving.set(i, { x: ev.x, y: ev.y, stepX: dx / steps, stepY: dy / steps, steps });
      engine.schedule(engine.now + 1000, K_MOVE, i, 0);
    }
  });
  engine.on(K_UNFADE, (e) => { const ev = events[e]; if (ev.kind === 'fade') medium.fade(ev.a, ev.b, 0); });
  engine.on(K_MOVE, (i) => {
    const mv = moving.get(i);
    if (!mv) return;
    if (--mv.steps <= 0) { medium.moveTo(i, mv.x, mv.y); moving.delete(i); return; }
    medium.moveTo(i, links.xs[i] + mv.stepX, links.ys[i] + mv.stepY);
    engine.schedule(engine.now + 1000, K_MOVE, i, 0);
  });

  // --- table fill samples
  const fill = { nbMax: 0, rtMax: 0, nbSum: 0, rtSum: 0, samples: 0, nbLast: 0, rtLast: 0, nodesSampled: 0 };
  const sampleEveryMs = (o.sampleEveryS ?? Math.max(10, o.durationS / 20)) * 1000;
  function sample(): void {
    let nb = 0, rt = 0, k = 0;
    for (let i = 0; i < n; i++) {
      const r = routers[i];
      if (!r) continue;
      const a = r.neighbours().length, b = r.routes().length;
      nb += a; rt += b; k++;
      if (a > fill.nbMax) fill.nbMax = a;
      if (b > fill.rtMax) fill.rtMax = b;
    }
    if (k) { fill.nbSum += nb / k; fill.rtSum += rt / k; fill.samples++; fill.nbLast = nb / k; fill.rtLast = rt / k; fill.nodesSampled = k; }
  }
  engine.on(K_SAMPLE, () => {
    sample();
    if (engine.now + sampleEveryMs < durationMs) engine.schedule(engine.now + sampleEveryMs, K_SAMPLE, 0, 0);
  });

  // --- kill-relay
  let repair: Record<string, unknown> | null = null;
  engine.on(K_KILL, () => {
    repair = chooseAndKill();
  });
  function chooseAndKill(): Record<string, unknown> {
    const [s, d] = probePair!;
    const pick = chooseRelay(links, usableDbm(prop), s, d, metrics.lastProbeRelays(), alive);
    if (pick.relay !== null) kill(pick.relay);
    return { pair: [s, d], ...pick };
  }

  // --- start
  const joinsLater = new Set(events.filter((e) => e.kind === 'join').map((e) => (e as { node: number }).node));
  for (let i = 0; i < n; i++) if (!joinsLater.has(i)) boot(i);
  if (m > 0) engine.schedule(plan[0].at, K_MSG, 0, 0);
  for (let e = 0; e < events.length; e++) engine.schedule(events[e].at * 1000, K_EVENT, e, 0);
  engine.schedule(sampleEveryMs, K_SAMPLE, 0, 0);
  const killAtMs = o.killRelayAtS !== undefined ? o.killRelayAtS * 1000 : -1;
  if (killAtMs >= 0) {
    engine.schedule(killAtMs, K_KILL, 0, 0);
    metrics.watchBeacons(Math.max(0, killAtMs - 60000), killAtMs);
  }

  if (watch.attach) watch.attach({ engine, ids, alive, routers, links, gateways, kill, boot, reschedule, radio: (i) => medium.port(i) });
  const progress = o.progress;
  engine.run(durationMs, progress ? (now) => progress({ fraction: now / durationMs, nowS: now / 1000, events: engine.processed }) : undefined, durationMs / 200);
  sample();

  // --- repair figure
  if (repair && killAtMs >= 0) Object.assign(repair, repairFigure(killAtMs, pProbe, metrics.sentAt, metrics.deliveredAt, metrics.medianBeaconGapMs()));

  const stats = routers.filter((r): r is Router => r !== null).map((r) => r.stats as unknown).concat(deadStats);
  return summarise({
    options: o, policy, radio, loss, traffic, caps, topo, warmupMs, drainMs, durationMs, n,
    metrics, medium, alive, fill, repair, stats, engine, wall0, connected: isConnected(links, usableDbm(prop), alive),
  });
}

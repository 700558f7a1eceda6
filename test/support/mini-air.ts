/**
 * A tiny air for routing tests: N real routers (shared/router.ts) joined by a symmetric connectivity matrix,
 * a binary-heap event queue on a virtual clock, per-link random loss, per-node transmit serialisation at
 * 1 Mbps airtime. No collisions, no path loss model: that is the simulator's job (host/sim/); this harness
 * only has to make routing behaviour observable and deterministic.
 */
import { mulberry32 } from './mulberry32.ts';
import { createRouter, type Router, type RouterInit, type Policy, type Role, type DeliverInfo } from '../../shared/router.ts';
import { createKeyring } from '../../shared/keyring.ts';
import { createNodeAes } from './aes-node.ts';
import { crc32 } from '../../host/crc32.ts';

export interface Delivery { at: number; src: number; dst: number; hops: number; seq: number; type: number; data: Uint8Array }

export interface AirNode {
  index: number;
  id: number;
  router: Router;
  alive: boolean;
  deliveries: Delivery[];
  /** end-to-end results by handle */
  results: Map<number, boolean>;
}

export interface MiniAirOptions {
  n: number;
  seed?: number;
  policy?: Policy;
  roles?: (i: number) => Role;
  /** frame loss per link, 0..1 */
  loss?: number;
  /** loss of link i→j (overrides `loss`) */
  lossOf?: (i: number, j: number) => number;
  /** look at (and possibly change) every frame on the air before it is delivered */
  tap?: (from: number, frame: Uint8Array) => void;
  /** RSSI of link i→j, dBm; default -60 */
  rssi?: (i: number, j: number) => number;
  ids?: (i: number) => number;
  init?: Partial<RouterInit>;
}

/** seeded [0,1) generator */
export const rng01 = mulberry32;

export const CAPS = {
  neighbours: 16, routes: 64, dedupSlots: 256, replaySources: 64, pending: 24, reassemblySlots: 4, reassemblyMaxBytes: 4096,
};

const KIND_TICK = 0;
const KIND_RX = 1;

interface Ev { t: number; q: number; kind: number; node: number; gen: number; frame?: Uint8Array; rssi?: number }

export function airtimeMs(len: number): number {
  return ((len + 43) * 8) / 1000 + 0.192;
}

export function createMiniAir(o: MiniAirOptions) {
  const n = o.n;
  const seed = o.seed ?? 1;
  const lossRng = rng01(seed * 7919 + 17);
  const link = new Uint8Array(n * n);
  const heap: Ev[] = [];
  let q = 0;
  let now = 0;
  const tickGen = new Int32Array(n);
  const tickAt = new Float64Array(n).fill(-1);
  const busyUntil = new Float64Array(n);
  const nodes: AirNode[] = [];
  const aes = createNodeAes();
  const key = new Uint8Array(16).fill(0x5a);
  let txCount = 0;

  function push(e: Ev): void {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (before(heap[p], heap[i])) break;
      [heap[p], heap[i]] = [heap[i], heap[p]];
      i = p;
    }
  }
  function before(a: Ev, b: Ev): boolean {
    return a.t < b.t || (a.t === b.t && a.q < b.q);
  }
  function pop(): Ev {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l], heap[m])) m = l;
        if (r < heap.length && before(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i], heap[m]];
        i = m;
      }
    }
    return top;
  }

  function reschedule(i: number): void {
    if (!nodes[i].alive) return;
    const d = nodes[i].router.nextDeadline();
    if (d < 0) return;
    const t = d < now ? now : d;
    if (tickAt[i] >= 0 && tickAt[i] <= t && tickAt[i] >= now) return;
    tickAt[i] = t;
    push({ t, q: q++, kind: KIND_TICK, node: i, gen: ++tickGen[i] });
  }

  for (let i = 0; i < n; i++) {
    const id = o.ids ? o.ids(i) : 0x1000 + i * 0x101;
    const index = i;
    const keys = createKeyring({ capacity: 2 })({ aes });
    keys.set(1, key);
    const store = new Map<string, string>();
    const node: AirNode = { index, id, router: undefined as unknown as Router, alive: true, deliveries: [], results: new Map() };
    const init: RouterInit = {
      selfId: id,
      policy: o.policy ?? 'meshwork',
      role: o.roles ? o.roles(i) : 'router',
      capacities: CAPS,
      ...o.init,
    };
    node.router = createRouter(init)({
      aes, keys, crc32,
      store: { read: (k) => store.get(k), write: (k, v) => { store.set(k, v); return true; } },
      rng: rng01(seed * 1000003 + i),
      radio: {
        airtimeMs,
        send(frame: Uint8Array, len: number) {
          txCount++;
          const copy = frame.slice(0, len);
          if (o.tap) o.tap(index, copy);
          const start = Math.max(now, busyUntil[index]);
          const end = start + airtimeMs(len);
          busyUntil[index] = end;
          for (let j = 0; j < n; j++) {
            if (j === index || !link[index * n + j]) continue;
            const p = o.lossOf ? o.lossOf(index, j) : o.loss ?? 0;
            if (p > 0 && lossRng() < p) continue;
            push({ t: end, q: q++, kind: KIND_RX, node: j, gen: 0, frame: copy, rssi: o.rssi ? o.rssi(index, j) : -60 });
          }
        },
      },
      events: {
        deliver(payload: Uint8Array, info: DeliverInfo) {
          node.deliveries.push({ at: now, src: info.src, dst: info.dst, hops: info.hops, seq: info.seq, type: info.type, data: payload.slice() });
        },
        sent(handle: number, ok: boolean) {
          node.results.set(handle, ok);
        },
      },
    });
    nodes.push(node);
  }
  for (let i = 0; i < n; i++) reschedule(i);

  function run(until: number): void {
    while (heap.length > 0 && heap[0].t <= until) {
      const e = pop();
      now = e.t;
      const nd = nodes[e.node];
      if (!nd.alive) continue;
      if (e.kind === KIND_TICK) {
        if (e.gen !== tickGen[e.node]) continue;
        tickAt[e.node] = -1;
        nd.router.tick(now);
      } else {
        nd.router.receive(e.frame!, e.frame!.length, e.rssi!, now);
      }
      reschedule(e.node);
    }
    now = until;
  }

  return {
    nodes,
    get now() { return now; },
    get txCount() { return txCount; },
    connect(i: number, j: number, on = true): void {
      link[i * n + j] = on ? 1 : 0;
      link[j * n + i] = on ? 1 : 0;
    },
    linked(i: number, j: number): boolean { return link[i * n + j] === 1; },
    kill(i: number): void { nodes[i].alive = false; },
    /** hand a frame to node j as if heard on the air now */
    inject(j: number, frame: Uint8Array, rssi = -60): void {
      push({ t: now, q: q++, kind: KIND_RX, node: j, gen: 0, frame, rssi });
    },
    run,
    /** send from node i; returns the handle */
    send(i: number, dst: number, payload: Uint8Array, flags = 0): number {
      const h = nodes[i].router.send(dst, payload, flags, now);
      reschedule(i);
      return h;
    },
    index(id: number): number { return nodes.findIndex((x) => x.id === id); },
  };
}

export type MiniAir = ReturnType<typeof createMiniAir>;

/** connect nodes in a line 0-1-2-…-(n-1) */
export function line(air: MiniAir, n: number): void {
  for (let i = 0; i + 1 < n; i++) air.connect(i, i + 1);
}

/** w×h grid, 4-neighbour */
export function grid(air: MiniAir, w: number, h: number): void {
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    if (x + 1 < w) air.connect(i, i + 1);
    if (y + 1 < h) air.connect(i, i + w);
  }
}

/**
 * A Wi-Fi station/access-point link model, the way painlessMesh and ESP-WIFI-MESH build a mesh: every node
 * runs a soft AP and joins one AP as a station, so links exist only between a node and its parent or its
 * children. Frames travel only over those links.
 *
 * Association (greedy, like nodes booting and picking the best AP they can see): repeatedly take the
 * strongest (station, AP) pair where the station is unassociated, the AP is the root or already reaches the
 * root, has fewer than `maxStations` stations (Espruino's soft AP takes 4) and is heard at least
 * `assocDbm`. This grows a tree from the root(s). When a node dies its children lose their link at once and
 * re-associate after `reassocDelayMs` (beacon loss + scan), to any AP still connected to a root: never
 * into their own subtree, so no loop can form. A node that moves out of its parent's range does the same.
 *
 * A send from the router is one unicast per associated peer (802.11 frames to a station or AP), back to
 * back: airtime = peers × airtimeMs(len). Each unicast has up to `macAttempts` MAC attempts; it is lost
 * only if every attempt fails (frame error at the link's power with fast fading, or the extra `loss`).
 * DCF and MAC ACKs resolve contention, so this model has no collisions; a node's frames queue behind each
 * other.
 */
import type { RadioPort } from '../../shared/router.ts';
import type { Engine } from './engine.ts';
import type { LinkMap } from './links.ts';
import type { SimRng } from './rng.ts';
import { frameErrorProb, type Propagation } from './propagation.ts';
import { MAX_AIR_FRAME, airtimeMs, newCounters, type Medium, type MediumHooks } from './medium.ts';

export interface WifiInit {
  links: LinkMap;
  prop: Propagation;
  loss: number;
  /** nodes with an uplink (gateways): the roots of the trees */
  roots: number[];
  maxStations?: number;
  /** weakest AP a station will join, dBm (default sensitivity + 5) */
  assocDbm?: number;
  reassocDelayMs?: number;
  macAttempts?: number;
  queueLimit?: number;
  /** two free engine event kinds: kindBase and kindBase + 1 */
  kindBase: number;
}

export interface WifiMedium extends Medium {
  /** the AP node i is associated to, or -1 */
  parentOf(i: number): number;
}

export function createWifiMedium(init: WifiInit): (c: { engine: Engine; rng: SimRng; hooks: MediumHooks }) => WifiMedium {
  return function (c) {
    const { links, prop } = init;
    const { engine, rng, hooks } = c;
    const n = links.n;
    const maxSta = init.maxStations ?? 4;
    const assocDbm = init.assocDbm ?? prop.sensitivityDbm + 5;
    const reassocDelay = init.reassocDelayMs ?? 5000;
    const attempts = init.macAttempts ?? 4;
    const queueLimit = init.queueLimit ?? 32;
    const K_END = init.kindBase;
    const K_REASSOC = init.kindBase + 1;
    const counters = newCounters();
    const isRoot = new Uint8Array(n);
    for (const r of init.roots) isRoot[r] = 1;

    const alive = new Uint8Array(n);
    const parent = new Int32Array(n).fill(-1);
    const children: number[][] = [];
    for (let i = 0; i < n; i++) children.push([]);
    const busyAcc = new Float64Array(n);
    let globalAcc = 0;
    const fades = new Map<number, number>();
    const power = (i: number, j: number): number =>
      links.power(i, j) - (fades.size ? fades.get(i < j ? i * n + j : j * n + i) ?? 0 : 0);

    // --- association
    function reachesRoot(i: number): boolean {
      for (let k = 0, v = i; k <= n; k++) {
        if (!alive[v]) return false;
        if (isRoot[v]) return true;
        v = parent[v];
        if (v < 0) return false;
      }
      return false;
    }

    function attach(u: number, v: number): void {
      parent[u] = v;
      children[v].push(u);
      children[v].sort((a, b) => a - b);
    }
    function detach(u: number): void {
      const p = parent[u];
      if (p < 0) return;
      const ch = children[p];
      ch.splice(ch.indexOf(u), 1);
      parent[u] = -1;
    }

    /** Greedy association of every alive, unassociated non-root node that can reach a connected AP. */
    function associate(): void {
      const connected = new Uint8Array(n);
      for (let i = 0; i < n; i++) if (reachesRoot(i)) connected[i] = 1;
      for (;;) {
        let bu = -1, bv = -1, bp = -Infinity;
        for (let u = 0; u < n; u++) {
          if (!alive[u] || isRoot[u] || parent[u] >= 0) continue;
          const nb = links.nb[u];
          for (let k = 0; k < nb.length; k++) {
            const v = nb[k];
            if (!connected[v] || children[v].length >= maxSta) continue;
            const p = power(u, v);
            if (p >= assocDbm && p > bp) { bp = p; bu = u; bv = v; }
          }
        }
        if (bu < 0) return;
        attach(bu, bv);
        // bu's own subtree (if it was an orphan with children) is connected again
        const stack = [bu];
        while (stack.length) {
          const x = stack.pop()!;
          connected[x] = 1;
          for (const ch of children[x]) stack.push(ch);
        }
      }
    }

    let reassocPending = false;
    function scheduleReassoc(delayMs: number): void {
      if (reassocPending) return;
      reassocPending = true;
      engine.schedule(engine.now + delayMs, K_REASSOC, 0, 0);
    }
    engine.on(K_REASSOC, () => {
      reassocPending = false;
      associate();
      for (let i = 0; i < n; i++) {
        if (alive[i] && !isRoot[i] && parent[i] < 0) { scheduleReassoc(reassocDelay); break; }
      }
    });

    // --- transmit queue (per node, plain arrays: this model is for trees of tens of nodes)
    const queues: Uint8Array[][] = [];
    for (let i = 0; i < n; i++) queues.push([]);
    const txBusy = new Uint8Array(n);
    const current: (Uint8Array | null)[] = new Array(n).fill(null);
    const peersNow: number[][] = new Array(n).fill(null).map(() => []);
    const scratch = new Uint8Array(MAX_AIR_FRAME);

    function peers(i: number, out: number[]): void {
      out.length = 0;
      const p = parent[i];
      if (p >= 0 && alive[p]) out.push(p);
      for (const ch of children[i]) if (alive[ch]) out.push(ch);
      out.sort((a, b) => a - b);
    }

    function start(i: number): void {
      const f = queues[i].shift()!;
      current[i] = f;
      txBusy[i] = 1;
      peers(i, peersNow[i]);
      const k = peersNow[i].length;
      const dur = airtimeMs(f.length) * (k > 0 ? k : 1);
      counters.transmissions++;
      busyAcc[i] += dur;
      for (const j of peersNow[i]) busyAcc[j] += dur / k;
      globalAcc += dur;
      hooks.transmit(i, f, f.length, dur);
      engine.schedule(engine.now + dur, K_END, i, 0);
    }

    engine.on(K_END, (i: number) => {
      const f = current[i]!;
      current[i] = null;
      txBusy[i] = 0;
      if (alive[i]) {
        const sigma = prop.fastFadingSigmaDb;
        for (const j of peersNow[i]) {
          if (!alive[j] || (parent[i] !== j && parent[j] !== i)) continue;
          const p = power(i, j);
          let ok = false;
          let seen = p;
          for (let a = 0; a < attempts && !ok; a++) {
            seen = sigma > 0 ? p + sigma * rng.normal() : p;
            ok = rng.next() >= frameErrorProb(prop, seen) && !(init.loss > 0 && rng.next() < init.loss);
          }
          if (!ok) { counters.channelLoss++; continue; }
          counters.receptions++;
          scratch.set(f);
          hooks.receive(j, scratch, f.length, Math.round(seen));
        }
        if (queues[i].length) start(i);
      }
    });

    function send(i: number, frame: Uint8Array, len: number): void {
      if (len <= 0 || len > MAX_AIR_FRAME || frame.length < len) throw new Error('meshwork/sim: radio.send needs 1..250 bytes');
      if (!alive[i]) return;
      if (queues[i].length >= queueLimit) { counters.queueDrops++; return; }
      const copy = new Uint8Array(len);
      copy.set(frame.subarray(0, len));
      queues[i].push(copy);
      if (!txBusy[i]) start(i);
    }

    function setAlive(i: number, on: boolean): void {
      if (on) {
        alive[i] = 1;
        // a node that (re)joins scans and associates: one pass for every node switched on at the same time
        if (!isRoot[i]) scheduleReassoc(0);
        return;
      }
      alive[i] = 0;
      queues[i].length = 0;
      detach(i);
      const orphans = children[i].slice();
      for (const ch of orphans) detach(ch);
      if (orphans.length) scheduleReassoc(reassocDelay);
    }

    function moveTo(i: number, x: number, y: number): void {
      links.move(i, x, y);
      let lost = false;
      if (parent[i] >= 0 && power(i, parent[i]) < assocDbm - 3) { detach(i); lost = true; }
      for (const ch of children[i].slice()) if (power(i, ch) < assocDbm - 3) { detach(ch); lost = true; }
      if (lost) scheduleReassoc(reassocDelay);
    }

    const ports: RadioPort[] = [];
    for (let i = 0; i < n; i++) {
      const self = i;
      ports.push({ send(frame: Uint8Array, len: number): void { send(self, frame, len); }, airtimeMs });
    }

    return {
      port: (i: number) => ports[i],
      setAlive,
      moveTo,
      fade(i: number, j: number, db: number): void {
        const k = i < j ? i * n + j : j * n + i;
        if (db > 0) fades.set(k, db); else fades.delete(k);
      },
      busyMs: (i: number) => busyAcc[i],
      globalBusyMs: () => globalAcc,
      parentOf: (i: number) => parent[i],
      counters,
    };
  };
}

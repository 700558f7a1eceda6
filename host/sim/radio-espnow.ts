/**
 * An ESP-NOW-like broadcast medium: every frame is heard by every node whose link is above the floor, and
 * decoded unless something spoils it.
 *
 * At transmission start an "arrival" is recorded at each listening receiver with that link's power. A frame
 * is lost at a receiver when:
 *  - half duplex: the receiver was transmitting at any moment of the arrival;
 *  - collision: another arrival overlapped it at that receiver, unless it was ≥ captureDb stronger than
 *    every overlapping one (the stronger survives; closer than that, both are lost);
 *  - channel: a frame-error draw at its power plus per-frame fast fading (propagation.ts), then the extra
 *    per-link random loss (`loss`);
 *  - the receiver died before the end of the frame.
 * Survivors are delivered at the end of the frame, in ascending receiver order.
 *
 * Medium access is 802.11 DCF, simplified: a node with a queued frame waits DIFS plus a random backoff of
 * 0..CWmin slots (DSSS: 50 µs, 20 µs slots, CW 31), then transmits unless it senses an arrival above the CCA
 * threshold that began more than one CCA time ago (so two nodes picking the same slot still collide, as in
 * real DCF); a deferred node tries again, with a new backoff, when its channel goes idle. Frames queue
 * behind the one on the air (at most queueLimit; more are dropped and counted). There are no MAC ACKs or
 * retries: ESP-NOW broadcasts have none.
 *
 * Storage is typed arrays grown by doubling, so a long run allocates nothing per frame once warm.
 */
import type { RadioPort } from '../../shared/router.ts';
import type { Engine } from './engine.ts';
import type { LinkMap } from './links.ts';
import type { SimRng } from './rng.ts';
import { frameErrorProb, type Propagation } from './propagation.ts';
import { MAX_AIR_FRAME, airtimeMs, newCounters, type Medium, type MediumHooks } from './medium.ts';

const SLOT_MS = 0.02;
const DIFS_MS = 0.05;
const CW_MIN = 31;
const CCA_TIME_MS = 0.015;
const BAD_COLLISION = 1;
const BAD_HALF_DUPLEX = 2;

export interface EspNowInit {
  links: LinkMap;
  prop: Propagation;
  /** extra loss probability per frame per link, 0..1 */
  loss: number;
  /** carrier sense before transmitting (default true) */
  carrierSense?: boolean;
  /** frames a node may queue behind the one on the air (default 32) */
  queueLimit?: number;
  /** two free engine event kinds: kindBase and kindBase + 1 */
  kindBase: number;
}

export function createEspNowMedium(init: EspNowInit): (c: { engine: Engine; rng: SimRng; hooks: MediumHooks }) => Medium {
  return function (c) {
    const { links, prop } = init;
    const { engine, rng, hooks } = c;
    const n = links.n;
    const loss = init.loss;
    const carrierSense = init.carrierSense !== false;
    const queueLimit = init.queueLimit ?? 32;
    const K_ATTEMPT = init.kindBase;
    const K_END = init.kindBase + 1;
    const counters = newCounters();

    // --- node state
    const alive = new Uint8Array(n);
    const txCur = new Int32Array(n).fill(-1);
    const qHead = new Int32Array(n).fill(-1);
    const qTail = new Int32Array(n).fill(-1);
    const qLen = new Int32Array(n);
    const attemptGen = new Int32Array(n);
    const attemptPending = new Uint8Array(n);
    const waitIdle = new Uint8Array(n);
    const rxHead = new Int32Array(n).fill(-1);
    const busyCnt = new Int32Array(n);
    const busySince = new Float64Array(n);
    const busyAcc = new Float64Array(n);
    let globalCnt = 0, globalSince = 0, globalAcc = 0;

    // --- transmission slots (frame bytes + who, how long, its arrivals)
    let txCap = 256;
    let txBytes = new Uint8Array(txCap * MAX_AIR_FRAME);
    let txViews: Uint8Array[] = [];
    let txLen = new Int32Array(txCap);
    let txSender = new Int32Array(txCap);
    let txNext = new Int32Array(txCap);
    let txArr = new Int32Array(txCap);
    let txAborted = new Uint8Array(txCap);
    let txFree: number[] = [];
    for (let s = txCap - 1; s >= 0; s--) txFree.push(s);
    for (let s = 0; s < txCap; s++) txViews.push(txBytes.subarray(s * MAX_AIR_FRAME, (s + 1) * MAX_AIR_FRAME));

    function growTx(): void {
      const cap = txCap * 2;
      const b = new Uint8Array(cap * MAX_AIR_FRAME); b.set(txBytes); txBytes = b;
      txViews = [];
      for (let s = 0; s < cap; s++) txViews.push(txBytes.subarray(s * MAX_AIR_FRAME, (s + 1) * MAX_AIR_FRAME));
      const g = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => { const x = new Int32Array(cap); x.set(a); return x; };
      txLen = g(txLen); txSender = g(txSender); txNext = g(txNext); txArr = g(txArr);
      const ab = new Uint8Array(cap); ab.set(txAborted); txAborted = ab;
      for (let s = cap - 1; s >= txCap; s--) txFree.push(s);
      txCap = cap;
    }

    // --- arrivals (one per (transmission, receiver)), linked per receiver and per transmission
    let arCap = 1024;
    let arRx = new Int32Array(arCap);
    let arPow = new Float64Array(arCap);
    let arStart = new Float64Array(arCap);
    let arBad = new Uint8Array(arCap);
    let arNextRx = new Int32Array(arCap);
    let arNextTx = new Int32Array(arCap);
    let arFree: number[] = [];
    for (let a = arCap - 1; a >= 0; a--) arFree.push(a);

    function growAr(): void {
      const cap = arCap * 2;
      const g = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => { const x = new Int32Array(cap); x.set(a); return x; };
      const f = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => { const x = new Float64Array(cap); x.set(a); return x; };
      arRx = g(arRx); arNextRx = g(arNextRx); arNextTx = g(arNextTx);
      arPow = f(arPow); arStart = f(arStart);
      const b = new Uint8Array(cap); b.set(arBad); arBad = b;
      for (let a = cap - 1; a >= arCap; a--) arFree.push(a);
      arCap = cap;
    }

    // --- fades: extra attenuation per link, looked up only while some fade is active
    const fades = new Map<number, number>();
    function fadeDb(i: number, j: number): number {
      return fades.size === 0 ? 0 : fades.get(i < j ? i * n + j : j * n + i) ?? 0;
    }

    function busyInc(j: number): void {
      if (busyCnt[j]++ === 0) busySince[j] = engine.now;
    }
    function busyDec(j: number): void {
      if (--busyCnt[j] === 0) {
        busyAcc[j] += engine.now - busySince[j];
        if (waitIdle[j]) { waitIdle[j] = 0; scheduleAttempt(j); }
      }
    }

    function scheduleAttempt(i: number): void {
      attemptPending[i] = 1;
      engine.schedule(engine.now + DIFS_MS + rng.int(CW_MIN + 1) * SLOT_MS, K_ATTEMPT, i, ++attemptGen[i]);
    }

    function send(i: number, frame: Uint8Array, len: number): void {
      if (len <= 0 || len > MAX_AIR_FRAME || frame.length < len) throw new Error('meshwork/sim: radio.send needs 1..250 bytes');
      if (!alive[i]) return;
      if (qLen[i] >= queueLimit) { counters.queueDrops++; return; }
      if (txFree.length === 0) growTx();
      const s = txFree.pop()!;
      txViews[s].set(frame.length === len ? frame : frame.subarray(0, len));
      txLen[s] = len;
      txSender[s] = i;
      txNext[s] = -1;
      txArr[s] = -1;
      txAborted[s] = 0;
      if (qTail[i] < 0) qHead[i] = s; else txNext[qTail[i]] = s;
      qTail[i] = s;
      qLen[i]++;
      if (txCur[i] < 0 && !attemptPending[i] && !waitIdle[i]) scheduleAttempt(i);
    }

    function sensedBusy(i: number): boolean {
      const limit = engine.now - CCA_TIME_MS;
      for (let a = rxHead[i]; a >= 0; a = arNextRx[a]) {
        if (arPow[a] >= prop.ccaDbm && arStart[a] <= limit) return true;
      }
      return false;
    }

    function onAttempt(i: number, gen: number): void {
      if (gen !== attemptGen[i]) return;
      attemptPending[i] = 0;
      if (!alive[i] || qHead[i] < 0 || txCur[i] >= 0) return;
      if (carrierSense && sensedBusy(i)) {
        counters.deferrals++;
        waitIdle[i] = 1;
        return;
      }
      startTx(i);
    }

    function startTx(i: number): void {
      const now = engine.now;
      const s = qHead[i];
      qHead[i] = txNext[s];
      if (qHead[i] < 0) qTail[i] = -1;
      qLen[i]--;
      txCur[i] = s;
      const len = txLen[s];
      const dur = airtimeMs(len);
      counters.transmissions++;
      if (globalCnt++ === 0) globalSince = now;
      // half duplex: whatever i was receiving is lost
      for (let a = rxHead[i]; a >= 0; a = arNextRx[a]) arBad[a] = BAD_HALF_DUPLEX;
      busyInc(i);
      const nb = links.nb[i], pw = links.pw[i];
      const floor = prop.floorDbm, cap = prop.captureDb, cca = prop.ccaDbm;
      let chain = -1;
      for (let k = 0; k < nb.length; k++) {
        const j = nb[k];
        if (!alive[j]) continue;
        const p = pw[k] - fadeDb(i, j);
        if (p < floor) continue;
        if (arFree.length === 0) growAr();
        const a = arFree.pop()!;
        arRx[a] = j;
        arPow[a] = p;
        arStart[a] = now;
        arBad[a] = txCur[j] >= 0 ? BAD_HALF_DUPLEX : 0;
        for (let o = rxHead[j]; o >= 0; o = arNextRx[o]) {
          const q = arPow[o];
          if (q < p + cap && arBad[o] === 0) arBad[o] = BAD_COLLISION;
          if (p < q + cap && arBad[a] === 0) arBad[a] = BAD_COLLISION;
        }
        arNextRx[a] = rxHead[j];
        rxHead[j] = a;
        arNextTx[a] = chain;
        chain = a;
        if (p >= cca) busyInc(j);
      }
      txArr[s] = chain;
      hooks.transmit(i, txViews[s], len, dur);
      engine.schedule(now + dur, K_END, s, 0);
    }

    const scratch = new Uint8Array(MAX_AIR_FRAME);

    function unlinkRx(j: number, a: number): void {
      if (rxHead[j] === a) { rxHead[j] = arNextRx[a]; return; }
      let p = rxHead[j];
      while (arNextRx[p] !== a) p = arNextRx[p];
      arNextRx[p] = arNextRx[a];
    }

    function onEnd(s: number): void {
      const i = txSender[s];
      const len = txLen[s];
      const aborted = txAborted[s];
      const cca = prop.ccaDbm;
      const sigma = prop.fastFadingSigmaDb;
      const sens = prop.sensitivityDbm;
      // the chain was built newest-first; deliver in ascending receiver order (the order of links.nb)
      let a = txArr[s];
      let rev = -1;
      while (a >= 0) { const nx = arNextTx[a]; arNextTx[a] = rev; rev = a; a = nx; }
      for (a = rev; a >= 0;) {
        const j = arRx[a];
        const p = arPow[a];
        const bad = arBad[a];
        const next = arNextTx[a];
        unlinkRx(j, a);
        arFree.push(a);
        if (p >= cca) busyDec(j);
        a = next;
        if (aborted || !alive[j]) continue;
        // loss counters cover only arrivals at or above sensitivity: the weaker ones were mostly
        // undecodable anyway and only count as interference
        if (bad) {
          if (p >= sens) { if (bad === BAD_HALF_DUPLEX) counters.halfDuplex++; else counters.collisions++; }
          continue;
        }
        const pf = sigma > 0 ? p + sigma * rng.normal() : p;
        if (rng.next() < frameErrorProb(prop, pf) || (loss > 0 && rng.next() < loss)) {
          if (p >= sens) counters.channelLoss++;
          continue;
        }
        counters.receptions++;
        scratch.set(txViews[s].subarray(0, len));
        hooks.receive(j, scratch, len, Math.round(pf));
      }
      txCur[i] = -1;
      busyDec(i);
      if (--globalCnt === 0) globalAcc += engine.now - globalSince;
      txFree.push(s);
      if (alive[i] && qHead[i] >= 0 && !attemptPending[i] && !waitIdle[i]) scheduleAttempt(i);
    }

    engine.on(K_ATTEMPT, onAttempt);
    engine.on(K_END, onEnd);

    function setAlive(i: number, on: boolean): void {
      if (on) { alive[i] = 1; return; }
      alive[i] = 0;
      attemptGen[i]++;
      attemptPending[i] = 0;
      waitIdle[i] = 0;
      for (let s = qHead[i]; s >= 0;) { const nx = txNext[s]; txFree.push(s); s = nx; }
      qHead[i] = -1; qTail[i] = -1; qLen[i] = 0;
      const cur = txCur[i];
      if (cur >= 0) txAborted[cur] = 1;
    }

    const ports: RadioPort[] = [];
    for (let i = 0; i < n; i++) {
      const self = i;
      ports.push({
        send(frame: Uint8Array, len: number): void { send(self, frame, len); },
        airtimeMs,
      });
    }

    return {
      port: (i: number) => ports[i],
      setAlive,
      moveTo(i: number, x: number, y: number): void { links.move(i, x, y); },
      fade(i: number, j: number, db: number): void {
        const k = i < j ? i * n + j : j * n + i;
        if (db > 0) fades.set(k, db); else fades.delete(k);
      },
      busyMs(i: number): number {
        return busyAcc[i] + (busyCnt[i] > 0 ? engine.now - busySince[i] : 0);
      },
      globalBusyMs(): number {
        return globalAcc + (globalCnt > 0 ? engine.now - globalSince : 0);
      },
      counters,
    };
  };
}

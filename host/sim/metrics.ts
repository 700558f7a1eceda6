/**
 * What a run measured. The simulator sees the routers only from outside: frames on the air (their kind
 * and addresses read from the header, shared/frame.ts layout: never the payload, never routing state),
 * messages handed to router.send() and delivered through events.deliver, acknowledgements through
 * events.sent, and the tables' sizes through router.neighbours()/routes().
 *
 * Denominators (stated here once, used everywhere):
 *  - a unicast counts when both ends were alive when it was sent and the destination stayed alive for the
 *    drain window after; it is delivered when its destination's router delivered it before the run ended;
 *  - a broadcast counts for every (message, receiver) pair whose receiver was up when it was sent and
 *    stayed up for the drain window; reach = delivered pairs / counted pairs;
 *  - frames per delivered unicast = data frames whose header destination is a node (not broadcast),
 *    original sends and relays alike, divided by delivered unicasts; acknowledgements are control traffic;
 *  - control overhead = Beacon, Route, Ack and Control frames (types 2..5), per alive node per second.
 */
import { BROADCAST, FrameType, Off } from '../../shared/frame.ts';
import type { DeliverInfo } from '../../shared/router.ts';

const TYPE_NAMES = ['unknown', 'data', 'ack', 'beacon', 'route', 'control'];

export function percentile(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  // nearest-rank: the smallest value with at least q of the samples at or below it
  const k = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  return sorted[k];
}

/** A growable list of doubles (latencies): no boxed numbers on the hot path. */
class Samples {
  private a = new Float64Array(256);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) { const b = new Float64Array(this.n * 2); b.set(this.a); this.a = b; }
    this.a[this.n++] = v;
  }
  sorted(): Float64Array {
    return this.a.slice(0, this.n).sort();
  }
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

const round = (x: number | null, digits = 4): number | null => (x === null || !Number.isFinite(x) ? null : Number(x.toFixed(digits)));

export interface MessageLog {
  /** per planned message: send time (ms), -1 = not sent (an end was down) */
  sentAt: Float64Array;
  /** per unicast: first delivery time at its destination, -1 = not delivered */
  deliveredAt: Float64Array;
}

export interface MetricsInit {
  n: number;
  ids: Uint32Array;
  /** planned messages: destination node index, -1 for broadcast */
  dst: Int32Array;
  src: Int32Array;
  probe: Uint8Array;
  ack: Uint8Array;
  drainMs: number;
}

export function createMetrics(init: MetricsInit) {
  const { n, ids } = init;
  const m = init.dst.length;
  const sentAt = new Float64Array(m).fill(-1);
  const deliveredAt = new Float64Array(m).fill(-1);
  const hops = new Int16Array(m).fill(-1);
  const acked = new Int8Array(m); // 0 none, 1 ok, -1 failed
  const bcast = new Map<number, Uint8Array>();
  const joinAt = new Float64Array(n);
  const deathAt = new Float64Array(n).fill(Infinity);
  const uniLatency = new Samples();
  const bcastLatency = new Samples();
  const probeLatency = new Samples();
  let duplicates = 0;
  let sendErrors = 0;
  const sendErrorCodes: Record<string, number> = {};
  const framesByType = new Float64Array(16);
  const bytesByType = new Float64Array(16);
  let dataUnicast = 0, dataBroadcast = 0, allFrames = 0;
  let hopSum = 0, hopN = 0, hopMax = 0;
  const hopHist = new Float64Array(64);
  // beacon intervals per node: last beacon time, and the intervals seen in a window (repair in beacon units)
  const lastBeacon = new Float64Array(n).fill(-1);
  let beaconWindow: [number, number] | null = null;
  const beaconGaps = new Samples();
  // relays of the probe pair's frames, by sequence number (kept for the last 256 sequence numbers)
  let probeSrc = -1, probeDst = -1;
  const probeRelays = new Map<number, number[]>();
  let lastProbeSeq = -1;

  return {
    sentAt, deliveredAt,
    setJoin(i: number, at: number): void { joinAt[i] = at; },
    setDeath(i: number, at: number): void { if (deathAt[i] === Infinity) deathAt[i] = at; },
    watchProbePair(src: number, dst: number): void { probeSrc = src; probeDst = dst; },
    watchBeacons(fromMs: number, toMs: number): void { beaconWindow = [fromMs, toMs]; },

    transmit(node: number, frame: Uint8Array, len: number, now: number): void {
      const type = frame[Off.VerType] & 15;
      framesByType[type]++;
      bytesByType[type] += len;
      allFrames++;
      if (type === FrameType.Data) {
        const dst = u32(frame, Off.Dst);
        if (dst === BROADCAST) dataBroadcast++;
        else {
          dataUnicast++;
          if (probeSrc >= 0 && node !== probeSrc && dst === ids[probeDst] && u32(frame, Off.Src) === ids[probeSrc]) {
            const seq = u32(frame, Off.Seq);
            let r = probeRelays.get(seq);
            if (!r) {
              r = [];
              probeRelays.set(seq, r);
              if (probeRelays.size > 256) probeRelays.delete(probeRelays.keys().next().value as number);
            }
            if (!r.includes(node)) r.push(node);
          }
        }
      } else if (type === FrameType.Beacon) {
        if (beaconWindow && now >= beaconWindow[0] && now < beaconWindow[1] && lastBeacon[node] >= 0) {
          beaconGaps.push(now - lastBeacon[node]);
        }
        lastBeacon[node] = now;
      }
    },

    sent(msg: number, now: number, handle: number): void {
      if (handle < 0) {
        sendErrors++;
        sendErrorCodes[String(handle)] = (sendErrorCodes[String(handle)] || 0) + 1;
        return;
      }
      sentAt[msg] = now;
      if (init.dst[msg] < 0) bcast.set(msg, new Uint8Array(n));
    },

    deliver(node: number, msg: number, info: DeliverInfo, now: number): void {
      if (msg >= m || sentAt[msg] < 0) return;
      const d = init.dst[msg];
      if (d < 0) {
        const seen = bcast.get(msg)!;
        if (node === init.src[msg]) return;
        if (seen[node]) { duplicates++; return; }
        seen[node] = 1;
        bcastLatency.push(now - sentAt[msg]);
        return;
      }
      if (node !== d) return;
      if (deliveredAt[msg] >= 0) { duplicates++; return; }
      deliveredAt[msg] = now;
      hops[msg] = info.hops;
      if (init.probe[msg]) {
        probeLatency.push(now - sentAt[msg]);
        lastProbeSeq = info.seq;
        return;
      }
      uniLatency.push(now - sentAt[msg]);
      hopSum += info.hops;
      hopN++;
      if (info.hops > hopMax) hopMax = info.hops;
      hopHist[Math.min(63, Math.max(0, info.hops))]++;
    },

    acked(msg: number, ok: boolean): void {
      if (acked[msg] === 0) acked[msg] = ok ? 1 : -1;
    },

    /** nodes that carried the last delivered probe (sources and destination excluded), in the order they sent */
    lastProbeRelays(): number[] {
      return lastProbeSeq >= 0 ? (probeRelays.get(lastProbeSeq) || []).slice() : [];
    },

    medianBeaconGapMs(): number | null {
      return percentile(beaconGaps.sorted(), 0.5);
    },

    /** unicast and broadcast figures at the end of the run */
    summary(endMs: number) {
      const counted = (msg: number): boolean => {
        const d = init.dst[msg];
        return sentAt[msg] >= 0 && (d < 0 || deathAt[d] > sentAt[msg] + init.drainMs);
      };
      let uSent = 0, uDelivered = 0, ackOk = 0, ackFail = 0, ackAsked = 0;
      let pSent = 0, pDelivered = 0;
      let bSent = 0, pairs = 0, pairsDelivered = 0, fullReach = 0;
      for (let k = 0; k < m; k++) {
        if (!counted(k)) continue;
        if (init.dst[k] >= 0) {
          if (init.probe[k]) { pSent++; if (deliveredAt[k] >= 0) pDelivered++; continue; }
          uSent++;
          if (deliveredAt[k] >= 0) uDelivered++;
          if (init.ack[k]) { ackAsked++; if (acked[k] === 1) ackOk++; else if (acked[k] === -1) ackFail++; }
        } else {
          bSent++;
          const t = sentAt[k];
          const seen = bcast.get(k)!;
          let e = 0, got = 0;
          for (let j = 0; j < n; j++) {
            if (j === init.src[k] || joinAt[j] > t || deathAt[j] <= t + init.drainMs) continue;
            e++;
            if (seen[j]) got++;
          }
          pairs += e;
          pairsDelivered += got;
          if (got === e) fullReach++;
        }
      }
      const ul = uniLatency.sorted(), bl = bcastLatency.sorted(), pl = probeLatency.sorted();
      const hist: Record<string, number> = {};
      for (let h = 0; h < 64; h++) if (hopHist[h]) hist[String(h)] = hopHist[h];
      const byType: Record<string, { frames: number; bytes: number }> = {};
      for (let t = 0; t < 16; t++) if (framesByType[t]) byType[TYPE_NAMES[t] || 'type' + t] = { frames: framesByType[t], bytes: bytesByType[t] };
      let ctrlFrames = 0, ctrlBytes = 0;
      for (let t = FrameType.Ack; t <= FrameType.Control; t++) { ctrlFrames += framesByType[t]; ctrlBytes += bytesByType[t]; }
      void endMs;
      return {
        unicast: {
          sent: uSent,
          delivered: uDelivered,
          deliveryRatio: round(uSent ? uDelivered / uSent : null),
          latencyMs: { p50: round(percentile(ul, 0.5), 2), p95: round(percentile(ul, 0.95), 2), max: round(ul.length ? ul[ul.length - 1] : null, 2) },
          hops: { mean: round(hopN ? hopSum / hopN : null, 3), max: hopN ? hopMax : null, histogram: hist },
          dataFrames: dataUnicast,
          framesPerDelivered: round(uDelivered ? dataUnicast / (uDelivered + pDelivered) : null),
          endToEndAck: { asked: ackAsked, acked: ackOk, failed: ackFail },
          sendErrors, sendErrorCodes,
        },
        broadcast: {
          sent: bSent,
          pairs,
          delivered: pairsDelivered,
          reach: round(pairs ? pairsDelivered / pairs : null),
          fullReachShare: round(bSent ? fullReach / bSent : null),
          latencyMs: { p50: round(percentile(bl, 0.5), 2), p95: round(percentile(bl, 0.95), 2) },
          dataFrames: dataBroadcast,
          framesPerMessage: round(bSent ? dataBroadcast / bSent : null, 2),
        },
        probes: { sent: pSent, delivered: pDelivered, latencyMsP50: round(percentile(pl, 0.5), 2) },
        duplicates,
        frames: { total: allFrames, byType },
        control: { frames: ctrlFrames, bytes: ctrlBytes },
      };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

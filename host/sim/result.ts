/**
 * The result of a run as plain JSON (what `meshwork sim --json` prints): the configuration that produced
 * it, the figures of metrics.ts, the medium's counters, the routers' own counters summed over the nodes,
 * and wall-clock figures kept apart in `wallClock` (the only part that differs between identical runs).
 */
import type { Engine } from './engine.ts';
import type { Medium } from './medium.ts';
import type { Metrics } from './metrics.ts';
import type { Topology } from './topology.ts';
import type { TrafficOptions } from './scenario.ts';
import type { RouterInit } from '../../shared/router.ts';
import type { SimOptions } from './run.ts';

type Metric = ReturnType<Metrics['summary']>;

export interface SimResult {
  config: {
    nodes: number; topology: string; seed: number; durationS: number; policy: string; radio: string; loss: number;
    traffic: TrafficOptions; warmupS: number; drainS: number; hopM: number; layoutAttempts: number;
    areaM: [number, number]; events: number; killRelayAtS: number | null; capacities: RouterInit['capacities'];
  };
  unicast: Metric['unicast'];
  broadcast: Metric['broadcast'];
  probes: Metric['probes'];
  duplicates: number;
  frames: Metric['frames'] & { perNodePerS: number | null };
  control: { frames: number; bytes: number; framesPerNodePerS: number | null; bytesPerNodePerS: number | null };
  airtime: { globalShare: number | null; meanNodeShare: number | null; maxNodeShare: number | null };
  repair: Record<string, unknown> | null;
  memory: {
    neighbours: { capacity: number; meanFill: number | null; lastMeanCount: number | null; maxCount: number };
    routes: { capacity: number; meanFill: number | null; lastMeanCount: number | null; maxCount: number };
  };
  radio: Medium['counters'];
  routerStats: Record<string, unknown>;
  end: { aliveNodes: number; usableGraphConnected: boolean; events: number };
  wallClock: { ms: number; eventsPerSec: number; virtualPerWall: number };
}

const r4 = (x: number): number => Number(x.toFixed(4));

/** Sum counters across routers: numbers add, arrays add element-wise, objects recurse; other values are dropped. */
export function sumStats(list: unknown[]): Record<string, unknown> {
  const add = (acc: Record<string, unknown>, s: unknown): void => {
    if (!s || typeof s !== 'object') return;
    for (const k of Object.keys(s as object).sort()) {
      const v = (s as Record<string, unknown>)[k];
      if (typeof v === 'number') acc[k] = ((acc[k] as number) || 0) + v;
      else if (ArrayBuffer.isView(v) || Array.isArray(v)) {
        const a = (acc[k] as number[]) || [];
        const src = v as ArrayLike<number>;
        for (let i = 0; i < src.length; i++) a[i] = (a[i] || 0) + (typeof src[i] === 'number' ? src[i] : 0);
        acc[k] = a;
      } else if (v && typeof v === 'object') {
        const sub = (acc[k] as Record<string, unknown>) || {};
        add(sub, v);
        acc[k] = sub;
      }
    }
  };
  const acc: Record<string, unknown> = {};
  for (const s of list) add(acc, s);
  return acc;
}

export interface SummaryInput {
  options: SimOptions; policy: string; radio: string; loss: number; traffic: TrafficOptions;
  caps: RouterInit['capacities']; topo: Topology; warmupMs: number; drainMs: number; durationMs: number; n: number;
  metrics: Metrics; medium: Medium; alive: Uint8Array;
  fill: { nbMax: number; rtMax: number; nbSum: number; rtSum: number; samples: number; nbLast: number; rtLast: number };
  repair: Record<string, unknown> | null; stats: unknown[]; engine: Engine; wall0: number; connected: boolean;
}

export function summarise(x: SummaryInput): SimResult {
  const s = x.metrics.summary(x.durationMs);
  const durS = x.durationMs / 1000;
  let nodeBusy = 0, maxBusy = 0, alive = 0;
  for (let i = 0; i < x.n; i++) {
    const b = x.medium.busyMs(i) / x.durationMs;
    nodeBusy += b;
    if (b > maxBusy) maxBusy = b;
    if (x.alive[i]) alive++;
  }
  const nodeSeconds = x.n * durS;
  const wallMs = performance.now() - x.wall0;
  const o = x.options;
  return {
    config: {
      nodes: x.n, topology: o.topology, seed: o.seed, durationS: o.durationS, policy: x.policy, radio: x.radio, loss: x.loss,
      traffic: x.traffic, warmupS: x.warmupMs / 1000, drainS: x.drainMs / 1000, hopM: Number(x.topo.hopM.toFixed(1)),
      layoutAttempts: x.topo.attempts, areaM: [Math.round(x.topo.widthM), Math.round(x.topo.heightM)],
      events: (o.events || []).length, killRelayAtS: o.killRelayAtS ?? null, capacities: x.caps,
    },
    unicast: s.unicast,
    broadcast: s.broadcast,
    probes: s.probes,
    duplicates: s.duplicates,
    frames: { ...s.frames, perNodePerS: r4(s.frames.total / nodeSeconds) },
    control: {
      frames: s.control.frames, bytes: s.control.bytes,
      framesPerNodePerS: r4(s.control.frames / nodeSeconds), bytesPerNodePerS: r4(s.control.bytes / nodeSeconds),
    },
    airtime: {
      globalShare: r4(x.medium.globalBusyMs() / x.durationMs),
      meanNodeShare: r4(nodeBusy / x.n),
      maxNodeShare: r4(maxBusy),
    },
    repair: x.repair,
    memory: {
      neighbours: { capacity: x.caps.neighbours, meanFill: x.fill.samples ? r4(x.fill.nbSum / x.fill.samples / x.caps.neighbours) : null, lastMeanCount: x.fill.samples ? r4(x.fill.nbLast) : null, maxCount: x.fill.nbMax },
      routes: { capacity: x.caps.routes, meanFill: x.fill.samples ? r4(x.fill.rtSum / x.fill.samples / x.caps.routes) : null, lastMeanCount: x.fill.samples ? r4(x.fill.rtLast) : null, maxCount: x.fill.rtMax },
    },
    radio: { ...x.medium.counters },
    routerStats: sumStats(x.stats),
    end: { aliveNodes: alive, usableGraphConnected: x.connected, events: x.engine.processed },
    wallClock: { ms: Math.round(wallMs), eventsPerSec: Math.round(x.engine.processed / (wallMs / 1000)), virtualPerWall: Number((x.durationMs / wallMs).toFixed(1)) },
  };
}

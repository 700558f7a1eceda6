/**
 * Per-node history for the page's charts, kept by the dashboard server so a node selected late still
 * shows its recent past. One sample per node at most every SAMPLE_MS, a ring of SAMPLES per node in typed
 * arrays (1000 nodes ≈ 16 MB). Counter series are stored raw and turned into per-second rates on read.
 */
import type { NodeInfo } from './mesh-feed.ts';

const SAMPLE_MS = 2000;
const SAMPLES = 450;
/** free memory, neighbours, routes, mean link quality, tx, rx, relay (cumulative counters) */
const COLS = 7;

export interface NodeHistory {
  t: number[];
  mem: (number | null)[];
  neighbours: (number | null)[];
  routes: (number | null)[];
  quality: (number | null)[];
  txPerS: (number | null)[];
  rxPerS: (number | null)[];
  relayPerS: (number | null)[];
}

interface Ring { t: Float64Array; v: Float32Array; head: number; len: number }

export function createHistory() {
  const rings = new Map<string, Ring>();
  const num = (x: number | null | undefined): number => (x === null || x === undefined ? NaN : x);

  return {
    /** record a node update; `quality` is the mean link quality of its links now (NaN when none) */
    record(n: NodeInfo, quality: number, now: number): void {
      let r = rings.get(n.id);
      if (!r) { r = { t: new Float64Array(SAMPLES), v: new Float32Array(SAMPLES * COLS), head: 0, len: 0 }; rings.set(n.id, r); }
      if (r.len > 0 && now - r.t[(r.head + SAMPLES - 1) % SAMPLES] < SAMPLE_MS) return;
      const k = r.head;
      r.t[k] = now;
      const o = k * COLS;
      const c = n.counters || {};
      r.v[o] = n.up ? num(n.mem) : NaN;
      r.v[o + 1] = n.up ? n.neighbours : NaN;
      r.v[o + 2] = n.up ? num(n.routes) : NaN;
      r.v[o + 3] = n.up ? quality : NaN;
      r.v[o + 4] = num(c.tx);
      r.v[o + 5] = num(c.rx);
      r.v[o + 6] = num(c.relay);
      r.head = (k + 1) % SAMPLES;
      if (r.len < SAMPLES) r.len++;
    },

    get(id: string): NodeHistory {
      const h: NodeHistory = { t: [], mem: [], neighbours: [], routes: [], quality: [], txPerS: [], rxPerS: [], relayPerS: [] };
      const r = rings.get(id);
      if (!r) return h;
      const val = (x: number): number | null => (Number.isNaN(x) ? null : Math.round(x * 1000) / 1000);
      let prev = -1;
      for (let q = 0; q < r.len; q++) {
        const k = (r.head - r.len + q + SAMPLES) % SAMPLES;
        const o = k * COLS;
        h.t.push(r.t[k] / 1000);
        h.mem.push(val(r.v[o]));
        h.neighbours.push(val(r.v[o + 1]));
        h.routes.push(val(r.v[o + 2]));
        h.quality.push(val(r.v[o + 3]));
        // rates from consecutive counters; a counter that went down (reboot) gives no rate for that step
        for (const [col, key] of [[4, 'txPerS'], [5, 'rxPerS'], [6, 'relayPerS']] as const) {
          let rate: number | null = null;
          if (prev >= 0) {
            const d = r.v[o + col] - r.v[prev * COLS + col];
            const dt = (r.t[k] - r.t[prev]) / 1000;
            if (d >= 0 && dt > 0) rate = Math.round((d / dt) * 100) / 100;
          }
          h[key].push(rate);
        }
        prev = k;
      }
      return h;
    },
  };
}

/**
 * Human tables for simulation results: one column per run, so a single run and a policy comparison
 * print the same way (`meshwork sim`, bench/routing.ts).
 */
import type { SimResult } from './result.ts';

const pct = (x: number | null | undefined, d = 2): string => (x === null || x === undefined ? '-' : (x * 100).toFixed(d) + ' %');
const num = (x: number | null | undefined, d = 2): string => (x === null || x === undefined ? '-' : x.toFixed(d));

type Row = [string, (r: SimResult) => string];

export const ROWS: Row[] = [
  ['unicast delivered', (r) => `${pct(r.unicast.deliveryRatio)} (${r.unicast.delivered}/${r.unicast.sent})`],
  ['unicast latency p50 / p95', (r) => `${num(r.unicast.latencyMs.p50, 1)} / ${num(r.unicast.latencyMs.p95, 1)} ms`],
  ['relays per delivered unicast', (r) => `mean ${num(r.unicast.hops.mean)}, max ${r.unicast.hops.max ?? '-'}`],
  ['data frames per delivered unicast', (r) => num(r.unicast.framesPerDelivered)],
  ['end-to-end acks (ok/asked)', (r) => (r.unicast.endToEndAck.asked ? `${r.unicast.endToEndAck.acked}/${r.unicast.endToEndAck.asked}` : '-')],
  ['broadcast reach', (r) => `${pct(r.broadcast.reach)} (${r.broadcast.delivered}/${r.broadcast.pairs})`],
  ['broadcast data frames per message', (r) => num(r.broadcast.framesPerMessage, 1)],
  ['airtime share, node mean / max', (r) => `${pct(r.airtime.meanNodeShare)} / ${pct(r.airtime.maxNodeShare)}`],
  ['control frames per node per s', (r) => num(r.control.framesPerNodePerS, 3)],
  ['control bytes per node per s', (r) => num(r.control.bytesPerNodePerS, 1)],
  ['all frames per node per s', (r) => num(r.frames.perNodePerS, 3)],
  ['route repair after relay death', (r) => repairText(r)],
  ['neighbour table fill (mean, max)', (r) => `${pct(r.memory.neighbours.meanFill, 0)}, ${r.memory.neighbours.maxCount}/${r.memory.neighbours.capacity}`],
  ['route table fill (mean, max)', (r) => `${pct(r.memory.routes.meanFill, 0)}, ${r.memory.routes.maxCount}/${r.memory.routes.capacity}`],
  ['frames lost: collision / half-duplex / channel', (r) => `${r.radio.collisions} / ${r.radio.halfDuplex} / ${r.radio.channelLoss}`],
  ['wall clock', (r) => `${(r.wallClock.ms / 1000).toFixed(1)} s (${r.wallClock.virtualPerWall}× real time)`],
];

export function repairText(r: SimResult): string {
  const rep = r.repair as { repairMs?: number | null; beaconIntervals?: number | null; relay?: number | null; pair?: number[]; pairStillConnected?: boolean | null } | null;
  if (!rep) return '-';
  if (rep.relay === null || rep.relay === undefined) return 'no relay to kill';
  const who = `${rep.pair?.join('→')} minus ${rep.relay}${rep.pairStillConnected === false ? ' (cut vertex)' : ''}: `;
  if (rep.repairMs === null || rep.repairMs === undefined) return who + 'never repaired';
  const iv = rep.beaconIntervals !== null && rep.beaconIntervals !== undefined ? ` = ${rep.beaconIntervals.toFixed(2)} beacon intervals` : '';
  return `${who}${(rep.repairMs / 1000).toFixed(2)} s${iv}`;
}

/** A table with one column per result, headed by `heads`. */
export function table(results: SimResult[], heads: string[]): string {
  const rows = [['', ...heads], ...ROWS.map(([label, f]) => [label, ...results.map(f)])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows
    .map((row, k) => {
      const line = row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
      return k === 0 ? line + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') : line;
    })
    .join('\n');
}

export function headline(r: SimResult): string {
  const c = r.config;
  return `${c.nodes} nodes, ${c.topology} (${c.areaM[0]}×${c.areaM[1]} m, hop ${c.hopM} m), ${c.radio}, seed ${c.seed}, ` +
    `${c.durationS} s, loss ${(c.loss * 100).toFixed(0)} %, traffic ${c.traffic.unicastPerSec} unicast/s + ${c.traffic.broadcastPerSec} broadcast/s`;
}

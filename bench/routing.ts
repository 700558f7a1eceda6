/**
 * The routing figures of issue 3, each measured against the baselines in the same run (same radio, same
 * seeds, same traffic: host/sim/), with the ratios the targets are stated in.
 *
 *   1. unicast delivery over 6+ hops with 20 % random frame loss per link        target ≥ 99.5 %
 *   2. data frames per delivered unicast, 100-node random mesh, vs managed flood  target ≤ 0.2×
 *   3. broadcast reach, and transmissions vs pure flooding                        target ≥ 99 %, ≤ 0.5×
 *   4. route repair after a relay on the path dies, in beacon intervals          target ≤ 3
 *   5. control overhead per node per second at 50 → 200 → 1000 nodes
 *   6. 1000 nodes × 1 h of virtual time: wall-clock time on this machine
 *
 * Run: npx tsx bench/routing.ts [--quick] [--only 1,2,...] [--json FILE]   (make bench runs it in full)
 * --quick shortens every run (for a smoke test; the figures are then noisier and not the reported ones).
 * Seeds are fixed, so two runs print the same figures (wall-clock times aside). Runs 1–5 go through a
 * worker per core (host/sim/parallel.ts: results do not depend on it); run 6 runs alone afterwards so its
 * wall-clock figure is one core's, undisturbed.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { runSimulation } from '../host/sim/run.ts';
import { runParallel } from '../host/sim/parallel.ts';
import type { SimOptions } from '../host/sim/options.ts';
import type { SimResult } from '../host/sim/result.ts';
import type { Policy } from '../shared/router.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? new Set(args[onlyArg + 1].split(',').map(Number)) : null;
const jsonArg = args.indexOf('--json');
const jsonFile = jsonArg >= 0 ? args[jsonArg + 1] : null;
const POLICIES: Policy[] = ['meshwork', 'flood', 'managed-flood'];
const figures: Record<string, unknown> = {};
const t0 = performance.now();

const q = (full: number, short: number): number => (quick ? short : full);
const pct = (x: number | null | undefined, d = 2): string => (x === null || x === undefined ? '-' : (x * 100).toFixed(d) + ' %');
const f = (x: number | null | undefined, d = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const ratio = (a: number | null | undefined, b: number | null | undefined): string =>
  a === null || a === undefined || !b ? '-' : (a / b).toFixed(3) + '×';
const verdict = (ok: boolean): string => (ok ? 'MET' : 'NOT MET');

/** Sections first declare their runs (plan), then report on the results once every run is done. */
interface Section { plan: SimOptions[]; report(results: SimResult[]): void }
const sections: Section[] = [];
function section(n: number, plan: SimOptions[], report: (results: SimResult[]) => void): void {
  if (!only || only.has(n)) sections.push({ plan, report });
}

function print(title: string, head: string[], rows: string[][]): void {
  const all = [head, ...rows];
  const w = head.map((_, c) => Math.max(...all.map((r) => (r[c] || '').length)));
  console.log(`\n${title}`);
  console.log('  ' + head.map((h, c) => (c === 0 ? h.padEnd(w[c]) : h.padStart(w[c]))).join('  '));
  console.log('  ' + w.map((x) => '-'.repeat(x)).join('  '));
  for (const r of rows) console.log('  ' + r.map((v, c) => (c === 0 ? v.padEnd(w[c]) : v.padStart(w[c]))).join('  '));
}

/** Sum of delivered / sent over several runs of one policy. */
function pooled(rs: SimResult[]): { sent: number; delivered: number; ratio: number | null; frames: number } {
  const sent = rs.reduce((a, r) => a + r.unicast.sent, 0);
  const delivered = rs.reduce((a, r) => a + r.unicast.delivered, 0);
  const frames = rs.reduce((a, r) => a + r.unicast.dataFrames, 0);
  return { sent, delivered, ratio: sent ? delivered / sent : null, frames };
}

// 1 ---------------------------------------------------------------------------------------------------
{
  const seeds = quick ? [1] : [1, 2, 3];
  const nodes = 8;
  const plan = POLICIES.flatMap((policy) => seeds.map((seed): SimOptions => ({
    nodes, topology: 'line', seed, policy, durationS: q(900, 200), loss: 0.2,
    traffic: { unicastPerSec: 0.5, broadcastPerSec: 0, pairs: [[0, nodes - 1], [nodes - 1, 0]] },
  })));
  section(1, plan, (res) => {
    const by = (p: Policy): SimResult[] => res.filter((r) => r.config.policy === p);
    const rows = POLICIES.map((p) => {
      const x = pooled(by(p));
      const hops = by(p).map((r) => r.unicast.hops.mean).filter((h): h is number => h !== null);
      return [p, pct(x.ratio), `${x.delivered}/${x.sent}`, f(hops.length ? hops.reduce((a, b) => a + b, 0) / hops.length + 1 : null, 1),
        f(x.delivered ? x.frames / x.delivered : null), f(by(p).reduce((a, r) => a + (r.unicast.latencyMs.p95 || 0), 0) / by(p).length, 0)];
    });
    const mw = pooled(by('meshwork'));
    print(`1. Unicast over ${nodes - 1} hops (line of ${nodes}, end to end both ways, 0.5 msg/s), 20 % random frame loss on every link, ` +
      `seeds ${seeds.join(',')}: target ≥ 99.5 % → ${verdict((mw.ratio ?? 0) >= 0.995)}`,
    ['policy', 'delivered', 'n', 'links per path', 'data frames/delivered', 'p95 latency ms'], rows);
    figures.unicastLossy = Object.fromEntries(POLICIES.map((p) => [p, pooled(by(p))]));
  });
}

// 2 ---------------------------------------------------------------------------------------------------
{
  const base: Omit<SimOptions, 'policy'> = { nodes: 100, topology: 'random', seed: 7, durationS: q(900, 200), traffic: { unicastPerSec: 1, broadcastPerSec: 0 } };
  section(2, POLICIES.map((policy) => ({ ...base, policy })), (res) => {
    const rs = Object.fromEntries(res.map((r) => [r.config.policy, r])) as Record<Policy, SimResult>;
    const mf = rs['managed-flood'].unicast.framesPerDelivered;
    const all = (r: SimResult): number | null => (r.unicast.delivered ? r.frames.total / r.unicast.delivered : null);
    const rows = POLICIES.map((p) => [p, pct(rs[p].unicast.deliveryRatio), f(rs[p].unicast.framesPerDelivered), ratio(rs[p].unicast.framesPerDelivered, mf),
      f(all(rs[p])), ratio(all(rs[p]), all(rs['managed-flood']))]);
    const r0 = rs.meshwork.unicast.framesPerDelivered;
    print(`2. Frames per delivered unicast, 100-node random mesh, 1 unicast/s between random pairs: target ≤ 0.2× managed flooding → ` +
      verdict(r0 !== null && mf !== null && r0 / mf <= 0.2),
    ['policy', 'delivered', 'data frames/delivered', 'vs managed-flood', 'all frames/delivered (incl. control)', 'vs managed-flood'], rows);
    figures.framesPerUnicast = Object.fromEntries(POLICIES.map((p) => [p, { delivery: rs[p].unicast.deliveryRatio, dataFramesPerDelivered: rs[p].unicast.framesPerDelivered, allFramesPerDelivered: all(rs[p]) }]));
  });
}

// 3 ---------------------------------------------------------------------------------------------------
{
  const base: Omit<SimOptions, 'policy'> = { nodes: 100, topology: 'random', seed: 11, durationS: q(900, 200), traffic: { unicastPerSec: 0, broadcastPerSec: 0.5 } };
  section(3, POLICIES.map((policy) => ({ ...base, policy })), (res) => {
    const rs = Object.fromEntries(res.map((r) => [r.config.policy, r])) as Record<Policy, SimResult>;
    const fl = rs.flood.broadcast.framesPerMessage;
    const rows = POLICIES.map((p) => [p, pct(rs[p].broadcast.reach), pct(rs[p].broadcast.fullReachShare, 1), f(rs[p].broadcast.framesPerMessage, 1),
      ratio(rs[p].broadcast.framesPerMessage, fl), pct(rs[p].airtime.meanNodeShare)]);
    const m = rs.meshwork.broadcast;
    print(`3. Broadcast, 100-node random mesh, 0.5 broadcast/s: target reach ≥ 99 % with ≤ 0.5× pure flooding's transmissions → ` +
      verdict((m.reach ?? 0) >= 0.99 && m.framesPerMessage !== null && fl !== null && m.framesPerMessage / fl <= 0.5),
    ['policy', 'reach', 'messages reaching all', 'transmissions/message', 'vs flood', 'airtime (node mean)'], rows);
    figures.broadcast = Object.fromEntries(POLICIES.map((p) => [p, { reach: rs[p].broadcast.reach, framesPerMessage: rs[p].broadcast.framesPerMessage }]));
  });
}

// 4 ---------------------------------------------------------------------------------------------------
{
  const seeds = quick ? [1, 2] : [1, 2, 3, 4, 5, 6];
  const kill = q(400, 150);
  const plan = seeds.flatMap((seed) => POLICIES.map((policy): SimOptions => ({
    nodes: 100, topology: 'random', seed, policy, durationS: kill + 120, killRelayAtS: kill, traffic: { unicastPerSec: 0.2, broadcastPerSec: 0 },
  })));
  section(4, plan, (res) => {
    const rows: string[][] = [];
    const intervals: number[] = [];
    const fig: unknown[] = [];
    for (const r of res) {
      const policy = r.config.policy;
      const rep = (r.repair || {}) as { pair?: number[]; relay?: number; repairMs?: number | null; beaconIntervalMs?: number | null; beaconIntervals?: number | null; probesLostBeforeRepair?: number; pairStillConnected?: boolean };
      if (policy === 'meshwork') intervals.push(rep.repairMs === null || rep.repairMs === undefined ? Infinity : rep.beaconIntervals ?? Infinity);
      rows.push([String(r.config.seed), policy, `${rep.pair?.join('→')} relay ${rep.relay}${rep.pairStillConnected === false ? ' (cut vertex)' : ''}`,
        rep.repairMs === null || rep.repairMs === undefined ? 'never' : f(rep.repairMs / 1000, 2) + ' s', f(rep.beaconIntervalMs ? rep.beaconIntervalMs / 1000 : null, 1),
        f(rep.beaconIntervals ?? null), String(rep.probesLostBeforeRepair ?? '-')]);
      fig.push({ seed: r.config.seed, policy, ...rep });
    }
    const worst = intervals.length ? Math.max(...intervals) : Infinity;
    const sorted = intervals.slice().sort((a, b) => a - b);
    print(`4. Route repair after a relay on an active path dies at ${kill} s (100-node random mesh, probes every 1 s): target ≤ 3 beacon intervals → ` +
      `${verdict(worst <= 3)} (meshwork median ${f(sorted[sorted.length >> 1])}, worst ${f(worst)})`,
    ['seed', 'policy', 'pair, killed relay', 'repair', 'beacon interval s', 'in beacon intervals', 'probes lost'], rows);
    console.log('  (beacon interval: the median gap between beacons of the same node in the minute before the kill;');
    console.log('   the flooding policies have no beacons: their repair is immediate or never, shown for reference)');
    figures.repair = fig;
  });
}

// 5 ---------------------------------------------------------------------------------------------------
{
  const sizes = quick ? [50, 200] : [50, 200, 1000];
  const plan = sizes.map((n): SimOptions => ({ nodes: n, topology: 'random', seed: 3, policy: 'meshwork', durationS: q(900, 200), traffic: { unicastPerSec: 0.2, broadcastPerSec: 0.02 } }));
  section(5, plan, (res) => {
    const first = res[0];
    const rows = res.map((r) => {
      const bt = r.frames.byType;
      return [String(r.config.nodes), f(r.control.framesPerNodePerS, 3), f(r.control.bytesPerNodePerS, 1), ratio(r.control.bytesPerNodePerS, first.control.bytesPerNodePerS),
        `${bt.beacon?.frames ?? 0} / ${bt.route?.frames ?? 0} / ${bt.ack?.frames ?? 0}`, pct(r.airtime.meanNodeShare), `${r.memory.neighbours.maxCount}/${r.memory.neighbours.capacity}`,
        `${r.memory.routes.maxCount}/${r.memory.routes.capacity}`, pct(r.unicast.deliveryRatio, 1)];
    });
    print(`5. Control overhead (beacons, route adverts, acks) per node per second, meshwork, random mesh, ${plan[0].durationS} s, light traffic (0.2 unicast/s, 0.02 broadcast/s mesh-wide)`,
      ['nodes', 'frames/node/s', 'bytes/node/s', 'bytes vs 50 nodes', 'beacon / route / ack frames', 'airtime', 'neighbours max', 'routes max', 'unicast delivered'], rows);
    figures.controlOverhead = res.map((r) => ({ nodes: r.config.nodes, framesPerNodePerS: r.control.framesPerNodePerS, bytesPerNodePerS: r.control.bytesPerNodePerS, byType: r.frames.byType }));
  });
}

// run 1–5 on every core ------------------------------------------------------------------------------
const plans = sections.flatMap((sec) => sec.plan);
if (plans.length) {
  process.stderr.write(`bench/routing.ts: ${plans.length} simulations on ${Math.min(availableParallelism(), plans.length)} cores\n`);
  const results = await runParallel(plans, {
    onDone: (i, r) => process.stderr.write(`  · ${r.config.policy} ${r.config.nodes} ${r.config.topology} seed ${r.config.seed}: ${(r.wallClock.ms / 1000).toFixed(1)} s wall\n`),
  });
  let k = 0;
  for (const sec of sections) { sec.report(results.slice(k, k + sec.plan.length)); k += sec.plan.length; }
}

// 6 ---------------------------------------------------------------------------------------------------
if (!only || only.has(6)) {
  const durationS = q(3600, 300);
  const r = runSimulation({ nodes: 1000, topology: 'random', seed: 1, policy: 'meshwork', durationS });
  print(`6. Scale: 1000 nodes, random mesh, ${durationS} s of virtual time (1 unicast/s + 0.1 broadcast/s mesh-wide), meshwork, alone on one core`,
    ['wall clock', 'events', 'events/s', 'virtual/wall', 'frames on air', 'unicast delivered', 'broadcast reach'],
    [[`${(r.wallClock.ms / 1000).toFixed(1)} s`, String(r.end.events), String(r.wallClock.eventsPerSec), `${r.wallClock.virtualPerWall}×`, String(r.frames.total),
      pct(r.unicast.deliveryRatio), pct(r.broadcast.reach)]]);
  figures.scale = { nodes: 1000, durationS, wallMs: r.wallClock.ms, events: r.end.events, frames: r.frames.total };
}

console.log(`\nbench/routing.ts: ${((performance.now() - t0) / 1000).toFixed(0)} s in all${quick ? ' (--quick: shortened runs)' : ''}`);
if (jsonFile) writeFileSync(jsonFile, JSON.stringify(figures, null, 2) + '\n');

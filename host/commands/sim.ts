/**
 * `meshwork sim`: run the real routing core on a simulated mesh (host/sim/) and print what it measured.
 * A table by default, one JSON object with --json, --compare for all three policies side by side on the
 * same seed. A progress bar goes to stderr when it is a terminal (or with --progress).
 * Exit codes: 0 done, 1 the simulation failed (a router threw, no connected layout), 2 bad usage.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { POLICIES, RADIOS, SimUsageError, type SimOptions, type SimProgress } from '../sim/options.ts';
import { TOPOLOGIES, type TopologyKind } from '../sim/topology.ts';
import { headline, table } from '../sim/report.ts';
import type { SimResult } from '../sim/result.ts';
import type { SimEvent } from '../sim/scenario.ts';
import type { Policy } from '../../shared/router.ts';

function fail(msg: string, code = 2): never {
  process.stderr.write(`meshwork sim: ${msg}\n`);
  process.exit(code);
}

function numberOpt(v: string | undefined, name: string, lo: number, hi: number, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || (integer && !Number.isInteger(x)) || x < lo || x > hi) {
    fail(`${name} must be ${integer ? 'an integer' : 'a number'} in ${lo}..${hi} (got "${v}")`);
  }
  return x;
}

function progressBar(label: string): { update(p: SimProgress): void; done(): void } {
  const t0 = Date.now();
  let last = -1;
  return {
    update(p) {
      const pc = Math.floor(p.fraction * 100);
      if (pc === last) return;
      last = pc;
      const w = 30, full = Math.round(p.fraction * w);
      const el = (Date.now() - t0) / 1000;
      const eta = p.fraction > 0.01 ? ` eta ${Math.max(0, el / p.fraction - el).toFixed(0)} s` : '';
      process.stderr.write(`\r${label} [${'#'.repeat(full)}${' '.repeat(w - full)}] ${String(pc).padStart(3)}% ${p.nowS.toFixed(0)} s virtual, ${el.toFixed(0)} s wall${eta}   `);
    },
    done() { process.stderr.write('\r' + ' '.repeat(100) + '\r'); },
  };
}

interface Raw {
  espruino?: string;
  web?: boolean; port?: string; speed?: string;
  nodes: string; topology: string; seed: string; duration: string; policy: string; radio: string; loss?: string;
  killRelay?: string; json?: boolean; compare?: boolean; progress?: boolean; unicastRate?: string; broadcastRate?: string;
  ack?: string; payload?: string; gateways?: string; repeaters?: string; repeaterBin?: string; events?: string; warmup?: string; drain?: string;
}

function options(o: Raw): SimOptions {
  if (!TOPOLOGIES.includes(o.topology as TopologyKind)) fail(`--topology must be one of ${TOPOLOGIES.join(', ')} (got "${o.topology}")`);
  if (!POLICIES.includes(o.policy as Policy)) fail(`--policy must be one of ${POLICIES.join(', ')} (got "${o.policy}")`);
  if (!RADIOS.includes(o.radio as 'espnow')) fail(`--radio must be one of ${RADIOS.join(', ')} (got "${o.radio}")`);
  const nodes = numberOpt(o.nodes, '--nodes', 2, 5000, true)!;
  const durationS = numberOpt(o.duration, '--duration', 1, 7 * 86400)!;
  let events: SimEvent[] | undefined;
  if (o.events) {
    try { events = JSON.parse(readFileSync(o.events, 'utf8')) as SimEvent[]; } catch (e) { fail(`--events ${o.events}: ${(e as Error).message}`); }
    if (!Array.isArray(events)) fail('--events must hold a JSON array of events');
  }
  const gateways = o.gateways ? o.gateways.split(',').map((g) => numberOpt(g, '--gateways', 0, nodes - 1, true)!) : undefined;
  const repeaters = o.repeaters ? o.repeaters.split(',').map((g) => numberOpt(g, '--repeaters', 0, nodes - 1, true)!) : undefined;
  const kill = numberOpt(o.killRelay, '--kill-relay', 0, durationS);
  if (kill !== undefined && !(kill > 0 && kill < durationS)) fail('--kill-relay must be a time inside the run (0 < T < duration)');
  return {
    nodes, durationS, events, gateways, repeaters,
    topology: o.topology as TopologyKind,
    seed: numberOpt(o.seed, '--seed', 0, 0xffffffff, true)!,
    policy: o.policy as Policy,
    radio: o.radio as 'espnow' | 'wifi',
    loss: numberOpt(o.loss, '--loss', 0, 0.99),
    killRelayAtS: kill,
    warmupS: numberOpt(o.warmup, '--warmup', 0, durationS),
    drainS: numberOpt(o.drain, '--drain', 0, durationS),
    traffic: {
      ...(o.unicastRate !== undefined ? { unicastPerSec: numberOpt(o.unicastRate, '--unicast-rate', 0, 1000) } : {}),
      ...(o.broadcastRate !== undefined ? { broadcastPerSec: numberOpt(o.broadcastRate, '--broadcast-rate', 0, 1000) } : {}),
      ...(o.ack !== undefined ? { ackFraction: numberOpt(o.ack, '--ack', 0, 1) } : {}),
      ...(o.payload !== undefined ? { payloadBytes: numberOpt(o.payload, '--payload', 8, 4000, true) } : {}),
    },
  };
}

/** `--web`: the simulation runs live in a worker and the dashboard (host/web/) shows it until Ctrl-C. */
async function web(raw: Raw, base: SimOptions, defaultDuration: boolean): Promise<void> {
  if (raw.compare || raw.json || raw.killRelay !== undefined) fail('--web cannot be combined with --compare, --json or --kill-relay');
  const port = numberOpt(raw.port, '--port', 0, 65535, true)!;
  const speed = numberOpt(raw.speed, '--speed', 0.01, 1000) ?? 1;
  const { createSimFeed } = await import('../web/sim-feed.ts');
  const { startDashboard } = await import('../web/server.ts');
  let feed;
  try {
    feed = await createSimFeed({
      nodes: base.nodes, topology: base.topology, seed: base.seed, speed, policy: base.policy, radio: base.radio, loss: base.loss,
      gateways: base.gateways, repeaters: base.repeaters, events: base.events, traffic: base.traffic,
      // live runs last a day of virtual time unless told otherwise
      durationS: defaultDuration ? 86400 : base.durationS, warmupS: base.warmupS,
    });
  } catch (e) {
    fail((e as Error).message.replace(/^meshwork\/sim: /, ''), e instanceof SimUsageError ? 2 : 1);
  }
  let dash;
  try { dash = await startDashboard({ feed, port }); } catch (e) {
    await feed.close();
    fail(`cannot serve the dashboard on port ${port}: ${(e as Error).message}`, 1);
  }
  process.stdout.write(`${feed.info.name}\ndashboard: ${dash.url}\n` +
    'try: click a node (details, charts), click a link (quality both ways), send a text / ping / traceroute from the form.\n' +
    'Ctrl-C stops.\n');
  feed.ended.then((why) => { if (why === 'end') process.stdout.write('the simulation reached the end of its duration; the dashboard stays up until Ctrl-C\n'); },
    (e: Error) => process.stderr.write(`meshwork sim: the simulation failed: ${e.message}\n`));
  await new Promise<void>((resolve) => {
    const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await dash.close();
  await feed.close();
}

/**
 * `--espruino BIN`: the real firmware on N real interpreter processes (Espruino's Linux build) meshed through
 * the host air (host/sim/espruino-mesh.ts); a text message goes from the first node to the last.
 */
async function espruino(raw: Raw, base: SimOptions): Promise<void> {
  if (raw.web || raw.compare || raw.killRelay !== undefined) fail('--espruino cannot be combined with --web, --compare or --kill-relay');
  if (base.nodes > 30) fail('--espruino runs one interpreter process per node: at most 30');
  const { existsSync } = await import('node:fs');
  if (!existsSync(raw.espruino!)) fail(`--espruino ${raw.espruino}: no such file (an Espruino Linux build: see README "Real interpreters")`);
  const { runEspruinoMesh, linuxBundle } = await import('../sim/espruino-mesh.ts');
  const { fileURLToPath } = await import('node:url');
  let bundle: string;
  try { bundle = await linuxBundle(fileURLToPath(new URL('../../', import.meta.url))); } catch (e) { fail((e as Error).message, 1); }
  if (raw.repeaterBin !== undefined && !existsSync(raw.repeaterBin)) fail(`--repeater-bin ${raw.repeaterBin}: no such file`);
  const say = raw.json ? undefined : (l: string) => process.stderr.write(l + '\n');
  const r = await runEspruinoMesh({
    bin: raw.espruino!, bundle, nodes: base.nodes, topology: base.topology, seed: base.seed, loss: base.loss,
    timeoutMs: Math.max(60, base.durationS) * 1000, progress: say,
    repeaters: base.repeaters, repeaterBin: raw.repeaterBin,
  });
  if (raw.json) process.stdout.write(JSON.stringify(r) + '\n');
  else if (r.ok) {
    process.stdout.write(`${r.nodes} interpreters (${base.topology}): ` +
      (r.routeFormedMs !== null ? `route after ${(r.routeFormedMs / 1000).toFixed(1)} s; ` : `repeaters at ${(base.repeaters || []).join(', ')}, no route expected; `) +
      `text delivered first to last in ${r.latencyMs} ms over ${r.hops} relays; ${r.airFrames} frames on the air\n` +
      r.counters.map((c) => `  node ${c.id.toString(16)}: tx ${c.tx}, rx ${c.rx}, relayed ${c.relay}, free JsVars ${c.mem}`).join('\n') + '\n');
  } else process.stderr.write(`meshwork sim --espruino: ${r.reason}\n`);
  process.exit(r.ok ? 0 : 1);
}

export function register(program: Command): void {
  program.command('sim')
    .description('simulate a mesh running the real routing core and report delivery, airtime, overhead, repair')
    .option('-n, --nodes <n>', 'number of nodes (2..5000)', '50')
    .option('-t, --topology <kind>', `layout: ${TOPOLOGIES.join(' | ')}`, 'random')
    .option('-s, --seed <n>', 'seed: the same seed gives the same figures, to the byte', '1')
    .option('-d, --duration <seconds>', 'virtual time to simulate, s', '300')
    .option('-p, --policy <policy>', `routing policy: ${POLICIES.join(' | ')}`, 'meshwork')
    .option('-r, --radio <model>', `radio model: ${RADIOS.join(' | ')}`, 'espnow')
    .option('--loss <p>', 'extra random frame loss on every link, 0..0.99', '0')
    .option('--kill-relay <seconds>', 'kill a relay on an active unicast path at this time and measure the repair')
    .option('--unicast-rate <per-s>', 'unicast messages per second, mesh-wide (default 1)')
    .option('--broadcast-rate <per-s>', 'broadcast messages per second, mesh-wide (default 0.1)')
    .option('--ack <share>', 'share of unicasts that ask for an end-to-end ack, 0..1 (default 0)')
    .option('--payload <bytes>', 'application payload size, bytes (default 40; > 218 is fragmented)')
    .option('--gateways <list>', 'node indices with the gateway role, comma-separated')
    .option('--repeaters <list>', 'node indices that run the repeater (the ESP32-C3 program: relays floods only), comma-separated')
    .option('--repeater-bin <bin>', 'with --espruino: the interpreter for the repeaters (e.g. a build with the C3 layout, 4095 JsVars)')
    .option('--events <file>', 'JSON array of events: {at, kind: death|join|fade|move, …} (host/sim/scenario.ts)')
    .option('--warmup <seconds>', 'no traffic before this (neighbour discovery)')
    .option('--drain <seconds>', 'no new traffic during the last seconds of the run')
    .option('--compare', 'run all three policies on the same seed and print them side by side')
    .option('--json', 'print one JSON object (a run, or {runs: [...]} with --compare)')
    .option('--progress', 'show the progress bar even when stderr is not a terminal')
    .option('--web', 'run live, paced to the wall clock, and serve the dashboard on localhost (Ctrl-C stops)')
    .option('--port <n>', 'with --web: dashboard port (0 = any free port)', '8080')
    .option('--speed <x>', 'with --web: virtual seconds per wall second (default 1)')
    .option('--espruino <bin>', 'run the real firmware on this many Espruino Linux interpreter processes meshed through the host air; --duration is the time limit')
    .action(async (raw: Raw, cmd: Command) => {
      const base = options(raw);
      if (raw.espruino !== undefined) { await espruino(raw, base); return; }
      if (raw.web) { await web(raw, base, cmd.getOptionValueSource('duration') === 'default'); return; }
      if (raw.speed !== undefined) fail('--speed needs --web');
      // loaded only when a simulation runs: the other commands never pay for the routing core
      const { runSimulation } = await import('../sim/run.ts');
      const policies: Policy[] = raw.compare ? POLICIES.slice() : [base.policy!];
      const showBar = raw.progress || process.stderr.isTTY;
      const results: SimResult[] = [];
      for (const policy of policies) {
        const bar = showBar ? progressBar(policy) : null;
        try {
          results.push(runSimulation({ ...base, policy, progress: bar ? (p) => bar.update(p) : undefined }));
        } catch (e) {
          bar?.done();
          fail((e as Error).message.replace(/^meshwork\/sim: /, ''), e instanceof SimUsageError ? 2 : 1);
        }
        bar?.done();
      }
      if (raw.json) {
        process.stdout.write(JSON.stringify(raw.compare ? { runs: results } : results[0]) + '\n');
        return;
      }
      process.stdout.write(headline(results[0]) + '\n\n' + table(results, policies) + '\n');
    });
}

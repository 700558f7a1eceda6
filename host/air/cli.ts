/**
 * `npx tsx host/air/cli.ts [options]`: run the air process on its own, for interpreters started by hand
 * (each running the udp-loopback radio with airPort = --port). Prints one line when listening, a counter
 * line every --stats seconds, and the final counters on SIGINT/SIGTERM.
 *
 *   --port 47000  --nodes 5  --topology line|grid|random|clusters  --seed 1  --loss 0  --ids 1,2,3,…
 *   --no-fading   --stats 10
 *
 * `runAirCli(argv)` is exported so `meshwork sim --espruino` (host/commands/sim.ts) can reuse the parsing.
 */
import { createAir, DEFAULT_AIR_PORT, type Air, type AirOptions } from './air.ts';
import { TOPOLOGIES, type TopologyKind } from '../sim/topology.ts';

export class AirUsageError extends Error {}

export function parseAirArgs(argv: readonly string[]): AirOptions & { statsS: number } {
  const o: AirOptions & { statsS: number } = { port: DEFAULT_AIR_PORT, nodes: 5, topology: 'line', seed: 1, loss: 0, statsS: 10 };
  const num = (v: string | undefined, name: string, lo: number, hi: number): number => {
    const x = Number(v);
    if (v === undefined || v.trim() === '' || !Number.isFinite(x) || x < lo || x > hi) throw new AirUsageError(`${name} must be a number in ${lo}..${hi} (got "${v}")`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    switch (a) {
      case '--port': o.port = num(v, a, 0, 65535); i++; break;
      case '--nodes': o.nodes = num(v, a, 2, 1000); i++; break;
      case '--seed': o.seed = num(v, a, 0, 0xffffffff); i++; break;
      case '--loss': o.loss = num(v, a, 0, 1); i++; break;
      case '--stats': o.statsS = num(v, a, 0, 86400); i++; break;
      case '--topology':
        if (!TOPOLOGIES.includes(v as TopologyKind)) throw new AirUsageError(`--topology must be one of ${TOPOLOGIES.join(', ')}`);
        o.topology = v as TopologyKind; i++; break;
      case '--ids': {
        const ids = (v ?? '').split(',').map((s) => Number(s.trim()));
        if (!ids.length || ids.some((x) => !Number.isInteger(x) || x < 1 || x > 0xfffffffd)) throw new AirUsageError('--ids must be node ids 1..0xfffffffd, comma separated');
        o.ids = ids; i++; break;
      }
      case '--no-fading': o.fastFading = false; break;
      default: throw new AirUsageError(`unknown option ${a}`);
    }
  }
  return o;
}

export async function runAirCli(argv: readonly string[], out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<Air> {
  const o = parseAirArgs(argv);
  const air = await createAir(o);
  out(`air listening on 127.0.0.1:${air.port}: ${o.nodes} nodes, ${o.topology}, seed ${o.seed}, loss ${o.loss}`);
  const line = () => JSON.stringify({ nodes: air.nodes().length, ...air.counters });
  if (o.statsS > 0) setInterval(() => out(line()), o.statsS * 1000).unref();
  const end = () => { out(line()); void air.close().then(() => process.exit(0)); };
  process.once('SIGINT', end);
  process.once('SIGTERM', end);
  return air;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runAirCli(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`meshwork air: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof AirUsageError ? 2 : 1);
  });
}

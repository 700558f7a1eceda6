/**
 * `meshwork demo` (what `make run` runs): the whole chain on one machine, on embedded defaults.
 *   1. a simulated community mesh: --nodes routers running the real core (host/sim, live: host/web/sim-feed.ts),
 *      node 0 the gateway, every node sending its telemetry to the gateway as the firmware does;
 *   2. the bridge (host/bridge/) on that gateway (host/web/sim-gateway.ts), with its embedded MQTT broker,
 *      the network key from dist/demo.key (made when absent);
 *   3. the dashboard fed from the BROKER (host/web/mqtt-feed.ts): the page shows what the bridge publishes,
 *      as it would for a community's real gateways; its commands go out as signed downlink commands.
 * Demo-only topic: <root>/sim/delivered, the simulator's record of each text that the gateway sent arriving at
 * its node (JSON {at, src, text, hops, t}); nodes do not report deliveries over the air, so this is the proof.
 * Ctrl-C (SIGINT/SIGTERM) stops everything and exits 0. Exit 1: something could not start; 2: bad usage.
 */
import type { Command } from 'commander';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { newKeyFile, readKeyFile, writeKeyFile, type KeyFile } from '../keyfile.ts';

const DEFAULT_KEY = 'dist/demo.key';

function fail(msg: string, code = 2): never {
  process.stderr.write(`meshwork demo: ${msg}\n`);
  process.exit(code);
}

function int(v: unknown, what: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) fail(`${what} must be an integer ${min}..${max}`);
  return n;
}

function demoKey(path: string): KeyFile {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeKeyFile(path, newKeyFile('demo', 1));
    process.stdout.write(`made a network key for the demo mesh: ${path} (mode 0600)\n`);
  }
  const r = readKeyFile(path);
  if (!r.ok) fail(`${path}: ${r.reason}`, 1);
  if (!r.value.epochs.some((e) => e.epoch === 1)) fail(`${path} has no epoch 1 key (the simulator seals with epoch 1): remove it to get a fresh one`, 1);
  return r.value;
}

/** opens the page in the desktop's browser, when there is one; silent otherwise */
function openBrowser(url: string): void {
  const cmd = process.env.BROWSER || (process.platform === 'darwin' ? 'open' : 'xdg-open');
  try {
    const p = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    p.on('error', () => {});
    p.unref();
  } catch { /* no browser: the URL is printed */ }
}

export function register(program: Command): void {
  program.command('demo')
    .description('simulated community mesh → bridge → embedded MQTT broker → dashboard, on this machine (what `make run` starts)')
    .option('--nodes <n>', 'simulated nodes (node 0 is the gateway)', '30')
    .option('--port <n>', 'dashboard port (0 = any free port; a busy default port falls back to a free one)', '8080')
    .option('--mqtt-port <n>', 'embedded MQTT broker port (0 = any free port; a busy default falls back to a free one)', '1883')
    .option('--seed <n>', 'simulation seed (topology, traffic)', '1')
    .option('--speed <x>', 'virtual seconds per wall second', '1')
    .option('--telemetry <s>', 'each node sends its telemetry to the gateway every S virtual seconds', '15')
    .option('--kill-after <s>', 'switch one node off after S seconds, to watch it go red')
    .option('--key <file>', 'network key file of the demo mesh (made when absent)', DEFAULT_KEY)
    .option('--no-open', 'do not open a browser')
    .action(async (o: Record<string, string | boolean | undefined>, cmd: Command) => {
      const nodes = int(o.nodes, '--nodes', 2, 1000);
      const seed = int(o.seed, '--seed', 0, 0xffffffff);
      const speed = Number(o.speed);
      if (!(speed >= 0.1 && speed <= 100)) fail('--speed must be 0.1..100');
      const telemetryS = Number(o.telemetry);
      if (!(telemetryS >= 1 && telemetryS <= 3600)) fail('--telemetry must be 1..3600 seconds');
      const killAfter = o.killAfter === undefined ? null : Number(o.killAfter);
      if (killAfter !== null && !(killAfter >= 0 && killAfter <= 86400)) fail('--kill-after must be 0..86400 seconds');
      let port = int(o.port, '--port', 0, 65535);
      let mqttPort = int(o.mqttPort, '--mqtt-port', 0, 65535);
      const portDefault = cmd.getOptionValueSource('port') === 'default';
      const mqttDefault = cmd.getOptionValueSource('mqttPort') === 'default';
      const kf = demoKey(String(o.key));
      const mesh = kf.mesh;

      const { createSimFeed } = await import('../web/sim-feed.ts');
      const { simGatewayLink } = await import('../web/sim-gateway.ts');
      const { createMqttFeed } = await import('../web/mqtt-feed.ts');
      const { startDashboard } = await import('../web/server.ts');
      const { startBridge } = await import('../bridge/bridge.ts');
      const { deriveDownlinkKey } = await import('../bridge/command-sign.ts');
      const { createTopics } = await import('../bridge/topics.ts');
      const mqtt = (await import('mqtt')).default;
      const T = createTopics(mesh);
      const cleanups: (() => Promise<void> | void)[] = [];
      const stopAll = async (): Promise<void> => { for (const c of cleanups.splice(0).reverse()) { try { await c(); } catch { /* keep stopping */ } } };
      const die = async (msg: string): Promise<never> => { await stopAll(); fail(msg, 1); };
      const busy = (e: unknown): boolean => (e as NodeJS.ErrnoException).code === 'EADDRINUSE';

      // 1. the mesh
      const epoch1 = kf.epochs.find((e) => e.epoch === 1)!.key;
      let sim;
      try {
        sim = await createSimFeed({
          nodes, seed, speed, topology: 'random', meshKey: epoch1, telemetryS,
          traffic: { unicastPerSec: Math.max(0.05, nodes / 120), broadcastPerSec: 0.02, payloadBytes: 24 },
        });
      } catch (e) { return die(`the simulation did not start: ${(e as Error).message}`); }
      const simFeed = sim;
      cleanups.push(() => simFeed.close());
      const gwId = simFeed.info.self!;

      // 2. the bridge and its embedded broker
      const queueDir = mkdtempSync(join(tmpdir(), 'meshwork-demo-queue-'));
      cleanups.push(() => rmSync(queueDir, { recursive: true, force: true }));
      const bridgeCfg = (p: number) => ({
        keyFile: kf, mesh, bridgeId: 'demo-bridge', queueDir, embedded: { host: '127.0.0.1', port: p },
        gateway: async () => simGatewayLink(simFeed),
        // the simulated gateway relays commands with its router's own hop limit; the demo allows multi-hop
        // downlink (a real bridge: zero-hop unless --max-hops) and a livelier rate for people clicking around
        downlink: { key: deriveDownlinkKey(kf), maxHops: 8, bridgeRatePerSec: 5, bridgeBurst: 20, dstRatePerSec: 2, dstBurst: 5 },
        statusEveryMs: 5000,
        log: (e: Record<string, unknown>) => { if (e.level === 'warn' && e.event !== 'mqtt-disconnected') process.stderr.write(`bridge: ${e.event}${e.reason ? ': ' + e.reason : ''}\n`); },
      });
      let bridge;
      try { bridge = await startBridge(bridgeCfg(mqttPort)); } catch (e) {
        if (!(busy(e) && mqttDefault)) return die(`the bridge did not start (MQTT port ${mqttPort}): ${(e as Error).message}`);
        process.stdout.write(`port ${mqttPort} is taken (another MQTT broker?): the embedded broker takes a free port instead\n`);
        mqttPort = 0;
        try { bridge = await startBridge(bridgeCfg(0)); } catch (e2) { return die(`the bridge did not start: ${(e2 as Error).message}`); }
      }
      const br = bridge;
      cleanups.push(() => br.stop());

      // the simulator's oracle, on the demo topic: texts from the gateway arriving at their node
      const oracle = mqtt.connect(br.url, { clientId: 'meshwork-demo-oracle', reconnectPeriod: 500 });
      oracle.on('error', () => {});
      cleanups.push(() => oracle.endAsync(true).catch(() => {}));
      const names = new Map(simFeed.snapshot().nodes.map((n) => [n.id, n.name]));
      simFeed.subscribe((e) => {
        if (e.type !== 'packet' || e.packet.kind !== 'text' || e.packet.src !== gwId || !e.packet.at || e.packet.at !== e.packet.dst) return;
        const d = { at: e.packet.at, src: e.packet.src, text: e.packet.text ?? '', hops: e.packet.hops, t: e.packet.t };
        oracle.publish(`${T.root}/sim/delivered`, JSON.stringify(d), { qos: 1 });
        process.stdout.write(`delivered: "${d.text}" arrived at ${names.get(d.at) ?? d.at} (${d.hops} relays)\n`);
      });

      // 3. the dashboard, fed from the broker
      let feed;
      try {
        feed = await createMqttFeed({
          url: br.url, mesh, keyFile: kf, hops: 8, staleMs: Math.round((telemetryS * 2.5 * 1000) / speed) + 5000,
          names: Object.fromEntries(names),
        });
      } catch (e) { return die((e as Error).message); }
      const mf = feed;
      cleanups.push(() => mf.close());
      let dash;
      try { dash = await startDashboard({ feed: mf, port }); } catch (e) {
        if (!(busy(e) && portDefault)) return die(`cannot serve the dashboard on port ${port}: ${(e as Error).message}`);
        process.stdout.write(`port ${port} is taken: the dashboard takes a free port instead\n`);
        port = 0;
        try { dash = await startDashboard({ feed: mf, port: 0 }); } catch (e2) { return die(`cannot serve the dashboard: ${(e2 as Error).message}`); }
      }
      const db = dash;
      cleanups.push(() => db.close());

      const far = simFeed.snapshot().nodes.filter((n) => n.id !== gwId).sort((a, b) =>
        Math.hypot(b.pos!.x, b.pos!.y) - Math.hypot(a.pos!.x, a.pos!.y))[0];
      process.stdout.write([
        '',
        `Meshwork demo: ${nodes} simulated nodes running the real routing core, gateway ${names.get(gwId)} (${gwId}), mesh "${mesh}"`,
        `dashboard:   ${db.url}`,
        `MQTT broker: ${br.url}   (embedded; the bridge "demo-bridge" publishes there)`,
        `topics:      ${T.root}/node/<id>/<kind>   text, telemetry, ping, pong, trace-query, trace-report, data (JSON)`,
        `             ${T.root}/bridge/demo-bridge/status   ${T.root}/sim/delivered (demo only: texts that arrived)`,
        '',
        'Try:',
        `  - in the page, send a text to ${far ? far.name : 'a node'}: it goes out as a signed command on ${T.root}/cmd/<id>, the bridge`,
        '    hands it to the gateway, and the node receiving it is printed here ("delivered: …");',
        '  - ping or traceroute a node from the page; click a node (charts) or a link (quality, RSSI);',
        `  - watch the topics:  mosquitto_sub -h 127.0.0.1 -p ${new URL(br.url).port} -t '${T.root}/#' -v`,
        `  - watch a node die:  meshwork demo --kill-after 30   (it turns red once its telemetry stops, ~${Math.round(telemetryS * 2.5 / speed)} s)`,
        `  - the signed command the page sends, by hand:  meshwork bridge --network ${String(o.key)} --sign <id> --cmd '{"msg":{"t":"tx","m":"hi"},"h":8}'`,
        'Ctrl-C stops.',
        '',
      ].join('\n'));
      if (o.open !== false) openBrowser(db.url);

      if (killAfter !== null) {
        // a node in the middle of the list, not the gateway; named now so whoever watches knows which to look at
        const others = simFeed.snapshot().nodes.filter((n) => n.id !== gwId);
        const victim = others[Math.floor(others.length / 2)];
        process.stdout.write(`will switch ${victim.name} (${victim.id}) off after ${killAfter} s\n`);
        const t = setTimeout(() => {
          simFeed.kill(victim.id);
          process.stdout.write(`killed ${victim.name} (${victim.id}): it goes red on the page when its telemetry stops arriving\n`);
        }, killAfter * 1000);
        t.unref();
      }
      simFeed.ended.then(() => {}, (e: Error) => process.stderr.write(`meshwork demo: the simulation failed: ${e.message}\n`));

      await new Promise<void>((resolve) => {
        const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      process.stdout.write('stopping…\n');
      await stopAll();
      process.stdout.write('stopped\n');
      process.exit(0);
    });
}

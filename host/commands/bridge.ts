/**
 * `meshwork bridge --port PATH [--mqtt URL] [--network FILE] …`: a serial-attached gateway node ↔ an MQTT
 * broker (host/bridge/, topics in host/bridge/TOPICS.md). Without --mqtt it starts an embedded broker on
 * localhost and prints its URL. Options may also come from a JSON file (--config FILE; keys are the long
 * option names in camelCase; the command line wins). `--sign DST --cmd JSON` prints a signed downlink
 * command (topic and payload) for mosquitto_pub or any MQTT tool, and exits.
 * Exit codes: 0 stopped cleanly (SIGINT/SIGTERM) or printed; 1 the bridge failed; 2 bad usage.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { readKeyFile, type KeyFile } from '../keyfile.ts';
import { startBridge, type LinkConfig } from '../bridge/bridge.ts';
import { deriveDownlinkKey, readDownlinkKey, signCommand } from '../bridge/command-sign.ts';
import { nodeLinkGateway, type GatewayLink } from '../bridge/gateway-link.ts';
import { createTopics, parseNodeId, validMeshName } from '../bridge/topics.ts';

type Opts = Record<string, string | boolean | string[] | undefined>;

function fail(msg: string, code = 2): never {
  process.stderr.write(`meshwork bridge: ${msg}\n`);
  process.exit(code);
}

function num(v: unknown, what: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) fail(`${what} must be a number ${min}..${max}`);
  return n;
}

function keyFileAt(path: string, what: string): KeyFile {
  const r = readKeyFile(path);
  if (!r.ok) fail(`${what}: ${r.reason}`);
  if (r.warning) process.stderr.write(`warning: ${r.warning}\n`);
  return r.value;
}

function collectList(v: string, prev: string[] = []): string[] {
  return prev.concat(v.split(',').map((s) => s.trim()).filter(Boolean));
}

/** The serial gateway: host/serial opens the port, host/link speaks the link, the adapter makes it a GatewayLink. */
function serialGateway(path: string, baud: number): () => Promise<GatewayLink> {
  return async () => {
    const { openPort, closePort } = await import('../serial/port.ts');
    const { NodeLink } = await import('../link/node-link.ts');
    const port = await openPort(path, baud);
    const g = nodeLinkGateway(new NodeLink(port) as never);
    g.on('close', () => { void closePort(port).catch(() => {}); });
    return g;
  };
}

/** `--web`: the dashboard fed from the bridge's broker (host/web/mqtt-feed.ts); its commands are signed downlink commands */
async function startWeb(url: string, o: Opts, mesh: string, kf: KeyFile, key: Uint8Array | null, stopBridge: () => Promise<void>): Promise<{ close(): Promise<void> }> {
  const port = num(o.webPort, '--web-port', 0, 65535);
  const { createMqttFeed } = await import('../web/mqtt-feed.ts');
  const { startDashboard } = await import('../web/server.ts');
  try {
    const feed = await createMqttFeed({
      url, mesh, keyFile: kf, downlinkKey: key, hops: num(o.maxHops, '--max-hops', 0, 255),
      username: o.username as string | undefined, password: (o.password as string | undefined) ?? process.env.MESHWORK_MQTT_PASSWORD,
      clientOptions: {
        ca: o.ca ? readFileSync(String(o.ca)) : undefined, cert: o.cert ? readFileSync(String(o.cert)) : undefined,
        key: o.key ? readFileSync(String(o.key)) : undefined, rejectUnauthorized: !o.insecure,
      },
    });
    const dash = await startDashboard({ feed, port }).catch(async (e: Error) => { await feed.close(); throw e; });
    process.stdout.write(`dashboard: ${dash.url}\n`);
    return { async close() { await dash.close(); await feed.close(); } };
  } catch (e) {
    await stopBridge();
    return fail(`--web: ${(e as Error).message}`, 1);
  }
}

export function register(program: Command): void {
  program.command('bridge')
    .description('bridge a gateway node to MQTT: verified uplink, authorised rate-limited downlink (embedded broker without --mqtt)')
    .option('-p, --port <path>', 'serial port of the gateway node')
    .option('--baud <n>', 'serial speed', '115200')
    .option('-n, --network <file>', 'network key file (verifies and decrypts frames; never published)')
    .option('--mqtt <url>', 'broker URL (mqtt://, mqtts://, ws://, wss://); default: embedded broker on localhost')
    .option('--listen <host:port>', 'address of the embedded broker', '127.0.0.1:1883')
    .option('--username <u>', 'MQTT username')
    .option('--password <p>', 'MQTT password (or set MESHWORK_MQTT_PASSWORD)')
    .option('--ca <file>', 'TLS: CA certificate')
    .option('--cert <file>', 'TLS: client certificate')
    .option('--key <file>', 'TLS: client key')
    .option('--insecure', 'TLS: do not verify the broker certificate')
    .option('--mqtt5', 'speak MQTT 5 (default 3.1.1)')
    .option('--id <id>', 'bridge id, unique per broker (default: host name)')
    .option('--mesh <name>', 'mesh name in topics (default: from the key file)')
    .option('--queue <dir>', 'uplink queue directory (default ~/.meshwork/bridge/<id>)')
    .option('--queue-max <n>', 'most messages queued while the broker is away (then the oldest are dropped)', '100000')
    .option('--downlink-key <file>', 'key for signed commands (64 hex); default: derived from the network key')
    .option('--allow <ids>', 'client ids / usernames allowed to send unsigned commands (embedded broker only)', collectList)
    .option('--max-hops <n>', 'largest hop limit a command may ask for (0 = zero-hop)', '0')
    .option('--rate <perSec>', 'downlink messages per second for this bridge', '2')
    .option('--burst <n>', 'downlink burst for this bridge', '5')
    .option('--dst-rate <perSec>', 'downlink messages per second per destination', '0.5')
    .option('--dst-burst <n>', 'downlink burst per destination', '2')
    .option('--link <mesh=keyfile>', 'carry text from another mesh into this one (repeatable)', (v: string, p: string[] = []) => p.concat([v]))
    .option('--qos <n>', 'uplink QoS: 1 (at least once) or 2 (exactly once to the broker, persistent session)', '1')
    .option('--no-dedupe', 'do not coordinate with other bridges of this mesh (claims)')
    .option('--no-cbor', 'do not publish the CBOR envelopes')
    .option('-c, --config <file>', 'JSON file of options (long names in camelCase)')
    .option('--web', 'also serve the dashboard on localhost, fed from the broker (the whole mesh through its bridges)')
    .option('--web-port <n>', 'with --web: dashboard port (0 = any free port)', '8080')
    .option('--sign <dst>', 'print a signed command for node DST (hex or "all") and exit; needs --cmd and a key')
    .option('--cmd <json>', 'the command for --sign, e.g. \'{"msg":{"t":"tx","m":"hi"}}\'')
    .action(async (cli: Opts, cmd: Command) => {
      let o: Opts = cli;
      if (cli.config) {
        let j: unknown;
        try { j = JSON.parse(readFileSync(String(cli.config), 'utf8')); } catch (e) { fail(`--config ${cli.config}: ${(e as Error).message}`); }
        if (!j || typeof j !== 'object' || Array.isArray(j)) fail(`--config ${cli.config}: not a JSON object`);
        const fromCli: Opts = {};
        for (const k of Object.keys(cli)) if (cmd.getOptionValueSource(k) === 'cli') fromCli[k] = cli[k];
        o = { ...cli, ...(j as Opts), ...fromCli };
      }
      const dlKey = (kf: KeyFile | null): Uint8Array | null => {
        if (o.downlinkKey) { const r = readDownlinkKey(String(o.downlinkKey)); if (!r.ok) fail(r.reason); return r.key; }
        return kf ? deriveDownlinkKey(kf) : null;
      };
      const kf = o.network ? keyFileAt(String(o.network), '--network') : null;

      if (o.sign !== undefined) {
        if (!o.cmd) fail('--sign needs --cmd JSON');
        const key = dlKey(kf);
        if (!key) fail('--sign needs --network FILE or --downlink-key FILE');
        const mesh = String(o.mesh ?? kf?.mesh ?? '');
        if (!validMeshName(mesh)) fail('--sign needs a mesh name (--mesh or the key file)');
        const dst = parseNodeId(String(o.sign));
        if (dst < 0) fail('--sign: DST is a node id in hex or "all"');
        let c: Record<string, unknown>;
        try { c = JSON.parse(String(o.cmd)); } catch (e) { fail(`--cmd is not JSON: ${(e as Error).message}`); }
        const topic = createTopics(mesh).cmd(dst);
        process.stdout.write(`${topic}\n${signCommand(key, topic, { ts: Date.now(), n: Math.random().toString(36).slice(2), ...c })}\n`);
        process.exit(0);
      }

      if (!kf) fail('--network FILE is required: the bridge publishes only frames it can verify');
      if (!o.port) fail('--port PATH is required (the gateway node\'s serial port)');
      const mesh = String(o.mesh ?? kf.mesh);
      if (!validMeshName(mesh)) fail(`mesh name "${mesh}" cannot be used in topics: pass --mesh NAME (letters, digits, . _ -)`);
      const id = String(o.id ?? hostname().replace(/[^A-Za-z0-9._-]/g, '-')).slice(0, 64);
      if (!validMeshName(id)) fail('--id: letters, digits, . _ - only');
      const links: LinkConfig[] = [];
      for (const l of (o.link as string[] | undefined) ?? []) {
        const m = /^([A-Za-z0-9._-]+)=(.+)$/.exec(l);
        if (!m) fail(`--link ${l}: expected MESH=KEYFILE`);
        links.push({ mesh: m[1], keyFile: keyFileAt(m[2], `--link ${m[1]}`) });
      }
      let embedded: { host?: string; port?: number } | undefined;
      if (!o.mqtt) {
        const m = /^(.*):(\d+)$/.exec(String(o.listen));
        if (!m) fail('--listen HOST:PORT');
        embedded = { host: m[1], port: num(m[2], '--listen port', 0, 65535) };
      }
      for (const f of ['ca', 'cert', 'key'] as const) if (o[f] && !existsSync(String(o[f]))) fail(`--${f} ${o[f]}: no such file`);
      let bridge;
      try {
        bridge = await startBridge({
          keyFile: kf, mesh, bridgeId: id,
          gateway: serialGateway(String(o.port), num(o.baud, '--baud', 300, 4_000_000)),
          queueDir: String(o.queue ?? join(homedir(), '.meshwork', 'bridge', id)),
          queueMax: num(o.queueMax, '--queue-max', 1, 1e9),
          mqtt: o.mqtt ? {
            url: String(o.mqtt), username: o.username as string | undefined,
            password: (o.password as string | undefined) ?? process.env.MESHWORK_MQTT_PASSWORD,
            ca: o.ca as string | undefined, cert: o.cert as string | undefined, key: o.key as string | undefined,
            insecure: !!o.insecure, protocolVersion: o.mqtt5 ? 5 : 4,
          } : undefined,
          embedded,
          dedupe: o.dedupe !== false, cbor: o.cbor !== false, qos: num(o.qos, '--qos', 1, 2) === 2 ? 2 : 1,
          downlink: {
            key: dlKey(kf), allow: (o.allow as string[] | undefined) ?? [], maxHops: num(o.maxHops, '--max-hops', 0, 255),
            bridgeRatePerSec: num(o.rate, '--rate', 0, 1000), bridgeBurst: num(o.burst, '--burst', 1, 10000),
            dstRatePerSec: num(o.dstRate, '--dst-rate', 0, 1000), dstBurst: num(o.dstBurst, '--dst-burst', 1, 10000),
          },
          links,
        });
      } catch (e) {
        fail(`cannot start: ${(e as Error).message}`, 1);
      }
      if (embedded) process.stdout.write(`embedded MQTT broker: ${bridge.url}\n`);
      process.stdout.write(`bridge ${id}: mesh ${mesh}, topics under ${createTopics(mesh).root}/ (Ctrl-C to stop)\n`);
      let web: { close(): Promise<void> } | null = null;
      if (o.web) web = await startWeb(bridge.url, o, mesh, kf, dlKey(kf), () => bridge.stop());
      const stop = async (): Promise<void> => { await web?.close(); await bridge.stop(); process.exit(0); };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}

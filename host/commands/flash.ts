/**
 * `meshwork flash --port PATH --board NAME [--name N] [--role R] [--network FILE] [--id HEX]`: provision and
 * flash nodes over their Espruino console (host/serial/uploader.ts), several ports in parallel (`--port` more
 * than once, or `--all`), or a fleet from a deployment file (`--deploy FILE`, host/serial/deploy-file.ts).
 * Flashed nodes are recorded in the inventory (host/serial/inventory.ts). Exit 0: every node flashed and
 * verified; 1: a node failed (the table says which and why); 2: bad usage.
 */
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { boards, findBoard, type BoardProfile } from '../../boards/index.ts';
import { fingerprint, readKeyFile, type KeyFile } from '../keyfile.ts';
import { closePort, openPort, SerialOpenError } from '../serial/port.ts';
import { listPorts } from '../serial/port-list.ts';
import { createConsoleSession } from '../serial/console-session.ts';
import { flashNode, FlashError, hex8, type FlashResult, type NodeConfig, type NodeProbe } from '../serial/uploader.ts';
import { ensureBundle } from '../serial/bundle.ts';
import { defaultInventoryPath, findByName, readInventory, recordFlashed, type InventoryEntry } from '../serial/inventory.ts';
import { matchNode, parseId, readDeployment, ROLES, type Deployment, type Role } from '../serial/deploy-file.ts';
import { createProgressBoard, formatTable } from '../serial/progress.ts';

interface FlashCliOptions {
  port?: string[]; all?: boolean; board?: string; name?: string; role?: string; network?: string; id?: string;
  channel?: string; radio?: string; deploy?: string; inventory?: string; bundle?: string; baud?: string;
  chunk?: string; window?: string; helloTimeout?: string; json?: boolean; dryRun?: boolean; verbose?: boolean;
}

interface Outcome { port: string; ok: boolean; result?: FlashResult; error?: string; step?: string; board: string; position?: unknown }

const int = (v: string | undefined, dflt: number): number => (v === undefined ? dflt : Number(v));

function randomId(): number {
  for (;;) {
    const n = randomBytes(4).readUInt32BE(0);
    if (n !== 0 && n < 0xfffffffe) return n;
  }
}

export function register(program: Command): void {
  const cmd = program.command('flash');
  cmd.description('provision and flash nodes over serial: upload the bundle to Storage, verify its CRC, write mw.cfg, reboot, check the handshake')
    .option('-p, --port <path...>', 'serial port(s) to flash in parallel (repeat or list)')
    .option('--all', 'flash every USB serial port found (plus any --port)')
    .option('-b, --board <name>', `board profile: ${boards.map((b) => b.name).join(', ')}`)
    .option('--name <name>', 'node name (one port only; default: the name already on the node, else node-<id>)')
    .option('--role <role>', 'router, gateway or leaf (default: the role already on the node, else router)')
    .option('--network <file>', 'network key file from `meshwork keys new`', 'network.key')
    .option('--id <hex>', 'node id, 1..8 hex digits (one port only; default: the id already on the node, else the inventory\'s for this name, else random)')
    .option('--channel <n>', 'radio channel', '1')
    .option('--radio <json>', 'radio driver options stored in mw.cfg (JSON object)')
    .option('--deploy <file>', 'deployment file: nodes with name, role, position and port or id (see host/serial/deploy-file.ts)')
    .option('--inventory <file>', `inventory of flashed nodes (default ${defaultInventoryPath()})`)
    .option('--bundle <file>', 'flash this bundle instead of dist/firmware/<board>.js (no build)')
    .option('--baud <n>', 'baud rate (default: the board profile\'s)')
    .option('--chunk <bytes>', 'bundle bytes per console line', '512')
    .option('--window <n>', 'console lines in flight before an acknowledgement is awaited', '3')
    .option('--hello-timeout <ms>', 'how long to wait for the handshake after reboot', '10000')
    .option('--dry-run', 'list the ports and the plan, flash nothing')
    .option('--json', 'print the results as JSON on stdout')
    .option('-v, --verbose', 'trace the conversation with each node (never the key)')
    .addHelpText('after', '\nExit codes: 0 all nodes flashed and verified, 1 a node failed, 2 bad usage.\nExample: meshwork flash --port /dev/ttyUSB0 --board esp32 --name roof-north --role router --network network.key')
    .action(async (o: FlashCliOptions) => {
      const usage = (m: string): never => cmd.error(`meshwork flash: ${m}`, { exitCode: 2 }) as never;
      let deploy: Deployment | undefined;
      if (o.deploy) { try { deploy = readDeployment(o.deploy); } catch (e) { usage((e as Error).message); } }
      const explicit = (o.port ?? []).flatMap((p) => p.split(',')).filter((p) => p);
      // a deployment file's ports are flashed when no --port / --all says otherwise
      if (deploy && explicit.length === 0 && !o.all) for (const n of deploy.nodes) if (n.port && !explicit.includes(n.port)) explicit.push(n.port);
      const ports = o.all ? (await listPorts(explicit)).map((p) => p.path) : explicit;
      if (!o.all && ports.length === 0) usage('give --port PATH (repeatable), --all, or --deploy FILE with ports');
      if (ports.length > 1 && (o.name || o.id)) usage('--name and --id name one node: use them with a single --port (or a deployment file)');
      if (o.role && !ROLES.includes(o.role as Role)) usage(`--role must be router, gateway or leaf, not "${o.role}"`);
      let fixedId: number | undefined;
      if (o.id !== undefined) { const p = parseId(o.id); if (p === null) usage(`--id "${o.id}" is not a node id (1..8 hex digits, not 0 or ffffffff/fffffffe)`); fixedId = p as number; }
      let radio: Record<string, unknown> = deploy?.radio ?? {};
      if (o.radio) { try { radio = JSON.parse(o.radio); } catch { usage('--radio must be a JSON object'); } }
      const boardName = o.board ?? deploy?.board;
      const boardFor = (name: string | undefined): BoardProfile => {
        if (!name) return usage('give --board NAME (' + boards.map((b) => b.name).join(', ') + ')');
        const b = findBoard(name);
        if (!b) return usage(`unknown board "${name}"; valid boards: ${boards.map((x) => x.name).join(', ')}`);
        return b;
      };
      const defaultBoard = boardFor(boardName ?? (deploy?.nodes.every((n) => n.board) ? deploy.nodes[0].board : undefined));
      for (const n of deploy?.nodes ?? []) if (n.board) boardFor(n.board);
      // a repeater board (the ESP32-C3) runs shared/repeater.ts: it is never a gateway or a leaf
      if (o.role && o.role !== 'router' && defaultBoard.firmware === 'repeater') {
        usage(`board ${defaultBoard.name} runs the repeater (it relays floods and never bridges or stays silent): --role ${o.role} does not apply; flash a router board for that`);
      }
      const channel = int(o.channel, deploy?.channel ?? 1);
      if (!Number.isInteger(channel) || channel < 0 || channel > 255) usage('--channel must be an integer 0..255');

      if (o.all && ports.length === 0) { process.stderr.write('meshwork flash: --all found no serial ports (USB adapters through udev); give --port PATH\n'); process.exitCode = 1; return; }
      if (o.dryRun) {
        process.stdout.write(formatTable(['port', 'board', 'deployment node'], ports.map((p) => [p, defaultBoard.name, deploy?.nodes.find((n) => n.port === p)?.name ?? '(by id/name on the node)'])) + '\n');
        return;
      }

      const networkPath = o.network !== 'network.key' || !deploy?.network ? (o.network as string) : deploy.network;
      const kr = readKeyFile(networkPath);
      if (!kr.ok) { process.stderr.write(`meshwork flash: ${kr.reason}\n`); process.exitCode = 1; return; }
      if (kr.warning) process.stderr.write(`meshwork flash: warning: ${kr.warning}\n`);
      const net: KeyFile = kr.value;
      const epochKey = net.epochs.find((e) => e.epoch === net.current)!;
      const keyHex = Buffer.from(epochKey.key).toString('hex');
      const keyFp = fingerprint(epochKey.key);

      const invPath = o.inventory ?? defaultInventoryPath();
      let inv;
      try { inv = readInventory(invPath); } catch (e) { process.stderr.write(`meshwork flash: ${(e as Error).message}\n`); process.exitCode = 1; return; }

      // bundles per board, built once
      const bundles = new Map<string, { code: string; version: string }>();
      const bundleFor = async (b: BoardProfile): Promise<{ code: string; version: string }> => {
        let got = bundles.get(b.name);
        if (!got) {
          got = o.bundle ? { code: readFileSync(o.bundle, 'latin1'), version: 'custom' } : await ensureBundle(b, (l) => process.stderr.write(l + '\n'));
          bundles.set(b.name, got);
        }
        return got;
      };

      const board = createProgressBoard(ports, process.stderr);
      const takenIds = new Set<number>();
      const flashOne = async (port: string): Promise<Outcome> => {
        const dnodeByPort = deploy?.nodes.find((n) => n.port === port);
        const b = dnodeByPort?.board ? boardFor(dnodeByPort.board) : defaultBoard;
        let position: unknown;
        let sp;
        try {
          const bundle = await bundleFor(b);
          sp = await openPort(port, int(o.baud, b.console.baud));
          const session = createConsoleSession(sp);
          const configFrom = (probe: NodeProbe): NodeConfig => {
            const stored = probe.cfg;
            const dn = deploy ? matchNode(deploy, port, stored) : undefined;
            if (deploy && !dn) throw new FlashError('mismatch', `this node (${stored?.name ?? 'unnamed'}${stored?.id !== undefined ? ' ' + hex8(stored.id) : ''}) is not in the deployment file ${o.deploy}`);
            position = dn?.position;
            const name = o.name ?? dn?.name ?? stored?.name;
            let id = fixedId ?? dn?.id ?? stored?.id ?? (name ? parseId(findByName(inv, name)?.id ?? '') ?? undefined : undefined);
            if (id === undefined || takenIds.has(id)) id = randomId();
            takenIds.add(id);
            const role = (o.role ?? dn?.role ?? stored?.role ?? 'router') as Role;
            return { id, name: name ?? `node-${hex8(id)}`, role, mesh: net.mesh, key: keyHex, epoch: net.current, ch: dn?.channel ?? channel, radio: dn?.radio ?? radio };
          };
          const result = await flashNode(session, {
            bundle: bundle.code, board: b, config: configFrom, baud: int(o.baud, b.console.baud),
            chunkBytes: int(o.chunk, 512), window: int(o.window, 3), helloTimeoutMs: int(o.helloTimeout, 10000),
            onProgress: (p) => board.update(port, p),
            log: o.verbose ? (l) => process.stderr.write(`${port}: ${l}\n`) : undefined,
          });
          session.dispose();
          for (const w of result.warnings) process.stderr.write(`${port}: warning: ${w}\n`);
          board.finish(port, `ok  ${hex8(result.config.id)} ${result.config.name}  ${result.bytes} B in ${(result.writeMs / 1000).toFixed(2)} s`);
          return { port, ok: true, result, board: b.name, position };
        } catch (e) {
          const step = e instanceof FlashError ? e.step : e instanceof SerialOpenError ? 'open-' + e.kind : 'error';
          const msg = (e as Error).message.split(keyHex).join('<key>');
          board.finish(port, `FAILED (${step})`);
          return { port, ok: false, error: msg, step, board: b.name };
        } finally {
          if (sp) await closePort(sp);
        }
      };

      const outcomes = await Promise.all(ports.map(flashOne));
      board.close();

      const entries: InventoryEntry[] = outcomes.filter((x) => x.ok).map((x) => ({
        id: hex8(x.result!.config.id), name: x.result!.config.name, role: x.result!.config.role, board: x.board,
        mesh: net.mesh, epoch: net.current, keyFingerprint: keyFp, hash: x.result!.hash, version: String(x.result!.hello.fw ?? bundles.get(x.board)?.version ?? ''),
        port: x.port, position: x.position, flashedAt: new Date().toISOString(), espruino: String(x.result!.probe.env.VERSION ?? ''),
      }));
      try { recordFlashed(invPath, entries); } catch (e) { process.stderr.write(`meshwork flash: could not update the inventory ${invPath}: ${(e as Error).message}\n`); }

      if (o.json) {
        process.stdout.write(JSON.stringify(outcomes.map((x) => ({
          port: x.port, ok: x.ok, step: x.step, error: x.error, board: x.board,
          ...(x.result ? { id: hex8(x.result.config.id), name: x.result.config.name, role: x.result.config.role, hash: x.result.hash, bytes: x.result.bytes,
            lineBytes: x.result.lineBytes, writeMs: x.result.writeMs, lineRateMs: Math.round(x.result.lineRateMs), totalMs: x.result.totalMs,
            warnings: x.result.warnings } : {}),
        })), null, 2) + '\n');
      } else {
        const rows = outcomes.map((x) => x.ok
          ? [x.port, hex8(x.result!.config.id), x.result!.config.name, x.result!.config.role, 'ok', x.result!.hash, String(x.result!.bytes),
            (x.result!.writeMs / 1000).toFixed(2), (x.result!.lineRateMs / 1000).toFixed(2)]
          : [x.port, '', '', '', 'FAILED', '', '', '', '']);
        process.stdout.write(formatTable(['port', 'id', 'name', 'role', 'result', 'hash', 'bytes', 'write s', 'line-rate s'], rows) + '\n');
        for (const x of outcomes) if (!x.ok) process.stderr.write(`${x.port}: ${x.error}\n`);
        if (entries.length) process.stdout.write(`inventory: ${entries.length} node${entries.length > 1 ? 's' : ''} recorded in ${invPath}\n`);
      }
      if (outcomes.some((x) => !x.ok)) process.exitCode = 1;
    });
}

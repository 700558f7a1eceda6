/**
 * `meshwork monitor --port PATH [--json]`: attach to a node, handshake, subscribe, and show what it reports
 * (host/serial/monitor-session.ts) until Ctrl-C (or --duration / --once). It survives reboots, the cable
 * being pulled and put back, and garbage on the line.
 *
 * Commands, one per line on stdin (typed in the terminal, or piped by a script):
 *   send <dst> <text…>   text message (dst: 8 hex digits, `all`, `gw`)     ping <dst>     trace <dst>
 *   nb | rt | tm | st | cfg   ask the node for a table now                 hello   reboot   quit
 * The same from the command line: --send DST:TEXT, --ping DST, --traceroute DST (run once connected; with
 * --once the monitor exits when they are done, exit 1 if one failed).
 * Exit codes: 0 stopped by the user / duration reached / --once actions succeeded, 1 failure, 2 bad usage.
 */
import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { createMonitorSession, type MonitorRecord } from '../serial/monitor-session.ts';
import { createMonitorView } from '../serial/monitor-view.ts';
import { createMeshActions, parseDest } from '../serial/mesh-actions.ts';

interface MonitorCliOptions {
  port: string; baud: string; json?: boolean; level: string; report: string; poll: string;
  web?: boolean; webPort: string;
  send?: string[]; ping?: string[]; traceroute?: string[]; once?: boolean; duration?: string; giveUp?: string; commands: boolean;
}

const HELP = 'commands: send <dst> <text> | ping <dst> | trace <dst> | nb | rt | tm | st | cfg | hello | reboot | quit   (dst: 8 hex, all, gw)';

export function register(program: Command): void {
  const cmd = program.command('monitor');
  cmd.description('watch a node over serial: logs, traffic, neighbours, routes, telemetry; send text, ping, traceroute')
    .requiredOption('-p, --port <path>', 'serial port of the node')
    .option('--baud <n>', 'baud rate', '115200')
    .option('--json', 'one JSON object per line (every record) instead of the compact view')
    .option('--level <n>', 'most verbose log level to subscribe to (0 errors … 3 debug)', '2')
    .option('--report <s>', 'ask the node for telemetry / tables every N seconds', '5')
    .option('--poll <s>', 'also poll neighbours, routes and telemetry every N seconds (0: never)', '10')
    .option('--send <dst:text...>', 'send a text message once connected (repeatable)')
    .option('--ping <dst...>', 'ping a node once connected')
    .option('--traceroute <dst...>', 'traceroute to a node once connected')
    .option('--once', 'exit when the --send/--ping/--traceroute actions are done (exit 1 if one failed)')
    .option('--duration <s>', 'stop after N seconds')
    .option('--give-up <s>', 'exit 1 when the port stays unavailable this long (default: wait forever)')
    .option('--no-commands', 'do not read commands from stdin')
    .option('--web', 'also serve the dashboard on localhost, fed from this node (its neighbours, routes, the nodes it hears)')
    .option('--web-port <n>', 'with --web: dashboard port (0 = any free port)', '8080')
    .addHelpText('after', `\nWhile running, type ${HELP}.\nExit codes: 0 stopped / done, 1 failure (an action failed, gave up waiting for the port), 2 bad usage.`)
    .action(async (o: MonitorCliOptions) => {
      const num = (v: string, what: string, min = 0): number => {
        const n = Number(v);
        if (!Number.isFinite(n) || n < min) cmd.error(`meshwork monitor: ${what} must be a number ≥ ${min}`, { exitCode: 2 });
        return n;
      };
      const actions: { kind: 'send' | 'ping' | 'trace'; dst: number; text?: string }[] = [];
      for (const s of o.send ?? []) {
        const i = s.indexOf(':');
        const d = i > 0 ? parseDest(s.slice(0, i)) : null;
        if (d === null) cmd.error(`meshwork monitor: --send wants DST:TEXT (DST 8 hex digits, all or gw), not "${s}"`, { exitCode: 2 });
        actions.push({ kind: 'send', dst: d as number, text: s.slice(i + 1) });
      }
      for (const [list, kind] of [[o.ping, 'ping'], [o.traceroute, 'trace']] as const) {
        for (const s of list ?? []) {
          const d = parseDest(s);
          if (d === null) cmd.error(`meshwork monitor: "${s}" is not a node id (8 hex digits)`, { exitCode: 2 });
          actions.push({ kind, dst: d as number });
        }
      }
      if (o.once && actions.length === 0) cmd.error('meshwork monitor: --once needs --send, --ping or --traceroute', { exitCode: 2 });
      const baud = num(o.baud, '--baud', 1);

      const session = createMonitorSession({
        port: o.port, baud, level: num(o.level, '--level'), reportS: num(o.report, '--report'), pollS: num(o.poll, '--poll'),
        giveUpMs: o.giveUp === undefined ? undefined : num(o.giveUp, '--give-up') * 1000,
      });
      const view = createMonitorView({ color: !o.json && !!process.stdout.isTTY });
      const emit = (r: MonitorRecord): void => {
        if (o.json) { process.stdout.write(JSON.stringify(r) + '\n'); return; }
        const s = view.format(r);
        if (s !== null) process.stdout.write(s + '\n');
      };
      session.on('record', emit);
      const mesh = createMeshActions(() => session.link, () => session.info?.id);
      session.on('deliver', (d: any, a: any) => mesh.onDeliver(d, a));

      let dashboard: { url: string; close(): Promise<void> } | undefined;
      let feedClose: (() => Promise<void>) | undefined;
      if (o.web) {
        const { EventEmitter } = await import('node:events');
        const { createSerialFeed } = await import('../web/serial-feed.ts');
        const { startDashboard } = await import('../web/server.ts');
        // one stable link for the feed: it follows the session's NodeLink across reboots and reconnects
        const proxy = Object.assign(new EventEmitter(), {
          request: (op: string, args?: Record<string, unknown>, t?: number) =>
            session.link ? session.link.request(op, args, t) : Promise.reject(new Error('meshwork monitor: not connected')),
          hello: (t?: number) => (session.link ? session.link.hello(t) : Promise.reject(new Error('meshwork monitor: not connected'))),
        });
        proxy.on('error', () => {});
        const EVENTS = ['hello', 'deliver', 'traffic', 'neighbours', 'routes', 'telemetry', 'log', 'event', 'message', 'text', 'frame', 'close'];
        session.on('link', (l: any) => { for (const name of EVENTS) l.on(name, (...a: unknown[]) => proxy.emit(name, ...a)); });
        if (session.link) for (const name of EVENTS) session.link.on(name, (...a: unknown[]) => proxy.emit(name, ...a));
        const feed = await createSerialFeed({ link: proxy, name: o.port, reportS: num(o.report, '--report') || 5 });
        feedClose = () => feed.close();
        try {
          dashboard = await startDashboard({ feed, port: num(o.webPort, '--web-port') });
        } catch (e) {
          cmd.error(`meshwork monitor: cannot serve the dashboard: ${(e as Error).message}`, { exitCode: 1 });
        }
        process.stderr.write(`dashboard: ${dashboard!.url}\n`);
        emit({ t: 'status', ts: new Date().toISOString(), state: 'dashboard', url: dashboard!.url });
      }

      let failures = 0;
      const result = (r: Record<string, unknown>): void => {
        if (r.ok === false) failures++;
        emit({ t: 'result', ts: new Date().toISOString(), ...r });
      };
      const run = async (kind: string, dst: number, text?: string): Promise<void> => {
        try {
          await session.ready();
          if (kind === 'send') result(await mesh.text(dst, text ?? ''));
          else if (kind === 'ping') result(await mesh.ping(dst));
          else result(await mesh.traceroute(dst));
        } catch (e) { result({ action: kind, ok: false, err: (e as Error).message }); }
      };

      let stop!: (code: number) => void;
      const stopped = new Promise<number>((r) => { stop = r; });
      session.on('giveup', () => { emit({ t: 'error', ts: new Date().toISOString(), reason: `gave up: ${o.port} unavailable for ${o.giveUp} s` }); stop(1); });
      process.once('SIGINT', () => stop(0));
      process.once('SIGTERM', () => stop(0));
      if (o.duration !== undefined) setTimeout(() => stop(0), num(o.duration, '--duration') * 1000).unref();

      (async () => {
        for (const a of actions) await run(a.kind, a.dst, a.text);
        if (o.once) stop(failures ? 1 : 0);
      })();

      let rl: ReturnType<typeof createInterface> | undefined;
      if (o.commands && !o.once) {
        rl = createInterface({ input: process.stdin, terminal: false });
        if (process.stdin.isTTY) process.stderr.write(HELP + '\n');
        rl.on('line', (line) => {
          const [word, arg, ...rest] = line.trim().split(/\s+/);
          if (!word) return;
          const d = arg === undefined ? null : parseDest(arg);
          if (word === 'quit' || word === 'q' || word === 'exit') { stop(0); return; }
          if (['nb', 'rt', 'tm', 'st', 'cfg'].includes(word)) {
            const l = session.link;
            if (!l) { emit({ t: 'error', ts: new Date().toISOString(), reason: 'not connected' }); return; }
            l.request('get', { w: word }, 3000).then((r) => {
              const { ok: _ok, ...rest2 } = r;
              emit(r.ok ? { t: word === 'st' || word === 'cfg' ? 'reply' : word, ts: new Date().toISOString(), ...(word === 'st' || word === 'cfg' ? { op: word } : {}), ...rest2 } : { t: 'error', ts: new Date().toISOString(), reason: String(r.err) });
            }, (e) => emit({ t: 'error', ts: new Date().toISOString(), reason: (e as Error).message }));
            return;
          }
          if (word === 'reboot') {
            session.link?.request('reboot', {}, 3000).then((r) => emit({ t: 'reply', ts: new Date().toISOString(), op: 'reboot', ...r }), (e) => emit({ t: 'error', ts: new Date().toISOString(), reason: (e as Error).message }));
            return;
          }
          if (word === 'hello') { session.link?.hello(3000).catch((e) => emit({ t: 'error', ts: new Date().toISOString(), reason: (e as Error).message })); return; }
          if ((word === 'send' || word === 'ping' || word === 'trace') && d !== null) {
            void run(word, d, rest.join(' '));
            return;
          }
          emit({ t: 'error', ts: new Date().toISOString(), reason: `not understood: "${line.trim()}"; ${HELP}` });
        });
      }

      const code = await stopped;
      rl?.close();
      await dashboard?.close().catch(() => {});
      await feedClose?.().catch(() => {});
      await session.stop();
      process.exitCode = code;
      // stdin (a terminal or a pipe kept open by a script) must not keep the process alive
      process.stdin.destroy();
      setTimeout(() => process.exit(code), 500).unref();
    });
}

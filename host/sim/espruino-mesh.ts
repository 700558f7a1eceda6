/**
 * `meshwork sim --espruino BIN`: the real firmware on real interpreters. N processes of Espruino's Linux
 * build each boot the Linux bundle (dist/firmware/linux.js) from their own flash (a directory each: the
 * Linux build keeps its flash in ./espruino.flash), provisioned with their own mw.cfg; their udp-loopback
 * radios talk through the host air process (host/air/), which decides who hears whom with the simulator's
 * radio model and topology. The host attaches to each process's console with the serial-link client
 * (host/link/ NodeLink) exactly as `meshwork monitor` attaches to a board, waits for the routes to form, sends
 * a text message from the first node to the last and waits for it to be delivered there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { createAir, type Air } from '../air/air.ts';
import { explicitLinks } from '../air/air-model.ts';
import { NodeLink } from '../link/node-link.ts';
import { createAppMessages } from '../../shared/app-messages.ts';
import { createCbor } from '../../shared/cbor.ts';
import { nodeCborText } from '../cbor-text.ts';
import type { TopologyKind } from './topology.ts';

export interface EspruinoMeshOptions {
  bin: string;
  /** the Linux firmware bundle (built code) */
  bundle: string;
  nodes: number;
  topology: TopologyKind;
  seed?: number;
  loss?: number;
  /** give up after this long, ms (default 120 000) */
  timeoutMs?: number;
  /** node indices that run the repeater program (the ESP32-C3's, built with the udp-loopback radio);
   *  routes never cross a repeater, so the message then goes as the sender's flood, without waiting for a route */
  repeaters?: number[];
  /** the interpreter for the repeaters (default `bin`): e.g. a build with the C3 layout (4095 JsVars) */
  repeaterBin?: string;
  /** called with each node's link once it answered the handshake (monitoring, tests) */
  onLink?: (index: number, id: number, link: NodeLink) => void | Promise<void>;
  /** progress lines (default: none) */
  progress?: (line: string) => void;
}

export interface EspruinoMeshResult {
  ok: boolean;
  reason?: string;
  nodes: number;
  ids: number[];
  /** ms from the first boot until the first node had a route to the last */
  routeFormedMs: number | null;
  /** ms from send to delivery at the last node */
  latencyMs: number | null;
  hops: number | null;
  airFrames: number;
  /** per node: [tx frames, rx frames, relayed] from the nodes' own counters at the end */
  counters: { id: number; tx: number; rx: number; relay: number; mem: number }[];
}

const KEY = () => Array.from({ length: 16 }, () => Math.floor(Math.random() * 256).toString(16).padStart(2, '0')).join('');

interface Proc { child: ChildProcess; link: NodeLink; dir: string; id: number }

/** n UDP ports free right now on 127.0.0.1 (bound to port 0, read, released: the interpreters bind them next) */
async function freePorts(n: number): Promise<number[]> {
  const { createSocket } = await import('node:dgram');
  const socks = await Promise.all(Array.from({ length: n }, () => new Promise<import('node:dgram').Socket>((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = socks.map((s) => s.address().port);
  await Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

function sleep(ms: number): Promise<void> { return new Promise((r) => setTimeout(r, ms)); }

/** one script per 4 KB piece of the code: the whole bundle as one string is more than a C3 layout's RAM */
async function provision(bin: string, dir: string, code: string, cfg: unknown): Promise<void> {
  const n = 4096;
  for (let o = 0; o < code.length; o += n) {
    await runScript(bin, dir, `require("Storage").write(".bootcde", ${JSON.stringify(code.slice(o, o + n))}, ${o}, ${code.length});quit();`);
  }
  await runScript(bin, dir, `require("Storage").write("mw.cfg", ${JSON.stringify(JSON.stringify(cfg))});quit();`);
}

function runScript(bin: string, dir: string, js: string): Promise<void> {
  writeFileSync(join(dir, 'prov.js'), js);
  return new Promise((resolve, reject) => {
    const p = spawn(bin, ['prov.js'], { cwd: dir, stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d) => (err += d));
    const t = setTimeout(() => p.kill('SIGKILL'), 30000);
    p.on('close', (c) => { clearTimeout(t); if (c === 0) resolve(); else reject(new Error(`provisioning failed (exit ${c}): ${err.slice(-300)}`)); });
  });
}

export async function runEspruinoMesh(o: EspruinoMeshOptions): Promise<EspruinoMeshResult> {
  const say = o.progress ?? (() => {});
  const n = o.nodes;
  const ids = Array.from({ length: n }, (_, i) => 0x1000 + i + 1);
  const repeaters = new Set(o.repeaters ?? []);
  if (repeaters.has(0) || repeaters.has(n - 1)) throw new Error('meshwork/sim: the first and last nodes send and receive: they cannot be repeaters');
  const repeaterCode = repeaters.size ? await repeaterBundle() : '';
  const key = KEY();
  const app = createAppMessages({})({ cbor: createCbor()(nodeCborText()) });
  // a line is a strict chain (each node hears only the next and the previous, at -65 dBm), so a message from
  // the first to the last crosses every hop; the other topologies are the simulator's placements
  const topo = o.topology === 'line'
    ? { links: explicitLinks(n, (i, j) => (Math.abs(i - j) === 1 ? -65 : -Infinity)) }
    : { topology: o.topology, nodes: n };
  const air: Air = await createAir({ ...topo, seed: o.seed ?? 1, loss: o.loss ?? 0, port: 0, ids });
  const ports = await freePorts(n);
  let stopping = false;
  const procs: Proc[] = [];
  const t0 = Date.now();
  const deadline = t0 + (o.timeoutMs ?? 120000);
  const result: EspruinoMeshResult = { ok: false, nodes: n, ids, routeFormedMs: null, latencyMs: null, hops: null, airFrames: 0, counters: [] };
  try {
    for (let i = 0; i < n; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'meshwork-node-'));
      const bin = repeaters.has(i) ? o.repeaterBin ?? o.bin : o.bin;
      await provision(bin, dir, repeaters.has(i) ? repeaterCode : o.bundle, {
        id: ids[i], name: 'node-' + (i + 1), role: i === n - 1 ? 'gateway' : 'router', mesh: 'sim', key, epoch: 1, ch: 1,
        radio: { port: ports[i], airPort: air.port },
      });
      const child = spawn(bin, [], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
      let tail = '';
      child.stderr!.on('data', (d) => { tail = (tail + d).slice(-400); });
      child.stdout!.on('data', (d) => { tail = (tail + d).slice(-400); });
      child.on('exit', (code, sig) => { if (!stopping) say(`node ${ids[i].toString(16)} exited (${code ?? sig}): ${JSON.stringify(tail.slice(-300))}`); });
      const stream = Duplex.from({ readable: child.stdout!, writable: child.stdin! });
      const link = new NodeLink(stream, { timeoutMs: 5000 });
      link.on('error', () => {});
      procs.push({ child, link, dir, id: ids[i] });
      say(`node ${i + 1}/${n}: ${ids[i].toString(16)} booting in ${dir}`);
    }
    for (const p of procs) {
      const h = await p.link.hello();
      if (h.id !== p.id) throw new Error(`node ${p.id.toString(16)} answered as ${h.id}`);
      if (o.onLink) await o.onLink(procs.indexOf(p), p.id, p.link);
    }
    say(`all ${n} nodes answered the handshake; waiting for a route from ${ids[0].toString(16)} to ${ids[n - 1].toString(16)}`);
    const first = procs[0];
    const last = procs[n - 1];
    if (repeaters.size) await sleep(3000); // neighbours heard; no route will form across a repeater
    else for (;;) {
      if (Date.now() > deadline) throw new Error('no route formed before the timeout');
      const rt = await first.link.request('get', { w: 'rt' });
      if (rt.ok && (rt.r as number[][]).some((r) => r[0] === ids[n - 1] && r[1] !== 0)) break;
      await sleep(1000);
    }
    if (!repeaters.size) result.routeFormedMs = Date.now() - t0;
    say(repeaters.size ? 'sending a text message across the repeaters (flooded: no route crosses a repeater)' : `route formed after ${((result.routeFormedMs ?? 0) / 1000).toFixed(1)} s; sending a text message across`);
    const text = 'hello across ' + (n - 1) + ' hops';
    const got = new Promise<{ h: number }>((resolve) => {
      last.link.on('deliver', (m: any) => {
        const d = app.decode(m.p);
        if (d.ok && d.msg.t === 'tx' && d.msg.m === text) resolve({ h: m.h });
      });
    });
    const tSend = Date.now();
    const r = await first.link.request('send', { d: ids[n - 1], p: app.encode({ t: 'tx', m: text, to: ids[n - 1] }), a: 1 });
    if (!r.ok) throw new Error('send refused: ' + r.err);
    const d = await Promise.race([got, sleep(Math.max(1000, deadline - Date.now())).then(() => null)]);
    if (d === null) throw new Error('the message was not delivered before the timeout');
    result.latencyMs = Date.now() - tSend;
    result.hops = d.h;
    result.ok = true;
    for (const p of procs) {
      const s = await p.link.request('get', { w: 'tm' });
      result.counters.push({ id: p.id, tx: s.st?.txFrames ?? 0, rx: s.st?.rxFrames ?? 0, relay: s.st?.txRelay ?? 0, mem: s.mem ?? 0 });
    }
  } catch (e) {
    result.reason = (e as Error).message;
  } finally {
    stopping = true;
    result.airFrames = air.counters.frames;
    for (const p of procs) {
      p.link.close?.();
      p.child.kill('SIGKILL'); // the Linux build ignores SIGTERM
      rmSync(p.dir, { recursive: true, force: true });
    }
    await air.close();
  }
  return result;
}

/** the ESP32-C3 program (the repeater) with the udp-loopback radio, so it joins the host air */
export async function repeaterBundle(): Promise<string> {
  const { buildFirmware } = await import('../build/build-firmware.ts');
  const { findBoard } = await import('../../boards/index.ts');
  const c3 = findBoard('esp32-c3')!;
  const out = mkdtempSync(join(tmpdir(), 'meshwork-c3-'));
  try {
    const r = await buildFirmware({ boards: [{ ...c3, name: 'esp32-c3-loopback', radio: 'udp-loopback' }], outDir: out });
    const f = r.results[0].outFile;
    if (!r.ok || !f) throw new Error('building the repeater (esp32-c3 with udp-loopback) failed: ' + JSON.stringify(r.results[0].violations).slice(0, 300));
    return readFileSync(f, 'utf8');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** the Linux bundle, built if missing */
export async function linuxBundle(repoRoot: string): Promise<string> {
  const file = join(repoRoot, 'dist/firmware/linux.js');
  if (!existsSync(file)) {
    const { buildFirmware } = await import('../build/build-firmware.ts');
    const r = await buildFirmware({ boards: ['linux'] });
    if (!r.ok) throw new Error('building the Linux firmware failed: run `meshwork build --board linux`');
  }
  return readFileSync(file, 'utf8');
}

/**
 * A monitor's hold on one serial path: opens it, runs the handshake and the subscription (logs up to a level,
 * traffic, periodic reports and telemetry) through H2's NodeLink, turns everything the node says into flat
 * records, and keeps going: when the port vanishes (cable pulled) it re-opens the same path with back-off
 * (0.25 s doubling to 2 s); when the node reboots (an unsolicited HELLO) it subscribes again; garbage on
 * the line becomes `error` records (rate-limited) and never stops it.
 *
 * Records (also the --json output, one per line): every record has `t` and `ts` (ISO time), then
 *   status {state: connecting|connected|disconnected|waiting, port, reason?}   hello {…HELLO, rebooted?}
 *   log {l, e, d?}   event {e, …}   traffic {k, s, d, q, ft (frame type), h, r, w?}   deliver {s, d, q, h, r, p: hex, app?}
 *   nb {n: […]}   rt {r: […]}   tm {up, mem, tot, st, err}   text {text}   error {reason}   reply {op, …}
 */
import { EventEmitter } from 'node:events';
import type { SerialPort } from 'serialport';
import { NodeLink, T_DELIVER } from '../link/index.ts';
import { closePort, openPort, SerialOpenError } from './port.ts';
import { appCodec } from './mesh-actions.ts';

export interface MonitorRecord { t: string; ts: string; [k: string]: unknown }

export interface MonitorOptions {
  port: string;
  baud?: number;
  /** max log level subscribed (0 err … 3 debug), default 2 */
  level?: number;
  /** telemetry/report period asked from the node, seconds (default 5) */
  reportS?: number;
  /** poll nb/rt/tm every N s in addition (0: never; default 10) */
  pollS?: number;
  /** give up after this many ms without a connection (default: never) */
  giveUpMs?: number;
}

export interface MonitorSession extends EventEmitter {
  /** the NodeLink of the current connection (undefined while disconnected) */
  readonly link: NodeLink | undefined;
  readonly info: Record<string, any> | undefined;
  /** resolves once connected and the handshake answered */
  ready(): Promise<NodeLink>;
  stop(): Promise<void>;
}

const now = (): string => new Date().toISOString();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function createMonitorSession(o: MonitorOptions): MonitorSession {
  const ev = new EventEmitter() as MonitorSession & EventEmitter;
  let link: NodeLink | undefined;
  let port: SerialPort | undefined;
  let stopped = false;
  let info: Record<string, any> | undefined;
  let readyWaiters: ((l: NodeLink) => void)[] = [];
  let pollTimer: NodeJS.Timeout | undefined;
  let errorCount = 0;
  let errorWindow = 0;
  let lastBusyNote = '';
  let textBuf = '';
  const level = o.level ?? 2;
  const reportS = o.reportS ?? 5;
  const pollS = o.pollS ?? 10;
  const app = appCodec();

  // a node map's own `t` (TRAFFIC's frame type) is kept as `ft`: `t` names the record
  const rec = (t: string, fields: Record<string, unknown> = {}): void => {
    const { t: inner, ts: _ts, ...rest } = fields;
    ev.emit('record', { t, ts: now(), ...rest, ...(inner !== undefined ? { ft: inner } : {}) });
  };

  async function subscribe(l: NodeLink): Promise<void> {
    const r = await l.request('sub', { f: 1 | 2 | 8, lvl: level, n: reportS }, 3000);
    if (!r.ok) rec('error', { reason: `sub refused: ${r.err}` });
  }

  async function poll(l: NodeLink): Promise<void> {
    for (const w of ['nb', 'rt', 'tm']) {
      if (l.isClosed) return;
      try {
        const r = await l.request('get', { w }, 3000);
        if (!r.ok) continue;
        const { ok: _ok, ...rest } = r;
        rec(w, rest);
      } catch { /* timeouts while the node reboots: the next poll tries again */ }
    }
  }

  function wire(l: NodeLink): void {
    // the current connection's link, for views that follow it across reconnects (monitor --web)
    ev.emit('link', l);
    l.on('hello', (h: Record<string, any>) => {
      const rebooted = info !== undefined && (h.boot !== info.boot || h.hash !== info.hash);
      info = h;
      rec('hello', { ...h, ...(rebooted ? { rebooted: true } : {}) });
      // an unsolicited HELLO means the node (re)booted and forgot the subscription
      if (readyWaiters.length === 0) subscribe(l).catch(() => {});
    });
    l.on('log', (m: any) => rec('log', m));
    l.on('event', (m: any) => rec('event', m));
    l.on('traffic', (m: any) => rec('traffic', m));
    l.on('neighbours', (m: any) => rec('nb', m));
    l.on('routes', (m: any) => rec('rt', m));
    l.on('telemetry', (m: any) => rec('tm', m));
    l.on('message', (m: any) => {
      if (m.type !== T_DELIVER || !m.msg) return;
      const d = m.msg;
      const fields: Record<string, unknown> = { s: d.s, d: d.d, q: d.q, h: d.h, r: d.r };
      if (d.p instanceof Uint8Array) {
        fields.p = hex(d.p);
        const a = app.decode(d.p);
        if (a.ok) fields.app = a.msg;
      }
      rec('deliver', fields);
      ev.emit('deliver', d, fields.app);
    });
    l.on('text', (t: string) => {
      // console text: whole lines, prompts and echo-off noise dropped
      textBuf += t;
      const lines = textBuf.split(/\r?\n/);
      textBuf = lines.pop() ?? '';
      if (textBuf.length > 512) { lines.push(textBuf); textBuf = ''; }
      for (const line of lines) {
        const s = line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/^>+/, '').trim();
        if (s) rec('text', { text: s });
      }
    });
    l.on('error', (e: { reason: string }) => {
      // garbage on the line: counted, shown at most 5 per second
      const sec = Math.floor(Date.now() / 1000);
      if (sec !== errorWindow) { errorWindow = sec; errorCount = 0; }
      if (++errorCount <= 5) rec('error', { reason: `bad link line: ${e.reason}` });
    });
  }

  let announce = true;
  async function connectOnce(): Promise<boolean> {
    if (announce) rec('status', { state: 'connecting', port: o.port });
    announce = false;
    try {
      port = await openPort(o.port, o.baud ?? 115200);
    } catch (e) {
      const err = e as SerialOpenError;
      const note = `${err.kind}: ${err.message}`;
      if (note !== lastBusyNote) { rec('status', { state: 'waiting', port: o.port, reason: err.message }); lastBusyNote = note; }
      return false;
    }
    lastBusyNote = '';
    if (stopped) { await closePort(port); port = undefined; return false; }
    const l = new NodeLink(port as any, { timeoutMs: 3000 });
    link = l;
    wire(l);
    const closed = new Promise<void>((r) => l.once('close', () => r()));
    // handshake: the node may be busy booting; a few tries
    let hello: Record<string, any> | undefined;
    for (let i = 0; i < 5 && !hello && !l.isClosed && !stopped; i++) {
      try { hello = await l.hello(2000); } catch { /* booting, or garbage ate the line: retry */ }
    }
    if (!hello) {
      if (!l.isClosed) rec('error', { reason: 'no handshake answer from the node (is Meshwork firmware running? try `meshwork console`)' });
    } else {
      rec('status', { state: 'connected', port: o.port });
      try { await subscribe(l); } catch { /* the next hello re-subscribes */ }
      const waiters = readyWaiters;
      readyWaiters = [];
      for (const w of waiters) w(l);
      if (pollS > 0) {
        poll(l).catch(() => {});
        pollTimer = setInterval(() => { poll(l).catch(() => {}); }, pollS * 1000);
      }
    }
    if (!hello && !l.isClosed) {
      // keep listening: a node booting later says HELLO by itself
      l.once('hello', () => {
        rec('status', { state: 'connected', port: o.port });
        subscribe(l).catch(() => {});
        const waiters = readyWaiters; readyWaiters = [];
        for (const w of waiters) w(l);
      });
    }
    await closed;
    if (pollTimer) { clearInterval(pollTimer); pollTimer = undefined; }
    link = undefined;
    if (port) { await closePort(port); port = undefined; }
    if (!stopped) rec('status', { state: 'disconnected', port: o.port, reason: 'the port closed (cable pulled or node reset?)' });
    announce = true;
    return true;
  }

  const loop = (async (): Promise<void> => {
    await new Promise((r) => setImmediate(r)); // let the caller attach its 'record' listener
    let delay = 250;
    let lastUp = Date.now();
    while (!stopped) {
      const wasUp = await connectOnce();
      if (stopped) break;
      if (wasUp) { delay = 250; lastUp = Date.now(); }
      if (o.giveUpMs !== undefined && Date.now() - lastUp > o.giveUpMs) { ev.emit('giveup'); break; }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(2000, delay * 2);
    }
  })();

  Object.defineProperty(ev, 'link', { get: () => link });
  Object.defineProperty(ev, 'info', { get: () => info });
  ev.ready = () => (link && info && !link.isClosed ? Promise.resolve(link) : new Promise((r) => readyWaiters.push(r)));
  ev.stop = async () => {
    stopped = true;
    if (pollTimer) clearInterval(pollTimer);
    if (link) link.close();
    if (port) await closePort(port);
    // an open in progress finishes, sees `stopped` and closes what it opened
    await Promise.race([loop, new Promise((r) => setTimeout(r, 3000))]);
  };
  return ev;
}

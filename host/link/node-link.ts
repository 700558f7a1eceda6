/**
 * NodeLink: the host's session with one node over any Duplex stream (serialport, a pty, a socket, a test
 * stream pair). It opens nothing itself (host/serial/ does, H7) and never destroys the stream it was given.
 *
 *   const link = new NodeLink(stream, { timeoutMs: 2000 });
 *   const info = await link.hello();                 // HELLO fields {v, fw, hash, board, id, name, role, …}
 *   const r = await link.request('get', { w: 'nb' }); // the REPLY map: {ok: true, n: […]} | {ok: false, err}
 *   link.on('hello', (info) => …)                     // also on an unsolicited HELLO: the node rebooted
 *
 * Requests resolve with the node's reply map as is (ok false is a value, not a throw); they reject only on
 * a timeout, on misuse (a payload the codec cannot carry) or when the link closes. A reply that arrives after
 * its timeout is dropped (`stats.lateReplies`). Requests are not failed when the node reboots (a request
 * written just after the reboot may still be answered); they time out instead. After a timeout NodeLink
 * writes RESYNC_LINE (command.ts): a command damaged on the wire can leave Espruino's REPL waiting for a ')'
 * and swallowing every later command; that line unsticks it (the node then prints a SyntaxError as text).
 *
 * Events:
 * - 'message' (LinkMsg)       every decoded message, REPLY included
 * - 'text' (string)           console text outside link lines (banner, prompt, REPL output)
 * - 'hello' (info)            HELLO received (unsolicited at boot) or hello() answered; `link.info` holds it
 * - 'error' (LinkError)       a bad line; emitted only while someone listens (an unheard 'error' would throw)
 * - 'close' ()                the stream ended or closed, or close() was called
 * - per type: 'log', 'event', 'traffic', 'deliver', 'neighbours', 'routes', 'telemetry' (msg)
 * - 'frame' (rssi, frame)     FRAME (GatewayLink, CONTRACTS.md §6)
 * GatewayLink methods: send(dst, payload, {hopLimit, ack}) and tx(frame), both → the reply.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  T_HELLO, T_LOG, T_EVENT, T_TRAFFIC, T_DELIVER, T_NEIGHBOURS, T_ROUTES, T_TELEMETRY, T_FRAME, T_REPLY,
} from '../../shared/host-link.ts';
import { createLinkDecoder } from './decoder.ts';
import type { LinkDecoder, LinkError, LinkItem, LinkMsg } from './decoder.ts';
import { encodeCommandLine, RESYNC_LINE } from './command.ts';

export interface NodeLinkOptions {
  /** default reply timeout (ms). Default 2000 */
  timeoutMs?: number;
  /** writes one command line (default: stream.write(line, 'latin1')); for throttled UART writers */
  write?: (line: string) => void;
  /** after a timeout, write RESYNC_LINE to unstick a REPL left waiting by a damaged command (default true) */
  resync?: boolean;
}

export interface NodeLinkStats {
  requests: number;
  replies: number;
  timeouts: number;
  lateReplies: number;
  hellos: number;
  lineErrors: number;
}

export type Reply = { ok: boolean; err?: string; [k: string]: any };

interface Pending {
  op: string;
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const TYPE_EVENTS: Record<number, string> = {
  [T_LOG]: 'log', [T_EVENT]: 'event', [T_TRAFFIC]: 'traffic', [T_DELIVER]: 'deliver',
  [T_NEIGHBOURS]: 'neighbours', [T_ROUTES]: 'routes', [T_TELEMETRY]: 'telemetry',
};

export class NodeLink extends EventEmitter {
  /** the last HELLO fields received (undefined before the first) */
  info: Record<string, any> | undefined;
  readonly stats: NodeLinkStats = { requests: 0, replies: 0, timeouts: 0, lateReplies: 0, hellos: 0, lineErrors: 0 };
  readonly decoder: LinkDecoder = createLinkDecoder();
  private readonly stream: Duplex;
  private readonly timeoutMs: number;
  private readonly writeLine: (line: string) => void;
  private readonly resync: boolean;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private readonly onData = (chunk: Buffer | string): void => this.handleItems(this.decoder.push(chunk));
  private readonly onEnd = (): void => this.close();

  constructor(stream: Duplex, opts: NodeLinkOptions = {}) {
    super();
    this.stream = stream;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.writeLine = opts.write ?? ((line: string) => { stream.write(line, 'latin1'); });
    this.resync = opts.resync ?? true;
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    // a stream 'error' must not crash the process: close the link, and tell 'error' listeners if any
    stream.on('error', this.onStreamError);
  }

  private readonly onStreamError = (e: Error): void => {
    if (this.listenerCount('error') > 0) this.emit('error', { kind: 'error', reason: 'stream: ' + e.message } satisfies LinkError);
    this.close();
  };

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one command and resolves with the node's REPLY map. */
  request(op: string, args: Record<string, unknown> = {}, timeoutMs = this.timeoutMs): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error('meshwork/link: link closed'));
    const id = this.allocId();
    if (id < 0) return Promise.reject(new Error('meshwork/link: 65535 requests pending'));
    let line: string;
    try {
      line = encodeCommandLine(id, { op, ...args });
    } catch (e) {
      return Promise.reject(e as Error);
    }
    this.stats.requests++;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.stats.timeouts++;
        if (this.resync && !this.closed) this.writeLine(RESYNC_LINE);
        reject(new Error(`meshwork/link: no reply to ${op} (id ${id}) within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { op, resolve, reject, timer });
      this.writeLine(line);
    });
  }

  /** The handshake: resolves with the HELLO fields (rejects when the node answers ok:false). */
  async hello(timeoutMs = this.timeoutMs): Promise<Record<string, any>> {
    const r = await this.request('hello', {}, timeoutMs);
    if (!r.ok) throw new Error(`meshwork/link: hello refused: ${r.err}`);
    const { ok: _ok, ...info } = r;
    this.setHello(info);
    return info;
  }

  /** GatewayLink: an application payload to dst (0xffffffff all, 0xfffffffe gateway). */
  send(dst: number, payload: Uint8Array, opts: { hopLimit?: number; ack?: boolean } = {}): Promise<Reply> {
    const args: Record<string, unknown> = { d: dst, p: payload };
    if (opts.ack) args.a = 1;
    if (opts.hopLimit !== undefined) args.h = opts.hopLimit;
    return this.request('send', args);
  }

  /** GatewayLink: an already sealed frame on the air. */
  tx(frame: Uint8Array): Promise<Reply> {
    return this.request('tx', { f: frame });
  }

  /** Stops listening to the stream and fails pending requests; the stream itself is left to its owner. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    // keep a no-op error listener: an 'error' after close must not crash the process
    this.stream.off('error', this.onStreamError);
    this.stream.on('error', () => {});
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new Error(`meshwork/link: link closed before the reply to ${p.op}`));
    }
    this.emit('close');
  }

  private allocId(): number {
    for (let k = 0; k < 0xffff; k++) {
      const id = this.nextId;
      this.nextId = id >= 0xffff ? 1 : id + 1;
      if (!this.pending.has(id)) return id;
    }
    return -1;
  }

  private setHello(info: Record<string, any>): void {
    this.info = info;
    this.stats.hellos++;
    this.emit('hello', info);
  }

  private handleItems(items: LinkItem[]): void {
    for (const it of items) {
      if (it.kind === 'text') this.emit('text', it.text);
      else if (it.kind === 'error') this.handleError(it);
      else this.handleMsg(it);
    }
  }

  private handleError(e: LinkError): void {
    this.stats.lineErrors++;
    // a reply whose payload does not decode still answers its request
    if (e.type === T_REPLY && e.id !== undefined) this.settle(e.id, { ok: false, err: e.reason });
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  private settle(id: number, r: Reply): void {
    const p = this.pending.get(id);
    if (!p) {
      this.stats.lateReplies++;
      return;
    }
    this.pending.delete(id);
    clearTimeout(p.timer);
    this.stats.replies++;
    p.resolve(r);
  }

  private handleMsg(m: LinkMsg): void {
    this.emit('message', m);
    const msg = m.msg;
    if (!msg) return;
    if (m.type === T_REPLY) this.settle(m.id, msg as Reply);
    else if (m.type === T_HELLO) this.setHello(msg);
    else if (m.type === T_FRAME) this.emit('frame', msg.rssi, msg.f);
    else {
      const name = TYPE_EVENTS[m.type];
      if (name) this.emit(name, msg);
    }
  }
}

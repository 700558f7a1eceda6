/**
 * GatewayLink: what the bridge needs from a gateway node (CONTRACTS §6). A serial-attached gateway implements
 * it with NodeLink (host/link, H2) over a port opened by host/serial (H7); tests implement it with frames
 * sealed by the real core (test/bridge-support.ts). The bridge never opens ports itself: it is given a
 * factory and calls it again whenever a link closes (gateway rebooted, cable pulled), with back-off.
 *
 * Events:  frame(rssi dBm, sealed frame bytes)   every frame the gateway hears (FRAME type 0x09)
 *          hello(info)                          the node's HELLO (id, mesh, fw …), on attach and after reboots
 *          close(reason?)                       the link is gone; the bridge drops it and re-opens a new one
 */
import { EventEmitter } from 'node:events';

export interface GatewayHello {
  /** node id (u32) */
  id: number;
  mesh?: string;
  fw?: string;
  board?: string;
  role?: string;
  [k: string]: unknown;
}

export interface SendOptions {
  /** hop limit; 0 = the gateway's neighbours only (the bridge's default: zero-hop downlink) */
  hopLimit?: number;
  /** ask for an end-to-end acknowledgement */
  ack?: boolean;
}

export interface SendResult { ok: boolean; err?: string; h?: number }

export interface GatewayLink extends EventEmitter {
  on(ev: 'frame', fn: (rssi: number, frame: Uint8Array) => void): this;
  on(ev: 'hello', fn: (info: GatewayHello) => void): this;
  on(ev: 'close', fn: (reason?: string) => void): this;
  on(ev: 'error', fn: (err: Error) => void): this;
  /** seal and send an application payload from the gateway node into the mesh */
  send(dst: number, payload: Uint8Array, opts: SendOptions): Promise<SendResult>;
  /** put an already sealed frame on the air (gateway downlink of raw frames) */
  tx(frame: Uint8Array): Promise<SendResult>;
  /** release the link (close the port); emits close */
  close(): void;
}

/** Opens a fresh link (e.g. the serial port again); rejects when the gateway is not there (yet). */
export type GatewayLinkFactory = () => Promise<GatewayLink>;

/**
 * The part of NodeLink (host/link/node-link.ts, CONTRACTS §5) the adapter uses. NodeLink already emits
 * 'frame' (rssi, frame), 'hello' and 'close' and has send/tx; the adapter adds what the bridge needs on top:
 * the frame subscription (sub f:4), renewed after every HELLO (a rebooted node forgets it), the hello
 * handshake at attach, and replies/timeouts turned into {ok, err} values (the bridge never sees a throw).
 */
export interface NodeLinkLike extends EventEmitter {
  request(op: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<{ ok: boolean; err?: string; [k: string]: unknown }>;
  send(dst: number, payload: Uint8Array, opts?: SendOptions): Promise<{ ok: boolean; err?: string; [k: string]: unknown }>;
  tx(frame: Uint8Array): Promise<{ ok: boolean; err?: string; [k: string]: unknown }>;
  hello(timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): void;
}

const SUB_FRAMES = 4;

export function nodeLinkGateway(link: NodeLinkLike, timeoutMs = 3000): GatewayLink {
  const g = new EventEmitter() as GatewayLink;
  let closed = false;
  const subscribe = (): void => {
    link.request('sub', { f: SUB_FRAMES }, timeoutMs).then((r) => {
      if (!r.ok) g.emit('error', new Error(`gateway refused the frame subscription: ${r.err}`));
    }, (e: Error) => { if (!closed) g.emit('error', e); });
  };
  link.on('frame', (rssi: number, frame: Uint8Array) => g.emit('frame', rssi, frame));
  link.on('hello', (info: GatewayHello) => { g.emit('hello', info); subscribe(); });
  link.on('close', () => { if (!closed) { closed = true; g.emit('close', 'link closed'); } });
  const value = (p: Promise<{ ok: boolean; err?: string; [k: string]: unknown }>): Promise<SendResult> =>
    p.then((r) => ({ ok: r.ok === true, err: r.err, h: r.h as number | undefined }), (e: Error) => ({ ok: false, err: e.message }));
  g.send = (dst, payload, opts) => value(link.send(dst >>> 0, payload, { hopLimit: opts.hopLimit ?? 0, ack: opts.ack }));
  g.tx = (frame) => value(link.tx(frame));
  g.close = () => link.close();
  // the handshake: NodeLink emits its HELLO as 'hello', which gives the bridge the gateway's id and subscribes
  link.hello(timeoutMs).catch(() => { subscribe(); /* a silent node: its next HELLO (boot) completes it */ });
  return g;
}

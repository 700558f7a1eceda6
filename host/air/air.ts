/**
 * The host "air" process: Espruino Linux interpreters running the udp-loopback radio
 * (firmware/radio-udp-loopback.ts) send every frame here; the air decides who hears it with the simulator's
 * radio model (air-model.ts) and forwards one datagram per receiver to that node's port, re-enveloped with the
 * sender's id and the RSSI it computed (firmware/_radio-envelope.ts: "Mw", kind, rssi i8, sender id u32 BE).
 *
 * Registration: a node is known by the first datagram (HELLO or FRAME) carrying its id; its port is the
 * datagram's source port (updated if the node comes back on another port). Topology index: `ids[i]` when
 * given, otherwise the next free index in registration order. Datagrams that are not envelopes, are too long,
 * or come from an id beyond the topology are counted and dropped, never thrown on.
 */
import dgram from 'node:dgram';
import { ENV_LEN, KIND_FRAME, KIND_HELLO, envelopeId, envelopeKind } from '../../firmware/_radio-envelope.ts';
import { RADIO_MAX_FRAME } from '../../firmware/radio-driver.ts';
import { createAirModel, type AirModel, type AirModelOptions, type AirCounters } from './air-model.ts';

export const DEFAULT_AIR_PORT = 47000;

export interface AirOptions extends AirModelOptions {
  /** UDP port to listen on (default 47000; 0 = any free port, read air.port) */
  port?: number;
  /** address to bind (default 127.0.0.1) */
  host?: string;
  /** node id at each topology index; unlisted ids take free indices in registration order */
  ids?: number[];
  /** delay every forwarded datagram by this much, ms (default 0: at once) */
  delayMs?: number;
  /** called for every frame on the air (after the decision), for monitors and tests */
  onFrame?: (fromId: number, len: number, receivers: { id: number; rssi: number }[]) => void;
}

export interface AirNode { id: number; index: number; port: number; address: string; tx: number; rx: number }

export interface AirStats extends AirCounters {
  datagrams: number;
  hellos: number;
  garbage: number;
  /** datagrams from ids that have no topology index left */
  unknown: number;
  /** in range of a registered index that has not said hello yet: nobody to forward to */
  unregistered: number;
  sendErrors: number;
}

export interface Air {
  readonly port: number;
  readonly model: AirModel;
  readonly counters: AirStats;
  nodes(): AirNode[];
  /** topology index of node id, or -1 */
  indexOf(id: number): number;
  setAlive(id: number, alive: boolean): void;
  fade(a: number, b: number, db: number): void;
  setLink(a: number, b: number, dbm: number | null): void;
  close(): Promise<void>;
}

export function createAir(o: AirOptions): Promise<Air> {
  const model = createAirModel(o);
  const n = model.n;
  const byIndex: (AirNode | null)[] = new Array(n).fill(null);
  const byId = new Map<number, AirNode>();
  const reserved = new Map<number, number>();
  (o.ids ?? []).forEach((id, i) => { if (i < n) reserved.set(id >>> 0, i); });
  const c: AirStats = Object.assign(model.counters, { datagrams: 0, hellos: 0, garbage: 0, unknown: 0, unregistered: 0, sendErrors: 0 });
  const sock = dgram.createSocket('udp4');
  const delay = o.delayMs ?? 0;
  const receivers: { id: number; rssi: number }[] = [];

  function register(id: number, port: number, address: string): AirNode | null {
    let node = byId.get(id);
    if (node) { node.port = port; node.address = address; return node; }
    let idx = reserved.has(id) ? reserved.get(id)! : -1;
    if (idx < 0) {
      for (let i = 0; i < n; i++) if (byIndex[i] === null && ![...reserved.values()].includes(i)) { idx = i; break; }
    }
    if (idx < 0 || byIndex[idx] !== null) return null;
    node = { id, index: idx, port, address, tx: 0, rx: 0 };
    byIndex[idx] = node;
    byId.set(id, node);
    return node;
  }

  function indexOfId(id: number): number {
    const node = byId.get(id >>> 0);
    if (node) return node.index;
    return reserved.get(id >>> 0) ?? -1;
  }

  function forward(to: AirNode, buf: Buffer): void {
    const go = () => sock.send(buf, to.port, to.address, (err) => { if (err) c.sendErrors++; });
    if (delay > 0) setTimeout(go, delay); else go();
  }

  sock.on('message', (msg, rinfo) => {
    c.datagrams++;
    const b = new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
    const kind = envelopeKind(b);
    if (kind === 0 || msg.length > ENV_LEN + RADIO_MAX_FRAME || (kind === KIND_FRAME && msg.length === ENV_LEN)) { c.garbage++; return; }
    const id = envelopeId(b);
    if (id === 0) { c.garbage++; return; }
    const node = register(id, rinfo.port, rinfo.address);
    if (node === null) { c.unknown++; return; }
    if (kind === KIND_HELLO) { c.hellos++; return; }
    node.tx++;
    receivers.length = 0;
    model.transmit(node.index, (to, rssi) => {
      const dst = byIndex[to];
      if (dst === null) { c.unregistered++; return; }
      const out = Buffer.from(msg);
      out[3] = rssi & 255;
      dst.rx++;
      receivers.push({ id: dst.id, rssi });
      forward(dst, out);
    });
    if (o.onFrame) o.onFrame(id, msg.length - ENV_LEN, receivers.slice());
  });

  function idx(id: number): number {
    const i = indexOfId(id);
    if (i < 0) throw new Error(`meshwork/air: unknown node id ${id}`);
    return i;
  }

  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(o.port ?? DEFAULT_AIR_PORT, o.host ?? '127.0.0.1', () => {
      sock.removeListener('error', reject);
      sock.on('error', () => { c.sendErrors++; });
      resolve({
        port: sock.address().port,
        model,
        counters: c,
        nodes: () => byIndex.filter((x): x is AirNode => x !== null).map((x) => ({ ...x })),
        indexOf: indexOfId,
        setAlive(id, a) { model.setAlive(idx(id), a); },
        fade(a, b, db) { model.fade(idx(a), idx(b), db); },
        setLink(a, b, dbm) { model.setLink(idx(a), idx(b), dbm); },
        close: () => new Promise<void>((res) => { try { sock.close(() => res()); } catch { res(); } }),
      });
    });
  });
}

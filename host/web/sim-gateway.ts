/**
 * The live simulation's gateway node as a GatewayLink (host/bridge/gateway-link.ts, CONTRACTS §6), so
 * `meshwork bridge`'s code can bridge a simulated mesh exactly as it bridges a serial-attached gateway:
 *
 *   const feed = await createSimFeed({ nodes: 30, meshKey: keyFile.epochs[0].key });
 *   const bridge = createBridge({ …, gateway: async () => simGatewayLink(feed) });
 *   await startDashboard({ feed, port: 8080 });
 *
 * frame(rssi, frame)  every frame the gateway's radio decodes (as FRAME messages do on a real gateway)
 * hello(info)         once, right after the link is made: the gateway's id, mesh 'sim', role, firmware
 * close(reason)       when close() is called or the simulation stops
 * send(dst, payload, {ack})  an application payload sent by the gateway's router (the simulated router has
 *                     no per-message hop limit: opts.hopLimit is ignored, the router's default applies)
 * tx(frame)           a sealed frame put on the air by the gateway's radio
 * Use the same network key for the feed (meshKey) and the bridge's key file, epoch 1.
 */
import { EventEmitter } from 'node:events';
import type { GatewayHello, GatewayLink, SendOptions, SendResult } from '../bridge/gateway-link.ts';
import type { SimFeed } from './sim-feed.ts';

export function simGatewayLink(feed: SimFeed): GatewayLink {
  const g = new EventEmitter() as GatewayLink;
  let closed = false;
  const self = feed.info.self!;
  const node = feed.snapshot().nodes.find((n) => n.id === self);
  const off = feed.gatewayFrames((rssi, frame) => { if (!closed) g.emit('frame', rssi, frame); });
  const end = (reason: string): void => {
    if (closed) return;
    closed = true;
    off();
    g.emit('close', reason);
  };
  feed.ended.then(() => end('the simulation stopped'), (e: Error) => end('the simulation failed: ' + e.message));
  g.send = (dst: number, payload: Uint8Array, opts: SendOptions): Promise<SendResult> =>
    (closed ? Promise.resolve({ ok: false, err: 'link closed' }) : feed.gatewaySend(dst, payload, opts.ack === true));
  g.tx = (frame: Uint8Array): Promise<SendResult> => (closed ? Promise.resolve({ ok: false, err: 'link closed' }) : feed.gatewayTx(frame));
  g.close = () => end('closed');
  const hello: GatewayHello = { id: parseInt(self, 16), mesh: 'sim', fw: node?.fw ?? 'sim', board: 'sim', role: 'gateway', name: node?.name };
  // after the caller has had a chance to attach listeners, as a serial gateway's HELLO arrives after attach
  setImmediate(() => { if (!closed) g.emit('hello', hello); });
  return g;
}

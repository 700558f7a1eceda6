/**
 * End to end with the simulator's gateway node: a 20-node mesh runs the real routing core (host/sim), every
 * frame the gateway node decodes on the air goes through a GatewayLink into the bridge (embedded broker),
 * and what the bridge publishes is checked against the gateway ROUTER's own deliveries (an independent
 * oracle): every message delivered to the gateway is published, with its text, exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { runSimulation } from '../host/sim/run.ts';
import { mix32 } from '../host/sim/rng.ts';
import { startBridge, type Bridge } from '../host/bridge/bridge.ts';
import type { GatewayLink } from '../host/bridge/gateway-link.ts';
import type { KeyFile } from '../host/keyfile.ts';
import { collect, tmp, waitFor, app, type Collector } from './bridge-support.ts';

describe('bridge fed by the simulator\'s gateway node', () => {
  let bridge: Bridge;
  let sub: Collector;
  afterAll(async () => { await sub?.close(); await bridge?.stop(); });

  it('publishes every message the gateway router delivered, once, and nothing unverified', async () => {
    const seed = 11;
    const heard: { frame: Uint8Array; rssi: number }[] = [];
    const delivered: { src: number; seq: number; text: string }[] = [];
    let gatewayId = 0;
    runSimulation({
      nodes: 20, topology: 'grid', seed, durationS: 60, gateways: [0],
      traffic: { unicastPerSec: 1, broadcastPerSec: 1, payloadBytes: 40 },
      observer: {
        attach(sim) { gatewayId = sim.ids[0]; },
        receive(node, frame, len, rssi) { if (node === 0) heard.push({ frame: frame.slice(0, len), rssi }); },
        deliver(node, payload, info) {
          if (node !== 0) return;
          const d = app.decode(payload);
          if (d.ok && d.msg.t === 'tx') delivered.push({ src: info.src, seq: info.seq, text: d.msg.m });
        },
      },
    });
    expect(delivered.length).toBeGreaterThan(20);
    // the simulator's mesh key (host/sim/run.ts), as a key file
    const key = new Uint8Array(16);
    for (let b = 0; b < 16; b++) key[b] = mix32(seed ^ (0xc0de + b)) & 0xff;
    const kf: KeyFile = { mesh: 'sim', current: 1, epochs: [{ epoch: 1, key, created: '' }] };
    const gw = new EventEmitter() as GatewayLink;
    gw.send = async () => ({ ok: true });
    gw.tx = async () => ({ ok: true });
    gw.close = () => {};
    bridge = await startBridge({ keyFile: kf, bridgeId: 'sim', queueDir: tmp(), gateway: async () => gw, embedded: { port: 0 }, log: () => {} });
    sub = await collect(bridge.url, ['meshwork/v1/sim/node/+/+']);
    await waitFor(() => bridge.connected(), 5000, 'connected');
    gw.emit('hello', { id: gatewayId });
    await new Promise((r) => setTimeout(r, 50));
    for (const h of heard) gw.emit('frame', h.rssi, h.frame);
    const u = bridge.uplink.counters;
    await waitFor(() => sub.messages.length >= u.published, 20_000, 'all published');
    await new Promise((r) => setTimeout(r, 300));
    const pub = sub.messages.map((m) => JSON.parse(m.payload.toString()));
    const key2 = (s: string | number, q: number) => `${typeof s === 'number' ? s.toString(16).padStart(8, '0') : s}:${q}`;
    const byKey = new Map<string, number>();
    for (const p of pub) byKey.set(key2(p.src, p.seq), (byKey.get(key2(p.src, p.seq)) ?? 0) + 1);
    console.log(`sim: gateway heard ${heard.length} frames (${u.control} control, ${u.duplicate} copies, ${u.invalid} invalid); ` +
      `router delivered ${delivered.length} text messages; bridge published ${pub.length} (incl. unicasts between other nodes it overheard)`);
    expect(u.invalid).toBe(0);
    expect(u.control).toBeGreaterThan(0);
    expect(u.duplicate).toBeGreaterThan(0);
    expect([...byKey.values()].every((c) => c === 1)).toBe(true);
    for (const d of delivered) {
      const p = pub.find((x) => x.src === d.src.toString(16).padStart(8, '0') && x.seq === d.seq);
      expect(p?.msg?.m, `message ${d.src.toString(16)}:${d.seq}`).toBe(d.text);
      expect(p.gw).toBe(gatewayId.toString(16).padStart(8, '0'));
    }
  }, 40_000);
});

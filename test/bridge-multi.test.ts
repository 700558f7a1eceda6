/**
 * Many gateways: two bridges on one broker and one mesh never publish a frame twice (claims.ts), even when
 * both hear everything; two bridges on different meshes link them over the broker, without loops.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../host/bridge/bridge.ts';
import { collect, createFakeGateway, createSealer, keyFileFor, startMosquitto, tmp, waitFor, app, type FakeGateway, type Mosquitto, type Collector } from './bridge-support.ts';
import { mulberry32 } from './support/mulberry32.ts';

describe('two bridges, one mesh, one broker', () => {
  let mosq: Mosquitto;
  const bridges: Bridge[] = [];
  let sub: Collector;
  afterAll(async () => { await sub?.close(); for (const b of bridges) await b.stop(); await mosq?.stop(); });

  it('publishes every frame exactly once, whichever gateways heard it', async () => {
    const MESH = 'onemesh';
    const kf = keyFileFor(MESH);
    const seal = createSealer(kf);
    mosq = await startMosquitto();
    const gws: FakeGateway[] = [];
    for (const [i, id] of ['alpha', 'beta'].entries()) {
      bridges.push(await startBridge({
        keyFile: kf, bridgeId: id, queueDir: tmp(), gateway: async () => (gws[i] = createFakeGateway(kf, 0x10 + i)),
        mqtt: { url: mosq.url }, log: () => {},
      }));
    }
    sub = await collect(mosq.url, [`meshwork/v1/${MESH}/node/+/+`, `meshwork/v1/${MESH}/raw/+`]);
    await waitFor(() => bridges.every((b) => b.connected() && b.gateway()) && gws.length === 2, 5000, 'bridges up');
    const rnd = mulberry32(7);
    const N = 2000;
    const heardBy = { both: 0, alpha: 0, beta: 0 };
    for (let i = 0; i < N; i++) {
      const f = seal({ src: 0x200 + (i % 8), seq: 1 + (i >> 3), payload: app.encode({ t: 'tx', m: `f${i}` }) });
      const r = rnd();
      const who = r < 0.8 ? 'both' : r < 0.9 ? 'alpha' : 'beta';
      heardBy[who]++;
      // each gateway hears it with its own small delay (air, serial line), in either order
      if (who !== 'beta') setTimeout(() => gws[0].hear(f), Math.floor(rnd() * 20));
      if (who !== 'alpha') setTimeout(() => gws[1].hear(f), Math.floor(rnd() * 20));
      if (i % 100 === 99) await new Promise((res) => setTimeout(res, 15));
    }
    const texts = () => sub.messages.filter((m) => m.topic.endsWith('/text'));
    await waitFor(() => texts().length >= N, 20_000, 'all published');
    await new Promise((res) => setTimeout(res, 1500));
    const count = new Map<string, number>();
    for (const m of texts()) { const k = JSON.parse(m.payload.toString()).msg.m; count.set(k, (count.get(k) ?? 0) + 1); }
    const raws = sub.messages.filter((m) => m.topic.includes('/raw/')).length;
    const by = new Map<string, number>();
    for (const m of texts()) { const b = JSON.parse(m.payload.toString()).bridge; by.set(b, (by.get(b) ?? 0) + 1); }
    console.log(`two bridges: ${JSON.stringify(heardBy)}; published by ${JSON.stringify(Object.fromEntries(by))}; ` +
      `claims alpha ${JSON.stringify((bridges[0].status() as any).claims)} beta ${JSON.stringify((bridges[1].status() as any).claims)}`);
    expect(count.size).toBe(N);
    expect([...count.values()].filter((c) => c > 1)).toEqual([]);
    expect(raws).toBe(N);
    expect(by.get('alpha')! + by.get('beta')!).toBe(N);
    expect(by.get('alpha')).toBeGreaterThan(heardBy.alpha); // both bridges took part
    expect(by.get('beta')).toBeGreaterThan(heardBy.beta);
  }, 40_000);
});

describe('mesh-to-mesh over the broker', () => {
  let mosq: Mosquitto;
  const bridges: Bridge[] = [];
  afterAll(async () => { for (const b of bridges) await b.stop(); await mosq?.stop(); });

  it('carries text between two meshes once each way, never back (loops), and refuses stripped or forged envelopes', async () => {
    mosq = await startMosquitto();
    const kA = keyFileFor('mesh-a');
    const kB = keyFileFor('mesh-b');
    let gA!: FakeGateway;
    let gB!: FakeGateway;
    const dl = { maxHops: 0, bridgeRatePerSec: 50, bridgeBurst: 50, dstRatePerSec: 50, dstBurst: 50 };
    bridges.push(await startBridge({
      keyFile: kA, bridgeId: 'ga', queueDir: tmp(), gateway: async () => (gA = createFakeGateway(kA, 0xa0, { echo: true })),
      mqtt: { url: mosq.url }, links: [{ mesh: 'mesh-b', keyFile: kB }], downlink: dl, log: () => {},
    }));
    bridges.push(await startBridge({
      keyFile: kB, bridgeId: 'gb', queueDir: tmp(), gateway: async () => (gB = createFakeGateway(kB, 0xb0, { echo: true })),
      mqtt: { url: mosq.url }, links: [{ mesh: 'mesh-a', keyFile: kA }], downlink: dl, log: () => {},
    }));
    const sub = await collect(mosq.url, ['meshwork/v1/+/node/+/text']);
    await waitFor(() => bridges.every((b) => b.connected() && b.gateway()), 5000, 'bridges up');

    gA.hearMsg(0x1a, 1, { t: 'tx', m: 'hello from A' });
    gB.hearMsg(0x1b, 1, { t: 'tx', m: 'hello from B' });
    await waitFor(() => gA.sent.length >= 1 && gB.sent.length >= 1, 5000, 'crossed');
    await new Promise((r) => setTimeout(r, 1000)); // echoes come back and are published; nothing more may be sent
    const msgs = (s: { payload: Uint8Array }[]) => s.map((x) => (app.decode(x.payload) as any).msg.m);
    expect(msgs(gB.sent)).toEqual(['hello from A']);
    expect(msgs(gA.sent)).toEqual(['hello from B']);
    expect(gB.sent[0].opts.hopLimit).toBe(0);
    // the echo in mesh B is published there, marked as carried from mesh A
    const echoB = sub.messages.map((m) => JSON.parse(m.payload.toString())).find((e) => e.mesh === 'mesh-b' && e.msg.m === 'hello from A');
    expect(echoB).toMatchObject({ src: '000000b0', via: ['mesh-a', 'mesh-b'], injected: true });
    expect((bridges[0].status() as any).counters.linkLoopsPrevented).toBeGreaterThanOrEqual(1);

    // an attacker strips `via` from that echo and republishes it: bridge A recognises its own message
    const { via: _v, injected: _i, ...stripped } = echoB;
    sub.client.publish('meshwork/v1/mesh-b/node/000000b0/text', JSON.stringify(stripped), { qos: 1 });
    // and forges an envelope whose frame is not sealed with mesh B's key
    const forged = { ...stripped, frame: Buffer.from(createSealer(keyFileFor('mesh-b'))({ src: 0x66, seq: 1, payload: app.encode({ t: 'tx', m: 'forged' }) })).toString('base64') };
    sub.client.publish('meshwork/v1/mesh-b/node/00000066/text', JSON.stringify(forged), { qos: 1 });
    await new Promise((r) => setTimeout(r, 500));
    expect(msgs(gA.sent)).toEqual(['hello from B']);
    expect((bridges[0].status() as any).counters.linkRejected).toBeGreaterThanOrEqual(1);
    await sub.close();
  }, 30_000);
});

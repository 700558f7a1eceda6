/**
 * Downlink against real brokers: unauthorised commands are refused and logged, authorised ones (signed, or
 * from an allow-listed publisher on the embedded broker) reach the gateway zero-hop, and a flood is held to
 * the token-bucket rate (per destination and per bridge).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startBridge, type Bridge } from '../host/bridge/bridge.ts';
import { deriveDownlinkKey, signCommand } from '../host/bridge/command-sign.ts';
import { createFakeGateway, keyFileFor, startMosquitto, tmp, waitFor, app, type FakeGateway, type Mosquitto } from './bridge-support.ts';

const MESH = 'dlmesh';
const T = (x: string) => `meshwork/v1/${MESH}/cmd/${x}`;

async function client(url: string, o: { clientId?: string; username?: string } = {}) {
  const c = mqtt.connect(url, { ...o, reconnectPeriod: 0 });
  await new Promise<void>((res, rej) => { c.once('connect', () => res()); c.once('error', rej); });
  return c;
}

for (const broker of ['aedes', 'mosquitto'] as const) {
  describe(`bridge downlink via ${broker}`, () => {
    const kf = keyFileFor(MESH);
    const key = deriveDownlinkKey(kf);
    const logs: Record<string, unknown>[] = [];
    let mosq: Mosquitto | null = null;
    let bridge: Bridge;
    let gw: FakeGateway;
    let n = 0;
    const signed = (topic: string, cmd: Record<string, unknown>, k = key) => signCommand(k, topic, { ts: Date.now(), n: `n${++n}`, ...cmd });

    beforeAll(async () => {
      if (broker === 'mosquitto') mosq = await startMosquitto();
      bridge = await startBridge({
        keyFile: kf, bridgeId: 'dl', queueDir: tmp(), gateway: async () => (gw = createFakeGateway(kf, 0x77)),
        mqtt: mosq ? { url: mosq.url } : undefined, embedded: { port: 0 },
        downlink: { key, allow: ['ops-console'], dstRatePerSec: 1, dstBurst: 3, bridgeRatePerSec: 4, bridgeBurst: 6 },
        log: (e) => logs.push(e),
      });
      await waitFor(() => bridge.connected() && !!bridge.gateway(), 5000, 'bridge up');
    });
    afterAll(async () => { await bridge?.stop(); await mosq?.stop(); });

    it('refuses and logs unsigned, badly signed, replayed and over-hop commands', async () => {
      const cmd = { msg: { t: 'tx', m: 'evil' } };
      const replay = signed(T('00000042'), cmd);
      const wrongKey = new Uint8Array(32).fill(7);
      const payloads: [string, string][] = [
        [T('00000042'), JSON.stringify({ ts: Date.now(), n: 'x', ...cmd })],           // unsigned, not allow-listed
        [T('00000042'), signed(T('00000042'), cmd, wrongKey)],                         // wrong key
        [T('00000043'), signed(T('00000042'), cmd)],                                   // signature for another topic
        [T('00000042'), signCommand(key, T('00000042'), { ts: Date.now() - 3_600_000, n: 'old', ...cmd })], // stale
        [T('00000042'), replay], [T('00000042'), replay],                              // the second is a replay
        [T('00000042'), signed(T('00000042'), { ...cmd, h: 3 })],                      // hop limit above maxHops 0
      ];
      const handled = () => { const k = bridge.downlink.counters; return k.rejectedAuth + k.rejectedBad + k.accepted; };
      for (const [i, [t, p]] of payloads.entries()) {
        // a fresh publisher each time: aedes disconnects a publisher whose command it refused
        const cc = await client(bridge.url, { clientId: `stranger-${i}` });
        cc.on('error', () => {});
        const before = handled();
        cc.publish(t, p, { qos: 0 });
        await waitFor(() => handled() > before, 5000, `command ${i} handled`);
        cc.end(true);
      }
      await waitFor(() => bridge.downlink.counters.rejectedAuth + bridge.downlink.counters.rejectedBad >= 6, 5000, `rejections (${JSON.stringify(bridge.downlink.counters)})`);
      expect(gw.sent).toHaveLength(1); // only the first copy of `replay`
      expect(gw.sent[0].opts.hopLimit).toBe(0);
      const rej = logs.filter((l) => l.event === 'downlink-rejected');
      expect(rej.map((l) => l.reason)).toEqual(expect.arrayContaining([
        expect.stringMatching(/not signed/), 'bad signature', expect.stringMatching(/too old/), expect.stringMatching(/replayed/), expect.stringMatching(/hop limit/),
      ]));
      expect(rej.every((l) => !JSON.stringify(l).includes('evil'))).toBe(true); // payloads are not logged
      const all = JSON.stringify(logs);
      for (const k of [Buffer.from(kf.epochs[0].key), Buffer.from(key)]) {
        for (const t of [k.toString('hex'), k.toString('hex').toUpperCase(), k.toString('base64').replace(/=+$/, ''), k.toString('base64url')]) expect(all).not.toContain(t);
      }
      gw.sent.length = 0;
    });

    it('delivers a signed command to the gateway, zero-hop, with the app message encoded', async () => {
      const c = await client(bridge.url);
      c.publish(T('00000042'), signed(T('00000042'), { msg: { t: 'tx', m: 'hi 42' } }), { qos: 1 });
      c.publish(T('all'), signed(T('all'), { msg: { t: 'pi', id: 5 } }), { qos: 1 });
      await waitFor(() => gw.sent.length >= 2, 5000, 'sent');
      expect(gw.sent[0]).toMatchObject({ dst: 0x42, opts: { hopLimit: 0 } });
      expect(app.decode(gw.sent[0].payload)).toEqual({ ok: true, msg: { t: 'tx', m: 'hi 42' } });
      expect(gw.sent[1].dst).toBe(0xffffffff);
      c.end(true);
      gw.sent.length = 0;
    });

    if (broker === 'aedes') {
      it('accepts unsigned commands from an allow-listed publisher on the embedded broker', async () => {
        const c = await client(bridge.url, { clientId: 'ops-console' });
        c.publish(T('00000050'), JSON.stringify({ msg: { t: 'tx', m: 'from ops' } }), { qos: 1 });
        await waitFor(() => gw.sent.length >= 1, 5000, 'allow-listed send');
        expect(app.decode(gw.sent[0].payload)).toEqual({ ok: true, msg: { t: 'tx', m: 'from ops' } });
        c.end(true);
        gw.sent.length = 0;
      });
    }

    it('holds a downlink flood to its rate, per destination and per bridge', async () => {
      await new Promise((r) => setTimeout(r, 1600)); // buckets refill after the earlier tests
      const c = await client(bridge.url);
      const t0 = Date.now();
      // 3 s of flooding: 50 commands/s to node 0x60, and 50/s spread over 20 other nodes
      let i = 0;
      while (Date.now() - t0 < 3000) {
        c.publish(T('00000060'), signed(T('00000060'), { msg: { t: 'pi', id: i } }), { qos: 0 });
        c.publish(T((0x100 + (i % 20)).toString(16).padStart(8, '0')), signed(T((0x100 + (i % 20)).toString(16).padStart(8, '0')), { msg: { t: 'pi', id: i } }), { qos: 0 });
        i++;
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 300));
      const secs = (Date.now() - t0) / 1000;
      const to60 = gw.sent.filter((s) => s.dst === 0x60).length;
      const total = gw.sent.length;
      console.log(`${broker}: flood of ${2 * i} commands in ${secs.toFixed(1)} s → ${total} sent (${to60} to 0x60); rejectedRate ${bridge.downlink.counters.rejectedRate}`);
      // per destination: burst 3 + 1/s; per bridge: burst 6 + 4/s
      expect(to60).toBeLessThanOrEqual(3 + Math.ceil(secs * 1) + 1);
      expect(to60).toBeGreaterThanOrEqual(3);
      expect(total).toBeLessThanOrEqual(6 + Math.ceil(secs * 4) + 1);
      expect(total).toBeGreaterThanOrEqual(6 + Math.floor((secs - 1) * 4)); // the bridge bucket was the limit, and it was used
      expect(bridge.downlink.counters.rejectedRate).toBeGreaterThan(2 * i - total - 5);
      c.end(true);
    });
  });
}

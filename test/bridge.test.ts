/**
 * Uplink against real brokers (embedded aedes and a mosquitto started here): topics and payloads, checks
 * (tampered, foreign-key and duplicate frames are never published), status topic, and no key byte in any
 * topic, payload or log line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode as cborDecode } from 'cbor-x';
import { startBridge, type Bridge } from '../host/bridge/bridge.ts';
import { deriveDownlinkKey } from '../host/bridge/command-sign.ts';
import { Flag } from '../shared/frame.ts';
import { fragmentCount, writeFragment, fragmentChunkSize } from '../shared/fragmenter.ts';
import { crc32 } from '../host/crc32.ts';
import { collect, createFakeGateway, createSealer, keyFileFor, startMosquitto, tmp, waitFor, app, type Collector, type FakeGateway, type Mosquitto } from './bridge-support.ts';

const MESH = 'testmesh';

for (const broker of ['aedes', 'mosquitto'] as const) {
  describe(`bridge uplink via ${broker}`, () => {
    const kf = keyFileFor(MESH);
    const other = keyFileFor(MESH);
    const seal = createSealer(kf);
    const sealOther = createSealer(other);
    const logs: string[] = [];
    let mosq: Mosquitto | null = null;
    let bridge: Bridge;
    let gw: FakeGateway;
    let sub: Collector;

    beforeAll(async () => {
      if (broker === 'mosquitto') mosq = await startMosquitto();
      bridge = await startBridge({
        keyFile: kf, bridgeId: 'b1', queueDir: tmp(), gateway: async () => (gw = createFakeGateway(kf, 0x0a0b0c0d)),
        mqtt: mosq ? { url: mosq.url } : undefined, embedded: { port: 0 },
        log: (e) => logs.push(JSON.stringify(e)),
      });
      sub = await collect(bridge.url, [`meshwork/v1/${MESH}/#`]);
      await waitFor(() => bridge.connected() && !!bridge.gateway() && (bridge.status().gateway as any).id !== null, 5000, 'bridge up');
    });
    afterAll(async () => {
      await sub?.close();
      await bridge?.stop();
      await mosq?.stop();
    });

    it('publishes a verified message as JSON, CBOR and raw, once, with no key anywhere', async () => {
      const f = gw.hearMsg(0x1234, 1, { t: 'tx', m: 'hello mesh' }, -71);
      gw.hear(f, -80); // the same frame relayed by another neighbour: published once
      const tampered = seal({ src: 0x1234, seq: 4, payload: app.encode({ t: 'tx', m: 'tampered' }) }); tampered[25] ^= 1;
      gw.hear(tampered);
      gw.hear(sealOther({ src: 0x1234, seq: 2, payload: app.encode({ t: 'tx', m: 'forged' }) }));
      gw.hear(new Uint8Array([1, 2, 3]));
      gw.hearMsg(0x1234, 3, { t: 'tm', up: 5, mem: 900, nb: [[0x99, 120, -60]], v: '0.1', b: 'esp32' });
      gw.hear(seal({ src: 0x77, seq: 9, dst: 0x1234, payload: new Uint8Array([0xde, 0xad]) }));
      const n = (part: string) => sub.messages.filter((m) => m.topic.includes(part)).length;
      await sub.waitFor(() => n('/cbor/node/') >= 3 && n('/raw/') >= 3 && n(`${MESH}/node/`) >= 3, 10_000, 'json, cbor and raw messages');
      await new Promise((r) => setTimeout(r, 300)); // and nothing more (no second copy) arrives
      const byTopic = (t: string) => sub.messages.filter((m) => m.topic === `meshwork/v1/${MESH}/${t}`);
      const text = byTopic('node/00001234/text');
      expect(text).toHaveLength(1);
      const j = JSON.parse(text[0].payload.toString());
      expect(j).toMatchObject({ v: 1, mesh: MESH, src: '00001234', dst: 'all', seq: 1, epoch: 1, hops: 0, rssi: -71, gw: '0a0b0c0d', bridge: 'b1', kind: 'text', msg: { t: 'tx', m: 'hello mesh' } });
      expect(Buffer.from(j.frame, 'base64').equals(Buffer.from(f))).toBe(true);
      const c = byTopic('cbor/node/00001234/text');
      expect(c).toHaveLength(1);
      expect(cborDecode(c[0].payload)).toMatchObject({ src: '00001234', seq: 1, msg: { t: 'tx', m: 'hello mesh' } });
      const raw = byTopic('raw/00001234');
      expect(raw).toHaveLength(2); // seq 1 and seq 3
      expect(raw[0].payload.equals(Buffer.from(f))).toBe(true);
      expect(JSON.parse(byTopic('node/00001234/telemetry')[0].payload.toString()).msg).toEqual({ t: 'tm', up: 5, mem: 900, nb: [[0x99, 120, -60]], v: '0.1', b: 'esp32' });
      const data = JSON.parse(byTopic('node/00000077/data')[0].payload.toString());
      expect(data).toMatchObject({ kind: 'data', dst: '00001234', payload: Buffer.from([0xde, 0xad]).toString('base64') });
      expect(sub.messages.some((m) => m.payload.includes(Buffer.from('forged')) || m.topic.includes('00001234') && m.payload.includes(Buffer.from(tampered)))).toBe(false);
      expect(bridge.uplink.counters).toMatchObject({ duplicate: 1, invalid: 3, published: 3 });

      // the key: as bytes, hex (both cases), base64 (both alphabets), and the derived downlink key
      const key = Buffer.from(kf.epochs[0].key);
      const dl = Buffer.from(deriveDownlinkKey(kf));
      const needles = [key, dl].flatMap((k) => [k, Buffer.from(k.toString('hex')), Buffer.from(k.toString('hex').toUpperCase()),
        Buffer.from(k.toString('base64').replace(/=+$/, '')), Buffer.from(k.toString('base64url'))]);
      const hay = sub.messages.map((m) => Buffer.concat([Buffer.from(m.topic), m.payload])).concat(logs.map((l) => Buffer.from(l)));
      expect(hay.length).toBeGreaterThan(5);
      for (const h of hay) for (const n of needles) expect(h.includes(n)).toBe(false);
    });

    it('reassembles fragmented messages and publishes each fragment raw', async () => {
      const big = app.encode({ t: 'tx', m: 'x'.repeat(500) });
      const MAXP = 200;
      const n = fragmentCount(big.length, MAXP);
      const chunk = fragmentChunkSize(MAXP);
      const out = new Uint8Array(250);
      for (let i = n - 1; i >= 0; i--) { // out of order on purpose
        const len = writeFragment(big, 7, i, MAXP, crc32(big), out, 0);
        gw.hear(seal({ src: 0x4444, seq: 10 + i, payload: out.slice(0, len), flags: Flag.Frag }));
      }
      await sub.waitFor(() => sub.messages.some((m) => m.topic.endsWith('node/00004444/text')), 5000, 'reassembled');
      const j = JSON.parse(sub.messages.find((m) => m.topic.endsWith('node/00004444/text'))!.payload.toString());
      expect(j.msg.m).toBe('x'.repeat(500));
      expect(sub.messages.filter((m) => m.topic.endsWith('raw/00004444'))).toHaveLength(n);
      expect(chunk).toBeGreaterThan(0);
    });

    it('keeps a retained status topic with counters', async () => {
      const s = await collect(bridge.url, [`meshwork/v1/${MESH}/bridge/b1/status`]);
      await s.waitFor(() => s.messages.length > 0, 5000, 'status');
      const st = JSON.parse(s.messages[0].payload.toString());
      expect(s.messages[0].retain).toBe(true);
      expect(st).toMatchObject({ state: 'online', bridge: 'b1', mesh: MESH, gateway: { attached: true, id: '0a0b0c0d' } });
      await s.close();
    });

    it('re-attaches a gateway that was unplugged, without a restart', async () => {
      const first = gw;
      first.unplug();
      await waitFor(() => gw !== first && !!bridge.gateway(), 5000, 're-attach');
      gw.hearMsg(0x5555, 1, { t: 'tx', m: 'after replug' });
      await sub.waitFor(() => sub.messages.some((m) => m.topic.endsWith('node/00005555/text')), 5000, 'message after re-attach');
    });
  });
}

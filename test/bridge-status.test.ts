/**
 * Bridge status and resilience: the retained status goes "offline" through the last will when a bridge dies
 * (SIGKILL of a bridge process), and on a clean stop; a gateway that is not there at start is attached when
 * it appears (the factory is retried with back-off).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { writeKeyFile } from '../host/keyfile.ts';
import { startBridge } from '../host/bridge/bridge.ts';
import { collect, createFakeGateway, keyFileFor, startMosquitto, tmp, waitFor, type FakeGateway, type Mosquitto } from './bridge-support.ts';

const ROOT = join(__dirname, '..');

describe('bridge status and re-attach', () => {
  let mosq: Mosquitto;
  afterAll(async () => { await mosq?.stop(); });

  it('goes offline by last will when the bridge process is killed', async () => {
    mosq = await startMosquitto();
    const dir = tmp();
    const kf = keyFileFor('willmesh');
    writeKeyFile(join(dir, 'k'), kf);
    const script = `
      import { startBridge } from './host/bridge/bridge.ts';
      import { readKeyFile } from './host/keyfile.ts';
      import { createFakeGateway } from './test/bridge-support.ts';
      const kf = readKeyFile(${JSON.stringify(join(dir, 'k'))}).value;
      await startBridge({ keyFile: kf, bridgeId: 'doomed', queueDir: ${JSON.stringify(join(dir, 'q'))},
        gateway: async () => createFakeGateway(kf, 5), mqtt: { url: ${JSON.stringify(mosq.url)} }, log: () => {} });
      console.log('up');`;
    const child = spawn('node', ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const sub = await collect(mosq.url, ['meshwork/v1/willmesh/bridge/+/status']);
    await sub.waitFor(() => sub.messages.some((m) => JSON.parse(m.payload.toString()).state === 'online'), 20_000, 'online');
    child.kill('SIGKILL');
    await sub.waitFor(() => sub.messages.some((m) => JSON.parse(m.payload.toString()).state === 'offline'), 10_000, 'offline by will');
    await sub.close();
    // retained: a late subscriber sees offline
    const late = await collect(mosq.url, ['meshwork/v1/willmesh/bridge/doomed/status']);
    await late.waitFor(() => late.messages.length > 0, 5000, 'retained');
    expect(JSON.parse(late.messages[0].payload.toString())).toMatchObject({ state: 'offline', bridge: 'doomed' });
    expect(late.messages[0].retain).toBe(true);
    await late.close();
  }, 40_000);

  it('attaches a gateway that appears after the bridge started, and says offline on a clean stop', async () => {
    const kf = keyFileFor('latemesh');
    let tries = 0;
    let gw: FakeGateway | null = null;
    const logs: Record<string, unknown>[] = [];
    const b = await startBridge({
      keyFile: kf, bridgeId: 'late', queueDir: tmp(), mqtt: { url: mosq.url }, reconnect: { minMs: 50, maxMs: 200 }, log: (e) => logs.push(e),
      gateway: async () => { if (++tries < 4) throw new Error('serial port /dev/ttyUSB0 does not exist'); return (gw = createFakeGateway(kf, 9)); },
    });
    const sub = await collect(mosq.url, ['meshwork/v1/latemesh/#']);
    await waitFor(() => !!b.gateway(), 5000, 'attached');
    expect(tries).toBe(4);
    expect(logs.filter((l) => l.event === 'gateway-open-failed')).toHaveLength(3);
    gw!.hearMsg(0x31, 1, { t: 'tx', m: 'late but here' });
    await sub.waitFor(() => sub.messages.some((m) => m.topic.endsWith('node/00000031/text')), 5000, 'published');
    await b.stop();
    await sub.waitFor(() => sub.messages.some((m) => m.topic.endsWith('late/status') && JSON.parse(m.payload.toString()).state === 'offline'), 5000, 'offline on stop');
    await sub.close();
  }, 20_000);
});

describe('MQTT reconnect back-off', () => {
  it('doubles the wait between attempts up to the maximum while the broker is away', async () => {
    const { createServer } = await import('node:net');
    const times: number[] = [];
    // a "broker" that drops every connection at once
    const srv = createServer((s) => { times.push(Date.now()); s.destroy(); });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    const kf = keyFileFor('backoff');
    const b = await startBridge({
      keyFile: kf, bridgeId: 'bo', queueDir: tmp(), gateway: async () => createFakeGateway(kf, 1),
      mqtt: { url: `mqtt://127.0.0.1:${port}` }, reconnect: { minMs: 50, maxMs: 400 }, log: () => {},
    });
    await new Promise((r) => setTimeout(r, 2000));
    await b.stop();
    srv.close();
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    console.log(`back-off: ${times.length} attempts in 2 s, gaps ${gaps.join(', ')} ms`);
    // a fixed 50 ms interval would make ~40 attempts; 50, 100, 200, 400, 400 … makes about 7
    expect(times.length).toBeLessThanOrEqual(10);
    expect(times.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(350);
    expect(Math.max(...gaps)).toBeLessThan(700);
  });
});

/**
 * An external broker the way it is run in production: mosquitto with TLS (a CA made here with openssl),
 * username/password (mosquitto_passwd) and MQTT 5. The bridge connects with --ca / username / password /
 * MQTT 5; a wrong password is refused by the broker and reported; --insecure connects without the CA.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startBridge, type Bridge } from '../host/bridge/bridge.ts';
import { createFakeGateway, keyFileFor, startMosquitto, tmp, waitFor, type FakeGateway, type Mosquitto } from './bridge-support.ts';

function makeCerts(dir: string): void {
  const o = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=meshwork-test-ca', '-keyout', 'ca.key', '-out', 'ca.crt']);
  o(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
  execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1" > san.ext'], { cwd: dir });
  o(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.crt']);
}

describe('bridge to a TLS + password + MQTT 5 mosquitto', () => {
  let mosq: Mosquitto;
  const bridges: Bridge[] = [];
  afterAll(async () => { for (const b of bridges) await b.stop(); await mosq?.stop(); });

  it('connects with --ca, username and password over MQTT 5 and publishes; refuses a wrong password', async () => {
    const dir = tmp('mw-tls-');
    makeCerts(dir);
    execFileSync('mosquitto_passwd', ['-c', '-b', join(dir, 'passwd'), 'bridge', 's3cret-pw']);
    mosq = await startMosquitto({
      scheme: 'mqtts',
      extra: [`cafile ${join(dir, 'ca.crt')}`, `certfile ${join(dir, 'server.crt')}`, `keyfile ${join(dir, 'server.key')}`,
        'allow_anonymous false', `password_file ${join(dir, 'passwd')}`],
    });
    const kf = keyFileFor('tlsmesh');
    let gw!: FakeGateway;
    const logs: Record<string, unknown>[] = [];
    const b = await startBridge({
      keyFile: kf, bridgeId: 'tls', queueDir: tmp(), gateway: async () => (gw = createFakeGateway(kf, 3)), log: (e) => logs.push(e),
      mqtt: { url: mosq.url, username: 'bridge', password: 's3cret-pw', ca: join(dir, 'ca.crt'), protocolVersion: 5 },
    });
    bridges.push(b);
    const sub = mqtt.connect(mosq.url, { username: 'bridge', password: 's3cret-pw', ca: readFileSync(join(dir, 'ca.crt')), protocolVersion: 5 });
    const got: string[] = [];
    sub.on('message', (t) => got.push(t));
    await new Promise<void>((res, rej) => { sub.once('connect', () => res()); sub.once('error', rej); });
    await sub.subscribeAsync('meshwork/v1/tlsmesh/node/#', { qos: 1 });
    await waitFor(() => b.connected() && !!gw, 10_000, 'bridge connected over TLS');
    gw.hearMsg(0x21, 1, { t: 'tx', m: 'over tls' });
    await waitFor(() => got.includes('meshwork/v1/tlsmesh/node/00000021/text'), 5000, 'published over TLS');
    await sub.endAsync(true);
    expect(JSON.stringify(logs)).not.toContain('s3cret-pw');

    const wrong = await startBridge({
      keyFile: kf, bridgeId: 'tls-wrong', queueDir: tmp(), gateway: async () => createFakeGateway(kf, 4), log: (e) => logs.push(e),
      mqtt: { url: mosq.url, username: 'bridge', password: 'nope', ca: join(dir, 'ca.crt') }, reconnect: { minMs: 100, maxMs: 200 },
    });
    bridges.push(wrong);
    await waitFor(() => logs.some((l) => l.bridge === 'tls-wrong' && l.event === 'mqtt-error'), 5000, 'auth error logged');
    expect(wrong.connected()).toBe(false);

    const insecure = await startBridge({
      keyFile: kf, bridgeId: 'tls-insecure', queueDir: tmp(), gateway: async () => createFakeGateway(kf, 5), log: (e) => logs.push(e),
      mqtt: { url: mosq.url, username: 'bridge', password: 's3cret-pw', insecure: true },
    });
    bridges.push(insecure);
    await waitFor(() => insecure.connected(), 5000, 'insecure connects without the CA');
  }, 30_000);
});

/**
 * `meshwork bridge` as a user runs it: usage errors (exit 2), --sign, and end to end over a real pty
 * (socat): a scripted node speaking the serial link (shared/host-link.ts bodies, CBOR payloads) answers
 * hello and sub and sends FRAME lines; the CLI's embedded broker publishes the verified message.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, createReadStream, createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Encoder, decode as cborDecode } from 'cbor-x';
import { encodeBody, decodeBody, T_FRAME, T_REPLY, CMD_PREFIX, CMD_SUFFIX } from '../shared/host-link.ts';
import { crc32 } from '../host/crc32.ts';
import { writeKeyFile } from '../host/keyfile.ts';
import { parseCommand, deriveDownlinkKey } from '../host/bridge/command-sign.ts';
import { collect, createSealer, freePort, keyFileFor, tmp, waitFor, app } from './bridge-support.ts';

const CLI = join(__dirname, '..', 'bin', 'meshwork.mjs');
const cbor = new Encoder({ useRecords: false, tagUint8Array: false, variableMapSize: true });
const run = (args: string[]) => spawnSync('node', [CLI, 'bridge', ...args], { encoding: 'utf8', timeout: 30_000 });
/** the same, several at once (each CLI start compiles the TypeScript: ~2 s) */
function runAll(list: string[][]): Promise<{ status: number | null; stdout: string; stderr: string }[]> {
  return Promise.all(list.map((args) => new Promise<{ status: number | null; stdout: string; stderr: string }>((res) => {
    const p = spawn('node', [CLI, 'bridge', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d) => { stdout += d; });
    p.stderr!.on('data', (d) => { stderr += d; });
    p.on('exit', (status) => res({ status, stdout, stderr }));
  })));
}

describe('meshwork bridge (CLI)', () => {
  const dir = tmp();
  const kf = keyFileFor('climesh');
  const keyPath = join(dir, 'net.key');
  writeKeyFile(keyPath, kf);
  const procs: ChildProcess[] = [];
  afterAll(() => { for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL'); });

  it('prints help and exits 2 on usage errors with a clear message', async () => {
    const [h, noKey, badKey, badOpt] = await runAll([['--help'], ['--port', '/dev/null'], ['--port', '/dev/null', '--network', join(dir, 'missing.key')], ['--bogus']]);
    expect(h.status).toBe(0);
    for (const o of ['--port', '--mqtt', '--network', '--config', '--allow', '--max-hops', '--insecure', '--link']) expect(h.stdout).toContain(o);
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toMatch(/--network FILE is required/);
    expect(badKey.status).toBe(2);
    expect(badKey.stderr).toMatch(/no key file/);
    expect(badOpt.status).toBe(2);
  });

  it('--sign prints a command the bridge accepts', () => {
    const r = run(['--network', keyPath, '--sign', '42', '--cmd', '{"msg":{"t":"tx","m":"hi"}}']);
    expect(r.status).toBe(0);
    const [topic, payload] = r.stdout.trim().split('\n');
    expect(topic).toBe('meshwork/v1/climesh/cmd/00000042');
    const p = parseCommand(Buffer.from(payload), topic, deriveDownlinkKey(kf));
    expect(p).toMatchObject({ ok: true, signed: true, cmd: { msg: { t: 'tx', m: 'hi' } } });
    expect(r.stdout).not.toContain(Buffer.from(kf.epochs[0].key).toString('hex'));
  });

  it('takes options from --config, the command line winning', () => {
    const cfg = join(dir, 'bridge.json');
    writeFileSync(cfg, JSON.stringify({ network: keyPath, mesh: 'frommesh', maxHops: 2 }));
    const r = run(['--config', cfg, '--mesh', 'climesh', '--sign', 'all', '--cmd', '{"msg":{"t":"pi","id":1}}']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('meshwork/v1/climesh/cmd/all');
    writeFileSync(cfg, '[1,2]');
    const bad = run(['--config', cfg, '--sign', 'all', '--cmd', '{}']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not a JSON object/);
  });

  it('bridges a node on a pty to its embedded broker', async () => {
    if (!existsSync('/usr/bin/socat')) throw new Error('socat missing (scripts/setup-system.sh installs it)');
    const nodePath = join(dir, 'node-pty');
    const hostPath = join(dir, 'host-pty');
    const socat = spawn('socat', [`PTY,link=${nodePath},raw,echo=0`, `PTY,link=${hostPath},raw,echo=0`]);
    procs.push(socat);
    await waitFor(() => existsSync(nodePath) && existsSync(hostPath), 5000, 'pty');
    // the scripted node
    const fd = openSync(nodePath, 'r+');
    const rd = createReadStream('', { fd, autoClose: false });
    const wr = createWriteStream('', { fd, autoClose: false });
    rd.on('error', () => {}); // EIO once socat closes the pty
    wr.on('error', () => {});
    const line = (type: number, id: number, payload: Uint8Array) => wr.write('\x01' + Buffer.from(encodeBody(type, id, payload, crc32)).toString('base64') + '\r\n', 'latin1');
    const ops: string[] = [];
    let buf = '';
    rd.on('data', (d: string | Buffer) => {
      buf += typeof d === 'string' ? d : d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf(CMD_SUFFIX)) >= 0) {
        const l = buf.slice(0, i);
        buf = buf.slice(i + CMD_SUFFIX.length);
        const s = l.indexOf(CMD_PREFIX);
        if (s < 0) continue;
        const b = decodeBody(new Uint8Array(Buffer.from(l.slice(s + CMD_PREFIX.length), 'base64')), crc32);
        if (!b.ok) continue;
        const cmd = cborDecode(b.payload) as { op: string };
        ops.push(cmd.op);
        const reply = cmd.op === 'hello'
          ? { ok: true, v: 1, fw: 'test', id: 0xc0ffee, mesh: 'climesh', role: 'gateway', board: 'linux', name: 'gw', caps: [], boot: 1, epoch: 1, hash: 'none' }
          : { ok: true };
        line(T_REPLY, b.id, new Uint8Array(cbor.encode(reply)));
      }
    });
    const port = await freePort();
    const bridge = spawn('node', [CLI, 'bridge', '--port', hostPath, '--network', keyPath, '--listen', `127.0.0.1:${port}`, '--id', 'cli', '--queue', join(dir, 'q')], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(bridge);
    let out = '';
    let err = '';
    bridge.stdout!.on('data', (d) => { out += d; });
    bridge.stderr!.on('data', (d) => { err += d; });
    await waitFor(() => out.includes('embedded MQTT broker'), 15_000, `bridge start (stderr: ${err})`);
    expect(out).toContain(`mqtt://127.0.0.1:${port}`);
    const sub = await collect(`mqtt://127.0.0.1:${port}`, ['meshwork/v1/climesh/#']);
    await waitFor(() => ops.includes('hello') && ops.includes('sub'), 10_000, `hello and sub (ops ${ops})`);
    const f = createSealer(kf)({ src: 0xbeef, seq: 1, payload: app.encode({ t: 'tx', m: 'over the pty' }) });
    const p = new Uint8Array(1 + f.length);
    p[0] = -67 & 0xff;
    p.set(f, 1);
    line(T_FRAME, 0, p);
    await sub.waitFor(() => sub.messages.some((m) => m.topic.endsWith('node/0000beef/text')), 10_000, 'published');
    const j = JSON.parse(sub.messages.find((m) => m.topic.endsWith('node/0000beef/text'))!.payload.toString());
    expect(j).toMatchObject({ rssi: -67, gw: '00c0ffee', msg: { t: 'tx', m: 'over the pty' }, bridge: 'cli' });
    await sub.close();
    const exited = new Promise<number | null>((res) => bridge.once('exit', (c) => res(c)));
    bridge.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).not.toContain(Buffer.from(kf.epochs[0].key).toString('hex'));
    rd.destroy();
    socat.kill('SIGTERM');
  }, 40_000);
});

/**
 * Bridge throughput on one core: serial decode (host/link decoder) → verify (header tag + frame tag) →
 * decrypt → envelopes (JSON + CBOR + raw) → disk queue → MQTT publish QoS 1 to an embedded aedes in the
 * SAME process (so the broker's work is on the same core too: a pessimistic figure), against the serial
 * line's own limit at 115200 and 921600 baud, and against a naive bridge measured in the same process
 * (split lines, base64-decode, publish the raw frame QoS 1: no verification, no decryption, no queue).
 * Frame lines as on the wire (CONTRACTS §1 FRAME): "\x01" + base64(9 + 1 + frame bytes) + "\r\n", 10 bits
 * per character on the line (8N1). Run: npx tsx bench/bridge.ts   (make bench)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import mqtt from 'mqtt';
import { createLinkDecoder } from '../host/link/decoder.ts';
import { encodeBody, T_FRAME } from '../shared/host-link.ts';
import { crc32 } from '../host/crc32.ts';
import { newKeyFile } from '../host/keyfile.ts';
import { startBridge } from '../host/bridge/bridge.ts';
import { createUplink } from '../host/bridge/uplink.ts';
import { createTopics } from '../host/bridge/topics.ts';
import { startEmbeddedBroker } from '../host/bridge/embedded-broker.ts';
import type { GatewayLink } from '../host/bridge/gateway-link.ts';
import { createSealer, app, startMosquitto, MOSQUITTO } from '../test/bridge-support.ts';
import { existsSync } from 'node:fs';

const N = 5000;
const kf = newKeyFile('bench', 1);
const seal = createSealer(kf);
const text = 'x'.repeat(150);
const frames: Uint8Array[] = [];
for (let i = 0; i < N; i++) frames.push(seal({ src: 0x100 + (i % 32), seq: 1 + (i >> 5), payload: app.encode({ t: 'tx', m: text + i }) }));
const lines = frames.map((f) => {
  const p = new Uint8Array(1 + f.length);
  p[0] = -60 & 0xff;
  p.set(f, 1);
  return '\x01' + Buffer.from(encodeBody(T_FRAME, 0, p, crc32)).toString('base64') + '\r\n';
});
const stream = lines.join('');
const chunks: string[] = [];
for (let o = 0; o < stream.length; o += 4096) chunks.push(stream.slice(o, o + 4096));
const lineChars = stream.length / N;
const frameLen = frames.reduce((a, f) => a + f.length, 0) / N;

function decodeAll(onFrame: (rssi: number, f: Uint8Array) => void): void {
  const dec = createLinkDecoder();
  for (const c of chunks) for (const it of dec.push(c)) if (it.kind === 'msg' && it.type === T_FRAME) onFrame(it.msg!.rssi, it.msg!.f);
}

function rate(fn: () => void, reps = 3): number {
  let best = 0;
  for (let r = 0; r < reps; r++) { const t0 = performance.now(); fn(); best = Math.max(best, (N * 1000) / (performance.now() - t0)); }
  return best;
}

async function fullBridge(dedupe: boolean, url?: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-bench-'));
  const gw = new EventEmitter() as GatewayLink;
  gw.send = async () => ({ ok: true });
  gw.tx = async () => ({ ok: true });
  gw.close = () => {};
  const b = await startBridge({ keyFile: kf, bridgeId: 'bench', queueDir: dir, gateway: async () => gw, embedded: { port: 0 }, mqtt: url ? { url } : undefined, dedupe, log: () => {} });
  while (!b.connected()) await new Promise((r) => setTimeout(r, 10));
  const t0 = performance.now();
  // feed the serial stream chunk by chunk, yielding between chunks as a serial port's data events would
  const dec = createLinkDecoder();
  for (const c of chunks) {
    for (const it of dec.push(c)) if (it.kind === 'msg' && it.type === T_FRAME) gw.emit('frame', it.msg!.rssi, it.msg!.f);
    await new Promise((r) => setImmediate(r));
  }
  while ((b.status().queue as { acked: number }).acked < N) await new Promise((r) => setImmediate(r));
  const fps = (N * 1000) / (performance.now() - t0);
  await b.stop();
  rmSync(dir, { recursive: true, force: true });
  return fps;
}

async function naiveBridge(): Promise<number> {
  const broker = await startEmbeddedBroker({ port: 0 });
  const c = mqtt.connect(broker.url);
  await new Promise((r) => c.once('connect', r));
  const t0 = performance.now();
  let acked = 0;
  let rest = '';
  for (const ch of chunks) {
    const parts = (rest + ch).split('\r\n');
    rest = parts.pop()!;
    for (const l of parts) {
      const body = Buffer.from(l.slice(1), 'base64');
      c.publish('naive/raw', body.subarray(6, body.length - 4), { qos: 1 }, () => { acked++; });
    }
    await new Promise((r) => setImmediate(r));
  }
  while (acked < N) await new Promise((r) => setImmediate(r));
  const fps = (N * 1000) / (performance.now() - t0);
  await c.endAsync(true);
  await broker.close();
  return fps;
}

async function main(): Promise<void> {
  const line = (baud: number) => baud / 10 / lineChars;
  console.log(`Bridge throughput, ${N} frames of ${frameLen.toFixed(0)} bytes (text messages), serial line ${lineChars.toFixed(0)} chars per frame; Node ${process.version}, one process\n`);
  const dec = rate(() => decodeAll(() => {}));
  const T = createTopics('bench');
  const ver = rate(() => { const u = createUplink({ keyFile: kf, topics: T, mesh: 'bench', bridgeId: 'b' }); decodeAll((r, f) => { u.handle(r, f, 1, Date.now()); }); });
  const naive = await naiveBridge();
  const full = await fullBridge(true);
  const solo = await fullBridge(false);
  const l115 = line(115200), l921 = line(921600);
  const row = (name: string, v: number) => console.log(`  ${name.padEnd(66)} ${v.toFixed(0).padStart(8)} frames/s   ${(v / naive).toFixed(2).padStart(6)}× naive   ${(v / l115).toFixed(1).padStart(6)}× 115200   ${(v / l921).toFixed(1).padStart(6)}× 921600`);
  console.log(`  serial line limit: 115200 baud ${l115.toFixed(1)} frames/s, 921600 baud ${l921.toFixed(1)} frames/s\n`);
  row('naive bridge (baseline: split, base64, publish raw QoS 1)', naive);
  row('stage: serial decode (host/link decoder)', dec);
  row('stage: + verify + decrypt + envelopes (uplink.ts)', ver);
  row('full bridge: + disk queue + claims + publish QoS 1 ×3', full);
  row('full bridge without claims (--no-dedupe)', solo);
  if (existsSync(MOSQUITTO)) {
    const m = await startMosquitto();
    row('full bridge, mosquitto in its own process (broker off this core)', await fullBridge(true, m.url));
    row('  the same without claims', await fullBridge(false, m.url));
    await m.stop();
  } else console.log(`  mosquitto: SKIPPED (not at ${MOSQUITTO})`);
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });

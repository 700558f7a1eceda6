/**
 * `meshwork encode JSON --key FILE …`: seal an application message into a frame and print it as hex (or
 * base64): for testing a node or `meshwork decode`, and for crafting frames by hand. The payload is the
 * JSON value encoded as CBOR (cbor-x). Exit 0: printed; 1: the frame could not be sealed; 2: bad usage.
 */
import type { Command } from 'commander';
import { Encoder } from 'cbor-x';
import * as lib from '../../shared/index.ts';
import { BROADCAST, MAX_PAYLOAD_LEN, statusText } from '../../shared/frame.ts';
import { createNobleAes } from '../crypto/aes-noble.ts';
import { readKeyFile } from '../keyfile.ts';

const TYPES: Record<string, number> = { data: 1, ack: 2, beacon: 3, route: 4, control: 5 };
const cbor = new Encoder({ useRecords: false, tagUint8Array: false, variableMapSize: true });

function fail(msg: string, code = 2): never {
  process.stderr.write(`meshwork encode: ${msg}\n`);
  process.exit(code);
}

function nodeId(text: string, what: string): number {
  if (text === 'broadcast') return BROADCAST;
  const v = /^(0x)?[0-9a-f]{1,8}$/i.test(text) ? parseInt(text.replace(/^0x/i, ''), 16) : NaN;
  if (!Number.isInteger(v) || v === 0) fail(`${what} must be a node id in hex (1..ffffffff) or "broadcast"`);
  return v;
}

export function register(program: Command): void {
  program.command('encode')
    .description('seal a JSON message into a frame (hex) with a network key file')
    .argument('<json>', 'the message, as JSON (sent as CBOR)')
    .requiredOption('-k, --key <file>', 'network key file (the current epoch is used)')
    .option('--src <id>', 'source node id, hex', '1')
    .option('--dst <id>', 'destination node id, hex, or "broadcast"', 'broadcast')
    .option('--seq <n>', 'sequence number (never reuse one under a key: nonces come from it)', '1')
    .option('--type <t>', `frame type: ${Object.keys(TYPES).join(', ')}`, 'data')
    .option('--hops <n>', 'hop limit (and hop start)', '7')
    .option('--base64', 'print base64 instead of hex')
    .action((json: string, o: Record<string, string | boolean>) => {
      let value: unknown;
      try { value = JSON.parse(json); } catch (e) { fail(`the message is not JSON: ${(e as Error).message}`); }
      const kf = readKeyFile(String(o.key));
      if (!kf.ok) fail(kf.reason);
      const type = TYPES[String(o.type)];
      if (!type) fail(`--type must be one of ${Object.keys(TYPES).join(', ')}`);
      const seq = Number(o.seq);
      const hops = Number(o.hops);
      if (!Number.isInteger(seq) || seq < 1 || seq > 0xfffffffe) fail('--seq must be an integer 1..4294967294');
      if (!Number.isInteger(hops) || hops < 0 || hops > 255) fail('--hops must be an integer 0..255');
      const payload = new Uint8Array(cbor.encode(value));
      if (payload.length > MAX_PAYLOAD_LEN) fail(`the message is ${payload.length} bytes as CBOR; one frame holds ${MAX_PAYLOAD_LEN}`, 1);
      const aes = createNobleAes();
      const keys = lib.createKeyring({ capacity: kf.value.epochs.length })({ aes });
      for (const e of kf.value.epochs) keys.set(e.epoch, e.key);
      const seal = lib.createFrameSeal()({ aes, keys });
      const h = Object.assign(lib.newHeader(), {
        type, hopLimit: hops, hopStart: hops, epoch: kf.value.current,
        src: nodeId(String(o.src), '--src'), dst: nodeId(String(o.dst), '--dst'), seq,
      });
      if (h.src === BROADCAST) fail('--src cannot be broadcast');
      const out = new Uint8Array(250);
      const n = seal.seal(h, payload, out, 0);
      if (n < 0) fail(statusText(-n), 1);
      process.stdout.write(Buffer.from(out.subarray(0, n)).toString(o.base64 ? 'base64' : 'hex') + '\n');
    });
}

/**
 * Writes test/vectors/frames.json from the independent node:crypto reference (test/support/reference-seal.ts).
 * Run: npx tsx test/vectors/gen-frames.ts. The committed file is the contract; tests check every backend
 * (TS source, built bundle, real interpreter) against it, and test/frame-vectors.test.ts re-derives it.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { refSeal, deriveSubkeys, refHeaderTag, type RefHeader } from '../support/reference-seal.ts';

const bytes = (n: number, k: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + k * 7 + 3) & 255));
const keyA = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const keyB = Buffer.from('f0e1d2c3b4a5968778695a4b3c2d1e0f', 'hex');

interface SealCase { name: string; key: string; header: RefHeader; payload: string; frame: string }
interface OpenCase { name: string; key: string; epoch: number; frame: string; status: string; payload?: string }
interface RelayCase { name: string; key: string; frame: string; selfId: number; status: string; out?: string }

const base: RefHeader = { type: 1, flags: 0, hopLimit: 5, hopStart: 5, epoch: 1, src: 0x0a0b0c0d, dst: 0xffffffff, seq: 1, prevHop: 0 };
const seal: SealCase[] = [];
function addSeal(name: string, key: Buffer, h: Partial<RefHeader>, payload: Buffer) {
  const header = { ...base, ...h };
  seal.push({ name, key: key.toString('hex'), header, payload: payload.toString('hex'), frame: refSeal(key, header, payload).toString('hex') });
}
addSeal('empty payload', keyA, {}, Buffer.alloc(0));
addSeal('one byte', keyA, { seq: 2 }, bytes(1, 1));
addSeal('15 bytes', keyA, { seq: 3 }, bytes(15, 2));
addSeal('16 bytes', keyA, { seq: 4 }, bytes(16, 3));
addSeal('17 bytes unicast', keyA, { seq: 5, dst: 0x01020304, flags: 2 }, bytes(17, 4));
addSeal('200 bytes', keyA, { seq: 0x01000000 }, bytes(200, 5));
addSeal('max payload 218', keyA, { seq: 0xfffffffe, type: 4, hopLimit: 0, hopStart: 0 }, bytes(218, 6));
addSeal('other key, epoch 200', keyB, { epoch: 200, src: 0xfffffffe, seq: 77, hopLimit: 3, hopStart: 7, prevHop: 0xbeef }, bytes(40, 7));
addSeal('utf-8 text', keyB, { epoch: 200, seq: 78 }, Buffer.from('héllo mesh ✓', 'utf8'));

const open: OpenCase[] = [];
const good = seal[5];
const goodFrame = Buffer.from(good.frame, 'hex');
open.push({ name: 'valid', key: good.key, epoch: 1, frame: good.frame, status: 'Ok', payload: good.payload });
const mutate = (name: string, i: number, x: number, status: string) => {
  const f = Buffer.from(goodFrame);
  f[i] ^= x;
  open.push({ name, key: good.key, epoch: 1, frame: f.toString('hex'), status });
};
mutate('version bits', 0, 0x10, 'BadVersion');
mutate('type', 0, 0x01, 'BadHeaderTag');
mutate('flags', 1, 0x02, 'BadHeaderTag');
mutate('hop limit lowered', 2, 0x01, 'BadHeaderTag');
mutate('hop limit above hop start', 2, 0x08, 'BadHops');
mutate('epoch', 4, 0x01, 'UnknownEpoch');
mutate('source', 6, 0x40, 'BadHeaderTag');
mutate('destination', 12, 0x01, 'BadHeaderTag');
mutate('sequence', 16, 0x01, 'BadHeaderTag');
mutate('previous hop', 18, 0x01, 'BadHeaderTag');
mutate('payload length', 19, 0x01, 'BadLength');
mutate('ciphertext first byte', 20, 0x80, 'BadFrameTag');
mutate('ciphertext last byte', 219, 0x01, 'BadFrameTag');
mutate('frame tag', 220, 0x01, 'BadHeaderTag');
mutate('header tag', 228, 0x01, 'BadHeaderTag');
open.push({ name: 'truncated', key: good.key, epoch: 1, frame: good.frame.slice(0, 100), status: 'BadLength' });
open.push({ name: 'too short', key: good.key, epoch: 1, frame: good.frame.slice(0, 40), status: 'TooShort' });
open.push({ name: 'wrong key', key: keyB.toString('hex'), epoch: 1, frame: good.frame, status: 'BadHeaderTag' });
// a frame whose header tag was re-made by someone holding only... nobody: an outsider cannot. But an insider
// who re-tags a tampered payload without knowing K_mac fails the end-to-end frame tag:
{
  const f = Buffer.from(goodFrame);
  f[30] ^= 1;
  const k = deriveSubkeys(Buffer.from(good.key, 'hex'));
  refHeaderTag(k.hdr, f.subarray(0, 20), f.subarray(220, 228)).copy(f, 228);
  open.push({ name: 'payload tampered, header tag re-made', key: good.key, epoch: 1, frame: f.toString('hex'), status: 'BadFrameTag' });
}

const relay: RelayCase[] = [];
{
  const src = seal[7];
  const f = Buffer.from(src.frame, 'hex');
  const k = deriveSubkeys(Buffer.from(src.key, 'hex'));
  const selfId = 0x11223344;
  const out = Buffer.from(f);
  out[2] = f[2] - 1;
  out.writeUInt16BE(selfId & 0xffff, 17);
  refHeaderTag(k.hdr, out.subarray(0, 20), out.subarray(60, 68)).copy(out, 68);
  relay.push({ name: 'relay once', key: src.key, frame: src.frame, selfId, status: 'Ok', out: out.toString('hex') });
  const last = Buffer.from(seal[6].frame, 'hex');
  relay.push({ name: 'no hop left', key: seal[6].key, frame: last.toString('hex'), selfId, status: 'BadHops' });
}

const file = fileURLToPath(new URL('./frames.json', import.meta.url));
writeFileSync(file, JSON.stringify({ note: 'generated by gen-frames.ts from the node:crypto reference; header layout in shared/frame.ts', seal, open, relay }, null, 1) + '\n');
console.log(`wrote ${seal.length} seal, ${open.length} open, ${relay.length} relay vectors to ${file}`);

/**
 * The host link codec (shared/host-link.ts) and the host stream decoder (host/link/decoder.ts) against
 * test/vectors/host-link.json, which an independent Python script made (struct, zlib.crc32, base64, its own
 * CBOR encoder). Payloads are cross-checked with cbor-x and shared/cbor.ts; CRCs with node:zlib. Then
 * chunking (every split point, random splits), seeded fuzz (garbage between lines, random bytes, bit flips):
 * the decoder never throws, never yields a message that was not sent, and recovers at the next line.
 */
import * as zlib from 'node:zlib';
import { Decoder, Encoder } from 'cbor-x';
import type { Options as CborXOptions } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import { nodeCborText } from '../host/cbor-text.ts';
import { crc32 } from '../host/crc32.ts';
import { createLinkDecoder, encodeCommandLine, nodeNatives } from '../host/link/index.ts';
import type { LinkItem } from '../host/link/index.ts';
import { createCbor } from '../shared/cbor.ts';
import {
  decodeBody, decodeLineText, encodeBody, lineText, commandLine, HL_MAX_B64, HL_MAX_BODY, T_CMD,
} from '../shared/host-link.ts';
import { mulberry32 } from './support/mulberry32.ts';

import { V, hex, unhex, revive, plain } from './support/host-link-vectors.ts';
import type { MsgVector } from './support/host-link-vectors.ts';

const cbor = createCbor()(nodeCborText());
const cx = new Encoder({
  useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true, useTag259ForMaps: false, pack: false,
} as CborXOptions);
const cxd = new Decoder({ useRecords: false, mapsAsObjects: true, int64AsNumber: true } as CborXOptions);

/** items in a comparable form, adjacent text merged */
function summarize(items: LinkItem[]): any[] {
  const out: any[] = [];
  for (const it of items) {
    if (it.kind === 'text') {
      const last = out[out.length - 1];
      if (last && last.kind === 'text') last.text += it.text;
      else out.push({ kind: 'text', text: it.text });
    } else if (it.kind === 'error') out.push({ ...it });
    else out.push({ kind: 'msg', type: it.type, id: it.id, obj: plain(it.msg) });
  }
  return out;
}

function pushAll(chunks: (string | Uint8Array)[]): LinkItem[] {
  const d = createLinkDecoder();
  return chunks.flatMap((c) => d.push(c));
}

function randomSplit(s: Buffer, rnd: () => number, maxChunk: number): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < s.length) {
    const n = 1 + Math.floor(rnd() * maxChunk);
    out.push(s.subarray(i, i + n));
    i += n;
  }
  return out;
}

/** what the decoder should give for a message vector */
function expected(m: MsgVector): any {
  const obj = m.type === 9 ? { rssi: m.rssi, f: { $bytes: m.frame } } : m.obj;
  return { kind: 'msg', type: m.type, id: m.id, obj };
}

describe('vectors: bodies and node → host lines', () => {
  for (const m of V.messages) {
    it(m.name, () => {
      const payload = unhex(m.payload);
      if (m.type !== 9) {
        // the payload is the CBOR of obj, by our codec and by cbor-x
        expect(hex(cbor.encode(revive(m.obj)))).toBe(m.payload);
        expect(hex(cx.encode(revive(m.obj)))).toBe(m.payload);
        expect(plain(cxd.decode(Buffer.from(payload)))).toEqual(m.obj);
      }
      const body = encodeBody(m.type, m.id, payload, crc32);
      expect(hex(body)).toBe(m.body);
      expect(zlib.crc32(body.subarray(0, body.length - 4))).toBe(Buffer.from(body.subarray(-4)).readUInt32BE());
      expect(lineText(body, body.length, nodeNatives) + '\r\n').toBe(m.line);
      const r = decodeBody(unhex(m.body), crc32);
      expect(r.ok && { type: r.type, id: r.id, payload: hex(r.payload) }).toEqual({ type: m.type, id: m.id, payload: m.payload });
      expect(summarize(pushAll([m.line]))).toEqual([expected(m)]);
    });
  }

  it('lineText honours total (a body inside a bigger buffer)', () => {
    const m = V.messages[1];
    const big = new Uint8Array(HL_MAX_BODY);
    big.set(unhex(m.body));
    expect(lineText(big, m.body.length / 2, nodeNatives) + '\r\n').toBe(m.line);
  });
});

describe('vectors: host → node command lines', () => {
  for (const c of V.commands) {
    it(c.name, () => {
      expect(hex(cbor.encode(revive(c.obj)))).toBe(c.payload);
      expect(hex(cx.encode(revive(c.obj)))).toBe(c.payload);
      expect(encodeCommandLine(c.id, revive(c.obj))).toBe(c.line);
      const body = unhex(c.body);
      expect(commandLine(body, body.length, nodeNatives)).toBe(c.line);
      const r = decodeLineText(c.b64, nodeNatives);
      expect(r.ok && r.type === T_CMD && r.id === c.id && hex(r.payload) === c.payload).toBe(true);
    });
  }

  it('encodeCommandLine refuses misuse with a module prefix', () => {
    expect(() => encodeCommandLine(0, { op: 'hello' })).toThrow(/^meshwork\/link: /);
    expect(() => encodeCommandLine(65536, { op: 'hello' })).toThrow(/^meshwork\/link: /);
    expect(() => encodeCommandLine(1, { x: 1 })).toThrow(/^meshwork\/link: /);
    expect(() => encodeCommandLine(1, { op: 'send', p: new Uint8Array(1600) })).toThrow(/over 1536/);
  });
});

describe('vectors: bad lines', () => {
  for (const b of V.bad_lines) {
    it(b.name, () => {
      for (const splitAll of [false, true]) {
        const buf = Buffer.from(b.input, 'latin1');
        const chunks = splitAll ? [...buf].map((x) => Uint8Array.of(x)) : [buf];
        const got = summarize(pushAll(chunks));
        expect(got.length).toBe(b.expect.length);
        b.expect.forEach((e, i) => {
          if (typeof e.reason === 'string' && e.reason.endsWith('*')) {
            expect(got[i].reason.startsWith(e.reason.slice(0, -1))).toBe(true);
            expect({ ...got[i], reason: e.reason }).toEqual(e);
          } else expect(got[i]).toEqual(e);
        });
      }
    });
  }
});

describe('decoder: chunking, text, bounds', () => {
  const stream = V.messages.map((m, i) => `text ${i} é\r\n>` + m.line).join('') + 'tail';
  const bytes = Buffer.from(stream, 'utf8');
  const whole = summarize(pushAll([bytes]));

  it('one push gives every message and all the text', () => {
    expect(whole.filter((x) => x.kind === 'msg')).toEqual(V.messages.map(expected));
    expect(whole.filter((x) => x.kind === 'error')).toEqual([]);
    const text = whole.filter((x) => x.kind === 'text').map((x) => x.text).join('');
    expect(text).toBe(V.messages.map((_, i) => `text ${i} é\r\n>`).join('') + 'tail');
  });

  it('every single split point of the stream gives the same items', () => {
    for (let k = 0; k <= bytes.length; k += 7) {
      expect(summarize(pushAll([bytes.subarray(0, k), bytes.subarray(k)]))).toEqual(whole);
    }
  });

  it('random chunkings (1..64 bytes, strings and bytes) give the same items', () => {
    const rnd = mulberry32(42);
    for (let t = 0; t < 30; t++) {
      const chunks = randomSplit(bytes, rnd, 1 + Math.floor(rnd() * 64));
      expect(summarize(pushAll(chunks))).toEqual(whole);
    }
    // string chunks (UTF-8 text on the host) are accepted too
    expect(summarize(pushAll([stream.slice(0, 100), stream.slice(100)]))).toEqual(whole);
  });

  it('a UTF-8 character split across chunks is kept whole', () => {
    const b = Buffer.from('é€', 'utf8');
    const items = pushAll([b.subarray(0, 1), b.subarray(1, 3), b.subarray(3)]);
    expect(items.map((i) => (i.kind === 'text' ? i.text : '?')).join('')).toBe('é€');
  });

  it('bounded: a never-ending line is refused at HL_MAX_B64 and the decoder carries on', () => {
    const d = createLinkDecoder();
    const items: LinkItem[] = d.push('\x01');
    for (let i = 0; i < 100; i++) items.push(...d.push('A'.repeat(1000)));
    items.push(...d.push('\r\n' + V.messages[1].line));
    const s = summarize(items);
    expect(s).toEqual([{ kind: 'error', reason: 'too long' }, expected(V.messages[1])]);
    expect(HL_MAX_B64).toBe(4 * Math.ceil(HL_MAX_BODY / 3));
  });

  it('does not throw on non-buffer input', () => {
    const d = createLinkDecoder();
    expect(d.push(undefined as never)).toEqual([]);
    expect(d.push(42 as never)).toEqual([]);
  });
});

describe('fuzz', () => {
  const good = new Set(V.messages.map((m) => JSON.stringify(expected(m))));

  it('random bytes never throw and never yield a message (2 MB, seeded)', () => {
    const rnd = mulberry32(7);
    const d = createLinkDecoder();
    let msgs = 0;
    for (let t = 0; t < 500; t++) {
      const n = 1 + Math.floor(rnd() * 8000);
      const b = new Uint8Array(n);
      // bias towards line bytes so lines actually start and get parsed
      for (let i = 0; i < n; i++) {
        const r = rnd();
        b[i] = r < 0.02 ? 1 : r < 0.05 ? 10 : r < 0.7 ? 'ABCDEFGHabcdefgh0123+/='.charCodeAt(Math.floor(rnd() * 23)) : Math.floor(rnd() * 256);
      }
      for (const it of d.push(b)) if (it.kind === 'msg') msgs++;
    }
    expect(msgs).toBe(0);
    expect(d.stats.errors).toBeGreaterThan(1000);
  });

  it('garbage between lines, random splits: every message out is one that was sent, in order', () => {
    const rnd = mulberry32(99);
    for (let t = 0; t < 40; t++) {
      const sent: string[] = [];
      const parts: Buffer[] = [];
      for (let k = 0; k < 20; k++) {
        const g = Buffer.alloc(Math.floor(rnd() * 40));
        for (let i = 0; i < g.length; i++) g[i] = rnd() < 0.1 ? 1 : Math.floor(rnd() * 256);
        parts.push(g);
        const m = V.messages[Math.floor(rnd() * V.messages.length)];
        // garbage before a line may leave a line open: a "\n" ends it (as Espruino's output always has)
        parts.push(Buffer.from('\r\n' + m.line, 'latin1'));
        sent.push(JSON.stringify(expected(m)));
      }
      const items = summarize(pushAll(randomSplit(Buffer.concat(parts), rnd, 100)));
      const got = items.filter((x) => x.kind === 'msg').map((x) => JSON.stringify(x));
      // garbage may contain \x01 + base64-looking bytes; it must never produce a message, and every sent line
      // is preceded by "\r\n", which closes any line the garbage opened
      expect(got).toEqual(sent);
      for (const g of got) expect(good.has(g)).toBe(true);
    }
  });

  it('every single-bit flip of a body is rejected (CRC-32 catches all 1-bit errors)', () => {
    for (const m of [V.messages[1], V.messages[9], V.commands[2] as unknown as MsgVector]) {
      const body = unhex(m.body);
      for (let bit = 0; bit < body.length * 8; bit++) {
        const f = body.slice();
        f[bit >> 3] ^= 1 << (bit & 7);
        const r = decodeBody(f, crc32);
        expect(r.ok).toBe(false);
        const line = '\x01' + nodeNatives.btoa(f) + '\r\n';
        expect(pushAll([line]).some((i) => i.kind === 'msg')).toBe(false);
      }
    }
  });

  it('random multi-byte corruptions of lines are rejected', () => {
    const rnd = mulberry32(5);
    let rejected = 0;
    for (let t = 0; t < 3000; t++) {
      const m = V.messages[Math.floor(rnd() * V.messages.length)];
      const b = Buffer.from(m.line, 'latin1');
      const k = 1 + Math.floor(rnd() * 4);
      for (let j = 0; j < k; j++) b[1 + Math.floor(rnd() * (b.length - 3))] = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(Math.floor(rnd() * 64));
      const items = pushAll([b]);
      if (b.toString('latin1') === m.line) continue;
      expect(items.some((i) => i.kind === 'msg')).toBe(false);
      rejected++;
    }
    expect(rejected).toBeGreaterThan(2500);
  });
});

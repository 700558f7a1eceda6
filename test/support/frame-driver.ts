/**
 * The frame vector suite as one function that runs anywhere the core runs: on the TS source in Node, on
 * the built bundle under the Espruino emulation, and inside the real interpreter (bundled by
 * test/support/espruino-runner.ts). Espruino-safe on purpose. It returns what it computed; the Node side
 * compares with test/vectors/frames.json, so every assertion lives in one place and can fail.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */

/** FrameStatus names in enum order (shared/frame.ts). */
export const STATUS_NAMES = [
  'Ok', 'TooShort', 'TooLong', 'BadVersion', 'BadLength', 'BadHops', 'BadAddress', 'UnknownEpoch',
  'BadHeaderTag', 'BadFrameTag', 'Replay', 'Duplicate', 'PayloadTooLong', 'BufferTooSmall', 'SeqExhausted',
];

export function hexToU8(s: string): Uint8Array {
  const u = new Uint8Array(s.length >> 1);
  for (let i = 0; i < u.length; i++) u[i] = parseInt(s.substr(i * 2, 2), 16);
  return u;
}

export function u8ToHex(u: Uint8Array, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += (u[i] < 16 ? '0' : '') + u[i].toString(16);
  return s;
}

export interface FrameResults { seal: string[]; open: string[]; openPayload: string[]; relay: string[] }

/** lib: the core's factories (the bundle exposes them as MW.lib); aes: the backend under test. */
export function runFrameVectors(lib: any, aes: any, v: any): FrameResults {
  const res: FrameResults = { seal: [], open: [], openPayload: [], relay: [] };
  function core(keyHex: string, epoch: number): any {
    const keys = lib.createKeyring({ capacity: 2 })({ aes: aes });
    keys.set(epoch, hexToU8(keyHex));
    const seal = lib.createFrameSeal()({ aes: aes, keys: keys });
    const dedup = lib.createDedupCache({ slots: 8 });
    return { seal: seal, relay: lib.createRelayPath()({ seal: seal, dedup: dedup }) };
  }
  const out = new Uint8Array(256);
  for (let i = 0; i < v.seal.length; i++) {
    const c = v.seal[i];
    const k = core(c.key, c.header.epoch);
    const h = lib.newHeader();
    const f = c.header;
    h.type = f.type; h.flags = f.flags; h.hopLimit = f.hopLimit; h.hopStart = f.hopStart; h.epoch = f.epoch;
    h.src = f.src; h.dst = f.dst; h.seq = f.seq; h.prevHop = f.prevHop;
    const n = k.seal.seal(h, hexToU8(c.payload), out, 0);
    res.seal.push(n < 0 ? STATUS_NAMES[-n] : u8ToHex(out, n));
  }
  for (let i = 0; i < v.open.length; i++) {
    const c = v.open[i];
    const k = core(c.key, c.epoch);
    const frame = hexToU8(c.frame);
    const h = lib.newHeader();
    let st = lib.decodeHeader(frame, frame.length, h);
    const pl = new Uint8Array(256);
    if (st === 0) st = k.seal.open(frame, h, pl);
    res.open.push(STATUS_NAMES[st]);
    res.openPayload.push(st === 0 ? u8ToHex(pl, h.payloadLen) : '');
  }
  for (let i = 0; i < v.relay.length; i++) {
    const c = v.relay[i];
    const frame = hexToU8(c.frame);
    const h = lib.newHeader();
    const k = core(c.key, frame[4]);
    let st = k.relay.inspect(frame, frame.length, h);
    if (st === 0) st = k.relay.forward(frame, h, c.selfId);
    res.relay.push(st === 0 ? u8ToHex(frame, frame.length) : STATUS_NAMES[st]);
  }
  return res;
}

/**
 * The expected side of every vector suite, shared by the runs on the TS source, on the built bundle in
 * Node and on the real interpreter: one place where the assertions live.
 */
import { expect } from 'vitest';
import { readFileSync } from 'node:fs';

const load = (name: string) => JSON.parse(readFileSync(new URL(`../vectors/${name}.json`, import.meta.url), 'utf8'));
export const VECTORS = { frames: load('frames'), aes: load('aes'), cbor: load('cbor'), fragments: load('fragments') };

/** The vector files with only the fields the drivers read (the interpreter holds them in its heap). */
export function slimVectors(which: keyof typeof VECTORS): unknown {
  const v = VECTORS[which];
  if (which === 'cbor') return { valid: v.valid.map((x: any) => ({ hex: x.hex })), invalid: v.invalid.map((x: any) => ({ hex: x.hex })) };
  if (which === 'aes') {
    return {
      ecb: v.ecb.map((x: any) => ({ key: x.key, src: x.src })),
      ctr0: v.ctr0.map((x: any) => ({ key: x.key, src: x.src })),
      cbcMac: v.cbcMac.map((x: any) => ({ key: x.key, src: x.src, tag: x.tag })),
    };
  }
  if (which === 'fragments') return { vectors: v.vectors.map((x: any) => ({ msgId: x.msgId, maxPayload: x.maxPayload, message: x.message })) };
  return { seal: v.seal, open: v.open.map((x: any) => ({ key: x.key, epoch: x.epoch, frame: x.frame })), relay: v.relay.map((x: any) => ({ key: x.key, frame: x.frame, selfId: x.selfId })) };
}

export function expectFrameResults(r: { seal: string[]; open: string[]; openPayload: string[]; relay: string[] }): void {
  const v = VECTORS.frames;
  v.seal.forEach((c: any, i: number) => expect(r.seal[i], c.name).toBe(c.frame));
  v.open.forEach((c: any, i: number) => {
    expect(r.open[i], c.name).toBe(c.status);
    expect(r.openPayload[i], c.name).toBe(c.payload ?? '');
  });
  v.relay.forEach((c: any, i: number) => expect(r.relay[i], c.name).toBe(c.out ?? c.status));
}

export function expectAesResults(r: string[]): void {
  const v = VECTORS.aes;
  const want = [...v.ecb.map((x: any) => x.dst), ...v.ctr0.map((x: any) => x.dst), ...v.cbcMac.map((x: any) => x.tag)];
  expect(r.length).toBe(want.length);
  want.forEach((w: string, i: number) => expect(r[i], `aes vector ${i}`).toBe(w));
}

/** onInterpreter: skip the vectors the file marks espruinoSkip (with their reason), and only those. */
export function expectCborResults(r: string[], onInterpreter: boolean): number {
  const v = VECTORS.cbor;
  let checked = 0;
  v.valid.forEach((c: any, i: number) => {
    if (onInterpreter && c.espruinoSkip) return;
    const want = c.encode ? c.hex : c.encodesAs;
    if (want === undefined) { expect(r[i], c.name).not.toMatch(/^fail/); checked++; return; }
    expect(r[i], c.name).toBe(want);
    checked++;
  });
  v.invalid.forEach((c: any, i: number) => {
    if (onInterpreter && c.espruinoSkip) return;
    expect(r[v.valid.length + i], c.name).toBe(`${c.reason}@${c.at}`);
    checked++;
  });
  return checked;
}

export function expectFragmentResults(r: string[]): void {
  const v = VECTORS.fragments;
  v.vectors.forEach((c: any, i: number) => {
    expect(r[2 * i], c.name).toBe(`${(c.crc32 >>> 0).toString(16)}:${c.fragments.join(',')}`);
    expect(r[2 * i + 1], c.name).toBe(c.message);
  });
}

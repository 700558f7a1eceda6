import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as lib from '../shared/index.ts';
import { createNodeAes } from './support/aes-node.ts';
import { runFrameVectors } from './support/frame-driver.ts';
import { expectFrameResults } from './support/vector-expect.ts';
import { refSeal } from './support/reference-seal.ts';

const vectors = JSON.parse(readFileSync(new URL('./vectors/frames.json', import.meta.url), 'utf8'));


describe('frame vectors on the TS source over node:crypto', () => {
  it('the committed vectors still match the node:crypto reference', () => {
    for (const c of vectors.seal) {
      expect(refSeal(Buffer.from(c.key, 'hex'), c.header, Buffer.from(c.payload, 'hex')).toString('hex')).toBe(c.frame);
    }
  });
  it('seal, open and relay produce the vector bytes and statuses', () => {
    expectFrameResults(runFrameVectors(lib, createNodeAes(), vectors));
  });
});

/**
 * Frames that fill a node's neighbour and route tables, recorded from real routers (test/support/mini-air.ts)
 * so a firmware node on the real interpreter can be measured "under a full routing table" (issue 4): node X
 * (the node under test: same id, same network key) is linked to `neighbours` routers, each of which has
 * `children` more behind it. Every frame X would have heard is kept with its time, in the order sent.
 *
 * The replay on the node is a Storage module, REPLAY_MODULE: it reads the frames file a line at a time
 * (Storage.read with offset and length: the file never sits in RAM whole) and hands each frame to
 * MW.node.router.receive with the recorded time shifted onto the node's clock.
 */
import { createMiniAir, type MiniAir } from './mini-air.ts';
import type { RouterCapacities } from '../../shared/router.ts';

/** the mini-air's network key, epoch 1 (mini-air.ts) */
export const FULL_TABLES_KEY_HEX = '5a'.repeat(16);

export interface FullTables {
  /** "<ms> <base64 frame>\n" per frame */
  file: string;
  frames: number;
  /** Storage files for the node: the frames, their length, the replay module */
  storage: Record<string, string>;
}

export function fullTableFrames(o: {
  selfId: number; neighbours: number; children: number; seconds: number; capacities: RouterCapacities;
  /** frames kept per sender and type (the latest ones) */
  keep: number;
  /** broadcasts sent after `seconds`, from nodes across the mesh */
  broadcasts?: number;
  /** keep only frames of these types (frame.ts FrameType) */
  types?: number[];
}): FullTables {
  const n = 1 + o.neighbours * (1 + o.children);
  const heard: { t: number; f: Uint8Array }[] = [];
  // the tap sees every transmission: keep those X hears (a linked sender); it runs only inside air.run
  const air: MiniAir = createMiniAir({
    n, seed: 7, ids: (i) => (i === 0 ? o.selfId : 0x200000 + i),
    init: { capacities: o.capacities },
    tap: (from, frame) => { if (from !== 0 && air.linked(from, 0)) heard.push({ t: air.now, f: frame }); },
  });
  for (let k = 0; k < o.neighbours; k++) {
    const nb = 1 + k;
    air.connect(0, nb);
    // neighbours in a ring as well, so each has a few links and adverts carry several hops
    air.connect(nb, 1 + ((k + 1) % o.neighbours));
    for (let c = 0; c < o.children; c++) air.connect(nb, 1 + o.neighbours + k * o.children + c);
  }
  air.run(o.seconds * 1000);
  // then broadcasts from every node behind X's neighbours, 100 ms apart: flood frames from many sources
  for (let k = 0; k < (o.broadcasts ?? 0); k++) {
    air.send(1 + ((k * 7) % (n - 1)), 0xffffffff, new Uint8Array([k & 255, k >> 8, 0xbb]));
    air.run(air.now + 100);
  }
  air.run(air.now + 2000);
  const lines: string[] = [];
  // the Linux build's whole flash is 256 KB: keep, per sender and frame type, only the latest `keep` frames
  // (in their order), enough for the beacon ratios and the latest full route dumps
  const seen = new Map<string, number>();
  const kept: { t: number; f: Uint8Array }[] = [];
  for (let i = heard.length - 1; i >= 0; i--) {
    const f = heard[i].f;
    if (o.types && !o.types.includes(f[0] & 15)) continue;
    const k = (f[0] & 15) + ':' + new DataView(f.buffer, f.byteOffset).getUint32(5);
    const c = seen.get(k) ?? 0;
    if (c >= o.keep) continue;
    seen.set(k, c + 1);
    kept.unshift(heard[i]);
  }
  const t0 = kept.length ? kept[0].t : 0;
  for (const x of kept) lines.push(Math.round(x.t - t0) + ' ' + Buffer.from(x.f).toString('base64'));
  const file = lines.join('\n') + '\n';
  return { file, frames: kept.length, storage: { 'mw.fill': file, 'mw.filln': String(file.length), mwfill: REPLAY_MODULE } };
}

/**
 * exports.run(): replays "mw.fill" into MW.node.router; returns the number of frames handed over. Lines are
 * read 400 bytes at a time (a line is < 400 bytes: a 250-byte frame is 336 base64 characters).
 */
export const REPLAY_MODULE =
  'exports.run=function(){var S=require("Storage");var n=Number(S.read("mw.filln"));var o=0,c=0;' +
  'var t0=getTime()*1000;var r=MW.node.router;' +
  'while(o<n){var s=S.read("mw.fill",o,n-o<400?n-o:400);var e=s.indexOf("\\n");if(e<0)e=s.length;' +
  'var l=s.substr(0,e);o+=e+1;var p=l.indexOf(" ");if(p<0)continue;' +
  'var f=E.toUint8Array(atob(l.substr(p+1)));r.receive(f,f.length,-60,t0+Number(l.substr(0,p)));c++;}' +
  'return c;};';

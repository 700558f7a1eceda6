/**
 * firmware/node.ts and node-commands.ts in plain Node: several nodes on a virtual clock, joined in a line
 * by an in-memory radio, each with a recording host link. Checks the wiring, not the routing (the routing
 * suites do that): messages cross hops and get answered by the node itself (ping → pong, trace), the one
 * timer follows the router's deadline, the guard re-arms a timer Espruino dropped, the memory levels
 * shed work, and the host commands answer and refuse as documented.
 */
import { describe, it, expect } from 'vitest';
import { createNode, type MeshNode } from '../firmware/node.ts';
import { createCommands } from '../firmware/node-commands.ts';
import { createMemoryGuard, MemLevel } from '../firmware/memory-guard.ts';
import { parseConfig, type NodeConfig } from '../firmware/config.ts';
import type { RadioDriver } from '../firmware/radio-driver.ts';
import type { HostLink } from '../firmware/host-link-port.ts';
import { createAppMessages } from '../shared/app-messages.ts';
import { createCbor } from '../shared/cbor.ts';
import { nodeCborText } from '../host/cbor-text.ts';
import { createNodeAes } from './support/aes-node.ts';
import { crc32 } from '../host/crc32.ts';
import { mulberry32 } from './support/mulberry32.ts';

const KEY = '000102030405060708090a0b0c0d0e0f';
const CAPS = { neighbours: 8, routes: 16, pending: 8, dedupSlots: 64, replaySources: 16, reassemblySlots: 2, reassemblyMaxBytes: 2048, keyEpochs: 2 };

interface Timer { id: number; at: number; fn: () => void }

function world(n: number) {
  let now = 1000;
  let nextId = 1;
  let timers: Timer[] = [];
  const app = createAppMessages({})({ cbor: createCbor()(nodeCborText()) });
  const nodes: { node: MeshNode; link: { sent: { type: number; obj: any }[] }; mem: { level: number }; cfg: NodeConfig; radio: RadioDriver; dropped: { v: boolean } }[] = [];
  const rx: ((f: Uint8Array, len: number, rssi: number) => void)[] = [];
  for (let i = 0; i < n; i++) {
    const parsed = parseConfig(JSON.stringify({ id: 0x100 + i, name: 'n' + i, role: i === n - 1 ? 'gateway' : 'router', mesh: 't', key: KEY, epoch: 1 }));
    if (!parsed.ok) throw new Error(parsed.reason);
    const cfg = parsed.cfg;
    const sent: { type: number; obj: any }[] = [];
    const link: HostLink = {
      emit: (type, obj) => { sent.push({ type, obj }); },
      emitFrame: (rssi, frame, len) => { sent.push({ type: 9, obj: { rssi, len } }); },
      log: () => {},
      wants: () => true,
    };
    const mem = { level: MemLevel.Ok as number };
    const dropped = { v: false };
    const radio: RadioDriver = {
      start: (fn) => { rx[i] = fn; },
      send: (frame, len) => {
        const copy = frame.slice(0, len);
        for (const j of [i - 1, i + 1]) if (j >= 0 && j < n) timers.push({ id: nextId++, at: now + 2, fn: () => rx[j]?.(copy, len, -60) });
      },
      airtimeMs: (len) => ((len + 43) * 8) / 1000,
      stop: () => { rx[i] = () => {}; },
      status: () => ({ kind: 'test', up: true, peers: 2, errors: 0, rx: 0, tx: 0, oversize: 0, garbage: 0, txErrors: 0 }),
    };
    const store = new Map<string, string>();
    const node = createNode({ cfg, version: '0.1.0', board: 'test', capacities: CAPS, seqPersistBlock: 16, telemetryMs: 0 })({
      aes: createNodeAes(), crc32, rng: mulberry32(7 + i), app,
      store: { read: (k) => store.get(k), write: (k, v) => (store.set(k, v), true) },
      radio, link, clock: () => now,
      timers: {
        set: (fn, ms) => {
          const id = nextId++;
          // a dropped timer: as Espruino does with a callback that ran out of memory
          if (dropped.v) { dropped.v = false; return id; }
          timers.push({ id, at: now + ms, fn });
          return id;
        },
        clear: (id) => { timers = timers.filter((t) => t.id !== id); },
      },
      memLevel: () => mem.level, memFree: () => 5000,
    });
    nodes.push({ node, link: { sent }, mem, cfg, radio, dropped });
  }
  function run(ms: number): void {
    const end = now + ms;
    for (;;) {
      timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const t = timers[0];
      if (!t || t.at > end) break;
      timers.shift();
      now = Math.max(now, t.at);
      t.fn();
    }
    now = end;
  }
  return { nodes, run, app, pending: () => timers.length, now: () => now };
}

describe('firmware node wiring', () => {
  it('a ping crosses 3 hops and the far node answers it by itself', () => {
    const w = world(4);
    for (const x of w.nodes) x.node.start();
    w.run(40000); // neighbours and routes form
    const h = w.nodes[0].node.send(0x103, w.app.encode({ t: 'pi', id: 77 }), 0);
    expect(h).toBeGreaterThanOrEqual(0);
    w.run(5000);
    const far = w.nodes[3].link.sent.filter((s) => s.type === 5);
    expect(far.length).toBe(1);
    expect(far[0].obj.s).toBe(0x100);
    expect(far[0].obj.h).toBe(2); // two relays between them
    const back = w.nodes[0].link.sent.filter((s) => s.type === 5).map((s) => w.app.decode(s.obj.p));
    expect(back).toContainEqual({ ok: true, msg: { t: 'po', id: 77 } });
    // the gateway hands every frame it hears to the host for the bridge
    expect(w.nodes[3].link.sent.some((s) => s.type === 9)).toBe(true);
    expect(w.nodes[1].link.sent.some((s) => s.type === 9)).toBe(false);
  });

  it('keeps exactly one timer per node and re-arms one that Espruino dropped', () => {
    const w = world(2);
    for (const x of w.nodes) x.node.start();
    w.run(10000);
    expect(w.pending()).toBeLessThanOrEqual(2 + 4); // one timer each, plus frames in flight
    w.nodes[0].dropped.v = true; // the next timer set by node 0 vanishes
    w.run(5000);
    const before = w.nodes[0].node.router.stats.txBeacon;
    expect(w.nodes[0].node.guard()).toBe(true);
    expect(w.nodes[0].node.errors.rearm).toBe(1);
    w.run(40000);
    expect(w.nodes[0].node.router.stats.txBeacon).toBeGreaterThan(before);
    expect(w.nodes[0].node.guard()).toBe(false);
  });

  it('at critical memory, messages for the node are dropped and counted, relaying goes on', () => {
    const w = world(3);
    for (const x of w.nodes) x.node.start();
    w.run(30000);
    w.nodes[2].mem.level = MemLevel.Critical;
    const relayed = w.nodes[1].node.router.stats.txRelay + w.nodes[1].node.router.stats.txFrames;
    w.nodes[0].node.send(0x102, w.app.encode({ t: 'tx', m: 'hi' }), 0);
    w.run(3000);
    expect(w.nodes[2].node.errors.dropLowMem).toBeGreaterThan(0);
    expect(w.nodes[2].link.sent.filter((s) => s.type === 5).length).toBe(0);
    expect(w.nodes[1].node.router.stats.txRelay + w.nodes[1].node.router.stats.txFrames).toBeGreaterThan(relayed);
  });

  it('answers host commands and refuses bad ones with a reason', () => {
    const w = world(3);
    for (const x of w.nodes) x.node.start();
    w.run(30000);
    let saved: NodeConfig | null = null;
    let rebooted = 0;
    const cmds = createCommands({
      node: w.nodes[0].node, cfg: w.nodes[0].cfg, radio: w.nodes[0].radio,
      id: { fw: '0.1.0', hash: 'deadbeef', board: 'test', boot: 3, kcv: 'abcdef', caps: ['send', 'get', 'trace', 'set', 'tx', 'reboot'] },
      memFree: () => 100, memTotal: () => 200, saveConfig: (c) => { saved = c; return true; }, reboot: () => { rebooted++; },
    });
    const hello = cmds.hello({});
    expect(hello).toMatchObject({ ok: true, v: 1, id: 0x100, name: 'n0', role: 'router', boot: 3, hash: 'deadbeef', kcv: 'abcdef' });
    expect(JSON.stringify(hello)).not.toContain(KEY);
    expect(JSON.stringify(cmds.get({ w: 'cfg' }))).not.toContain(KEY);
    const nb = cmds.get({ w: 'nb' });
    expect(nb.ok).toBe(true);
    expect(nb.n.map((r: number[]) => r[0])).toEqual([0x101]);
    const rt = cmds.get({ w: 'rt' });
    expect(rt.r.some((r: number[]) => r[0] === 0x102 && r[1] === 0x101)).toBe(true);
    const tr = cmds.trace({ id: 5, d: 0x102 });
    expect(tr).toMatchObject({ ok: true, t: 'tR', id: 5, n: 0x101 });
    expect(cmds.send({ d: 0x102, p: w.app.encode({ t: 'tx', m: 'x' }) }).ok).toBe(true);
    for (const bad of [null, {}, { d: 0, p: new Uint8Array([1]) }, { d: 5, p: 'str' }, { d: -1, p: new Uint8Array(1) }]) {
      expect(cmds.send(bad).ok).toBe(false);
    }
    expect(cmds.get({ w: 'zz' })).toMatchObject({ ok: false });
    expect(cmds.set({ k: 'role', v: 'king' }).ok).toBe(false);
    expect(cmds.set({ k: 'name', v: 'roof' })).toMatchObject({ ok: true, reboot: false });
    expect(saved!.name).toBe('roof');
    expect(cmds.tx({ f: new Uint8Array(10) }).ok).toBe(false);
    expect(cmds.reboot({}).ok).toBe(true);
    expect(rebooted).toBe(1);
  });

  it('a repeater identity: its own role in HELLO, and no send or trace handlers', () => {
    const w = world(2);
    const cmds = createCommands({
      node: w.nodes[0].node, cfg: w.nodes[0].cfg, radio: w.nodes[0].radio,
      id: { fw: '0.1.0', hash: 'deadbeef', board: 'esp32-c3', boot: 1, kcv: 'abcdef', caps: ['get', 'set', 'tx', 'reboot'], role: 'repeater' },
      memFree: () => 100, memTotal: () => 200, saveConfig: () => true, reboot: () => {},
    });
    expect(cmds.hello({})).toMatchObject({ ok: true, role: 'repeater', caps: ['get', 'set', 'tx', 'reboot'] });
    expect(Object.keys(cmds).sort()).toEqual(['get', 'hello', 'reboot', 'set', 'tx']);
  });
});

describe('memory guard', () => {
  it('classifies with hysteresis', () => {
    const g = createMemoryGuard({});
    expect(g.sample(5000, 10000)).toBe(MemLevel.Ok);
    expect(g.sample(1400, 10000)).toBe(MemLevel.Low);
    expect(g.sample(600, 10000)).toBe(MemLevel.Critical);
    expect(g.sample(750, 10000)).toBe(MemLevel.Critical); // within 2 points of the threshold
    expect(g.sample(1000, 10000)).toBe(MemLevel.Low);
    expect(g.sample(1600, 10000)).toBe(MemLevel.Low);
    expect(g.sample(1800, 10000)).toBe(MemLevel.Ok);
    expect(g.escalations()).toBe(2);
  });
});

describe('node config', () => {
  it('refuses broken configs with a reason and never echoes the key', () => {
    const bad = [undefined, '', '{', '[]', '{"id":0,"key":"' + KEY + '","epoch":1}', '{"id":5,"key":"00","epoch":1}',
      '{"id":5,"key":"' + KEY.replace('0f', 'zz') + '","epoch":1}', '{"id":5,"key":"' + KEY + '","epoch":300}',
      '{"id":5,"key":"' + KEY + '","epoch":1,"role":"boss"}', '{"id":5,"key":"' + KEY + '","epoch":1,"ch":15}'];
    for (const b of bad) {
      const r = parseConfig(b);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).not.toContain(KEY);
    }
    const ok = parseConfig('{"id":5,"key":"' + KEY + '","epoch":1}');
    expect(ok.ok && ok.cfg.role === 'router' && ok.cfg.ch === 1 && ok.cfg.key[15] === 15).toBe(true);
  });
});

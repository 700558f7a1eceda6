/**
 * The dashboard's data path without a browser: the simulator's MeshFeed (host/web/sim-feed.ts, the live
 * worker) and the dashboard server (host/web/server.ts) over real HTTP and WebSocket.
 *  - records follow the conventions of mesh-feed.ts (8-hex ids, a < b links, qualities in 0..1);
 *  - text, ping and traceroute really cross the simulated mesh: a text to the far end of a line is
 *    delivered by the destination's router after several relays, a ping comes back, a traceroute walks
 *    the line hop by hop with per-hop quality both ways;
 *  - a scripted `death` event and a kill() both turn the node down in the feed; a text to a dead node
 *    fails (no end-to-end acknowledgement) instead of hanging;
 *  - the server serves the bundled page, answers 404 otherwise, sends a hello with the snapshot, batches
 *    updates, answers commands and history requests, and refuses malformed commands with a reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { parseCommand, type MeshEvent, type NodeInfo } from '../host/web/mesh-feed.ts';
import { createSimFeed, type DeliveredText, type SimFeed } from '../host/web/sim-feed.ts';
import { startDashboard, type Dashboard } from '../host/web/server.ts';
import { simGatewayLink } from '../host/web/sim-gateway.ts';
import { createUplink } from '../host/bridge/uplink.ts';
import { createTopics } from '../host/bridge/topics.ts';
import { createAppMessages } from '../shared/app-messages.ts';
import { createCbor } from '../shared/cbor.ts';
import { nodeCborText } from '../host/cbor-text.ts';
import { randomBytes } from 'node:crypto';

const N = 12;
const KEY = new Uint8Array(randomBytes(16));
let feed: SimFeed;
let dash: Dashboard;
const events: MeshEvent[] = [];

beforeAll(async () => {
  // a line: node i hears i±1 (and sometimes i±2), so the far end is several relays from the gateway (node 0);
  // its far end dies at 150 s of virtual time, after the tests that send to it
  feed = await createSimFeed({ nodes: N, topology: 'line', seed: 11, speed: 20, events: [{ at: 150, kind: 'death', node: 11 }], traffic: { unicastPerSec: 0.2, broadcastPerSec: 0 }, meshKey: KEY });
  feed.subscribe((e) => events.push(e));
  dash = await startDashboard({ feed, port: 0 });
}, 30_000);

afterAll(async () => {
  await dash?.close();
  await feed?.close();
});

describe('parseCommand', () => {
  it('accepts the three commands and refuses anything else with a reason', () => {
    expect(parseCommand({ op: 'text', to: '0000abcd', text: 'hi' })).toEqual({ op: 'text', to: '0000abcd', text: 'hi' });
    expect(parseCommand({ op: 'ping', to: '0000abcd', from: '12345678' })).toEqual({ op: 'ping', to: '0000abcd', from: '12345678' });
    expect(parseCommand({ op: 'traceroute', to: 'ffffffff' })).toEqual({ op: 'traceroute', to: 'ffffffff' });
    for (const bad of [null, 'x', {}, { op: 'text', to: '0000abcd' }, { op: 'text', to: '0000abcd', text: '' }, { op: 'text', to: '0000abcd', text: 'x'.repeat(201) },
      { op: 'ping', to: 'ABCDEF12' }, { op: 'ping', to: 'abc' }, { op: 'reboot', to: '0000abcd' }, { op: 'ping', to: '0000abcd', from: 5 }]) {
      expect(typeof parseCommand(bad), JSON.stringify(bad)).toBe('string');
    }
  });
});

describe('simulator feed', () => {
  it('gives node and link records in the feed conventions', async () => {
    await expect.poll(() => feed.snapshot().links.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(N - 1);
    const { nodes, links } = feed.snapshot();
    expect(nodes).toHaveLength(N);
    expect(nodes.map((n) => n.id)).toEqual(feed.ids);
    for (const n of nodes) {
      expect(n.id).toMatch(/^[0-9a-f]{8}$/);
      expect(n.pos && Number.isFinite(n.pos.x) && Number.isFinite(n.pos.y)).toBe(true);
    }
    expect(nodes.filter((n) => n.role === 'gateway').map((n) => n.id)).toEqual([feed.info.self]);
    const ids = new Set(feed.ids);
    for (const l of links) {
      expect(l.a < l.b).toBe(true);
      expect(ids.has(l.a) && ids.has(l.b)).toBe(true);
      for (const q of [l.qualityAB, l.qualityBA]) expect(q === null || (q >= 0 && q <= 1)).toBe(true);
      expect(l.rssi === null || (l.rssi < 0 && l.rssi > -120)).toBe(true);
    }
    // the links join the gateway to the far end of the line (shadowing may skip a neighbour, never the line)
    const reached = new Set([feed.ids[0]]);
    for (let grew = true; grew;) {
      grew = false;
      for (const l of links) {
        if (reached.has(l.a) !== reached.has(l.b)) { reached.add(l.a); reached.add(l.b); grew = true; }
      }
    }
    expect(reached.size).toBe(N);
  });

  it('a text crosses the mesh to the far end, delivered by its router', async () => {
    const got: DeliveredText[] = [];
    const off = feed.onDelivered((d) => got.push(d));
    const r = await feed.command({ op: 'text', to: feed.ids[N - 1], text: 'to the end of the line' });
    off();
    expect(r.ok, r.err).toBe(true);
    expect(r.delivered).toBe(true);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ at: feed.ids[N - 1], src: feed.ids[0], text: 'to the end of the line' });
    // 11 positions away; even with some two-position links that is several relays
    expect(got[0].hops).toBeGreaterThanOrEqual(4);
    expect(r.hops).toBe(got[0].hops);
  });

  it('ping comes back; traceroute walks the line with per-hop quality both ways; any node may send', async () => {
    const p = await feed.command({ op: 'ping', to: feed.ids[5] });
    expect(p.ok, p.err).toBe(true);
    expect(p.ms).toBeGreaterThan(0);
    const t = await feed.command({ op: 'traceroute', to: feed.ids[5] });
    expect(t.ok, t.err).toBe(true);
    const tr = t.trace!;
    expect(tr.status).toBe('done');
    expect(tr.path[0]).toBe(feed.ids[0]);
    expect(tr.path[tr.path.length - 1]).toBe(feed.ids[5]);
    expect(tr.path.length).toBeGreaterThanOrEqual(3);
    expect(tr.hops).toHaveLength(tr.path.length - 1);
    // each end reports its view of the link (null only where an end had no table entry for the other)
    for (const h of tr.hops) {
      for (const q of [h.qualityAB, h.qualityBA]) expect(q === null || (q > 0 && q <= 1)).toBe(true);
      for (const r of [h.rssiAB, h.rssiBA]) expect(r === null || (r < 0 && r > -120)).toBe(true);
    }
    expect(tr.hops.filter((h) => h.qualityAB !== null && h.qualityBA !== null).length).toBeGreaterThan(0);
    expect(new Set(tr.path).size).toBe(tr.path.length);
    // and every page sees it: a trace event follows with the next state
    await expect.poll(() => events.some((e) => e.type === 'trace' && e.trace.to === feed.ids[5]), { timeout: 3000 }).toBe(true);
    const back = await feed.command({ op: 'ping', to: feed.ids[0], from: feed.ids[3] });
    expect(back.ok, back.err).toBe(true);
  });

  it('a scripted death and kill() turn nodes down; a text to a dead node fails', async () => {
    const down = (i: number): boolean => events.some((e) => e.type === 'node' && e.node.id === feed.ids[i] && !e.node.up);
    // the scenario's death of the far end at 150 s of virtual time (speed 20: 7.5 s of wall time)
    expect(down(11)).toBe(false);
    await expect.poll(() => down(11), { timeout: 15_000 }).toBe(true);
    feed.kill(9);
    await expect.poll(() => down(9), { timeout: 5000 }).toBe(true);
    const n9 = feed.snapshot().nodes.find((n) => n.id === feed.ids[9]) as NodeInfo;
    expect(n9.up).toBe(false);
    expect(feed.snapshot().links.some((l) => l.a === n9.id || l.b === n9.id)).toBe(false);
    const r = await feed.command({ op: 'text', to: feed.ids[9], text: 'anyone there?' });
    expect(r.ok).toBe(false);
    expect(r.err).toMatch(/not acknowledged|not delivered/);
    const bad = await feed.command({ op: 'ping', to: '00000001' });
    expect(bad).toEqual({ ok: false, err: 'unknown node' });
  });
});

describe('dashboard server', () => {
  it('serves the bundled page and nothing else', async () => {
    const html = await fetch(dash.url);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    expect(await html.text()).toContain('<script type="module" src="/app.js">');
    const js = await fetch(dash.url + 'app.js');
    expect(js.status).toBe(200);
    expect((await js.text()).length).toBeGreaterThan(100_000); // cytoscape + uPlot + the page
    expect((await fetch(dash.url + 'app.css')).status).toBe(200);
    expect((await fetch(dash.url + '../package.json')).status).toBe(404);
    expect((await fetch(dash.url + 'nope')).status).toBe(404);
  });

  it('speaks the page protocol over WebSocket: hello, batches, replies, history', async () => {
    const ws = new WebSocket(dash.url.replace('http', 'ws') + 'ws');
    const msgs: { t: string; rid?: number; [k: string]: unknown }[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(String(d))));
    await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
    await expect.poll(() => msgs.filter((m) => m.t === 'batch').length, { timeout: 5000 }).toBeGreaterThan(0);
    const hello = msgs[0] as { t: string; nodes: NodeInfo[]; info: { source: string } };
    expect(hello.t).toBe('hello');
    expect(hello.nodes).toHaveLength(N);
    expect(hello.info.source).toBe('sim');
    ws.send(JSON.stringify({ t: 'cmd', rid: 7, cmd: { op: 'ping', to: 'not-an-id' } }));
    ws.send(JSON.stringify({ t: 'cmd', rid: 8, cmd: { op: 'ping', to: feed.ids[2] } }));
    ws.send(JSON.stringify({ t: 'history', rid: 9, id: feed.ids[2] }));
    ws.send('not json');
    await expect.poll(() => [7, 8, 9].every((rid) => msgs.some((m) => m.rid === rid)), { timeout: 15_000 }).toBe(true);
    expect(msgs.find((m) => m.rid === 7)).toMatchObject({ t: 'reply', result: { ok: false, err: 'to must be a node id (8 hex digits)' } });
    expect(msgs.find((m) => m.rid === 8)).toMatchObject({ t: 'reply', result: { ok: true } });
    const h = msgs.find((m) => m.rid === 9) as unknown as { h: { t: number[]; neighbours: (number | null)[]; txPerS: unknown[] } };
    expect(h.h.t.length).toBeGreaterThan(0);
    expect(h.h.neighbours.length).toBe(h.h.t.length);
    expect(h.h.txPerS.length).toBe(h.h.t.length);
    expect(dash.stats().clients).toBe(1);
    ws.close();
  });
});

describe('the simulated gateway as the bridge sees it (GatewayLink)', () => {
  const keyFile = (key: Uint8Array) => ({ mesh: 'sim', current: 1, epochs: [{ epoch: 1, key, created: new Date().toISOString() }] });
  const app = createAppMessages({})({ cbor: createCbor()(nodeCborText()) });

  it('says hello, hands over the frames it hears (they open with the mesh key, not another), and sends into the mesh', async () => {
    const link = simGatewayLink(feed);
    const hello = await new Promise<{ id: number; role?: string }>((r) => link.once('hello', r));
    expect(hello.id).toBe(parseInt(feed.info.self!, 16));
    expect(hello.role).toBe('gateway');
    const frames: Uint8Array[] = [];
    link.on('frame', (_rssi: number, f: Uint8Array) => frames.push(f));
    // a ping from node 2 to the gateway: data frames the gateway hears
    const p = await feed.command({ op: 'ping', to: feed.ids[0], from: feed.ids[2] });
    expect(p.ok, p.err).toBe(true);
    await expect.poll(() => frames.length, { timeout: 5000 }).toBeGreaterThan(0);
    // the bridge's own uplink code opens them with the key file's key ...
    const up = createUplink({ keyFile: keyFile(KEY), topics: createTopics('sim'), mesh: 'sim', bridgeId: 'test' });
    const opened = frames.map((f) => up.openPayload(f)).filter((x) => x !== null);
    expect(opened.length).toBeGreaterThan(0);
    expect(opened.some((o) => { const d = app.decode(o!.payload); return d.ok && (d.msg.t === 'pi' || d.msg.t === 'po'); })).toBe(true);
    // ... and never with another key
    const wrong = createUplink({ keyFile: keyFile(new Uint8Array(16).fill(7)), topics: createTopics('sim'), mesh: 'sim', bridgeId: 'test' });
    expect(frames.map((f) => wrong.openPayload(f)).filter((x) => x !== null)).toHaveLength(0);
    // downlink: a text sent through the link is delivered by node 4's router
    const texts: string[] = [];
    const off = feed.subscribe((e) => { if (e.type === 'packet' && e.packet.kind === 'text' && e.packet.at === feed.ids[4]) texts.push(e.packet.text ?? ''); });
    const r = await link.send(parseInt(feed.ids[4], 16), app.encode({ t: 'tx', m: 'from the bridge', to: parseInt(feed.ids[4], 16) }), { ack: true });
    expect(r.ok, r.err).toBe(true);
    await expect.poll(() => texts, { timeout: 5000 }).toContain('from the bridge');
    off();
    const closed = new Promise<string | undefined>((res) => link.once('close', res));
    link.close();
    expect(await closed).toBe('closed');
    expect((await link.send(1, new Uint8Array(1), {})).ok).toBe(false);
  });
});

/**
 * The wifi-udp driver's link rules (firmware/_radio-wifi-links.ts, boards/RADIOS.md) on the emulated Wifi
 * world: AP naming and security, a line that links up hop by hop, the 4-station limit, re-association when the
 * upstream dies, RSSI sources, infra mode. The per-frame contract is test/radio-compliance.test.ts.
 */
import { describe, it, expect, afterEach } from 'vitest';
import type { RadioDriver } from '../firmware/radio-driver.ts';
import { createWifiUdpRadio, type WifiUdpConfig } from '../firmware/radio-wifi-udp.ts';
import { createWifiWorld, type WifiWorld } from './emulation/espruino-wifi.ts';
import { nodeBytes, nodeTimers, until } from './support/radio-harness.ts';

interface Node { name: string; id: number; driver: RadioDriver; heard: Map<number, number[]>; logs: string[] }
let nodes: Node[] = [];
afterEach(() => { for (const n of nodes) n.driver.stop(); nodes = []; });

function startNodes(world: WifiWorld, names: string[], extra: Partial<WifiUdpConfig> = {}): Node[] {
  const out = names.map((name, i) => {
    const id = 0x100 + i;
    const m = world.node(name);
    const logs: string[] = [];
    const driver = createWifiUdpRadio({ id, mesh: 'town', password: 'derived-on-host', channel: 6, scanMinMs: 10, scanMaxMs: 80, ...extra })({
      wifi: m.wifi, dgram: m.dgram, bytes: nodeBytes, timers: nodeTimers(), log: (l, e, d) => logs.push(`${e}:${d ?? ''}`),
    });
    const heard = new Map<number, number[]>();
    driver.start((f, len, rssi) => { const from = f[0] | (f[1] << 8); heard.set(from, [...(heard.get(from) ?? []), rssi]); });
    return { name, id, driver, heard, logs };
  });
  nodes.push(...out);
  return out;
}

/** every node sends a 2-byte frame naming itself until each pair in `pairs` heard each other */
async function hearEachOther(ns: Node[], pairs: [number, number][], timeoutMs = 4000): Promise<void> {
  const ok = () => pairs.every(([a, b]) => ns[a].heard.has(b) && ns[b].heard.has(a));
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error('pairs never heard each other: ' + pairs.filter(([a, b]) => !(ns[a].heard.has(b) && ns[b].heard.has(a))).join(' '));
    ns.forEach((n, i) => n.driver.send(new Uint8Array([i & 255, i >> 8]), 2));
    await new Promise((r) => setTimeout(r, 30));
  }
}

describe('wifi-udp links', () => {
  it('runs a WPA2 AP named from the mesh and the node id, on its own 10.x subnet', async () => {
    const world = createWifiWorld();
    const [a] = startNodes(world, ['a']);
    await until(() => world.interfaces('a').length === 1, 1000, 'AP up');
    const scan = await new Promise<any[]>((r) => world.node('probe').wifi.scan(r));
    expect(scan.map((x) => [x.ssid, x.authMode, x.channel])).toEqual([['mw-town-00000100', 'wpa2', 6]]);
    const ifc = world.interfaces('a')[0];
    expect(ifc.ip).toMatch(/^10\.\d+\.\d+\.1$/);
    expect(ifc.netmask).toBe('255.255.255.0');
    expect(a.driver.status().up).toBe(true);
    // a node without a usable password runs no AP and says so
    const [b] = startNodes(world, ['b'], { password: 'short' });
    await new Promise((r) => setTimeout(r, 30));
    expect(world.interfaces('b')).toEqual([]);
    expect(b.logs.some((l) => l.startsWith('wifi-no-ap'))).toBe(true);
  });

  it('links a line hop by hop: neighbours hear each other; farther nodes only when they share a BSS', async () => {
    const names = ['0', '1', '2', '3', '4', '5'];
    const world = createWifiWorld({ rssi: (a, b) => (Math.abs(Number(a) - Number(b)) === 1 ? -55 : null) });
    const ns = startNodes(world, names);
    await hearEachOther(ns, [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]);
    // two stations of one AP hear each other through it (the AP relays broadcasts): the only way past one hop
    const segs = (n: string) => new Set(world.interfaces(n).map((f) => f.segment));
    const share = (a: string, b: string) => [...segs(a)].some((s) => segs(b).has(s));
    let far = 0;
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) {
      if (Math.abs(i - j) <= 1) continue;
      if (ns[i].heard.has(j)) { expect(share(names[i], names[j])).toBe(true); far++; }
      if (!share(names[i], names[j])) expect(ns[i].heard.has(j)).toBe(false);
    }
    expect(far).toBeLessThan(12);
  });

  it('breaks a 2-cycle (two nodes on each other\'s AP) so frames are not carried twice', async () => {
    const world = createWifiWorld({ rssi: () => -50 });
    const ns = startNodes(world, ['a', 'b']);
    await hearEachOther(ns, [[0, 1]]);
    await until(() => !(world.upstreamOf('a') === 'b' && world.upstreamOf('b') === 'a'), 2000, 'cycle broken');
    await new Promise((r) => setTimeout(r, 50));
    ns.forEach((n) => n.heard.clear());
    for (let k = 0; k < 10; k++) ns.forEach((n, i) => n.driver.send(new Uint8Array([i, 0, k]), 3));
    await until(() => ns[0].heard.get(1)?.length === 10 && ns[1].heard.get(0)?.length === 10, 2000, '10 frames each way');
    await new Promise((r) => setTimeout(r, 30));
    expect(ns[0].heard.get(1)!.length).toBe(10);
    expect(ns[1].heard.get(0)!.length).toBe(10);
    // the lower id left its upstream; the link stands on the other association
    expect(world.upstreamOf('b')).toBe('a');
    expect(ns[0].logs.some((l) => l.startsWith('wifi-cycle'))).toBe(true);
  });

  it('respects the 4-station limit: the fifth node links through another node', async () => {
    // hub strong for everyone; leaves hear each other weakly but above joinRssi
    const world = createWifiWorld({ rssi: (a, b) => (a === 'hub' || b === 'hub' ? -40 : -80) });
    const ns = startNodes(world, ['hub', 'l1', 'l2', 'l3', 'l4', 'l5']);
    await until(() => ['l1', 'l2', 'l3', 'l4', 'l5'].every((n) => world.upstreamOf(n) !== null), 4000, 'all leaves linked');
    expect(world.stationsOf('hub').length).toBe(4);
    const outside = ['l1', 'l2', 'l3', 'l4', 'l5'].filter((n) => world.upstreamOf(n) !== 'hub');
    expect(outside.length).toBe(1);
    await hearEachOther(ns, [1, 2, 3, 4, 5].map((i) => [0, i] as [number, number]).filter(([, i]) => ns[i].name !== outside[0])
      .concat([[ns.findIndex((n) => n.name === outside[0]), ns.findIndex((n) => n.name === world.upstreamOf(outside[0]))]]));
  });

  it('re-associates when its upstream dies', async () => {
    // x sees y (strong) and z (weaker); y and z do not see each other
    const world = createWifiWorld({ rssi: (a, b) => { const k = [a, b].sort().join(''); return k === 'xy' ? -45 : k === 'xz' ? -70 : null; } });
    startNodes(world, ['x', 'y', 'z']);
    await until(() => world.upstreamOf('x') === 'y', 2000, 'x joins y');
    world.setAlive('y', false);
    await until(() => world.upstreamOf('x') === 'z', 2000, 'x joins z');
  });

  it('reports the station RSSI for its upstream and the scan RSSI for other nodes', async () => {
    const world = createWifiWorld({ rssi: (a, b) => { const k = [a, b].sort().join(''); return k === 'pq' ? -48 : k === 'pr' ? -66 : k === 'qr' ? -77 : null; } });
    const ns = startNodes(world, ['p', 'q', 'r'], { keepScanMs: 20 });
    await hearEachOther(ns, [[0, 1], [0, 2]]);
    await new Promise((r) => setTimeout(r, 60)); // a keep-alive scan has filled every RSSI table
    ns.forEach((n) => n.heard.clear());
    await hearEachOther(ns, [[0, 1], [0, 2]]);
    expect(new Set(ns[0].heard.get(1))).toEqual(new Set([-48]));
    expect(new Set(ns[0].heard.get(2))).toEqual(new Set([-66]));
    expect(new Set(ns[1].heard.get(0))).toEqual(new Set([-48]));
  });

  it('keepScanMs 0: a connected node stops scanning; a failed join backs off instead of spinning', async () => {
    const world = createWifiWorld({ rssi: () => -50 });
    let scans = 0, joins = 0;
    const m = world.node('w');
    const wifi = { ...m.wifi, scan: (cb: any) => { scans++; m.wifi.scan(cb); }, connect: (a: any, b: any, c: any) => { joins++; m.wifi.connect(a, b, c); } };
    world.node('ap').wifi.startAP('mw-town-0000abcd', { password: 'wrong-password' });
    const d = createWifiUdpRadio({ id: 0x42, mesh: 'town', password: 'derived-on-host', channel: 6, scanMinMs: 20, scanMaxMs: 80, keepScanMs: 0 })({
      wifi, dgram: m.dgram, bytes: nodeBytes, timers: nodeTimers(),
    });
    nodes.push({ name: 'w', id: 0x42, driver: d, heard: new Map(), logs: [] });
    d.start(() => {});
    await new Promise((r) => setTimeout(r, 400));
    // the only AP refuses our password: joins are spaced 20, 40, 80, 80 … ms, never back to back
    expect(joins).toBeGreaterThanOrEqual(2);
    expect(joins).toBeLessThanOrEqual(8);
    expect(world.upstreamOf('w')).toBeNull();
    // a good AP appears: the node joins it, then (keepScanMs 0) stops scanning
    world.node('ap2').wifi.startAP('mw-town-0000abce', { password: 'derived-on-host' });
    await until(() => world.upstreamOf('w') === 'ap2', 2000, 'join ap2');
    const s0 = scans;
    await new Promise((r) => setTimeout(r, 150));
    expect(scans).toBe(s0);
  });

  it('infra mode: nodes join one shared network and reach each other through it', async () => {
    const world = createWifiWorld({ rssi: (a, b) => (a === 'home' || b === 'home' ? -60 : null) });
    world.node('home').wifi.startAP('home-net', { password: 'home-pass' });
    const ns = startNodes(world, ['s1', 's2', 's3'], { infra: { ssid: 'home-net', password: 'home-pass' } });
    await hearEachOther(ns, [[0, 1], [1, 2], [0, 2]]);
    expect(['s1', 's2', 's3'].map((n) => world.upstreamOf(n))).toEqual(['home', 'home', 'home']);
    // never seen in a scan of a mesh AP: the fixed default RSSI
    expect(new Set(ns[0].heard.get(1))).toEqual(new Set([-70]));
  });
});

/**
 * `meshwork monitor --web`: the dashboard fed from one serial-attached node (host/web/serial-feed.ts),
 * following the monitor's connection. The far end of a socat pty is the Espruino emulation with the
 * serial-link fixture node flashed on it (as in test/monitor.test.ts); the test reads the dashboard's
 * WebSocket as the page does and finds the node and its neighbours there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { findBoard } from '../boards/index.ts';
import { closePort, openPort } from '../host/serial/port.ts';
import { createConsoleSession } from '../host/serial/console-session.ts';
import { flashNode } from '../host/serial/uploader.ts';
import { buildFixtureNode, startPtyNode, type PtyNode } from './serial-fixtures.ts';

const BIN = new URL('../bin/meshwork.mjs', import.meta.url).pathname;
const ID = 0x5151a0a1;
let dir = '';
let node: PtyNode;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mw-monitor-web-'));
  const [bundle, n] = await Promise.all([buildFixtureNode(), startPtyNode(join(dir, 'n1'), { kind: 'emulation' })]);
  node = n;
  const port = await openPort(node.path);
  const s = createConsoleSession(port as any);
  try {
    await flashNode(s, { bundle, board: findBoard('linux')!,
      config: { id: ID, name: 'attic', role: 'router', mesh: 'm', key: '000102030405060708090a0b0c0d0e0f', epoch: 1, ch: 1, radio: {} } });
  } finally { s.dispose(); await closePort(port); }
}, 60_000);

afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('meshwork monitor --web', () => {
  it('serves the dashboard with the attached node and what it hears', async () => {
    const p = spawn('node', [BIN, 'monitor', '--port', node.path, '--json', '--web', '--web-port', '0', '--report', '1', '--duration', '30', '--no-commands'],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no dashboard URL; output:\n' + out)), 25_000);
        const check = () => {
          const m = /"state":"dashboard","url":"([^"]+)"/.exec(out);
          if (m) { clearTimeout(t); resolve(m[1]); } else setTimeout(check, 100);
        };
        check();
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
      const ws = new WebSocket(url.replace(/^http/, 'ws').replace(/\/?$/, '/ws'));
      const seen = new Map<string, any>();
      const links = new Set<string>();
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`node not in the dashboard: ${JSON.stringify([...seen.keys()])}`)), 20_000);
        ws.on('message', (d) => {
          const m = JSON.parse(String(d));
          for (const n of m.nodes ?? []) seen.set(n.id, n);
          for (const l of m.links ?? []) links.add(`${l.a}-${l.b}`);
          const self = seen.get(ID.toString(16).padStart(8, '0'));
          if (self && self.name === 'attic' && links.size > 0) { clearTimeout(t); resolve(); }
        });
        ws.on('error', reject);
      });
      ws.close();
      expect(seen.size).toBeGreaterThan(1); // the node and the neighbours it reported
    } finally {
      p.kill('SIGINT');
      await new Promise((r) => p.on('close', r));
    }
  }, 90_000);
});

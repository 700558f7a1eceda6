/**
 * `meshwork sim --web` as a user runs it (a real process): it prints the dashboard URL, serves the page and
 * a WebSocket hello with every simulated node, stops cleanly on Ctrl-C (SIGINT, exit 0), and refuses
 * combinations that make no sense with exit 2. The non-web `meshwork sim` is covered by sim-cli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { WebSocket } from 'ws';

const BIN = new URL('../bin/meshwork.mjs', import.meta.url).pathname;

describe('meshwork sim --web', () => {
  it('serves the dashboard of a live simulation until SIGINT', async () => {
    const p = spawn(process.execPath, [BIN, 'sim', '--web', '--port', '0', '--nodes', '10', '--topology', 'grid', '--speed', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no URL in 20 s; stdout: ${out} stderr: ${err}`)), 20_000);
        p.stdout.on('data', () => {
          const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m) { clearTimeout(t); resolve(m[1]); }
        });
      });
      expect(out).toMatch(/simulated mesh: 10 nodes, grid, seed 1, ×4/);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Meshwork');
      const ws = new WebSocket(url.replace('http', 'ws') + 'ws');
      const hello = await new Promise<{ t: string; nodes: unknown[] }>((resolve, reject) => {
        ws.once('message', (d) => resolve(JSON.parse(String(d))));
        ws.once('error', reject);
      });
      expect(hello.t).toBe('hello');
      expect(hello.nodes).toHaveLength(10);
      ws.close();
    } finally {
      p.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(err).toBe('');
  }, 40_000);

  it('refuses --web with --json and --speed without --web (exit 2)', () => {
    const a = spawnSync(process.execPath, [BIN, 'sim', '--web', '--json', '--nodes', '5'], { encoding: 'utf8', timeout: 30_000 });
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--web cannot be combined/);
    const b = spawnSync(process.execPath, [BIN, 'sim', '--speed', '3', '--nodes', '5', '--duration', '5'], { encoding: 'utf8', timeout: 30_000 });
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/--speed needs --web/);
  }, 40_000);
});

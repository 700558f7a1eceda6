/**
 * The config file (host/config-file.ts): per-command defaults from JSON, the command line wins, typos are
 * usage errors that name the key. Runs the real CLI.
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './support/espruino.ts';

const dir = mkdtempSync(join(tmpdir(), 'mw-config-'));
function cli(args: string[], env: Record<string, string> = {}, cwd = dir) {
  return spawnSync('node', [join(REPO_ROOT, 'bin/meshwork.mjs'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
}

describe('meshwork config file', () => {
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ sim: { nodes: 7, duration: 20, topology: 'line' } }));

  it('gives defaults from $MESHWORK_CONFIG, ./meshwork.json or --config; the command line wins', () => {
    const a = cli(['sim', '--json'], { MESHWORK_CONFIG: good });
    expect(a.status, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout).config).toMatchObject({ nodes: 7, durationS: 20, topology: 'line' });
    const b = cli(['--config', good, 'sim', '--json', '--nodes', '5']);
    expect(JSON.parse(b.stdout).config).toMatchObject({ nodes: 5, durationS: 20 });
    const local = mkdtempSync(join(tmpdir(), 'mw-config-cwd-'));
    writeFileSync(join(local, 'meshwork.json'), JSON.stringify({ sim: { nodes: 6, duration: 15 } }));
    const c = cli(['sim', '--json'], {}, local);
    expect(JSON.parse(c.stdout).config).toMatchObject({ nodes: 6, durationS: 15 });
  }, 90_000);

  it('refuses unknown commands, unknown options and broken JSON with exit 2 and the reason', () => {
    const cases: [string, RegExp][] = [
      [JSON.stringify({ sim: { nodez: 7 } }), /"sim" has no option "nodez"/],
      [JSON.stringify({ smi: {} }), /no command "smi"/],
      ['{ not json', /config file .*bad-\d\.json/],
      [JSON.stringify({ sim: 5 }), /"sim" must be an object/],
    ];
    cases.forEach(([text, re], i) => {
      const f = join(dir, `bad-${i}.json`);
      writeFileSync(f, text);
      const r = cli(['sim', '--json'], { MESHWORK_CONFIG: f });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(re);
    });
  }, 60_000);
});

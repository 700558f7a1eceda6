/**
 * `meshwork sim` as a user runs it (a real process): help, the table, --json and --compare --json output,
 * and exit code 2 with a clear message for bad arguments.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../bin/meshwork.mjs', import.meta.url).pathname;
let dir = '';
function mw(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'mw-sim-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('meshwork sim', () => {
  it('--help lists the options', () => {
    const r = mw('sim', '--help');
    expect(r.code).toBe(0);
    for (const o of ['--nodes', '--topology', '--seed', '--duration', '--policy', '--radio', '--loss', '--kill-relay', '--json', '--compare']) {
      expect(r.out).toContain(o);
    }
  });

  it('prints a table by default, with no progress bar when stderr is not a terminal', () => {
    const r = mw('sim', '--nodes', '12', '--topology', 'line', '--duration', '30', '--policy', 'flood');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/unicast delivered\s+\d+\.\d\d %/);
    expect(r.out).toMatch(/12 nodes, line/);
    expect(r.err).toBe('');
  });

  it('--json prints one parseable object; the same seed twice gives the same figures', () => {
    const a = mw('sim', '--nodes', '10', '--duration', '30', '--seed', '5', '--policy', 'managed-flood', '--json');
    const b = mw('sim', '--nodes', '10', '--duration', '30', '--seed', '5', '--policy', 'managed-flood', '--json');
    expect(a.code).toBe(0);
    const ja = JSON.parse(a.out), jb = JSON.parse(b.out);
    expect(ja.config).toMatchObject({ nodes: 10, seed: 5, durationS: 30, policy: 'managed-flood', radio: 'espnow' });
    expect(typeof ja.unicast.deliveryRatio).toBe('number');
    delete ja.wallClock; delete jb.wallClock;
    expect(jb).toEqual(ja);
  });

  it('--compare --json runs the three policies on the same seed; --progress draws on stderr', () => {
    const r = mw('sim', '--nodes', '10', '--duration', '20', '--compare', '--json', '--progress');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.runs.map((x: { config: { policy: string } }) => x.config.policy)).toEqual(['meshwork', 'flood', 'managed-flood']);
    expect(new Set(j.runs.map((x: { config: { seed: number } }) => x.config.seed)).size).toBe(1);
    expect(r.err).toContain('%');
  });

  it('takes events from a file', () => {
    writeFileSync(join(dir, 'ev.json'), JSON.stringify([{ at: 10, kind: 'death', node: 3 }]));
    const r = mw('sim', '--nodes', '10', '--duration', '20', '--events', 'ev.json', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).end.aliveNodes).toBe(9);
  });

  it('bad arguments exit 2 with a message naming the option', () => {
    const cases: [string[], RegExp][] = [
      [['--nodes', '1'], /--nodes/],
      [['--nodes', 'ten'], /--nodes/],
      [['--topology', 'ring'], /--topology/],
      [['--policy', 'aodv'], /--policy/],
      [['--radio', 'lora'], /--radio/],
      [['--loss', '1.5'], /--loss/],
      [['--duration', '10', '--kill-relay', '20'], /--kill-relay/],
      [['--events', 'missing.json'], /--events/],
      [['--nodes', '5', '--topology', 'clusters'], /clusters/],
      [['--bogus'], /unknown option/],
    ];
    for (const [args, msg] of cases) {
      const r = mw('sim', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
    }
  });
});

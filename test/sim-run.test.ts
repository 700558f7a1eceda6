/**
 * Whole simulations with the real routing core (shared/router.ts): determinism to the byte, seeds that
 * matter, scripted events really applied (watched on the air through the observer), route-repair
 * measurement, both radio models, and option checks. These check the simulator, not routing quality:
 * the routing figures are bench/routing.ts's job.
 */
import { describe, expect, it } from 'vitest';
import { runSimulation } from '../host/sim/run.ts';
import { SimUsageError, type SimOptions } from '../host/sim/options.ts';
import type { SimResult } from '../host/sim/result.ts';
import { Off } from '../shared/frame.ts';

const strip = (r: SimResult): string => JSON.stringify({ ...r, wallClock: null });

const small: SimOptions = { nodes: 16, topology: 'grid', seed: 3, durationS: 60, traffic: { unicastPerSec: 2, broadcastPerSec: 0.2 } };

describe('determinism', () => {
  for (const policy of ['meshwork', 'managed-flood', 'flood'] as const) {
    it(`${policy}: the same seed gives the same result to the byte (wall clock aside)`, () => {
      const a = runSimulation({ ...small, policy });
      const b = runSimulation({ ...small, policy });
      expect(strip(b)).toBe(strip(a));
      expect(a.unicast.sent).toBeGreaterThan(50);
      expect(a.frames.total).toBeGreaterThan(0);
    });
  }

  it('a different seed gives a different run; the traffic plan does not depend on the policy', () => {
    const a = runSimulation({ ...small, policy: 'flood' });
    const b = runSimulation({ ...small, policy: 'flood', seed: 4 });
    expect(strip(b)).not.toBe(strip(a));
    const c = runSimulation({ ...small, policy: 'managed-flood' });
    // same messages planned: counted sends equal when nobody dies
    expect(c.unicast.sent + c.unicast.sendErrors).toBe(a.unicast.sent + a.unicast.sendErrors);
    expect(c.broadcast.sent).toBe(a.broadcast.sent);
  });
});

describe('events', () => {
  function watch(o: SimOptions) {
    const tx: [number, number, number][] = [];
    const rx: [number, number, number][] = [];
    const r = runSimulation({
      ...o,
      observer: {
        transmit(node, frame, _len, now) { tx.push([node, now, (frame[Off.Src] << 24 | frame[Off.Src + 1] << 16 | frame[Off.Src + 2] << 8 | frame[Off.Src + 3]) >>> 0]); },
        receive(node, frame, _len, _rssi, now) { rx.push([node, now, frame[Off.PrevHop + 1]]); },
      },
    });
    return { r, tx, rx };
  }

  it('death: the node transmits until it dies and never after; join: nothing before it boots', () => {
    const { r, tx } = watch({ ...small, policy: 'meshwork', events: [{ at: 30, kind: 'death', node: 5 }, { at: 20, kind: 'join', node: 9 }] });
    expect(tx.some(([n, t]) => n === 5 && t < 30000)).toBe(true);
    expect(tx.some(([n, t]) => n === 5 && t >= 30000)).toBe(false);
    expect(tx.some(([n, t]) => n === 9 && t < 20000)).toBe(false);
    expect(tx.some(([n, t]) => n === 9 && t >= 20000)).toBe(true);
    expect(r.end.aliveNodes).toBe(15);
  });

  it('fade: a 60 dB fade on a link silences it for its duration; move: a node carried away stops hearing its old neighbours', () => {
    const o: SimOptions = {
      nodes: 6, topology: 'line', seed: 2, durationS: 60, policy: 'meshwork', traffic: { unicastPerSec: 0, broadcastPerSec: 0 },
      events: [{ at: 20, kind: 'fade', a: 1, b: 2, db: 60, forS: 20 }, { at: 45, kind: 'move', node: 5, x: 50000, y: 0 }],
    };
    const heard: number[][] = [];
    runSimulation({
      ...o,
      observer: {
        receive(node, frame, _len, _rssi, now) {
          const src = (frame[Off.Src] << 24 | frame[Off.Src + 1] << 16 | frame[Off.Src + 2] << 8 | frame[Off.Src + 3]) >>> 0;
          // beacons only (type 3): they are one hop, so their source is the transmitter
          if ((frame[Off.VerType] & 15) === 3) heard.push([node, src & 0xffff, now]);
        },
      },
    });
    // node index i has id low half i + 1
    const b1at2 = (lo: number, hi: number) => heard.filter(([n, s, t]) => n === 2 && s === 2 && t >= lo && t < hi).length;
    expect(b1at2(0, 20000)).toBeGreaterThan(0);
    expect(b1at2(20000, 40000)).toBe(0);
    expect(b1at2(40000, 60000)).toBeGreaterThan(0);
    expect(heard.some(([n, , t]) => n === 5 && t > 45000)).toBe(false);
    expect(heard.some(([n, , t]) => n === 5 && t < 45000)).toBe(true);
  });

  it('kill-relay: a relay of the probe pair dies at T and the repair is measured', () => {
    const r = runSimulation({ nodes: 30, topology: 'grid', seed: 1, durationS: 120, policy: 'managed-flood', killRelayAtS: 60, traffic: { unicastPerSec: 0.5, broadcastPerSec: 0 } });
    const rep = r.repair as { pair: [number, number]; relay: number; repairMs: number | null };
    expect(rep).not.toBeNull();
    expect(rep.relay).not.toBe(rep.pair[0]);
    expect(rep.relay).not.toBe(rep.pair[1]);
    expect(r.end.aliveNodes).toBe(29);
    expect(r.probes.sent).toBeGreaterThan(50);
    expect(rep.repairMs === null || rep.repairMs >= 0).toBe(true);
  });
});

describe('radio models and options', () => {
  it('runs on the Wi-Fi station/AP model too', () => {
    const r = runSimulation({ ...small, radio: 'wifi', policy: 'flood' });
    expect(r.config.radio).toBe('wifi');
    expect(r.unicast.delivered).toBeGreaterThan(0);
    expect(r.radio.collisions).toBe(0);
  });

  it('runs in worker threads (bench) with the same results as in-process', async () => {
    const { runParallel } = await import('../host/sim/parallel.ts');
    const list: SimOptions[] = [{ ...small, policy: 'flood', durationS: 20 }, { ...small, policy: 'managed-flood', durationS: 20, seed: 9 }];
    const par = await runParallel(list, { workers: 2 });
    expect(par.map(strip)).toEqual(list.map((o) => strip(runSimulation(o))));
  });

  it('reports progress up to the end of the run', () => {
    const seen: number[] = [];
    runSimulation({ ...small, policy: 'flood', durationS: 20, progress: (p) => seen.push(p.fraction) });
    expect(seen.length).toBeGreaterThan(10);
    expect(seen[seen.length - 1]).toBe(1);
    for (let k = 1; k < seen.length; k++) expect(seen[k]).toBeGreaterThanOrEqual(seen[k - 1]);
  });

  it('refuses bad options with a usage error', () => {
    const bad: Partial<SimOptions>[] = [
      { nodes: 1 }, { seed: -1 }, { durationS: 0 }, { policy: 'aodv' as never }, { radio: 'lora' as never }, { loss: 1 },
      { killRelayAtS: 100 }, { topology: 'ring' as never }, { events: [{ at: 1, kind: 'death', node: 99 }] },
    ];
    for (const b of bad) expect(() => runSimulation({ ...small, ...b })).toThrow(SimUsageError);
  });
});

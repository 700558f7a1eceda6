/**
 * claims.ts on its own, against an in-memory broker that delivers the claims topic in one order to all:
 * first claimant wins, losers stand by and finish when the frame shows up raw, a silent winner is taken
 * over after takeoverMs, a claim whose echo is lost is claimed again, a disconnect hands claims back.
 */
import { describe, expect, it } from 'vitest';
import { createClaims, type Claims } from '../host/bridge/claims.ts';

function setup(ids: string[], o: { takeoverMs?: number; echoTimeoutMs?: number } = {}) {
  const subs: Claims[] = [];
  let drop = false;
  const log = ids.map(() => ({ published: [] as number[], done: [] as number[], retried: [] as number[], standby: [] as number[] }));
  const bridges = ids.map((id, i) => createClaims({ bridgeId: id, batchMs: 1, ...o })({
    publishClaims: (b) => { if (!drop) setImmediate(() => { for (const s of subs) s.onClaims(b); }); },
    publish: (rid) => log[i].published.push(rid),
    done: (rid) => log[i].done.push(rid),
    retry: (rid) => log[i].retried.push(rid),
    standby: (rid) => log[i].standby.push(rid),
    now: () => Date.now(),
  }));
  subs.push(...bridges);
  return { bridges, log, setDrop: (d: boolean) => { drop = d; } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const K = (seq: number) => ({ src: 0x42, epoch: 1, seq });

describe('claims', () => {
  it('the first claim wins; the loser stands by and finishes when the frame is seen raw', async () => {
    const { bridges: [a, b], log } = setup(['a', 'b']);
    a.add(1, K(1));
    await sleep(20);
    b.add(7, K(1));
    await sleep(20);
    expect(log[0].published).toEqual([1]);
    expect(log[1].published).toEqual([]);
    expect(log[1].standby).toEqual([7]);
    b.onRawSeen(K(1));
    expect(log[1].done).toEqual([7]);
    a.close(); b.close();
  });

  it('claims made at the same moment: exactly one of the two publishes', async () => {
    const { bridges, log } = setup(['a', 'b']);
    for (let s = 1; s <= 200; s++) { bridges[0].add(s, K(s)); bridges[1].add(1000 + s, K(s)); }
    await sleep(50);
    expect(log[0].published.length + log[1].published.length).toBe(200);
    const pubA = new Set(log[0].published);
    for (const r of log[1].published) expect(pubA.has(r - 1000)).toBe(false);
    for (const x of bridges) x.close();
  });

  it('a winner that never publishes is taken over after takeoverMs', async () => {
    const { bridges: [a, b], log } = setup(['a', 'b'], { takeoverMs: 100 });
    a.add(1, K(5));
    await sleep(10);
    b.add(2, K(5));
    await sleep(30);
    expect(log[1].published).toEqual([]);
    await sleep(150); // a "died" after claiming: nothing raw ever shows up
    expect(log[1].published).toEqual([2]);
    expect(b.counters.takeovers).toBe(1);
    a.close(); b.close();
  });

  it('a lost echo is claimed again; a disconnect hands every open claim back', async () => {
    const { bridges: [a], log, setDrop } = setup(['a'], { echoTimeoutMs: 50 });
    setDrop(true);
    a.add(1, K(9));
    await sleep(120);
    expect(log[0].retried).toEqual([1]);
    a.add(2, K(10));
    await sleep(10);
    a.onDisconnect();
    expect(log[0].retried).toEqual([1, 2]);
    expect(a.holding()).toBe(0);
    a.close();
  });
});

/**
 * The page's commands for serial-feed.ts, leaving from the attached node over its link (CONTRACTS §1):
 *   text        `send {d, p: tx message, a: 1}` (the node queues it, end-to-end ack asked; the link does not
 *               report the ack, so the answer is "accepted by the node", not "delivered")
 *   ping        `send` a ping, then wait for the pong the node DELIVERs back (hops, round trip)
 *   traceroute  shared/traceroute-walk.ts: the first hop from the node's own `trace` answer, the next ones by
 *               sending 'tr' queries to each node in turn and reading its 'tR' report from DELIVER (3 tries)
 * Never throws at the caller: every failure is {ok:false, err}.
 */
import type { EventEmitter } from 'node:events';
import type { AppMessage, AppMessages, TraceReportMsg } from '../../shared/app-messages.ts';
import { createTracerouteWalk, WalkStatus } from '../../shared/traceroute-walk.ts';
import { nodeIdHex, type CommandResult, type MeshCommand, type TraceResult, type TraceStatus } from './mesh-feed.ts';
import { walkResult } from './_telemetry-links.ts';

/** the part of NodeLink (host/link/node-link.ts) the serial feed uses */
export interface SerialLinkLike extends EventEmitter {
  request(op: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<{ ok: boolean; err?: string; [k: string]: any }>;
  hello(timeoutMs?: number): Promise<Record<string, any>>;
}

interface Waiter { match(src: number, m: AppMessage): boolean; done(r: { m: AppMessage; hops: number } | null): void }

const TRACE_MAX_HOPS = 16;

export function createSerialCommands(o: {
  link(): SerialLinkLike; app: AppMessages; self(): number; trace(t: TraceResult): void;
  pingTimeoutMs?: number; queryTimeoutMs?: number;
}) {
  const waiters = new Set<Waiter>();
  const { app } = o;
  const waitFor = (match: Waiter['match'], ms: number): Promise<{ m: AppMessage; hops: number } | null> => new Promise((resolve) => {
    const w: Waiter = { match, done: (r) => { clearTimeout(t); resolve(r); } };
    const t = setTimeout(() => { waiters.delete(w); resolve(null); }, ms);
    waiters.add(w);
  });
  const send = async (dst: number, msg: AppMessage, ack = false): Promise<string | null> => {
    const r = await o.link().request('send', { d: dst, p: app.encode(msg), ...(ack ? { a: 1 } : {}) });
    return r.ok ? null : `the node refused the send: ${r.err}`;
  };
  let nextId = (Date.now() * 7919) >>> 0;

  async function traceroute(dst: number): Promise<CommandResult> {
    const t0 = Date.now();
    const id = nextId++ >>> 0;
    const walk = createTracerouteWalk({ self: o.self(), dst, id, maxHops: TRACE_MAX_HOPS });
    let status: TraceStatus = 'error';
    for (;;) {
      const q = walk.query();
      if (!q) break;
      let rep: TraceReportMsg | null = null;
      if (q.to === o.self()) {
        const r = await o.link().request('trace', { id, d: dst, ...(q.msg.p !== undefined ? { p: q.msg.p } : {}) });
        if (!r.ok) return { ok: false, err: `the node refused the trace: ${r.err}` };
        const { ok: _ok, ...rest } = r;
        rep = rest as TraceReportMsg;
      } else {
        for (let tries = 0; tries < 3 && !rep; tries++) {
          const got = waitFor((src, m) => src === q.to && m.t === 'tR' && m.id === id, o.queryTimeoutMs ?? 4000);
          const err = await send(q.to, q.msg);
          if (err) return { ok: false, err };
          const g = await got;
          if (g) rep = g.m as TraceReportMsg;
        }
      }
      if (!rep) { status = 'timeout'; break; }
      const st = walk.report(q.to, rep);
      if (st === WalkStatus.Continue) continue;
      status = st === WalkStatus.Done ? 'done' : st === WalkStatus.NoRoute ? 'no-route' : st === WalkStatus.Loop ? 'loop' : st === WalkStatus.TooLong ? 'too-long' : 'error';
      break;
    }
    const trace = walkResult(walk, nodeIdHex(o.self()), nodeIdHex(dst), status, t0);
    o.trace(trace);
    return status === 'done' ? { ok: true, trace, ms: trace.ms, hops: trace.path.length - 1 } : { ok: false, err: `traceroute: ${status}`, trace, ms: trace.ms };
  }


  return {
    /** an app message DELIVERed from src: settles the waits it answers */
    delivered(src: number, m: AppMessage, hops: number): void {
      for (const w of waiters) if (w.match(src, m)) { waiters.delete(w); w.done({ m, hops }); }
    },
    /** a checked command (mesh-feed.ts parseCommand) to another node */
    async run(v: MeshCommand): Promise<CommandResult> {
      const dst = parseInt(v.to, 16) >>> 0;
      try {
        const t0 = Date.now();
        if (v.op === 'text') {
          const err = await send(dst, { t: 'tx', m: v.text, to: dst }, true);
          return err ? { ok: false, err } : { ok: true };
        }
        if (v.op === 'ping') {
          const id = nextId++ >>> 0;
          const pong = waitFor((src, m) => src === dst && m.t === 'po' && m.id === id, o.pingTimeoutMs ?? 15_000);
          const err = await send(dst, { t: 'pi', id, ts: t0 });
          if (err) return { ok: false, err };
          const g = await pong;
          return g ? { ok: true, hops: g.hops, ms: Date.now() - t0 } : { ok: false, err: 'no pong in time' };
        }
        return await traceroute(dst);
      } catch (e) {
        return { ok: false, err: (e as Error).message };
      }
    },
    close(): void {
      for (const w of waiters) w.done(null);
      waiters.clear();
    },
  };
}

/**
 * What a user does from the monitor, through the attached node (NodeLink `send` / `trace`, CONTRACTS §1)
 * with the application messages of shared/app-messages.ts:
 *   text  {t:'tx', m, to}  sent with an end-to-end ack request; the answer is the node's REPLY (queued, handle)
 *   ping  {t:'pi', id, ts} the pong comes back as a DELIVER from the target: round-trip time
 *   traceroute             the walk of shared/traceroute-walk.ts: the attached node's own report (`trace`
 *                          command), then a query to each next hop in turn, answered by DELIVERed reports
 * Answers are matched on the DELIVER stream the caller feeds in (`onDeliver`).
 */
import { randomBytes } from 'node:crypto';
import { createAppMessages, type AppMessage, type AppMessages, type TraceReportMsg } from '../../shared/app-messages.ts';
import { createCbor } from '../../shared/cbor.ts';
import { createTracerouteWalk } from '../../shared/traceroute-walk.ts';
import { nodeCborText } from '../cbor-text.ts';
import type { NodeLink } from '../link/index.ts';

let codec: AppMessages | undefined;
export function appCodec(): AppMessages {
  if (!codec) codec = createAppMessages({})({ cbor: createCbor()(nodeCborText()) });
  return codec;
}

export const BROADCAST = 0xffffffff;
export const GATEWAY = 0xfffffffe;

/** "1a2b3c4d" / "0x1a2b3c4d" / "all" / "gw" → node id, or null */
export function parseDest(s: string): number | null {
  const t = s.trim().toLowerCase();
  if (t === 'all' || t === '*') return BROADCAST;
  if (t === 'gw' || t === 'gateway') return GATEWAY;
  const h = t.replace(/^0x/, '');
  if (!/^[0-9a-f]{1,8}$/.test(h)) return null;
  const n = parseInt(h, 16) >>> 0;
  return n === 0 ? null : n;
}

export const idHex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

type DeliverFn = (d: { s: number; d: number; h?: number }, app: AppMessage | undefined) => void;

export interface MeshActions {
  /** feed every DELIVER here */
  onDeliver: DeliverFn;
  text(dst: number, m: string): Promise<Record<string, unknown>>;
  ping(dst: number, timeoutMs?: number): Promise<Record<string, unknown>>;
  traceroute(dst: number, opts?: { hopTimeoutMs?: number; maxHops?: number }): Promise<Record<string, unknown>>;
}

export function createMeshActions(getLink: () => NodeLink | undefined, selfId: () => number | undefined): MeshActions {
  const app = appCodec();
  const waiting = new Set<DeliverFn>();
  const t0 = Date.now();

  function link(): NodeLink {
    const l = getLink();
    if (!l || l.isClosed) throw new Error('not connected to a node');
    return l;
  }

  function waitDeliver<T>(match: (d: { s: number; h?: number }, a: AppMessage | undefined) => T | undefined, timeoutMs: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      const fn: DeliverFn = (d, a) => {
        const r = match(d, a);
        if (r !== undefined) { waiting.delete(fn); clearTimeout(timer); resolve(r); }
      };
      const timer = setTimeout(() => { waiting.delete(fn); resolve(undefined); }, timeoutMs);
      waiting.add(fn);
    });
  }

  async function send(dst: number, msg: AppMessage, ack = false): Promise<Record<string, unknown>> {
    return link().send(dst, app.encode(msg), { ack });
  }

  return {
    onDeliver(d, a) { for (const w of [...waiting]) w(d, a); },

    async text(dst, m) {
      // no automatic resend: a lost REPLY must not send the message twice
      const msg: AppMessage = dst === BROADCAST ? { t: 'tx', m } : { t: 'tx', m, to: dst };
      try {
        const r = await send(dst, msg, dst !== BROADCAST);
        return { action: 'text', dst: idHex(dst), ...r };
      } catch (e) {
        return { action: 'text', dst: idHex(dst), ok: false, err: `${(e as Error).message} (the message may still have gone out)` };
      }
    },

    async ping(dst, timeoutMs = 9000) {
      // up to 3 pings (a line hit by noise loses its message); the first pong answers
      const id = randomBytes(4).readUInt32BE(0);
      const pong = waitDeliver((d, a) => (a && a.t === 'po' && a.id === id ? { from: d.s, hops: d.h, ts: a.ts } : undefined), timeoutMs);
      let lastErr = '';
      let answered = false;
      void pong.then(() => { answered = true; });
      for (let attempt = 0; attempt < 3 && !answered; attempt++) {
        try {
          const r = await send(dst, { t: 'pi', id, ts: Date.now() - t0 });
          if (!r.ok) return { action: 'ping', dst: idHex(dst), ok: false, err: r.err };
        } catch (e) { lastErr = (e as Error).message; }
        await Promise.race([pong, new Promise((r) => setTimeout(r, timeoutMs / 3))]);
      }
      const got = await pong;
      if (!got) return { action: 'ping', dst: idHex(dst), ok: false, err: `no pong within ${timeoutMs} ms${lastErr ? ' (' + lastErr + ')' : ''}` };
      return { action: 'ping', dst: idHex(dst), ok: true, from: idHex(got.from), rttMs: Date.now() - t0 - (got.ts ?? 0), hops: got.hops };
    },

    async traceroute(dst, o = {}) {
      const self = selfId();
      if (self === undefined) return { action: 'traceroute', dst: idHex(dst), ok: false, err: 'no handshake yet' };
      const id = randomBytes(4).readUInt32BE(0);
      const walk = createTracerouteWalk({ self, dst, id, maxHops: o.maxHops ?? 16 });
      const hopTimeout = o.hopTimeoutMs ?? 5000;
      const statusName = ['continue', 'done', 'no-route', 'loop', 'too-long', 'ignored'];
      for (let steps = 0; steps < 40; steps++) {
        const q = walk.query();
        if (!q) break;
        let report: TraceReportMsg | undefined;
        for (let attempt = 0; attempt < 3 && !report; attempt++) {
          if (q.to === self) {
            let r;
            try { r = await link().request('trace', { id, d: dst, ...(q.msg.p !== undefined ? { p: q.msg.p } : {}) }, 3000); } catch { continue; }
            if (!r.ok) return { action: 'traceroute', dst: idHex(dst), ok: false, err: r.err };
            report = { t: 'tR', id, l: r.l ?? [], ...(r.n !== undefined ? { n: r.n } : {}), ...(r.m !== undefined ? { m: r.m } : {}) };
          } else {
            const wait = waitDeliver((d, a) => (a && a.t === 'tR' && a.id === id && d.s === q.to ? a : undefined), hopTimeout);
            let r;
            try { r = await send(q.to, q.msg); } catch { report = await wait; continue; }
            if (!r.ok) return { action: 'traceroute', dst: idHex(dst), ok: false, err: r.err, path: walk.path().map(idHex) };
            report = await wait;
          }
        }
        if (!report) return { action: 'traceroute', dst: idHex(dst), ok: false, err: `no answer from ${idHex(q.to)}`, path: walk.path().map(idHex) };
        walk.report(q.to, report);
      }
      const st = walk.status();
      return {
        action: 'traceroute', dst: idHex(dst), ok: st === 1, status: statusName[st] ?? String(st), path: walk.path().map(idHex),
        links: walk.links().map((h) => ({ from: idHex(h.from), to: idHex(h.to), fwd: h.fwd, back: h.back })),
      };
    },
  };
}

/**
 * The host's commands (CONTRACTS §1, shared/host-link.ts), answered by the node. Each handler takes the
 * decoded argument map and returns the reply map ({ok:true, …} or {ok:false, err}); hostile or
 * malformed arguments give {ok:false}, never a throw. `sub` (what the host wants to hear) is kept by the
 * console link itself.
 *
 *   hello              → who this node is (link version, firmware, stored-code hash, board, id, name, role,
 *                        capabilities, boot counter, mesh, epoch, key check value — never the key)
 *   send {d,p,a?,h?}   → queue an application payload p (bytes) to d; a: ask for an end-to-end ack;
 *                        h: 0 = one hop only (no relay: the bridge's default downlink)
 *   get {w}            → "nb" neighbours, "rt" routes, "tm" telemetry, "cfg" config (no key), "st" counters
 *   trace {id,d,p?}    → this node's trace report toward d (the first step of a traceroute walk)
 *   set {k,v}          → name / role / ch in mw.cfg (role and ch apply after a reboot)
 *   tx {f}             → put an already sealed frame on the air (a gateway's downlink)
 *   reboot             → reply, then reboot
 */
import { Flag } from '../shared/frame.ts';
import type { MeshNode } from './node.ts';
import type { NodeConfig } from './config.ts';
import type { RadioDriver } from './radio-driver.ts';

export interface NodeIdentity {
  fw: string; hash: string; board: string; boot: number; kcv: string; caps: string[];
  /** the role the node reports when it is not its config's (a repeater board says "repeater") */
  role?: string;
}

export interface CommandContext {
  node: MeshNode; cfg: NodeConfig; id: NodeIdentity; radio: RadioDriver;
  memFree(): number; memTotal(): number;
  /** persist a changed config (mw.cfg); false when flash refused it */
  saveConfig(cfg: NodeConfig): boolean;
  reboot(): void;
}

export type CommandHandler = (args: any) => any;

function isU32(v: unknown): boolean {
  return typeof v === 'number' && v >= 0 && v <= 0xffffffff && v === Math.floor(v);
}

function fail(err: string): any { return { ok: false, err: err }; }

export function createCommands(c: CommandContext): { [op: string]: CommandHandler } {
  const cfg = c.cfg;

  function hello(): any {
    return {
      ok: true, v: 1, fw: c.id.fw, hash: c.id.hash, board: c.id.board, id: cfg.id, name: cfg.name, role: c.id.role || cfg.role,
      caps: c.id.caps, boot: c.id.boot, mesh: cfg.mesh, epoch: cfg.epoch, kcv: c.id.kcv,
    };
  }

  function neighbours(): any[] {
    const list = c.node.router.neighbours();
    const now = c.node.uptime();
    const rows: any[] = [];
    for (let i = 0; i < list.length; i++) {
      const n = list[i];
      rows.push([n.id, n.rssi, Math.round(n.rx * 100), Math.round(n.tx * 100), n.cost, (n.gateway ? 1 : 0) | (n.leaf ? 2 : 0),
        Math.max(0, Math.round(now - n.lastHeard))]);
    }
    return rows;
  }

  function routes(): any[] {
    const list = c.node.router.routes();
    const rows: any[] = [];
    for (let i = 0; i < list.length; i++) {
      const r = list[i];
      rows.push([r.dst, r.nextHop, r.metric, r.seqno, r.gateway ? 1 : 0]);
    }
    return rows;
  }

  const cmds: { [op: string]: CommandHandler } = {
    hello: hello,
    get: function (a: any) {
      const w = a !== null && typeof a === 'object' ? a.w : undefined;
      if (w === 'nb') return { ok: true, n: neighbours() };
      if (w === 'rt') return { ok: true, r: routes() };
      if (w === 'st') return { ok: true, st: c.node.router.stats, err: c.node.errors, radio: c.radio.status() };
      if (w === 'tm') {
        return { ok: true, up: c.node.uptime(), mem: c.memFree(), tot: c.memTotal(), st: c.node.router.stats, err: c.node.errors };
      }
      if (w === 'cfg') {
        return { ok: true, id: cfg.id, name: cfg.name, role: cfg.role, mesh: cfg.mesh, epoch: cfg.epoch, ch: cfg.ch, kcv: c.id.kcv };
      }
      return fail('get: w must be nb, rt, tm, st or cfg');
    },
    send: function (a: any) {
      if (a === null || typeof a !== 'object') return fail('send: arguments missing');
      if (!isU32(a.d) || a.d === 0) return fail('send: d must be a node id, 0xffffffff (all) or 0xfffffffe (gateway)');
      if (!(a.p instanceof Uint8Array) || a.p.length === 0) return fail('send: p must be non-empty bytes');
      let flags = 0;
      if (a.a) flags |= Flag.AckReq;
      if (a.h === 0) flags |= Flag.NoRelay;
      const h = c.node.send(a.d, a.p, flags);
      return h >= 0 ? { ok: true, h: h } : fail('send: refused (' + h + ')');
    },
    trace: function (a: any) {
      if (a === null || typeof a !== 'object' || !isU32(a.id) || !isU32(a.d) || a.d === 0) return fail('trace: id and d required');
      const r: any = c.node.traceReport(a.id, a.d, isU32(a.p) ? a.p : 0);
      r.ok = true;
      return r;
    },
    set: function (a: any) {
      if (a === null || typeof a !== 'object') return fail('set: arguments missing');
      if (a.k === 'name' && typeof a.v === 'string' && a.v.length <= 32) cfg.name = a.v;
      else if (a.k === 'role' && (a.v === 'router' || a.v === 'gateway' || a.v === 'leaf')) cfg.role = a.v;
      else if (a.k === 'ch' && typeof a.v === 'number' && a.v >= 1 && a.v <= 14 && a.v === Math.floor(a.v)) cfg.ch = a.v;
      else return fail('set: k must be name (≤ 32 chars), role (router|gateway|leaf) or ch (1..14)');
      return c.saveConfig(cfg) ? { ok: true, reboot: a.k !== 'name' } : fail('set: flash write failed');
    },
    tx: function (a: any) {
      if (a === null || typeof a !== 'object' || !(a.f instanceof Uint8Array) || a.f.length < 32 || a.f.length > 250) {
        return fail('tx: f must be a sealed frame of 32..250 bytes');
      }
      c.radio.send(a.f, a.f.length);
      return { ok: true };
    },
    reboot: function () {
      c.reboot();
      return { ok: true };
    },
  };
  // a node without those capabilities (a repeater) does not keep their handlers: ~25 JsVars on a C3
  if (c.id.caps.indexOf('send') < 0) delete cmds.send;
  if (c.id.caps.indexOf('trace') < 0) delete cmds.trace;
  return cmds;
}

/**
 * The node: the routing core (shared/router.ts) wired to a radio driver, the host link and one timer.
 * Espruino's globals stay in main.ts: everything here arrives as a component, so the same wiring runs in
 * the real interpreter, in the Espruino emulation and in plain Node tests.
 *
 * Driving the core: one timer, always set to the router's next deadline (at most MAX_WAIT_MS away). A
 * received frame may pull the deadline earlier: the timer is moved only then. Every step runs inside
 * try/catch and counts errors: a hostile frame, a full table or a bug in one path must not stop the
 * others. The second path that keeps the timer alive (Espruino drops a timer whose callback ran out of
 * memory) is `guard()`, called by main.ts from its own interval.
 *
 * Memory levels (memory-guard.ts) shed optional work: at LOW the host gets no traffic summaries or
 * telemetry; at CRITICAL messages for this node are not decoded or answered (relaying, which allocates
 * nothing, goes on).
 */
import { createRouter, SEND_BULK, GATEWAY } from '../shared/router.ts';
import type { Router, RadioPort, DeliverInfo } from '../shared/router-types.ts';
import type { Aes128, Crc32, Store, Rng } from '../shared/ports.ts';
import { createKeyring } from '../shared/keyring.ts';
import { createAppResponder } from '../shared/app-responder.ts';
import type { AppMessages } from '../shared/app-messages.ts';
import type { NodeConfig } from './config.ts';
import type { RadioDriver } from './radio-driver.ts';
import { MemLevel } from './memory-guard.ts';
import { LinkType, type HostLink } from './host-link-port.ts';
import { createCoreTimer, type NodeTimers } from './_core-timer.ts';

export type { NodeTimers } from './_core-timer.ts';

export interface NodeComponents {
  aes: Aes128; store: Store; crc32: Crc32; rng: Rng; app: AppMessages;
  radio: RadioDriver; link: HostLink; timers: NodeTimers;
  /** monotonic ms */
  clock(): number;
  /** current memory level (memory-guard.ts) and free JsVars */
  memLevel(): number;
  memFree(): number;
}

export interface NodeInit {
  cfg: NodeConfig;
  version: string;
  board: string;
  capacities: { neighbours: number; routes: number; pending: number; dedupSlots: number; replaySources: number;
    reassemblySlots: number; reassemblyMaxBytes: number; keyEpochs: number };
  seqPersistBlock: number;
  /** router hop-ack timeout, ms (board profile) */
  hopAckTimeoutMs?: number;
  /** telemetry to the best gateway every … ms (0 = never); default 300 000 */
  telemetryMs?: number;
  /** traffic summaries to the host, at most per second; default 20 */
  trafficPerSec?: number;
}

export interface NodeErrors { tick: number; receive: number; deliver: number; rearm: number; radio: number; dropLowMem: number }

export interface MeshNode {
  router: Router;
  errors: NodeErrors;
  start(): void;
  stop(): void;
  /** the second path: re-arm the timer if it died; returns true when it had to */
  guard(): boolean;
  /** ms the node has been running */
  uptime(): number;
  /** send an application payload; returns the router's handle or a negative error */
  send(dst: number, payload: Uint8Array, flags: number): number;
  traceReport(id: number, d: number, p: number): unknown;
  telemetryNow(): void;
}

export function createNode(init: NodeInit): (c: NodeComponents) => MeshNode {
  const cfg = init.cfg;
  const telemetryMs = init.telemetryMs !== undefined ? init.telemetryMs : 300000;
  const trafficPerSec = init.trafficPerSec !== undefined ? init.trafficPerSec : 20;
  return function (c: NodeComponents): MeshNode {
    const errors: NodeErrors = { tick: 0, receive: 0, deliver: 0, rearm: 0, radio: 0, dropLowMem: 0 };
    const keys = createKeyring({ capacity: init.capacities.keyEpochs })({ aes: c.aes });
    keys.set(cfg.epoch, cfg.key);
    let started = 0;
    let nextTelemetry = 0;
    let trafficWindow = 0;
    let trafficCount = 0;
    let trafficSkipped = 0;

    // the driver is the router's radio port as it is (same send/airtimeMs): no wrapper closures to pay for
    const radioPort: RadioPort = c.radio;

    // deliver is declared before the router that calls it (Espruino: no hoisting)
    let router: Router;
    let responder: ReturnType<ReturnType<typeof createAppResponder>>;

    function deliver(payload: Uint8Array, info: DeliverInfo): void {
      if (c.memLevel() >= MemLevel.Critical) { errors.dropLowMem++; return; }
      try {
        c.link.emit(LinkType.Deliver, { s: info.src, d: info.dst, q: info.seq, h: info.hops, r: info.rssi, p: new Uint8Array(payload) });
        const h = responder.handle(payload, info.src);
        if (h.reply !== null) router.send(h.to, h.reply, 0, c.clock());
      } catch (e) {
        errors.deliver++;
      }
    }

    router = createRouter({
      selfId: cfg.id, role: cfg.role, policy: 'meshwork', seqPersistBlock: init.seqPersistBlock, hopAckTimeoutMs: init.hopAckTimeoutMs,
      capacities: {
        neighbours: init.capacities.neighbours, routes: init.capacities.routes, pending: init.capacities.pending,
        dedupSlots: init.capacities.dedupSlots, replaySources: init.capacities.replaySources,
        reassemblySlots: init.capacities.reassemblySlots, reassemblyMaxBytes: init.capacities.reassemblyMaxBytes,
      },
    })({
      aes: c.aes, keys: keys, store: c.store, rng: c.rng, crc32: c.crc32, radio: radioPort,
      events: {
        deliver: deliver,
        log: function (level: number, event: string, detail?: string | number) {
          if (c.memLevel() < MemLevel.Low || level <= 1) c.link.log(level, event, detail);
        },
      },
    });
    responder = createAppResponder({ selfId: cfg.id, version: init.version, board: init.board })({
      app: c.app, neighbours: router.neighbours, routes: router.routes, memFree: c.memFree,
    });

    const timer = createCoreTimer({
      timers: c.timers, clock: c.clock,
      deadline: function () { return router.nextDeadline(); },
      rearmed: function () { errors.rearm++; },
      run: function (now: number) {
        try { router.tick(now); } catch (e) { errors.tick++; }
        if (telemetryMs > 0 && now >= nextTelemetry) {
          nextTelemetry = now + telemetryMs;
          telemetryNow();
        }
      },
    });
    const schedule = timer.schedule;

    function summary(frame: Uint8Array, len: number, rssi: number): void {
      const now = c.clock();
      if (now - trafficWindow >= 1000) {
        if (trafficSkipped > 0) c.link.emit(LinkType.Traffic, { k: 'skipped', n: trafficSkipped });
        trafficWindow = now; trafficCount = 0; trafficSkipped = 0;
      }
      if (trafficCount >= trafficPerSec) { trafficSkipped++; return; }
      trafficCount++;
      const v = new DataView(frame.buffer, frame.byteOffset, len);
      c.link.emit(LinkType.Traffic, {
        k: 'rx', t: frame[0] & 15, s: v.getUint32(5), d: v.getUint32(9), q: v.getUint32(13), h: frame[3] - frame[2], r: rssi,
      });
    }

    function onFrame(frame: Uint8Array, len: number, rssi: number): void {
      const now = c.clock();
      try {
        if (len >= 20) {
          if (cfg.role === 'gateway' && c.link.wants(LinkType.Frame)) c.link.emitFrame(rssi, frame, len);
          if (c.memLevel() < MemLevel.Low && c.link.wants(LinkType.Traffic)) summary(frame, len, rssi);
        }
        router.receive(frame, len, rssi, now);
      } catch (e) {
        errors.receive++;
      }
      schedule(now);
    }

    function telemetryNow(): void {
      if (c.memLevel() >= MemLevel.Low) return;
      try {
        const up = c.clock() - started;
        if (c.link.wants(LinkType.Telemetry)) {
          c.link.emit(LinkType.Telemetry, { up: up, mem: c.memFree(), st: router.stats, err: errors });
        }
        if (cfg.role !== 'gateway') router.send(GATEWAY, c.app.encode(responder.telemetry(up)), SEND_BULK, c.clock());
      } catch (e) {
        errors.deliver++;
      }
    }

    return {
      router: router,
      errors: errors,
      start: function () {
        started = c.clock();
        nextTelemetry = started + (telemetryMs > 0 ? Math.min(telemetryMs, 30000) : 0);
        c.radio.start(onFrame);
        timer.start(started);
      },
      stop: function () {
        timer.stop();
        c.radio.stop();
      },
      guard: function () { return timer.guard(c.clock()); },
      uptime: function () { return c.clock() - started; },
      send: function (dst: number, payload: Uint8Array, flags: number) {
        const now = c.clock();
        const h = router.send(dst, payload, flags, now);
        schedule(now);
        return h;
      },
      traceReport: function (id: number, d: number, p: number) { return responder.traceReport(id, d, p); },
      telemetryNow: telemetryNow,
    };
  };
}

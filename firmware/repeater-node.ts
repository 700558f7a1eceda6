/**
 * The repeater node (boards whose profile says `firmware: 'repeater'`, the ESP32-C3): shared/repeater.ts
 * wired to the radio driver, the host link and one timer (_core-timer.ts), with the same MeshNode face as
 * the router node (node.ts), so main.ts, the host commands and the memory guard treat both alike.
 *
 * A repeater relays floods and nothing else (shared/repeater.ts says why): it has no neighbours or routes
 * to list, sends no messages of its own and answers no traceroute; the host learns that from its HELLO
 * (role "repeater", caps without send / trace). It still reports counters, telemetry to the host link,
 * traffic summaries, and every frame to a host that asks (a repeater can feed a bridge).
 */
import { createRepeater, repeaterAsRouter } from '../shared/repeater.ts';
import { RouterError } from '../shared/router-types.ts';
import type { Aes128, Store } from '../shared/ports.ts';
import { createKeyring } from '../shared/keyring.ts';
import type { NodeConfig } from './config.ts';
import type { RadioDriver } from './radio-driver.ts';
import { MemLevel } from './memory-guard.ts';
import { LinkType, type HostLink } from './host-link-port.ts';
import { createCoreTimer, type NodeTimers } from './_core-timer.ts';
import type { MeshNode, NodeErrors } from './node.ts';

export interface RepeaterNodeInit {
  cfg: NodeConfig;
  capacities: { pending: number; dedupSlots: number; replaySources: number; keyEpochs: number };
}

export interface RepeaterNodeComponents {
  aes: Aes128; store: Store; radio: RadioDriver; link: HostLink; timers: NodeTimers;
  /** [0, 1) */
  rng(): number;
  /** monotonic ms */
  clock(): number;
  memLevel(): number;
}

export function createRepeaterNode(init: RepeaterNodeInit): (c: RepeaterNodeComponents) => MeshNode {
  const cfg = init.cfg;
  return function (c: RepeaterNodeComponents): MeshNode {
    const errors: NodeErrors = { tick: 0, receive: 0, deliver: 0, rearm: 0, radio: 0, dropLowMem: 0 };
    const keys = createKeyring({ capacity: init.capacities.keyEpochs })({ aes: c.aes });
    keys.set(cfg.epoch, cfg.key);
    const rep = createRepeater({
      selfId: cfg.id,
      capacities: { pending: init.capacities.pending, dedupSlots: init.capacities.dedupSlots, sources: init.capacities.replaySources },
    })({ aes: c.aes, keys: keys, radio: c.radio, store: c.store, rng: c.rng });
    let started = 0;

    const timer = createCoreTimer({
      timers: c.timers, clock: c.clock, deadline: rep.nextDeadline,
      rearmed: function () { errors.rearm++; },
      run: function (now: number) {
        try { rep.tick(now); } catch (e) { errors.tick++; }
      },
    });

    function onFrame(frame: Uint8Array, len: number, rssi: number): void {
      const now = c.clock();
      try {
        if (len >= 20 && c.memLevel() < MemLevel.Low) {
          if (c.link.wants(LinkType.Frame)) c.link.emitFrame(rssi, frame, len);
          if (c.link.wants(LinkType.Traffic)) {
            const v = new DataView(frame.buffer, frame.byteOffset, len);
            c.link.emit(LinkType.Traffic, { k: 'rx', t: frame[0] & 15, s: v.getUint32(5), d: v.getUint32(9), q: v.getUint32(13), h: frame[3] - frame[2], r: rssi });
          }
        }
        rep.receive(frame, len, rssi, now);
      } catch (e) {
        errors.receive++;
      }
      timer.schedule(now);
    }

    const router = repeaterAsRouter(rep);

    return {
      router: router,
      errors: errors,
      start: function () {
        started = c.clock();
        c.radio.start(onFrame);
        rep.start(started);
        timer.start(started);
      },
      stop: function () {
        timer.stop();
        c.radio.stop();
      },
      guard: function () { return timer.guard(c.clock()); },
      uptime: function () { return c.clock() - started; },
      send: function () { return RouterError.Unsupported; },
      traceReport: function () { return { e: 'repeater' }; },
      telemetryNow: function () {
        if (c.memLevel() < MemLevel.Low && c.link.wants(LinkType.Telemetry)) {
          c.link.emit(LinkType.Telemetry, { up: c.clock() - started, st: rep.stats, err: errors });
        }
      },
    };
  };
}

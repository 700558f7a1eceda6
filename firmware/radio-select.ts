/**
 * The board's radio, chosen by the build-time constant BOARD.radio (the minifier drops the other two
 * drivers from each board's bundle) and configured from mw.cfg (firmware/config.ts):
 *
 *   wifi-udp      mw.cfg { id, mesh, ch, radio: { password (8..63 chars), port?, infra?: {ssid, password},
 *                          joinRssi?, defaultRssi? } }
 *   espnow        mw.cfg { ch }  (module "ESPNOW": boards/ESPNOW.md)
 *   udp-loopback  mw.cfg { id, radio: { port (this node's UDP port), airPort? (47000) } }
 *
 * Espruino's own modules are required here and handed to the driver factories, which never reach for globals.
 */
import type { RadioDriver, RadioLog, RadioTimers, RadioBytes } from './radio-driver.ts';
import type { NodeConfig } from './config.ts';
import { createWifiUdpRadio } from './radio-wifi-udp.ts';
import { createEspNowRadio, type EspNowBinding } from './radio-espnow.ts';
import { createUdpLoopbackRadio, DEFAULT_AIR_PORT } from './radio-udp-loopback.ts';

function num(v: unknown, dflt: number): number {
  return typeof v === 'number' && v === v ? v : dflt;
}

/** peers: senders the wifi-udp driver remembers (the board's neighbour capacity; default 32) */
export function createRadio(cfg: NodeConfig, log: RadioLog, peers?: number): RadioDriver {
  const r = cfg.radio;
  const timers: RadioTimers = {
    setTimeout: function (cb: () => void, ms: number) { return setTimeout(cb, ms); },
    clearTimeout: function (id: unknown) { clearTimeout(id as number); },
    now: function () { return getTime() * 1000; },
  };
  const bytes: RadioBytes = E;
  // if / else if / else on a build-time constant: esbuild folds it and tree-shakes the other drivers
  let radio: RadioDriver;
  if (BOARD.radio === 'udp-loopback') {
    radio = createUdpLoopbackRadio({
      id: cfg.id, port: num(r.port, DEFAULT_AIR_PORT + 1 + (cfg.id % 1000)), airPort: num(r.airPort, DEFAULT_AIR_PORT),
    })({ dgram: require('dgram'), bytes: bytes, timers: timers, log: log });
  } else if (BOARD.radio === 'espnow') {
    // module "ESPNOW" (CONTRACTS §3, boards/ESPNOW.md). The cast keeps a direct require("ESPNOW") call in
    // the bundle; espruino.d.ts and ESPRUINO_MODULES still say "espnow" and must list "ESPNOW".
    const espnow = (require as unknown as (name: string) => EspNowBinding)('ESPNOW');
    radio = createEspNowRadio({ channel: cfg.ch })({ espnow: espnow, bytes: bytes, timers: timers, log: log });
  } else {
    const infra = r.infra as { ssid: string; password?: string } | undefined;
    radio = createWifiUdpRadio({
      id: cfg.id, mesh: cfg.mesh, password: typeof r.password === 'string' ? r.password : '', channel: cfg.ch,
      port: num(r.port, 0) || undefined, infra: infra && typeof infra.ssid === 'string' ? infra : undefined,
      joinRssi: typeof r.joinRssi === 'number' ? r.joinRssi : undefined,
      defaultRssi: typeof r.defaultRssi === 'number' ? r.defaultRssi : undefined,
      peers: peers,
    })({ wifi: require('Wifi') as any, dgram: require('dgram'), bytes: bytes, timers: timers, log: log });
  }
  return radio;
}

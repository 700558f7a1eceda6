/**
 * The node's side of the host link (CONTRACTS.md §1; wire format in shared/host-link.ts): typed messages
 * out as console lines, commands in through the global function `MWc(base64)` that the host types with
 * echo off (`\x10MWc('…')\n`).
 *
 * Usage (firmware/main.ts):
 *   const link = createConsoleLink({ mask: 1, level: 1 })({
 *     natives: espruinoLinkNatives(), write: print, cbor: cbor,    // E.toString, btoa, E.CRC32, … themselves
 *     hello: () => ({ v: LINK_VERSION, fw, hash, board, id, name, role, caps, boot, mesh, epoch }),
 *     global: global,                              // MWc is installed there
 *   });
 *   link.sendHello();                              // unsolicited HELLO at boot
 *   link.onCommand('send', (args, id) => ({ h: handle }));  // → REPLY {h, ok:true}
 *
 * API of the returned link:
 * - `emit(type, obj)` CBOR map → one line; false when not subscribed, too big, or out of memory.
 *   Subscription (cmd `sub {f, lvl, n}`): bit 1 LOG (only `l <= lvl`), 2 TRAFFIC, 4 FRAME, 8 TELEMETRY,
 *   NEIGHBOURS and ROUTES (periodic reports); HELLO, EVENT, DELIVER and REPLY always go out.
 * - `wants(type)`: test before building an object on a hot path (traffic summaries).
 * - `log(level, event, detail?)`: a Log port (shared/ports.ts) that emits LOG {l, e, d}.
 * - `emitFrame(rssi, frame, len)`: FRAME line (`rssi i8 | frame[0..len)`), no CBOR, no copy of the frame
 *   into a buffer, no allocation but the line's strings; only when bit 4 is subscribed.
 * - `reply(id, obj)`: REPLY, always sent. `sendHello()`: HELLO with id 0.
 * - `onCommand(op, handler)`: `handler(args, id)` returns the reply object (`ok: true` is added when
 *   absent) or undefined when it will call `reply(id, …)` itself later. A throw becomes {ok:false, err}.
 *   Built in: `hello` and `sub` (registering them again replaces them).
 * - `command(text)`: what MWc calls. Never throws: a garbled line is counted (`stats.badCmds`) and answered
 *   with {ok:false, err: reason} when its id is readable.
 * - `state` {mask, level, telemetryS}: the subscription (read it, do not write it); `stats` counters.
 *
 * Cost (bench/host-link.ts, callgrind on the ESP32-like Linux build, machine instructions): a FRAME line for a
 * 250-byte frame is ~0.50 M to build (E.toString, E.CRC32, DataView, btoa, one concatenation; 2.8× the print of
 * the line itself, 0.18 M) — 0.67 M with the print; ~1.04 M before the string path and the inlining. CBOR
 * messages cost ~0.15 M per item (TRAFFIC with 7 keys ~2.9 M, a LOG ~1.3 M): rate-limit them. A command
 * (`send` with 40 bytes) is ~2.3 M to decode and dispatch, ~3.6 M with its reply. RAM: ~384 JsVars from flash
 * with the 1536-byte payload buffer, ~293 with maxPayload 256. The console may also block while the UART
 * drains its small TX buffer: a 250-byte frame is a 350-character line, ~30 ms at 115200 baud.
 */
import type { Cbor } from '../shared/cbor.ts';
import {
  T_HELLO, T_LOG, T_TRAFFIC, T_TELEMETRY, T_NEIGHBOURS, T_ROUTES, T_FRAME, T_REPLY, T_CMD,
  HL_HEADER, HL_MAX_PAYLOAD, LINE_START, writeBodyHeader, lineFromParts, createLineScratch, decodeLineText,
} from '../shared/host-link.ts';
import type { LinkNatives } from '../shared/host-link.ts';

// The Espruino natives espruinoLinkNatives uses, declared in this module (they shadow espruino.d.ts) so the
// host tsconfig, which sees this file through the Node tests, type-checks it too. btoa/atob are not in
// espruino.d.ts; they exist on every build (ESPRUINO.md), work on 8-bit strings, and btoa takes a Uint8Array.
declare const E: {
  toString(a: Uint8Array, b?: Uint8Array): string | undefined;
  toUint8Array(bin: string): Uint8Array;
  CRC32(data: string | Uint8Array): number;
};
declare function print(line: string): void;
declare function btoa(binary: string | Uint8Array): string;
declare function atob(text: string): string;

/** Subscription bits (cmd `sub` field f). */
export const SUB_LOGS = 1;
export const SUB_TRAFFIC = 2;
export const SUB_FRAMES = 4;
export const SUB_REPORTS = 8;

export interface ConsoleLinkInit {
  /** largest payload this node emits or accepts (≤ 1536; a smaller buffer saves RAM on the C3). Default 1536. */
  maxPayload?: number;
  /** subscription at boot, before any host asked. Default 1 (logs) */
  mask?: number;
  /** max log level at boot. Default 1 (errors and warnings) */
  level?: number;
}

export interface ConsoleLinkComponents {
  /** Espruino: espruinoLinkNatives(); Node tests: host/link/natives-node.ts */
  natives?: LinkNatives;
  /** first-version name, still accepted: espruinoLinkPorts().base64 is the same LinkNatives object */
  base64?: LinkNatives;
  /** first-version field, ignored (natives.crc32 is used) */
  crc32?: unknown;
  cbor: Cbor;
  /** writes one console line and its "\r\n" (Espruino: print) */
  write: (line: string) => void;
  /** the HELLO fields (CONTRACTS.md §1), for cmd hello and sendHello(): a fresh object each call (the reply adds ok) */
  hello: () => { [k: string]: unknown };
  /** where `MWc` is installed (Espruino: `global`); omitted: not installed, call command() yourself */
  global?: { [k: string]: unknown };
  /** told after each `sub` command (e.g. to start the telemetry timer) */
  subscribed?: (state: LinkState) => void;
}

export interface LinkState {
  mask: number;
  level: number;
  /** telemetry period asked for by `sub {n}`, in seconds (0: none) */
  telemetryS: number;
}

export interface LinkStats {
  /** lines written, and their characters (without "\r\n") */
  lines: number;
  chars: number;
  /** command lines received, and the garbled ones (bad base64, length, CRC, type, payload) */
  cmds: number;
  badCmds: number;
  unknownOps: number;
  handlerErrors: number;
  /** messages not sent: payload over maxPayload, or no memory for the line */
  dropped: number;
}

export type CommandHandler = (args: { [k: string]: unknown }, id: number) => { [k: string]: unknown } | undefined;

export interface ConsoleLink {
  emit(type: number, obj: unknown): boolean;
  wants(type: number): boolean;
  log(level: number, event: string, detail?: string | number): void;
  emitFrame(rssi: number, frame: Uint8Array, len: number): boolean;
  reply(id: number, obj: { [k: string]: unknown }): boolean;
  sendHello(): boolean;
  onCommand(op: string, handler: CommandHandler): void;
  command(text: unknown): void;
  state: LinkState;
  stats: LinkStats;
}

/** The link's natives on Espruino: the built-in functions themselves, no JS wrapper (one call each). */
export function espruinoLinkNatives(): LinkNatives {
  return { bin: E.toString, bytes: E.toUint8Array, btoa: btoa, atob: atob, crc32: E.CRC32 };
}

/**
 * First-version helper, kept for firmware/main.ts: `{natives, write: print}` plus the old field names
 * (`base64` is the natives object, `crc32` is E.CRC32), so `{crc32, base64, write}` components still work.
 */
export function espruinoLinkPorts(): { natives: LinkNatives; base64: LinkNatives; crc32: (d: Uint8Array) => number; write: (line: string) => void } {
  const nat = espruinoLinkNatives();
  return { natives: nat, base64: nat, crc32: E.CRC32, write: print };
}

/** Which subscription bit gates a type (0: always sent). */
function gateBit(type: number): number {
  if (type === T_LOG) return SUB_LOGS;
  if (type === T_TRAFFIC) return SUB_TRAFFIC;
  if (type === T_FRAME) return SUB_FRAMES;
  if (type === T_TELEMETRY || type === T_NEIGHBOURS || type === T_ROUTES) return SUB_REPORTS;
  return 0;
}

export function createConsoleLink(init?: ConsoleLinkInit): (c: ConsoleLinkComponents) => ConsoleLink {
  const maxPayload = init && init.maxPayload !== undefined ? init.maxPayload : HL_MAX_PAYLOAD;
  if (!(maxPayload >= 16 && maxPayload <= HL_MAX_PAYLOAD)) throw new Error('meshwork/console-link: bad maxPayload');
  const state: LinkState = {
    mask: init && init.mask !== undefined ? init.mask : SUB_LOGS,
    level: init && init.level !== undefined ? init.level : 1,
    telemetryS: 0,
  };
  return function (c: ConsoleLinkComponents): ConsoleLink {
    const given = c.natives !== undefined ? c.natives : c.base64;
    if (given === undefined || typeof given.btoa !== 'function') throw new Error('meshwork/console-link: natives missing');
    const nat: LinkNatives = given;
    const cbor = c.cbor;
    const write = c.write;
    // Buffers owned here, reused by every line (a line is written before emit returns): the header, the
    // CBOR payload, the CRC scratch.
    const head = new Uint8Array(HL_HEADER);
    const payloadBuf = new Uint8Array(maxPayload);
    const scratch = createLineScratch();
    // FRAME fast path (a gateway prints every frame it hears): lineFromParts inlined, natives held as plain
    // function values, the constant header bytes written once. Same bytes, proven by the vectors.
    const frameHead = new Uint8Array(HL_HEADER + 1);
    frameHead[0] = T_FRAME;
    const bin = nat.bin;
    const crcOf = nat.crc32;
    const toB64 = nat.btoa;
    const crcBytes = scratch.crc;
    const crcView = scratch.view;
    const stats: LinkStats = { lines: 0, chars: 0, cmds: 0, badCmds: 0, unknownOps: 0, handlerErrors: 0, dropped: 0 };
    // handlers under 'c'+op, so an op named like an Object.prototype member finds nothing
    const handlers: { [k: string]: CommandHandler } = {};
    const logMsg: { l: number; e: string; d?: string | number } = { l: 0, e: '' };

    function drop(): boolean {
      stats.dropped++;
      return false;
    }

    /** CBOR map → one line. Misuse (a function in obj, a cycle) throws from the codec. */
    function send(type: number, id: number, obj: unknown): boolean {
      const end = cbor.encodeInto(obj, payloadBuf, 0);
      if (end < 0) return drop(); // over maxPayload
      writeBodyHeader(head, type, id, end);
      const text = lineFromParts(head, payloadBuf.subarray(0, end), scratch, nat);
      if (text === '') return drop(); // a native could not allocate
      write(text);
      stats.lines++;
      stats.chars += text.length;
      return true;
    }

    function wants(type: number): boolean {
      const bit = gateBit(type);
      return bit === 0 || (state.mask & bit) !== 0;
    }

    function emit(type: number, obj: unknown): boolean {
      if (!wants(type)) return false;
      if (type === T_LOG && (obj as { l: number }).l > state.level) return false;
      return send(type, 0, obj);
    }

    function log(level: number, event: string, detail?: string | number): void {
      if ((state.mask & SUB_LOGS) === 0 || level > state.level) return;
      logMsg.l = level;
      logMsg.e = event;
      if (detail === undefined) delete logMsg.d;
      else logMsg.d = detail;
      send(T_LOG, 0, logMsg);
    }

    function emitFrame(rssi: number, frame: Uint8Array, len: number): boolean {
      if ((state.mask & SUB_FRAMES) === 0) return false;
      if (len >= maxPayload || len > frame.length) return drop();
      frameHead[3] = (len + 1) >> 8;
      frameHead[4] = (len + 1) & 255;
      frameHead[5] = rssi; // Uint8Array stores wrap: -70 → 186 (i8)
      const s = bin(frameHead, len === frame.length ? frame : frame.subarray(0, len));
      if (s === undefined) return drop(); // a native could not allocate
      crcView.setUint32(0, crcOf(s));
      const b = toB64(s + bin(crcBytes));
      if (typeof b !== 'string') return drop();
      write(LINE_START + b);
      stats.lines++;
      stats.chars += b.length + 1;
      return true;
    }

    function reply(id: number, obj: { [k: string]: unknown }): boolean {
      if (send(T_REPLY, id, obj)) return true;
      return send(T_REPLY, id, { ok: false, err: 'reply too big' });
    }

    function sendHello(): boolean {
      return send(T_HELLO, 0, c.hello());
    }

    function onCommand(op: string, handler: CommandHandler): void {
      handlers['c' + op] = handler;
    }

    function fail(id: number, reason: string): void {
      stats.badCmds++;
      if (id >= 0) reply(id, { ok: false, err: reason });
    }

    function command(text: unknown): void {
      stats.cmds++;
      if (typeof text !== 'string') return fail(-1, 'bad base64');
      const r = decodeLineText(text, nat);
      if (!r.ok) return fail(r.id, r.reason);
      if (r.type !== T_CMD) return fail(r.id, 'type');
      const d = cbor.decode(r.payload);
      const args = d.ok ? (d.value as { [k: string]: unknown }) : undefined;
      if (!args || typeof args !== 'object' || typeof args.op !== 'string') return fail(r.id, 'payload');
      const h = handlers['c' + args.op];
      if (typeof h !== 'function') {
        stats.unknownOps++;
        reply(r.id, { ok: false, err: 'unknown op' });
        return;
      }
      let res: { [k: string]: unknown } | undefined;
      try {
        res = h(args, r.id);
        if (res === undefined) return;
        if (res.ok === undefined) res.ok = true;
        reply(r.id, res);
      } catch (e) {
        stats.handlerErrors++;
        reply(r.id, { ok: false, err: String(e) });
      }
    }

    onCommand('hello', function () {
      return c.hello();
    });
    onCommand('sub', function (args) {
      if (typeof args.f === 'number') state.mask = args.f;
      if (typeof args.lvl === 'number') state.level = args.lvl;
      if (typeof args.n === 'number') state.telemetryS = args.n;
      if (c.subscribed) c.subscribed(state);
      return { f: state.mask, lvl: state.level, n: state.telemetryS };
    });

    if (c.global) c.global.MWc = command;

    return {
      emit: emit, wants: wants, log: log, emitFrame: emitFrame, reply: reply, sendHello: sendHello,
      onCommand: onCommand, command: command, state: state, stats: stats,
    };
  };
}

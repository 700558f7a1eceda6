/**
 * The node side of the host link (firmware/console-link.ts), run in Node on Node backends of its ports,
 * against test/vectors/host-link.json; then NodeLink (host/link/node-link.ts) end to end over a stream pair
 * whose far end is console-link behind a tiny REPL (it evaluates `\x10MWc('…')` lines, prints a prompt,
 * and can reboot or spit garbage). The same firmware module then runs inside the real Espruino interpreter
 * (ESPRUINO_BIN) through the firmware's esbuild options and natives (espruinoLinkNatives, print), and the host
 * decoder reads what it printed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { nodeCborText } from '../host/cbor-text.ts';
import { crc32 } from '../host/crc32.ts';
import { checkBundle, formatViolations } from '../host/build/bundle-check.ts';
import { createLinkDecoder, encodeCommandLine, NodeLink, nodeNatives, RESYNC_LINE } from '../host/link/index.ts';
import type { LinkItem } from '../host/link/index.ts';
import { createConsoleLink, SUB_FRAMES, SUB_LOGS, SUB_REPORTS, SUB_TRAFFIC } from '../firmware/console-link.ts';
import type { ConsoleLink, ConsoleLinkInit } from '../firmware/console-link.ts';
import { createCbor } from '../shared/cbor.ts';
import { T_EVENT, T_FRAME, T_HELLO, T_LOG, T_REPLY, T_TRAFFIC } from '../shared/host-link.ts';
import { bundleForEspruino, espruinoBin, runEspruino, skipReason } from './support/espruino.ts';
import { createEspruinoEnv } from './emulation/espruino-env.ts';
import { mulberry32 } from './support/mulberry32.ts';
import { V, plain, revive, unhex } from './support/host-link-vectors.ts';

const HELLO = revive(V.messages.find((m) => m.name === 'hello')!.obj);

function makeNode(init: ConsoleLinkInit = { mask: 15, level: 3 }): { link: ConsoleLink; lines: string[]; g: Record<string, unknown> } {
  const lines: string[] = [];
  const g: Record<string, unknown> = {};
  const link = createConsoleLink(init)({
    natives: nodeNatives, cbor: createCbor()(nodeCborText()), write: (l) => lines.push(l),
    hello: () => ({ ...HELLO }), global: g,
  });
  return { link, lines, g };
}

function decodeLines(lines: string[]): LinkItem[] {
  return createLinkDecoder().push(lines.map((l) => l + '\r\n').join(''));
}

describe('console-link in Node: vectors', () => {
  for (const m of V.messages) {
    it(`emits ${m.name} byte for byte`, () => {
      const { link, lines } = makeNode();
      if (m.type === T_FRAME) {
        const f = unhex(m.frame!);
        const big = new Uint8Array(f.length + 10);
        big.set(f);
        expect(link.emitFrame(m.rssi!, big, f.length)).toBe(true); // len < buffer length: only len bytes go
      } else if (m.type === T_REPLY) expect(link.reply(m.id, revive(m.obj))).toBe(true);
      else if (m.type === T_HELLO) expect(link.sendHello()).toBe(true);
      else expect(link.emit(m.type, revive(m.obj))).toBe(true);
      expect(lines).toEqual([m.line.slice(0, -2)]);
      expect(link.stats.lines).toBe(1);
    });
  }

  for (const c of V.commands) {
    it(`runs command ${c.name} and replies with its id`, () => {
      const { link, lines, g } = makeNode();
      const seen: any[] = [];
      for (const op of ['send', 'get', 'tx']) link.onCommand(op, (args, id) => { seen.push({ args: plain(args), id }); return { r: 1 }; });
      (g.MWc as (s: string) => void)(c.b64);
      const items = decodeLines(lines);
      expect(items).toHaveLength(1);
      const it0 = items[0];
      expect(it0.kind === 'msg' && it0.type === T_REPLY && it0.id === c.id && it0.msg!.ok === true).toBe(true);
      if (c.obj.op === 'hello') expect(plain(it0.kind === 'msg' && it0.msg)).toEqual({ ...plain(HELLO), ok: true });
      else if (c.obj.op === 'sub') expect(link.state).toEqual({ mask: 5, level: 3, telemetryS: 0 });
      else expect(seen).toEqual([{ args: c.obj, id: c.id }]);
      expect(link.stats).toMatchObject({ cmds: 1, badCmds: 0 });
    });
  }

  for (const b of V.bad_commands) {
    it(`garbled command: ${b.name}`, () => {
      const { link, lines } = makeNode();
      expect(() => link.command(b.b64)).not.toThrow();
      const items = decodeLines(lines);
      if (b.reply === null) expect(items).toEqual([]);
      else expect(items.map((i) => i.kind === 'msg' && { id: i.id, type: i.type, obj: i.msg })).toEqual([{ id: b.reply.id, type: T_REPLY, obj: b.reply.obj }]);
      const unknown = b.reply?.obj.err === 'unknown op';
      expect(link.stats).toMatchObject({ cmds: 1, badCmds: unknown ? 0 : 1, unknownOps: unknown ? 1 : 0 });
    });
  }
});

describe('console-link in Node: behaviour', () => {
  it('subscription gates logs (by level), traffic, frames, reports; events and replies always go', () => {
    const { link, lines } = makeNode({ mask: 0, level: 0 });
    expect(link.emit(T_LOG, { l: 0, e: 'x' })).toBe(false);
    link.log(0, 'x');
    expect(link.emit(T_TRAFFIC, { k: 'rx' })).toBe(false);
    expect(link.emitFrame(-1, new Uint8Array(4), 4)).toBe(false);
    expect(link.wants(T_TRAFFIC)).toBe(false);
    expect(link.emit(T_EVENT, { e: 'nb-up', n: 1 })).toBe(true);
    expect(lines).toHaveLength(1);
    link.command(encodeCommandLine(3, { op: 'sub', f: SUB_LOGS | SUB_TRAFFIC | SUB_FRAMES | SUB_REPORTS, lvl: 2, n: 30 }).slice(6, -3));
    expect(link.state).toEqual({ mask: 15, level: 2, telemetryS: 30 });
    link.log(3, 'debug'); // above lvl
    link.log(2, 'info', 7);
    link.log(1, 'warn');
    expect(link.wants(T_TRAFFIC)).toBe(true);
    const msgs = decodeLines(lines).filter((i) => i.kind === 'msg').map((i) => i.kind === 'msg' && [i.type, i.msg]);
    expect(msgs).toEqual([
      [T_EVENT, { e: 'nb-up', n: 1 }],
      [T_REPLY, { f: 15, lvl: 2, n: 30, ok: true }],
      [T_LOG, { l: 2, e: 'info', d: 7 }],
      [T_LOG, { l: 1, e: 'warn' }],
    ]);
  });

  it('handlers: a throw becomes {ok:false, err}; undefined means the handler replies later', () => {
    const { link, lines } = makeNode();
    link.onCommand('boom', () => { throw new Error('kaput'); });
    let later = -1;
    link.onCommand('slow', (_a, id) => { later = id; return undefined; });
    link.command(encodeCommandLine(5, { op: 'boom' }).slice(6, -3));
    link.command(encodeCommandLine(6, { op: 'slow' }).slice(6, -3));
    expect(later).toBe(6);
    link.reply(later, { ok: true, done: 1 });
    const msgs = decodeLines(lines).map((i) => i.kind === 'msg' && [i.id, i.msg]);
    expect(msgs).toEqual([[5, { ok: false, err: 'Error: kaput' }], [6, { ok: true, done: 1 }]]);
    expect(link.stats.handlerErrors).toBe(1);
  });

  it('too big: emit refuses, a reply becomes an error reply, frames over maxPayload are dropped', () => {
    const { link, lines } = makeNode({ mask: 15, level: 3, maxPayload: 64 });
    expect(link.emit(T_EVENT, { e: 'x'.repeat(100) })).toBe(false);
    expect(link.reply(9, { ok: true, big: 'y'.repeat(100) })).toBe(true);
    expect(link.emitFrame(0, new Uint8Array(64), 64)).toBe(false);
    expect(link.emitFrame(0, new Uint8Array(63), 63)).toBe(true);
    expect(link.emitFrame(0, new Uint8Array(10), 11)).toBe(false); // len beyond the buffer: misuse, counted
    const msgs = decodeLines(lines).map((i) => i.kind === 'msg' && [i.type, i.id, i.payload.length]);
    expect(msgs).toEqual([[T_REPLY, 9, 23], [T_FRAME, 0, 64]]);
    expect(link.stats.dropped).toBe(4);
  });

  it('accepts the first-version components {crc32, base64, write} (firmware/main.ts uses them)', () => {
    const lines: string[] = [];
    const link = createConsoleLink({ mask: 15 })({
      crc32: crc32, base64: nodeNatives, write: (l) => lines.push(l), cbor: createCbor()(nodeCborText()), hello: () => ({ ...HELLO }),
    });
    link.sendHello();
    expect(lines).toEqual([V.messages[0].line.slice(0, -2)]);
    expect(() => createConsoleLink({})({ write: () => {}, cbor: createCbor()(nodeCborText()), hello: () => ({}) })).toThrow(/^meshwork\/console-link: /);
  });

  it('never throws on hostile MWc arguments (seeded fuzz), and counts them', () => {
    const { link } = makeNode();
    const rnd = mulberry32(3);
    const good = V.commands.map((c) => c.b64);
    let n = 0;
    for (let t = 0; t < 3000; t++) {
      let s: unknown;
      const r = rnd();
      if (r < 0.1) s = [undefined, null, 42, {}, [], ''][Math.floor(rnd() * 6)];
      else if (r < 0.6) {
        const b = good[Math.floor(rnd() * good.length)].split('');
        b[Math.floor(rnd() * b.length)] = 'ABCxyz09+/='[Math.floor(rnd() * 11)];
        s = b.join('');
      } else {
        const u = new Uint8Array(Math.floor(rnd() * 60));
        for (let i = 0; i < u.length; i++) u[i] = Math.floor(rnd() * 256);
        if (u.length > 5) u[0] = 0x80;
        s = nodeNatives.btoa(u);
      }
      expect(() => link.command(s)).not.toThrow();
      n++;
    }
    expect(link.stats.cmds).toBe(n);
    expect(link.stats.badCmds).toBeGreaterThan(n * 0.9);
  });
});

// ---- NodeLink end to end -------------------------------------------------------------------------------------

/** A fake board: console-link behind a REPL that runs `\x10MWc('…')` lines in a vm context. */
function fakeBoard(opts: { silent?: () => boolean } = {}) {
  const toHost = new PassThrough();
  const fromHost = new PassThrough();
  const host = Duplex.from({ readable: toHost, writable: fromHost });
  let node = makeNode({ mask: 1, level: 1 });
  const print = (s: string) => toHost.write(s);
  const boot = () => {
    node = makeNode({ mask: 1, level: 1 });
    node.link.onCommand('get', (a) => (a.w === 'nb' ? { n: [[1, -60, 100, 100, 1, 0, 10]] } : { ok: false, err: 'what' }));
    node.link.onCommand('send', (a) => ({ h: (a.p as Uint8Array).length }));
    node.link.onCommand('tx', (a) => ({ n: (a.f as Uint8Array).length }));
    // the node writes its lines through print, one write per line
    (node as any).flush = () => { for (const l of node.lines.splice(0)) print(l + '\r\n'); };
    print('\r\n _____\r\n|  ___|espruino.com\r\n 2v29 (c) 2026\r\n\r\n');
    node.link.sendHello();
    (node as any).flush();
    print('>');
  };
  let pending = '';
  fromHost.on('data', (d: Buffer) => {
    pending += d.toString('latin1');
    let k: number;
    while ((k = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, k);
      pending = pending.slice(k + 1);
      if (opts.silent?.()) continue;
      if (line.startsWith('\x10')) {
        try {
          vm.runInNewContext(line.slice(1), { MWc: node.g.MWc });
        } catch (e) {
          print(`Uncaught ${String(e)}\r\n`); // as the REPL does, e.g. for RESYNC_LINE
        }
      } else print(line + '\r\n=undefined\r\n');
      (node as any).flush();
      print('>');
    }
  });
  boot();
  return {
    host, print, reboot: boot, get node() { return node; },
    emit: (type: number, obj: unknown) => { node.link.emit(type, obj); (node as any).flush(); },
    frame: (rssi: number, f: Uint8Array) => { node.link.emitFrame(rssi, f, f.length); (node as any).flush(); },
  };
}

describe('NodeLink end to end over a stream pair', () => {
  it('hello, requests, events, frames, text, garbage, reboot', async () => {
    const board = fakeBoard();
    const link = new NodeLink(board.host, { timeoutMs: 1000 });
    const events: any[] = [];
    const texts: string[] = [];
    const errors: any[] = [];
    const hellos: any[] = [];
    link.on('text', (t) => texts.push(t));
    link.on('error', (e) => errors.push(e));
    link.on('hello', (h) => hellos.push(h));
    link.on('event', (e) => events.push(['event', e]));
    link.on('frame', (r, f) => events.push(['frame', r, f.length]));

    const info = await link.hello();
    expect(plain(info)).toEqual(plain(HELLO));
    expect(link.info).toEqual(info);

    const nb = await link.request('get', { w: 'nb' });
    expect(nb).toEqual({ ok: true, n: [[1, -60, 100, 100, 1, 0, 10]] });
    expect(await link.request('get', { w: 'zz' })).toEqual({ ok: false, err: 'what' });
    expect(await link.request('nope')).toEqual({ ok: false, err: 'unknown op' });
    expect(await link.send(0xffffffff, new Uint8Array(7), { ack: true, hopLimit: 3 })).toEqual({ ok: true, h: 7 });

    // subscribe to frames, then garbage on the line and a frame: the frame still arrives
    expect(await link.request('sub', { f: SUB_FRAMES | SUB_LOGS, lvl: 3 })).toEqual({ ok: true, f: 5, lvl: 3, n: 0 });
    board.print('\x01garbage!!\r\nnoise \x01\x01AAAA\r\n');
    board.frame(-42, new Uint8Array(250).fill(7));
    board.emit(T_EVENT, { e: 'nb-up', n: 9 });
    expect(await link.tx(new Uint8Array(33))).toEqual({ ok: true, n: 33 });
    expect(events).toEqual([['frame', -42, 250], ['event', { e: 'nb-up', n: 9 }]]);
    expect(errors.map((e) => e.reason)).toEqual(['garbage', 'garbage', 'short']);

    // reboot: banner text + unsolicited HELLO → 'hello' again, and requests keep working
    board.reboot();
    await new Promise((r) => setImmediate(r));
    expect(hellos.length).toBe(3); // the hello() answer, the boot HELLO before it was read, the reboot
    expect(texts.join('')).toContain('espruino.com');
    expect((await link.request('get', { w: 'nb' })).ok).toBe(true);
    expect(link.stats).toMatchObject({ timeouts: 0, lateReplies: 0 });
    link.close();
    expect(link.isClosed).toBe(true);
  });

  it('timeouts, late replies, and close rejecting what is pending', async () => {
    let silent = true;
    const board = fakeBoard({ silent: () => silent });
    const written: string[] = [];
    const link = new NodeLink(board.host, { timeoutMs: 100, write: (l) => { written.push(l); board.host.write(l, 'latin1'); } });
    await expect(link.request('hello', {}, 50)).rejects.toThrow(/no reply to hello/);
    expect(link.stats.timeouts).toBe(1);
    expect(written).toEqual([encodeCommandLine(1, { op: 'hello' }), RESYNC_LINE]);
    // a reply for an id nobody waits for is counted, not delivered
    board.node.link.reply(4242, { ok: true });
    (board.node as any).flush();
    await new Promise((r) => setImmediate(r));
    expect(link.stats.lateReplies).toBe(1);
    silent = false;
    expect((await link.hello()).board).toBe('esp32');
    silent = true;
    const p = link.request('get', { w: 'nb' }, 5000);
    link.close();
    await expect(p).rejects.toThrow(/link closed/);
    await expect(link.request('hello')).rejects.toThrow(/link closed/);
  });

  it('the stream ending closes the link', async () => {
    const board = fakeBoard({ silent: () => true });
    const link = new NodeLink(board.host, { timeoutMs: 5000 });
    let closed = false;
    link.on('close', () => (closed = true));
    const p = link.request('hello');
    board.host.destroy();
    await expect(p).rejects.toThrow(/link closed/);
    expect(closed).toBe(true);
  });
});

// ---- the real interpreter ------------------------------------------------------------------------------------

const bin = espruinoBin();

/** On the node: emit every message vector, run every command and bad command; print a marker at the end. */
function espruinoDriver(): string {
  return `
import { createConsoleLink, espruinoLinkNatives } from './firmware/console-link.ts';
import { createCbor } from './shared/cbor.ts';
import { espruinoCborText } from './firmware/_cbor-text.ts';
declare const VECTORS: any;
declare const global: any;
function unhex(h) { var u = new Uint8Array(h.length / 2); for (var i = 0; i < u.length; i++) u[i] = parseInt(h.substr(i * 2, 2), 16); return u; }
function revive(v) {
  if (Array.isArray(v)) { var a = []; for (var i = 0; i < v.length; i++) a.push(revive(v[i])); return a; }
  if (v && typeof v === 'object') {
    if (typeof v.$bytes === 'string') return unhex(v.$bytes);
    var o = {}; var ks = Object.keys(v); for (var j = 0; j < ks.length; j++) o[ks[j]] = revive(v[ks[j]]); return o;
  }
  return v;
}
var hello = null;
var link = createConsoleLink({ mask: 15, level: 3 })({
  natives: espruinoLinkNatives(), write: print, cbor: createCbor()(espruinoCborText()),
  hello: function () { return revive(hello); }, global: global,
});
var seen = [];
link.onCommand('send', function (a, id) { seen.push(id); return { r: 1 }; });
link.onCommand('get', function (a, id) { seen.push(id); return { r: 1 }; });
link.onCommand('tx', function (a, id) { seen.push(id); return { r: 1 }; });
var ms = VECTORS.messages;
for (var i = 0; i < ms.length; i++) {
  var m = ms[i];
  if (m.type === 9) { var f = unhex(m.frame); link.emitFrame(m.rssi, f, f.length); }
  else if (m.type === 10) link.reply(m.id, revive(m.obj));
  else if (m.type === 1) { hello = m.obj; link.sendHello(); }
  else link.emit(m.type, revive(m.obj));
}
print('@@PART');
for (var k = 0; k < VECTORS.commands.length; k++) MWc(VECTORS.commands[k].b64);
print('@@PART');
for (var b = 0; b < VECTORS.bad_commands.length; b++) MWc(VECTORS.bad_commands[b].b64);
MWc(undefined); MWc(123);
print('@@END ' + JSON.stringify({ stats: link.stats, seen: seen }));
quit();
`;
}

/** The node for the REPL scenario: booted from Storage .bootcde, as firmware/main.ts runs on a board. */
const REPL_NODE = `
import { createConsoleLink, espruinoLinkNatives } from './firmware/console-link.ts';
import { createCbor } from './shared/cbor.ts';
import { espruinoCborText } from './firmware/_cbor-text.ts';
declare const global: any;
declare function load(): void;
var link = createConsoleLink({ mask: 1, level: 1 })({
  natives: espruinoLinkNatives(), write: print, cbor: createCbor()(espruinoCborText()),
  hello: function () { return { v: 1, fw: '0.0.0-test', board: 'linux', id: 77, caps: ['send'] }; }, global: global,
});
link.onCommand('burst', function (a) {
  var f = new Uint8Array(250);
  for (var i = 0; i < a.n; i++) { f[0] = i; link.emitFrame(-60 - i, f, 250); link.log(1, 'burst', i); }
  print('plain text from the node');
  return { n: a.n };
});
link.onCommand('mem', function () { return { free: process.memory().free }; });
link.onCommand('reboot', function () { setTimeout(function () { load(); }, 20); return {}; });
link.sendHello();
`;

/** A board behind a console: the stream, and raw writes for what a person (or a bad cable) types. */
interface ReplBoard { duplex: Duplex; raw: (text: string) => void }

async function replScenario(board: ReplBoard): Promise<void> {
  const link = new NodeLink(board.duplex, { timeoutMs: 5000 });
  const texts: string[] = [];
  const frames: number[] = [];
  const logs: any[] = [];
  const errors: string[] = [];
  const hellos: any[] = [];
  link.on('text', (t) => texts.push(t));
  link.on('frame', (r, f) => frames.push(r * 1000 + f[0]));
  link.on('log', (m) => logs.push(m));
  link.on('error', (e) => errors.push(e.reason));
  link.on('hello', (h) => hellos.push(h));
  const HELLO_FIELDS = { v: 1, fw: '0.0.0-test', board: 'linux', id: 77, caps: ['send'] };
  try {
    await new Promise((r) => link.once('hello', r)); // the unsolicited boot HELLO
    expect(await link.hello()).toEqual(HELLO_FIELDS);
    expect(await link.request('sub', { f: SUB_FRAMES | SUB_LOGS, lvl: 1 })).toEqual({ ok: true, f: 5, lvl: 1, n: 0 });
    // a person typing at the REPL in between: its echo and result are text, the link carries on
    board.raw('1+2\n');
    expect(await link.request('burst', { n: 5 })).toEqual({ ok: true, n: 5 });
    expect(frames).toEqual([-60000, -60999, -61998, -62997, -63996]);
    expect(logs).toEqual([0, 1, 2, 3, 4].map((i) => ({ l: 1, e: 'burst', d: i })));
    expect((await link.request('mem')).free).toBeGreaterThan(1000);
    expect(await link.request('nope')).toEqual({ ok: false, err: 'unknown op' });
    const clean = texts.join('');
    expect(clean).toContain('plain text from the node');
    expect(clean).toContain('=3');
    expect(clean).not.toContain('MWc'); // \x10: no echo of command lines
    expect(clean).not.toContain('=undefined');
    // a command that lost its ')' on the wire leaves the REPL waiting and swallowing what follows: the
    // request times out, NodeLink writes RESYNC_LINE, and the next request is answered
    board.raw(encodeCommandLine(999, { op: 'mem' }).replace("')\n", "'\n"));
    await expect(link.request('mem', {}, 400)).rejects.toThrow(/no reply to mem/);
    expect((await link.request('mem')).ok).toBe(true);
    expect(texts.join('')).toContain('Uncaught SyntaxError'); // the swallowed lines, run by RESYNC_LINE
    // reboot: reply, then the node reloads .bootcde and says HELLO again, unasked; the link keeps working
    const rebooted = new Promise((r) => link.once('hello', r));
    expect(await link.request('reboot')).toEqual({ ok: true });
    expect(await rebooted).toEqual(HELLO_FIELDS);
    expect(link.info).toEqual(HELLO_FIELDS);
    expect(await link.request('sub', { f: SUB_FRAMES | SUB_LOGS, lvl: 1 })).toMatchObject({ ok: true, f: 5 }); // fresh state after boot
    expect(hellos).toHaveLength(3);
    expect(errors).toEqual([]);
    expect(link.stats).toMatchObject({ timeouts: 1, lineErrors: 0 });
  } finally {
    link.close();
  }
}

describe.runIf(!!bin)(`console-link on the real Espruino interpreter (${bin ?? skipReason()})`, () => {
  it('prints the vector lines byte for byte, answers commands and garbled commands', async () => {
    const code = await bundleForEspruino(espruinoDriver());
    const violations = checkBundle(code);
    expect(violations, formatViolations(violations)).toEqual([]);
    const vectors = {
      messages: V.messages, commands: V.commands.map((c) => ({ b64: c.b64 })), bad_commands: V.bad_commands.map((b) => ({ b64: b.b64 })),
    };
    const { stdout } = await runEspruino(bin!, `var VECTORS = ${JSON.stringify(vectors)};\n${code}`, { timeoutMs: 60_000 });
    const endAt = stdout.indexOf('@@END ');
    expect(endAt).toBeGreaterThan(0);
    const [part1, part2, part3] = stdout.slice(0, endAt).split('@@PART\r\n');
    // 1. every message line exactly as the vectors say (the banner before them is text)
    const lines = part1.slice(part1.indexOf('\x01'));
    expect(lines).toBe(V.messages.map((m) => m.line).join(''));
    // 2. the host decoder reads the node's replies
    const replies = (s: string) => createLinkDecoder().push(s).map((i) => (i.kind === 'msg' ? [i.id, i.msg] : [i.kind, (i as any).reason ?? (i as any).text]));
    expect(replies(part2)).toEqual(V.commands.map((c) => [c.id, c.obj.op === 'hello' ? { ...plain(HELLO), ok: true }
      : c.obj.op === 'sub' ? { f: 5, lvl: 3, n: 0, ok: true } : { r: 1, ok: true }]));
    expect(replies(part3)).toEqual(V.bad_commands.filter((b) => b.reply).map((b) => [b.reply!.id, b.reply!.obj]));
    const end = JSON.parse(stdout.slice(endAt + 6).split('\r\n')[0]);
    expect(end.seen).toEqual(V.commands.filter((c) => ['send', 'get', 'tx'].includes(c.obj.op)).map((c) => c.id));
    expect(end.stats).toMatchObject({
      cmds: V.commands.length + V.bad_commands.length + 2,
      badCmds: V.bad_commands.filter((b) => b.reply?.obj.err !== 'unknown op').length + 2,
      unknownOps: 2, handlerErrors: 0, dropped: 0, lines: V.messages.length + V.commands.length + 7,
    });
  });

  it('NodeLink talks to console-link through the real REPL (booted from flash: echo off, prompt, text, reboot)', async () => {
    const code = await bundleForEspruino(REPL_NODE);
    const dir = mkdtempSync(join(tmpdir(), 'meshwork-link-'));
    try {
      await runEspruino(bin!, `require("Storage").write(".bootcde", ${JSON.stringify(code)});quit();`, { dir });
      const child = spawn(bin!, [], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
      try {
        await replScenario({ duplex: Duplex.from({ readable: child.stdout, writable: child.stdin }), raw: (t) => child.stdin.write(t) });
      } finally {
        child.kill('SIGKILL');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('NodeLink and console-link through the Espruino emulation (test/emulation, H3)', () => {
  it('same scenario as on the real REPL', async () => {
    const code = await bundleForEspruino(REPL_NODE);
    const toHost = new PassThrough();
    const fromHost = new PassThrough();
    const env = createEspruinoEnv({ board: 'linux', write: (chars) => toHost.write(Buffer.from(chars, 'latin1')), storage: { '.bootcde': code }, boot: true });
    fromHost.on('data', (d: Buffer) => env.input(d.toString('latin1')));
    try {
      await replScenario({ duplex: Duplex.from({ readable: toHost, writable: fromHost }), raw: (t) => fromHost.write(t) });
    } finally {
      env.dispose();
    }
  });
});

/**
 * Flashing one node over its Espruino console, spoken directly (no `espruino` package: it cannot open a pty
 * and hangs on short uploads, see shared/ESPRUINO.md):
 *   wake → probe (process.env, Storage free space, the current mw.cfg identity) → board and size checks →
 *   reset() → erase mw.cfg and .bootcde → write the bundle to .bootcde in acknowledged chunks (a window of a
 *   few lines in flight, far below the node's input buffer) → read back E.CRC32 of .bootcde → only then
 *   write mw.cfg (the node's config is the "good" mark: a node without it was not finished) → load() →
 *   wait for HELLO and check hash, board and node id.
 * Any failure throws a FlashError; after a failed write or verify the partial .bootcde is erased when the
 * port still answers, and mw.cfg is never written, so nothing half-written is left marked good.
 * mw.cfg holds the network key: its line is never logged and the key is never part of an error.
 */
import type { BoardProfile } from '../../boards/index.ts';
import { boards as allBoards } from '../../boards/index.ts';
import { crc32 } from '../crc32.ts';
import { NodeError, type ConsoleSession } from './console-session.ts';
import { BOOT_FILE, boardMatches, chunkLine, configLine, CONFIG_FILE, profilesFor, writerLine } from './_upload-lines.ts';
import { commandLine, findHello, type HelloInfo } from './_link-lite.ts';

export type FlashStep =
  | 'no-prompt' | 'wrong-board' | 'too-big' | 'storage' | 'lost' | 'verify' | 'oom' | 'boot-error'
  | 'old-version' | 'no-hello' | 'mismatch' | 'port-gone' | 'node-error';

export class FlashError extends Error {
  constructor(readonly step: FlashStep, message: string) {
    super(message);
    this.name = 'FlashError';
  }
}

/** CONTRACTS §2 mw.cfg, plus `fw`: the .bootcde hash this config was written for */
export interface NodeConfig {
  id: number; name: string; role: 'router' | 'gateway' | 'leaf'; mesh: string; key: string; epoch: number;
  ch: number; radio: Record<string, unknown>;
}

export interface NodeProbe {
  env: Record<string, unknown> & { BOARD?: string; VERSION?: string };
  free: number;
  /** bytes of the current .bootcde (0: none) */
  boot: number;
  /** identity from the current mw.cfg (never the key) */
  cfg: { id?: number; name?: string; role?: string } | null;
}

export type FlashPhase = 'connect' | 'probe' | 'erase' | 'write' | 'verify' | 'config' | 'reboot' | 'hello' | 'done';
export interface FlashProgress { phase: FlashPhase; done: number; total: number }

export interface FlashPlan {
  bundle: string;
  board: BoardProfile;
  /** the config, or how to make it from what the node says about itself (keeps ids across re-flashes) */
  config: NodeConfig | ((probe: NodeProbe) => NodeConfig);
  baud?: number;
  /** raw bundle bytes per console line (default 512) */
  chunkBytes?: number;
  /** lines in flight before waiting for an acknowledgement (default 3) */
  window?: number;
  helloTimeoutMs?: number;
  onProgress?(p: FlashProgress): void;
  /** a trace of the conversation, without the config line */
  log?(line: string): void;
}

export interface FlashResult {
  hash: string;
  bytes: number;
  /** time to write the chunks (first line sent → last acknowledgement) */
  writeMs: number;
  /** bytes actually sent for the bundle (escaped lines) */
  lineBytes: number;
  /** bundle bytes × 10 / baud, in ms: the line-rate floor */
  lineRateMs: number;
  totalMs: number;
  probe: NodeProbe;
  hello: HelloInfo;
  /** the config as written, without the key */
  config: Omit<NodeConfig, 'key'>;
  /** things the node printed that did not stop it (an error at boot before its HELLO) */
  warnings: string[];
}

const clip = (s: string): string => (s.length > 160 ? s.slice(0, 157) + '...' : s);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

function asFlashError(e: unknown, step: FlashStep, what: string): FlashError {
  if (e instanceof FlashError) return e;
  if (e instanceof NodeError) {
    if (e.kind === 'closed') return new FlashError('port-gone', `the port went away during ${what}: check the cable and flash again (the node was not marked good)`);
    if (e.kind === 'oom') return new FlashError('oom', `${e.message} during ${what}`);
    if (e.kind === 'uncaught') return new FlashError('node-error', `${e.message} (during ${what})`);
    return new FlashError(step, `${e.message} (during ${what})`);
  }
  return new FlashError(step, `${what}: ${(e as Error).message ?? String(e)}`);
}

const PROBE = '{env:process.env,free:require("Storage").getFree(),' +
  'boot:(require("Storage").read(".bootcde")||"").length,' +
  'cfg:(function(c){return c?{id:c.id,name:c.name,role:c.role}:null})(require("Storage").readJSON("mw.cfg",1))}';

export async function flashNode(s: ConsoleSession, plan: FlashPlan): Promise<FlashResult> {
  const t0 = Date.now();
  const baud = plan.baud ?? plan.board.console.baud;
  const chunkBytes = plan.chunkBytes ?? 512;
  const window = plan.window ?? 3;
  const progress = (phase: FlashPhase, done = 0, total = 0): void => plan.onProgress?.({ phase, done, total });
  const log = (l: string): void => plan.log?.(l);
  const bundle = plan.bundle;
  const bytes = bundle.length;
  const hash = hex8(crc32(Buffer.from(bundle, 'latin1')));

  if (bytes > plan.board.budgets.bundleBytes) {
    throw new FlashError('too-big', `the ${plan.board.name} bundle is ${bytes} bytes, over the board budget of ${plan.board.budgets.bundleBytes} (boards/${plan.board.name}.ts budgets.bundleBytes): shrink the firmware or pick a larger board`);
  }

  progress('connect');
  try { await s.wake(); } catch (e) {
    if (e instanceof NodeError && e.kind === 'closed') throw asFlashError(e, 'no-prompt', 'connect');
    throw new FlashError('no-prompt', 'no Espruino prompt: the node did not answer a newline or Ctrl-C. Is Espruino flashed on it, is this its port, is the baud rate right? Try `meshwork console --port ...`');
  }

  progress('probe');
  let probe: NodeProbe;
  try { probe = await s.exec<NodeProbe>(PROBE, 3000); } catch (e) { throw asFlashError(e, 'no-prompt', 'the probe of process.env'); }
  log(`node: BOARD ${probe.env.BOARD} VERSION ${probe.env.VERSION}, Storage free ${probe.free}, .bootcde ${probe.boot} bytes, mw.cfg ${probe.cfg ? 'present' : 'absent'}`);
  const envBoard = String(probe.env.BOARD ?? '');
  if (!boardMatches(plan.board, envBoard, allBoards)) {
    const fits = profilesFor(envBoard, allBoards).map((b) => b.name);
    throw new FlashError('wrong-board', `wrong board: the node runs Espruino for ${envBoard || 'an unknown board'} but --board ${plan.board.name} expects ${plan.board.espruinoBoard}` +
      (fits.length ? `; use --board ${fits.join(' or --board ')}` : '; no Meshwork board profile fits it'));
  }

  const cfg = typeof plan.config === 'function' ? plan.config(probe) : plan.config;
  const cfgLen = JSON.stringify(cfg).length;
  const needed = bytes + cfgLen + 64;
  if (probe.free + probe.boot < needed) {
    throw new FlashError('too-big', `the bundle (${bytes} bytes) does not fit in the node's Storage: ${probe.free} bytes free + ${probe.boot} of the old code; erase files with \`meshwork console\` (require("Storage").eraseAll()) or use a board with more flash`);
  }

  // stop whatever runs (reset() keeps flash), then remove the good mark first and the old code
  progress('erase');
  try {
    const m = s.mark();
    await s.write('\x10reset();\n');
    await s.waitFor(/(^|\n)>/, { from: m, timeoutMs: 3000, what: 'prompt after reset()', failOnError: false });
    await sleep(250);
    let free = await s.exec<number>(`(require("Storage").erase(${JSON.stringify(CONFIG_FILE)}),require("Storage").erase(${JSON.stringify(BOOT_FILE)}),require("Storage").getFree())`, 5000);
    if (free < needed) {
      log(`Storage has ${free} bytes free: compacting`);
      free = await s.exec<number>('(require("Storage").compact(),require("Storage").getFree())', 30000);
    }
    if (free < needed) throw new FlashError('too-big', `the node's Storage has ${free} bytes free after erasing the old code, the bundle needs ${needed}: erase other files (meshwork console) or use a board with more flash`);
  } catch (e) { throw asFlashError(e, 'storage', 'erasing the old code'); }

  // the bundle, in acknowledged chunks
  const chunks: { off: number; text: string }[] = [];
  for (let off = 0; off < bytes; off += chunkBytes) chunks.push({ off, text: bundle.slice(off, off + chunkBytes) });
  let lineBytes = 0;
  const tw = Date.now();
  progress('write', 0, bytes);
  try {
    let ackPos = s.mark();
    const w = writerLine(bytes);
    lineBytes += w.length;
    await s.write(w);
    let sent = 0;
    let acked = 0;
    let recoveries = 0;
    while (acked < chunks.length) {
      while (sent < chunks.length && sent - acked < window) {
        const c = chunks[sent++];
        const line = chunkLine(c.text, c.off);
        lineBytes += line.length;
        await s.write(line);
      }
      const expectEnd = chunks[acked].off + chunks[acked].text.length;
      const timeoutMs = 5000 + Math.ceil((chunkBytes * 2 * window * 10 * 1000) / baud);
      let m: RegExpExecArray;
      try {
        m = await s.waitFor(/\x06([WF])(\d+)\r*\n/, { from: ackPos, timeoutMs, what: `acknowledgement of bytes ${chunks[acked].off}..${expectEnd}` });
      } catch (e) {
        if (!(e instanceof NodeError) || e.kind !== 'timeout' || ++recoveries > 5) throw e;
        // an acknowledgement lost on the way back, or a line lost on the way there: ask the node what it holds
        // (an unwritten region reads as 0xFF, so its CRC differs) and resend only what is missing
        const pending = chunks.slice(acked, sent);
        const crcs = await s.exec<number[]>(`[${pending.map((c) => `E.CRC32(require("Storage").read(${JSON.stringify(BOOT_FILE)},${c.off},${c.text.length}))`).join(',')}]`, 5000);
        // the node ran the lines in order: every acknowledgement of the lines before came before this answer
        ackPos = s.mark();
        let k = 0;
        while (k < pending.length && (crcs[k] >>> 0) === (crc32(Buffer.from(pending[k].text, 'latin1')) >>> 0)) k++;
        acked += k;
        log(`acknowledgement lost: ${k} of ${pending.length} chunks in flight were stored; resending from ${acked < chunks.length ? chunks[acked].off : bytes}`);
        sent = acked;
        progress('write', acked < chunks.length ? chunks[acked].off : bytes, bytes);
        continue;
      }
      ackPos += m.index + m[0].length;
      if (m[1] === 'F') throw new FlashError('storage', `the node's Storage refused the write at offset ${m[2]} (flash full or not erased): run flash again; if it repeats, require("Storage").eraseAll() from meshwork console`);
      // acknowledgements are cumulative: the node runs the lines in order, so an ack for a later chunk (an
      // earlier ack garbled by noise on the way back) covers the ones before; a lost chunk shows in the CRC
      const end = Number(m[2]);
      let k = acked;
      while (k < sent && chunks[k].off + chunks[k].text.length < end) k++;
      if (k >= sent || chunks[k].off + chunks[k].text.length !== end) throw new FlashError('lost', `unexpected chunk acknowledgement ${end} (expected ${expectEnd}): the line lost data`);
      acked = k + 1;
      progress('write', end, bytes);
    }
  } catch (e) {
    await eraseQuietly(s, log);
    throw asFlashError(e, 'lost', `the upload (${lineBytes} bytes sent)`);
  }
  const writeMs = Date.now() - tw;

  progress('verify');
  try {
    const [nodeCrc, nodeLen] = await s.exec<[number, number]>(`[E.CRC32(require("Storage").read(${JSON.stringify(BOOT_FILE)})),require("Storage").read(${JSON.stringify(BOOT_FILE)}).length]`, 10000);
    if (nodeLen !== bytes || hex8(nodeCrc) !== hash) {
      throw new FlashError('verify', `verification failed: the node stored ${nodeLen} bytes with CRC32 ${hex8(nodeCrc)}, expected ${bytes} bytes with ${hash}; the partial code was erased: flash again (check the cable / lower noise)`);
    }
  } catch (e) {
    await eraseQuietly(s, log);
    throw asFlashError(e, 'verify', 'verification');
  }

  // the good mark: the config, written only now
  progress('config');
  const fullCfg = { ...cfg, fw: hash };
  try {
    const m = s.mark();
    log(`writing ${CONFIG_FILE} (id ${hex8(cfg.id)}, name ${cfg.name}, role ${cfg.role}; key not shown)`);
    await s.write(configLine(fullCfg, 1));
    let a: RegExpExecArray | null = null;
    try {
      a = await s.waitFor(/\x06([CF])1\r*\n/, { from: m, timeoutMs: 3000, what: `acknowledgement of ${CONFIG_FILE}` });
    } catch (e) {
      if (!(e instanceof NodeError) || e.kind !== 'timeout') throw e;
    }
    if (a && a[1] === 'F') throw new FlashError('storage', `the node's Storage refused ${CONFIG_FILE}`);
    if (!a) {
      // the acknowledgement was lost: check what the node stored (its CRC, never the text: it holds the key)
      const stored = await s.exec<number>(`E.CRC32(require("Storage").read(${JSON.stringify(CONFIG_FILE)})||"")`, 3000);
      if ((stored >>> 0) !== (crc32(Buffer.from(JSON.stringify(fullCfg), 'latin1')) >>> 0)) throw new FlashError('storage', `no acknowledgement of ${CONFIG_FILE} and the node does not hold it: flash again`);
    }
  } catch (e) {
    await eraseQuietly(s, log);
    throw asFlashError(e, 'storage', `writing ${CONFIG_FILE}`);
  }

  // reboot into the new code and check who answers
  progress('reboot');
  const bootMark = s.mark();
  try { await s.write('\x10load();\n'); } catch (e) { throw asFlashError(e, 'no-hello', 'reboot'); }
  progress('hello');
  const warnings: string[] = [];
  const hello = await awaitHello(s, bootMark, plan.helloTimeoutMs ?? 10000, warnings);
  if (String(hello.hash).toLowerCase() !== hash) {
    throw new FlashError('old-version', `the node rebooted into another firmware: hash ${hello.hash}, expected ${hash} (version ${hello.fw ?? '?'}); the new code did not take: flash again, and if it persists erase Storage from meshwork console`);
  }
  if (hello.board !== plan.board.name && hello.board !== plan.board.espruinoBoard) {
    throw new FlashError('mismatch', `the node says it is board ${hello.board}, expected ${plan.board.name}`);
  }
  if (hello.id !== cfg.id) {
    throw new FlashError('mismatch', `the node says it is node ${hello.id === undefined ? '?' : hex8(hello.id)}, expected ${hex8(cfg.id)}: ${CONFIG_FILE} was not read at boot`);
  }
  progress('done', bytes, bytes);
  const { key: _key, ...shown } = cfg;
  return { hash, bytes, writeMs, lineBytes, lineRateMs: (bytes * 10 * 1000) / baud, totalMs: Date.now() - t0, probe, hello, config: shown, warnings };
}

async function eraseQuietly(s: ConsoleSession, log: (l: string) => void): Promise<void> {
  if (s.closed) return;
  try {
    await s.write('\x03');
    await s.exec(`require("Storage").erase(${JSON.stringify(BOOT_FILE)})`, 2000);
    log('erased the partial .bootcde');
  } catch { log('could not erase the partial .bootcde (the node does not answer); mw.cfg was not written'); }
}

/**
 * Waits for the unsolicited HELLO after load(), asking with `hello` commands when it does not come. An
 * "Uncaught" error printed at boot fails the flash only when no HELLO follows within 2 s (a firmware that
 * survives a failing optional part still answers; the error then becomes a warning).
 */
async function awaitHello(s: ConsoleSession, from: number, timeoutMs: number, warnings: string[]): Promise<HelloInfo> {
  const until = Date.now() + timeoutMs;
  let nextAsk = Date.now() + 1500;
  let id = 0x4d00;
  const ids = new Set<number>();
  let uncaughtAt = 0;
  while (Date.now() < until) {
    const text = s.since(from);
    if (/Out of Memory|LOW_MEMORY|interpreter error: [^\r\n]*MEMORY/.test(text)) throw new FlashError('oom', 'the node ran out of memory while loading the new code (Espruino printed "Out of Memory"): the bundle is too big for this board\'s RAM; use a smaller build or a board with more JsVars');
    const unc = /Uncaught ([^\r\n]*)/.exec(text);
    const h = findHello(text, ids);
    if (h) {
      if (unc) warnings.push(`the node printed at boot: Uncaught ${clip(unc[1].trim())}`);
      return h;
    }
    if (unc && !uncaughtAt) uncaughtAt = Date.now();
    if (uncaughtAt && Date.now() - uncaughtAt > 2000) throw new FlashError('boot-error', `the new code failed at boot: Uncaught ${clip(unc![1].trim())}`);
    if (s.closed) throw new FlashError('port-gone', 'the port went away while the node rebooted (the code and config are written and verified; run `meshwork monitor` to check it)');
    if (Date.now() >= nextAsk) {
      id++;
      ids.add(id);
      try { await s.write(commandLine(id, { op: 'hello' })); } catch { /* closed: next loop says so */ }
      nextAsk = Date.now() + 1000;
    }
    await sleep(50);
  }
  const tail = s.since(from).replace(/\x01[A-Za-z0-9+/=]*\r?\n/g, '').trim().slice(-200);
  throw new FlashError('no-hello', `the node did not answer the handshake within ${timeoutMs} ms after reboot (code and config are written and verified)` +
    (tail ? `; it printed: ${JSON.stringify(tail)}` : '; it printed nothing') + ': is the firmware built with the serial link (firmware/console-link.ts)?');
}

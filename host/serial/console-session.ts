/**
 * A conversation with an Espruino console over any byte stream (serialport, a pty, a stream pair): a bounded
 * record of what the node printed, waits for patterns in it, the wake-up sequence, and expression evaluation
 * with markers (`\x10print("<"+"MW7<", JSON.stringify(expr), ">"+"MW7>")`: the `\x10` turns the echo off and
 * the split literals keep even an echoed line from ever containing the marker).
 * Output is decoded as latin1 (one char per byte, like Espruino's 8-bit strings).
 */
import { crc32 } from '../crc32.ts';

export interface ByteStream {
  write(data: string | Uint8Array, cb?: (err?: Error | null) => void): boolean;
  on(event: 'data', fn: (chunk: Buffer | string) => void): unknown;
  on(event: 'close' | 'end', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  off?(event: string, fn: (...args: any[]) => void): unknown;
  removeListener?(event: string, fn: (...args: any[]) => void): unknown;
  drain?(cb: (err?: Error | null) => void): void;
}

/** The node said something fatal (an uncaught exception, out of memory) or went away. */
export class NodeError extends Error {
  constructor(readonly kind: 'timeout' | 'closed' | 'uncaught' | 'oom', message: string) {
    super(message);
    this.name = 'NodeError';
  }
}

export interface WaitOptions {
  /** absolute output position to search from (default: the current end) */
  from?: number;
  timeoutMs: number;
  /** what we were waiting for, for the timeout message */
  what: string;
  /** fail on "Uncaught ..." / out-of-memory text after `from` (default true) */
  failOnError?: boolean;
}

export interface ConsoleSession {
  /** absolute position of the end of the output so far */
  mark(): number;
  /** output from an absolute position (clamped to what is still kept) */
  since(pos: number): string;
  write(text: string): Promise<void>;
  waitFor(re: RegExp, o: WaitOptions): Promise<RegExpExecArray>;
  /** `\n`, expect `>`; else Ctrl-C twice and again. Rejects NodeError('timeout') when there is no prompt. */
  wake(timeoutMs?: number): Promise<void>;
  /** evaluates `expr` on the node and returns JSON.parse of its JSON.stringify */
  exec<T = unknown>(expr: string, timeoutMs?: number): Promise<T>;
  /** listeners for every output chunk (monitor/console use) */
  onData(fn: (text: string) => void): () => void;
  readonly closed: boolean;
  dispose(): void;
}

const FATAL = /Uncaught ([^\r\n]*)|(Out of Memory|New interpreter error: [^\r\n]*MEMORY[^\r\n]*)|(New interpreter error: [^\r\n]*)/;
const MAX_KEEP = 256 * 1024;

export function createConsoleSession(stream: ByteStream): ConsoleSession {
  let text = '';
  let base = 0; // absolute position of text[0]
  let closed = false;
  let seq = 0;
  const waiters = new Set<() => void>();
  const listeners = new Set<(t: string) => void>();

  const onData = (chunk: Buffer | string): void => {
    const t = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    text += t;
    if (text.length > MAX_KEEP) { const cut = text.length - MAX_KEEP / 2; text = text.slice(cut); base += cut; }
    for (const l of listeners) l(t);
    for (const w of [...waiters]) w();
  };
  const onClose = (): void => { closed = true; for (const w of [...waiters]) w(); };
  const onError = (): void => { /* 'close' follows; errors surface through waits */ };
  stream.on('data', onData);
  stream.on('close', onClose);
  stream.on('end', onClose);
  stream.on('error', onError);

  const mark = (): number => base + text.length;
  const since = (pos: number): string => text.slice(Math.max(0, pos - base));

  function write(data: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (closed) { reject(new NodeError('closed', 'the port closed')); return; }
      try {
        stream.write(Buffer.from(data, 'latin1'), (err) => {
          if (err) { reject(new NodeError('closed', `write failed: ${err.message}`)); return; }
          if (stream.drain) stream.drain(() => resolve()); else resolve();
        });
      } catch (e) { reject(new NodeError('closed', `write failed: ${(e as Error).message}`)); }
    });
  }

  function waitFor(re: RegExp, o: WaitOptions): Promise<RegExpExecArray> {
    const from = o.from ?? mark();
    const failOnError = o.failOnError !== false;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => { waiters.delete(check); if (timer) clearTimeout(timer); };
      const check = (): void => {
        const s = since(from);
        const m = re.exec(s);
        if (m) { done(); resolve(m); return; }
        if (failOnError) {
          const f = FATAL.exec(s);
          if (f) {
            done();
            if (f[2]) reject(new NodeError('oom', 'the node ran out of memory (Espruino printed "Out of Memory")'));
            else reject(new NodeError('uncaught', `the node reported an error: ${(f[1] ?? f[3]).trim()}`));
            return;
          }
        }
        if (closed) { done(); reject(new NodeError('closed', `the port closed while waiting for ${o.what}`)); }
      };
      waiters.add(check);
      timer = setTimeout(() => { done(); reject(new NodeError('timeout', `no ${o.what} within ${o.timeoutMs} ms`)); }, o.timeoutMs);
      check();
    });
  }

  async function wake(timeoutMs = 500): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const from = mark();
      if (attempt > 0) {
        await write('\x03');
        await new Promise((r) => setTimeout(r, 100));
        await write('\x03');
        await new Promise((r) => setTimeout(r, 100));
      }
      await write('\n');
      try {
        await waitFor(/(^|\n)>/, { from, timeoutMs, what: 'Espruino prompt', failOnError: false });
        return;
      } catch (e) {
        if ((e as NodeError).kind === 'closed') throw e;
      }
    }
    throw new NodeError('timeout', 'no Espruino prompt (">") after a newline and two Ctrl-C');
  }

  // The answer carries its own CRC (E.CRC32 of the JSON text): noise that lands inside the line is caught
  // and the (idempotent) query asked again, up to 3 times.
  async function exec<T>(expr: string, timeoutMs = 3000): Promise<T> {
    let last: Error | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const n = ++seq;
      const from = mark();
      await write(`\x10(function(s){s=s===undefined?"null":s;print("<"+"MW${n}<",s,E.CRC32(s),">"+"MW${n}>")})(JSON.stringify(${expr}))\n`);
      const start = `<MW${n}<`;
      let m: RegExpExecArray;
      try {
        // a complete answer, or its start followed by a line end without a valid answer (mangled)
        m = await waitFor(new RegExp(`${start} (.*?) (\\d+) >MW${n}>|${start}[^\\n]*\\n`), { from, timeoutMs, what: `answer to ${expr.length > 60 ? expr.slice(0, 57) + '...' : expr}` });
      } catch (e) {
        last = e as Error;
        if ((e as NodeError).kind !== 'timeout' || attempt === 2) throw e;
        continue;
      }
      if (m[1] !== undefined && (crc32(Buffer.from(m[1], 'latin1')) >>> 0) === Number(m[2])) {
        try { return JSON.parse(m[1]) as T; } catch (e) { last = e as Error; }
      } else {
        last = new NodeError('timeout', `the answer to ${expr.slice(0, 40)} was garbled on the line`);
      }
    }
    throw last ?? new NodeError('timeout', 'no answer');
  }

  function dispose(): void {
    const off = (ev: string, fn: (...a: any[]) => void): void => {
      if (stream.off) stream.off(ev, fn); else if (stream.removeListener) stream.removeListener(ev, fn);
    };
    off('data', onData); off('close', onClose); off('end', onClose); off('error', onError);
    waiters.clear(); listeners.clear();
  }

  return {
    mark, since, write, waitFor, wake, exec, dispose,
    onData(fn) { listeners.add(fn); return () => listeners.delete(fn); },
    get closed() { return closed; },
  };
}

/**
 * One progress bar per port while flashing in parallel (redrawn in place on a terminal; on a pipe, one line
 * per phase change so logs stay readable), and the summary table at the end.
 */
import type { FlashProgress } from './uploader.ts';

export interface ProgressBoard {
  update(port: string, p: FlashProgress): void;
  finish(port: string, text: string): void;
  close(): void;
}

export function createProgressBoard(ports: readonly string[], out: NodeJS.WriteStream = process.stderr): ProgressBoard {
  const tty = !!out.isTTY;
  const width = Math.max(...ports.map((p) => p.length), 4);
  const lines = new Map<string, string>(ports.map((p) => [p, 'waiting']));
  const lastPhase = new Map<string, string>();
  let drawn = 0;
  let pending: NodeJS.Timeout | undefined;

  const draw = (): void => {
    pending = undefined;
    let s = drawn ? `\x1b[${drawn}A` : '';
    for (const p of ports) s += `\r\x1b[2K${p.padEnd(width)}  ${lines.get(p)}\n`;
    drawn = ports.length;
    out.write(s);
  };
  const schedule = (): void => { if (tty && !pending) pending = setTimeout(draw, 50); };

  const bar = (done: number, total: number): string => {
    const n = 24;
    const f = total ? Math.round((done / total) * n) : 0;
    return '[' + '#'.repeat(f) + '.'.repeat(n - f) + `] ${total ? Math.floor((done / total) * 100) : 0}%`.padEnd(6);
  };

  return {
    update(port, p) {
      const text = p.phase === 'write' ? `${bar(p.done, p.total)} write ${p.done}/${p.total} B` : `${bar(p.phase === 'done' ? 1 : 0, 1)} ${p.phase}`;
      lines.set(port, text);
      if (tty) schedule();
      else if (lastPhase.get(port) !== p.phase) { lastPhase.set(port, p.phase); out.write(`${port}: ${p.phase}\n`); }
    },
    finish(port, text) {
      lines.set(port, text);
      if (tty) schedule(); else out.write(`${port}: ${text}\n`);
    },
    close() { if (pending) { clearTimeout(pending); draw(); } else if (tty) draw(); },
  };
}

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => r.map((c, i) => (c ?? '').padEnd(w[i])).join('  ').trimEnd();
  return [line(header), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

/**
 * Opening a serial path (a USB serial adapter, or any pty) with errors a person can act on: the path is
 * missing, busy (and which process holds it, found through /proc/<pid>/fd links), or not permitted.
 * serialport takes an exclusive flock on the device, so a second meshwork on the same port is "busy" too.
 */
import { SerialPort } from 'serialport';
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';

export type OpenFailure = 'missing' | 'busy' | 'permission' | 'other';

export class SerialOpenError extends Error {
  constructor(readonly kind: OpenFailure, readonly path: string, message: string) {
    super(message);
    this.name = 'SerialOpenError';
  }
}

export interface Holder { pid: number; command: string }

/** Processes other than this one holding `path` open (its real device, through /proc/<pid>/fd). Linux only. */
export function portHolders(path: string): Holder[] {
  let real: string;
  try { real = realpathSync(path); } catch { return []; }
  const out: Holder[] = [];
  let pids: string[];
  try { pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)); } catch { return []; }
  for (const p of pids) {
    const pid = Number(p);
    if (pid === process.pid) continue;
    let fds: string[];
    try { fds = readdirSync(`/proc/${p}/fd`); } catch { continue; }
    for (const fd of fds) {
      let target = '';
      try { target = readlinkSync(`/proc/${p}/fd/${fd}`); } catch { continue; }
      if (target === real) {
        let command = '?';
        try { command = readFileSync(`/proc/${p}/cmdline`, 'latin1').split('\0').filter((s) => s).join(' ').slice(0, 120) || '?'; } catch { /* gone */ }
        out.push({ pid, command });
        break;
      }
    }
  }
  return out;
}

function describeHolders(path: string): string {
  const h = portHolders(path);
  if (h.length === 0) return 'no other process shows it open (it may belong to another user: try `sudo fuser -v ' + path + '`)';
  return 'held by ' + h.map((x) => `pid ${x.pid} (${x.command})`).join(', ');
}

/** Turns serialport's open error text into a SerialOpenError with what to do. */
export function classifyOpenError(path: string, err: unknown): SerialOpenError {
  const text = err instanceof Error ? err.message : String(err);
  if (/No such file|ENOENT/i.test(text) || !existsSync(path)) {
    return new SerialOpenError('missing', path, `serial port ${path} does not exist: is the board plugged in? (list ports with \`meshwork flash --all --dry-run\` or \`ls /dev/ttyUSB* /dev/ttyACM*\`)`);
  }
  if (/Cannot lock port|Resource temporarily unavailable|EBUSY|busy/i.test(text)) {
    return new SerialOpenError('busy', path, `serial port ${path} is busy: ${describeHolders(path)}; close that program (a monitor, console or screen session) and retry`);
  }
  if (/Permission denied|EACCES/i.test(text)) {
    return new SerialOpenError('permission', path, `no permission to open ${path}: add yourself to its group (\`sudo usermod -aG dialout $USER\`, then log in again) or check its mode with \`ls -l ${path}\``);
  }
  return new SerialOpenError('other', path, `cannot open serial port ${path}: ${text}`);
}

/** Opens `path` at `baud` (8N1, exclusive). Rejects with a SerialOpenError. */
export function openPort(path: string, baud = 115200): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    if (!existsSync(path)) { reject(classifyOpenError(path, 'ENOENT')); return; }
    let port: SerialPort;
    try {
      port = new SerialPort({ path, baudRate: baud, autoOpen: false, lock: true });
    } catch (e) { reject(classifyOpenError(path, e)); return; }
    port.open((err) => {
      if (err) reject(classifyOpenError(path, err));
      else resolve(port);
    });
  });
}

const closing = new WeakMap<SerialPort, Promise<void>>();

/** Closes a port once, never throwing (it may already be gone); every caller gets the same promise. */
export function closePort(port: SerialPort): Promise<void> {
  let p = closing.get(port);
  if (!p) {
    p = new Promise<void>((resolve) => {
      if (!port.isOpen) { resolve(); return; }
      // serialport may never call back when the device vanished mid-close: do not wait forever
      const t = setTimeout(resolve, 1000);
      try { port.close(() => { clearTimeout(t); resolve(); }); } catch { clearTimeout(t); resolve(); }
    });
    closing.set(port, p);
  }
  return p;
}

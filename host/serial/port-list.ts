/**
 * Ports for `--all`: what SerialPort.list() finds (USB serial adapters through udev) plus explicit paths,
 * deduplicated by their real device. Built-in UARTs (ttyS*) without a USB vendor are left out: on a PC
 * they are never a board.
 */
import { SerialPort } from 'serialport';
import { existsSync, realpathSync } from 'node:fs';

export interface FoundPort { path: string; manufacturer?: string; vendorId?: string; productId?: string; serialNumber?: string }

function realOf(path: string): string {
  try { return realpathSync(path); } catch { return path; }
}

export async function listPorts(explicit: readonly string[] = []): Promise<FoundPort[]> {
  let listed: FoundPort[] = [];
  try {
    listed = (await SerialPort.list())
      .filter((p) => p.vendorId || /tty(USB|ACM)|cu\.|COM\d/.test(p.path))
      .map((p) => ({ path: p.path, manufacturer: p.manufacturer, vendorId: p.vendorId, productId: p.productId, serialNumber: p.serialNumber }));
  } catch { /* no udevadm (containers): explicit paths only */ }
  const out: FoundPort[] = [];
  const seen = new Set<string>();
  // explicit paths stay even when missing: opening them reports that clearly
  for (const p of [...explicit.map((path) => ({ path })), ...listed]) {
    const key = realOf(p.path);
    if (seen.has(key)) continue;
    seen.add(key);
    if (!explicit.includes(p.path) && !existsSync(p.path)) continue;
    out.push(p);
  }
  return out;
}

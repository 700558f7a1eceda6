/** Small boot-time helpers for main.ts: config persistence and hex for identity fields. */
import type { NodeConfig } from './config.ts';
import { CONFIG_FILE } from './config.ts';

const HEX = '0123456789abcdef';

/** 8 hex digits of a u32, or of the first 4 bytes of a byte array */
export function hex8(x: number | Uint8Array): string {
  let v = typeof x === 'number' ? x >>> 0 : ((x[0] << 24) | (x[1] << 16) | (x[2] << 8) | x[3]) >>> 0;
  let s = '';
  for (let i = 0; i < 8; i++) { s = HEX[v & 15] + s; v = v >>> 4; }
  return s;
}

function keyHex(k: Uint8Array): string {
  let s = '';
  for (let i = 0; i < k.length; i++) s += HEX[k[i] >> 4] + HEX[k[i] & 15];
  return s;
}

/** write mw.cfg back (after `set`); false when flash refused it */
export function saveConfig(storage: { write(name: string, data: string): boolean }, c: NodeConfig): boolean {
  try {
    return storage.write(CONFIG_FILE, JSON.stringify({
      id: c.id, name: c.name, role: c.role, mesh: c.mesh, key: keyHex(c.key), epoch: c.epoch, ch: c.ch, radio: c.radio,
    })) !== false;
  } catch (e) {
    return false;
  }
}

/**
 * test/vectors/host-link.json, loaded for the host link suites (test/host-link*.test.ts), and the helpers
 * that turn its {"$bytes": hex} values into Uint8Arrays and back.
 */
import { readFileSync } from 'node:fs';

export interface MsgVector { name: string; type: number; id: number; obj?: any; rssi?: number; frame?: string; payload: string; body: string; line: string }
export interface CmdVector { name: string; id: number; obj: any; payload: string; body: string; line: string; b64: string }
export interface BadLine { name: string; input: string; expect: any[] }
export interface BadCmd { name: string; b64: string; reply: { id: number; obj: any } | null }
export const V = JSON.parse(readFileSync(new URL('../vectors/host-link.json', import.meta.url), 'utf8')) as {
  messages: MsgVector[]; commands: CmdVector[]; bad_lines: BadLine[]; bad_commands: BadCmd[];
};

export const hex = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex');
export const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
/** vector JSON ({"$bytes": hex}) → value with Uint8Arrays */
export function revive(v: any): any {
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === 'object') {
    if (typeof v.$bytes === 'string') return unhex(v.$bytes);
    const o: any = {};
    for (const k of Object.keys(v)) o[k] = revive(v[k]);
    return o;
  }
  return v;
}
/** value → comparable JSON (Uint8Array → {$bytes}) */
export function plain(v: any): any {
  if (v instanceof Uint8Array) return { $bytes: hex(v) };
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    const o: any = {};
    for (const k of Object.keys(v)) o[k] = plain(v[k]);
    return o;
  }
  return v;
}


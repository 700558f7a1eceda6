/**
 * Network key files: JSON holding the mesh's AES-128 network keys by epoch, written with mode 0600.
 * Key bytes live only in this file and in memory: errors, logs and `keys show` print a fingerprint
 * (first 8 bytes of SHA-256 over a label and the key), never the key.
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';

export interface EpochKey { epoch: number; key: Uint8Array; created: string }
export interface KeyFile { mesh: string; current: number; epochs: EpochKey[] }
export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

const KIND = 'meshwork-network-key';
/** epochs kept in a file: the current one and the one before (a rollover needs both) */
export const KEEP_EPOCHS = 2;

export function fingerprint(key: Uint8Array): string {
  const label = new TextEncoder().encode('meshwork key fingerprint v1');
  const buf = new Uint8Array(label.length + key.length);
  buf.set(label);
  buf.set(key, label.length);
  return Buffer.from(sha256(buf).subarray(0, 8)).toString('hex');
}

export function newKeyFile(mesh: string, epoch = 1): KeyFile {
  return { mesh, current: epoch, epochs: [{ epoch, key: new Uint8Array(randomBytes(16)), created: new Date().toISOString() }] };
}

/** Add epoch current+1 with a fresh key; keep at most KEEP_EPOCHS. */
export function rotate(f: KeyFile): Result<KeyFile> {
  const next = f.current + 1;
  if (next > 255) return { ok: false, reason: 'epoch 255 is the last one: make a new network with `meshwork keys new`' };
  const epochs = [...f.epochs, { epoch: next, key: new Uint8Array(randomBytes(16)), created: new Date().toISOString() }];
  return { ok: true, value: { mesh: f.mesh, current: next, epochs: epochs.slice(-KEEP_EPOCHS) } };
}

export function serialise(f: KeyFile): string {
  return JSON.stringify({
    kind: KIND, version: 1, mesh: f.mesh, current: f.current,
    epochs: f.epochs.map((e) => ({ epoch: e.epoch, key: Buffer.from(e.key).toString('hex'), created: e.created })),
  }, null, 2) + '\n';
}

/** Write atomically with mode 0600 (never readable by others, even for a moment). */
export function writeKeyFile(path: string, f: KeyFile): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, serialise(f), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function parseKeyFile(text: string): Result<KeyFile> {
  let j: any;
  try { j = JSON.parse(text); } catch { return { ok: false, reason: 'not JSON: is this a meshwork key file?' }; }
  if (!j || j.kind !== KIND || j.version !== 1) return { ok: false, reason: `not a ${KIND} file (version 1)` };
  if (!Array.isArray(j.epochs) || j.epochs.length === 0) return { ok: false, reason: 'the key file has no epochs' };
  const epochs: EpochKey[] = [];
  for (const e of j.epochs) {
    if (!Number.isInteger(e?.epoch) || e.epoch < 0 || e.epoch > 255) return { ok: false, reason: 'an epoch is not an integer 0..255' };
    if (typeof e.key !== 'string' || !/^[0-9a-f]{32}$/i.test(e.key)) return { ok: false, reason: `the key of epoch ${e.epoch} is not 32 hex digits` };
    epochs.push({ epoch: e.epoch, key: new Uint8Array(Buffer.from(e.key, 'hex')), created: String(e.created ?? '') });
  }
  if (!epochs.some((e) => e.epoch === j.current)) return { ok: false, reason: `current epoch ${j.current} has no key in the file` };
  return { ok: true, value: { mesh: String(j.mesh ?? ''), current: j.current, epochs } };
}

export function readKeyFile(path: string): Result<KeyFile> & { warning?: string } {
  if (!existsSync(path)) return { ok: false, reason: `no key file at ${path}: make one with \`meshwork keys new --out ${path}\`` };
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) { return { ok: false, reason: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code}` }; }
  const r = parseKeyFile(text);
  if (!r.ok) return { ok: false, reason: `${path}: ${r.reason}` };
  const mode = statSync(path).mode & 0o777;
  const warning = mode & 0o077 ? `${path} is readable by others (mode ${mode.toString(8)}): chmod 600 ${path}` : undefined;
  return { ...r, warning };
}

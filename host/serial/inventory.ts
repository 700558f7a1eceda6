/**
 * The inventory of flashed nodes: a JSON file (default ~/.meshwork/inventory.json, or --inventory / the
 * MESHWORK_INVENTORY environment variable) keyed by node id as 8 hex digits. It never holds key material:
 * only the mesh name, the key epoch and the key fingerprint. Writes are atomic (temp file + rename).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface InventoryEntry {
  id: string;
  name: string;
  role: string;
  board: string;
  mesh: string;
  epoch: number;
  keyFingerprint: string;
  hash: string;
  version: string;
  port: string;
  position?: unknown;
  flashedAt: string;
  espruino?: string;
}

export interface Inventory { kind: 'meshwork-inventory'; version: 1; nodes: Record<string, InventoryEntry> }

export function defaultInventoryPath(): string {
  return process.env.MESHWORK_INVENTORY || join(homedir(), '.meshwork', 'inventory.json');
}

export function readInventory(path: string): Inventory {
  if (!existsSync(path)) return { kind: 'meshwork-inventory', version: 1, nodes: {} };
  const j = JSON.parse(readFileSync(path, 'utf8'));
  if (!j || j.kind !== 'meshwork-inventory' || typeof j.nodes !== 'object') throw new Error(`${path} is not a meshwork inventory file`);
  return j as Inventory;
}

export function writeInventory(path: string, inv: Inventory): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(inv, null, 2) + '\n');
  renameSync(tmp, path);
}

/** records entries (re-reading the file first, so parallel flashes of one fleet merge) */
export function recordFlashed(path: string, entries: readonly InventoryEntry[]): void {
  if (entries.length === 0) return;
  const inv = readInventory(path);
  for (const e of entries) inv.nodes[e.id] = e;
  writeInventory(path, inv);
}

export function findByName(inv: Inventory, name: string): InventoryEntry | undefined {
  return Object.values(inv.nodes).find((e) => e.name === name);
}

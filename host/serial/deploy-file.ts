/**
 * A deployment file describes a fleet so it can be re-flashed the same way:
 * ```json
 * { "kind": "meshwork-deployment", "board": "esp32", "network": "network.key", "channel": 1, "radio": {},
 *   "nodes": [ { "name": "roof-north", "role": "router", "position": [52.52, 13.40], "port": "/dev/ttyUSB0" },
 *              { "name": "school", "role": "gateway", "id": "1a2b3c4d", "board": "esp32-s3" } ] }
 * ```
 * A node is matched to a port by its `port`, else by its `id` (the id already stored on the node), else by
 * its `name` (the name already stored on the node). Paths in the file are relative to the file.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export type Role = 'router' | 'gateway' | 'leaf';
export const ROLES: readonly Role[] = ['router', 'gateway', 'leaf'];

export interface DeployNode { name: string; role: Role; position?: unknown; port?: string; id?: number; board?: string; channel?: number; radio?: Record<string, unknown> }
export interface Deployment { board?: string; network?: string; channel?: number; radio?: Record<string, unknown>; nodes: DeployNode[] }

export function parseId(text: string): number | null {
  const t = text.trim().replace(/^0x/i, '');
  if (!/^[0-9a-f]{1,8}$/i.test(t)) return null;
  const n = parseInt(t, 16) >>> 0;
  return n === 0 || n >= 0xfffffffe ? null : n;
}

export function readDeployment(path: string): Deployment {
  let j: any;
  try { j = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { throw new Error(`cannot read deployment file ${path}: ${(e as Error).message}`); }
  if (!j || !Array.isArray(j.nodes)) throw new Error(`${path}: a deployment file needs a "nodes" array`);
  const base = dirname(resolve(path));
  const names = new Set<string>();
  const nodes: DeployNode[] = j.nodes.map((n: any, i: number) => {
    if (!n || typeof n.name !== 'string' || !n.name) throw new Error(`${path}: node ${i + 1} has no name`);
    if (names.has(n.name)) throw new Error(`${path}: node name "${n.name}" appears twice`);
    names.add(n.name);
    const role = n.role ?? 'router';
    if (!ROLES.includes(role)) throw new Error(`${path}: node "${n.name}" has role "${role}" (router, gateway or leaf)`);
    let id: number | undefined;
    if (n.id !== undefined) {
      const p = parseId(String(n.id));
      if (p === null) throw new Error(`${path}: node "${n.name}" has a bad id "${n.id}" (1..8 hex digits, not 0 or ffffffff/fffffffe)`);
      id = p;
    }
    return { name: n.name, role, position: n.position, port: n.port, id, board: n.board, channel: n.channel, radio: n.radio };
  });
  return { board: j.board, network: j.network === undefined ? undefined : resolve(base, j.network), channel: j.channel, radio: j.radio, nodes };
}

/** the deployment node for a port (by path) or for what the node already is (its stored id or name) */
export function matchNode(d: Deployment, port: string, stored: { id?: number; name?: string } | null): DeployNode | undefined {
  return d.nodes.find((n) => n.port === port)
    ?? (stored?.id !== undefined ? d.nodes.find((n) => n.id === stored.id && !n.port) : undefined)
    ?? (stored?.name ? d.nodes.find((n) => n.name === stored.name && !n.port && n.id === undefined) : undefined);
}

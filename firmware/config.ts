/**
 * The node's own configuration, written to Storage by provisioning (`meshwork flash`) as the file
 * `mw.cfg`, separate from the code (`.bootcde`), so one bundle serves every node of a board and no secret is
 * baked into it:
 *
 *   { "id": 439041101, "name": "roof-3", "role": "router", "mesh": "demo",
 *     "key": "<32 hex: the network key of the current epoch>", "epoch": 1, "ch": 1,
 *     "radio": { …driver options: Wi-Fi password, loopback ports… } }
 *
 * parseConfig never throws: a missing or broken file gives {ok:false, reason} and the node starts
 * unprovisioned (it answers the host, relays nothing). The key never leaves this module except into the
 * keyring; what is shown of it is a key check value (kcv: AES_key(0¹²⁸), first 3 bytes, as payment
 * systems do), which the host computes the same way.
 */
export type NodeRole = 'router' | 'gateway' | 'leaf';

export interface NodeConfig {
  id: number;
  name: string;
  role: NodeRole;
  mesh: string;
  key: Uint8Array;
  epoch: number;
  ch: number;
  radio: { [k: string]: unknown };
}

export type ConfigResult = { ok: true; cfg: NodeConfig } | { ok: false; reason: string };

export const CONFIG_FILE = 'mw.cfg';

function hexKey(s: unknown): Uint8Array | null {
  if (typeof s !== 'string' || s.length !== 32) return null;
  const k = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const v = parseInt(s.substr(i * 2, 2), 16);
    if (!(v >= 0 && v <= 255)) return null;
    k[i] = v;
  }
  // parseInt accepts a valid prefix ("1g" → 1): round-trip to reject such digits
  return /^[0-9a-fA-F]+$/.test(s) ? k : null;
}

function isId(v: unknown): boolean {
  return typeof v === 'number' && v >= 1 && v <= 0xfffffffd && v === Math.floor(v);
}

export function parseConfig(text: string | undefined): ConfigResult {
  if (text === undefined || text === null || text === '') {
    return { ok: false, reason: 'no mw.cfg in Storage: provision this node with `meshwork flash`' };
  }
  let j: any;
  try { j = JSON.parse(text); } catch (e) { return { ok: false, reason: 'mw.cfg is not JSON' }; }
  if (j === null || typeof j !== 'object') return { ok: false, reason: 'mw.cfg is not an object' };
  if (!isId(j.id)) return { ok: false, reason: 'mw.cfg: id must be an integer 1..0xfffffffd' };
  const key = hexKey(j.key);
  if (key === null) return { ok: false, reason: 'mw.cfg: key must be 32 hex digits' };
  if (!(typeof j.epoch === 'number' && j.epoch >= 0 && j.epoch <= 255 && j.epoch === Math.floor(j.epoch))) {
    return { ok: false, reason: 'mw.cfg: epoch must be an integer 0..255' };
  }
  const role = j.role === undefined ? 'router' : j.role;
  if (role !== 'router' && role !== 'gateway' && role !== 'leaf') return { ok: false, reason: 'mw.cfg: role must be router, gateway or leaf' };
  const ch = j.ch === undefined ? 1 : j.ch;
  if (!(typeof ch === 'number' && ch >= 1 && ch <= 14 && ch === Math.floor(ch))) return { ok: false, reason: 'mw.cfg: ch must be a Wi-Fi channel 1..14' };
  const name = typeof j.name === 'string' ? j.name.substr(0, 32) : '';
  const mesh = typeof j.mesh === 'string' ? j.mesh.substr(0, 32) : '';
  const radio = j.radio !== null && typeof j.radio === 'object' ? j.radio : {};
  return { ok: true, cfg: { id: j.id, name: name, role: role, mesh: mesh, key: key, epoch: j.epoch, ch: ch, radio: radio } };
}

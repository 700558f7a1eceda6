/**
 * MeshFeed: what the dashboard shows, from whatever source runs (the simulator, a serial-attached node,
 * an MQTT broker through the bridge's topics). An adapter turns its source into these few plain, JSON-safe
 * records; the dashboard server (server.ts) batches them to the pages and hands the pages' commands back.
 *
 *   snapshot()   everything known now: the nodes and the links (a page that connects late starts here)
 *   subscribe(l) every change after that, as MeshEvents, in order; returns the unsubscribe function
 *   command(c)   a page asks for a text / ping / traceroute to a node; the answer comes back asynchronously
 *                (a Promise that always settles: {ok:false, err} on failure or timeout, never a rejection)
 *   close()      stop the source (worker, serial port, MQTT client …)
 *
 * Conventions (one place, so every adapter agrees):
 *   - node ids are the u32 node id as 8 lowercase hex digits (nodeIdHex); broadcast is 'ffffffff'
 *   - times are wall-clock epoch milliseconds (Date.now()); durations say their unit in the name
 *   - link quality is the share of frames that get through in that direction, 0..1 (a node's beacon
 *     delivery ratio, "rx %" / "tx %" in its neighbour table); null when the source does not know it
 *   - a node that dies stays in the snapshot with up: false; a link that disappears is sent once with
 *     up: false and then dropped from the snapshot
 *   - events are changes: an adapter need not repeat a record that did not change, and may send a
 *     record again at any time (the last one wins)
 * The feed never throws at the page: bad commands answer {ok:false, err}.
 */

export type NodeId = string;
export const BROADCAST_ID: NodeId = 'ffffffff';
export type NodeRole = 'router' | 'gateway' | 'leaf' | 'repeater';

export interface NodeInfo {
  id: NodeId;
  name: string;
  role: NodeRole;
  /** false once the source knows (or decides) the node is gone */
  up: boolean;
  /** planar position in metres when known (simulator layout, configured coordinates); absent otherwise */
  pos?: { x: number; y: number };
  /** uptime in seconds as of `t` (the page ages it), null when unknown */
  uptimeS: number | null;
  /** free memory (JsVars on a node; the simulator models it from table fill), null when unknown */
  mem: number | null;
  /** firmware version string, null when unknown */
  fw: string | null;
  /** usable neighbours in its table */
  neighbours: number;
  /** when the source last heard anything from the node, epoch ms, null when never */
  lastHeard: number | null;
  /** routes in its table, when known */
  routes?: number;
  /** cumulative counters since boot, when known (the page charts their rates): frames sent, frames heard,
   *  frames relayed for others, messages delivered to it, frames dropped (rate limit, congestion, hop limit, no slot) */
  counters?: { tx?: number; rx?: number; relay?: number; delivered?: number; dropped?: number };
  /** when this record was made, epoch ms */
  t: number;
}

export interface LinkInfo {
  /** a < b (string order), so one record per pair */
  a: NodeId;
  b: NodeId;
  /** share of a's frames heard by b, 0..1 */
  qualityAB: number | null;
  /** share of b's frames heard by a, 0..1 */
  qualityBA: number | null;
  /** mean RSSI over both directions, dBm */
  rssi: number | null;
  up: boolean;
  t: number;
}

/** text, ping, pong, trace (query), trace-report, telemetry, data (anything else) */
export type PacketKind = 'text' | 'ping' | 'pong' | 'trace' | 'trace-report' | 'telemetry' | 'data';

export interface PacketInfo {
  t: number;
  src: NodeId;
  /** a node id, or BROADCAST_ID */
  dst: NodeId;
  kind: PacketKind;
  /** relays it went through (0 = heard from the source), null when unknown */
  hops: number | null;
  /** RSSI of the last hop, dBm */
  rssi: number | null;
  /** the node where it was seen (the destination for a delivery) */
  at?: NodeId;
  /** text messages: the text (possibly shortened by the source) */
  text?: string;
}

export interface TraceHop {
  a: NodeId;
  b: NodeId;
  /** a→b as measured at b / b→a as measured at a: share of frames heard, 0..1; null when an end did not say */
  qualityAB: number | null;
  qualityBA: number | null;
  rssiAB: number | null;
  rssiBA: number | null;
}

export type TraceStatus = 'done' | 'no-route' | 'loop' | 'too-long' | 'timeout' | 'error';

export interface TraceResult {
  from: NodeId;
  to: NodeId;
  status: TraceStatus;
  /** nodes on the path, source first */
  path: NodeId[];
  hops: TraceHop[];
  /** how long the walk took, ms (simulated time for the simulator) */
  ms: number;
  t: number;
}

export type MeshEvent =
  | { type: 'node'; node: NodeInfo }
  | { type: 'link'; link: LinkInfo }
  | { type: 'packet'; packet: PacketInfo }
  | { type: 'trace'; trace: TraceResult };

/** `from` picks the sending node where the source can choose (the simulator); default: FeedInfo.self */
export type MeshCommand =
  | { op: 'text'; to: NodeId; text: string; from?: NodeId }
  | { op: 'ping'; to: NodeId; from?: NodeId }
  | { op: 'traceroute'; to: NodeId; from?: NodeId };

export interface CommandResult {
  ok: boolean;
  err?: string;
  /** text: delivered at its node (the simulator sees it; a real mesh reports the end-to-end ack) */
  delivered?: boolean;
  /** relays on the way (text: as delivered; ping: of the pong) */
  hops?: number;
  /** round trip (ping), delivery time (text), walk time (traceroute), ms */
  ms?: number;
  trace?: TraceResult;
}

export interface FeedInfo {
  /** 'sim' | 'serial' | 'mqtt' | … */
  source: string;
  /** what the page title shows: "simulated mesh, 50 nodes", a port path, a broker URL */
  name: string;
  /** the node commands are sent from by default */
  self?: NodeId;
  /** whether command.from may name any node (the simulator: yes; a serial gateway: no) */
  anySender?: boolean;
}

export interface MeshFeed {
  readonly info: FeedInfo;
  snapshot(): { nodes: NodeInfo[]; links: LinkInfo[] };
  subscribe(listener: (e: MeshEvent) => void): () => void;
  command(c: MeshCommand): Promise<CommandResult>;
  close(): Promise<void>;
}

/** The 8-hex-digit form of a u32 node id. */
export function nodeIdHex(id: number): NodeId {
  return (id >>> 0).toString(16).padStart(8, '0');
}

/** The key of the link between two nodes, and the pair in record order (a < b). */
export function linkKey(x: NodeId, y: NodeId): string {
  return x < y ? x + '-' + y : y + '-' + x;
}

/** Checks a command from a page (untrusted JSON): the command, or a reason. */
export function parseCommand(v: unknown): MeshCommand | string {
  if (!v || typeof v !== 'object') return 'command must be an object';
  const c = v as Record<string, unknown>;
  const isId = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{8}$/.test(x);
  if (!isId(c.to)) return 'to must be a node id (8 hex digits)';
  if (c.from !== undefined && !isId(c.from)) return 'from must be a node id (8 hex digits)';
  const from = c.from as string | undefined;
  if (c.op === 'text') {
    if (typeof c.text !== 'string' || c.text.length === 0 || c.text.length > 200) return 'text must be 1..200 characters';
    return from ? { op: 'text', to: c.to, text: c.text, from } : { op: 'text', to: c.to, text: c.text };
  }
  if (c.op === 'ping' || c.op === 'traceroute') return from ? { op: c.op, to: c.to, from } : { op: c.op, to: c.to };
  return 'op must be text, ping or traceroute';
}

/**
 * The state half of an adapter: keeps the latest node and link records and fans events out to the
 * subscribers. Adapters call apply() with what they learn; snapshot() and subscribe() come from here.
 */
export function createFeedState(): {
  apply(e: MeshEvent): void;
  snapshot(): { nodes: NodeInfo[]; links: LinkInfo[] };
  subscribe(listener: (e: MeshEvent) => void): () => void;
  node(id: NodeId): NodeInfo | undefined;
} {
  const nodes = new Map<NodeId, NodeInfo>();
  const links = new Map<string, LinkInfo>();
  const listeners = new Set<(e: MeshEvent) => void>();
  return {
    apply(e) {
      if (e.type === 'node') nodes.set(e.node.id, e.node);
      else if (e.type === 'link') {
        const k = linkKey(e.link.a, e.link.b);
        if (e.link.up) links.set(k, e.link); else links.delete(k);
      }
      for (const l of listeners) {
        // a subscriber that throws must not starve the others (nor the source that called apply)
        try { l(e); } catch (err) { process.emitWarning(`meshwork/web: feed listener threw: ${(err as Error).message}`); }
      }
    },
    snapshot: () => ({ nodes: [...nodes.values()], links: [...links.values()] }),
    subscribe(l) { listeners.add(l); return () => { listeners.delete(l); }; },
    node: (id) => nodes.get(id),
  };
}

/**
 * Merge what an adapter learned about a node into its record (defaults for a node first seen), mark it up
 * and heard when `heardAt` is given, store it, and publish it: the one node update every adapter makes.
 */
export function upsertNode(
  nodes: Map<NodeId, NodeInfo>, apply: (e: MeshEvent) => void, id: NodeId, name: string, patch: Partial<NodeInfo>, heardAt: number | null,
): NodeInfo {
  const prev = nodes.get(id);
  const n: NodeInfo = {
    id, name, role: 'router', up: true, uptimeS: null, mem: null, fw: null, neighbours: 0, lastHeard: null,
    ...prev, ...patch, t: Date.now(),
  };
  if (heardAt !== null) { n.lastHeard = Math.max(prev?.lastHeard ?? 0, heardAt); n.up = true; }
  nodes.set(id, n);
  apply({ type: 'node', node: n });
  return n;
}

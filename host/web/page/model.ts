/**
 * What the page knows: the latest node and link records, names, the selection, and the server's clock
 * offset (node times are server epoch ms). Views read it; main.ts writes it.
 */
import type { FeedInfo, LinkInfo, NodeInfo } from '../mesh-feed.ts';

/** a node silent for longer than this is shown as stale */
export const STALE_MS = 60000;

export type NodeState = 'up' | 'down' | 'stale';

export interface Model {
  info: FeedInfo | null;
  nodes: Map<string, NodeInfo>;
  links: Map<string, LinkInfo>;
  /** node id → keys of its links */
  adj: Map<string, Set<string>>;
  /** server time minus page time, ms */
  skew: number;
  selected: { kind: 'node'; id: string } | { kind: 'link'; key: string } | null;
}

export function createModel(): Model {
  return { info: null, nodes: new Map(), links: new Map(), adj: new Map(), skew: 0, selected: null };
}

export function serverNow(m: Model): number {
  return Date.now() + m.skew;
}

export function nodeState(m: Model, n: NodeInfo): NodeState {
  if (!n.up) return 'down';
  return n.lastHeard !== null && serverNow(m) - n.lastHeard > STALE_MS ? 'stale' : 'up';
}

/** uptime now: the record's uptime aged by the time since it was made */
export function uptimeNow(m: Model, n: NodeInfo): number | null {
  if (!n.up || n.uptimeS === null) return null;
  return n.uptimeS + Math.max(0, (serverNow(m) - n.t) / 1000);
}

export function keyOf(a: string, b: string): string {
  return a < b ? a + '-' + b : b + '-' + a;
}

export function label(m: Model, id: string): string {
  const n = m.nodes.get(id);
  return n ? n.name : id;
}

/** a node by name or id (what a user types) */
export function findNode(m: Model, s: string): NodeInfo | undefined {
  const q = s.trim().toLowerCase();
  if (!q) return undefined;
  const byId = m.nodes.get(q);
  if (byId) return byId;
  for (const n of m.nodes.values()) if (n.name.toLowerCase() === q) return n;
  return undefined;
}

/** apply one link record, keeping the adjacency index */
export function putLink(m: Model, l: LinkInfo): void {
  const k = keyOf(l.a, l.b);
  const adj = (id: string): Set<string> => {
    let s = m.adj.get(id);
    if (!s) { s = new Set(); m.adj.set(id, s); }
    return s;
  };
  if (l.up) { m.links.set(k, l); adj(l.a).add(k); adj(l.b).add(k); } else { m.links.delete(k); adj(l.a).delete(k); adj(l.b).delete(k); }
}

export function fmtDuration(s: number | null): string {
  if (s === null) return '–';
  if (s < 120) return Math.floor(s) + ' s';
  if (s < 7200) return Math.floor(s / 60) + ' min';
  if (s < 172800) return (s / 3600).toFixed(1) + ' h';
  return (s / 86400).toFixed(1) + ' d';
}

export function fmtAgo(m: Model, t: number | null): string {
  if (t === null) return 'never';
  const s = Math.max(0, (serverNow(m) - t) / 1000);
  return s < 1 ? 'now' : fmtDuration(s) + ' ago';
}

export function fmtPct(q: number | null): string {
  return q === null ? '–' : Math.round(q * 100) + ' %';
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));
}

/**
 * The bridge's MQTT topic scheme (documented for users in TOPICS.md). Everything lives under a versioned
 * root per mesh, `meshwork/v1/<mesh>`; node ids are 8 lower-case hex digits. Keys never appear in a topic.
 */

export const TOPIC_VERSION = 'v1';
export const DEFAULT_PREFIX = 'meshwork';

/** Message kinds (the `t` of shared/app-messages.ts) → topic leaf. `data` = a payload that is not one of them. */
export const KIND_NAMES: Record<string, string> = {
  pi: 'ping', po: 'pong', tx: 'text', tm: 'telemetry', tr: 'trace-query', tR: 'trace-report',
};
export const NAME_TO_T: Record<string, string> = Object.fromEntries(Object.entries(KIND_NAMES).map(([k, v]) => [v, k]));

/** A mesh name usable as one topic level: no wildcards, separators or control characters. */
export function validMeshName(s: string): boolean {
  return /^[A-Za-z0-9._-]{1,64}$/.test(s);
}

export function hexId(id: number): string {
  return (id >>> 0).toString(16).padStart(8, '0');
}

export function parseNodeId(s: string): number {
  if (s === 'all' || s === 'broadcast') return 0xffffffff;
  if (!/^(0x)?[0-9a-f]{1,8}$/i.test(s)) return -1;
  const v = parseInt(s.replace(/^0x/i, ''), 16);
  return v === 0 ? -1 : v >>> 0;
}

export interface Topics {
  root: string;
  /** decoded messages as JSON: <root>/node/<src>/<kind> */
  json(src: number, kind: string): string;
  /** the same envelope as CBOR: <root>/cbor/node/<src>/<kind> */
  cbor(src: number, kind: string): string;
  /** sealed frames as heard, binary: <root>/raw/<src> */
  raw(src: number): string;
  rawFilter: string;
  /** downlink commands: <root>/cmd/<dst hex | all> */
  cmd(dst: number | 'all'): string;
  cmdFilter: string;
  /** bridge status (retained, last will offline): <root>/bridge/<bridge id>/status */
  status(bridgeId: string): string;
  statusFilter: string;
  /** bridge events (downlink rejected, drops…), JSON, not retained: <root>/bridge/<bridge id>/events */
  events(bridgeId: string): string;
  /** claim batches between bridges of one mesh (dedupe): <root>/bridge/claims */
  claims: string;
  /** parse <root>/cmd/<x>; -1 when not a command topic of this mesh */
  cmdTarget(topic: string): number;
}

export function createTopics(mesh: string, prefix = DEFAULT_PREFIX): Topics {
  if (!validMeshName(mesh)) throw new Error(`meshwork/bridge: mesh name "${mesh}" is not usable in a topic (letters, digits, . _ -)`);
  const root = `${prefix}/${TOPIC_VERSION}/${mesh}`;
  return {
    root,
    json: (src, kind) => `${root}/node/${hexId(src)}/${kind}`,
    cbor: (src, kind) => `${root}/cbor/node/${hexId(src)}/${kind}`,
    raw: (src) => `${root}/raw/${hexId(src)}`,
    rawFilter: `${root}/raw/+`,
    cmd: (dst) => `${root}/cmd/${dst === 'all' || dst === 0xffffffff ? 'all' : hexId(dst)}`,
    cmdFilter: `${root}/cmd/+`,
    status: (id) => `${root}/bridge/${id}/status`,
    statusFilter: `${root}/bridge/+/status`,
    events: (id) => `${root}/bridge/${id}/events`,
    claims: `${root}/bridge/claims`,
    cmdTarget(topic) {
      if (!topic.startsWith(root + '/cmd/')) return -1;
      const rest = topic.slice(root.length + 5);
      if (rest.includes('/')) return -1;
      return parseNodeId(rest);
    },
  };
}

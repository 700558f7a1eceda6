/**
 * The page's WebSocket to the dashboard server (server.ts): reconnects with back-off, hands 'hello' and
 * 'batch' messages to the page, and matches replies to requests by rid.
 */
import type { FeedInfo, LinkInfo, NodeInfo, PacketInfo, TraceResult } from '../mesh-feed.ts';

export interface Hello { t: 'hello'; info: FeedInfo; nodes: NodeInfo[]; links: LinkInfo[]; packets: PacketInfo[]; traces: TraceResult[]; now: number }
export interface Batch { t: 'batch'; nodes: NodeInfo[]; links: LinkInfo[]; packets: PacketInfo[]; dropped: number; traces: TraceResult[]; now: number }

export interface ConnHandlers {
  hello(m: Hello): void;
  batch(m: Batch): void;
  state(open: boolean): void;
}

export interface Conn {
  /** send {t, …} with a fresh rid; resolves with the reply (or {ok:false} when the socket closes first) */
  request<T>(msg: Record<string, unknown>): Promise<T>;
}

export function connect(h: ConnHandlers): Conn {
  let ws: WebSocket | null = null;
  let backoff = 250;
  let rid = 1;
  const waiting = new Map<number, (v: unknown) => void>();

  function open(): void {
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
    const s = new WebSocket(url);
    ws = s;
    s.onopen = () => { backoff = 250; h.state(true); };
    s.onmessage = (ev) => {
      const m = JSON.parse(String(ev.data)) as { t: string; rid?: number };
      if (m.t === 'hello') h.hello(m as Hello);
      else if (m.t === 'batch') h.batch(m as Batch);
      else if (m.rid !== undefined) {
        const f = waiting.get(m.rid);
        if (f) { waiting.delete(m.rid); f(m); }
      }
    };
    s.onclose = () => {
      h.state(false);
      for (const f of waiting.values()) f({ t: 'reply', result: { ok: false, err: 'connection lost' } });
      waiting.clear();
      ws = null;
      setTimeout(open, backoff);
      backoff = Math.min(5000, backoff * 2);
    };
  }
  open();

  return {
    request<T>(msg: Record<string, unknown>): Promise<T> {
      const id = rid++;
      return new Promise<T>((resolve) => {
        if (!ws || ws.readyState !== WebSocket.OPEN) { resolve({ t: 'reply', result: { ok: false, err: 'not connected' } } as T); return; }
        waiting.set(id, resolve as (v: unknown) => void);
        ws.send(JSON.stringify({ ...msg, rid: id }));
      });
    },
  };
}

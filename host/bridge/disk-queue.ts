/**
 * The uplink queue on disk: every record the bridge must publish is appended here first and forgotten only
 * when the broker acknowledged it (QoS 1 PUBACK), so a broker outage (or a bridge restart) loses nothing.
 *
 * Layout (dir): segment files `seg-<k>.q`, record ids k*S … (k+1)*S-1 in segment k (S = segmentEntries),
 * each record `u32 BE length | bytes`, appended with one write; `head` holds the first id not yet
 * acknowledged (rewritten atomically, throttled). Ids are consecutive integers for ever (2^53).
 * A segment file is deleted once every id in it is acknowledged.
 *
 * Bound: at most maxEntries records between the head and the tail. At the bound the OLDEST record not yet
 * handed to the broker is dropped (counted in `dropped`); nothing is dropped before that. Records handed to
 * the broker and not acknowledged yet are the publisher's (it never holds more than its window).
 *
 * Reading: next() serves records put back with retry() first (oldest first), then the read cursor. The tail
 * segment is also kept in memory, so a bridge that keeps up never reads the disk back.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface DiskQueueInit { dir: string; maxEntries?: number; segmentEntries?: number }

export interface DiskQueue {
  push(rec: Uint8Array): void;
  /** next record to send (id + bytes), or null when nothing waits */
  next(): { id: number; rec: Buffer } | null;
  /** the broker has it: never send it again */
  ack(id: number): void;
  /** send this id again later (it was taken by next() but not handed to the broker) */
  retry(id: number): void;
  /** records waiting to be sent (not taken) */
  waiting(): number;
  /** records not yet acknowledged */
  size(): number;
  readonly stats: { pushed: number; acked: number; dropped: number };
  /** write the head now (also done on a timer) and close the files */
  close(): void;
}

export function createDiskQueue(init: DiskQueueInit): DiskQueue {
  const dir = init.dir;
  const S = init.segmentEntries ?? 1024;
  const max = init.maxEntries ?? 100_000;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stats = { pushed: 0, acked: 0, dropped: 0 };
  const segPath = (k: number): string => join(dir, `seg-${k}.q`);

  // --- recover
  let head = 0;
  if (existsSync(join(dir, 'head'))) {
    const v = Number(readFileSync(join(dir, 'head'), 'utf8'));
    if (Number.isInteger(v) && v >= 0) head = v;
  }
  const segs = readdirSync(dir).map((f) => /^seg-(\d+)\.q$/.exec(f)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[1])).sort((a, b) => a - b);
  for (const k of segs) if ((k + 1) * S <= head) unlinkSync(segPath(k));
  let tail = head;
  let tailRecs: Buffer[] = [];
  let tailSeg = Math.floor(head / S);
  const lastSeg = segs.length ? segs[segs.length - 1] : -1;
  if (lastSeg >= 0 && (lastSeg + 1) * S > head) {
    tailSeg = lastSeg;
    tailRecs = parse(readFileSync(segPath(lastSeg)));
    tail = lastSeg * S + tailRecs.length;
    if (tail < head) { tail = head; tailSeg = Math.floor(head / S); tailRecs = []; }
  }
  let fd = -1;
  let read = head;
  const retries: number[] = [];
  const done = new Set<number>();
  let cache: { k: number; recs: Buffer[] } | null = null;
  let headDirty = false;
  const timer = setInterval(flushHead, 200);
  timer.unref();

  function parse(b: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let o = 0;
    while (o + 4 <= b.length) {
      const n = b.readUInt32BE(o);
      if (o + 4 + n > b.length) break; // torn write at a crash: the record never counted
      out.push(b.subarray(o + 4, o + 4 + n));
      o += 4 + n;
    }
    return out;
  }

  function get(id: number): Buffer {
    const k = Math.floor(id / S);
    if (k === tailSeg && id - k * S < tailRecs.length) return tailRecs[id - k * S];
    if (!cache || cache.k !== k) cache = { k, recs: parse(readFileSync(segPath(k))) };
    return cache.recs[id - k * S];
  }

  function flushHead(): void {
    if (!headDirty) return;
    headDirty = false;
    const tmp = join(dir, 'head.tmp');
    writeFileSync(tmp, String(head));
    renameSync(tmp, join(dir, 'head'));
  }

  function advance(): void {
    const before = head;
    while (head < tail && done.has(head)) { done.delete(head); head++; }
    if (head === before) return;
    headDirty = true;
    for (let k = Math.floor(before / S); (k + 1) * S <= head; k++) {
      if (k === tailSeg) break;
      try { unlinkSync(segPath(k)); } catch { /* already gone */ }
      if (cache && cache.k === k) cache = null;
    }
  }

  function markDone(id: number): void {
    if (id < head || done.has(id)) return;
    done.add(id);
    advance();
  }

  function dropOldest(): void {
    let id: number;
    if (retries.length) id = retries.shift()!;
    else if (read < tail) id = read++;
    else return;
    stats.dropped++;
    markDone(id);
  }

  function push(rec: Uint8Array): void {
    if (tail - head >= max) dropOldest();
    const k = Math.floor(tail / S);
    if (k !== tailSeg || fd < 0) {
      if (fd >= 0) closeSync(fd);
      if (k !== tailSeg) tailRecs = [];
      tailSeg = k;
      fd = openSync(segPath(k), 'a', 0o600);
    }
    const b = Buffer.allocUnsafe(4 + rec.length);
    b.writeUInt32BE(rec.length, 0);
    b.set(rec, 4);
    writeSync(fd, b);
    tailRecs.push(b.subarray(4));
    tail++;
    stats.pushed++;
  }

  function next(): { id: number; rec: Buffer } | null {
    while (retries.length) {
      const id = retries.shift()!;
      if (id >= head && !done.has(id)) return { id, rec: get(id) };
    }
    while (read < tail) {
      const id = read++;
      if (id >= head && !done.has(id)) return { id, rec: get(id) };
    }
    return null;
  }

  function retry(id: number): void {
    let i = retries.length;
    while (i > 0 && retries[i - 1] > id) i--;
    retries.splice(i, 0, id);
  }

  return {
    push, next, retry,
    ack(id) { if (id >= head && !done.has(id)) { stats.acked++; markDone(id); } },
    waiting: () => retries.length + (tail - read),
    size: () => tail - head - done.size,
    stats,
    close() {
      clearInterval(timer);
      flushHead();
      if (fd >= 0) { closeSync(fd); fd = -1; }
    },
  };
}

/** Record codec: key (src u32, epoch u8, seq u32) | n u8 | n × (topic len u16 | topic | payload len u32 | payload) */
export function encodeRecord(r: { key: { src: number; epoch: number; seq: number }; pubs: { topic: string; payload: Buffer }[] }): Buffer {
  const topics = r.pubs.map((p) => Buffer.from(p.topic));
  let n = 10;
  for (let i = 0; i < r.pubs.length; i++) n += 6 + topics[i].length + r.pubs[i].payload.length;
  const b = Buffer.allocUnsafe(n);
  b.writeUInt32BE(r.key.src >>> 0, 0);
  b[4] = r.key.epoch;
  b.writeUInt32BE(r.key.seq >>> 0, 5);
  b[9] = r.pubs.length;
  let o = 10;
  for (let i = 0; i < r.pubs.length; i++) {
    b.writeUInt16BE(topics[i].length, o); o += 2;
    topics[i].copy(b, o); o += topics[i].length;
    b.writeUInt32BE(r.pubs[i].payload.length, o); o += 4;
    r.pubs[i].payload.copy(b, o); o += r.pubs[i].payload.length;
  }
  return b;
}

export function decodeRecord(b: Buffer): { key: { src: number; epoch: number; seq: number }; pubs: { topic: string; payload: Buffer }[] } {
  const key = { src: b.readUInt32BE(0), epoch: b[4], seq: b.readUInt32BE(5) };
  const n = b[9];
  const pubs: { topic: string; payload: Buffer }[] = [];
  let o = 10;
  for (let i = 0; i < n; i++) {
    const tl = b.readUInt16BE(o); o += 2;
    const topic = b.toString('utf8', o, o + tl); o += tl;
    const pl = b.readUInt32BE(o); o += 4;
    pubs.push({ topic, payload: b.subarray(o, o + pl) });
    o += pl;
  }
  return { key, pubs };
}

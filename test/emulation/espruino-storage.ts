/**
 * Espruino's `require("Storage")` (src/jswrap_storage.c, src/jsflash.c jsfWriteFile at c5ff787), emulated on a
 * Map of 8-bit strings (char code = byte), optionally persisted to a directory (one file per record, the
 * name percent-encoded; writes are synchronous so a killed process leaves what the board would have kept).
 *
 * write(name, data, offset, size), as jsfWriteFile:
 * - offset 0 (or none) creates the file with `size` bytes (default: the data length) erased to 0xFF, then
 *   writes the data at 0 (an identical whole rewrite is a no-op; a same-size file that is still erased is
 *   kept, so chunk 0 can be written into a reserved file);
 * - offset > 0 writes into the existing file: "Unable to find or create file" when there is none,
 *   "Too much data for file size" past its end, "File already written with different data" where the area
 *   is not 0xFF (flash can only be written once between erases);
 * - size 0 with empty data: "Can't create zero length file". Names longer than 28 chars are refused.
 * read() returns the whole file including unwritten 0xFF bytes, as the real one.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const STORAGE_NAME_MAX = 28;

/** a Map whose changes go to a directory */
export class StorageMap extends Map<string, string> {
  private dir: string | undefined;
  constructor(init?: Iterable<[string, string]>, dir?: string) {
    super();
    if (dir) {
      mkdirSync(dir, { recursive: true });
      for (const f of readdirSync(dir)) {
        if (f.startsWith('~')) continue; // temp files
        super.set(decodeURIComponent(f), readFileSync(join(dir, f)).toString('latin1'));
      }
    }
    this.dir = dir;
    if (init) for (const [k, v] of init) this.set(k, v);
  }
  private file(name: string): string {
    return join(this.dir!, encodeURIComponent(name).replace(/^\./, '%2E'));
  }
  override set(name: string, data: string): this {
    // re-created files move to the end of the listing, as on flash
    super.delete(name);
    super.set(name, data);
    if (this.dir) writeFileSync(this.file(name), Buffer.from(data, 'latin1'));
    return this;
  }
  override delete(name: string): boolean {
    const had = super.delete(name);
    if (this.dir) rmSync(this.file(name), { force: true });
    return had;
  }
  override clear(): void {
    for (const k of [...this.keys()]) this.delete(k);
  }
}

export function toByteString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String.fromCharCode(v & 255);
  if (v instanceof ArrayBuffer || Object.prototype.toString.call(v) === '[object ArrayBuffer]') {
    return Buffer.from(new Uint8Array(v as ArrayBuffer)).toString('latin1');
  }
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1');
  if (Array.isArray(v)) return v.map((x) => toByteString(x) ?? '').join('');
  if (v && typeof v === 'object' && 'data' in v) { // Espruino's {data, count} byte source
    const o = v as { data: unknown; count?: number };
    return (toByteString(o.data) ?? '').repeat(o.count ?? 1);
  }
  return undefined;
}

export interface StorageOptions {
  /** bytes of the Storage area (ESP32: ~896 KB) */
  totalBytes?: number;
  makeError: (msg: string) => Error;
  /** a string in the context's realm → the context's Uint8Array/ArrayBuffer */
  toArrayBuffer: (s: string) => ArrayBuffer;
  parseJSON: (s: string) => unknown;
}

const HEADER = 32; // bytes of flash a file header costs (approx.)

export function createEspruinoStorage(map: Map<string, string>, o: StorageOptions) {
  const total = o.totalBytes ?? 896 * 1024;
  const used = () => [...map.values()].reduce((a, v) => a + v.length + HEADER, 0);
  const checkName = (name: unknown): string => {
    const n = String(name);
    if (n.length > STORAGE_NAME_MAX) throw o.makeError(`File name too long`);
    if (n.length === 0) throw o.makeError(`Invalid filename`);
    return n;
  };
  const Storage = {
    read(name: string, offset?: number, length?: number): string | undefined {
      const v = map.get(String(name));
      if (v === undefined) return undefined;
      const off = offset ? Number(offset) : 0;
      const len = length ? Number(length) : v.length - off;
      return v.substr(off, len);
    },
    readArrayBuffer(name: string): ArrayBuffer | undefined {
      const v = map.get(String(name));
      return v === undefined ? undefined : o.toArrayBuffer(v);
    },
    readJSON(name: string, noExceptions?: boolean): unknown {
      const v = map.get(String(name));
      if (v === undefined) return undefined;
      try {
        return o.parseJSON(v);
      } catch (e) {
        if (noExceptions) return undefined;
        throw e;
      }
    },
    write(name: string, data: unknown, offset?: number, size?: number): boolean {
      const n = checkName(name);
      const d = toByteString(data);
      if (d === undefined) throw o.makeError("Can't get pointer to data to write");
      const off = offset === undefined ? 0 : Math.floor(Number(offset));
      let sz = size === undefined ? 0 : Math.floor(Number(size));
      if (off < 0 || sz < 0) return false;
      if (sz === 0) sz = d.length;
      if (!sz) throw o.makeError("Can't create zero length file");
      let file = map.get(n);
      if (off === 0 && (file === undefined || file.length !== sz || !/^\xff*$/.test(file.substr(0, sz)))) {
        if (file !== undefined && file.length === sz && d.length === sz && file === d) return true;
        const free = total - used() + (file === undefined ? 0 : file.length + HEADER);
        if (sz + HEADER > free) throw o.makeError('Unable to find or create file');
        file = '\xff'.repeat(sz);
      }
      if (file === undefined) throw o.makeError('Unable to find or create file');
      if (off + d.length > file.length) throw o.makeError('Too much data for file size');
      if (!/^\xff*$/.test(file.substr(off, d.length))) throw o.makeError('File already written with different data');
      map.set(n, file.substr(0, off) + d + file.substr(off + d.length));
      return true;
    },
    writeJSON(name: string, data: unknown): boolean {
      return Storage.write(name, JSON.stringify(data));
    },
    erase(name: string): void { map.delete(String(name)); },
    eraseAll(): void { map.clear(); },
    list(pattern?: unknown): string[] {
      const names = [...map.keys()];
      if (pattern === undefined || pattern === null) return names;
      if (pattern instanceof RegExp || Object.prototype.toString.call(pattern) === '[object RegExp]') {
        return names.filter((k) => (pattern as RegExp).test(k));
      }
      return names.filter((k) => k.includes(String(pattern)));
    },
    getFree(): number { return total - used(); },
    getStats() {
      const u = used();
      return { totalBytes: total, freeBytes: total - u, fileBytes: u, fileCount: map.size, trashBytes: 0, trashCount: 0 };
    },
    compact(): void { /* no trash in the emulation */ },
    debug(): void { /* nothing to show */ },
  };
  return Storage;
}

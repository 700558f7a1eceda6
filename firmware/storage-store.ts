/**
 * The Store port on Espruino's Storage (flash). Records are small text files; a write replaces the file.
 * Storage.write returns false on failure (flash full): the caller decides (seqno.ts refuses to send).
 */
import type { Store } from '../shared/ports.ts';

interface EspruinoStorage {
  read(name: string): string | undefined;
  write(name: string, data: string): boolean;
}

export function createStorageStore(storage: EspruinoStorage): Store {
  return {
    read: function (name: string) {
      const v = storage.read(name);
      return v === undefined || v === null ? undefined : v;
    },
    write: function (name: string, data: string) {
      try {
        return storage.write(name, data) !== false;
      } catch (e) {
        return false;
      }
    },
  };
}

/**
 * The keyring: network keys by key epoch, held as derived subkeys in one preallocated buffer.
 *
 * A network key NK (AES-128, 16 bytes) is never used directly. Three subkeys are derived from it with one
 * AES-ECB call over three label blocks (AES as a PRF, NIST SP 800-108 style with a fixed-length input):
 *   K_enc = AES_NK(01 'M' 'W' '1' 00…)   per-frame CTR subkeys are derived from it (frame-seal.ts)
 *   K_mac = AES_NK(02 'M' 'W' '1' 00…)   frame tag (CBC-MAC)
 *   K_hdr = AES_NK(03 'M' 'W' '1' 00…)   header tag (CBC-MAC)
 * Separate keys keep the three uses from ever sharing an AES key. Capacity comes from the board profile
 * (current + previous epoch during a rollover); a full ring drops the oldest epoch. Removed keys are wiped.
 * The keyring never logs or returns the network key itself.
 */
import type { Aes128 } from './ports.ts';

export const KEY_LEN = 16;
const SUBKEYS_LEN = 48;

export interface Keyring {
  /** Install the network key of `epoch` (0..255), replacing the same epoch or the oldest one. */
  set(epoch: number, networkKey: Uint8Array): void;
  /** Forget an epoch and wipe its subkeys. */
  remove(epoch: number): void;
  /** Slot index holding `epoch`, or -1. */
  slot(epoch: number): number;
  /**
   * The same lookup as a table: slotOf[epoch] for an epoch byte 0..255 is its slot or -1. Read only. It lets
   * frame-seal.ts find a frame's keys with one typed-array read instead of a call (a call costs as much as a
   * few dozen tokens on Espruino); the caller must index it with a byte (an epoch decoded from a frame).
   */
  readonly slotOf: Int8Array;
  /** Number of slots (slots are 0..capacity-1). */
  readonly capacity: number;
  /** The newest epoch installed, or -1 when empty. */
  current(): number;
  /**
   * Subkey views for a slot (owned by the keyring: never modify). Each slot's views are made once, so the
   * same view always holds whatever key the slot holds now: a caller may keep it to avoid a call per frame,
   * but must look the slot up again (slot/slotOf) for every frame.
   */
  enc(slot: number): Uint8Array;
  mac(slot: number): Uint8Array;
  hdr(slot: number): Uint8Array;
}

export function createKeyring(init: { capacity: number }): (c: { aes: Aes128 }) => Keyring {
  return function (c) {
    const cap = init.capacity;
    if (!(cap >= 1 && cap <= 127)) throw new Error('meshwork/keyring: capacity is 1..127 (slotOf is an Int8Array)');
    const keys = new Uint8Array(cap * SUBKEYS_LEN);
    // epoch per slot, -1 = empty; age per slot for "drop the oldest"
    const epochs = new Int16Array(cap).fill(-1);
    // epoch → slot, -1 = not installed; kept in step with `epochs` by set and remove
    const slotOf = new Int8Array(256).fill(-1);
    const ages = new Uint32Array(cap);
    const labels = new Uint8Array(SUBKEYS_LEN);
    const encV: Uint8Array[] = [];
    const macV: Uint8Array[] = [];
    const hdrV: Uint8Array[] = [];
    let clock = 0;
    for (let i = 0; i < 3; i++) {
      labels[i * 16] = i + 1;
      labels[i * 16 + 1] = 0x4d;
      labels[i * 16 + 2] = 0x57;
      labels[i * 16 + 3] = 0x31;
    }
    for (let s = 0; s < cap; s++) {
      encV.push(keys.subarray(s * SUBKEYS_LEN, s * SUBKEYS_LEN + 16));
      macV.push(keys.subarray(s * SUBKEYS_LEN + 16, s * SUBKEYS_LEN + 32));
      hdrV.push(keys.subarray(s * SUBKEYS_LEN + 32, s * SUBKEYS_LEN + 48));
    }

    function slot(epoch: number): number {
      return (epoch & 255) === epoch ? slotOf[epoch] : -1;
    }

    function set(epoch: number, networkKey: Uint8Array): void {
      if (networkKey.length !== KEY_LEN || (epoch & 255) !== epoch) {
        throw new Error('meshwork/keyring: a network key is 16 bytes and an epoch 0..255');
      }
      let s = slot(epoch);
      if (s < 0) s = epochs.indexOf(-1);
      if (s < 0) {
        s = 0;
        for (let i = 1; i < cap; i++) if (ages[i] < ages[s]) s = i;
      }
      c.aes.ecb(networkKey, labels, keys.subarray(s * SUBKEYS_LEN, (s + 1) * SUBKEYS_LEN));
      if (epochs[s] >= 0) slotOf[epochs[s]] = -1;
      epochs[s] = epoch;
      slotOf[epoch] = s;
      ages[s] = ++clock;
    }

    function remove(epoch: number): void {
      const s = slot(epoch);
      if (s < 0) return;
      keys.fill(0, s * SUBKEYS_LEN, (s + 1) * SUBKEYS_LEN);
      epochs[s] = -1;
      slotOf[epoch] = -1;
    }

    function current(): number {
      let best = -1;
      for (let i = 0; i < cap; i++) if (epochs[i] > best) best = epochs[i];
      return best;
    }

    return {
      set: set,
      remove: remove,
      slot: slot,
      slotOf: slotOf,
      capacity: cap,
      current: current,
      enc: function (s: number) { return encV[s]; },
      mac: function (s: number) { return macV[s]; },
      hdr: function (s: number) { return hdrV[s]; },
    };
  };
}

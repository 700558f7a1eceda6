/**
 * The Espruino globals and built-in modules the firmware reaches, typed minimally (Espruino 2v29;
 * behaviour notes from /work/shared/ESPRUINO.md and /opt/espruino/FACTS.md). Only firmware/ sees these
 * (firmware/tsconfig.json): shared/ is sans-IO and must not use them.
 *
 * Built-in modules are reached with `require("name")`; the bundle keeps those calls as they are and
 * Espruino resolves them itself (host/build/esbuild-options.ts). The bundle check allows only the names in
 * host/build/esbuild-options.ts ESPRUINO_MODULES.
 */

/** Byte sources Espruino natives accept: strings (8-bit), ArrayBuffers, Uint8Arrays (other views are misread). */
type EspruinoBytes = string | ArrayBuffer | Uint8Array;

interface EspruinoCryptoModule {
  AES: {
    /**
     * `mode` 'CBC' (default) | 'CFB' (CFB8) | 'CTR' (IV ignored, counter from zero) | 'ECB' (whole blocks only).
     * Returns a new ArrayBuffer, or undefined after printing an error (bad key length, bad CBC length, no memory).
     */
    encrypt(data: EspruinoBytes, key: EspruinoBytes, options?: { mode?: string; iv?: EspruinoBytes }): ArrayBuffer | undefined;
    /** Wrong bytes for CTR and CFB on software mbedtls: use encrypt for CTR in both directions. */
    decrypt(data: EspruinoBytes, key: EspruinoBytes, options?: { mode?: string; iv?: EspruinoBytes }): ArrayBuffer | undefined;
  };
  SHA1(data: EspruinoBytes): ArrayBuffer;
  SHA256(data: EspruinoBytes): ArrayBuffer;
  SHA512(data: EspruinoBytes): ArrayBuffer;
}

interface EspruinoStorageModule {
  read(name: string, offset?: number, length?: number): string | undefined;
  readArrayBuffer(name: string): ArrayBuffer | undefined;
  readJSON(name: string, noExceptions?: boolean): unknown;
  /** false when the write failed (flash full) */
  write(name: string, data: EspruinoBytes, offset?: number, size?: number): boolean;
  writeJSON(name: string, data: unknown): boolean;
  erase(name: string): void;
  list(pattern?: RegExp | string): string[];
  getFree(): number;
  compact(): void;
}

interface EspruinoDgramRemote { address: string; port: number; size: number; family: string }

interface EspruinoDgramSocket {
  bind(port: number, callback?: (socket: EspruinoDgramSocket) => void): EspruinoDgramSocket;
  /** Strings only: a Uint8Array is sent as the text "65,66,67". Send `E.toString(u8)`. */
  send(msg: string, port: number, address: string): void;
  send(msg: string, offset: number, length: number, port: number, address: string): void;
  /** Received datagrams are cut to 528 bytes unless the socket was created with a larger recvBufferSize. */
  on(event: 'message', listener: (msg: string, rinfo: EspruinoDgramRemote) => void): void;
  on(event: 'close' | 'error', listener: (arg?: unknown) => void): void;
  addMembership(group: string, ip: string): void;
  close(): void;
}

interface EspruinoDgramModule {
  createSocket(type: 'udp4' | { type: 'udp4'; reuseAddr?: boolean; recvBufferSize?: number },
    callback?: (msg: string, rinfo: EspruinoDgramRemote) => void): EspruinoDgramSocket;
}

interface EspruinoWifiModule {
  connect(ssid: string, options: { password?: string; channel?: number }, callback?: (err: unknown) => void): void;
  /** The soft-AP accepts at most 4 stations. */
  startAP(ssid: string, options: { password?: string; authMode?: string; channel?: number; hidden?: boolean },
    callback?: (err: unknown) => void): void;
  disconnect(callback?: () => void): void;
  stopAP(callback?: () => void): void;
  getIP(callback?: (err: unknown, ip: { ip: string; netmask: string; gw: string; mac: string }) => void): { ip: string; mac: string };
  getAPIP(callback?: (err: unknown, ip: { ip: string; netmask: string; gw: string; mac: string }) => void): { ip: string; mac: string };
  setHostname(name: string, callback?: () => void): void;
  on(event: string, listener: (details?: unknown) => void): void;
}

interface EspruinoESP32Module {
  reboot(): void;
  deepSleep(us: number): void;
  getState(): { sdkVersion: string; cpuFrequency: number; freeHeap: number; maxBlock: number; rssi: number };
}

/** `require("ESPNOW")` exists only on builds with an ESP-NOW binding: the radio driver types its contract. */
declare function require(module: 'crypto'): EspruinoCryptoModule;
declare function require(module: 'Storage'): EspruinoStorageModule;
declare function require(module: 'dgram'): EspruinoDgramModule;
declare function require(module: 'Wifi'): EspruinoWifiModule;
declare function require(module: 'ESP32'): EspruinoESP32Module;
declare function require(module: 'ESPNOW'): unknown;

interface EspruinoMemory {
  /** JsVars free / in use / in total (14 bytes each on ESP32, 13 on the C3) */
  free: number;
  usage: number;
  total: number;
  history: number;
  gc: number;
  gctime: number;
  blocksize: number;
}

declare const process: {
  /** `gc` false skips the garbage collection Espruino otherwise runs first */
  memory(gc?: boolean): EspruinoMemory;
  env: { VERSION: string; BOARD: string; MODULES?: string; [key: string]: unknown };
};

declare const E: {
  /** bytes → 8-bit string (a copy); undefined when it cannot allocate */
  toString(...data: (EspruinoBytes | number | number[])[]): string | undefined;
  /** string / bytes / numbers → a fresh Uint8Array (a copy, never a view) */
  toUint8Array(...data: (EspruinoBytes | number | number[])[]): Uint8Array;
  /** CRC-32 (IEEE 802.3), as zlib */
  CRC32(data: EspruinoBytes): number;
  /** e.g. ['LOW_MEMORY', 'FIFO_FULL']; reading does not clear them */
  getErrorFlags(): string[];
  on(event: 'init' | 'kill', listener: () => void): void;
  on(event: 'errorFlag', listener: (flags: string[]) => void): void;
  /** hardware watchdog: reboots unless kickWatchdog() is called within `timeout` s (auto: kicked by the idle loop) */
  enableWatchdog?: (timeout: number, auto?: boolean) => void;
  kickWatchdog?: () => void;
  /** absent on some builds (Linux): load() re-runs the boot code instead */
  reboot?: () => void;
};

/** drive a pin (Espruino accepts pin objects and names such as "D2") */
declare function digitalWrite(pin: unknown, value: boolean | number): void;
/** clear the interpreter and run the boot code (.bootcde) again */
declare function load(): void;

/** Seconds since boot, a float: Espruino's monotonic clock. */
declare function getTime(): number;
declare function setTimeout(callback: () => void, ms: number): number;
declare function setInterval(callback: () => void, ms: number): number;
declare function clearTimeout(id?: number): void;
declare function clearInterval(id?: number): void;
declare function print(...args: unknown[]): void;

interface EspruinoSerial {
  setup(baud: number, options?: { rx?: string; tx?: string }): void;
  write(data: EspruinoBytes | number): void;
  print(text: string): void;
  on(event: 'data', listener: (data: string) => void): void;
  /** make this device the REPL console (or take the console away from it) */
  setConsole(force?: boolean): void;
}

declare const Serial1: EspruinoSerial;
declare const USB: EspruinoSerial;
/** One end of Espruino's internal loopback pair: moving the console here frees the real port for frames. */
declare const LoopbackA: EspruinoSerial;
declare const LoopbackB: EspruinoSerial;

/** Espruino's root scope object. */
declare const global: { [name: string]: unknown };

/**
 * A board profile is data, not code: which radio driver and cipher backend the firmware uses, the pins,
 * the console, the fixed capacities of every table, and the budgets the build enforces.
 * The build inlines every leaf of the profile into the bundle as a constant (host/build/).
 */
export type RadioDriver = 'wifi-udp' | 'espnow' | 'udp-loopback';
export type CipherBackend = 'native' | 'js';
/** 'node': the full router (shared/router.ts) with the application layer; 'repeater': the flood relay only
 *  (shared/repeater.ts), for boards whose memory cannot hold the router (docs/espruino-memory.md) */
export type FirmwareKind = 'node' | 'repeater';

export interface BoardProfile {
  /** file name and `--board` name, kebab-case */
  name: string;
  /** one line for humans */
  title: string;
  /** Espruino's own board name (process.env.BOARD), checked at flash time */
  espruinoBoard: string;
  radio: RadioDriver;
  /** which program the board runs (firmware/main.ts picks it at build time) */
  firmware: FirmwareKind;
  /** 'native' needs Espruino's `crypto` module (AES); 'js' is the pure-JS fallback (slow, stated in README) */
  cipher: CipherBackend;
  console: { device: string; baud: number };
  pins: { led: string | null; button: string | null };
  capacities: {
    /** neighbour table rows (neighbour-table.ts) */
    neighbours: number;
    /** route table rows (route-table.ts); destinations beyond it are reached by flooding */
    routes: number;
    /** frame pool: queued relays + routed frames awaiting a hop ack, and the end-to-end ack table */
    pending: number;
    /** (source, sequence) pairs remembered by the duplicate cache */
    dedupSlots: number;
    /** sources tracked by the replay window */
    replaySources: number;
    /** concurrent messages being reassembled */
    reassemblySlots: number;
    /** largest message accepted for reassembly, bytes */
    reassemblyMaxBytes: number;
    /** key epochs held at once (current + previous during a rollover) */
    keyEpochs: number;
    /** largest message on the serial host link, bytes (firmware/console-link.ts; ≤ 1536): a routes reply of
     *  96 routes needs ~1.7 KB of text, a repeater's replies fit in a few hundred */
    linkPayload: number;
  };
  budgets: {
    /** JsVars the interpreter has on this board (process.memory().total at boot) */
    jsVarsTotal: number;
    /** JsVars the loaded firmware may use before any traffic */
    jsVarBudget: number;
    /** minified bundle size limit, bytes */
    bundleBytes: number;
    /** the memory guard (firmware/memory-guard.ts) sheds optional work below lowPct % free JsVars and stops
     *  decoding messages below criticalPct %: percentages of a 16k-JsVar board leave thousands free, a 4k
     *  board needs lower ones (a relayed frame allocates ~50 JsVars, a host command ~100) */
    memLowPct: number;
    memCriticalPct: number;
  };
  /** wait for a hop ack before resending a routed frame, ms: the receiver must open the frame and seal the
   *  ack, and the sender verify it, so it scales with the board's AES and interpreter speed (native AES on an
   *  ESP32: tens of ms per step; the pure-JS AES of ESP32_IDF4: about a second; the simulator: 40) */
  hopAckTimeoutMs: number;
  /** hardware watchdog timeout, s (0: none); fed only while the core's timer runs (firmware/main.ts) */
  watchdogSec: number;
  /** sequence numbers reserved per flash write of the high-water mark (seqno.ts) */
  seqPersistBlock: number;
}

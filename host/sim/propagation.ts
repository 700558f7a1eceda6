/**
 * Radio propagation for the simulator: log-distance path loss with per-link log-normal shadowing, and the
 * frame error rate as a function of received power.
 *
 *   P_rx(d) = P_tx − PL(d0) − 10·n·log10(d / d0) + X_σ        (X_σ ~ N(0, σ²), fixed per link: hash of the pair)
 *   FER(P)  = 1 / (1 + exp((P − S) / w))                       (S = sensitivity: 50 % frame loss there)
 *
 * Defaults model an ESP32 at 1 Mbps outdoors among low buildings: 20 dBm, PL(1 m) = 40 dB (free space at
 * 2.4 GHz), n = 3, σ = 4 dB, sensitivity −90 dBm (datasheet: −97 dBm for 802.11b 1 Mbps; 7 dB left for
 * interference and antennas), logistic width 1.5 dB (FER goes from 90 % to 10 % over about 6.6 dB).
 * With these numbers the mean link loses under 1 % of frames to about 125 m, half at 215 m, and is below
 * the floor (ignored) beyond about 320 m; shadowing moves each link's figures by a few tens of metres.
 */
import { hashNormal } from './rng.ts';

export interface Propagation {
  txPowerDbm: number;
  /** path loss at the reference distance d0, dB */
  pl0Db: number;
  /** reference distance, m */
  d0M: number;
  /** path loss exponent */
  exponent: number;
  /** log-normal shadowing standard deviation, dB (fixed per link) */
  shadowSigmaDb: number;
  /** received power at which half the frames are lost, dBm */
  sensitivityDbm: number;
  /** logistic width of the FER curve, dB */
  fadeWidthDb: number;
  /** per-frame fast fading standard deviation, dB (changes every frame) */
  fastFadingSigmaDb: number;
  /** a frame survives an overlapping one if it is at least this much stronger at the receiver, dB */
  captureDb: number;
  /** clear-channel assessment threshold: stronger arrivals make a node defer (carrier sense), dBm */
  ccaDbm: number;
  /** arrivals weaker than this are ignored entirely (neither received nor interfering), dBm */
  floorDbm: number;
}

export const DEFAULT_PROPAGATION: Propagation = {
  txPowerDbm: 20,
  pl0Db: 40,
  d0M: 1,
  exponent: 3,
  shadowSigmaDb: 4,
  sensitivityDbm: -90,
  fadeWidthDb: 1.5,
  fastFadingSigmaDb: 1,
  captureDb: 6,
  ccaDbm: -92,
  floorDbm: -97,
};

/** Mean received power at distance d (no shadowing), dBm. Strictly decreasing in d for d ≥ d0. */
export function meanRxDbm(p: Propagation, dM: number): number {
  const d = dM < p.d0M ? p.d0M : dM;
  return p.txPowerDbm - p.pl0Db - 10 * p.exponent * Math.log10(d / p.d0M);
}

/** Received power on the link between nodes a and b at distance d, with that link's fixed shadowing. */
export function linkRxDbm(p: Propagation, seed: number, a: number, b: number, dM: number): number {
  const lo = a < b ? a : b;
  const hi = a < b ? b : a;
  let x = hashNormal(seed, lo, hi);
  if (x > 3) x = 3;
  else if (x < -3) x = -3;
  return meanRxDbm(p, dM) + p.shadowSigmaDb * x;
}

/** Frame error probability at received power P (dBm): interference-free, before collisions. */
export function frameErrorProb(p: Propagation, rxDbm: number): number {
  return 1 / (1 + Math.exp((rxDbm - p.sensitivityDbm) / p.fadeWidthDb));
}

/** Distance at which the mean received power equals `dbm`, m. */
export function distanceForDbm(p: Propagation, dbm: number): number {
  return p.d0M * Math.pow(10, (p.txPowerDbm - p.pl0Db - dbm) / (10 * p.exponent));
}

/**
 * Nominal range: the distance where the mean power leaves `marginDb` above sensitivity (a link that
 * delivers nearly every frame before shadowing). Topologies space nodes from it.
 */
export function nominalRangeM(p: Propagation, marginDb: number): number {
  return distanceForDbm(p, p.sensitivityDbm + marginDb);
}

/**
 * Largest distance at which a link can still be above the floor: the neighbour search radius. Shadowing is
 * clipped at +3σ (linkRxDbm) so this bound is exact, not probabilistic.
 */
export function maxReachM(p: Propagation): number {
  return distanceForDbm(p, p.floorDbm - 3 * p.shadowSigmaDb);
}

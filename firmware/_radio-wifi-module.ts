/**
 * The slice of Espruino's `Wifi` module (ESP32 port, libs/network/esp32/jswrap_esp32_network.c at 2v29)
 * the wifi-udp driver uses, with the behaviour it relies on:
 * - connect(ssid, {password}, cb): cb(null) once the station has an IP (STA_GOT_IP), cb("reason") on failure.
 *   Events: 'connected' (got IP), 'disconnected' ({reason}), 'sta_joined' / 'sta_left' on the AP side.
 * - scan(cb): cb([{ssid, mac, rssi, channel, authMode, isHidden}]).
 * - getStatus().rssi: the station's RSSI to its AP while connected (ESP32); getDetails() on ESP32 has no
 *   rssi (ESP8266's has): both are read, whichever has a number wins.
 * - setAPIP(settings, cb): cb's argument is inverted on ESP32 2v29 ("Failure" on success, null on error),
 *   and it throws without a callback: the driver passes one and ignores its argument.
 * - startAP(ssid, {password, authMode:"wpa2", channel}, cb(err)). The soft-AP accepts at most 4 stations.
 */
export interface RadioWifiIp { ip: string; netmask: string; gw?: string; mac?: string }
export interface RadioWifiAp { ssid: string; rssi: number; mac?: string; channel?: number; authMode?: string }

export interface RadioWifiModule {
  startAP(ssid: string, opts: { password?: string; authMode?: string; channel?: number }, cb?: (err: unknown) => void): void;
  stopAP(cb?: () => void): void;
  setAPIP(settings: { ip: string; gw: string; netmask: string }, cb: (err: unknown) => void): void;
  connect(ssid: string, opts: { password?: string }, cb?: (err: unknown) => void): void;
  disconnect(cb?: () => void): void;
  scan(cb: (aps: RadioWifiAp[]) => void): void;
  getIP(cb?: unknown): RadioWifiIp;
  getAPIP(cb?: unknown): RadioWifiIp;
  getStatus?(cb?: unknown): { rssi?: number; station?: string };
  getDetails?(cb?: unknown): { rssi?: number; status?: string; ssid?: string };
  on(event: string, listener: (details?: any) => void): void;
}

/** "a.b.c.d" → u32, or -1 */
export function parseIp4(s: unknown): number {
  if (typeof s !== 'string') return -1;
  const p = s.split('.');
  if (p.length !== 4) return -1;
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const n = parseInt(p[i], 10);
    if (!(n >= 0 && n <= 255)) return -1;
    v = v * 256 + n;
  }
  return v;
}

export function formatIp4(v: number): string {
  return ((v >>> 24) & 255) + '.' + ((v >>> 16) & 255) + '.' + ((v >>> 8) & 255) + '.' + (v & 255);
}

/** the subnet-directed broadcast address of ip/netmask, or null when either is unusable (0.0.0.0 included) */
export function broadcastOf(ip: unknown, netmask: unknown): string | null {
  const a = parseIp4(ip);
  const m = parseIp4(netmask);
  if (a <= 0 || m <= 0) return null;
  return formatIp4(((a | ~m) >>> 0));
}

/**
 * The slice of Espruino's `dgram` module the UDP drivers use (Espruino 2v29, libs/network/jswrap_net.c
 * behaviour measured in /work/shared/ESPRUINO.md): send() takes STRINGS only (a Uint8Array would go out as
 * the text "65,66,67"), 'message' hands an 8-bit string, datagrams are cut to 528 bytes unless
 * recvBufferSize is larger (ours are ≤ 258 bytes, so the default is enough).
 */
export interface RadioDgramRemote { address: string; port: number; size?: number }

export interface RadioDgramSocket {
  bind(port: number, callback?: (socket?: unknown) => void): unknown;
  send(msg: string, port: number, address: string): void;
  on(event: string, listener: (msg: any, rinfo?: any) => void): void;
  close(): void;
}

export interface RadioDgramModule {
  createSocket(type: string | { type: string; reuseAddr?: boolean; recvBufferSize?: number }): RadioDgramSocket;
}

/**
 * The handshake as `flash` needs it while it holds the console as text (host/serial/console-session.ts):
 * find HELLO / REPLY(hello) messages in what the node printed since the reboot, and the `hello` command line.
 * Decoding and encoding are H2's host/link/ (CONTRACTS §1, §5); this only picks the messages out.
 */
import { createLinkDecoder, encodeCommandLine, T_HELLO, T_REPLY } from '../link/index.ts';

export interface HelloInfo {
  v?: number; fw?: string; hash?: string; board?: string; id?: number; name?: string; role?: string;
  caps?: string[]; boot?: number; mesh?: string; epoch?: number;
}

export function commandLine(id: number, args: Record<string, unknown>): string {
  return encodeCommandLine(id, args);
}

/** the HELLO fields from an unsolicited HELLO, or from a successful REPLY whose id is in `replyIds` */
export function findHello(text: string, replyIds: ReadonlySet<number>): HelloInfo | null {
  const items = createLinkDecoder().push(Buffer.from(text, 'latin1'));
  for (const it of items) {
    if (it.kind !== 'msg' || !it.msg) continue;
    if (it.type === T_HELLO) return it.msg as HelloInfo;
    if (it.type === T_REPLY && replyIds.has(it.id) && it.msg.ok !== false) {
      const { ok: _ok, ...info } = it.msg;
      return info as HelloInfo;
    }
  }
  return null;
}

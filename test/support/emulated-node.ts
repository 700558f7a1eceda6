/**
 * A firmware bundle booted as a node inside the Espruino emulation (test/emulation/), with the host's end of
 * its serial link attached: what a node on a board plus `meshwork monitor` look like, in one process.
 * Used by the multi-node suites (test/emulated-mesh.test.ts, test/firmware-bundle.test.ts).
 */
import { createEspruinoEnv, type EspruinoEnv, type EspruinoClock, type ModuleSpec } from '../emulation/espruino-env.ts';
import { createLinkDecoder, encodeCommandLine, type LinkMsg } from '../../host/link/index.ts';
import { T_DELIVER, T_REPLY, T_HELLO } from '../../shared/host-link.ts';
import { createAppMessages } from '../../shared/app-messages.ts';
import { createCbor } from '../../shared/cbor.ts';
import { nodeCborText } from '../../host/cbor-text.ts';

export const app = createAppMessages({})({ cbor: createCbor()(nodeCborText()) });

export const TEST_KEY = '2b7e151628aed2a6abf7158809cf4f3c';

export interface NodeCfg { id: number; name?: string; role?: string; mesh?: string; key?: string; epoch?: number; ch?: number; radio?: object }

export function cfgText(c: NodeCfg): string {
  return JSON.stringify({ name: 'n' + c.id.toString(16), role: 'router', mesh: 'emu', key: TEST_KEY, epoch: 1, ch: 1, radio: {}, ...c });
}

export interface EmulatedNode {
  env: EspruinoEnv;
  id: number;
  /** every link message the node printed, in order */
  msgs: LinkMsg[];
  /** console text outside link lines */
  text: string[];
  errors: string[];
  deliveries(): { s: number; d: number; h: number; msg: any }[];
  /** type a command line into the console; resolves when its REPLY arrives (the caller advances the clock) */
  command(op: string, args?: Record<string, unknown>): number;
  reply(id: number): any;
  hello(): any;
}

let nextCmd = 1;

export function bootNode(o: {
  code: string; board: string; cfg: NodeCfg | null; clock: EspruinoClock; modules?: Record<string, ModuleSpec>;
  storage?: Record<string, string>; noCrypto?: boolean;
}): EmulatedNode {
  const dec = createLinkDecoder();
  const msgs: LinkMsg[] = [];
  const text: string[] = [];
  const errors: string[] = [];
  const storage: Record<string, string> = { ...(o.storage ?? {}), '.bootcde': o.code };
  if (o.cfg) storage['mw.cfg'] = cfgText(o.cfg);
  const env = createEspruinoEnv({
    board: o.board, clock: o.clock, modules: o.modules, storage, noCrypto: o.noCrypto, name: o.cfg ? 'n' + o.cfg.id : 'node',
    write: (chars) => {
      for (const it of dec.push(chars)) {
        if (it.kind === 'msg') msgs.push(it);
        else if (it.kind === 'text') text.push(it.text);
        else errors.push(it.reason);
      }
    },
    boot: true,
  });
  return {
    env, id: o.cfg ? o.cfg.id : 0, msgs, text, errors,
    deliveries: () => msgs.filter((m) => m.type === T_DELIVER).map((m) => {
      const d = app.decode(m.msg!.p);
      return { s: m.msg!.s, d: m.msg!.d, h: m.msg!.h, msg: d.ok ? d.msg : null };
    }),
    command: (op, args = {}) => {
      const id = nextCmd++ & 0xffff || nextCmd++;
      env.input(encodeCommandLine(id, { op, ...args }));
      return id;
    },
    reply: (id) => msgs.find((m) => m.type === T_REPLY && m.id === id)?.msg,
    hello: () => [...msgs].reverse().find((m) => m.type === T_HELLO)?.msg,
  };
}

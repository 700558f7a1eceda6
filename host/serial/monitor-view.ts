/**
 * The monitor's compact terminal view: one short line per record (host/serial/monitor-session.ts), with the
 * repetitive ones thinned out: neighbour and route tables only when they change (ages ignored), telemetry
 * when its error counters change or once a minute. `--json` bypasses this and prints every record.
 */
import type { MonitorRecord } from './monitor-session.ts';

const LEVEL = ['ERR ', 'WARN', 'INFO', 'DBG '];
const id8 = (n: unknown): string => (typeof n === 'number' ? (n >>> 0).toString(16).padStart(8, '0') : String(n));
const dst = (n: unknown): string => (n === 0xffffffff ? 'all' : n === 0xfffffffe ? 'gw' : id8(n));
const color = (code: string, s: string, on: boolean): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

function upText(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

/** non-zero numeric counters, `k n` */
function counters(o: unknown): string {
  if (!o || typeof o !== 'object') return '';
  return Object.entries(o as Record<string, unknown>).filter(([, v]) => typeof v === 'number' && v !== 0).map(([k, v]) => `${k} ${v}`).join(' ');
}

/** the few router counters worth a glance: frames in/out, relayed, delivered, dropped (all drop* summed) */
function traffic(o: unknown): string {
  if (!o || typeof o !== 'object') return '';
  const st = o as Record<string, number>;
  const n = (k: string): number => (typeof st[k] === 'number' ? st[k] : 0);
  const drops = Object.keys(st).filter((k) => k.startsWith('drop') && typeof st[k] === 'number').reduce((a, k) => a + st[k], 0);
  return `rx ${n('rxFrames')} tx ${n('txFrames')} relay ${n('txRelay')} dl ${n('delivered')} acked ${n('acked')} drop ${drops}`;
}

export interface MonitorView { format(r: MonitorRecord): string | null }

export function createMonitorView(opts: { color?: boolean } = {}): MonitorView {
  const c = opts.color ?? false;
  let lastNb = '';
  let lastRt = '';
  let lastTmErr = '';
  let lastTmAt = 0;

  return {
    format(r) {
      const time = r.ts.slice(11, 19);
      const line = (tag: string, text: string, code = '0'): string => `${time} ${color(code, tag.padEnd(4), c)} ${text}`;
      switch (r.t) {
        case 'status':
          return line('----', `${r.state} ${r.port}${r.reason ? ': ' + r.reason : ''}`, r.state === 'connected' ? '32' : '33');
        case 'hello':
          return line('NODE', `${id8(r.id)} "${r.name ?? ''}" ${r.role ?? ''} board ${r.board} fw ${r.fw} hash ${r.hash} boot ${r.boot ?? '?'} mesh ${r.mesh ?? ''}/${r.epoch ?? ''}${r.rebooted ? '  (REBOOTED)' : ''}`, r.rebooted ? '35' : '36');
        case 'log': {
          const l = typeof r.l === 'number' ? r.l : 2;
          return line(LEVEL[l] ?? `L${l}`, `${r.e}${r.d !== undefined ? ' ' + String(r.d) : ''}`, l === 0 ? '31' : l === 1 ? '33' : '0');
        }
        case 'event': {
          const { t: _t, ts: _ts, e, ...rest } = r;
          const extra = Object.entries(rest).map(([k, v]) => `${k}=${k === 'n' || k === 's' || k === 'd' ? id8(v) : JSON.stringify(v)}`).join(' ');
          return line('EVT', `${e}${extra ? ' ' + extra : ''}`, e === 'oom' || e === 'mem-low' ? '31' : '35');
        }
        case 'traffic':
          if (r.k === 'skipped') return line('TRF', `(${r.n} traffic summaries skipped by the node)`);
          return line(String(r.k).toUpperCase().slice(0, 4), `${id8(r.s)}→${dst(r.d)} q${r.q} t${r.ft} h${r.h}${typeof r.r === 'number' ? ` ${r.r}dBm` : ''}${r.w !== undefined ? ' (' + r.w + ')' : ''}`, r.k === 'drop' ? '33' : '0');
        case 'deliver': {
          const a = r.app as any;
          const from = id8(r.s);
          if (a && a.t === 'tx') return line('MSG', `from ${from} (${r.h} hops, ${r.r}dBm): ${JSON.stringify(a.m)}`, '1');
          if (a && a.t === 'po') return line('PONG', `from ${from} id ${a.id}`);
          if (a && a.t === 'tR') return line('TRC', `report from ${from}: next ${a.n === undefined ? 'none' : id8(a.n)}`);
          if (a && a.t === 'tm') return line('TELE', `from ${from}: up ${a.up}s mem ${a.mem} ${a.nb?.length ?? 0} neighbours fw ${a.v} ${a.b}`);
          return line('DLVR', `from ${from} → ${dst(r.d)} ${String(r.p ?? '').length / 2} bytes ${a ? JSON.stringify(a) : String(r.p ?? '').slice(0, 32)}`);
        }
        case 'nb': {
          const rows = (r.n as number[][] | undefined) ?? [];
          const key = JSON.stringify(rows.map((x) => x.slice(0, 6)));
          if (key === lastNb) return null;
          lastNb = key;
          if (rows.length === 0) return line('NB', 'no neighbours');
          return line('NB', `${rows.length}: ` + rows.map((x) => `${id8(x[0])} ${x[1]}dBm in ${x[2]}% out ${x[3]}% c${x[4]}${x[5] & 1 ? ' gw' : ''}${x[5] & 2 ? ' leaf' : ''}`).join(' | '));
        }
        case 'rt': {
          const rows = (r.r as number[][] | undefined) ?? [];
          const key = JSON.stringify(rows);
          if (key === lastRt) return null;
          lastRt = key;
          if (rows.length === 0) return line('RT', 'no routes');
          return line('RT', `${rows.length}: ` + rows.map((x) => `${id8(x[0])} via ${id8(x[1])} m${x[2]}${x[4] ? ' gw' : ''}`).join(' | '));
        }
        case 'tm': {
          const errs = counters(r.err);
          const t = Date.parse(r.ts);
          if (errs === lastTmErr && t - lastTmAt < 60000) return null;
          lastTmErr = errs; lastTmAt = t;
          return line('TM', `up ${typeof r.up === 'number' ? upText(r.up) : '?'} mem ${r.mem}/${r.tot ?? '?'} free  ${traffic(r.st)}${errs ? '  errors: ' + errs : ''}`);
        }
        case 'text':
          return line('CON', String(r.text), '2');
        case 'error':
          return line('ERR', String(r.reason), '31');
        case 'result': {
          const { t: _t, ts: _ts, ...rest } = r;
          if (rest.action === 'traceroute' && Array.isArray(rest.path)) {
            const links = (rest.links as any[]) ?? [];
            let s = String(rest.path[0]);
            for (let i = 1; i < rest.path.length; i++) {
              const l = links[i - 1];
              const q = (v: any): string => (v ? `${v.rssi}dBm ${v.pct}%` : '?');
              s += ` -[${q(l?.fwd)} / ${q(l?.back)}]-> ${rest.path[i]}`;
            }
            return line('>>>', `traceroute to ${rest.dst}: ${rest.status ?? rest.err}: ${s}`, rest.ok === false ? '31' : '32');
          }
          if (rest.action === 'ping' && rest.ok) return line('>>>', `ping ${rest.dst}: pong from ${rest.from} in ${rest.rttMs} ms (${rest.hops} hops)`, '32');
          return line('>>>', JSON.stringify(rest), rest.ok === false ? '31' : '32');
        }
        default:
          return line(String(r.t).toUpperCase().slice(0, 4), JSON.stringify(r));
      }
    },
  };
}

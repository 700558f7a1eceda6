/**
 * The send form: text, ping or traceroute to a node named by name or id, optionally from another node
 * when the source allows it (the simulator). Each request gets a line in the results list that is filled
 * in when the answer comes back (asynchronously: a traceroute takes a while).
 */
import type { CommandResult, MeshCommand } from '../mesh-feed.ts';
import { esc, findNode, label, type Model } from './model.ts';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

export function createForm(model: Model, send: (c: MeshCommand) => Promise<CommandResult>, onTrace: (r: CommandResult) => void) {
  const form = $<HTMLFormElement>('send-form');
  const op = $<HTMLSelectElement>('op'), to = $<HTMLInputElement>('to'), from = $<HTMLInputElement>('from');
  const text = $<HTMLInputElement>('text'), results = $<HTMLOListElement>('results'), names = $<HTMLDataListElement>('node-names');
  let namesFor = -1;

  const syncOp = (): void => { text.disabled = op.value !== 'text'; text.placeholder = op.value === 'text' ? 'message' : '(no text for ' + op.value + ')'; };
  op.addEventListener('change', syncOp);
  syncOp();

  function result(li: HTMLLIElement, what: string, r: CommandResult): void {
    let s: string;
    if (!r.ok) s = `${what}: failed: ${r.err ?? 'no reason given'}`;
    else if (r.trace) s = `${what}: ${r.trace.path.map((id) => label(model, id)).join(' → ')} (${r.trace.path.length - 1} hops, ${r.ms} ms)`;
    else if (r.delivered) s = `${what}: delivered, ${r.hops} hop${r.hops === 1 ? '' : 's'}, ${r.ms} ms`;
    else s = `${what}: ok${r.ms !== undefined ? `, ${r.ms} ms` : ''}${r.hops !== undefined ? `, ${r.hops} hops` : ''}`;
    li.className = r.ok ? 'ok' : 'err';
    li.innerHTML = esc(s);
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const dst = findNode(model, to.value);
    const li = document.createElement('li');
    results.prepend(li);
    while (results.childElementCount > 8) results.lastElementChild!.remove();
    if (!dst) { li.className = 'err'; li.textContent = `no node named "${to.value}"`; return; }
    let src: string | undefined;
    if (from.value.trim()) {
      const s = findNode(model, from.value);
      if (!s) { li.className = 'err'; li.textContent = `no node named "${from.value}"`; return; }
      src = s.id;
    }
    const kind = op.value as MeshCommand['op'];
    if (kind === 'text' && !text.value.trim()) { li.className = 'err'; li.textContent = 'type a message first'; return; }
    const cmd: MeshCommand = kind === 'text' ? { op: 'text', to: dst.id, text: text.value } : { op: kind, to: dst.id };
    if (src) cmd.from = src;
    const what = `${kind} ${src ? label(model, src) + ' → ' : ''}${dst.name}`;
    li.className = 'wait';
    li.textContent = what + ': …';
    void send(cmd).then((r) => {
      result(li, what, r);
      if (r.trace) onTrace(r);
    });
    if (kind === 'text') text.value = '';
  });

  return {
    /** the destination box follows the selection */
    prefill(id: string): void { const n = model.nodes.get(id); if (n) to.value = n.name; },
    refreshNames(): void {
      if (model.nodes.size === namesFor) return;
      namesFor = model.nodes.size;
      from.disabled = !model.info?.anySender;
      const list = [...model.nodes.values()].map((n) => n.name).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
      names.innerHTML = list.map((n) => `<option value="${esc(n)}">`).join('');
    },
  };
}

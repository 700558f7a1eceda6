/**
 * The live packet log: newest first, KEEP lines remembered, SHOW lines in the DOM (bounded both ways, so
 * an hour of traffic costs the same as a minute). "selected node only" filters on source, destination
 * and where it was seen; "pause" freezes the view while lines keep being remembered.
 */
import type { PacketInfo } from '../mesh-feed.ts';
import { BROADCAST_ID } from '../mesh-feed.ts';
import { esc, label, type Model } from './model.ts';

const KEEP = 1000;
const SHOW = 200;

export function createPacketLog(root: HTMLElement, model: Model, onCount: (s: string) => void) {
  let ring: (PacketInfo | { note: string; t: number })[] = [];
  let total = 0, skipped = 0;
  let onlySelected = false, paused = false;

  const who = (id: string): string => (id === BROADCAST_ID ? 'all' : esc(label(model, id)));
  function line(p: PacketInfo | { note: string; t: number }): string {
    const time = new Date(p.t).toLocaleTimeString([], { hour12: false });
    if ('note' in p) return `<div class="note">${time} ${esc(p.note)}</div>`;
    const extra = [p.hops !== null ? `${p.hops} hop${p.hops === 1 ? '' : 's'}` : '', p.rssi !== null ? `${p.rssi} dBm` : ''].filter(Boolean).join(', ');
    const text = p.text !== undefined ? ` “${esc(p.text)}”` : '';
    return `<div class="k-${p.kind}">${time} ${p.kind.padEnd(5, ' ').replace(/ /g, '&nbsp;')} ${who(p.src)} → ${who(p.dst)} <span class="muted">${extra}</span>${text}</div>`;
  }
  function visible(p: PacketInfo | { note: string }): boolean {
    if (!onlySelected || 'note' in p) return true;
    const sel = model.selected?.kind === 'node' ? model.selected.id : null;
    return !sel || p.src === sel || p.dst === sel || p.at === sel;
  }
  function render(): void {
    let html = '';
    let k = 0;
    for (let i = ring.length - 1; i >= 0 && k < SHOW; i--) {
      if (!visible(ring[i])) continue;
      html += line(ring[i]);
      k++;
    }
    root.innerHTML = html;
  }
  function count(): void { onCount(`${total} seen${skipped ? `, ${skipped} not shown (rate)` : ''}`); }

  return {
    add(list: PacketInfo[], droppedByServer: number, now: number): void {
      if (droppedByServer > 0) { ring.push({ note: `${droppedByServer} packets not sent to the page (more than it shows)`, t: now }); skipped += droppedByServer; }
      for (const p of list) ring.push(p);
      total += list.length;
      if (ring.length > KEEP) ring = ring.slice(ring.length - KEEP);
      count();
      if (paused || (list.length === 0 && droppedByServer === 0)) return;
      if (onlySelected || droppedByServer > 0) { render(); return; }
      // prepend only the new lines, then trim the tail
      let html = '';
      const from = Math.max(0, list.length - SHOW);
      for (let i = list.length - 1; i >= from; i--) html += line(list[i]);
      root.insertAdjacentHTML('afterbegin', html);
      while (root.childElementCount > SHOW) root.lastElementChild!.remove();
    },
    note(s: string, now: number): void { ring.push({ note: s, t: now }); if (!paused) render(); },
    setOnlySelected(v: boolean): void { onlySelected = v; render(); },
    setPaused(v: boolean): void { paused = v; if (!v) render(); },
    selectionChanged(): void { if (onlySelected) render(); },
    reset(list: PacketInfo[]): void { ring = list.slice(-KEEP); total = list.length; skipped = 0; render(); count(); },
  };
}

// dom.ts: building elements tersely, and the data-value / data-ready hooks of the browser tests
// (every number shown carries its raw value in data-value; views say data-ready="1").

import { formatNumber, rawValue } from './format';
import type { JsonNumber } from './types';

type Child = Node | string | null | undefined | false;
type Props = Record<string, string | number | boolean | null | undefined | EventListener>;

// h: an element with attributes (on* keys add listeners; null/undefined/false skip) and children.
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el: HTMLElement, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c);
  }
}

// replaceChildren: el's children become `children` (one DOM update).
export function setChildren(el: HTMLElement, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

// num: a span showing v formatted, with its raw value in data-value (none when v is absent).
export function num(testid: string | null, v: JsonNumber | number | null | undefined, text?: string): HTMLSpanElement {
  const present = v !== null && v !== undefined;
  return h(
    'span',
    { 'data-testid': testid, 'data-value': present ? rawValue(v) : null, class: 'num' },
    text ?? formatNumber(v),
  );
}

// setReady: the data-ready hook: "1" once a view's data is rendered, "0" while it reloads.
export function setReady(el: HTMLElement, ready: boolean): void {
  el.setAttribute('data-ready', ready ? '1' : '0');
}

// message: a muted line standing for a view without data ("not available", "no trials yet").
export function message(text: string): HTMLElement {
  return h('p', { class: 'message' }, text);
}

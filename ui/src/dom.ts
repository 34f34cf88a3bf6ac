/**
 * The console builds every element with this: text always goes in as text nodes, attributes
 * through setAttribute, and event-handler attributes (on…) are refused, so data from the API
 * can never become markup or script.
 */
export type Child = Node | string | number | null | undefined | false;

export interface Props {
  [attribute: string]: string | number | boolean | undefined;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (/^on/i.test(name)) throw new Error(`event attributes are not allowed (${name})`);
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces what the element shows. */
export function show(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A labelled form control: the label's `for` names the control's id. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLDivElement {
  const wrapper = h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
  if (hint) {
    const hintId = `${control.id}-hint`;
    control.setAttribute('aria-describedby', hintId);
    append(wrapper, h('small', { id: hintId, class: 'hint' }, hint));
  }
  return wrapper;
}

export function option(value: string, label: string, selected = false): HTMLOptionElement {
  return h('option', { value, selected }, label);
}

export function table(headers: string[], rows: Child[][], caption?: string): HTMLTableElement {
  return h(
    'table',
    {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, ...headers.map((text) => h('th', { scope: 'col' }, text)))),
    h('tbody', {}, ...rows.map((cells) => h('tr', {}, ...cells.map((cell) => h('td', {}, cell))))),
  );
}

/** A region that screen readers announce; `kind` error uses role=alert. */
export function statusLine(id: string): HTMLParagraphElement {
  return h('p', { id, class: 'status', role: 'status', 'aria-live': 'polite' });
}

export function say(line: HTMLElement, text: string, kind: 'info' | 'error' | 'ok' = 'info'): void {
  line.textContent = text;
  line.dataset['kind'] = kind;
  line.setAttribute('role', kind === 'error' ? 'alert' : 'status');
}

export function seconds(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(2)} s`;
}

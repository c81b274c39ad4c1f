// Minimal element builder. Text always goes through text nodes: nothing here parses HTML.
type Child = Node | string | number | null | undefined | false | Child[];

export interface Props {
  class?: string;
  text?: string;
  attrs?: Record<string, string | number | boolean | undefined | null>;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (e: HTMLElementEventMap[K]) => void }>;
  value?: string;
  checked?: boolean;
  disabled?: boolean;
  style?: Partial<Record<string, string>>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.text !== undefined) el.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const [name, handler] of Object.entries(props.on ?? {})) el.addEventListener(name, handler as EventListener);
  if (props.value !== undefined) (el as unknown as HTMLInputElement).value = props.value;
  if (props.checked !== undefined) (el as unknown as HTMLInputElement).checked = props.checked;
  if (props.disabled !== undefined) (el as unknown as HTMLButtonElement).disabled = props.disabled;
  for (const [name, value] of Object.entries(props.style ?? {})) if (value !== undefined) el.style.setProperty(name, value);
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

let idCounter = 0;
export function uid(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

// The confidence view: every generated token shaded by its probability under the model. A
// token's details (alternatives, entropy) open on hover, focus or tap; choosing an alternative
// branches the answer there. Tokens form one tab stop; arrow keys move between them.
import type { TokenLogprob } from '../api/types';
import { alternativesOf, bandOf, bands, formatPercent, probability, visibleToken } from '../logic/confidence';
import { clear, h } from './dom';

export type BranchHandler = (index: number, alternative: string) => void;

export function renderLegend(): HTMLElement {
  return h('div', { class: 'legend', attrs: { 'aria-label': 'Confidence legend: token probability under the model' } },
    h('span', { class: 'legend-title', text: 'p(token):' }),
    bands.map((b, i) => h('span', { class: `legend-item band-${i}`, text: b.label })),
    h('span', { class: 'legend-item forced', text: 'forced' }));
}

export function renderTokens(tokens: TokenLogprob[], popover: TokenPopover, onBranch: BranchHandler | null): HTMLElement {
  const container = h('div', { class: 'tokens', attrs: { role: 'group', 'aria-label': 'Answer tokens shaded by confidence' } });
  tokens.forEach((t, index) => {
    const p = probability(t.logprob);
    const text = t.token;
    const label = `${JSON.stringify(text)}: ${formatPercent(p)}${t.forced ? ', forced' : ''}`;
    const el = h('button', {
      class: `tok band-${bandOf(p)}${t.forced ? ' forced' : ''}`,
      attrs: { type: 'button', 'data-index': index, 'aria-label': label, tabindex: index === 0 ? 0 : -1 },
      on: {
        click: () => popover.open(el, t, index, onBranch, true),
        mouseenter: () => popover.hover(el, t, index, onBranch),
        mouseleave: () => popover.cancelHover(),
        focus: () => popover.open(el, t, index, onBranch, false),
        keydown: (e) => moveFocus(e, container, index, popover),
      },
    });
    // Newlines and tabs are shown as symbols (the line break itself follows); spaces stay (pre-wrap).
    el.textContent = text.includes('\n') || text.includes('\t') || text === '' ? visibleToken(text) : text;
    container.appendChild(el);
    if (text.includes('\n')) container.appendChild(h('br'));
  });
  return container;
}

function moveFocus(e: KeyboardEvent, container: HTMLElement, index: number, popover: TokenPopover) {
  const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : e.key === 'Home' ? -Infinity : e.key === 'End' ? Infinity : 0;
  if (e.key === 'Escape') {
    popover.close();
    return;
  }
  if (!step) return;
  e.preventDefault();
  const all = [...container.querySelectorAll<HTMLButtonElement>('button.tok')];
  const next = Math.max(0, Math.min(all.length - 1, index + step));
  all.forEach((b, k) => b.setAttribute('tabindex', k === next ? '0' : '-1'));
  all[next].focus();
}

// One popover for the whole page.
export class TokenPopover {
  readonly el: HTMLElement;
  private anchor: HTMLElement | null = null;
  private pinned = false;
  private hoverTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(root: HTMLElement) {
    this.el = h('div', { class: 'popover', attrs: { role: 'dialog', 'aria-label': 'Token details', hidden: true } });
    root.appendChild(this.el);
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !this.el.hidden) {
        const back = this.anchor;
        this.close();
        back?.focus();
      }
    });
    document.addEventListener('pointerdown', (e) => {
      const target = e.target as Node;
      if (!this.el.hidden && !this.el.contains(target) && !(target instanceof HTMLElement && target.classList.contains('tok'))) this.close();
    });
  }

  open(anchor: HTMLElement, t: TokenLogprob, index: number, onBranch: BranchHandler | null, pin: boolean) {
    if (this.pinned && !pin && this.anchor !== anchor && !this.el.hidden) return; // a tapped token stays open
    this.pinned = pin;
    this.anchor?.classList.remove('active');
    this.anchor = anchor;
    anchor.classList.add('active');
    clear(this.el);
    const p = probability(t.logprob);
    this.el.append(
      h('div', { class: 'pop-head' },
        h('code', { class: 'pop-token', text: visibleToken(t.token) }),
        h('span', { class: 'pop-prob', text: ` ${formatPercent(p)}` }),
        t.forced ? h('span', { class: 'pop-forced', text: ' (forced by branch)' }) : null),
      h('div', { class: 'pop-meta' },
        `token ${index + 1} · log p ${Number.isFinite(t.logprob) ? t.logprob.toFixed(3) : '−∞'}`,
        typeof t.entropy === 'number' ? ` · entropy ${t.entropy.toFixed(2)} nats` : ''),
    );
    const alternatives = alternativesOf(t);
    if (alternatives.length > 0) {
      const list = h('ol', { class: 'alternatives', attrs: { 'aria-label': 'Most likely tokens at this position' } });
      for (const alt of alternatives) {
        const bar = h('span', { class: 'alt-bar', style: { width: `${Math.max(2, Math.round(alt.p * 100))}%` } });
        const content = [h('code', { class: 'alt-token', text: visibleToken(alt.token) }), h('span', { class: 'alt-prob', text: formatPercent(alt.p) }), bar];
        const item = alt.chosen || !onBranch
          ? h('li', { class: `alt${alt.chosen ? ' chosen' : ''}` }, h('span', { class: 'alt-row' }, content), alt.chosen ? h('span', { class: 'sr-only', text: ' (generated)' }) : null)
          : h('li', { class: 'alt' }, h('button', {
              class: 'alt-row alt-branch',
              attrs: { type: 'button', title: 'Branch: regenerate from here with this token', 'aria-label': `Branch with ${JSON.stringify(alt.token)} (${formatPercent(alt.p)})` },
              on: { click: () => { this.close(); onBranch(index, alt.token); } },
            }, content));
        list.appendChild(item);
      }
      this.el.append(list);
      if (onBranch) this.el.append(h('div', { class: 'pop-hint', text: 'Choose another token to branch the answer from here.' }));
    } else {
      this.el.append(h('div', { class: 'pop-hint', text: 'No alternatives were recorded for this token.' }));
    }
    this.el.hidden = false;
    this.place(anchor);
  }

  // Hover opens after a short pause, so moving the pointer across other tokens on the way to
  // the popover does not replace it.
  hover(anchor: HTMLElement, t: TokenLogprob, index: number, onBranch: BranchHandler | null) {
    this.cancelHover();
    this.hoverTimer = setTimeout(() => this.open(anchor, t, index, onBranch, false), 150);
  }

  cancelHover() {
    clearTimeout(this.hoverTimer);
  }

  close() {
    this.cancelHover();
    this.el.hidden = true;
    this.pinned = false;
    this.anchor?.classList.remove('active');
  }

  private place(anchor: HTMLElement) {
    const r = anchor.getBoundingClientRect();
    const narrow = window.innerWidth < 640;
    if (narrow) {
      this.el.classList.add('sheet');
      this.el.style.left = '';
      this.el.style.top = '';
      return;
    }
    this.el.classList.remove('sheet');
    const width = this.el.offsetWidth || 280;
    const height = this.el.offsetHeight || 200;
    let left = Math.min(window.innerWidth - width - 8, Math.max(8, r.left));
    let top = r.bottom + 6;
    if (top + height > window.innerHeight - 8) top = Math.max(8, r.top - height - 6);
    left += window.scrollX;
    top += window.scrollY;
    this.el.style.left = `${left}px`;
    this.el.style.top = `${top}px`;
  }
}

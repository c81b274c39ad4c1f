// Markdown tree → DOM, with textContent only (see logic/markdown.ts).
import { type Block, type Inline, parseMarkdown } from '../logic/markdown';
import { h } from './dom';

export function renderMarkdown(source: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  for (const block of parseMarkdown(source)) fragment.appendChild(renderBlock(block));
  return fragment;
}

function renderBlock(b: Block): Node {
  switch (b.type) {
    case 'code':
      return h('pre', { class: 'code-block', attrs: { 'data-lang': b.lang || null } },
        h('code', { text: b.text }));
    case 'heading':
      return h(`h${Math.min(6, b.level + 2)}` as 'h3', {}, renderInlines(b.children));
    case 'quote':
      return h('blockquote', {}, b.children.map(renderBlock));
    case 'list':
      return b.ordered
        ? h('ol', { attrs: { start: b.start !== 1 ? b.start : null } }, b.items.map((i) => h('li', {}, renderInlines(i))))
        : h('ul', {}, b.items.map((i) => h('li', {}, renderInlines(i))));
    case 'hr':
      return h('hr');
    case 'para':
      return h('p', {}, renderInlines(b.children));
  }
}

function renderInlines(list: Inline[]): Node[] {
  return list.map((i): Node => {
    switch (i.type) {
      case 'text':
        return document.createTextNode(i.text);
      case 'code':
        return h('code', { text: i.text });
      case 'strong':
        return h('strong', {}, renderInlines(i.children));
      case 'em':
        return h('em', {}, renderInlines(i.children));
      case 'link':
        return h('a', { attrs: { href: i.href, target: '_blank', rel: 'noopener noreferrer' } }, renderInlines(i.children));
      case 'br':
        return h('br');
    }
  });
}

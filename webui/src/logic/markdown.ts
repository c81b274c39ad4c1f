// A small Markdown subset parsed into a tree; the UI turns the tree into DOM nodes with
// textContent only, so model output can never inject HTML. Unclosed code fences (mid-stream)
// run to the end of the text.

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] }
  | { type: 'link'; href: string; children: Inline[] }
  | { type: 'br' };

export type Block =
  | { type: 'code'; lang: string; text: string }
  | { type: 'heading'; level: number; children: Inline[] }
  | { type: 'quote'; children: Block[] }
  | { type: 'list'; ordered: boolean; start: number; items: Inline[][] }
  | { type: 'hr' }
  | { type: 'para'; children: Inline[] };

const fence = /^\s{0,3}(```|~~~)\s*([\w+#.-]*)\s*$/;
const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const bullet = /^\s{0,3}[-*+]\s+(.*)$/;
const ordered = /^\s{0,3}(\d{1,9})[.)]\s+(.*)$/;
const rule = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const quote = /^\s{0,3}>\s?(.*)$/;

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m: RegExpMatchArray | null;
    if (line.trim() === '') {
      i++;
    } else if ((m = line.match(fence))) {
      const marker = m[1];
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(marker)) body.push(lines[i++]);
      i++; // the closing fence, if any
      blocks.push({ type: 'code', lang: m[2], text: body.join('\n') });
    } else if ((m = line.match(heading))) {
      blocks.push({ type: 'heading', level: m[1].length, children: parseInline(m[2]) });
      i++;
    } else if (rule.test(line)) {
      blocks.push({ type: 'hr' });
      i++;
    } else if (quote.test(line)) {
      const body: string[] = [];
      while (i < lines.length && (m = lines[i].match(quote))) {
        body.push(m[1]);
        i++;
      }
      blocks.push({ type: 'quote', children: parseMarkdown(body.join('\n')) });
    } else if (bullet.test(line) || ordered.test(line)) {
      const isOrdered = !bullet.test(line);
      const pattern = isOrdered ? ordered : bullet;
      const start = isOrdered ? Number(line.match(ordered)![1]) : 1;
      const items: string[] = [];
      while (i < lines.length) {
        const l = lines[i];
        const item = l.match(pattern);
        if (item) {
          items.push(isOrdered ? item[2] : item[1]);
        } else if (l.trim() !== '' && /^\s+/.test(l) && items.length) {
          items[items.length - 1] += '\n' + l.trim(); // continuation line
        } else {
          break;
        }
        i++;
      }
      blocks.push({ type: 'list', ordered: isOrdered, start, items: items.map(parseInline) });
    } else {
      const body: string[] = [];
      while (i < lines.length && lines[i].trim() !== '' && !startsBlock(lines[i])) body.push(lines[i++]);
      if (body.length === 0) body.push(lines[i++]); // cannot happen, but never loop forever
      blocks.push({ type: 'para', children: parseInline(body.join('\n')) });
    }
  }
  return blocks;
}

function startsBlock(line: string): boolean {
  return fence.test(line) || heading.test(line) || rule.test(line) || quote.test(line) || bullet.test(line) || ordered.test(line);
}

export function safeHref(href: string): string | null {
  const trimmed = href.trim();
  return /^(https?:\/\/|mailto:)/i.test(trimmed) ? trimmed : null;
}

// Inline spans, innermost first: code, links, strong, emphasis; newlines become line breaks.
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let plain = '';
  const flush = () => {
    if (!plain) return;
    const parts = plain.split('\n');
    parts.forEach((p, k) => {
      if (k > 0) out.push({ type: 'br' });
      if (p) out.push({ type: 'text', text: p });
    });
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    let m: RegExpMatchArray | null;
    if ((m = rest.match(/^(`+)([\s\S]*?[^`])\1(?!`)/))) {
      flush();
      out.push({ type: 'code', text: m[2].replace(/^ (.*) $/, '$1') });
      i += m[0].length;
    } else if ((m = rest.match(/^\[([^\]\n]+)\]\(([^)\s]+)\)/)) && safeHref(m[2])) {
      flush();
      out.push({ type: 'link', href: safeHref(m[2])!, children: parseInline(m[1]) });
      i += m[0].length;
    } else if ((m = rest.match(/^(\*\*|__)(?=\S)([\s\S]*?\S)\1/))) {
      flush();
      out.push({ type: 'strong', children: parseInline(m[2]) });
      i += m[0].length;
    } else if ((m = rest.match(/^(\*|_)(?=[^\s*_])([\s\S]*?[^\s*_])\1(?![*_\w])/)) && !(m[1] === '_' && /\w/.test(text[i - 1] ?? ''))) {
      flush();
      out.push({ type: 'em', children: parseInline(m[2]) });
      i += m[0].length;
    } else {
      plain += text[i];
      i++;
    }
  }
  flush();
  return out;
}

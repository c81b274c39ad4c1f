// The Markdown subset: structure, and that nothing in model output becomes markup.
import { parseInline, parseMarkdown, safeHref } from '../../../webui/src/logic/markdown';

describe('parseMarkdown', () => {
  it('parses code fences, headings, lists, quotes and paragraphs', () => {
    const blocks = parseMarkdown('# Title\n\nSome **bold** and `code`.\n\n```js\nlet a = "<b>";\n```\n- one\n- two\n\n1. first\n2. second\n\n> quoted\n\n---');
    expect(blocks.map((b) => b.type)).toEqual(['heading', 'para', 'code', 'list', 'list', 'quote', 'hr']);
    expect(blocks[2]).toEqual({ type: 'code', lang: 'js', text: 'let a = "<b>";' });
    expect((blocks[3] as any).ordered).toBe(false);
    expect((blocks[4] as any).ordered).toBe(true);
  });
  it('keeps an unclosed fence (mid-stream) as code to the end', () => {
    expect(parseMarkdown('text\n```py\nprint(1)\n')).toEqual([
      { type: 'para', children: [{ type: 'text', text: 'text' }] },
      { type: 'code', lang: 'py', text: 'print(1)\n' },
    ]);
  });
  it('leaves HTML as literal text', () => {
    const blocks = parseMarkdown('<script>alert(1)</script> <img src=x onerror=alert(2)>');
    expect(blocks).toEqual([{ type: 'para', children: [{ type: 'text', text: '<script>alert(1)</script> <img src=x onerror=alert(2)>' }] }]);
  });
});

describe('parseInline', () => {
  it('nests emphasis inside strong and keeps code verbatim', () => {
    expect(parseInline('**a *b* c** `*c*`')).toEqual([
      { type: 'strong', children: [{ type: 'text', text: 'a ' }, { type: 'em', children: [{ type: 'text', text: 'b' }] }, { type: 'text', text: ' c' }] },
      { type: 'text', text: ' ' },
      { type: 'code', text: '*c*' },
    ]);
  });
  it('does not treat snake_case as emphasis', () => {
    expect(parseInline('snake_case_name')).toEqual([{ type: 'text', text: 'snake_case_name' }]);
  });
  it('links only http(s) and mailto targets', () => {
    expect(parseInline('[x](https://a.b/c)')).toEqual([{ type: 'link', href: 'https://a.b/c', children: [{ type: 'text', text: 'x' }] }]);
    expect(parseInline('[x](javascript:alert(1))')[0]).toEqual({ type: 'text', text: '[x](javascript:alert(1))' });
    expect(safeHref('JAVASCRIPT:alert(1)')).toBeNull();
    expect(safeHref(' http://x ')).toBe('http://x');
  });
  it('turns newlines into line breaks', () => {
    expect(parseInline('a\nb')).toEqual([{ type: 'text', text: 'a' }, { type: 'br' }, { type: 'text', text: 'b' }]);
  });
});

// Pure UI logic: confidence summaries, divergence, branching, parameters, storage.
import { branchAt, joinTokens } from '../../../webui/src/logic/branch';
import { alternativesOf, bandOf, summarize } from '../../../webui/src/logic/confidence';
import { type Conversation, ConversationStore, newConversation, titleFrom } from '../../../webui/src/logic/conversations';
import { applyPreset, buildChatRequest, defaultParams, describeParams, ParamError, sanitizeParams } from '../../../webui/src/logic/params';
import { findDivergence, sampleSeeds } from '../../../webui/src/logic/samples';

const t = (token: string, p: number, alts: [string, number][] = [], entropy?: number) => ({
  token, logprob: Math.log(p), top_logprobs: alts.map(([a, q]) => ({ token: a, logprob: Math.log(q) })), entropy,
});

describe('confidence', () => {
  it('summarizes mean log-probability, perplexity and the low-confidence share', () => {
    const s = summarize([t('a', 0.5, [], 1), t('b', 0.25, [], 2), t('c', 1, [], 0), t('d', 0.1, [], 3)]);
    expect(s.meanLogprob).toBeCloseTo((Math.log(0.5) + Math.log(0.25) + 0 + Math.log(0.1)) / 4, 10);
    expect(s.perplexity).toBeCloseTo(Math.exp(-s.meanLogprob), 10);
    expect(s.lowShare).toBe(0.5);
    expect(s.meanEntropy).toBe(1.5);
    expect(summarize([]).tokens).toBe(0);
  });
  it('puts probabilities into bands, most sure first', () => {
    expect([0.95, 0.8, 0.6, 0.4, 0.1, 0].map(bandOf)).toEqual([0, 1, 2, 3, 4, 4]);
  });
  it('lists alternatives by probability with the sampled token marked, even outside the top list', () => {
    const alts = alternativesOf(t('x', 0.05, [['a', 0.6], ['b', 0.3]]));
    expect(alts.map((a) => [a.token, a.chosen])).toEqual([['a', false], ['b', false], ['x', true]]);
  });
});

describe('findDivergence', () => {
  it('finds the first differing token and counts continuations', () => {
    const d = findDivergence([['The', ' cat', ' sat'], ['The', ' dog', ' ran'], ['The', ' cat', ' ran'], ['The', ' bird']]);
    expect(d.index).toBe(1);
    expect(d.allAgree).toBe(false);
    expect(d.continuations).toEqual([
      { text: ' cat', count: 2, samples: [0, 2] },
      { text: ' dog', count: 1, samples: [1] },
      { text: ' bird', count: 1, samples: [3] },
    ]);
  });
  it('reports agreement for identical samples', () => {
    expect(findDivergence([['a', 'b'], ['a', 'b']])).toEqual({ index: null, continuations: [], allAgree: true });
  });
  it('treats an answer that ended early as its own continuation', () => {
    const d = findDivergence([['a'], ['a', 'b']]);
    expect(d.index).toBe(1);
    expect(d.continuations.map((c) => c.text).sort()).toEqual(['', 'b']);
  });
  it('gives consecutive seeds', () => {
    expect(sampleSeeds(10, 3)).toEqual([10, 11, 12]);
    expect(sampleSeeds(2 ** 32 - 1, 2)).toEqual([2 ** 32 - 1, 0]);
  });
});

describe('branchAt', () => {
  const tokens = [t('Hello', 0.9), t(' wor', 0.4, [[' wor', 0.4], [' there', 0.35]]), t('ld', 0.99)];
  it('keeps the prefix and forces the alternative', () => {
    const b = branchAt(tokens, 1, ' there');
    expect(b.partial).toBe('Hello there');
    expect(b.tokens.map((x) => x.token)).toEqual(['Hello', ' there']);
    expect(b.tokens[1].forced).toBe(true);
    expect(Math.exp(b.tokens[1].logprob)).toBeCloseTo(0.35, 10);
  });
  it('rejects an index outside the answer', () => {
    expect(() => branchAt(tokens, 3, 'x')).toThrow(RangeError);
    expect(() => branchAt(tokens, -1, 'x')).toThrow(RangeError);
  });
  it('joins tokens by bytes so split UTF-8 characters come back whole', () => {
    const euro = [...new TextEncoder().encode('€')];
    expect(joinTokens([{ token: '\ufffd', logprob: 0, bytes: euro.slice(0, 2), top_logprobs: [] }, { token: '\ufffd', logprob: 0, bytes: euro.slice(2), top_logprobs: [] }])).toBe('€');
  });
});

describe('params', () => {
  it('applies presets and keeps the other settings', () => {
    const p = applyPreset({ ...defaultParams, max_tokens: 99 }, 'precise');
    expect(p.temperature).toBe(0.2);
    expect(p.max_tokens).toBe(99);
  });
  it('clamps out-of-range and garbage values from forms or storage', () => {
    const p = sanitizeParams({ temperature: 9, top_k: -3, top_logprobs: 50, seed: -5, max_tokens: NaN, seedMode: 'weird' as any });
    expect(p.temperature).toBe(2);
    expect(p.top_k).toBe(0);
    expect(p.top_logprobs).toBe(20);
    expect(p.seed).toBe(0);
    expect(p.max_tokens).toBe(defaultParams.max_tokens);
    expect(p.seedMode).toBe('random');
  });
  it('builds JSON-mode, schema and branch requests', () => {
    const msgs = [{ role: 'user' as const, content: 'q' }];
    expect(buildChatRequest('m', msgs, { ...defaultParams, jsonMode: 'json' }, { seed: 1 }).response_format).toEqual({ type: 'json_object' });
    const schema = buildChatRequest('m', msgs, { ...defaultParams, jsonMode: 'schema', jsonSchema: '{"type":"integer"}' }, { seed: 1 });
    expect(schema.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'integer' }, strict: true } });
    expect(() => buildChatRequest('m', msgs, { ...defaultParams, jsonMode: 'schema', jsonSchema: '{' }, { seed: 1 })).toThrow(ParamError);
    const cont = buildChatRequest('m', msgs, defaultParams, { seed: 1, continueFinal: true });
    expect(cont.continue_final_message).toBe(true);
    expect(cont.add_generation_prompt).toBe(false);
    expect(buildChatRequest('m', msgs, defaultParams, { seed: 1 }).continue_final_message).toBeUndefined();
  });
  it('describes the settings shown with an answer', () => {
    expect(describeParams(buildChatRequest('m', [], defaultParams, { seed: 3 }), 3)).toBe('temp 0.8 · top-p 0.95 · top-k 40 · min-p 0.05 · repeat 1.1 · max 256 · seed 3');
  });
});

class MemoryStorage implements Storage {
  private map = new Map<string, string>();
  quota = Infinity;
  get length() { return this.map.size; }
  clear() { this.map.clear(); }
  getItem(k: string) { return this.map.get(k) ?? null; }
  key(i: number) { return [...this.map.keys()][i] ?? null; }
  removeItem(k: string) { this.map.delete(k); }
  setItem(k: string, v: string) {
    if (v.length > this.quota) throw new DOMException('full', 'QuotaExceededError');
    this.map.set(k, v);
  }
}

describe('ConversationStore', () => {
  it('round-trips conversations newest first', () => {
    const s = new MemoryStorage();
    const store = new ConversationStore(s);
    const a: Conversation = { ...newConversation('m'), title: 'a', updated: 1 };
    const b: Conversation = { ...newConversation('m'), title: 'b', updated: 2 };
    store.save([a, b]);
    expect(store.load().map((c) => c.title)).toEqual(['b', 'a']);
  });
  it('starts over on corrupt storage', () => {
    const s = new MemoryStorage();
    s.setItem('hearth.conversations.v1', '{oops');
    expect(new ConversationStore(s).load()).toEqual([]);
  });
  it('drops token details of older answers when storage is full', () => {
    const s = new MemoryStorage();
    const store = new ConversationStore(s);
    const bigTokens = Array.from({ length: 200 }, (_, i) => t(`tok${i}`, 0.5));
    const mk = (title: string, updated: number): Conversation => ({
      ...newConversation('m'), title, updated,
      messages: [{ id: title, role: 'assistant', current: 0, variants: [{ text: 'x', tokens: bigTokens, params: '', model: 'm', finishReason: null, stopReason: null, usage: null, timings: null, clientTtftMs: null }] }],
    });
    const one = JSON.stringify([mk('new', 2)]).length;
    s.quota = one + 500; // room for one conversation with tokens, not two
    store.save([mk('old', 1), mk('new', 2)]);
    const loaded = store.load();
    expect(loaded.map((c) => c.title)).toEqual(['new', 'old']);
    expect((loaded[0].messages[0] as any).variants[0].tokens.length).toBe(200);
    expect((loaded[1].messages[0] as any).variants[0].tokens.length).toBe(0);
  });
  it('titles a conversation from its first line', () => {
    expect(titleFrom('  Hello there\nsecond')).toBe('Hello there');
    expect(titleFrom('x'.repeat(100)).length).toBe(48);
    expect(titleFrom('   ')).toBe('New chat');
  });
});

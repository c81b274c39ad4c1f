// The application: state (models, conversations, sampling settings), the page layout, and the
// actions — send, stop, regenerate, edit-and-resend, branch, sample N.
import { type Fetch, listModels, loadModel, streamChat } from '../api/client';
import type { ChatMessage, ChatRequest, ModelInfo } from '../api/types';
import { branchAt } from '../logic/branch';
import { type AnswerVariant, type Conversation, ConversationStore, type Message, newConversation, newId, titleFrom } from '../logic/conversations';
import { applyPreset, buildChatRequest, describeParams, type PresetName, randomSeed, type SamplingParams, sanitizeParams } from '../logic/params';
import { maxSamples, sampleSeeds } from '../logic/samples';
import { renderControls } from './controls_view';
import { clear, h } from './dom';
import { renderMessage } from './message_view';
import { TokenPopover } from './token_view';

type Theme = 'system' | 'light' | 'dark';

export class App {
  private models: ModelInfo[] = [];
  private conversations: Conversation[];
  private current: Conversation;
  private params: SamplingParams;
  private abort: AbortController | null = null;
  private streamingId: string | null = null;
  private confidence = new Map<string, boolean>();
  private confidenceDefault = false;
  private modelStatus = '';
  private renderQueued = false;
  private readonly store: ConversationStore;
  private readonly popover: TokenPopover;

  private readonly el = {
    modelSelect: h('select', { attrs: { id: 'model', name: 'model' } }),
    modelStatus: h('span', { class: 'model-status', attrs: { role: 'status', 'aria-live': 'polite' } }),
    loadProgress: h('progress', { class: 'load-progress', attrs: { 'aria-label': 'Loading model' } }),
    conversationList: h('ul', { class: 'conversation-list' }),
    systemPrompt: h('textarea', { attrs: { id: 'system-prompt', rows: 3, placeholder: 'You are a helpful assistant.', name: 'system-prompt' } }),
    thread: h('ol', { class: 'thread', attrs: { 'aria-label': 'Conversation', 'aria-live': 'polite' } }),
    input: h('textarea', { attrs: { id: 'prompt', rows: 2, placeholder: 'Message (Enter to send, Shift+Enter for a new line)', name: 'prompt' } }),
    send: h('button', { class: 'send primary', text: 'Send', attrs: { type: 'submit' } }),
    stop: h('button', { class: 'stop', text: 'Stop', attrs: { type: 'button' } }),
    sampleCount: h('select', { attrs: { id: 'sample-count', name: 'sample-count' } }),
    sample: h('button', { class: 'sample', attrs: { type: 'button' } }),
    controls: h('aside', { class: 'controls', attrs: { id: 'controls-drawer' } }),
    sidebar: h('aside', { class: 'sidebar', attrs: { id: 'conversations-drawer', 'aria-label': 'Conversations' } }),
    error: h('p', { class: 'global-error', attrs: { role: 'alert' } }),
    themeButton: h('button', { class: 'theme', attrs: { type: 'button' } }),
  };

  constructor(private readonly root: HTMLElement, private readonly fetchFn: Fetch, private readonly storage: Storage) {
    this.store = new ConversationStore(storage);
    this.conversations = this.store.load();
    this.current = this.conversations[0] ?? newConversation();
    if (!this.conversations.includes(this.current)) this.conversations.unshift(this.current);
    this.params = sanitizeParams(this.readJson('hearth.params'));
    this.confidenceDefault = storage.getItem('hearth.confidence') === '1';
    this.applyTheme((storage.getItem('hearth.theme') as Theme) || 'system');
    this.buildLayout();
    this.popover = new TokenPopover(root);
    this.renderAll();
    void this.refreshModels();
  }

  // ---- layout ---------------------------------------------------------------------------

  private buildLayout() {
    const toggle = (label: string, target: HTMLElement, cls: string) => {
      const b = h('button', { class: `drawer-toggle ${cls}`, text: label, attrs: { type: 'button', 'aria-controls': target.id, 'aria-expanded': 'false' } });
      b.addEventListener('click', () => {
        const open = !target.classList.contains('open');
        target.classList.toggle('open', open);
        b.setAttribute('aria-expanded', String(open));
      });
      return b;
    };
    this.el.modelSelect.addEventListener('change', () => void this.chooseModel(this.el.modelSelect.value));
    this.el.loadProgress.hidden = true;
    this.el.themeButton.addEventListener('click', () => {
      const order: Theme[] = ['system', 'light', 'dark'];
      const now = (this.storage.getItem('hearth.theme') as Theme) || 'system';
      this.applyTheme(order[(order.indexOf(now) + 1) % order.length]);
    });
    const header = h('header', { class: 'topbar' },
      toggle('☰', this.el.sidebar, 'left'),
      h('h1', { class: 'brand', text: 'hearth' }),
      h('div', { class: 'model-picker' }, h('label', { attrs: { for: 'model' }, text: 'Model' }), this.el.modelSelect, this.el.loadProgress, this.el.modelStatus),
      this.el.themeButton,
      toggle('⚙ Settings', this.el.controls, 'right'));

    this.el.systemPrompt.addEventListener('change', () => {
      this.current.systemPrompt = this.el.systemPrompt.value;
      this.touch();
    });
    for (let n = 2; n <= maxSamples; n++) this.el.sampleCount.append(h('option', { attrs: { value: n, selected: n === 4 }, text: String(n) }));
    this.el.sampleCount.addEventListener('change', () => this.updateComposer());
    this.el.sample.addEventListener('click', () => void this.sampleMany(Number(this.el.sampleCount.value)));
    this.el.stop.addEventListener('click', () => this.abort?.abort());
    this.el.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        composer.requestSubmit();
      }
    });
    const composer = h('form', { class: 'composer', on: { submit: (e) => { e.preventDefault(); void this.send(); } } },
      h('label', { class: 'sr-only', attrs: { for: 'prompt' }, text: 'Message' }),
      this.el.input,
      h('div', { class: 'composer-actions' },
        this.el.send, this.el.stop,
        h('span', { class: 'sample-group' }, h('label', { attrs: { for: 'sample-count' }, text: 'N' }), this.el.sampleCount, this.el.sample)));
    const main = h('main', { class: 'chat' },
      h('details', { class: 'system' }, h('summary', { text: 'System prompt' }), h('label', { class: 'sr-only', attrs: { for: 'system-prompt' }, text: 'System prompt' }), this.el.systemPrompt),
      this.el.error, this.el.thread, composer);
    this.root.append(h('div', { class: 'app' }, header, this.el.sidebar, main, this.el.controls));
  }

  private applyTheme(theme: Theme) {
    this.storage.setItem('hearth.theme', theme);
    if (theme === 'system') document.documentElement.removeAttribute('data-theme');
    else document.documentElement.setAttribute('data-theme', theme);
    this.el.themeButton.textContent = theme === 'dark' ? '☾ Dark' : theme === 'light' ? '☀ Light' : '◐ Auto';
    this.el.themeButton.setAttribute('aria-label', `Theme: ${theme} (click to change)`);
  }

  private readJson(key: string): any {
    try {
      return JSON.parse(this.storage.getItem(key) ?? 'null');
    } catch {
      return null;
    }
  }

  // ---- rendering ------------------------------------------------------------------------

  private renderAll() {
    this.renderSidebar();
    this.renderControls();
    this.renderModels();
    this.el.systemPrompt.value = this.current.systemPrompt;
    this.renderThread();
  }

  private renderSidebar() {
    clear(this.el.sidebar);
    clear(this.el.conversationList);
    for (const c of this.conversations) {
      const active = c === this.current;
      const title = h('button', { class: 'conv-title', text: c.title, attrs: { type: 'button', 'aria-current': active ? 'true' : null }, disabled: this.busy && !active,
        on: { click: () => this.selectConversation(c) } });
      const rename = h('button', { class: 'icon rename', text: '✎', attrs: { type: 'button', 'aria-label': `Rename ${c.title}` },
        on: { click: () => {
          const input = h('input', { class: 'rename-input', attrs: { 'aria-label': 'New name' }, value: c.title });
          const done = (save: boolean) => {
            if (save && input.value.trim()) c.title = input.value.trim().slice(0, 80);
            this.touch(c);
            this.renderSidebar();
          };
          input.addEventListener('keydown', (e) => { if (e.key === 'Enter') done(true); if (e.key === 'Escape') done(false); });
          input.addEventListener('blur', () => done(true));
          title.replaceWith(input);
          input.select();
        } } });
      const del = h('button', { class: 'icon delete', text: '×', attrs: { type: 'button', 'aria-label': `Delete ${c.title}` }, disabled: this.busy && active,
        on: { click: () => {
          if (del.dataset.confirm !== '1') {
            del.dataset.confirm = '1';
            del.textContent = 'Delete?';
            return;
          }
          this.deleteConversation(c);
        } } });
      this.el.conversationList.append(h('li', { class: `conv${active ? ' active' : ''}` }, title, rename, del));
    }
    this.el.sidebar.append(
      h('button', { class: 'new-chat primary', text: '+ New chat', attrs: { type: 'button' }, disabled: this.busy, on: { click: () => this.selectConversation(newConversation(this.current.model)) } }),
      h('h2', { class: 'sr-only', text: 'Conversations' }),
      this.el.conversationList);
  }

  private renderControls() {
    clear(this.el.controls);
    this.el.controls.append(renderControls(this.params,
      (p) => this.setParams(p),
      (name: PresetName) => {
        this.setParams(applyPreset(this.params, name));
        this.renderControls();
      }));
  }

  private setParams(p: SamplingParams): SamplingParams {
    this.params = sanitizeParams(p);
    this.storage.setItem('hearth.params', JSON.stringify(this.params));
    this.updateComposer();
    return this.params;
  }

  private renderModels() {
    const select = this.el.modelSelect;
    clear(select);
    if (this.models.length === 0) select.append(h('option', { attrs: { value: '' }, text: this.modelStatus ? '(no models)' : 'loading…' }));
    for (const m of this.models) {
      const details = [m.loaded ? 'loaded' : 'not loaded', m.quantization, m.contextLength ? `ctx ${m.contextLength}` : ''].filter(Boolean).join(', ');
      select.append(h('option', { attrs: { value: m.id, selected: m.id === this.current.model }, text: `${m.id} (${details})` }));
    }
    select.disabled = this.busy;
    this.el.modelStatus.textContent = this.modelStatus;
  }

  private scheduleRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.renderThread();
    });
  }

  private renderThread() {
    const thread = this.el.thread;
    const nearBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80 || thread.scrollHeight - thread.scrollTop - thread.clientHeight < 80;
    clear(thread);
    if (this.current.messages.length === 0) {
      thread.append(h('li', { class: 'empty', text: 'Ask something. Every answer shows, token by token, how sure the model was — switch an answer to “Confidence”, or use “Sample N” to see how answers vary.' }));
    }
    const actions = {
      popover: this.popover,
      streamingId: this.streamingId,
      busy: this.busy,
      confidenceFor: (id: string) => this.confidence.get(id) ?? this.confidenceDefault,
      toggleConfidence: (id: string) => {
        const next = !(this.confidence.get(id) ?? this.confidenceDefault);
        this.confidence.set(id, next);
        this.confidenceDefault = next;
        this.storage.setItem('hearth.confidence', next ? '1' : '0');
        this.popover.close();
        this.renderThread();
      },
      regenerate: (id: string) => void this.regenerate(id),
      branch: (id: string) => (index: number, alt: string) => void this.branch(id, index, alt),
      selectVariant: (id: string, index: number) => {
        const m = this.find(id);
        if (m?.role === 'assistant') {
          m.current = Math.max(0, Math.min(m.variants.length - 1, index));
          this.touch();
          this.renderThread();
        }
      },
      editAndResend: (id: string, text: string) => void this.editAndResend(id, text),
    };
    for (const m of this.current.messages) thread.append(renderMessage(m, actions));
    this.updateComposer();
    if (nearBottom) thread.lastElementChild?.scrollIntoView({ block: 'end' });
  }

  private updateComposer() {
    const busy = this.busy;
    this.el.send.disabled = busy;
    this.el.stop.hidden = !busy;
    this.el.sample.disabled = busy;
    this.el.sample.textContent = `Sample ${this.el.sampleCount.value}`;
    this.el.sample.setAttribute('title', `Run the message ${this.el.sampleCount.value} times with seeds s…s+${Number(this.el.sampleCount.value) - 1} and compare the answers`);
    this.el.modelSelect.disabled = busy;
  }

  private showError(message: string) {
    this.el.error.textContent = message;
    this.el.error.hidden = !message;
  }

  // ---- models ---------------------------------------------------------------------------

  private async refreshModels() {
    try {
      this.models = await listModels(this.fetchFn);
      this.modelStatus = this.models.length ? '' : 'the server has no models';
      if (!this.models.some((m) => m.id === this.current.model)) {
        this.current.model = (this.models.find((m) => m.loaded) ?? this.models[0])?.id ?? '';
      }
    } catch (e) {
      this.modelStatus = `cannot list models: ${(e as Error).message}`;
    }
    this.renderModels();
  }

  private async chooseModel(id: string) {
    this.current.model = id;
    this.touch();
    const info = this.models.find((m) => m.id === id);
    if (!info || info.loaded) return;
    const started = performance.now();
    this.el.loadProgress.hidden = false;
    const tick = setInterval(() => {
      this.modelStatus = `loading ${id}… ${((performance.now() - started) / 1000).toFixed(0)} s`;
      this.el.modelStatus.textContent = this.modelStatus;
    }, 250);
    try {
      this.modelStatus = `loading ${id}…`;
      this.renderModels();
      await loadModel(this.fetchFn, id);
      this.modelStatus = `${id} loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`;
    } catch (e) {
      this.modelStatus = (e as Error).message;
    } finally {
      clearInterval(tick);
      this.el.loadProgress.hidden = true;
    }
    const status = this.modelStatus;
    await this.refreshModels();
    this.modelStatus = status;
    this.renderModels();
  }

  // ---- conversations --------------------------------------------------------------------

  private get busy(): boolean {
    return this.abort !== null;
  }

  private find(id: string): Message | undefined {
    return this.current.messages.find((m) => m.id === id);
  }

  private touch(c: Conversation = this.current) {
    c.updated = Date.now();
    if (!this.conversations.includes(c)) this.conversations.unshift(c);
    this.store.save(this.conversations);
  }

  private selectConversation(c: Conversation) {
    if (this.busy) return;
    if (!this.conversations.includes(c)) this.conversations.unshift(c);
    this.current = c;
    if (!c.model && this.models.length) c.model = (this.models.find((m) => m.loaded) ?? this.models[0]).id;
    this.popover.close();
    this.showError('');
    this.renderAll();
    this.el.sidebar.classList.remove('open');
  }

  private deleteConversation(c: Conversation) {
    this.conversations = this.conversations.filter((x) => x !== c);
    this.store.save(this.conversations);
    if (c === this.current) this.current = this.conversations[0] ?? newConversation(this.current.model);
    if (!this.conversations.includes(this.current)) this.conversations.unshift(this.current);
    this.renderAll();
  }

  // The API messages for everything before `end` (sample runs are not part of the dialogue).
  private history(end: number): ChatMessage[] {
    const out: ChatMessage[] = [];
    if (this.current.systemPrompt.trim()) out.push({ role: 'system', content: this.current.systemPrompt });
    for (const m of this.current.messages.slice(0, end)) {
      if (m.role === 'user') out.push({ role: 'user', content: m.content });
      else if (m.role === 'assistant') {
        const v = m.variants[m.current];
        if (v && !v.error && v.text) out.push({ role: 'assistant', content: v.text });
      }
    }
    return out;
  }

  private seedForRequest(): number {
    return this.params.seedMode === 'fixed' ? this.params.seed : randomSeed();
  }

  // ---- actions --------------------------------------------------------------------------

  private async send() {
    const text = this.el.input.value;
    if (!text.trim() || this.busy) return;
    if (!this.current.model) {
      this.showError('Choose a model first.');
      return;
    }
    this.el.input.value = '';
    if (!this.current.messages.some((m) => m.role === 'user')) this.current.title = titleFrom(text);
    this.current.messages.push({ id: newId(), role: 'user', content: text });
    await this.answer(this.current.messages.length);
  }

  private async editAndResend(id: string, text: string) {
    const index = this.current.messages.findIndex((m) => m.id === id);
    const m = this.current.messages[index];
    if (!m || m.role !== 'user' || this.busy) return;
    m.content = text;
    this.current.messages.splice(index + 1);
    if (index === 0) this.current.title = titleFrom(text);
    await this.answer(index + 1);
  }

  private async regenerate(id: string) {
    const index = this.current.messages.findIndex((m) => m.id === id);
    const m = this.current.messages[index];
    if (!m || m.role !== 'assistant' || this.busy) return;
    this.current.messages.splice(index + 1);
    await this.generate(m, this.history(index), null);
  }

  private async branch(id: string, tokenIndex: number, alternative: string) {
    const index = this.current.messages.findIndex((m) => m.id === id);
    const m = this.current.messages[index];
    if (!m || m.role !== 'assistant' || this.busy) return;
    const source = m.variants[m.current];
    const b = branchAt(source.tokens, tokenIndex, alternative);
    this.current.messages.splice(index + 1);
    this.confidence.set(id, true);
    await this.generate(m, [...this.history(index), { role: 'assistant', content: b.partial }], { ...b, at: tokenIndex });
  }

  // A new assistant message answering everything before `end`.
  private async answer(end: number) {
    const m: Message = { id: newId(), role: 'assistant', variants: [], current: 0 };
    const messages = this.history(end);
    this.current.messages.splice(end, 0, m);
    await this.generate(m, messages, null);
  }

  // Streams a new version of `m`; with `branch`, the server continues the open partial answer.
  private async generate(m: Extract<Message, { role: 'assistant' }>, messages: ChatMessage[], branch: { partial: string; tokens: AnswerVariant['tokens']; at: number } | null) {
    this.showError('');
    const model = this.current.model;
    const seed = this.seedForRequest();
    let request: ChatRequest;
    try {
      request = buildChatRequest(model, messages, this.params, { seed, continueFinal: branch !== null });
    } catch (e) {
      this.showError((e as Error).message);
      return;
    }
    const variant: AnswerVariant = {
      text: branch?.partial ?? '',
      tokens: branch ? [...branch.tokens] : [],
      params: describeParams(request, seed),
      seed,
      model,
      finishReason: null,
      stopReason: null,
      usage: null,
      timings: null,
      clientTtftMs: null,
      contextLength: this.models.find((x) => x.id === model)?.contextLength,
      branchedAt: branch?.at,
    };
    m.variants.push(variant);
    m.current = m.variants.length - 1;
    const conversation = this.current;
    this.abort = new AbortController();
    this.streamingId = m.id;
    this.touch(conversation);
    this.renderSidebar();
    this.renderThread();
    try {
      const result = await streamChat(this.fetchFn, request, {
        onDelta: (text, tokens) => {
          variant.text += text;
          variant.tokens.push(...tokens);
          if (conversation === this.current) this.scheduleRender();
        },
      }, this.abort.signal);
      variant.finishReason = result.aborted ? 'stopped' : result.finishReason;
      variant.stopReason = result.stopReason;
      variant.usage = result.usage;
      variant.timings = result.timings;
      variant.clientTtftMs = result.clientTtftMs;
      if (result.timings?.seed !== undefined) {
        variant.seed = result.timings.seed;
        variant.params = describeParams(request, result.timings.seed);
      }
    } catch (e) {
      variant.error = (e as Error).message;
    } finally {
      this.abort = null;
      this.streamingId = null;
      this.touch(conversation);
      this.renderAll();
      void this.refreshModels(); // the model may have been loaded by this request
    }
  }

  // Runs the composer's message N times with seeds s..s+N-1 and compares the answers.
  private async sampleMany(n: number) {
    const prompt = this.el.input.value;
    if (!prompt.trim() || this.busy) return;
    if (!this.current.model) {
      this.showError('Choose a model first.');
      return;
    }
    const count = Math.max(2, Math.min(maxSamples, Math.floor(n) || 2));
    const base = this.params.seedMode === 'fixed' ? this.params.seed : randomSeed();
    const seeds = sampleSeeds(base, count);
    const messages = [...this.history(this.current.messages.length), { role: 'user' as const, content: prompt }];
    const run = { prompt, temperature: this.params.temperature, seeds, answers: [] as { seed: number; text: string; tokens: string[]; error?: string }[] };
    const m: Message = { id: newId(), role: 'samples', run };
    if (!this.current.messages.some((x) => x.role === 'user')) this.current.title = titleFrom(prompt);
    this.current.messages.push(m);
    this.abort = new AbortController();
    this.streamingId = m.id;
    this.showError('');
    this.renderAll();
    const conversation = this.current;
    try {
      for (const seed of seeds) {
        if (this.abort.signal.aborted) break;
        try {
          const request = buildChatRequest(this.current.model, messages, { ...this.params, top_logprobs: 0 }, { seed });
          const result = await streamChat(this.fetchFn, request, {}, this.abort.signal);
          if (result.aborted) break;
          const tokens = result.tokens.length ? result.tokens.map((t) => t.token) : [...result.text];
          run.answers.push({ seed: result.timings?.seed ?? seed, text: result.text, tokens });
        } catch (e) {
          run.answers.push({ seed, text: '', tokens: [], error: (e as Error).message });
        }
        if (conversation === this.current) this.renderThread();
      }
    } finally {
      run.seeds = run.seeds.slice(0, Math.max(run.answers.length, 0));
      this.abort = null;
      this.streamingId = null;
      this.touch(conversation);
      this.renderAll();
    }
  }
}

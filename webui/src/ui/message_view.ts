// One message of the thread: user messages (with edit-and-resend), answers (Markdown or the
// confidence view, the settings that produced them, speed and context use), sample runs.
import { formatPercent, summarize } from '../logic/confidence';
import type { AnswerVariant, Message } from '../logic/conversations';
import { h } from './dom';
import { renderMarkdown } from './markdown_dom';
import { renderSamples } from './samples_view';
import { type BranchHandler, renderLegend, renderTokens, type TokenPopover } from './token_view';

export interface MessageActions {
  popover: TokenPopover;
  streamingId: string | null;
  confidenceFor: (id: string) => boolean;
  toggleConfidence: (id: string) => void;
  regenerate: (id: string) => void;
  branch: (id: string) => BranchHandler;
  selectVariant: (id: string, index: number) => void;
  editAndResend: (id: string, text: string) => void;
  busy: boolean;
}

export function renderMessage(m: Message, a: MessageActions): HTMLElement {
  if (m.role === 'user') return renderUser(m, a);
  if (m.role === 'samples') {
    return h('li', { class: 'msg samples-msg', attrs: { 'data-id': m.id } }, renderSamples(m.run, a.streamingId === m.id));
  }
  const v = m.variants[m.current];
  const streaming = a.streamingId === m.id;
  const confidence = a.confidenceFor(m.id);
  const li = h('li', { class: `msg assistant${streaming ? ' streaming' : ''}`, attrs: { 'data-id': m.id, 'aria-busy': streaming ? 'true' : null } });
  const head = h('div', { class: 'msg-head' },
    h('span', { class: 'who', text: v.model || 'assistant' }),
    v.branchedAt !== undefined ? h('span', { class: 'badge', text: `branched at token ${v.branchedAt + 1}` }) : null,
    h('button', { class: 'toggle-confidence', text: 'Confidence', attrs: { type: 'button', 'aria-pressed': confidence ? 'true' : 'false', disabled: v.tokens.length === 0 || undefined },
      on: { click: () => a.toggleConfidence(m.id) } }),
    m.variants.length > 1
      ? h('span', { class: 'variants', attrs: { role: 'group', 'aria-label': 'Answer versions' } },
          h('button', { text: '‹', attrs: { type: 'button', 'aria-label': 'Previous version' }, disabled: m.current === 0 || a.busy, on: { click: () => a.selectVariant(m.id, m.current - 1) } }),
          h('span', { class: 'variant-index', text: `${m.current + 1}/${m.variants.length}` }),
          h('button', { text: '›', attrs: { type: 'button', 'aria-label': 'Next version' }, disabled: m.current === m.variants.length - 1 || a.busy, on: { click: () => a.selectVariant(m.id, m.current + 1) } }))
      : null);
  li.append(head);

  const body = h('div', { class: 'msg-body' });
  if (confidence && v.tokens.length) {
    body.append(renderLegend(), renderTokens(v.tokens, a.popover, a.busy ? null : a.branch(m.id)));
  } else if (v.text) {
    body.append(renderMarkdown(v.text));
  } else if (streaming) {
    body.append(h('span', { class: 'typing', text: '…', attrs: { 'aria-label': 'generating' } }));
  }
  li.append(body);
  if (v.error) li.append(h('p', { class: 'error', attrs: { role: 'alert' }, text: v.error }));

  if (!streaming) {
    if (v.tokens.length) li.append(renderSummary(v));
    li.append(h('p', { class: 'params', text: v.params }));
    const stats = renderStats(v);
    if (stats) li.append(stats);
    li.append(h('div', { class: 'actions' },
      h('button', { class: 'regenerate', text: 'Regenerate', attrs: { type: 'button' }, disabled: a.busy, on: { click: () => a.regenerate(m.id) } }),
      h('button', { class: 'copy', text: 'Copy', attrs: { type: 'button' }, on: { click: () => navigator.clipboard?.writeText(v.text).catch(() => {}) } })));
  }
  return li;
}

function renderUser(m: Extract<Message, { role: 'user' }>, a: MessageActions): HTMLElement {
  const li = h('li', { class: 'msg user', attrs: { 'data-id': m.id } });
  const text = h('div', { class: 'msg-body user-text', text: m.content });
  const edit = h('button', { class: 'edit', text: 'Edit', attrs: { type: 'button', 'aria-label': 'Edit and resend' }, disabled: a.busy,
    on: { click: () => {
      const area = h('textarea', { class: 'edit-area', attrs: { 'aria-label': 'Edit message', rows: 3 }, value: m.content });
      const form = h('form', { class: 'edit-form', on: { submit: (e) => { e.preventDefault(); if (area.value.trim()) a.editAndResend(m.id, area.value); } } },
        area,
        h('div', { class: 'actions' },
          h('button', { text: 'Send', attrs: { type: 'submit' } }),
          h('button', { text: 'Cancel', attrs: { type: 'button' }, on: { click: () => form.replaceWith(text) } })));
      text.replaceWith(form);
      area.focus();
    } } });
  li.append(h('div', { class: 'msg-head' }, h('span', { class: 'who', text: 'you' }), edit), text);
  return li;
}

function renderSummary(v: AnswerVariant): HTMLElement {
  const s = summarize(v.tokens);
  return h('p', { class: 'confidence-summary' },
    h('span', { text: `mean log p ${s.meanLogprob.toFixed(2)}` }), ' · ',
    h('span', { text: `perplexity ${s.perplexity.toFixed(2)}` }), ' · ',
    h('span', { text: `${formatPercent(s.lowShare)} low-confidence tokens (p < 30%)` }),
    s.meanEntropy !== null ? [' · ', h('span', { text: `mean entropy ${s.meanEntropy.toFixed(2)} nats` })] : null);
}

function renderStats(v: AnswerVariant): HTMLElement | null {
  const t = v.timings;
  const parts: string[] = [];
  if (t?.prompt_n === 0 && t.prompt_cached) parts.push(`prompt cached (${t.prompt_cached} tokens)`);
  else if (t?.prompt_per_second !== undefined) parts.push(`prompt ${t.prompt_per_second.toFixed(1)} tok/s${t.prompt_cached ? ` (${t.prompt_cached} cached)` : ''}`);
  if (t?.predicted_per_second !== undefined) parts.push(`generation ${t.predicted_per_second.toFixed(1)} tok/s`);
  const ttft = t?.ttft_ms ?? v.clientTtftMs;
  if (ttft !== null && ttft !== undefined) parts.push(`first token ${Math.round(ttft)} ms`);
  const finish = v.stopReason ?? v.finishReason;
  if (finish) parts.push(`stop: ${finish}`);
  const used = v.usage?.total_tokens;
  const size = t?.n_ctx ?? v.contextLength;
  if (!parts.length && used === undefined) return null;
  const el = h('div', { class: 'stats' }, h('span', { text: parts.join(' · ') }));
  if (used !== undefined && size) {
    const share = Math.min(1, used / size);
    el.append(h('span', { class: 'context' },
      h('span', { class: 'context-label', text: `context ${used} / ${size}` }),
      h('span', { class: 'context-bar', attrs: { role: 'meter', 'aria-label': 'Context used', 'aria-valuemin': 0, 'aria-valuemax': size, 'aria-valuenow': used } },
        h('span', { class: `context-fill${share > 0.9 ? ' full' : ''}`, style: { width: `${(share * 100).toFixed(1)}%` } }))));
  } else if (used !== undefined) {
    el.append(h('span', { class: 'context-label', text: ` · ${used} tokens` }));
  }
  return el;
}

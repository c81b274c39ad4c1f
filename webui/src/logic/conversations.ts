// Conversations kept in the browser (localStorage). The store takes a Storage, so tests use
// an in-memory one.
import type { ChatRequest, TokenLogprob, Timings, Usage } from '../api/types';

export interface AnswerVariant {
  text: string;
  tokens: TokenLogprob[];
  params: string; // describeParams() of the request that produced it
  seed?: number;
  model: string;
  finishReason: string | null;
  stopReason: string | null;
  usage: Usage | null;
  timings: Timings | null;
  clientTtftMs: number | null;
  contextLength?: number;
  branchedAt?: number; // token index a branch forced an alternative at
  error?: string;
  request?: Pick<ChatRequest, 'temperature' | 'top_p' | 'top_k' | 'min_p' | 'repeat_penalty' | 'max_tokens'>;
}

export interface SampleRun {
  prompt: string;
  temperature: number;
  seeds: number[];
  answers: { seed: number; text: string; tokens: string[]; error?: string }[];
}

export type Message =
  | { id: string; role: 'user'; content: string }
  | { id: string; role: 'assistant'; variants: AnswerVariant[]; current: number }
  | { id: string; role: 'samples'; run: SampleRun };

export interface Conversation {
  id: string;
  title: string;
  systemPrompt: string;
  model: string;
  messages: Message[];
  updated: number;
}

const key = 'hearth.conversations.v1';

export function newId(): string {
  const a = new Uint32Array(2);
  crypto.getRandomValues(a);
  return a[0].toString(36) + a[1].toString(36);
}

export function newConversation(model = '', systemPrompt = ''): Conversation {
  return { id: newId(), title: 'New chat', systemPrompt, model, messages: [], updated: Date.now() };
}

// A title from the first user message.
export function titleFrom(text: string): string {
  const line = text.trim().split('\n')[0].trim();
  if (!line) return 'New chat';
  return line.length > 48 ? line.slice(0, 47) + '…' : line;
}

export class ConversationStore {
  constructor(private readonly storage: Storage) {}

  load(): Conversation[] {
    try {
      const raw = this.storage.getItem(key);
      const list = raw ? JSON.parse(raw) : [];
      if (!Array.isArray(list)) return [];
      return list.filter((c) => c && typeof c.id === 'string' && Array.isArray(c.messages));
    } catch {
      return []; // unreadable storage starts over rather than breaking the UI
    }
  }

  // Newest first. When storage is full, drops the per-token details of older answers, then
  // the oldest conversations, until it fits.
  save(conversations: Conversation[]): void {
    let list = [...conversations].sort((a, b) => b.updated - a.updated);
    for (let attempt = 0; attempt < 3 + list.length; attempt++) {
      try {
        this.storage.setItem(key, JSON.stringify(list));
        return;
      } catch {
        if (attempt === 0) list = list.map((c, k) => (k === 0 ? c : withoutTokens(c)));
        else if (attempt === 1) list = list.map(withoutTokens);
        else list = list.slice(0, -1);
      }
    }
  }
}

function withoutTokens(c: Conversation): Conversation {
  return {
    ...c,
    messages: c.messages.map((m) =>
      m.role === 'assistant' ? { ...m, variants: m.variants.map((v) => ({ ...v, tokens: [] })) } : m,
    ),
  };
}

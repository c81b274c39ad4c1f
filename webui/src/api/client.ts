// hearth's HTTP API, as the UI calls it. Every function takes the fetch to use, so tests can
// pass a mock and the app passes window.fetch.
import { SseParser } from './sse';
import type { ChatRequest, ChatResult, ModelInfo, TokenLogprob } from './types';

export type Fetch = typeof fetch;

export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

async function errorOf(response: Response, what: string): Promise<ApiError> {
  let detail = response.statusText;
  try {
    const text = await response.text();
    try {
      const body = JSON.parse(text);
      detail = body?.error?.message ?? body?.error ?? text;
    } catch {
      if (text) detail = text;
    }
  } catch {
    /* keep statusText */
  }
  return new ApiError(`${what}: HTTP ${response.status}: ${String(detail).slice(0, 300)}`, response.status);
}

export async function listModels(fetchFn: Fetch): Promise<ModelInfo[]> {
  const response = await fetchFn('/v1/models');
  if (!response.ok) throw await errorOf(response, 'listing models');
  const body = await response.json();
  const data: unknown[] = Array.isArray(body?.data) ? body.data : [];
  return data.map((raw) => {
    const m = raw as Record<string, any>;
    const extra = (m.hearth ?? {}) as Record<string, any>;
    return {
      id: String(m.id),
      loaded: Boolean(extra.loaded),
      contextLength: typeof extra.context_length === 'number' ? extra.context_length : undefined,
      sizeBytes: typeof extra.size_bytes === 'number' ? extra.size_bytes : undefined,
      quantization: typeof extra.quantization === 'string' ? extra.quantization : undefined,
    };
  });
}

// Names of the loaded models, from the Ollama-style /api/ps.
export async function listLoaded(fetchFn: Fetch): Promise<string[]> {
  const response = await fetchFn('/api/ps');
  if (!response.ok) throw await errorOf(response, 'listing loaded models');
  const body = await response.json();
  const models: unknown[] = Array.isArray(body?.models) ? body.models : [];
  return models.map((m) => String((m as any).name ?? (m as any).model));
}

// Returns when the model is loaded (an Ollama generate request without a prompt).
export async function loadModel(fetchFn: Fetch, model: string, signal?: AbortSignal): Promise<void> {
  const response = await fetchFn('/api/generate', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model, stream: false }),
    signal,
  });
  if (!response.ok) throw await errorOf(response, `loading ${model}`);
  await response.text();
}

export interface StreamCallbacks {
  onDelta?: (text: string, tokens: TokenLogprob[]) => void;
}

// Streams one chat completion. Aborting the signal ends the request (the server stops
// generating) and resolves with what arrived so far and aborted = true.
export async function streamChat(
  fetchFn: Fetch,
  request: ChatRequest,
  callbacks: StreamCallbacks,
  signal?: AbortSignal,
  now: () => number = () => performance.now(),
): Promise<ChatResult> {
  const result: ChatResult = {
    text: '',
    tokens: [],
    finishReason: null,
    stopReason: null,
    usage: null,
    timings: null,
    clientTtftMs: null,
    aborted: false,
  };
  const started = now();
  let response: Response;
  try {
    response = await fetchFn('/v1/chat/completions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify(request),
      signal,
    });
  } catch (e) {
    if (signal?.aborted) return { ...result, aborted: true };
    throw e;
  }
  if (!response.ok) throw await errorOf(response, 'chat completion');
  if (!response.body) throw new ApiError('chat completion: response has no body', response.status);

  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let done = false;
  const handle = (payload: string) => {
    if (payload.trim() === '[DONE]') {
      done = true;
      return;
    }
    let chunk: any;
    try {
      chunk = JSON.parse(payload);
    } catch {
      throw new ApiError(`chat completion: malformed stream chunk: ${payload.slice(0, 120)}`, 0);
    }
    if (chunk.error) throw new ApiError(`chat completion: ${chunk.error.message ?? JSON.stringify(chunk.error)}`, 0);
    const choice = chunk.choices?.[0];
    if (choice) {
      const text: string = choice.delta?.content ?? '';
      const tokens: TokenLogprob[] = choice.logprobs?.content ?? [];
      if (text || tokens.length) {
        if (result.clientTtftMs === null) result.clientTtftMs = now() - started;
        result.text += text;
        result.tokens.push(...tokens);
        callbacks.onDelta?.(text, tokens);
      }
      if (choice.finish_reason) result.finishReason = choice.finish_reason;
    }
    if (chunk.hearth?.stop_reason) result.stopReason = chunk.hearth.stop_reason;
    if (choice?.hearth?.stop_reason) result.stopReason = choice.hearth.stop_reason;
    if (chunk.usage) result.usage = chunk.usage;
    if (chunk.timings) result.timings = chunk.timings;
  };
  try {
    while (!done) {
      const { value, done: streamDone } = await reader.read();
      if (streamDone) break;
      for (const payload of parser.push(decoder.decode(value, { stream: true }))) {
        handle(payload);
        if (done) break;
      }
    }
    if (!done) for (const payload of parser.push(decoder.decode()).concat(parser.finish())) handle(payload);
  } catch (e) {
    if (signal?.aborted) return { ...result, aborted: true };
    throw e;
  } finally {
    reader.cancel().catch(() => {});
  }
  if (signal?.aborted) result.aborted = true;
  return result;
}

// Shapes of hearth's HTTP API as the UI uses them (OpenAI chat completions plus hearth's
// extensions: per-token entropy, timings, the seed actually used).

export interface ModelInfo {
  id: string;
  loaded: boolean;
  contextLength?: number;
  sizeBytes?: number;
  quantization?: string;
}

export interface TopLogprob {
  token: string;
  logprob: number;
  bytes?: number[] | null;
}

export interface TokenLogprob extends TopLogprob {
  top_logprobs: TopLogprob[];
  entropy?: number; // nats, of the model's full next-token distribution
  forced?: boolean; // set by the UI for the token a branch forced
}

export interface Timings {
  prompt_n?: number;
  prompt_cached?: number; // prompt tokens reused from the server's prefix cache
  prompt_ms?: number;
  prompt_per_second?: number;
  predicted_n?: number;
  predicted_ms?: number;
  predicted_per_second?: number;
  ttft_ms?: number;
  n_ctx?: number;
  seed?: number;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema: unknown; strict?: boolean } };

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: true;
  stream_options: { include_usage: true };
  logprobs: boolean;
  top_logprobs?: number;
  temperature: number;
  top_p: number;
  top_k: number;
  min_p: number;
  repeat_penalty: number;
  max_tokens: number;
  seed?: number;
  response_format?: ResponseFormat;
  continue_final_message?: boolean;
  add_generation_prompt?: boolean;
}

export interface ChatResult {
  text: string;
  tokens: TokenLogprob[];
  finishReason: string | null;
  stopReason: string | null; // hearth's finer reason, e.g. "context_full"
  usage: Usage | null;
  timings: Timings | null;
  clientTtftMs: number | null; // measured here, in case the server sends no timings
  aborted: boolean;
}

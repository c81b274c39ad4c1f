// Sampling controls: their ranges and one-line explanations, the presets, and how the chosen
// values become request fields.
import type { ChatMessage, ChatRequest, ResponseFormat } from '../api/types';

export interface SamplingParams {
  temperature: number;
  top_p: number;
  top_k: number;
  min_p: number;
  repeat_penalty: number;
  max_tokens: number;
  seedMode: 'random' | 'fixed';
  seed: number;
  jsonMode: 'off' | 'json' | 'schema';
  jsonSchema: string;
  top_logprobs: number;
}

export type NumericKey = 'temperature' | 'top_p' | 'top_k' | 'min_p' | 'repeat_penalty' | 'max_tokens' | 'top_logprobs';

export interface NumericControl {
  key: NumericKey;
  label: string;
  min: number;
  max: number;
  step: number;
  help: string;
}

export const numericControls: NumericControl[] = [
  { key: 'temperature', label: 'Temperature', min: 0, max: 2, step: 0.05,
    help: 'Flattens (>1) or sharpens (<1) the distribution before drawing; 0 always takes the most likely token.' },
  { key: 'top_p', label: 'Top-p', min: 0, max: 1, step: 0.01,
    help: 'Keeps the smallest set of likely tokens whose probabilities add up to p.' },
  { key: 'top_k', label: 'Top-k', min: 0, max: 200, step: 1,
    help: 'Keeps only the k most likely tokens (0 = no limit).' },
  { key: 'min_p', label: 'Min-p', min: 0, max: 1, step: 0.01,
    help: 'Drops tokens less likely than min-p times the most likely one.' },
  { key: 'repeat_penalty', label: 'Repeat penalty', min: 0.5, max: 2, step: 0.01,
    help: 'Makes recently used tokens less likely (1 = off).' },
  { key: 'max_tokens', label: 'Max tokens', min: 1, max: 8192, step: 1,
    help: 'Stops the answer after this many tokens.' },
  { key: 'top_logprobs', label: 'Alternatives shown', min: 0, max: 20, step: 1,
    help: 'How many alternative tokens (with probabilities) the confidence view lists per token.' },
];

export const seedHelp = 'Random draws a new seed per answer (shown with it); fixed reuses one, so the same settings give the same answer.';
export const jsonHelp = 'Constrains the answer to valid JSON, optionally matching a JSON Schema.';

export const defaultParams: SamplingParams = {
  temperature: 0.8,
  top_p: 0.95,
  top_k: 40,
  min_p: 0.05,
  repeat_penalty: 1.1,
  max_tokens: 256,
  seedMode: 'random',
  seed: 42,
  jsonMode: 'off',
  jsonSchema: '{\n  "type": "object",\n  "properties": { "answer": { "type": "string" } },\n  "required": ["answer"]\n}',
  top_logprobs: 5,
};

export type PresetName = 'precise' | 'balanced' | 'creative';

export const presets: Record<PresetName, Partial<SamplingParams> & { help: string }> = {
  precise: { temperature: 0.2, top_p: 0.9, top_k: 20, min_p: 0.1, repeat_penalty: 1.05,
    help: 'Low temperature: nearly always the likeliest words.' },
  balanced: { temperature: 0.8, top_p: 0.95, top_k: 40, min_p: 0.05, repeat_penalty: 1.1,
    help: 'The usual defaults.' },
  creative: { temperature: 1.2, top_p: 0.98, top_k: 100, min_p: 0.02, repeat_penalty: 1.15,
    help: 'High temperature: surprising, sometimes incoherent.' },
};

export function applyPreset(params: SamplingParams, name: PresetName): SamplingParams {
  const { help: _help, ...values } = presets[name];
  return { ...params, ...values };
}

// Clamps every numeric value into its control's range (values come from forms and storage).
export function sanitizeParams(raw: Partial<SamplingParams> | null | undefined): SamplingParams {
  const p: SamplingParams = { ...defaultParams, ...(raw ?? {}) };
  for (const c of numericControls) {
    const v = Number(p[c.key]);
    p[c.key] = Number.isFinite(v) ? Math.min(c.max, Math.max(c.min, v)) : defaultParams[c.key];
    if (c.step === 1) p[c.key] = Math.round(p[c.key]);
  }
  if (p.seedMode !== 'random' && p.seedMode !== 'fixed') p.seedMode = 'random';
  if (!Number.isFinite(Number(p.seed))) p.seed = defaultParams.seed;
  p.seed = Math.max(0, Math.floor(Number(p.seed))) % 2 ** 32;
  if (!['off', 'json', 'schema'].includes(p.jsonMode)) p.jsonMode = 'off';
  return p;
}

export class ParamError extends Error {}

export function responseFormatOf(p: SamplingParams): ResponseFormat | undefined {
  if (p.jsonMode === 'json') return { type: 'json_object' };
  if (p.jsonMode === 'schema') {
    let schema: unknown;
    try {
      schema = JSON.parse(p.jsonSchema);
    } catch (e) {
      throw new ParamError(`JSON schema is not valid JSON: ${(e as Error).message}`);
    }
    return { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } };
  }
  return undefined;
}

// A seed in [0, 2^31) drawn by the browser, so a "random" answer can still be reproduced.
export function randomSeed(): number {
  const a = new Uint32Array(1);
  crypto.getRandomValues(a);
  return a[0] & 0x7fffffff;
}

export interface BuildOptions {
  seed: number;
  continueFinal?: boolean;
}

export function buildChatRequest(model: string, messages: ChatMessage[], p: SamplingParams, o: BuildOptions): ChatRequest {
  const request: ChatRequest = {
    model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
    logprobs: true,
    top_logprobs: p.top_logprobs,
    temperature: p.temperature,
    top_p: p.top_p,
    top_k: p.top_k,
    min_p: p.min_p,
    repeat_penalty: p.repeat_penalty,
    max_tokens: p.max_tokens,
    seed: o.seed,
  };
  const format = responseFormatOf(p);
  if (format) request.response_format = format;
  if (o.continueFinal) {
    request.continue_final_message = true;
    request.add_generation_prompt = false;
  }
  return request;
}

// What an answer shows about the settings that produced it.
export function describeParams(r: Pick<ChatRequest, 'temperature' | 'top_p' | 'top_k' | 'min_p' | 'repeat_penalty' | 'max_tokens' | 'response_format'>, seed: number | undefined): string {
  const parts = [
    `temp ${r.temperature}`,
    `top-p ${r.top_p}`,
    `top-k ${r.top_k}`,
    `min-p ${r.min_p}`,
    `repeat ${r.repeat_penalty}`,
    `max ${r.max_tokens}`,
    `seed ${seed ?? '?'}`,
  ];
  if (r.response_format && r.response_format.type !== 'text') parts.push(r.response_format.type === 'json_object' ? 'JSON' : 'JSON schema');
  return parts.join(' · ');
}

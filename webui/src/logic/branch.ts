// Branching an answer at one token: the text before it plus the chosen alternative becomes the
// open assistant message the server continues.
import type { TokenLogprob } from '../api/types';

export interface Branch {
  partial: string; // prefix text + forced token
  tokens: TokenLogprob[]; // prefix tokens + the forced one (marked forced)
}

export function branchAt(tokens: TokenLogprob[], index: number, alternative: string): Branch {
  if (!Number.isInteger(index) || index < 0 || index >= tokens.length) {
    throw new RangeError(`branch index ${index} is outside the answer's ${tokens.length} tokens`);
  }
  const prefix = tokens.slice(0, index);
  const original = tokens[index];
  const alt = original.top_logprobs?.find((a) => a.token === alternative);
  const forced: TokenLogprob = {
    token: alternative,
    logprob: alt ? alt.logprob : -Infinity,
    bytes: alt?.bytes ?? null,
    top_logprobs: original.top_logprobs ?? [],
    entropy: original.entropy,
    forced: true,
  };
  return { partial: joinTokens(prefix) + alternative, tokens: [...prefix, forced] };
}

// The text of a token run; uses the raw bytes where every token has them, so tokens that split
// a UTF-8 character join back correctly.
export function joinTokens(tokens: TokenLogprob[]): string {
  if (tokens.length && tokens.every((t) => Array.isArray(t.bytes))) {
    const bytes = new Uint8Array(tokens.flatMap((t) => t.bytes as number[]));
    return new TextDecoder().decode(bytes);
  }
  return tokens.map((t) => t.token).join('');
}

// Per-token confidence: probabilities from log-probabilities, the shade a token gets, and
// per-message summaries.
import type { TokenLogprob } from '../api/types';

export const lowConfidence = 0.3; // below this probability a token counts as "unsure"

export function probability(logprob: number): number {
  return Number.isFinite(logprob) ? Math.exp(logprob) : 0;
}

// Five bands, most sure first; the legend shows the same bands.
export const bands = [
  { min: 0.9, label: '≥ 90%' },
  { min: 0.7, label: '70–90%' },
  { min: 0.5, label: '50–70%' },
  { min: 0.3, label: '30–50%' },
  { min: 0, label: '< 30%' },
];

export function bandOf(p: number): number {
  const i = bands.findIndex((b) => p >= b.min);
  return i < 0 ? bands.length - 1 : i;
}

export interface ConfidenceSummary {
  tokens: number;
  meanLogprob: number; // NaN when there are no tokens
  perplexity: number;
  lowShare: number; // share of tokens with probability < lowConfidence
  meanEntropy: number | null; // nats; null when the server sent none
}

export function summarize(tokens: TokenLogprob[]): ConfidenceSummary {
  const n = tokens.length;
  if (n === 0) return { tokens: 0, meanLogprob: NaN, perplexity: NaN, lowShare: 0, meanEntropy: null };
  let sum = 0;
  let low = 0;
  let entropySum = 0;
  let entropyCount = 0;
  for (const t of tokens) {
    sum += t.logprob;
    if (probability(t.logprob) < lowConfidence) low += 1;
    if (typeof t.entropy === 'number') {
      entropySum += t.entropy;
      entropyCount += 1;
    }
  }
  const mean = sum / n;
  return {
    tokens: n,
    meanLogprob: mean,
    perplexity: Math.exp(-mean),
    lowShare: low / n,
    meanEntropy: entropyCount ? entropySum / entropyCount : null,
  };
}

export function formatPercent(p: number): string {
  if (p >= 0.995) return `${(p * 100).toFixed(1)}%`;
  if (p >= 0.1) return `${Math.round(p * 100)}%`;
  if (p >= 0.001) return `${(p * 100).toFixed(1)}%`;
  return `${(p * 100).toExponential(0)}%`;
}

// Token text as shown inside the confidence view: whitespace made visible.
export function visibleToken(token: string): string {
  return token.replace(/\n/g, '↵').replace(/\t/g, '⇥') || '∅';
}

// The alternatives list for a token, the sampled one included, most likely first.
export function alternativesOf(t: TokenLogprob): { token: string; p: number; chosen: boolean }[] {
  const seen = new Map<string, { token: string; p: number; chosen: boolean }>();
  for (const alt of t.top_logprobs ?? []) {
    if (!seen.has(alt.token)) seen.set(alt.token, { token: alt.token, p: probability(alt.logprob), chosen: alt.token === t.token });
  }
  if (!seen.has(t.token)) seen.set(t.token, { token: t.token, p: probability(t.logprob), chosen: true });
  return [...seen.values()].sort((a, b) => b.p - a.p);
}

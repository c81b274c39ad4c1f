// Many samples: where the answers to one prompt first differ, and how often each continuation
// occurred there.

export interface Divergence {
  index: number | null; // first token index where not all samples agree; null when all are identical
  continuations: { text: string; count: number; samples: number[] }[]; // at that index, most common first
  allAgree: boolean;
}

const END = ''; // a sample that ended before the divergence point

export function findDivergence(samples: string[][]): Divergence {
  if (samples.length === 0) return { index: null, continuations: [], allAgree: true };
  const longest = Math.max(...samples.map((s) => s.length));
  let index: number | null = null;
  for (let i = 0; i < longest; i++) {
    const first = samples[0][i] ?? END;
    if (samples.some((s) => (s[i] ?? END) !== first)) {
      index = i;
      break;
    }
  }
  if (index === null) return { index: null, continuations: [], allAgree: true };
  const groups = new Map<string, number[]>();
  samples.forEach((s, k) => {
    const key = s[index!] ?? END;
    groups.set(key, [...(groups.get(key) ?? []), k]);
  });
  const continuations = [...groups.entries()]
    .map(([text, members]) => ({ text, count: members.length, samples: members }))
    .sort((a, b) => b.count - a.count || a.samples[0] - b.samples[0]);
  return { index, continuations, allAgree: false };
}

// Seeds for N samples: s, s+1, ..., s+N-1 (wrapping within 32 bits).
export function sampleSeeds(base: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (base + i) % 2 ** 32);
}

export const maxSamples = 8;

#pragma once
// Timing of prompt processing (one batch of n tokens) and generation (n tokens one at a
// time), as llama-bench measures them, plus memory facts for the report.
#include <cstdint>
#include <vector>

#include "engine/context.h"

namespace hearth::engine {

struct Timing {
  std::vector<double> tokens_per_second;  // one entry per repetition
  double mean() const;
  double stddev() const;  // sample standard deviation
  double median() const;
};

// Evaluates `n_tokens` deterministic pseudo-random token ids in one batch, `reps` times
// (after one warm-up), each in a fresh sequence.
Timing bench_prompt(Context& ctx, int64_t n_tokens, int reps);
// Generates `n_tokens` tokens one at a time from an empty sequence, `reps` times.
Timing bench_generation(Context& ctx, int64_t n_tokens, int reps);

// Peak resident set size of this process so far, in bytes.
uint64_t peak_rss_bytes();

// Read bandwidth of this machine in bytes/s, streaming `bytes` with `threads` threads.
double measure_read_bandwidth(ThreadPool& pool, size_t bytes = size_t{1} << 30, int reps = 5);

}  // namespace hearth::engine

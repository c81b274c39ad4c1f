#include "engine/bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>

#include "sampling/rng.h"

namespace hearth::engine {
namespace {

using clock_type = std::chrono::steady_clock;

std::vector<int32_t> random_tokens(int64_t n, int64_t n_vocab, uint64_t seed) {
  sampling::Rng rng(seed);
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (auto& id : t) id = static_cast<int32_t>(rng.next() % static_cast<uint64_t>(n_vocab));
  return t;
}

}  // namespace

double Timing::mean() const {
  if (tokens_per_second.empty()) return 0;
  return std::accumulate(tokens_per_second.begin(), tokens_per_second.end(), 0.0) /
         static_cast<double>(tokens_per_second.size());
}

double Timing::stddev() const {
  if (tokens_per_second.size() < 2) return 0;
  const double m = mean();
  double s = 0;
  for (double v : tokens_per_second) s += (v - m) * (v - m);
  return std::sqrt(s / static_cast<double>(tokens_per_second.size() - 1));
}

double Timing::median() const {
  if (tokens_per_second.empty()) return 0;
  auto v = tokens_per_second;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

Timing bench_prompt(Context& ctx, int64_t n_tokens, int reps) {
  Timing t;
  const auto tokens = random_tokens(n_tokens, ctx.model().hparams().n_vocab, 1234);
  for (int r = -1; r < reps; ++r) {
    auto seq = ctx.new_sequence();
    const auto t0 = clock_type::now();
    ctx.eval(*seq, tokens);
    const double s = std::chrono::duration<double>(clock_type::now() - t0).count();
    if (r >= 0) t.tokens_per_second.push_back(static_cast<double>(n_tokens) / s);
  }
  return t;
}

Timing bench_generation(Context& ctx, int64_t n_tokens, int reps) {
  Timing t;
  const auto tokens = random_tokens(n_tokens, ctx.model().hparams().n_vocab, 5678);
  for (int r = -1; r < reps; ++r) {
    auto seq = ctx.new_sequence();
    const auto t0 = clock_type::now();
    for (int64_t i = 0; i < n_tokens; ++i) {
      const int32_t one[] = {tokens[static_cast<size_t>(i)]};
      ctx.eval(*seq, one);
    }
    const double s = std::chrono::duration<double>(clock_type::now() - t0).count();
    if (r >= 0) t.tokens_per_second.push_back(static_cast<double>(n_tokens) / s);
  }
  return t;
}

uint64_t peak_rss_bytes() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

double measure_read_bandwidth(ThreadPool& pool, size_t bytes, int reps) {
  const size_t n = bytes / sizeof(uint64_t);
  std::unique_ptr<uint64_t[]> buf(new uint64_t[n]);
  pool.parallel_for(static_cast<int64_t>(n), 1 << 20, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) buf[static_cast<size_t>(i)] = static_cast<uint64_t>(i);
  });
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    std::vector<uint64_t> sums(static_cast<size_t>(pool.size()), 0);
    const auto t0 = clock_type::now();
    pool.run([&](int ith, int nth) {
      const size_t per = (n + static_cast<size_t>(nth) - 1) / static_cast<size_t>(nth);
      const size_t a = per * static_cast<size_t>(ith), b = std::min(n, a + per);
      // Four independent accumulators so the loop is bound by loads, not by the add chain.
      uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      size_t i = a;
      for (; i + 4 <= b; i += 4) {
        s0 += buf[i];
        s1 += buf[i + 1];
        s2 += buf[i + 2];
        s3 += buf[i + 3];
      }
      for (; i < b; ++i) s0 += buf[i];
      sums[static_cast<size_t>(ith)] = s0 + s1 + s2 + s3;
    });
    const double s = std::chrono::duration<double>(clock_type::now() - t0).count();
    volatile uint64_t sink = std::accumulate(sums.begin(), sums.end(), uint64_t{0});
    (void)sink;
    best = std::max(best, static_cast<double>(n * sizeof(uint64_t)) / s);
  }
  return best;
}

}  // namespace hearth::engine

#include "core/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#define HEARTH_PAUSE() _mm_pause()
#else
#define HEARTH_PAUSE() ((void)0)
#endif

namespace hearth {
namespace {
// About 10-30 µs of pause instructions: covers the gap between two ops of a forward pass
// (a norm, a conversion) without holding a core long when the machine is oversubscribed.
constexpr int kSpinIterations = 1024;

// Spins until pred() or the budget runs out; true when pred() held.
template <typename Pred>
bool spin_until(Pred pred) {
  for (int i = 0; i < kSpinIterations; ++i) {
    if (pred()) return true;
    HEARTH_PAUSE();
  }
  return pred();
}
}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::dispatch(const std::function<void(int, int)>& fn, bool closable) {
  job_ = &fn;
  finished_.store(0, std::memory_order_relaxed);
  const uint32_t gen = generation_.load(std::memory_order_relaxed) + 1;
  job_word_.store(static_cast<uint64_t>(gen) << 32, std::memory_order_release);
  generation_.store(gen, std::memory_order_release);
  generation_.notify_all();
  fn(0, n_threads_);
  // Workers that have entered must finish; with `closable`, the others are shut out now.
  uint32_t entered = static_cast<uint32_t>(n_threads_ - 1);
  if (closable) entered = static_cast<uint32_t>(job_word_.fetch_or(kClosed, std::memory_order_acq_rel) & 0xFFFF);
  auto done = [&] { return finished_.load(std::memory_order_acquire) >= entered; };
  while (!spin_until(done)) {
    const uint32_t f = finished_.load(std::memory_order_acquire);
    if (f >= entered) break;
    finished_.wait(f, std::memory_order_acquire);
  }
  job_ = nullptr;
}

void ThreadPool::run(const std::function<void(int, int)>& fn) {
  if (n_threads_ == 1) return fn(0, 1);
  dispatch(fn, false);
}

void ThreadPool::worker_loop(int ith) {
  uint32_t seen = 0;
  for (;;) {
    if (!spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; }))
      generation_.wait(seen, std::memory_order_acquire);
    const uint32_t gen = generation_.load(std::memory_order_acquire);
    if (gen == seen) continue;  // spurious wake-up
    seen = gen;
    if (stop_.load()) return;
    // Enter the job unless the caller already closed it (or it is an older job).
    uint64_t word = job_word_.load(std::memory_order_acquire);
    bool entered = false;
    while ((word >> 32) == gen && !(word & kClosed)) {
      if (job_word_.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel)) {
        entered = true;
        break;
      }
    }
    if (!entered) continue;
    (*job_)(ith, n_threads_);
    finished_.fetch_add(1, std::memory_order_acq_rel);
    finished_.notify_one();
  }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  if (n_threads_ == 1 || n <= grain) {
    fn(0, n);
    return;
  }
  std::atomic<int64_t> next{0};
  const std::function<void(int, int)> job = [&](int, int) {
    for (;;) {
      const int64_t begin = next.fetch_add(grain, std::memory_order_relaxed);
      if (begin >= n) break;
      fn(begin, std::min(n, begin + grain));
    }
  };
  dispatch(job, true);
}

}  // namespace hearth

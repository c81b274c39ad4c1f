#pragma once
// Persistent worker pool. run(fn) calls fn(ith, nth) on nth threads (the caller is thread 0)
// and returns when all are done; parallel_for hands out chunks dynamically.
//
// Waiting is "spin briefly, then sleep" on both sides: workers spin a few microseconds for the
// next job (the ops of one forward pass come back-to-back) and then sleep on a futex
// (std::atomic::wait), and the caller does the same while it waits for stragglers. On a machine
// with more runnable threads than cores a spinning thread would burn the time slice of the
// thread it waits for, so spins are short. parallel_for additionally lets the caller "close"
// the job once every chunk is claimed: a worker that had not yet woken up skips it, so a
// descheduled worker delays nothing it has not started.
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace hearth {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // fn(ith, nth) for every ith in [0, nth). Not re-entrant: one job at a time.
  void run(const std::function<void(int ith, int nth)>& fn);

  // Splits [0, n) into contiguous chunks of at least `grain` items, one chunk per call
  // fn(begin, end); chunks are claimed dynamically so uneven work (and a preempted thread)
  // still balances. The set of threads that take part is not fixed.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  // Job word: generation << 32 | closed bit << 31 | number of workers that entered.
  static constexpr uint64_t kClosed = uint64_t{1} << 31;
  void dispatch(const std::function<void(int, int)>& fn, bool closable);
  void worker_loop(int ith);

  int n_threads_;
  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* job_ = nullptr;
  std::atomic<uint64_t> job_word_{0};
  std::atomic<uint32_t> generation_{0};  // futex the workers sleep on
  std::atomic<uint32_t> finished_{0};    // workers done with the current job; futex of the caller
  std::atomic<bool> stop_{false};
};

}  // namespace hearth

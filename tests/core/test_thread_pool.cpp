// ThreadPool: every thread index runs, every parallel_for item is covered exactly once, across
// many back-to-back jobs (spin path), jobs after idle periods (sleep path) and more threads
// than cores (oversubscription, where workers may join a job late or not at all).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/thread_pool.h"

namespace hearth {
namespace {

TEST(ThreadPool, RunCallsEveryThreadIndexOnce) {
  for (int n : {1, 2, 3, 8}) {
    ThreadPool pool(n);
    EXPECT_EQ(pool.size(), n);
    for (int rep = 0; rep < 200; ++rep) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.run([&](int ith, int nth) {
        ASSERT_EQ(nth, n);
        hits[static_cast<size_t>(ith)].fetch_add(1);
      });
      for (int i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "n=" << n << " ith=" << i;
    }
  }
}

TEST(ThreadPool, ParallelForCoversEachItemExactlyOnce) {
  for (int n : {1, 2, 3, 8}) {
    ThreadPool pool(n);
    for (int64_t items : {1, 7, 64, 1000}) {
      for (int64_t grain : {1, 3, 16}) {
        for (int rep = 0; rep < 20; ++rep) {
          std::vector<std::atomic<int>> hits(static_cast<size_t>(items));
          pool.parallel_for(items, grain, [&](int64_t a, int64_t b) {
            ASSERT_LT(a, b);
            ASSERT_LE(b, items);
            for (int64_t i = a; i < b; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
          });
          for (int64_t i = 0; i < items; ++i)
            ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "n=" << n << " items=" << items << " grain=" << grain;
        }
      }
    }
  }
}

TEST(ThreadPool, WakesSleepingWorkersAfterIdle) {
  ThreadPool pool(3);
  for (int rep = 0; rep < 3; ++rep) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // workers go to sleep
    std::atomic<int> sum{0};
    pool.run([&](int ith, int) { sum.fetch_add(ith + 1); });
    EXPECT_EQ(sum.load(), 1 + 2 + 3);
  }
}

TEST(ThreadPool, MixedJobsBackToBack) {
  ThreadPool pool(4);
  int64_t total = 0;
  for (int rep = 0; rep < 500; ++rep) {
    std::atomic<int64_t> s{0};
    pool.parallel_for(100, 7, [&](int64_t a, int64_t b) {
      for (int64_t i = a; i < b; ++i) s.fetch_add(i);
    });
    pool.run([&](int, int) { s.fetch_add(1); });
    total += s.load();
  }
  EXPECT_EQ(total, 500 * (4950 + 4));
}

}  // namespace
}  // namespace hearth

#include "sampling/candidates.h"

#include <algorithm>
#include <cmath>

namespace hearth::sampling {

void Candidates::assign(std::span<const float> logits) {
  data_.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) data_[i] = {static_cast<int32_t>(i), logits[i], 0.0f};
  sorted_prefix_ = 0;
}

void Candidates::assign_masked(std::span<const float> logits, std::span<const uint64_t> allowed) {
  data_.clear();
  for (size_t w = 0; w < allowed.size(); ++w) {
    for (uint64_t bits = allowed[w]; bits != 0; bits &= bits - 1) {
      const size_t id = w * 64 + static_cast<size_t>(__builtin_ctzll(bits));
      if (id >= logits.size()) return;
      data_.push_back({static_cast<int32_t>(id), logits[id], 0.0f});
    }
  }
  sorted_prefix_ = 0;
}

void Candidates::sort() {
  if (sorted()) return;
  std::sort(data_.begin(), data_.end(), ranks_before);
  sorted_prefix_ = data_.size();
}

void Candidates::sort_head(size_t k) {
  k = std::min(k, data_.size());
  if (sorted_prefix_ >= k) return;
  const auto mid = data_.begin() + static_cast<std::ptrdiff_t>(k);
  if (k > 0 && k * 16 < data_.size()) {
    // Few out of many (top-k 40 of 32k+): one pass with a k-entry min-heap finds the k-th
    // best, then one partition brings the k best to the front. Most entries cost a single
    // comparison with the heap's worst, far cheaper than nth_element's shuffling.
    std::vector<TokenData>& heap = scratch_;
    heap.assign(data_.begin(), mid);
    std::make_heap(heap.begin(), heap.end(), ranks_before);
    for (auto it = mid; it != data_.end(); ++it) {
      if (ranks_before(*it, heap.front())) {
        std::pop_heap(heap.begin(), heap.end(), ranks_before);
        heap.back() = *it;
        std::push_heap(heap.begin(), heap.end(), ranks_before);
      }
    }
    const TokenData kth = heap.front();
    std::partition(data_.begin(), data_.end(), [&](const TokenData& t) { return !ranks_before(kth, t); });
  } else if (k < data_.size()) {
    std::nth_element(data_.begin(), mid, data_.end(), ranks_before);
  }
  std::sort(data_.begin(), mid, ranks_before);
  sorted_prefix_ = k;
}

void Candidates::keep_top(size_t k) {
  sort_head(k);
  truncate(k);
}

void Candidates::truncate(size_t n) {
  if (n < data_.size()) data_.resize(n);
  sorted_prefix_ = std::min(sorted_prefix_, data_.size());
}

void Candidates::drop_impossible() {
  const bool was_sorted = sorted();
  std::erase_if(data_, [](const TokenData& t) { return std::isinf(t.logit) && t.logit < 0; });
  sorted_prefix_ = was_sorted ? data_.size() : 0;
}

void Candidates::softmax() {
  if (data_.empty()) return;
  const double mx = data_[argmax_index()].logit;
  double sum = 0.0;
  for (auto& t : data_) {
    const double e = std::exp(static_cast<double>(t.logit) - mx);
    t.p = static_cast<float>(e);
    sum += e;
  }
  const double inv = 1.0 / sum;
  for (auto& t : data_) t.p = static_cast<float>(t.p * inv);
}

size_t Candidates::argmax_index() const {
  if (sorted_prefix_ > 0 || data_.empty()) return 0;
  size_t best = 0;
  for (size_t i = 1; i < data_.size(); ++i)
    if (ranks_before(data_[i], data_[best])) best = i;
  return best;
}

}  // namespace hearth::sampling

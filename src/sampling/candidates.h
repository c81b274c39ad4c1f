#pragma once
// The working set a sampler chain narrows down: candidate tokens with their (adjusted) logits
// and, once a step has computed them, probabilities. Every step keeps the order deterministic:
// "sorted" always means descending by logit with ties broken by the lower token id.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace hearth::sampling {

struct TokenData {
  int32_t id;
  float logit;
  float p;  // valid after softmax() until the logits change
};

class Candidates {
 public:
  // All tokens of the vocabulary in id order, p = 0.
  void assign(std::span<const float> logits);
  // Only the tokens whose bit is set in `allowed` (bit id % 64 of word id / 64), in id order.
  void assign_masked(std::span<const float> logits, std::span<const uint64_t> allowed);

  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  TokenData& operator[](size_t i) { return data_[i]; }
  const TokenData& operator[](size_t i) const { return data_[i]; }
  std::span<TokenData> items() { return data_; }
  std::span<const TokenData> items() const { return data_; }

  bool sorted() const { return sorted_prefix_ >= data_.size(); }
  // A step that changes logits in place calls this (order may no longer be sorted).
  void logits_changed() { sorted_prefix_ = 0; }
  void sort();
  // Afterwards the first min(k, size) entries are the k best, in order; the rest stay, unordered.
  void sort_head(size_t k);
  // Afterwards the first min(k, size) entries are the k best, sorted; the rest are dropped.
  void keep_top(size_t k);
  // Keeps the first n entries.
  void truncate(size_t n);
  // Drops entries whose logit is -inf; keeps the order.
  void drop_impossible();

  // p_i = exp(logit_i - max) / sum, accumulated in double; keeps the order.
  void softmax();
  // Index of the highest logit (lowest id on ties).
  size_t argmax_index() const;

 private:
  std::vector<TokenData> data_;
  std::vector<TokenData> scratch_;
  size_t sorted_prefix_ = 0;  // leading entries known to be the best ones, in order
};

// True when a ranks before b in the canonical order (higher logit, then lower id).
inline bool ranks_before(const TokenData& a, const TokenData& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

}  // namespace hearth::sampling

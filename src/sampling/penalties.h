#pragma once
// Repetition, presence and frequency penalties over the last n accepted tokens:
//   logit > 0 ? logit / repeat : logit * repeat   (once per token that occurs, repeat != 1)
//   logit -= count * frequency + (count > 0) * presence
#include <cstdint>
#include <deque>
#include <map>

#include "sampling/candidates.h"

namespace hearth::sampling {

struct PenaltyParams {
  float repeat = 1.0f;     // 1: off
  int32_t last_n = 64;     // window; 0: penalties off; -1: every token seen
  float presence = 0.0f;   // 0: off
  float frequency = 0.0f;  // 0: off

  bool active() const { return last_n != 0 && (repeat != 1.0f || presence != 0.0f || frequency != 0.0f); }
};

// The last n tokens of the sequence and how often each occurs among them.
class TokenHistory {
 public:
  explicit TokenHistory(int32_t last_n) : last_n_(last_n) {}
  void push(int32_t id);
  void clear();
  const std::map<int32_t, int32_t>& counts() const { return counts_; }
  size_t size() const { return window_.size(); }

 private:
  int32_t last_n_;
  std::deque<int32_t> window_;
  std::map<int32_t, int32_t> counts_;
};

void apply_penalties(Candidates& c, const TokenHistory& history, const PenaltyParams& params);

}  // namespace hearth::sampling

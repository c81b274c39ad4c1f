#pragma once
// Grammar-constrained decoding at the token level: which tokens may come next, and advancing
// the parse by the chosen one. The allowed set comes from one walk of the vocabulary trie
// with cached byte transitions; it is remembered per parse state, because generation keeps
// returning to the same states (inside a string, between values), where masking then costs
// only copying the bit set.
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sampling/grammar/matcher.h"
#include "sampling/grammar/token_trie.h"

namespace hearth::sampling::grammar {

class GrammarFilter {
 public:
  GrammarFilter(std::shared_ptr<const CompiledGrammar> g, std::shared_ptr<const TokenTrie> vocab);

  // One bit per token id (bit id % 64 of word id / 64): set when the token may come next.
  // End-of-generation tokens are allowed when the grammar can end here.
  const std::vector<uint64_t>& allowed();
  bool is_allowed(int32_t id);

  // Advances by a token (or raw bytes); false, with the state unchanged, if it does not fit.
  bool accept(int32_t id);
  bool accept_bytes(std::string_view bytes);

  // What has been accepted is a complete match.
  bool can_end() const { return matcher_.accepting(state_); }
  // Complete and nothing more can follow: generation should stop.
  bool finished() const { return can_end() && !matcher_.can_continue(state_); }

  // For measurements: turn the per-state mask memo off (every allowed() walks the trie).
  void set_mask_cache(bool on) { cache_masks_ = on; }
  // The mask for the current state by a fresh trie walk (no memo), into `bits`.
  void compute_mask(std::vector<uint64_t>& bits);

 private:
  void maybe_compact();

  GrammarMatcher matcher_;
  std::shared_ptr<const TokenTrie> vocab_;
  GrammarMatcher::StateId state_;
  std::vector<GrammarMatcher::StateId> depth_state_;
  std::vector<uint64_t> bits_;
  GrammarMatcher::StateId bits_state_ = GrammarMatcher::kDead;  // state bits_ was computed for
  std::unordered_map<GrammarMatcher::StateId, std::vector<uint64_t>> masks_;
  bool cache_masks_ = true;
};

}  // namespace hearth::sampling::grammar

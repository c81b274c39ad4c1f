#include "sampling/grammar/filter.h"

#include "core/error.h"

namespace hearth::sampling::grammar {

namespace {
// Bounds on what the caches may hold before they are rebuilt from the current state.
constexpr size_t kMaxStacks = size_t{1} << 20;
constexpr size_t kMaxStates = size_t{1} << 15;
constexpr size_t kMaxMaskBytes = size_t{32} << 20;
}  // namespace

GrammarFilter::GrammarFilter(std::shared_ptr<const CompiledGrammar> g, std::shared_ptr<const TokenTrie> vocab)
    : matcher_(std::move(g)), vocab_(std::move(vocab)) {
  HEARTH_CHECK(vocab_ != nullptr, "a grammar filter needs the vocabulary");
  state_ = matcher_.initial();
  depth_state_.resize(vocab_->max_depth() + 1);
}

void GrammarFilter::compute_mask(std::vector<uint64_t>& bits) {
  bits.assign((vocab_->n_vocab() + 63) / 64, 0);
  const auto nodes = vocab_->nodes();
  depth_state_[0] = state_;
  for (size_t i = 0; i < nodes.size();) {
    const auto& n = nodes[i];
    const GrammarMatcher::StateId s = matcher_.step(depth_state_[n.depth - 1], n.byte);
    if (s == GrammarMatcher::kDead) {
      i = n.subtree_end;  // no token starting with these bytes can fit
      continue;
    }
    depth_state_[n.depth] = s;
    for (int32_t id : vocab_->tokens_at(n)) bits[static_cast<size_t>(id) >> 6] |= uint64_t{1} << (id & 63);
    ++i;
  }
  if (can_end())
    for (int32_t id : vocab_->end_of_generation()) bits[static_cast<size_t>(id) >> 6] |= uint64_t{1} << (id & 63);
}

const std::vector<uint64_t>& GrammarFilter::allowed() {
  if (cache_masks_ && bits_state_ == state_) return bits_;
  if (cache_masks_) {
    if (auto it = masks_.find(state_); it != masks_.end()) {
      bits_ = it->second;
      bits_state_ = state_;
      return bits_;
    }
  }
  compute_mask(bits_);
  bits_state_ = state_;
  if (cache_masks_) {
    if ((masks_.size() + 1) * bits_.size() * sizeof(uint64_t) > kMaxMaskBytes) masks_.clear();
    masks_.emplace(state_, bits_);
  }
  return bits_;
}

bool GrammarFilter::is_allowed(int32_t id) {
  if (id < 0 || static_cast<size_t>(id) >= vocab_->n_vocab()) return false;
  const auto& bits = allowed();
  return (bits[static_cast<size_t>(id) >> 6] >> (id & 63)) & 1;
}

bool GrammarFilter::accept(int32_t id) {
  if (id < 0 || static_cast<size_t>(id) >= vocab_->n_vocab()) return false;
  switch (vocab_->kind(id)) {
    case TokenKind::EndOfGeneration: return can_end();  // ends the match; the state stays
    case TokenKind::Never: return false;
    case TokenKind::Text: break;
  }
  const std::string& piece = vocab_->piece(id);
  if (piece.empty()) return false;
  return accept_bytes(piece);
}

bool GrammarFilter::accept_bytes(std::string_view bytes) {
  const GrammarMatcher::StateId next = matcher_.step(state_, bytes);
  if (next == GrammarMatcher::kDead) return false;
  state_ = next;
  maybe_compact();
  return true;
}

void GrammarFilter::maybe_compact() {
  if (matcher_.n_stacks() <= kMaxStacks && matcher_.n_states() <= kMaxStates) return;
  state_ = matcher_.compact(state_);
  masks_.clear();
  bits_state_ = GrammarMatcher::kDead;
}

}  // namespace hearth::sampling::grammar

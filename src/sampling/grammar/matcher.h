#pragma once
// Byte-level recognizer for a compiled grammar. A parse state is the set of pushdown stacks
// that are still alive after the input so far; each stack is a chain of grammar positions
// whose top is a character element, optionally with the first bytes of a UTF-8 sequence
// already consumed. Stacks are hash-consed (equal stacks share one id, tails are shared)
// and so are state sets, which makes a state a small integer and lets the byte transitions
// be cached in a table: after warm-up, advancing one byte is one array lookup. That is what
// makes masking a whole vocabulary through a token trie cheap.
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sampling/grammar/compiled.h"

namespace hearth::sampling::grammar {

class GrammarMatcher {
 public:
  using StateId = int32_t;
  static constexpr StateId kDead = -1;  // no stack survived: the input cannot be continued

  explicit GrammarMatcher(std::shared_ptr<const CompiledGrammar> g);

  const CompiledGrammar& grammar() const { return *g_; }
  StateId initial() const { return initial_; }
  // The state after one more byte (cached), or kDead.
  StateId step(StateId s, uint8_t byte) {
    const int32_t t = trans_[static_cast<size_t>(s) * 256 + byte];
    return t != kUnknown ? t : compute_step(s, byte);
  }
  StateId step(StateId s, std::string_view bytes);
  // The input so far is a complete match of the root rule.
  bool accepting(StateId s) const { return sets_[static_cast<size_t>(s)].accepting; }
  // Some continuation of the input could still match.
  bool can_continue(StateId s) const { return sets_[static_cast<size_t>(s)].can_continue; }

  // Drops every cached stack, state and transition except what `keep` needs; returns keep's
  // new id. Ids of other states become invalid.
  StateId compact(StateId keep);
  size_t n_states() const { return sets_.size(); }
  size_t n_stacks() const { return nodes_.size(); }

 private:
  static constexpr int32_t kUnknown = -2;

  struct Node {
    uint32_t pos;      // grammar position (the top's is a Char element)
    uint32_t partial;  // 0, or a UTF-8 sequence in progress: value | remaining << 21 | length << 23
    uint32_t parent;   // node id below; 0 = the bottom
    bool operator==(const Node&) const = default;
  };
  struct NodeHash {
    size_t operator()(const Node& n) const;
  };
  struct VecHash {
    size_t operator()(const std::vector<uint32_t>& v) const;
  };
  struct SetInfo {
    const std::vector<uint32_t>* stacks;  // sorted node ids (key of set_ids_)
    bool accepting;
    bool can_continue;
  };

  void reset();
  StateId compute_step(StateId s, uint8_t byte);
  uint32_t intern(uint32_t pos, uint32_t partial, uint32_t parent);
  StateId intern_set(std::vector<uint32_t>& stacks);
  // Replaces the element at `pos` (above `parent`) by each way of reaching a character.
  void resume(uint32_t pos, uint32_t parent, std::vector<uint32_t>& out);

  std::shared_ptr<const CompiledGrammar> g_;
  std::vector<Node> nodes_;
  std::unordered_map<Node, uint32_t, NodeHash> node_ids_;
  std::unordered_map<std::vector<uint32_t>, StateId, VecHash> set_ids_;
  std::vector<SetInfo> sets_;
  std::vector<int32_t> trans_;  // [state * 256 + byte]
  StateId initial_ = kDead;
  std::vector<uint32_t> scratch_;
};

}  // namespace hearth::sampling::grammar

#pragma once
// A grammar prepared for matching: every rule alternative laid out as a run of elements
// closed by End, character classes normalised (sorted, merged, with an ASCII bitmap), and for
// every position the precomputed ways to reach a character from it. Matching then never
// expands rules at run time: it only pushes precomputed position lists. Immutable, so one
// compiled grammar serves any number of sequences and threads.
//
// Left recursion (a rule that can reach itself without consuming a character, including
// `x*` of an x that can be empty) cannot be matched this way and is a hearth::Error.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sampling/grammar/grammar.h"

namespace hearth::sampling::grammar {

struct Element {
  enum class Kind : uint8_t { Char, Rule, End };
  Kind kind;
  uint32_t value;  // Char: class id; Rule: rule id; End: rule id of the alternative
};

struct CompiledClass {
  std::vector<CharRange> ranges;  // sorted, disjoint, not adjacent
  bool negated = false;
  uint64_t ascii[2] = {0, 0};     // membership of code points 0..127, negation applied

  bool contains(uint32_t cp) const;
  // Whether some code point in [lo, hi] is in the class.
  bool intersects(uint32_t lo, uint32_t hi) const;
};

class CompiledGrammar {
 public:
  static std::shared_ptr<const CompiledGrammar> compile(const Grammar& g);
  static std::shared_ptr<const CompiledGrammar> from_gbnf(std::string_view text);

  // Position 0 holds a reference to the root rule; matching starts by expanding it.
  static constexpr uint32_t kStart = 0;

  const Element& element(uint32_t pos) const { return elements_[pos]; }
  const CompiledClass& char_class(uint32_t id) const { return classes_[id]; }
  const std::string& rule_name(uint32_t rule) const { return rule_names_[rule]; }
  size_t n_positions() const { return elements_.size(); }

  // Resuming at `pos` (an element not yet matched) means replacing it on the stack by one of
  // these position lists (bottom first, the top always a Char element); if completes(pos),
  // the rest of the alternative can also match nothing, so the stack may pop instead.
  size_t n_expansions(uint32_t pos) const { return closures_[pos].count; }
  std::span<const uint32_t> expansion(uint32_t pos, size_t i) const {
    const uint32_t e = closures_[pos].first + static_cast<uint32_t>(i);
    return {exp_data_.data() + exp_offsets_[e], exp_offsets_[e + 1] - exp_offsets_[e]};
  }
  bool completes(uint32_t pos) const { return closures_[pos].completes; }

 private:
  struct Closure {
    uint32_t first = 0;
    uint32_t count = 0;
    bool completes = false;
  };
  friend class Compiler;

  std::vector<Element> elements_;
  std::vector<CompiledClass> classes_;
  std::vector<std::string> rule_names_;
  std::vector<Closure> closures_;
  std::vector<uint32_t> exp_offsets_;
  std::vector<uint32_t> exp_data_;
};

}  // namespace hearth::sampling::grammar

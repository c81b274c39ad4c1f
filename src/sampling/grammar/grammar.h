#pragma once
// A context-free grammar over Unicode code points, as the GBNF parser and the JSON-schema
// converter build it: rules of alternatives, each a sequence of symbols that are either a
// character class or a reference to a rule. Repetitions and groups are already expanded into
// helper rules, so there is nothing else to interpret.
#include <cstdint>
#include <string>
#include <vector>

namespace hearth::sampling::grammar {

struct CharRange {
  uint32_t lo;
  uint32_t hi;  // inclusive
};

// Matches one code point in one of the ranges (or, negated, in none of them).
struct CharClass {
  std::vector<CharRange> ranges;
  bool negated = false;

  bool operator==(const CharClass&) const = default;
};

struct Symbol {
  enum class Kind : uint8_t { Char, Rule };
  Kind kind;
  uint32_t index;  // into Grammar::classes or Grammar::rules
};

using Sequence = std::vector<Symbol>;

struct Rule {
  std::string name;
  std::vector<Sequence> alternatives;  // an empty sequence matches the empty string
};

struct Grammar {
  std::vector<Rule> rules;
  std::vector<CharClass> classes;
  uint32_t root = 0;
};

}  // namespace hearth::sampling::grammar

#pragma once
// Helpers for grammar tests: whole-string and prefix matching through the byte recognizer.
#include <string>
#include <string_view>

#include "sampling/grammar/compiled.h"
#include "sampling/grammar/matcher.h"

namespace hearth::test {

inline bool grammar_accepts(std::string_view gbnf, std::string_view input) {
  sampling::grammar::GrammarMatcher m(sampling::grammar::CompiledGrammar::from_gbnf(gbnf));
  const auto s = m.step(m.initial(), input);
  return s != sampling::grammar::GrammarMatcher::kDead && m.accepting(s);
}

// The input can be extended to a match (or is one).
inline bool grammar_prefix_ok(std::string_view gbnf, std::string_view input) {
  sampling::grammar::GrammarMatcher m(sampling::grammar::CompiledGrammar::from_gbnf(gbnf));
  return m.step(m.initial(), input) != sampling::grammar::GrammarMatcher::kDead;
}

}  // namespace hearth::test

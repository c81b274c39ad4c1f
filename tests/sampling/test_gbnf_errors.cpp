// GBNF parse and compile errors: a clear hearth::Error with line and column.
#include <gtest/gtest.h>

#include "core/error.h"
#include "sampling/grammar/compiled.h"
#include "sampling/grammar/gbnf_parser.h"

using namespace hearth;
using namespace hearth::sampling::grammar;

namespace {
std::string error_of(const std::string& gbnf) {
  try {
    CompiledGrammar::from_gbnf(gbnf);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(GbnfErrors, LineAndColumn) {
  struct Case {
    const char* gbnf;
    const char* expected;  // substring of the message
  };
  const Case cases[] = {
      {"root ::= foo", "line 1, column 10: rule 'foo' is used but never defined"},
      {"a ::= \"x\"", "the grammar has no 'root' rule"},
      {"root ::= \"abc", "line 1, column 10: unterminated string literal"},
      {"root ::= \"a\\q\"", "line 1, column 12: unknown escape '\\q'"},
      {"root ::= [a-z", "line 1, column 10: unterminated character class"},
      {"root ::= [z-a]", "line 1, column 11: character range is backwards"},
      {"root ::= \"a\"{3,1}", "line 1, column 13: repetition {3,1} has its maximum below its minimum"},
      {"root ::= \"a\"{2", "line 1, column 13: unclosed '{'"},
      {"root ::= (\"a\"", "line 1, column 10: unclosed '('"},
      {"root ::= \"a\")", "line 1, column 13: unexpected ')'"},
      {"root ::= * \"a\"", "line 1, column 10: '*' has nothing to repeat"},
      {"root ::= \"a\"\nroot ::= \"b\"", "line 2, column 1: rule 'root' is defined twice"},
      {"root = \"a\"", "line 1, column 6: expected '::=' after rule name 'root'"},
      {"root ::= \"a\" @", "line 1, column 14: unexpected character '@'"},
      {"root ::= \"\\x4\"", "line 1, column 11: escape needs 2 hex digits"},
      {"root ::= \"a\"{99999}", "line 1, column 14: repetition count 99999 is too large"},
      {"# comment\n\nroot ::= \"é\" bad", "line 3, column 14: rule 'bad' is used but never defined"},
      {"root ::= root \"a\"", "rule 'root' is left-recursive"},
      {"root ::= a\na ::= b? a \"x\"\nb ::= \"y\"", "rule 'a' is left-recursive"},
      {"root ::= (\"a\"?)*", "left-recursive"},
  };
  for (const auto& c : cases) {
    const std::string msg = error_of(c.gbnf);
    EXPECT_NE(msg.find(c.expected), std::string::npos) << "grammar: " << c.gbnf << "\nmessage: " << msg;
    if (std::string(c.expected).find("line") != std::string::npos) {
      EXPECT_EQ(msg.rfind("grammar: line", 0), 0u) << msg;
    }
  }
}

TEST(GbnfParser, StructureOfExpandedRules) {
  const Grammar g = parse_gbnf("root ::= \"ab\" [0-9]* | other\nother ::= .");
  ASSERT_GE(g.rules.size(), 3u);  // root, other, and the helper for [0-9]*
  EXPECT_EQ(g.rules[g.root].name, "root");
  EXPECT_EQ(g.rules[g.root].alternatives.size(), 2u);
  EXPECT_EQ(g.rules[g.root].alternatives[0].size(), 3u);  // 'a' 'b' star-helper
  // Right recursion and long repetitions compile fine.
  EXPECT_NO_THROW(CompiledGrammar::from_gbnf("root ::= \"a\" root | \"\""));
  EXPECT_NO_THROW(CompiledGrammar::from_gbnf("root ::= [a-z]{0,2000}"));
}

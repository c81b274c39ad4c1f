// Grammar accept/reject cases: each grammar with strings it must accept in full, and strings
// it must reject (neither a match nor, where noted, a viable prefix).
#include <gtest/gtest.h>

#include <vector>

#include "grammar_util.h"
#include "sampling/grammar/json_schema.h"

using hearth::test::grammar_accepts;
using hearth::test::grammar_prefix_ok;

namespace {

struct Case {
  const char* name;
  std::string gbnf;
  std::vector<std::string> accept;
  std::vector<std::string> reject;
};

const char* kArithmetic = R"g(
# arithmetic with precedence: nested and repeated rules
root   ::= expr
expr   ::= term (("+" | "-") term)*
term   ::= factor (("*" | "/") factor)*
factor ::= number | "(" expr ")" | "-" factor
number ::= [0-9]+ ("." [0-9]+)?
)g";

std::vector<Case> cases() {
  return {
      {"literal", R"g(root ::= "hello")g", {"hello"}, {"", "hell", "hello!", "Hello"}},
      {"alternation", R"g(root ::= "cat" | "dog" | "bird")g", {"cat", "dog", "bird"}, {"cow", "catdog", ""}},
      {"group star", R"g(root ::= ("ab")*)g", {"", "ab", "abab", "ababab"}, {"a", "aba", "ba"}},
      {"plus", R"g(root ::= [0-9]+)g", {"0", "42", "1234567890"}, {"", "12a", "a"}},
      {"optional", R"g(root ::= "a"? "b")g", {"b", "ab"}, {"", "a", "aab", "bb"}},
      {"exact count", R"g(root ::= [a-z]{3})g", {"abc", "zzz"}, {"ab", "abcd", "ab1"}},
      {"at least", R"g(root ::= "x"{2,})g", {"xx", "xxx", "xxxxxxxx"}, {"", "x", "xy"}},
      {"bounded", R"g(root ::= [0-9]{1,3})g", {"1", "12", "123"}, {"", "1234"}},
      {"at most", R"g(root ::= "a"{,2} "b")g", {"b", "ab", "aab"}, {"aaab", "a"}},
      {"zero count", R"g(root ::= "a"{0} "b")g", {"b"}, {"ab"}},
      {"negated class", R"g(root ::= "\"" [^"\\]* "\"")g", {"\"\"", "\"abc\"", "\"é ü\""}, {"\"a\"b\"", "\"\\\"", "\"open"}},
      {"escapes", R"g(root ::= "\n\t\\\"" "\x41" "\u00e9" "\U0001F600")g",
       {"\n\t\\\"A\xC3\xA9\xF0\x9F\x98\x80"}, {"\n\t\\\"A\xC3\xA9", "ntA"}},
      {"unicode literal and class", R"g(root ::= "h\u00e9llo " [α-ω]+)g", {"héllo αβγ", "héllo ω"}, {"hello αβ", "héllo A"}},
      {"dot", R"g(root ::= "a" . "c")g", {"abc", "a.c", "aéc", "a😀c"}, {"ac", "abbc"}},
      {"arithmetic (nested, repeated)", kArithmetic,
       {"1", "1+2", "1+2*3", "(1+2)*3", "-(4.5/2)-1", "((1))", "2*(3-(4+5))/6"},
       {"", "1+", "(1", "1)", "1++2", "*2", "1.", "()"}},
      {"balanced parentheses (self-nesting)", R"g(root ::= "(" root ")" root | "")g",
       {"", "()", "(())", "()()", "(()(()))"}, {"(", ")", "(()", "())"}},
      {"list of items", R"g(root ::= item ("," item)*
item ::= [a-z]+)g",
       {"a", "ab,c", "x,y,z"}, {"", ",", "a,", "a,,b", "A"}},
      {"comments and line breaks", R"g(
# a comment line
root ::= greeting # trailing comment
   " " name
greeting ::= "hi"
  | "hello"   # alternative on its own line
name ::= [A-Z] [a-z]*
)g",
       {"hi Bob", "hello A"}, {"hi bob", "hey Bob"}},
      {"empty alternative", R"g(root ::= "a" |)g", {"a", ""}, {"b", "aa"}},
      {"class with escaped bracket, dash, caret", R"g(root ::= [\]\-a^]+)g", {"]", "-", "a^]-"}, {"b", "["}},
      {"nested repetition", R"g(root ::= ("a" "b"?)+ "!")g", {"a!", "ab!", "aab!", "ababa!"}, {"!", "b!", "abb!"}},
      {"identifier", R"g(root ::= [a-zA-Z_] [a-zA-Z0-9_]*)g", {"x", "_a1", "Zz_9"}, {"1a", "", "a-b"}},
      {"rule used before its definition", R"g(root ::= a b
b ::= "2"
a ::= "1")g",
       {"12"}, {"21", "1"}},
      {"ambiguous split", R"g(root ::= x x
x ::= "a" | "aa")g",
       {"aa", "aaa", "aaaa"}, {"a", "aaaaa"}},
      {"bounded class repetition", R"g(root ::= [a-c]{2,4})g", {"ab", "abc", "abca"}, {"a", "abcab", "abd"}},
      {"4-byte class range", R"g(root ::= [😀-🙏]+)g", {"😀", "🙏😀"}, {"☺", "a"}},
      {"negated class over UTF-8", R"g(root ::= [^a]+)g", {"b", "é", "日本"}, {"a", "ba"}},
      {"invalid UTF-8 is rejected", R"g(root ::= .*)g", {"", "any thing é"}, {"\xff", "\xC0\x80", "\xED\xA0\x80"}},
      {"deep nesting through a chain of rules", R"g(root ::= a
a ::= "[" b "]"
b ::= "[" c "]" | "x"
c ::= "[" a "]" | "y")g",
       {"[x]", "[[y]]", "[[[[x]]]]"}, {"[y]", "[[x]]", "[[[x]]"}},
      {"repeated group with alternation inside", R"g(root ::= ("ab" | "c"){2,3})g", {"abc", "cc", "ababab", "cabc"}, {"c", "abababab", "abcabc"}},
      {"optional rule reference", R"g(root ::= sign? digits
sign ::= "+" | "-"
digits ::= [0-9]+)g",
       {"5", "-5", "+42"}, {"+-5", "-", ""}},
      {"any JSON", hearth::sampling::grammar::any_json_gbnf(),
       {R"g({"a": [1, 2.5e3, "x", true, null]})g", "[]", "{}", "\"s\"", "-0.5", "{\n  \"k\": {\"n\": []}\n}", "null"},
       {R"g({"a" 1})g", "[1,]", "{'a': 1}", "01", "tru", "\"\x01\""}},
  };
}

}  // namespace

TEST(GrammarMatch, AcceptAndRejectCases) {
  int n = 0;
  for (const auto& c : cases()) {
    for (const auto& s : c.accept) {
      EXPECT_TRUE(grammar_accepts(c.gbnf, s)) << c.name << ": should accept '" << s << "'";
      ++n;
    }
    for (const auto& s : c.reject) {
      EXPECT_FALSE(grammar_accepts(c.gbnf, s)) << c.name << ": should reject '" << s << "'";
      ++n;
    }
  }
  EXPECT_GE(cases().size(), 30u);
  std::printf("[grammar] %zu grammars, %d accept/reject strings\n", cases().size(), n);
}

TEST(GrammarMatch, PrefixesStayViable) {
  EXPECT_TRUE(grammar_prefix_ok(kArithmetic, "(1+"));
  EXPECT_TRUE(grammar_prefix_ok(kArithmetic, "2*(3-(4"));
  EXPECT_FALSE(grammar_prefix_ok(kArithmetic, "2*)"));
  // Half of a UTF-8 sequence is viable exactly when some completion is in the class.
  EXPECT_TRUE(grammar_prefix_ok(R"g(root ::= [α-ω])g", "\xCE"));
  EXPECT_FALSE(grammar_prefix_ok(R"g(root ::= [α-ω])g", "\xD0"));
  EXPECT_TRUE(grammar_prefix_ok(R"g(root ::= [😀-🙏])g", "\xF0\x9F"));
  EXPECT_FALSE(grammar_prefix_ok(R"g(root ::= [😀-🙏])g", "\xF0\x90"));
  EXPECT_FALSE(grammar_prefix_ok(R"g(root ::= [^é])g", "\xC3\xA9"));
  EXPECT_TRUE(grammar_prefix_ok(R"g(root ::= [^é])g", "\xC3"));
  // ED A0..BF can only become a surrogate (U+D800..DFFF): dead at once, not one byte later.
  EXPECT_FALSE(grammar_prefix_ok(R"g(root ::= .)g", "\xED\xA2"));
  EXPECT_TRUE(grammar_prefix_ok(R"g(root ::= .)g", "\xED\x9F"));
  EXPECT_FALSE(grammar_prefix_ok(R"g(root ::= .)g", "\xE0\x80"));  // overlong
  EXPECT_FALSE(grammar_prefix_ok(R"g(root ::= .)g", "\xF4\x90"));  // beyond U+10FFFF
}

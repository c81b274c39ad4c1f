// Token-level masking: the trie walk must allow exactly the tokens whose bytes keep the parse
// alive (checked against brute force), EOG exactly when the grammar can end, and the mask
// memo must not change results.
#include <gtest/gtest.h>

#include <memory>

#include "core/error.h"
#include "sampling/grammar/filter.h"
#include "sampling/grammar/json_schema.h"
#include "sampling/rng.h"
#include "sampling/sampler.h"

using namespace hearth;
using namespace hearth::sampling;
using namespace hearth::sampling::grammar;

namespace {

// A small vocabulary with single bytes, words, shared prefixes, split UTF-8 and specials.
std::shared_ptr<const TokenTrie> test_vocab() {
  std::vector<std::string> pieces = {"", "</s>"};  // 0: control (no bytes), 1: end of generation
  std::vector<TokenKind> kinds = {TokenKind::Never, TokenKind::EndOfGeneration};
  for (int c = 32; c < 127; ++c) {
    pieces.emplace_back(1, static_cast<char>(c));
    kinds.push_back(TokenKind::Text);
  }
  for (const char* w : {"\n", "{\"", "\":", "\", \"", "true", "false", "null", "tr", "nu", "12", "123", ".5", "},",
                        "\"name\"", "\"na", "me\"", "\"age\"", " \"", "é", "\xC3", "\xA9", "日本", "\xE6\x97", "ab",
                        "abc", "abcd", "[1,", " ]", "\"}", "{}", "-", "e+", "  "}) {
    pieces.emplace_back(w);
    kinds.push_back(TokenKind::Text);
  }
  pieces.emplace_back("<|im_start|>");
  kinds.push_back(TokenKind::Never);
  return std::make_shared<TokenTrie>(pieces, kinds);
}

// Brute force: allowed iff stepping all of the token's bytes keeps some stack alive.
void expect_mask_matches(GrammarFilter& f, GrammarMatcher& brute, GrammarMatcher::StateId s, const TokenTrie& v,
                         const std::string& where) {
  const auto& bits = f.allowed();
  for (size_t id = 0; id < v.n_vocab(); ++id) {
    const auto t = static_cast<int32_t>(id);
    bool expected = false;
    if (v.kind(t) == TokenKind::Text && !v.piece(t).empty())
      expected = brute.step(s, v.piece(t)) != GrammarMatcher::kDead;
    if (v.kind(t) == TokenKind::EndOfGeneration) expected = brute.accepting(s);
    const bool got = (bits[id >> 6] >> (id & 63)) & 1;
    ASSERT_EQ(got, expected) << where << ": token " << id << " '" << v.piece(t) << "'";
  }
}

}  // namespace

TEST(GrammarTokens, MaskEqualsBruteForceAlongRandomWalks) {
  const auto vocab = test_vocab();
  const std::string grammars[] = {
      any_json_gbnf(),
      R"g(root ::= "{" ws "\"name\"" ws ":" ws "\"" [a-zé日本]{1,8} "\"" ws "," ws "\"age\"" ws ":" ws [0-9]{1,3} ws "}"
ws ::= [ \n]{0,2})g",
      R"g(root ::= ("ab" | "abc" | "tr" "ue"?)+ "\n")g",
  };
  for (const auto& gbnf : grammars) {
    const auto g = CompiledGrammar::from_gbnf(gbnf);
    for (uint64_t seed = 0; seed < 8; ++seed) {
      GrammarFilter f(g, vocab);
      GrammarMatcher brute(g);
      auto s = brute.initial();
      Rng rng(seed);
      for (int step = 0; step < 40; ++step) {
        expect_mask_matches(f, brute, s, *vocab, "seed " + std::to_string(seed) + " step " + std::to_string(step));
        // Pick a random allowed text token and advance both.
        std::vector<int32_t> ok;
        const auto& bits = f.allowed();
        for (size_t id = 0; id < vocab->n_vocab(); ++id)
          if (((bits[id >> 6] >> (id & 63)) & 1) && vocab->kind(static_cast<int32_t>(id)) == TokenKind::Text)
            ok.push_back(static_cast<int32_t>(id));
        if (ok.empty()) {
          EXPECT_TRUE(f.finished());
          break;
        }
        const int32_t t = ok[static_cast<size_t>(rng.next() % ok.size())];
        ASSERT_TRUE(f.accept(t));
        s = brute.step(s, vocab->piece(t));
        ASSERT_NE(s, GrammarMatcher::kDead);
      }
    }
  }
}

TEST(GrammarTokens, MemoDoesNotChangeMasks) {
  const auto vocab = test_vocab();
  const auto g = CompiledGrammar::from_gbnf(any_json_gbnf());
  GrammarFilter cached(g, vocab), fresh(g, vocab);
  fresh.set_mask_cache(false);
  for (const char* piece : {"{\"", "na", "me", "\":", " ", "[1,", " ", "2", " ]", "}"}) {
    EXPECT_EQ(cached.allowed(), fresh.allowed()) << piece;
    ASSERT_TRUE(cached.accept_bytes(piece)) << piece;
    ASSERT_TRUE(fresh.accept_bytes(piece)) << piece;
  }
  EXPECT_TRUE(cached.can_end());
  EXPECT_TRUE(cached.finished());
  // At the end only the end-of-generation token is allowed.
  const auto& bits = cached.allowed();
  for (size_t id = 0; id < vocab->n_vocab(); ++id) EXPECT_EQ((bits[id >> 6] >> (id & 63)) & 1, id == 1 ? 1u : 0u) << id;
}

TEST(GrammarTokens, ControlTokensNeverAllowedAndRejectedOnAccept) {
  const auto vocab = test_vocab();
  GrammarFilter f(CompiledGrammar::from_gbnf(R"g(root ::= [^\n]*)g"), vocab);
  EXPECT_FALSE(f.is_allowed(0));
  EXPECT_FALSE(f.is_allowed(static_cast<int32_t>(vocab->n_vocab() - 1)));  // <|im_start|>
  EXPECT_TRUE(f.is_allowed(1));  // can end: empty input matches
  EXPECT_FALSE(f.accept(0));
  EXPECT_FALSE(f.accept(99999));
}

TEST(GrammarTokens, SamplerDrawsOnlyGrammarTokensAndMatchesDistribution) {
  // Chain + grammar: the draw follows softmax restricted to the allowed tokens.
  const auto vocab = test_vocab();
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.grammar = R"g(root ::= [a-c] | "ab" | "abc")g";
  p.seed = 3;
  Sampler s(p, vocab);
  std::vector<float> logits(vocab->n_vocab(), 0.0f);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(i % 5) * 0.3f;
  std::vector<int64_t> counts(logits.size(), 0);
  for (int i = 0; i < 20000; ++i) ++counts[static_cast<size_t>(s.sample(logits))];
  std::vector<int32_t> allowed_ids;
  for (size_t id = 0; id < vocab->n_vocab(); ++id) {
    const auto& piece = vocab->piece(static_cast<int32_t>(id));
    const bool ok = vocab->kind(static_cast<int32_t>(id)) == TokenKind::Text &&
                    (piece == "a" || piece == "b" || piece == "c" || piece == "ab" || piece == "abc");
    if (ok) allowed_ids.push_back(static_cast<int32_t>(id));
    if (!ok) {
      EXPECT_EQ(counts[id], 0) << "token '" << piece << "' is outside the grammar";
    }
  }
  EXPECT_EQ(allowed_ids.size(), 5u);
  double z = 0;
  for (int32_t id : allowed_ids) z += std::exp(logits[static_cast<size_t>(id)]);
  for (int32_t id : allowed_ids)
    EXPECT_NEAR(counts[static_cast<size_t>(id)] / 20000.0, std::exp(logits[static_cast<size_t>(id)]) / z, 0.015);
  // After "ab" only "c" (completing "abc") or the end may follow.
  EXPECT_THROW(s.accept(1000000), Error);
}

TEST(GrammarTokens, TrieSharesPrefixes) {
  TokenTrie t({"ab", "abc", "abd", "b", "ab", "", "x"},
              {TokenKind::Text, TokenKind::Text, TokenKind::Text, TokenKind::Text, TokenKind::Text, TokenKind::Text,
               TokenKind::Never});
  // a, b(under a), c, d, b(root): 5 nodes; the duplicate "ab" shares its node.
  ASSERT_EQ(t.nodes().size(), 5u);
  EXPECT_EQ(t.nodes()[0].subtree_end, 4u);
  EXPECT_EQ(t.tokens_at(t.nodes()[1]).size(), 2u);
  EXPECT_EQ(t.max_depth(), 3u);
}

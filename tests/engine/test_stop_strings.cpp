// Stop strings over streamed text: split across tokens, never emitted, held-back text
// released when it turns out not to be a stop string, bytes attributed to their tokens.
#include <gtest/gtest.h>

#include "engine/stop_strings.h"

using hearth::engine::StopStrings;

namespace {
std::string join(const std::vector<StopStrings::Piece>& pieces) {
  std::string s;
  for (const auto& p : pieces) s += p.text;
  return s;
}

// Feeds each chunk as one token; returns everything emitted (flushing at the end).
std::string feed(StopStrings& s, const std::vector<std::string>& chunks) {
  std::string out;
  for (size_t i = 0; i < chunks.size() && !s.stopped(); ++i) out += join(s.push(chunks[i], static_cast<int64_t>(i)));
  return out + join(s.flush());
}
}  // namespace

TEST(StopStrings, SplitAcrossTokensNeverEmitted) {
  StopStrings s({"\nUser:"});
  EXPECT_EQ(feed(s, {"Hello", " there.", "\n", "Us", "er", ":", " more"}), "Hello there.");
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(s.matched(), "\nUser:");
}

TEST(StopStrings, HoldsBackOnlyPossibleStarts) {
  StopStrings s({"END"});
  EXPECT_EQ(join(s.push("abcE", 0)), "abc");  // "E" could start "END"
  EXPECT_EQ(s.held_bytes(), 1u);
  EXPECT_EQ(join(s.push("Nx", 1)), "ENx");  // "ENx" cannot: released
  EXPECT_EQ(s.held_bytes(), 0u);
  EXPECT_EQ(join(s.push("EN", 2)), "");
  EXPECT_EQ(join(s.flush()), "EN");  // generation ended without the stop string
  EXPECT_FALSE(s.stopped());
}

TEST(StopStrings, EarliestOfSeveralWinsAndInsideOneToken) {
  StopStrings s({"bar", "ob", ""});
  EXPECT_EQ(feed(s, {"foobar"}), "fo");
  EXPECT_EQ(s.matched(), "ob");
  StopStrings none({});
  EXPECT_EQ(feed(none, {"a", "b"}), "ab");
}

TEST(StopStrings, PiecesKeepTheirTokens) {
  StopStrings s({"XYZ"});
  auto a = s.push("ab", 0);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].token, 0);
  EXPECT_TRUE(s.push("cX", 1).size() == 1);  // "c" from token 1, "X" held
  const auto b = s.push("Yq", 2);            // "XYq" released: X from token 1, Yq from token 2
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].text, "X");
  EXPECT_EQ(b[0].token, 1);
  EXPECT_EQ(b[1].text, "Yq");
  EXPECT_EQ(b[1].token, 2);
}

TEST(StopStrings, UnicodeStop) {
  StopStrings s({"→ done"});
  EXPECT_EQ(feed(s, {"ok ", "→", " do", "ne", "!"}), "ok ");
}

#include "sampling/grammar/number_ranges.h"

#include <algorithm>
#include <climits>
#include <vector>

#include "core/error.h"

namespace hearth::sampling::grammar {
namespace {

std::string join_alternatives(const std::vector<std::string>& alts) {
  if (alts.size() == 1) return alts[0];
  std::string s = "(";
  for (size_t i = 0; i < alts.size(); ++i) s += (i ? " | " : "") + alts[i];
  return s + ")";
}

std::string any_digits(size_t n) { return n == 0 ? "" : n == 1 ? "[0-9]" : "[0-9]{" + std::to_string(n) + "}"; }

bool all_of(const std::string& s, size_t from, char c) {
  for (size_t i = from; i < s.size(); ++i)
    if (s[i] != c) return false;
  return true;
}

std::string digit_class(char a, char b) { return a == b ? std::string("\"") + a + "\"" : std::string("[") + a + "-" + b + "]"; }

std::string seq(const std::string& a, const std::string& b) { return b.empty() ? a : a.empty() ? b : a + " " + b; }

// Digit strings of equal length n between lo and hi inclusive (lo <= hi).
std::string same_length(const std::string& lo, const std::string& hi) {
  const size_t n = lo.size();
  if (n == 0) return "";
  if (lo == hi) return "\"" + lo + "\"";
  const size_t rest = n - 1;
  if (lo[0] == hi[0]) return seq(digit_class(lo[0], lo[0]), same_length(lo.substr(1), hi.substr(1)));
  std::vector<std::string> alts;
  char start = lo[0], end = hi[0];
  if (!all_of(lo, 1, '0')) {
    alts.push_back(seq(digit_class(lo[0], lo[0]), same_length(lo.substr(1), std::string(rest, '9'))));
    ++start;
  }
  std::string tail;
  if (!all_of(hi, 1, '9')) {
    tail = seq(digit_class(hi[0], hi[0]), same_length(std::string(rest, '0'), hi.substr(1)));
    --end;
  }
  if (start <= end) alts.push_back(seq(digit_class(start, end), any_digits(rest)));
  if (!tail.empty()) alts.push_back(tail);
  return join_alternatives(alts);
}

int64_t pow10(size_t n) {
  int64_t v = 1;
  while (n--) v *= 10;
  return v;
}

// Internally an open upper end is kOpen (std::optional trips GCC 12's flow warnings here).
constexpr int64_t kOpen = INT64_MAX;

// Non-negative integers in [a, b] (b may be kOpen), no leading zeros. Requires a <= b.
std::string non_negative(int64_t a, int64_t b) {
  const size_t la = std::to_string(a).size();
  const size_t lb = b != kOpen ? std::to_string(b).size() : la;
  std::vector<std::string> alts;
  for (size_t len = la; len <= lb; ++len) {
    const int64_t lo = len == la ? a : pow10(len - 1);
    const int64_t hi = b != kOpen && len == lb ? b : pow10(len) - 1;
    if (lo <= hi) alts.push_back(same_length(std::to_string(lo), std::to_string(hi)));
  }
  if (b == kOpen) {
    std::string longer = "[1-9] [0-9]{";
    longer += std::to_string(la);
    longer += ",";
    longer += std::to_string(std::max<size_t>(la, 15));
    longer += "}";
    alts.push_back(longer);
  }
  return join_alternatives(alts);
}

// Magnitudes in [a, b] (b may be kOpen) with an optional fraction: any fraction below b,
// only zeros at b.
std::string magnitude_with_fraction(int64_t a, int64_t b) {
  const std::string any_fraction = " (\".\" [0-9]{1,16})?";
  std::vector<std::string> alts;
  if (b == kOpen) {
    alts.push_back(non_negative(a, kOpen) + any_fraction);
  } else {
    if (b - 1 >= a) alts.push_back(non_negative(a, b - 1) + any_fraction);
    std::string at_max = "\"";
    at_max += std::to_string(b);
    at_max += "\" (\".\" \"0\"{1,16})?";
    alts.push_back(at_max);
  }
  return join_alternatives(alts);
}

using Part = std::string (*)(int64_t, int64_t);

// Non-negative values via `part` on [max(lo, 0), hi], negatives as "-" and `part` on the
// magnitudes [max(-hi, neg_min), -lo]; neg_min is 1 for integers and 0 for numbers (-0.5).
std::string signed_range(std::optional<int64_t> lo_opt, std::optional<int64_t> hi_opt, Part part, int64_t neg_min) {
  for (auto v : {lo_opt, hi_opt})
    if (v && (*v > kMaxBound || *v < -kMaxBound)) fail("json schema: bound {} is beyond ±1e18", *v);
  const int64_t lo = lo_opt.value_or(-kOpen), hi = hi_opt.value_or(kOpen);
  if (lo > hi) fail("json schema: minimum {} is above maximum {}: no value fits", lo, hi);
  std::vector<std::string> alts;
  if (hi >= 0) alts.push_back(part(std::max<int64_t>(lo, 0), hi));
  if (lo < 0) {
    std::string neg = "\"-\" ";
    neg += part(hi < 0 ? -hi : neg_min, lo == -kOpen ? kOpen : -lo);
    alts.push_back(neg);
  }
  return join_alternatives(alts);
}

}  // namespace

std::string integer_range_gbnf(std::optional<int64_t> lo, std::optional<int64_t> hi) {
  return signed_range(lo, hi, non_negative, 1);
}

std::string number_range_gbnf(std::optional<int64_t> lo, std::optional<int64_t> hi) {
  return signed_range(lo, hi, magnitude_with_fraction, 0);
}

}  // namespace hearth::sampling::grammar

#include "chat/text.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

namespace hearth::chat::text {

uint32_t next_code_point(std::string_view s, size_t& pos) {
  const auto b0 = static_cast<uint8_t>(s[pos]);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  size_t len = 0;
  uint32_t cp = 0, min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  }
  if (len == 0 || pos + len > s.size()) {
    ++pos;
    return b0;
  }
  for (size_t i = 1; i < len; ++i) {
    const auto b = static_cast<uint8_t>(s[pos + i]);
    if ((b & 0xC0) != 0x80) {
      ++pos;
      return b0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++pos;
    return b0;
  }
  pos += len;
  return cp;
}

std::vector<std::string_view> split_code_points(std::string_view s) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    next_code_point(s, pos);
    out.push_back(s.substr(start, pos - start));
  }
  return out;
}

size_t utf16_length(std::string_view s) {
  size_t n = 0, pos = 0;
  while (pos < s.size()) n += next_code_point(s, pos) >= 0x10000 ? 2 : 1;
  return n;
}

bool is_js_space(uint32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000: case 0xFEFF:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

namespace {

template <typename Pred>
std::string_view trim_if(std::string_view s, bool left, bool right, Pred strip) {
  size_t begin = 0, end = s.size();
  if (left) {
    while (begin < end) {
      size_t pos = begin;
      if (!strip(next_code_point(s, pos))) break;
      begin = pos;
    }
  }
  if (right) {
    while (end > begin) {
      size_t start = end - 1;
      while (start > begin && (static_cast<uint8_t>(s[start]) & 0xC0) == 0x80 && end - start < 4) --start;
      size_t pos = start;
      uint32_t cp = next_code_point(s, pos);
      if (pos != end) {  // not a well-formed sequence ending here: look at the last byte alone
        start = end - 1;
        cp = static_cast<uint8_t>(s[start]);
      }
      if (!strip(cp)) break;
      end = start;
    }
  }
  return s.substr(begin, end - begin);
}

}  // namespace

std::string_view trim_js(std::string_view s, bool left, bool right) {
  return trim_if(s, left, right, is_js_space);
}

std::string_view trim_chars(std::string_view s, std::string_view chars, bool left, bool right) {
  std::vector<uint32_t> set;
  for (size_t pos = 0; pos < chars.size();) set.push_back(next_code_point(chars, pos));
  return trim_if(s, left, right, [&](uint32_t cp) {
    for (uint32_t c : set)
      if (c == cp) return true;
    return false;
  });
}

namespace {

// Ranges where upper case sits on even code points and lower case on the next odd one.
constexpr std::array<std::pair<uint32_t, uint32_t>, 9> kEvenUpperPairs{{{0x0100, 0x012F},
                                                                         {0x0132, 0x0137},
                                                                         {0x014A, 0x0177},
                                                                         {0x0460, 0x0481},
                                                                         {0x048A, 0x04BF},
                                                                         {0x04D0, 0x052F},
                                                                         {0x1E00, 0x1E95},
                                                                         {0x1EA0, 0x1EFF},
                                                                         {0x01DE, 0x01EF}}};
// Ranges where upper case sits on odd code points and lower case on the next even one.
constexpr std::array<std::pair<uint32_t, uint32_t>, 4> kOddUpperPairs{
    {{0x0139, 0x0148}, {0x0179, 0x017E}, {0x04C1, 0x04CE}, {0x01CD, 0x01DC}}};

uint32_t upper_cp(uint32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
  if (c == 0xB5) return 0x39C;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 0x20;
  if (c == 0xFF) return 0x178;
  if (c == 0x131) return 'I';
  if (c == 0x17F) return 'S';
  for (auto [lo, hi] : kEvenUpperPairs)
    if (c >= lo && c <= hi) return (c - lo) % 2 == 1 ? c - 1 : c;
  for (auto [lo, hi] : kOddUpperPairs)
    if (c >= lo && c <= hi) return (c - lo) % 2 == 1 ? c - 1 : c;
  if ((c >= 0x3B1 && c <= 0x3C1) || (c >= 0x3C3 && c <= 0x3CB)) return c - 0x20;
  if (c == 0x3C2) return 0x3A3;
  if (c == 0x3AC) return 0x386;
  if (c >= 0x3AD && c <= 0x3AF) return c - 0x25;
  if (c == 0x3CC) return 0x38C;
  if (c == 0x3CD || c == 0x3CE) return c - 0x3F;
  if (c >= 0x430 && c <= 0x44F) return c - 0x20;
  if (c >= 0x450 && c <= 0x45F) return c - 0x50;
  if (c == 0x4CF) return 0x4C0;
  if (c >= 0x561 && c <= 0x586) return c - 0x30;
  if (c >= 0xFF41 && c <= 0xFF5A) return c - 0x20;
  return c;
}

uint32_t lower_cp(uint32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
  if (c == 0x178) return 0xFF;
  for (auto [lo, hi] : kEvenUpperPairs)
    if (c >= lo && c <= hi) return (c - lo) % 2 == 0 ? c + 1 : c;
  for (auto [lo, hi] : kOddUpperPairs)
    if (c >= lo && c <= hi) return (c - lo) % 2 == 0 ? c + 1 : c;
  if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB)) return c + 0x20;
  if (c == 0x386) return 0x3AC;
  if (c >= 0x388 && c <= 0x38A) return c + 0x25;
  if (c == 0x38C) return 0x3CC;
  if (c == 0x38E || c == 0x38F) return c + 0x3F;
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  if (c == 0x4C0) return 0x4CF;
  if (c >= 0x531 && c <= 0x556) return c + 0x30;
  if (c == 0x1E9E) return 0xDF;
  if (c >= 0xFF21 && c <= 0xFF3A) return c + 0x20;
  return c;
}

}  // namespace

std::string to_upper(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) {
    const size_t start = pos;
    const uint32_t cp = next_code_point(s, pos);
    if (cp == 0xDF) {
      out += "SS";
    } else if (pos - start == 1 && cp >= 0x80) {
      out += s[start];  // a stray byte stays as it was
    } else {
      append_utf8(out, upper_cp(cp));
    }
  }
  return out;
}

std::string to_lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) {
    const size_t start = pos;
    const uint32_t cp = next_code_point(s, pos);
    if (cp == 0x130) {
      out += "i\xCC\x87";  // U+0130 lowers to i + combining dot above
    } else if (pos - start == 1 && cp >= 0x80) {
      out += s[start];
    } else {
      append_utf8(out, lower_cp(cp));
    }
  }
  return out;
}

namespace {
bool is_ascii_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
}  // namespace

std::string title_js(std::string_view s) {
  std::string out(s);
  for (size_t i = 0; i < out.size(); ++i)
    if (is_ascii_word(out[i]) && (i == 0 || !is_ascii_word(out[i - 1])) && out[i] >= 'a' && out[i] <= 'z')
      out[i] = static_cast<char>(out[i] - 32);
  return out;
}

std::string capitalize_js(std::string_view s) {
  if (s.empty()) return {};
  size_t pos = 0;
  const uint32_t cp = next_code_point(s, pos);
  if (cp >= 0x10000 || (pos == 1 && cp >= 0x80)) return std::string(s);
  std::string out = to_upper(s.substr(0, pos));
  out.append(s.substr(pos));
  return out;
}

void append_json_quoted(std::string& out, std::string_view s, bool ensure_ascii) {
  out += '"';
  for (size_t pos = 0; pos < s.size();) {
    const size_t start = pos;
    const uint32_t cp = next_code_point(s, pos);
    switch (cp) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (cp < 0x20) {
      out += fmt::format("\\u{:04x}", cp);
    } else if (ensure_ascii && cp >= 0x7F) {
      if (cp >= 0x10000) {
        const uint32_t v = cp - 0x10000;
        out += fmt::format("\\u{:04x}\\u{:04x}", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
      } else {
        out += fmt::format("\\u{:04x}", cp);
      }
    } else {
      out.append(s.substr(start, pos - start));
    }
  }
  out += '"';
}

namespace {

// CLDR root collation order of printable ASCII (letters share a primary weight per pair).
constexpr std::string_view kAsciiOrder =
    " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ";

struct CollationTable {
  std::array<uint16_t, 128> primary{};  // 0 = ignorable
  CollationTable() {
    primary['\t'] = 1, primary['\n'] = 2, primary['\v'] = 3, primary['\f'] = 4, primary['\r'] = 5;
    uint16_t w = 10;
    for (size_t i = 0; i < kAsciiOrder.size(); ++i) {
      const auto c = static_cast<unsigned char>(kAsciiOrder[i]);
      if (c >= 'A' && c <= 'Z') {
        primary[c] = primary[c + 32];
      } else {
        primary[c] = w++;
      }
    }
  }
};

struct CollationKey {
  std::vector<uint32_t> primary;
  std::vector<uint8_t> tertiary;
};

CollationKey collation_key(std::string_view s) {
  static const CollationTable table;
  CollationKey key;
  for (size_t pos = 0; pos < s.size();) {
    const uint32_t cp = next_code_point(s, pos);
    const uint32_t w = cp < 128 ? table.primary[cp] : 1000 + cp;
    if (w == 0) continue;
    key.primary.push_back(w);
    key.tertiary.push_back(cp >= 'A' && cp <= 'Z' ? 1 : 0);
  }
  return key;
}

}  // namespace

int locale_compare(std::string_view a, std::string_view b) {
  const CollationKey ka = collation_key(a), kb = collation_key(b);
  if (ka.primary != kb.primary) return ka.primary < kb.primary ? -1 : 1;
  if (ka.tertiary != kb.tertiary) return ka.tertiary < kb.tertiary ? -1 : 1;
  return 0;
}

std::string js_number(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return "0";
  std::string sign = d < 0 ? "-" : "";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(d), std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  const size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos))
    if (c != '.') digits += c;
  int exp10 = 0;
  std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exp10);
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // value = 0.digits * 10^n
  std::string out = sign;
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out += '.';
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += n - 1 >= 0 ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

std::string js_float_display(double d) {
  if (d == 0 && std::signbit(d)) return "-0.0";
  if (std::isfinite(d) && std::fmod(d, 1.0) == 0) {
    if (std::fabs(d) >= 1e21) return js_number(d);
    return fmt::format("{:.1f}", d);
  }
  return js_number(d);
}

namespace {

std::string_view skip_leading_space(std::string_view s) { return trim_js(s, true, false); }

// Length of the longest StrDecimalLiteral prefix (no sign, no Infinity); 0 if none.
size_t decimal_prefix(std::string_view s) {
  size_t i = 0, digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    size_t j = i + 1, frac = 0;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j, ++frac;
    if (digits + frac > 0) i = j, digits += frac;
  }
  if (digits == 0) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    const size_t exp_start = j;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    if (j > exp_start) i = j;
  }
  return i;
}

double parse_decimal(std::string_view s) {
  double v = 0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec == std::errc::result_out_of_range) {
    // from_chars leaves v untouched on overflow/underflow: decide by the exponent's sign.
    const bool tiny = s.find("e-") != std::string_view::npos || s.find("E-") != std::string_view::npos;
    return tiny ? 0.0 : HUGE_VAL;
  }
  return v;
}

}  // namespace

std::optional<double> js_parse_int(std::string_view s) {
  s = skip_leading_space(s);
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) neg = s[0] == '-', s.remove_prefix(1);
  size_t i = 0;
  double v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
  if (i == 0) return std::nullopt;
  return neg ? -v : v;
}

std::optional<double> js_parse_float(std::string_view s) {
  s = skip_leading_space(s);
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) neg = s[0] == '-', s.remove_prefix(1);
  if (s.starts_with("Infinity")) return neg ? -HUGE_VAL : HUGE_VAL;
  const size_t n = decimal_prefix(s);
  if (n == 0) return std::nullopt;
  const double v = parse_decimal(s.substr(0, n));
  return neg ? -v : v;
}

std::optional<double> js_to_number(std::string_view s) {
  s = trim_js(s);
  if (s.empty()) return 0.0;
  if (s.size() > 2 && s[0] == '0' && (s[1] | 0x20) != '.') {
    const char kind = static_cast<char>(s[1] | 0x20);
    const int base = kind == 'x' ? 16 : kind == 'o' ? 8 : kind == 'b' ? 2 : 0;
    if (base != 0) {
      double v = 0;
      for (char c : s.substr(2)) {
        const int d = (c >= '0' && c <= '9') ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : 99;
        if (d >= base) return std::nullopt;
        v = v * base + d;
      }
      return v;
    }
  }
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') neg = s[0] == '-', s.remove_prefix(1);
  if (s == "Infinity") return neg ? -HUGE_VAL : HUGE_VAL;
  const size_t n = decimal_prefix(s);
  if (n == 0 || n != s.size()) return std::nullopt;
  const double v = parse_decimal(s);
  return neg ? -v : v;
}

}  // namespace hearth::chat::text

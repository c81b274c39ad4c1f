#include "sampling/grammar/gbnf_parser.h"

#include <charconv>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/error.h"

namespace hearth::sampling::grammar {
namespace {

constexpr uint32_t kMaxRepetition = 10000;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Grammar parse() {
    skip_space();
    while (pos_ < s_.size()) {
      parse_rule();
      skip_space();
    }
    for (const auto& [name, info] : names_)
      if (!info.defined) error_at(info.first_use, "rule '{}' is used but never defined", name);
    auto root = names_.find("root");
    if (root == names_.end()) error_at(s_.size(), "the grammar has no 'root' rule");
    g_.root = root->second.id;
    return std::move(g_);
  }

 private:
  struct NameInfo {
    uint32_t id;
    bool defined = false;
    size_t first_use;
  };

  template <typename... Args>
  [[noreturn]] void error_at(size_t at, fmt::format_string<Args...> f, Args&&... args) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < s_.size(); ++i) {
      const auto c = static_cast<unsigned char>(s_[i]);
      if (c == '\n') {
        ++line;
        col = 1;
      } else if ((c & 0xC0) != 0x80) {
        ++col;  // count characters, not UTF-8 continuation bytes
      }
    }
    fail("grammar: line {}, column {}: {}", line, col, fmt::format(f, std::forward<Args>(args)...));
  }

  bool at_end() const { return pos_ >= s_.size(); }
  char peek(size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }

  void skip_space() {
    while (!at_end()) {
      const char c = peek();
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else if (c == '#') {
        while (!at_end() && peek() != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  std::string_view parse_name() {
    const size_t start = pos_;
    while (!at_end() && is_name_char(peek())) ++pos_;
    if (pos_ == start) error_at(start, "expected a rule name");
    return s_.substr(start, pos_ - start);
  }

  // True when a rule definition (`name ::=`) starts here: the end of the current rule.
  bool at_rule_start() const {
    size_t i = pos_;
    while (i < s_.size() && is_name_char(s_[i])) ++i;
    if (i == pos_) return false;
    while (i < s_.size() && (s_[i] == ' ' || s_[i] == '\t' || s_[i] == '\n' || s_[i] == '\r')) ++i;
    return s_.substr(i, 3) == "::=";
  }

  uint32_t rule_id(std::string_view name, size_t use_pos) {
    auto it = names_.find(std::string(name));
    if (it != names_.end()) return it->second.id;
    const auto id = static_cast<uint32_t>(g_.rules.size());
    g_.rules.push_back(Rule{std::string(name), {}});
    names_.emplace(std::string(name), NameInfo{id, false, use_pos});
    return id;
  }

  uint32_t new_helper_rule(std::vector<Sequence> alternatives) {
    const auto id = static_cast<uint32_t>(g_.rules.size());
    g_.rules.push_back(Rule{fmt::format("{}_{}", current_rule_, ++helper_count_), std::move(alternatives)});
    return id;
  }

  void parse_rule() {
    const size_t start = pos_;
    const std::string_view name = parse_name();
    skip_space();
    if (s_.substr(pos_, 3) != "::=") error_at(pos_, "expected '::=' after rule name '{}'", name);
    pos_ += 3;
    const uint32_t id = rule_id(name, start);
    auto& info = names_.find(std::string(name))->second;
    if (info.defined) error_at(start, "rule '{}' is defined twice", name);
    info.defined = true;
    current_rule_ = std::string(name);
    helper_count_ = 0;
    std::vector<Sequence> alts = parse_alternatives(false);
    g_.rules[id].alternatives = std::move(alts);
  }

  std::vector<Sequence> parse_alternatives(bool nested) {
    std::vector<Sequence> alts;
    alts.push_back(parse_sequence(nested));
    while (peek() == '|') {
      ++pos_;
      alts.push_back(parse_sequence(nested));
    }
    return alts;
  }

  Sequence parse_sequence(bool nested) {
    Sequence seq;
    for (;;) {
      skip_space();
      if (at_end() || peek() == '|') break;
      if (peek() == ')') {
        if (!nested) error_at(pos_, "unexpected ')'");
        break;
      }
      if (!nested && at_rule_start()) break;
      Sequence atom = parse_atom();
      apply_repetition(atom);
      seq.insert(seq.end(), atom.begin(), atom.end());
    }
    return seq;
  }

  Sequence parse_atom() {
    const size_t start = pos_;
    const char c = peek();
    if (c == '"') {
      ++pos_;
      Sequence seq;
      while (peek() != '"') {
        if (at_end()) error_at(start, "unterminated string literal");
        if (peek() == '\n') error_at(pos_, "line break inside a string literal (write \\n)");
        seq.push_back(char_symbol(parse_char()));
      }
      ++pos_;
      return seq;
    }
    if (c == '[') return {class_symbol(parse_class())};
    if (c == '.') {
      ++pos_;
      return {class_symbol(CharClass{{}, true})};
    }
    if (c == '(') {
      ++pos_;
      std::vector<Sequence> alts = parse_alternatives(true);
      skip_space();
      if (peek() != ')') error_at(start, "unclosed '('");
      ++pos_;
      if (alts.size() == 1 && alts[0].size() == 1) return alts[0];
      return {Symbol{Symbol::Kind::Rule, new_helper_rule(std::move(alts))}};
    }
    if (is_name_char(c)) {
      const std::string_view name = parse_name();
      return {Symbol{Symbol::Kind::Rule, rule_id(name, start)}};
    }
    if (c == '*' || c == '+' || c == '?' || c == '{') error_at(pos_, "'{}' has nothing to repeat", c);
    error_at(pos_, "unexpected character '{}'", c);
  }

  // A repetition operator after an atom, if any, replaces the atom by its expansion.
  void apply_repetition(Sequence& atom) {
    const char c = peek();
    if (c != '*' && c != '+' && c != '?' && c != '{') return;
    uint32_t min = 0;
    std::optional<uint32_t> max;
    if (c == '{') {
      const size_t brace = pos_;
      ++pos_;
      skip_space();
      const std::optional<uint32_t> lo = parse_count();
      skip_space();
      if (peek() == ',') {
        ++pos_;
        skip_space();
        max = parse_count();
        skip_space();
      } else {
        if (!lo) error_at(pos_, "expected a number in '{{m,n}}'");
        max = lo;
      }
      if (peek() != '}') error_at(brace, "unclosed '{{' (write {{m}}, {{m,}}, {{m,n}} or {{,n}})");
      ++pos_;
      min = lo.value_or(0);
      if (max && *max < min) error_at(brace, "repetition {{{},{}}} has its maximum below its minimum", min, *max);
    } else {
      ++pos_;
      min = c == '+' ? 1 : 0;
      if (c == '?') max = 1;
    }
    if (atom.empty()) return;  // repeating the empty string matches the empty string
    if (atom.size() > 1)
      atom = {Symbol{Symbol::Kind::Rule, new_helper_rule({atom})}};
    const Symbol x = atom[0];
    Sequence out(min, x);
    const Symbol self{Symbol::Kind::Rule, static_cast<uint32_t>(g_.rules.size())};
    if (!max) {
      // x* ::= x x* | ε
      new_helper_rule({{x, self}, {}});
      out.push_back(self);
    } else if (*max > min) {
      // Optional tail of (max - min) copies, nested: o_k ::= x o_{k-1} | ε, o_1 ::= x | ε.
      std::optional<Symbol> inner;
      for (uint32_t k = 0; k < *max - min; ++k) {
        Sequence first{x};
        if (inner) first.push_back(*inner);
        inner = Symbol{Symbol::Kind::Rule, new_helper_rule({first, {}})};
      }
      out.push_back(*inner);
    }
    atom = std::move(out);
  }

  std::optional<uint32_t> parse_count() {
    const size_t start = pos_;
    while (!at_end() && peek() >= '0' && peek() <= '9') ++pos_;
    if (pos_ == start) return std::nullopt;
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s_.data() + start, s_.data() + pos_, v);
    if (ec != std::errc() || v > kMaxRepetition)
      error_at(start, "repetition count {} is too large (at most {})", s_.substr(start, pos_ - start), kMaxRepetition);
    return static_cast<uint32_t>(v);
  }

  CharClass parse_class() {
    const size_t start = pos_;
    ++pos_;  // '['
    CharClass cls;
    if (peek() == '^') {
      cls.negated = true;
      ++pos_;
    }
    while (peek() != ']') {
      if (at_end()) error_at(start, "unterminated character class");
      const size_t lo_pos = pos_;
      const uint32_t lo = parse_char();
      uint32_t hi = lo;
      if (peek() == '-' && peek(1) != ']' && pos_ + 1 < s_.size()) {
        ++pos_;
        hi = parse_char();
        if (hi < lo) error_at(lo_pos, "character range is backwards (U+{:04X} > U+{:04X})", lo, hi);
      }
      cls.ranges.push_back({lo, hi});
    }
    ++pos_;
    return cls;
  }

  // One character of a literal or class: an escape or a UTF-8 encoded code point.
  uint32_t parse_char() {
    const size_t start = pos_;
    const auto c = static_cast<unsigned char>(peek());
    if (c == '\\') {
      ++pos_;
      if (at_end()) error_at(start, "the grammar ends inside an escape");
      const char e = peek();
      ++pos_;
      switch (e) {
        case 'n': return '\n';
        case 'r': return '\r';
        case 't': return '\t';
        case 'f': return '\f';
        case 'v': return '\v';
        case 'b': return '\b';
        case '0': return 0;
        case '\\': case '"': case '\'': case '[': case ']': case '-': case '^': case '/': return static_cast<uint32_t>(e);
        case 'x': return parse_hex(2, start);
        case 'u': return parse_hex(4, start);
        case 'U': return parse_hex(8, start);
        default: error_at(start, "unknown escape '\\{}'", e);
      }
    }
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || pos_ + static_cast<size_t>(len) > s_.size()) error_at(start, "invalid UTF-8 in the grammar");
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (int i = 1; i < len; ++i) {
      const auto cc = static_cast<unsigned char>(s_[pos_ + static_cast<size_t>(i)]);
      if ((cc & 0xC0) != 0x80) error_at(start, "invalid UTF-8 in the grammar");
      cp = (cp << 6) | (cc & 0x3F);
    }
    pos_ += static_cast<size_t>(len);
    return cp;
  }

  uint32_t parse_hex(int digits, size_t start) {
    uint32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      const char h = peek();
      int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
      if (d < 0) error_at(start, "escape needs {} hex digits", digits);
      v = v * 16 + static_cast<uint32_t>(d);
      ++pos_;
    }
    if (v > 0x10FFFF) error_at(start, "code point U+{:X} is beyond U+10FFFF", v);
    return v;
  }

  Symbol char_symbol(uint32_t cp) {
    auto [it, fresh] = single_chars_.try_emplace(cp, static_cast<uint32_t>(g_.classes.size()));
    if (fresh) g_.classes.push_back(CharClass{{{cp, cp}}, false});
    return {Symbol::Kind::Char, it->second};
  }

  Symbol class_symbol(CharClass cls) {
    g_.classes.push_back(std::move(cls));
    return {Symbol::Kind::Char, static_cast<uint32_t>(g_.classes.size() - 1)};
  }

  std::string_view s_;
  size_t pos_ = 0;
  Grammar g_;
  std::map<std::string, NameInfo> names_;
  std::unordered_map<uint32_t, uint32_t> single_chars_;
  std::string current_rule_;
  uint32_t helper_count_ = 0;
};

}  // namespace

Grammar parse_gbnf(std::string_view text) { return Parser(text).parse(); }

}  // namespace hearth::sampling::grammar

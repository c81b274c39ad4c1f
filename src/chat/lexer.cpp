#include "chat/lexer.h"

#include <fmt/format.h>

#include <array>
#include <cstring>

#include "chat/errors.h"
#include "chat/text.h"

namespace hearth::chat::jinja {

SourcePos locate(std::string_view source, uint32_t offset) {
  SourcePos p{1, 1};
  size_t pos = 0;
  const size_t end = std::min<size_t>(offset, source.size());
  while (pos < end) {
    if (source[pos] == '\n') {
      ++p.line, p.column = 1, ++pos;
      continue;
    }
    text::next_code_point(source, pos);
    ++p.column;
  }
  return p;
}

namespace {

// Text with, for every byte, the offset it came from in the original source.
struct Mapped {
  std::string text;
  std::vector<uint32_t> origin;
  uint32_t end_origin = 0;  // origin of the position just past the end

  void push(char c, uint32_t from) {
    text += c;
    origin.push_back(from);
  }
  void push_range(const Mapped& src, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) push(src.text[i], src.origin[i]);
  }
  uint32_t origin_at(size_t i) const { return i < origin.size() ? origin[i] : end_origin; }
};

// Byte length of a JavaScript whitespace code point starting at pos (0 if none).
size_t space_at(std::string_view s, size_t pos) {
  if (pos >= s.size()) return 0;
  size_t next = pos;
  return text::is_js_space(text::next_code_point(s, next)) ? next - pos : 0;
}

// Byte length of a JavaScript whitespace code point ending just before pos (0 if none).
size_t space_before(std::string_view s, size_t pos, size_t floor) {
  for (size_t len = 1; len <= 3 && len <= pos - floor; ++len) {
    size_t start = pos - len, next = start;
    if (text::is_js_space(text::next_code_point(s, next)) && next == pos) return len;
  }
  return 0;
}

bool is_line_terminator_end(const std::string& t, size_t i) {  // t[i] ends a line terminator
  const auto c = static_cast<unsigned char>(t[i]);
  if (c == '\n' || c == '\r') return true;
  return (c == 0xA8 || c == 0xA9) && i >= 2 && static_cast<unsigned char>(t[i - 2]) == 0xE2 &&
         static_cast<unsigned char>(t[i - 1]) == 0x80;
}

Mapped lstrip_blocks(const Mapped& in) {
  Mapped out;
  out.end_origin = in.end_origin;
  const std::string& t = in.text;
  bool line_start = true;
  for (size_t i = 0; i < t.size();) {
    if (line_start) {
      size_t j = i;
      while (j < t.size() && (t[j] == ' ' || t[j] == '\t')) ++j;
      if (j + 1 < t.size() && t[j] == '{' && (t[j + 1] == '#' || t[j + 1] == '%' || t[j + 1] == '-')) i = j;
      line_start = false;
      if (i >= t.size()) break;
    }
    out.push(t[i], in.origin[i]);
    line_start = is_line_terminator_end(t, i);
    ++i;
  }
  return out;
}

Mapped trim_blocks(const Mapped& in) {
  Mapped out;
  out.end_origin = in.end_origin;
  const std::string& t = in.text;
  for (size_t i = 0; i < t.size();) {
    if (i + 2 < t.size() && (t[i] == '#' || t[i] == '%' || t[i] == '-') && t[i + 1] == '}' && t[i + 2] == '\n') {
      out.push_range(in, i, i + 2);
      i += 3;
      continue;
    }
    out.push(t[i], in.origin[i]);
    ++i;
  }
  return out;
}

// Matches {%-? \s* (end)?generation \s* -?%} at pos; returns the end offset or 0.
size_t match_generation_tag(std::string_view t, size_t pos, bool& lstrip, bool& rstrip) {
  if (t.substr(pos, 2) != "{%") return 0;
  size_t i = pos + 2;
  lstrip = i < t.size() && t[i] == '-';
  if (lstrip) ++i;
  while (size_t n = space_at(t, i)) i += n;
  if (t.substr(i, 3) == "end") i += 3;
  if (t.substr(i, 10) != "generation") return 0;
  i += 10;
  while (size_t n = space_at(t, i)) i += n;
  rstrip = i < t.size() && t[i] == '-';
  if (rstrip) ++i;
  if (t.substr(i, 2) != "%}") return 0;
  return i + 2;
}

Mapped strip_generation_tags(const Mapped& in) {
  const std::string& t = in.text;
  if (t.find("generation") == std::string::npos) return in;
  Mapped out;
  out.end_origin = in.end_origin;
  size_t copied = 0;
  for (size_t k = t.find("{%"); k != std::string::npos; k = t.find("{%", k + 1)) {
    if (k < copied) continue;
    bool lstrip = false, rstrip = false;
    const size_t tag_end = match_generation_tag(t, k, lstrip, rstrip);
    if (tag_end == 0) continue;
    size_t before = k;
    while (size_t n = space_before(t, before, copied)) before -= n;
    size_t after = tag_end;
    while (size_t n = space_at(t, after)) after += n;
    out.push_range(in, copied, before);
    if (!lstrip) out.push_range(in, before, k);
    if (!rstrip) out.push_range(in, tag_end, after);
    copied = after;
    k = after - 1;
  }
  out.push_range(in, copied, t.size());
  return out;
}

Mapped preprocess(std::string_view source) {
  Mapped m;
  if (source.ends_with('\n')) source.remove_suffix(1);
  m.text.assign(source);
  m.origin.resize(source.size());
  for (size_t i = 0; i < source.size(); ++i) m.origin[i] = static_cast<uint32_t>(i);
  m.end_origin = static_cast<uint32_t>(source.size());
  return strip_generation_tags(trim_blocks(lstrip_blocks(m)));
}

struct Op {
  std::string_view text;
  Tok type;
};
// Same order as the reference's mapping table: longer operators before their prefixes.
constexpr std::array<Op, 29> kOps{{{"{%", Tok::OpenStatement}, {"%}", Tok::CloseStatement},
                                   {"{{", Tok::OpenExpression}, {"}}", Tok::CloseExpression},
                                   {"(", Tok::LParen},          {")", Tok::RParen},
                                   {"{", Tok::LBrace},          {"}", Tok::RBrace},
                                   {"[", Tok::LBracket},        {"]", Tok::RBracket},
                                   {",", Tok::Comma},           {".", Tok::Dot},
                                   {":", Tok::Colon},           {"|", Tok::Pipe},
                                   {"<=", Tok::Le},             {">=", Tok::Ge},
                                   {"==", Tok::Eq},             {"!=", Tok::Ne},
                                   {"<", Tok::Lt},              {">", Tok::Gt},
                                   {"+", Tok::Plus},            {"-", Tok::Minus},
                                   {"~", Tok::Tilde},           {"**", Tok::StarStar},
                                   {"*", Tok::Star},            {"//", Tok::SlashSlash},
                                   {"/", Tok::Slash},           {"%", Tok::Percent},
                                   {"=", Tok::Assign}}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

class Lexer {
 public:
  Lexer(std::string_view original) : original_(original), src_(preprocess(original)), s_(src_.text) {}

  std::vector<Token> run() {
    while (pos_ < s_.size()) step();
    return std::move(tokens_);
  }

 private:
  [[noreturn]] void fail_at(size_t pos, const std::string& msg) const {
    const SourcePos p = locate(original_, src_.origin_at(pos));
    throw TemplateError(fmt::format("line {}, column {}: {}", p.line, p.column, msg));
  }

  void push(Tok type, std::string value, size_t at) {
    tokens_.push_back(Token{type, std::move(value), src_.origin_at(at)});
  }

  bool expects_text() const {
    if (force_text_) return true;
    if (tokens_.empty()) return true;
    const Tok t = tokens_.back().type;
    return t == Tok::CloseStatement || t == Tok::CloseExpression || t == Tok::Comment;
  }

  bool at_tag_open(size_t i) const {
    return i + 1 < s_.size() && s_[i] == '{' && (s_[i + 1] == '%' || s_[i + 1] == '{' || s_[i + 1] == '#');
  }

  void strip_trailing_text() {
    if (tokens_.empty() || tokens_.back().type != Tok::Text) return;
    std::string& v = tokens_.back().value;
    v.resize(text::trim_js(v, false, true).size());
    if (v.empty()) tokens_.pop_back();
  }

  void skip_spaces() {
    while (size_t n = space_at(s_, pos_)) pos_ += n;
  }

  void step() {
    if (expects_text()) {
      force_text_ = false;
      const size_t start = pos_;
      while (pos_ < s_.size() && !at_tag_open(pos_)) ++pos_;
      if (pos_ > start) {
        push(Tok::Text, std::string(s_.substr(start, pos_ - start)), start);
        return;
      }
    }
    if (s_.compare(pos_, 2, "{#") == 0) return comment();
    if (s_.compare(pos_, 3, "{%-") == 0) {
      strip_trailing_text();
      push(Tok::OpenStatement, "{%", pos_);
      pos_ += 3;
      return maybe_raw(true);
    }
    if (s_.compare(pos_, 3, "{{-") == 0) {
      strip_trailing_text();
      push(Tok::OpenExpression, "{{", pos_);
      brace_depth_ = 0;
      pos_ += 3;
      return;
    }
    skip_spaces();
    if (pos_ >= s_.size()) fail_at(pos_, "unexpected end of template inside a tag");
    if (s_.compare(pos_, 3, "-%}") == 0 || s_.compare(pos_, 3, "-}}") == 0) {
      const bool stmt = s_[pos_ + 1] == '%';
      push(stmt ? Tok::CloseStatement : Tok::CloseExpression, stmt ? "%}" : "}}", pos_);
      pos_ += 3;
      skip_spaces();
      return;
    }
    for (const Op& op : kOps) {
      if (op.type == Tok::CloseExpression && brace_depth_ > 0) continue;
      if (s_.compare(pos_, op.text.size(), op.text) != 0) continue;
      push(op.type, std::string(op.text), pos_);
      if (op.type == Tok::OpenExpression) brace_depth_ = 0;
      if (op.type == Tok::LBrace) ++brace_depth_;
      if (op.type == Tok::RBrace) --brace_depth_;
      pos_ += op.text.size();
      if (op.type == Tok::OpenStatement) maybe_raw(false);
      return;
    }
    const char c = s_[pos_];
    if (c == '\'' || c == '"') return string_literal(c);
    if (is_digit(c)) return number();
    if (is_word(c)) {
      const size_t start = pos_;
      while (pos_ < s_.size() && is_word(s_[pos_])) ++pos_;
      push(Tok::Identifier, std::string(s_.substr(start, pos_ - start)), start);
      return;
    }
    size_t end = pos_;
    text::next_code_point(s_, end);
    fail_at(pos_, fmt::format("unexpected character '{}'", s_.substr(pos_, end - pos_)));
  }

  void comment() {
    const size_t start = pos_;
    pos_ += 2;
    const bool strip_before = pos_ < s_.size() && s_[pos_] == '-';
    if (strip_before) ++pos_;
    const size_t close = s_.find("#}", pos_);
    if (close == std::string::npos) fail_at(start, "missing end of comment tag '#}'");
    std::string body(s_.substr(pos_, close - pos_));
    const bool strip_after = body.ends_with('-');
    if (strip_after) body.pop_back();
    if (strip_before) strip_trailing_text();
    push(Tok::Comment, std::move(body), start);
    pos_ = close + 2;
    if (strip_after) skip_spaces();
  }

  // {% raw %}...{% endraw %} (not in the reference, which rejects it): the body becomes text.
  void maybe_raw(bool strip_before) {
    (void)strip_before;
    size_t i = pos_;
    while (size_t n = space_at(s_, i)) i += n;
    if (s_.compare(i, 3, "raw") != 0 || (i + 3 < s_.size() && is_word(s_[i + 3]))) return;
    i += 3;
    while (size_t n = space_at(s_, i)) i += n;
    const bool strip_body_start = s_.compare(i, 3, "-%}") == 0;
    if (!strip_body_start && s_.compare(i, 2, "%}") != 0) return;
    i += strip_body_start ? 3 : 2;
    // Find {%-? endraw -?%}
    for (size_t k = s_.find("{%", i); k != std::string::npos; k = s_.find("{%", k + 1)) {
      size_t j = k + 2;
      const bool strip_body_end = j < s_.size() && s_[j] == '-';
      if (strip_body_end) ++j;
      while (size_t n = space_at(s_, j)) j += n;
      if (s_.compare(j, 6, "endraw") != 0) continue;
      j += 6;
      while (size_t n = space_at(s_, j)) j += n;
      const bool strip_after = s_.compare(j, 3, "-%}") == 0;
      if (!strip_after && s_.compare(j, 2, "%}") != 0) continue;
      std::string_view body = std::string_view(s_).substr(i, k - i);
      if (strip_body_start) body = text::trim_js(body, true, false);
      if (strip_body_end) body = text::trim_js(body, false, true);
      tokens_.pop_back();  // the {% of {% raw %}
      if (!body.empty()) push(Tok::Text, std::string(body), i);
      pos_ = j + (strip_after ? 3 : 2);
      if (strip_after) skip_spaces();
      force_text_ = true;
      return;
    }
    fail_at(pos_, "missing {% endraw %}");
  }

  void string_literal(char quote) {
    const size_t start = pos_++;
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) fail_at(start, "unterminated string literal");
      const char c = s_[pos_];
      if (c == quote) break;
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      if (++pos_ >= s_.size()) fail_at(start, "unterminated string literal");
      const char e = s_[pos_++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case '\'': case '"': case '\\': out += e; break;
        case 'x':
        case 'u': unicode_escape(e == 'x' ? 2 : 4, out); break;
        default:  // Python keeps unknown escapes as written
          out += '\\';
          out += e;
      }
    }
    ++pos_;
    push(Tok::String, std::move(out), start);
  }

  uint32_t hex_digits(size_t n) {
    if (pos_ + n > s_.size()) fail_at(pos_, "invalid hexadecimal escape sequence");
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      const char c = s_[pos_ + i];
      const int d = is_digit(c) ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
      if (d < 0) fail_at(pos_, "invalid hexadecimal escape sequence");
      v = v * 16 + static_cast<uint32_t>(d);
    }
    pos_ += n;
    return v;
  }

  void unicode_escape(size_t n, std::string& out) {
    uint32_t cp = hex_digits(n);
    if (cp >= 0xD800 && cp <= 0xDBFF && s_.compare(pos_, 2, "\\u") == 0) {
      const size_t save = pos_;
      pos_ += 2;
      const uint32_t low = hex_digits(4);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      } else {
        pos_ = save;
      }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // a lone surrogate has no UTF-8 form
    text::append_utf8(out, cp);
  }

  void number() {
    const size_t start = pos_;
    while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
    const bool after_dot = !tokens_.empty() && tokens_.back().type == Tok::Dot;
    if (!after_dot && pos_ + 1 < s_.size() && s_[pos_] == '.' && is_digit(s_[pos_ + 1])) {
      ++pos_;
      while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
    }
    push(Tok::Number, std::string(s_.substr(start, pos_ - start)), start);
  }

  std::string_view original_;
  Mapped src_;
  const std::string& s_;
  size_t pos_ = 0;
  int brace_depth_ = 0;
  bool force_text_ = false;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source) {
  if (source.size() > UINT32_MAX / 2) throw TemplateError("template too large");
  return Lexer(source).run();
}

std::string_view token_name(Tok t) {
  switch (t) {
    case Tok::Text: return "text";
    case Tok::Comment: return "comment";
    case Tok::Number: return "number";
    case Tok::String: return "string";
    case Tok::Identifier: return "identifier";
    case Tok::OpenStatement: return "'{%'";
    case Tok::CloseStatement: return "'%}'";
    case Tok::OpenExpression: return "'{{'";
    case Tok::CloseExpression: return "'}}'";
    default: break;
  }
  for (const Op& op : kOps)
    if (op.type == t) return op.text;
  return "?";
}

}  // namespace hearth::chat::jinja

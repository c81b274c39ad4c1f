#include "chat/parser.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <initializer_list>

#include "chat/errors.h"

namespace hearth::chat::jinja {

namespace {

ExprPtr make_expr(ExprKind kind, uint32_t offset) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->offset = offset;
  return e;
}

Stmt make_stmt(StmtKind kind, uint32_t offset) {
  Stmt s;
  s.kind = kind;
  s.offset = offset;
  return s;
}

class Parser {
 public:
  Parser(std::string_view source, std::vector<Token> tokens) : source_(source), toks_(std::move(tokens)) {}

  Program run() {
    Program p;
    while (pos_ < toks_.size()) p.body.push_back(parse_any());
    return p;
  }

 private:
  // --- token helpers ---------------------------------------------------------------------
  [[noreturn]] void fail_at(uint32_t offset, const std::string& msg) const {
    const SourcePos p = locate(source_, offset);
    throw TemplateError(fmt::format("line {}, column {}: {}", p.line, p.column, msg));
  }
  [[noreturn]] void fail_here(const std::string& msg) const {
    if (pos_ < toks_.size()) fail_at(toks_[pos_].offset, msg);
    fail_at(static_cast<uint32_t>(source_.size()), msg + " (at end of template)");
  }
  std::string describe_current() const {
    if (pos_ >= toks_.size()) return "end of template";
    const Token& t = toks_[pos_];
    if (t.type == Tok::Identifier || t.type == Tok::Number) return fmt::format("'{}'", t.value);
    if (t.type == Tok::String) return "a string";
    return std::string(token_name(t.type));
  }

  bool is(Tok t, size_t k = 0) const { return pos_ + k < toks_.size() && toks_[pos_ + k].type == t; }
  bool is_ident(std::string_view name, size_t k = 0) const {
    return is(Tok::Identifier, k) && toks_[pos_ + k].value == name;
  }
  bool is_statement(std::initializer_list<std::string_view> names) const {
    if (!is(Tok::OpenStatement) || !is(Tok::Identifier, 1)) return false;
    for (auto n : names)
      if (toks_[pos_ + 1].value == n) return true;
    return false;
  }
  uint32_t offset() const {
    return pos_ < toks_.size() ? toks_[pos_].offset : static_cast<uint32_t>(source_.size());
  }
  const Token& next() {
    if (pos_ >= toks_.size()) fail_here("unexpected end of template");
    return toks_[pos_++];
  }
  void expect(Tok t, std::string_view what) {
    if (!is(t)) fail_here(fmt::format("expected {}, got {}", what, describe_current()));
    ++pos_;
  }
  void expect_ident(std::string_view name) {
    if (!is_ident(name)) fail_here(fmt::format("expected '{}', got {}", name, describe_current()));
    ++pos_;
  }
  void expect_end_tag(std::string_view name) {
    expect(Tok::OpenStatement, fmt::format("'{{% {} %}}'", name));
    expect_ident(name);
    expect(Tok::CloseStatement, "'%}'");
  }

  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > kMaxNesting) p.fail_here(fmt::format("template nested deeper than {} levels", kMaxNesting));
    }
    ~DepthGuard() { --p.depth_; }
  };

  // --- statements ------------------------------------------------------------------------
  Block parse_until(std::initializer_list<std::string_view> stops, std::string_view opened_by, uint32_t open_offset) {
    Block body;
    while (!is_statement(stops)) {
      if (pos_ >= toks_.size()) {
        std::string names;
        for (auto n : stops) names += fmt::format("{}{{% {} %}}", names.empty() ? "" : " or ", n);
        const SourcePos p = locate(source_, open_offset);
        fail_here(fmt::format("unexpected end of template: expected {} to close '{}' opened at line {}, column {}",
                              names, opened_by, p.line, p.column));
      }
      body.push_back(parse_any());
    }
    return body;
  }

  Stmt parse_any() {
    const Token& t = toks_[pos_];
    switch (t.type) {
      case Tok::Comment: {
        ++pos_;
        Stmt s = make_stmt(StmtKind::Text, t.offset);
        return s;  // empty text: renders nothing
      }
      case Tok::Text: {
        ++pos_;
        Stmt s = make_stmt(StmtKind::Text, t.offset);
        s.text = t.value;
        return s;
      }
      case Tok::OpenStatement: return parse_statement();
      case Tok::OpenExpression: {
        ++pos_;
        Stmt s = make_stmt(StmtKind::Output, t.offset);
        s.expr = parse_expression();
        expect(Tok::CloseExpression, "'}}'");
        return s;
      }
      default: fail_here(fmt::format("unexpected {}", describe_current()));
    }
  }

  Stmt parse_statement() {
    DepthGuard guard(*this);
    const uint32_t start = offset();
    expect(Tok::OpenStatement, "'{%'");
    if (!is(Tok::Identifier)) fail_here(fmt::format("expected a statement name, got {}", describe_current()));
    const std::string name = next().value;
    if (name == "set") return parse_set(start);
    if (name == "if") {
      Stmt s = parse_if(start);
      expect_end_tag("endif");
      return s;
    }
    if (name == "for") return parse_for(start);
    if (name == "macro") return parse_macro(start);
    if (name == "call") return parse_call_block(start);
    if (name == "filter") return parse_filter_block(start);
    if (name == "break" || name == "continue") {
      expect(Tok::CloseStatement, "'%}'");
      return make_stmt(name == "break" ? StmtKind::Break : StmtKind::Continue, start);
    }
    fail_at(toks_[pos_ - 1].offset, fmt::format("unknown statement '{}'", name));
  }

  Stmt parse_set(uint32_t start) {
    Stmt s = make_stmt(StmtKind::Set, start);
    s.target = parse_expression_sequence(false);
    if (is(Tok::Assign)) {
      ++pos_;
      s.expr = parse_expression_sequence(false);
      expect(Tok::CloseStatement, "'%}'");
      return s;
    }
    s.kind = StmtKind::SetBlock;
    expect(Tok::CloseStatement, "'=' or '%}'");
    s.body = parse_until({"endset"}, "set", start);
    expect_end_tag("endset");
    return s;
  }

  Stmt parse_if(uint32_t start) {
    Stmt s = make_stmt(StmtKind::If, start);
    s.expr = parse_expression();
    expect(Tok::CloseStatement, "'%}'");
    s.body = parse_until({"elif", "else", "endif"}, "if", start);
    if (is_statement({"elif"})) {
      const uint32_t elif_start = offset();
      pos_ += 2;
      DepthGuard guard(*this);
      s.else_body.push_back(parse_if(elif_start));
    } else if (is_statement({"else"})) {
      pos_ += 2;
      expect(Tok::CloseStatement, "'%}'");
      s.else_body = parse_until({"endif"}, "if", start);
    }
    return s;
  }

  Stmt parse_for(uint32_t start) {
    Stmt s = make_stmt(StmtKind::For, start);
    s.target = parse_expression_sequence(true);
    if (s.target->kind != ExprKind::Name && s.target->kind != ExprKind::Tuple)
      fail_at(s.target->offset, "expected a name or a tuple of names for the loop variable");
    expect_ident("in");
    s.expr = parse_expression();
    if (s.expr->kind == ExprKind::Select) {  // {% for x in xs if cond %}
      s.cond = std::move(s.expr->a);
      s.expr = std::move(s.expr->b);
    }
    expect(Tok::CloseStatement, "'%}'");
    s.body = parse_until({"endfor", "else"}, "for", start);
    if (is_statement({"else"})) {
      pos_ += 2;
      expect(Tok::CloseStatement, "'%}'");
      s.else_body = parse_until({"endfor"}, "for", start);
    }
    expect_end_tag("endfor");
    return s;
  }

  Stmt parse_macro(uint32_t start) {
    Stmt s = make_stmt(StmtKind::Macro, start);
    if (!is(Tok::Identifier)) fail_here(fmt::format("expected a macro name, got {}", describe_current()));
    s.text = next().value;
    s.params = parse_params();
    expect(Tok::CloseStatement, "'%}'");
    s.body = parse_until({"endmacro"}, "macro", start);
    expect_end_tag("endmacro");
    return s;
  }

  Stmt parse_call_block(uint32_t start) {
    Stmt s = make_stmt(StmtKind::CallBlock, start);
    if (is(Tok::LParen)) s.params = parse_params();
    if (!is(Tok::Identifier)) fail_here(fmt::format("expected a macro name after 'call', got {}", describe_current()));
    auto callee = make_expr(ExprKind::Name, offset());
    callee->name = next().value;
    auto call = make_expr(ExprKind::Call, callee->offset);
    call->a = std::move(callee);
    call->args = parse_call_args();
    s.expr = std::move(call);
    expect(Tok::CloseStatement, "'%}'");
    s.body = parse_until({"endcall"}, "call", start);
    expect_end_tag("endcall");
    return s;
  }

  Stmt parse_filter_block(uint32_t start) {
    Stmt s = make_stmt(StmtKind::FilterBlock, start);
    if (!is(Tok::Identifier)) fail_here(fmt::format("expected a filter name, got {}", describe_current()));
    auto f = make_expr(ExprKind::Filter, offset());
    f->name = next().value;
    if (is(Tok::LParen)) f->args = parse_call_args();
    s.expr = std::move(f);
    expect(Tok::CloseStatement, "'%}'");
    s.body = parse_until({"endfilter"}, "filter", start);
    expect_end_tag("endfilter");
    return s;
  }

  std::vector<Param> parse_params() {
    expect(Tok::LParen, "'('");
    std::vector<Param> params;
    bool saw_default = false;
    while (!is(Tok::RParen)) {
      if (!is(Tok::Identifier)) fail_here(fmt::format("expected a parameter name, got {}", describe_current()));
      Param p;
      const uint32_t at = offset();
      p.name = next().value;
      for (const auto& q : params)
        if (q.name == p.name) fail_at(at, fmt::format("duplicate parameter '{}'", p.name));
      if (is(Tok::Assign)) {
        ++pos_;
        p.default_value = parse_expression();
        saw_default = true;
      } else if (saw_default) {
        fail_at(at, "non-default parameter follows default parameter");
      }
      params.push_back(std::move(p));
      if (is(Tok::Comma)) ++pos_;
    }
    ++pos_;
    return params;
  }

  std::vector<Arg> parse_call_args() {
    expect(Tok::LParen, "'('");
    std::vector<Arg> args;
    bool saw_keyword = false;
    while (!is(Tok::RParen)) {
      if (pos_ >= toks_.size()) fail_here("expected ')'");
      Arg arg;
      if (is(Tok::StarStar)) {
        ++pos_;
        arg.kind = Arg::Kind::KeywordSpread;
        arg.value = parse_expression();
        saw_keyword = true;
      } else if (is(Tok::Star)) {
        ++pos_;
        arg.kind = Arg::Kind::Spread;
        arg.value = parse_expression();
      } else if (is(Tok::Identifier) && is(Tok::Assign, 1)) {
        arg.kind = Arg::Kind::Keyword;
        arg.name = next().value;
        ++pos_;
        arg.value = parse_expression();
        saw_keyword = true;
      } else {
        const uint32_t at = offset();
        arg.value = parse_expression();
        if (is(Tok::Assign)) fail_here("expected a name before '=' in a keyword argument");
        if (saw_keyword) fail_at(at, "positional argument follows keyword argument");
      }
      args.push_back(std::move(arg));
      if (is(Tok::Comma)) ++pos_;
    }
    ++pos_;
    return args;
  }

  // --- expressions -----------------------------------------------------------------------
  ExprPtr parse_expression_sequence(bool primary_only) {
    const uint32_t start = offset();
    ExprPtr first = primary_only ? parse_primary() : parse_expression();
    if (!is(Tok::Comma)) return first;
    auto tuple = make_expr(ExprKind::Tuple, start);
    tuple->items.push_back(std::move(first));
    while (is(Tok::Comma)) {
      ++pos_;
      if (is(Tok::RParen)) break;  // (a,)
      tuple->items.push_back(primary_only ? parse_primary() : parse_expression());
    }
    return tuple;
  }

  ExprPtr parse_expression() {
    DepthGuard guard(*this);
    const uint32_t start = offset();
    ExprPtr value = parse_or();
    if (!is_ident("if")) return value;
    ++pos_;
    ExprPtr cond = parse_or();
    if (is_ident("else")) {
      ++pos_;
      auto t = make_expr(ExprKind::Ternary, start);
      t->a = std::move(cond);
      t->b = std::move(value);
      t->c = parse_expression();
      return t;
    }
    auto s = make_expr(ExprKind::Select, start);
    s->a = std::move(cond);
    s->b = std::move(value);
    return s;
  }

  ExprPtr binary(std::string op, ExprPtr lhs, ExprPtr rhs) {
    auto e = make_expr(ExprKind::Binary, lhs->offset);
    e->name = std::move(op);
    e->a = std::move(lhs);
    e->b = std::move(rhs);
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_ident("or")) {
      ++pos_;
      left = binary("or", std::move(left), parse_and());
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_ident("and")) {
      ++pos_;
      left = binary("and", std::move(left), parse_not());
    }
    return left;
  }

  ExprPtr parse_not() {
    if (!is_ident("not")) return parse_comparison();
    DepthGuard guard(*this);
    auto e = make_expr(ExprKind::Unary, offset());
    ++pos_;
    e->name = "not";
    e->a = parse_not();
    return e;
  }

  ExprPtr parse_comparison() {
    ExprPtr left = parse_additive();
    while (true) {
      std::string op;
      if (is_ident("not") && is_ident("in", 1)) {
        op = "not in";
        pos_ += 2;
      } else if (is_ident("in")) {
        op = "in";
        ++pos_;
      } else if (is(Tok::Eq) || is(Tok::Ne) || is(Tok::Lt) || is(Tok::Gt) || is(Tok::Le) || is(Tok::Ge)) {
        op = next().value;
      } else {
        return left;
      }
      left = binary(std::move(op), std::move(left), parse_additive());
    }
  }

  ExprPtr parse_additive() {
    ExprPtr left = parse_multiplicative();
    while (is(Tok::Plus) || is(Tok::Minus) || is(Tok::Tilde)) {
      std::string op = next().value;
      left = binary(std::move(op), std::move(left), parse_multiplicative());
    }
    return left;
  }

  ExprPtr parse_multiplicative() {
    ExprPtr left = parse_power();
    while (is(Tok::Star) || is(Tok::Slash) || is(Tok::SlashSlash) || is(Tok::Percent)) {
      std::string op = next().value;
      left = binary(std::move(op), std::move(left), parse_power());
    }
    return left;
  }

  ExprPtr parse_power() {  // left-associative, as in Jinja
    ExprPtr left = parse_test();
    while (is(Tok::StarStar)) {
      ++pos_;
      left = binary("**", std::move(left), parse_test());
    }
    return left;
  }

  bool starts_test_argument() const {
    if (is(Tok::Number) || is(Tok::String) || is(Tok::LBracket) || is(Tok::LBrace)) return true;
    if (!is(Tok::Identifier)) return false;
    const std::string& v = toks_[pos_].value;
    return v != "and" && v != "or" && v != "else" && v != "if" && v != "is" && v != "not" && v != "in";
  }

  ExprPtr parse_test() {
    ExprPtr operand = parse_filter();
    while (is_ident("is")) {
      auto t = make_expr(ExprKind::Test, operand->offset);
      ++pos_;
      if (is_ident("not")) {
        t->negate = true;
        ++pos_;
      }
      if (!is(Tok::Identifier)) fail_here(fmt::format("expected a test name after 'is', got {}", describe_current()));
      t->name = next().value;
      if (is(Tok::LParen)) {
        t->args = parse_call_args();
      } else if (starts_test_argument()) {  // `x is divisibleby 3` (Jinja, not the reference)
        Arg arg;
        arg.value = parse_member(parse_primary());
        t->args.push_back(std::move(arg));
      }
      t->a = std::move(operand);
      operand = std::move(t);
    }
    return operand;
  }

  ExprPtr parse_filter() {
    ExprPtr operand = parse_unary();
    while (is(Tok::Pipe)) {
      ++pos_;
      if (!is(Tok::Identifier)) fail_here(fmt::format("expected a filter name after '|', got {}", describe_current()));
      auto f = make_expr(ExprKind::Filter, toks_[pos_].offset);
      f->name = next().value;
      if (is(Tok::LParen)) f->args = parse_call_args();
      f->a = std::move(operand);
      operand = std::move(f);
    }
    return operand;
  }

  ExprPtr parse_unary() {
    if (!is(Tok::Minus) && !is(Tok::Plus)) return parse_call_member();
    DepthGuard guard(*this);
    auto e = make_expr(ExprKind::Unary, offset());
    e->name = next().value;
    e->a = parse_unary();
    return e;
  }

  ExprPtr parse_call_member() {
    ExprPtr e = parse_member(parse_primary());
    while (is(Tok::LParen)) {
      auto call = make_expr(ExprKind::Call, e->offset);
      call->args = parse_call_args();
      call->a = std::move(e);
      e = parse_member(std::move(call));
    }
    return e;
  }

  ExprPtr parse_member(ExprPtr object) {
    while (is(Tok::Dot) || is(Tok::LBracket)) {
      const bool computed = is(Tok::LBracket);
      const uint32_t at = offset();
      ++pos_;
      if (!computed) {
        if (is(Tok::Identifier)) {
          auto e = make_expr(ExprKind::Attribute, object->offset);
          e->name = next().value;
          e->a = std::move(object);
          object = std::move(e);
        } else if (is(Tok::Number) && toks_[pos_].value.find('.') == std::string::npos) {
          auto e = make_expr(ExprKind::Index, object->offset);
          e->b = parse_primary();
          e->a = std::move(object);
          object = std::move(e);
        } else {
          fail_here(fmt::format("expected a name after '.', got {}", describe_current()));
        }
        continue;
      }
      // [index] or [start:stop:step]
      std::vector<ExprPtr> parts;
      bool is_slice = false;
      while (!is(Tok::RBracket)) {
        if (pos_ >= toks_.size()) fail_here("expected ']'");
        if (is(Tok::Colon)) {
          parts.push_back(nullptr);
          ++pos_;
          is_slice = true;
        } else {
          parts.push_back(parse_expression());
          if (is(Tok::Colon)) {
            ++pos_;
            is_slice = true;
          } else if (!is(Tok::RBracket)) {
            fail_here(fmt::format("expected ']' or ':', got {}", describe_current()));
          }
        }
      }
      ++pos_;
      if (parts.empty()) fail_at(at, "expected an index or a slice inside '[]'");
      if (is_slice) {
        if (parts.size() > 3) fail_at(at, "a slice takes at most three parts");
        auto e = make_expr(ExprKind::Slice, object->offset);
        e->a = std::move(object);
        e->b = std::move(parts[0]);
        if (parts.size() > 1) e->c = std::move(parts[1]);
        if (parts.size() > 2) e->d = std::move(parts[2]);
        object = std::move(e);
      } else {
        auto e = make_expr(ExprKind::Index, object->offset);
        e->a = std::move(object);
        e->b = std::move(parts[0]);
        object = std::move(e);
      }
    }
    return object;
  }

  ExprPtr parse_primary() {
    if (pos_ >= toks_.size()) fail_here("unexpected end of template in an expression");
    const Token& t = toks_[pos_++];
    switch (t.type) {
      case Tok::Number: {
        auto e = make_expr(ExprKind::Literal, t.offset);
        if (t.value.find('.') != std::string::npos) {
          double d = 0;
          std::from_chars(t.value.data(), t.value.data() + t.value.size(), d);
          e->value = Value::number(d);
        } else {
          int64_t i = 0;
          const auto res = std::from_chars(t.value.data(), t.value.data() + t.value.size(), i);
          if (res.ec == std::errc()) {
            e->value = Value::integer(i);
          } else {
            double d = 0;
            std::from_chars(t.value.data(), t.value.data() + t.value.size(), d);
            e->value = Value::number(d);
          }
        }
        return e;
      }
      case Tok::String: {
        auto e = make_expr(ExprKind::Literal, t.offset);
        std::string s = t.value;
        while (is(Tok::String)) s += toks_[pos_++].value;
        e->value = Value::string(std::move(s));
        return e;
      }
      case Tok::Identifier: {
        auto e = make_expr(ExprKind::Name, t.offset);
        e->name = t.value;
        return e;
      }
      case Tok::LParen: {
        DepthGuard guard(*this);
        ExprPtr inner = parse_expression_sequence(false);
        expect(Tok::RParen, "')'");
        return inner;
      }
      case Tok::LBracket: {
        DepthGuard guard(*this);
        auto e = make_expr(ExprKind::List, t.offset);
        while (!is(Tok::RBracket)) {
          if (pos_ >= toks_.size()) fail_here("expected ']'");
          e->items.push_back(parse_expression());
          if (is(Tok::Comma)) ++pos_;
        }
        ++pos_;
        return e;
      }
      case Tok::LBrace: {
        DepthGuard guard(*this);
        auto e = make_expr(ExprKind::Dict, t.offset);
        while (!is(Tok::RBrace)) {
          if (pos_ >= toks_.size()) fail_here("expected '}'");
          e->items.push_back(parse_expression());
          expect(Tok::Colon, "':' between key and value");
          e->items.push_back(parse_expression());
          if (is(Tok::Comma)) ++pos_;
        }
        ++pos_;
        return e;
      }
      default:
        --pos_;
        fail_here(fmt::format("unexpected {} in an expression", describe_current()));
    }
  }

  std::string_view source_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

Program parse(std::string_view source, std::vector<Token> tokens) { return Parser(source, std::move(tokens)).run(); }

}  // namespace hearth::chat::jinja

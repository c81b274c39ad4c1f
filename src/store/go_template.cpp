#include "store/go_template.h"

#include <cctype>
#include <cstring>
#include <map>
#include <memory>
#include <variant>

#include "core/error.h"

namespace hearth::store {

bool looks_like_go_template(std::string_view text) {
  return text.find("{{") != std::string_view::npos && text.find("{%") == std::string_view::npos;
}

namespace {

// ---------------------------------------------------------------- values

struct Value {
  enum Kind { Nil, Bool, Int, Str, Messages, Message, Root } kind = Nil;
  bool b = false;
  int64_t i = 0;
  std::string s;
  const std::vector<ChatMessage>* list = nullptr;
  size_t offset = 0;  // messages from here on (slice)
  const ChatMessage* msg = nullptr;

  static Value of(bool v) { Value x; x.kind = Bool; x.b = v; return x; }
  static Value of(int64_t v) { Value x; x.kind = Int; x.i = v; return x; }
  static Value of(std::string v) { Value x; x.kind = Str; x.s = std::move(v); return x; }
  size_t size() const { return list ? list->size() - offset : 0; }

  bool truthy() const {
    switch (kind) {
      case Nil: return false;
      case Bool: return b;
      case Int: return i != 0;
      case Str: return !s.empty();
      case Messages: return size() > 0;
      default: return true;
    }
  }
  std::string text() const {
    switch (kind) {
      case Bool: return b ? "true" : "false";
      case Int: return std::to_string(i);
      case Str: return s;
      case Nil: return "";
      default: fail("TEMPLATE: cannot print a list or an object");
    }
  }
  bool equals(const Value& o) const {
    if (kind == Str && o.kind == Str) return s == o.s;
    if (kind == Int && o.kind == Int) return i == o.i;
    if (kind == Bool && o.kind == Bool) return b == o.b;
    if (kind == Nil || o.kind == Nil) return kind == o.kind;
    fail("TEMPLATE: eq/ne compare strings, numbers or booleans of the same kind");
  }
};

// ---------------------------------------------------------------- syntax

struct Expr {
  enum Kind { Literal, Field, Call } kind = Literal;
  Value literal;
  std::string var;                  // "" for dot, "$" for root, "$name"
  std::vector<std::string> fields;  // .A.B
  std::string func;
  std::vector<std::unique_ptr<Expr>> args;
};

struct Node {
  enum Kind { Text, Output, If, Range, Assign } kind = Text;
  std::string text;
  std::unique_ptr<Expr> expr;
  std::vector<std::pair<std::unique_ptr<Expr>, std::vector<Node>>> branches;  // if / else if
  std::vector<Node> body, else_body;
  std::string key_var, value_var, assign_var;
};

struct Action {
  bool is_text;
  std::string text;  // raw text, or the action's inside
};

std::vector<Action> lex(std::string_view src) {
  std::vector<Action> out;
  size_t i = 0;
  bool trim_next = false;
  while (i < src.size()) {
    const size_t open = src.find("{{", i);
    std::string text(src.substr(i, open == std::string_view::npos ? std::string_view::npos : open - i));
    if (trim_next) text.erase(0, text.find_first_not_of(" \t\r\n") == std::string::npos ? text.size()
                                                                                    : text.find_first_not_of(" \t\r\n"));
    if (open == std::string_view::npos) {
      out.push_back({true, text});
      break;
    }
    const size_t close = src.find("}}", open + 2);
    if (close == std::string_view::npos) fail("TEMPLATE: unclosed {{{{ action");
    std::string inside(src.substr(open + 2, close - open - 2));
    if (inside.rfind("- ", 0) == 0 || inside == "-") {
      inside.erase(0, 1);
      const auto keep = text.find_last_not_of(" \t\r\n");
      text.resize(keep == std::string::npos ? 0 : keep + 1);
    }
    trim_next = inside.size() >= 2 && inside.ends_with(" -");
    if (trim_next) inside.resize(inside.size() - 1);
    out.push_back({true, text});
    const auto b = inside.find_first_not_of(" \t\r\n"), e = inside.find_last_not_of(" \t\r\n");
    inside = b == std::string::npos ? "" : inside.substr(b, e - b + 1);
    if (!(inside.rfind("/*", 0) == 0)) out.push_back({false, inside});  // {{/* comment */}}
    i = close + 2;
  }
  return out;
}

class ExprParser {
 public:
  explicit ExprParser(std::string_view s) : s_(s) {}

  std::unique_ptr<Expr> pipeline() {
    auto e = command();
    skip();
    if (i_ < s_.size() && s_[i_] == '|') fail("TEMPLATE: pipelines with '|' are not supported: {}", s_);
    return e;
  }
  bool at_end() {
    skip();
    return i_ >= s_.size();
  }
  std::string_view rest() const { return s_.substr(i_); }

 private:
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }

  std::unique_ptr<Expr> command() {
    skip();
    auto first = operand();
    if (first->kind != Expr::Call || !first->args.empty() || first->func.empty()) return first;
    // A function name: the following operands are its arguments.
    while (true) {
      skip();
      if (i_ >= s_.size() || s_[i_] == ')' || s_[i_] == '|') break;
      first->args.push_back(operand());
    }
    return first;
  }

  std::unique_ptr<Expr> operand() {
    skip();
    if (i_ >= s_.size()) fail("TEMPLATE: missing operand in '{}'", s_);
    auto e = std::make_unique<Expr>();
    const char c = s_[i_];
    if (c == '(') {
      ++i_;
      e = command();
      skip();
      if (i_ >= s_.size() || s_[i_] != ')') fail("TEMPLATE: missing ')' in '{}'", s_);
      ++i_;
      return e;
    }
    if (c == '"' || c == '`') {
      std::string v;
      ++i_;
      while (i_ < s_.size() && s_[i_] != c) {
        if (c == '"' && s_[i_] == '\\' && i_ + 1 < s_.size()) {
          const char n = s_[++i_];
          v += n == 'n' ? '\n' : n == 't' ? '\t' : n;
        } else {
          v += s_[i_];
        }
        ++i_;
      }
      if (i_ >= s_.size()) fail("TEMPLATE: unterminated string in '{}'", s_);
      ++i_;
      e->literal = Value::of(v);
      return e;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') {
      size_t j = i_ + 1;
      while (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j]))) ++j;
      e->literal = Value::of(static_cast<int64_t>(std::stoll(std::string(s_.substr(i_, j - i_)))));
      i_ = j;
      return e;
    }
    if (c == '.' || c == '$') {
      e->kind = Expr::Field;
      if (c == '$') {
        size_t j = i_ + 1;
        while (j < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[j])) || s_[j] == '_')) ++j;
        e->var = std::string(s_.substr(i_, j - i_));
        i_ = j;
      }
      while (i_ < s_.size() && s_[i_] == '.') {
        size_t j = i_ + 1;
        while (j < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[j])) || s_[j] == '_')) ++j;
        if (j > i_ + 1) e->fields.push_back(std::string(s_.substr(i_ + 1, j - i_ - 1)));
        i_ = j;
      }
      return e;
    }
    size_t j = i_;
    while (j < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[j])) || s_[j] == '_')) ++j;
    const std::string word(s_.substr(i_, j - i_));
    i_ = j;
    if (word == "true" || word == "false") {
      e->literal = Value::of(word == "true");
      return e;
    }
    static const char* kFuncs[] = {"eq", "ne", "and", "or", "not", "len", "slice"};
    for (const char* f : kFuncs)
      if (word == f) {
        e->kind = Expr::Call;
        e->func = word;
        return e;
      }
    fail("TEMPLATE: unsupported function or keyword '{}' in '{}'", word, s_);
  }

  std::string_view s_;
  size_t i_ = 0;
};

class TreeParser {
 public:
  explicit TreeParser(std::vector<Action> a) : a_(std::move(a)) {}

  std::vector<Node> parse() {
    auto nodes = block();
    if (pos_ < a_.size()) fail("TEMPLATE: unexpected {{{{ {} }}}}", a_[pos_].text);
    return nodes;
  }

 private:
  static bool starts(const std::string& s, const char* word) {
    const size_t n = std::strlen(word);
    return s.rfind(word, 0) == 0 && (s.size() == n || std::isspace(static_cast<unsigned char>(s[n])));
  }

  // Nodes up to (not including) an end/else action.
  std::vector<Node> block() {
    std::vector<Node> out;
    while (pos_ < a_.size()) {
      const Action& act = a_[pos_];
      if (act.is_text) {
        if (!act.text.empty()) out.push_back(Node{Node::Text, act.text, {}, {}, {}, {}, {}, {}, {}});
        ++pos_;
        continue;
      }
      if (act.text == "end" || starts(act.text, "else")) return out;
      ++pos_;
      if (starts(act.text, "if")) {
        out.push_back(if_node(act.text.substr(2)));
      } else if (starts(act.text, "range")) {
        out.push_back(range_node(act.text.substr(5)));
      } else if (act.text.empty()) {
        continue;
      } else if (act.text[0] == '$' && act.text.find(":=") != std::string::npos) {
        Node n;
        n.kind = Node::Assign;
        const auto p = act.text.find(":=");
        n.assign_var = trim(act.text.substr(0, p));
        n.expr = expr(act.text.substr(p + 2));
        out.push_back(std::move(n));
      } else if (starts(act.text, "with") || starts(act.text, "template") || starts(act.text, "define") ||
                 starts(act.text, "block")) {
        fail("TEMPLATE: {{{{ {} }}}} is not supported", act.text);
      } else {
        Node n;
        n.kind = Node::Output;
        n.expr = expr(act.text);
        out.push_back(std::move(n));
      }
    }
    return out;
  }

  static std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
  }

  static std::unique_ptr<Expr> expr(const std::string& s) {
    ExprParser p(s);
    auto e = p.pipeline();
    if (!p.at_end()) fail("TEMPLATE: unexpected '{}' in '{}'", p.rest(), s);
    return e;
  }

  void expect_end(const char* what) {
    if (pos_ >= a_.size() || a_[pos_].text != "end") fail("TEMPLATE: {} without {{{{ end }}}}", what);
    ++pos_;
  }

  Node if_node(const std::string& cond) {
    Node n;
    n.kind = Node::If;
    n.branches.emplace_back(expr(cond), block());
    while (pos_ < a_.size() && starts(a_[pos_].text, "else")) {
      const std::string rest = trim(a_[pos_].text.substr(4));
      ++pos_;
      if (starts(rest, "if")) {
        n.branches.emplace_back(expr(rest.substr(2)), block());
      } else {
        n.else_body = block();
        break;
      }
    }
    expect_end("if");
    return n;
  }

  Node range_node(std::string spec) {
    Node n;
    n.kind = Node::Range;
    if (const auto p = spec.find(":="); p != std::string::npos) {
      std::string vars = trim(spec.substr(0, p));
      spec = spec.substr(p + 2);
      if (const auto comma = vars.find(','); comma != std::string::npos) {
        n.key_var = trim(vars.substr(0, comma));
        n.value_var = trim(vars.substr(comma + 1));
      } else {
        n.value_var = vars;
      }
    }
    n.expr = expr(spec);
    n.body = block();
    if (pos_ < a_.size() && a_[pos_].text == "else") {
      ++pos_;
      n.else_body = block();
    }
    expect_end("range");
    return n;
  }

  std::vector<Action> a_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------- evaluation

class Evaluator {
 public:
  explicit Evaluator(const GoTemplateInput& in) : in_(in) {
    root_.kind = Value::Root;
    vars_["$"] = root_;
  }

  void run(const std::vector<Node>& nodes, const Value& dot, std::string& out) {
    for (const auto& n : nodes) {
      switch (n.kind) {
        case Node::Text: out += n.text; break;
        case Node::Output: out += eval(*n.expr, dot).text(); break;
        case Node::Assign: vars_[n.assign_var] = eval(*n.expr, dot); break;
        case Node::If: {
          bool done = false;
          for (const auto& [cond, body] : n.branches)
            if (eval(*cond, dot).truthy()) {
              run(body, dot, out);
              done = true;
              break;
            }
          if (!done) run(n.else_body, dot, out);
          break;
        }
        case Node::Range: {
          const Value list = eval(*n.expr, dot);
          if (list.kind != Value::Messages) fail("TEMPLATE: range needs a list (.Messages)");
          if (list.size() == 0) run(n.else_body, dot, out);
          for (size_t k = 0; k < list.size(); ++k) {
            Value item;
            item.kind = Value::Message;
            item.msg = &(*list.list)[list.offset + k];
            if (!n.key_var.empty()) vars_[n.key_var] = Value::of(static_cast<int64_t>(k));
            if (!n.value_var.empty()) vars_[n.value_var] = item;
            run(n.body, item, out);
          }
          break;
        }
      }
    }
  }

 private:
  Value field(const Value& base, const std::string& name) {
    if (base.kind == Value::Root) {
      if (name == "System") return Value::of(in_.system);
      if (name == "Prompt") return Value::of(in_.prompt);
      if (name == "Response") return Value::of(in_.response);
      if (name == "Messages") {
        Value v;
        v.kind = Value::Messages;
        v.list = &in_.messages;
        return v;
      }
      if (name == "Tools" || name == "Suffix" || name == "Think" || name == "ThinkLevel" || name == "IsThinkSet")
        return Value{};
    }
    if (base.kind == Value::Message) {
      if (name == "Role") return Value::of(base.msg->role);
      if (name == "Content") return Value::of(base.msg->content);
      if (name == "ToolCalls" || name == "Thinking" || name == "ToolName" || name == "Images") return Value{};
    }
    fail("TEMPLATE: unknown field .{}", name);
  }

  Value eval(const Expr& e, const Value& dot) {
    switch (e.kind) {
      case Expr::Literal: return e.literal;
      case Expr::Field: {
        Value v = dot;
        if (!e.var.empty()) {
          auto it = vars_.find(e.var);
          if (it == vars_.end()) fail("TEMPLATE: undefined variable {}", e.var);
          v = it->second;
        }
        for (const auto& f : e.fields) v = field(v, f);
        return v;
      }
      case Expr::Call: break;
    }
    const auto& a = e.args;
    auto need = [&](size_t n) {
      if (a.size() < n) fail("TEMPLATE: {} needs {} argument{}", e.func, n, n == 1 ? "" : "s");
    };
    if (e.func == "not") {
      need(1);
      return Value::of(!eval(*a[0], dot).truthy());
    }
    if (e.func == "and" || e.func == "or") {
      need(1);
      Value last;
      for (const auto& x : a) {
        last = eval(*x, dot);
        if (e.func == "and" ? !last.truthy() : last.truthy()) return last;
      }
      return last;
    }
    if (e.func == "eq" || e.func == "ne") {
      need(2);
      const Value first = eval(*a[0], dot);
      bool any = false;
      for (size_t k = 1; k < a.size(); ++k) any |= first.equals(eval(*a[k], dot));
      return Value::of(e.func == "eq" ? any : !any);
    }
    if (e.func == "len") {
      need(1);
      const Value v = eval(*a[0], dot);
      if (v.kind == Value::Messages) return Value::of(static_cast<int64_t>(v.size()));
      if (v.kind == Value::Str) return Value::of(static_cast<int64_t>(v.s.size()));
      fail("TEMPLATE: len needs a list or a string");
    }
    // slice LIST FROM
    need(2);
    Value v = eval(*a[0], dot);
    const Value from = eval(*a[1], dot);
    if (v.kind != Value::Messages || from.kind != Value::Int || from.i < 0 ||
        static_cast<size_t>(from.i) > v.size())
      fail("TEMPLATE: slice needs a list and an index within it");
    v.offset += static_cast<size_t>(from.i);
    return v;
  }

  const GoTemplateInput& in_;
  Value root_;
  std::map<std::string, Value> vars_;
};

}  // namespace

std::string render_go_template(std::string_view source, const GoTemplateInput& input) {
  const auto nodes = TreeParser(lex(source)).parse();
  Evaluator ev(input);
  Value root;
  root.kind = Value::Root;
  std::string out;
  ev.run(nodes, root, out);
  return out;
}

}  // namespace hearth::store

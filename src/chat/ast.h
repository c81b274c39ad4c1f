#pragma once
// Syntax tree of a parsed template. Nodes are plain structs with a kind tag; each carries the
// byte offset of its first token in the original source for error messages.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chat/value.h"

namespace hearth::chat::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind : uint8_t {
  Literal,     // value
  Name,        // name
  List,        // items
  Tuple,       // items
  Dict,        // items: key0, value0, key1, value1, ...
  Attribute,   // a.name   (name; an integer attribute like x.0 is an Index with a literal)
  Index,       // a[b]
  Slice,       // a[b:c:d]  (b, c, d may be null)
  Call,        // a(args)
  Unary,       // op a      (op: "not", "-", "+")
  Binary,      // a op b    (op: "and", "or", "in", "not in", "==", "+", "~", ...)
  Filter,      // a | name(args)
  Test,        // a is [not] name(args)
  Ternary,     // b if a else c   (a: condition)
  Select,      // b if a  (no else: undefined when false; filters a for-loop's items)
};

struct Arg {
  enum class Kind : uint8_t { Positional, Keyword, Spread, KeywordSpread };
  Kind kind = Kind::Positional;
  std::string name;  // Keyword
  ExprPtr value;
};

struct Expr {
  ExprKind kind = ExprKind::Literal;
  uint32_t offset = 0;
  Value value;           // Literal
  std::string name;      // Name, Attribute, Filter, Test; operator of Unary/Binary
  bool negate = false;   // Test
  ExprPtr a, b, c, d;    // operands (see ExprKind)
  std::vector<ExprPtr> items;
  std::vector<Arg> args;  // Call, Filter, Test
};

// A macro or call-block parameter: name with an optional default.
struct Param {
  std::string name;
  ExprPtr default_value;
};

struct Stmt;
using Block = std::vector<Stmt>;

enum class StmtKind : uint8_t {
  Text,       // text
  Output,     // {{ expr }}
  If,         // expr, body, else_body
  For,        // target, expr (iterable), cond (optional item filter), body, else_body
  Set,        // target = expr
  SetBlock,   // {% set target %}body{% endset %}
  Macro,      // name, params, body
  CallBlock,  // {% call(params) expr %}body{% endcall %}  (expr is the Call)
  FilterBlock,  // {% filter expr %}body{% endfilter %}  (expr is a Filter on an empty operand)
  Break,
  Continue,
};

struct Stmt {
  StmtKind kind = StmtKind::Text;
  uint32_t offset = 0;
  std::string text;  // Text; Macro name
  ExprPtr expr, target, cond;
  std::vector<Param> params;
  Block body, else_body;
};

struct Program {
  Block body;
};

}  // namespace hearth::chat::jinja

#pragma once
// Template lexer. Before tokenizing, the source goes through the same preprocessing as in the
// reference renderer with the settings transformers uses: one trailing newline dropped,
// lstrip_blocks, trim_blocks, and transformers' {% generation %} tags removed. Positions are
// kept relative to the original source so errors name the right line and column.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::chat::jinja {

enum class Tok : uint8_t {
  Text,
  Comment,
  Number,      // value is the literal text ("12", "1.5")
  String,      // value is the unescaped content
  Identifier,
  OpenStatement,    // {%  (also {%-)
  CloseStatement,   // %}  (also -%})
  OpenExpression,   // {{
  CloseExpression,  // }}
  LParen, RParen, LBracket, RBracket, LBrace, RBrace,
  Comma, Dot, Colon, Pipe, Assign,
  Plus, Minus, Tilde, Star, Slash, SlashSlash, Percent, StarStar,
  Eq, Ne, Lt, Gt, Le, Ge,
};

struct Token {
  Tok type;
  std::string value;
  uint32_t offset = 0;  // into the original source
};

// Line and column (both 1-based, column in code points) of a byte offset into the source.
struct SourcePos {
  uint32_t line = 0, column = 0;
};
SourcePos locate(std::string_view source, uint32_t offset);

// Tokenizes `source`; syntax errors are TemplateErrors naming line and column.
std::vector<Token> tokenize(std::string_view source);

std::string_view token_name(Tok t);

}  // namespace hearth::chat::jinja

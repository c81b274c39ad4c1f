#pragma once
// Recursive-descent parser for the Jinja subset real chat templates use. The grammar and the
// operator precedences follow the reference renderer (@huggingface/jinja); syntax errors are
// TemplateErrors naming the line and column.
#include <string_view>
#include <vector>

#include "chat/ast.h"
#include "chat/lexer.h"

namespace hearth::chat::jinja {

// Deepest nesting of statements and parenthesised expressions the parser accepts; keeps the
// recursive parser and evaluator far from the stack limit on hostile input.
inline constexpr int kMaxNesting = 200;

Program parse(std::string_view source, std::vector<Token> tokens);

}  // namespace hearth::chat::jinja

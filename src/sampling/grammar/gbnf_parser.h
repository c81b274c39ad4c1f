#pragma once
// GBNF, the grammar notation of llama.cpp:
//   root  ::= "{" ws pair ("," ws pair)* "}"     # rules: name ::= alternatives
//   pair  ::= [a-z]+ ":" ws ([0-9]{1,3} | "null")
//   ws    ::= [ \t\n]*
// Literals "..." and classes [...] / [^...] take the escapes \n \r \t \f \v \b \0 \\ \" \'
// \[ \] \- \^ \/ \xHH \uHHHH \UHHHHHHHH; `.` is any character; groups ( ... ); repetitions
// * + ? {m} {m,} {m,n} {,n}; `#` comments to the end of the line. Rule names use letters,
// digits, '-' and '_'. Line breaks are plain white space: a rule ends where the next
// `name ::=` begins. Every referenced rule must be defined, and `root` is where matching
// starts.
#include <string_view>

#include "sampling/grammar/grammar.h"

namespace hearth::sampling::grammar {

// A malformed grammar is a hearth::Error "grammar: line L, column C: what is wrong".
Grammar parse_gbnf(std::string_view text);

}  // namespace hearth::sampling::grammar

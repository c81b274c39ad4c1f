#pragma once
// How `hearth run` shows the model's uncertainty: per-token probability tables (--probs N)
// and confidence colours (--color confidence).
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "engine/generate.h"
#include "tokenizer/tokenizer.h"

namespace hearth::cli {

// A token's bytes for display: printable text as is, \n \t \r \\ \" escaped, bytes that are
// not (complete) UTF-8 as \xHH.
std::string display_piece(std::string_view bytes);

// ANSI colour for a probability: green >= 0.75, cyan >= 0.5, yellow >= 0.25, magenta >= 0.1,
// red below.
const char* confidence_colour(float p);
inline constexpr const char* kColourReset = "\033[0m";

// One line per token:
//   #3 " time" p=0.512 model=0.402 H=1.91/2.80 nats | chain: " time" 0.512, " day" 0.301 | model: ...
// (p: as drawn after the sampler chain; model: softmax of the raw logits; H: entropy of the
// chain's distribution / of the model's.)
void print_probs(std::FILE* out, const tokenizer::Tokenizer& tok, const std::vector<engine::GeneratedToken>& tokens);

}  // namespace hearth::cli

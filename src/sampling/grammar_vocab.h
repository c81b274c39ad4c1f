#pragma once
// The tokenizer's vocabulary as the grammar engine sees it: each token's bytes, with
// end-of-generation tokens allowed only where the grammar can end and control tokens (chat
// markers, BOS) and byte-less tokens never allowed.
#include <memory>

#include "sampling/grammar/token_trie.h"
#include "tokenizer/tokenizer.h"

namespace hearth::sampling {

std::shared_ptr<const grammar::TokenTrie> grammar_vocab(const tokenizer::Tokenizer& tok);

}  // namespace hearth::sampling

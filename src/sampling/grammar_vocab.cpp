#include "sampling/grammar_vocab.h"

namespace hearth::sampling {

std::shared_ptr<const grammar::TokenTrie> grammar_vocab(const tokenizer::Tokenizer& tok) {
  const auto n = static_cast<size_t>(tok.n_vocab());
  std::vector<std::string> pieces(n);
  std::vector<grammar::TokenKind> kinds(n, grammar::TokenKind::Text);
  for (size_t i = 0; i < n; ++i) {
    const auto id = static_cast<int32_t>(i);
    if (tok.is_eog(id)) {
      kinds[i] = grammar::TokenKind::EndOfGeneration;
    } else if (tok.is_control(id)) {
      kinds[i] = grammar::TokenKind::Never;
    } else {
      pieces[i] = tok.piece(id);
      if (pieces[i].empty()) kinds[i] = grammar::TokenKind::Never;
    }
  }
  return std::make_shared<const grammar::TokenTrie>(std::move(pieces), std::move(kinds));
}

}  // namespace hearth::sampling

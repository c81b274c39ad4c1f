#pragma once
// The vocabulary as a byte trie, for masking: tokens that share a prefix share the walk, so a
// prefix the grammar rejects prunes every token below it at once. Stored flat in preorder
// (each node knows where its subtree ends), which is cache-friendly and needs no pointers.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace hearth::sampling::grammar {

enum class TokenKind : uint8_t {
  Text,             // its bytes are matched against the grammar
  EndOfGeneration,  // allowed exactly when the grammar can end
  Never,            // control tokens and tokens without bytes: never allowed under a grammar
};

class TokenTrie {
 public:
  struct Node {
    uint32_t subtree_end;  // index of the first node after this subtree
    uint32_t tok_begin;    // tokens whose bytes end here: ids()[tok_begin, tok_end)
    uint32_t tok_end;
    uint16_t depth;        // 1 for children of the (implicit) root
    uint8_t byte;
  };

  // pieces[id]: the bytes token `id` decodes to; kinds[id]: how the grammar treats it.
  TokenTrie(std::vector<std::string> pieces, std::vector<TokenKind> kinds);

  size_t n_vocab() const { return pieces_.size(); }
  const std::string& piece(int32_t id) const { return pieces_[static_cast<size_t>(id)]; }
  TokenKind kind(int32_t id) const { return kinds_[static_cast<size_t>(id)]; }
  std::span<const Node> nodes() const { return nodes_; }
  std::span<const int32_t> tokens_at(const Node& n) const {
    return std::span<const int32_t>(ids_).subspan(n.tok_begin, n.tok_end - n.tok_begin);
  }
  std::span<const int32_t> end_of_generation() const { return eog_; }
  size_t max_depth() const { return max_depth_; }

 private:
  std::vector<std::string> pieces_;
  std::vector<TokenKind> kinds_;
  std::vector<Node> nodes_;
  std::vector<int32_t> ids_;  // Text tokens sorted by bytes
  std::vector<int32_t> eog_;
  size_t max_depth_ = 0;
};

}  // namespace hearth::sampling::grammar

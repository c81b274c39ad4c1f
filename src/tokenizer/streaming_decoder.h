#pragma once
// Incremental detokenization for generation: token pieces are bytes and a UTF-8 character may
// be spread over several tokens (e.g. <0xE2><0x9C><0x85>). The decoder buffers bytes and only
// ever returns well-formed UTF-8: complete characters as soon as they are complete, U+FFFD for
// bytes that can never form a character, and whatever is left (as U+FFFD) on flush().
#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::tokenizer {

class Tokenizer;

class StreamingDecoder {
 public:
  // `tokenizer` must outlive the decoder.
  explicit StreamingDecoder(const Tokenizer& tokenizer, bool render_special = false);

  // Text that became complete with this token (often empty or one character short).
  std::string push(int32_t id);
  // Same for raw bytes (a piece obtained elsewhere).
  std::string push_bytes(std::string_view bytes);
  // Ends the stream: the held-back bytes of an incomplete character, as U+FFFD.
  std::string flush();
  void reset() { pending_.clear(); }
  // Bytes held back waiting for the rest of a character (0..3).
  size_t pending_bytes() const { return pending_.size(); }

 private:
  const Tokenizer* tokenizer_;
  bool render_special_;
  std::string pending_;
};

}  // namespace hearth::tokenizer

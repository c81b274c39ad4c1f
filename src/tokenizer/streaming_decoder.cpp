#include "tokenizer/streaming_decoder.h"

#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace hearth::tokenizer {

StreamingDecoder::StreamingDecoder(const Tokenizer& tokenizer, bool render_special)
    : tokenizer_(&tokenizer), render_special_(render_special) {}

std::string StreamingDecoder::push(int32_t id) { return push_bytes(tokenizer_->piece(id, render_special_)); }

std::string StreamingDecoder::push_bytes(std::string_view bytes) {
  std::string out;
  if (pending_.empty()) {
    const size_t used = append_sanitized_utf8(out, bytes, false);
    pending_.assign(bytes.substr(used));
    return out;
  }
  pending_.append(bytes);
  const size_t used = append_sanitized_utf8(out, pending_, false);
  pending_.erase(0, used);
  return out;
}

std::string StreamingDecoder::flush() {
  std::string out;
  append_sanitized_utf8(out, pending_, true);
  pending_.clear();
  return out;
}

}  // namespace hearth::tokenizer

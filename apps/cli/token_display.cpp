#include "token_display.h"

#include <fmt/format.h>

namespace hearth::cli {

std::string display_piece(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      const size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
      bool whole = len > 0 && i + len <= s.size();
      for (size_t k = 1; whole && k < len; ++k) whole = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
      if (whole) {
        out.append(s.substr(i, len));
        i += len;
        continue;
      }
      out += fmt::format("\\x{:02X}", c);
    }
    ++i;
  }
  return out;
}

const char* confidence_colour(float p) {
  if (p >= 0.75f) return "\033[32m";
  if (p >= 0.5f) return "\033[36m";
  if (p >= 0.25f) return "\033[33m";
  if (p >= 0.1f) return "\033[35m";
  return "\033[31m";
}

namespace {
std::string alternatives(const tokenizer::Tokenizer& tok, const std::vector<sampling::TokenProb>& list) {
  std::string s;
  for (size_t i = 0; i < list.size(); ++i)
    s += fmt::format("{}\"{}\" {:.3f}", i ? ", " : "", display_piece(tok.piece(list[i].id, true)), list[i].p);
  return s;
}
}  // namespace

void print_probs(std::FILE* out, const tokenizer::Tokenizer& tok, const std::vector<engine::GeneratedToken>& tokens) {
  std::fprintf(out, "\n--- per-token probabilities (p: after the sampler chain; model: softmax of raw logits; "
                    "H: entropy chain/model, nats) ---\n");
  for (const auto& t : tokens) {
    const auto& p = t.probs;
    const std::string line =
        fmt::format("#{} \"{}\" p={:.3f} model={:.3f} H={:.2f}/{:.2f} | chain: {} | model: {}\n", t.index,
                    display_piece(tok.piece(t.id, true)), p.p, p.p_model, p.entropy, p.entropy_model,
                    alternatives(tok, p.top), alternatives(tok, p.top_model));
    std::fputs(line.c_str(), out);
  }
}

}  // namespace hearth::cli

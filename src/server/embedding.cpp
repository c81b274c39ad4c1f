#include "server/embedding.h"

#include <cstring>

#include "server/http_error.h"

namespace hearth::server {

EmbedResult embed_inputs(LoadedModel& m, const json& input, const std::string& field, bool truncate) {
  const auto& tok = m.tokenizer();
  const int64_t n_ctx = m.scheduler().n_ctx();
  std::vector<std::vector<int32_t>> items;
  auto ids_of = [&](const json& arr, const std::string& at) {
    std::vector<int32_t> ids;
    for (const auto& v : arr) {
      if (!v.is_number_integer()) bad_field(at, "'{}' must hold strings or token ids", at);
      const auto id = v.get<int64_t>();
      if (id < 0 || id >= tok.n_vocab()) bad_field(at, "token id {} in '{}' is out of range (0..{})", id, at, tok.n_vocab() - 1);
      ids.push_back(static_cast<int32_t>(id));
    }
    return ids;
  };
  if (input.is_string()) {
    items.push_back(tok.encode(input.get<std::string>(), tok.add_bos_default(), false));
  } else if (input.is_array() && !input.empty() && input[0].is_number_integer()) {
    items.push_back(ids_of(input, field));
  } else if (input.is_array() && !input.empty()) {
    for (size_t i = 0; i < input.size(); ++i) {
      const std::string at = fmt::format("{}[{}]", field, i);
      if (input[i].is_string()) items.push_back(tok.encode(input[i].get<std::string>(), tok.add_bos_default(), false));
      else if (input[i].is_array()) items.push_back(ids_of(input[i], at));
      else bad_field(at, "'{}' must be a string or an array of token ids", at);
    }
  } else {
    bad_field(field, "'{}' must be a non-empty string or array", field);
  }
  EmbedResult out;
  for (size_t i = 0; i < items.size(); ++i) {
    auto& ids = items[i];
    if (ids.empty()) bad_field(field, "'{}' item {} has no tokens", field, i);
    if (static_cast<int64_t>(ids.size()) > n_ctx) {
      if (!truncate)
        throw HttpError(400, fmt::format("'{}' item {} has {} tokens but the context holds {} (send \"truncate\": true to cut it)", field, i,
                                         ids.size(), n_ctx),
                        field, "context_length_exceeded");
      ids.resize(static_cast<size_t>(n_ctx));
    }
    out.n_tokens += static_cast<int64_t>(ids.size());
    out.vectors.push_back(m.scheduler().embed(ids));
  }
  return out;
}

std::string base64_floats(const std::vector<float>& v) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes(v.size() * 4, '\0');
  std::memcpy(bytes.data(), v.data(), bytes.size());  // x86-64 is little-endian
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

}  // namespace hearth::server

#include "common.h"

#include <charconv>

#include "core/error.h"

namespace hearth::cli {

void ContextFlags::add_to(CLI::App* sub) {
  sub->add_option("-t,--threads", threads, "Worker threads (default: physical cores)")->check(CLI::NonNegativeNumber);
  sub->add_option("-c,--ctx-size", ctx_size, "Context size in tokens (default: model's, at most 4096)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--kv-type", kv_type, "KV cache element type: f16 or f32")
      ->check(CLI::IsMember({"f16", "f32"}))
      ->capture_default_str();
  sub->add_option("--isa", isa, "Force a kernel set: scalar, avx2, avx512 (default: best available)")
      ->check(CLI::IsMember({"scalar", "avx2", "avx512"}));
}

engine::ContextOptions ContextFlags::options() const {
  engine::ContextOptions o;
  o.threads = threads;
  o.n_ctx = ctx_size;
  o.kv_type = model::parse_kv_type(kv_type);
  if (isa == "scalar") o.isa = kernels::Isa::Scalar;
  if (isa == "avx2") o.isa = kernels::Isa::Avx2;
  if (isa == "avx512") o.isa = kernels::Isa::Avx512;
  return o;
}

std::vector<int32_t> parse_token_list(const std::string& s) {
  std::vector<int32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == ',')) ++i;
    if (i >= s.size()) break;
    size_t j = i;
    while (j < s.size() && s[j] != ',' && s[j] != ' ') ++j;
    const std::string item = s.substr(i, j - i);
    int64_t v = 0;
    auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec != std::errc() || p != item.data() + item.size() || v < INT32_MIN || v > INT32_MAX)
      fail("--tokens: '{}' is not a token id", item);
    out.push_back(static_cast<int32_t>(v));
    i = j;
  }
  if (out.empty()) fail("--tokens: no token ids given");
  return out;
}

}  // namespace hearth::cli

// libFuzzer target: any byte string given to the GGUF reader must either parse or throw
// hearth::Error; a crash, hang, leak or UB report is a bug. Run by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "gguf/reader.h"

namespace {

// Typed getters on a key the file may or may not have, with whatever type it has.
template <typename F>
void try_get(F&& f) {
  try {
    f();
  } catch (const hearth::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto f = hearth::gguf::File::parse({data, size}, "fuzz.gguf");
    // Touch what a loader would touch: every tensor's bytes, shape helpers and metadata.
    uint64_t sum = f.alignment() + f.data_offset();
    for (const auto& t : f.tensors()) {
      if (t.n_bytes > 0) sum += t.data[0] + t.data[t.n_bytes - 1];
      sum += static_cast<uint64_t>(t.n_elements()) + static_cast<uint64_t>(t.n_rows()) + t.row_bytes();
      sum += t.shape_string().size() + hearth::type_name(t.type).size();
      if (f.find_tensor(t.name) != &t) __builtin_trap();
    }
    for (const auto& kv : f.metadata()) {
      sum += kv.key.size() + kv.value.type_name().size();
      if (f.find(kv.key) != &kv.value) __builtin_trap();
    }
    try_get([&] { sum += static_cast<uint64_t>(f.get_int_optional("general.file_type").value_or(0)); });
    try_get([&] { sum += f.get_optional<std::string>("general.architecture").value_or("").size(); });
    try_get([&] { sum += static_cast<uint64_t>(f.get_float_optional("llama.rope.freq_base").value_or(0)); });
    try_get([&] { sum += f.get_array<std::string>("tokenizer.ggml.tokens").size(); });
    try_get([&] { sum += f.get_array<float>("tokenizer.ggml.scores").size(); });
    try_get([&] { sum += f.get_array<int32_t>("tokenizer.ggml.token_type").size(); });
    volatile uint64_t sink = sum;
    (void)sink;
  } catch (const hearth::Error&) {
  }
  return 0;
}

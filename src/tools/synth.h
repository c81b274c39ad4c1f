#pragma once
// Random-weight models with the exact tensor shapes of real ones, so benchmarks need no
// download. Deterministic for a given seed (each row has its own random stream, so the
// thread count does not change the bytes).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "core/thread_pool.h"
#include "tensor/ftype.h"

namespace hearth::tools {

struct ModelShape {
  std::string_view name;  // "tinyllama-1.1b"
  std::string_view arch;  // general.architecture
  int64_t n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_ctx;
  float rope_base, rms_eps;
  bool tied_output;  // no output.weight
  bool qkv_bias;     // qwen2
  bool rope_freqs;   // llama-3 frequency factors tensor
};

std::span<const ModelShape> known_shapes();
const ModelShape* find_shape(std::string_view name);  // nullptr if unknown

struct SynthOptions {
  std::string shape = "tinyllama-1.1b";
  tensor::LlamaFtype ftype = tensor::LlamaFtype::Q4_K_M;
  uint64_t seed = 42;
  std::filesystem::path vocab;  // GGUF whose tokenizer.* metadata is copied
};

// Writes the model (temp file, fsync, rename). on_tensor(i, n) reports progress.
void synthesize(const SynthOptions& opts, const std::filesystem::path& out, ThreadPool& pool,
                const std::function<void(size_t, size_t)>& on_tensor = {});

}  // namespace hearth::tools

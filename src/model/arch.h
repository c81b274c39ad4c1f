#pragma once
// An architecture is data: which tensors exist and the few switches where families differ.
// One shared transformer block reads these; adding a family is one file in arch/.
#include <string>
#include <string_view>
#include <vector>

namespace hearth::model {

enum class RopeStyle { Normal, Neox };  // adjacent pairs (2k, 2k+1) vs halves (k, k + n_rot/2)
enum class Activation { Silu, GeluTanh };

struct ArchSpec {
  std::string_view name;  // general.architecture
  RopeStyle rope = RopeStyle::Normal;
  Activation activation = Activation::Silu;
  bool qkv_bias = false;       // q/k/v biases required (qwen2); otherwise optional
  bool qk_norm = false;        // per-head RMSNorm of Q and K before RoPE (qwen3, gemma3)
  bool output_tied_only = false;  // LM head is always token_embd (gemma)
  bool embed_scale_sqrt = false;  // x0 = embedding * sqrt(n_embd) (gemma)
  bool post_norms = false;        // post-attention / post-FFN norms (gemma2/3)
  float default_rms_eps = 1e-5f;
};

// nullptr when the architecture is not supported.
const ArchSpec* find_arch(std::string_view name);
std::vector<std::string_view> supported_archs();

// Per-architecture specs (arch/<name>.cpp).
ArchSpec llama_arch();
ArchSpec qwen2_arch();
ArchSpec qwen3_arch();

}  // namespace hearth::model

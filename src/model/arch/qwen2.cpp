// qwen2: llama block with q/k/v biases and NEOX (halves) RoPE on HF-ordered weights.
#include "model/arch.h"

namespace hearth::model {

ArchSpec qwen2_arch() {
  ArchSpec a;
  a.name = "qwen2";
  a.rope = RopeStyle::Neox;
  a.qkv_bias = true;
  a.default_rms_eps = 1e-6f;
  return a;
}

}  // namespace hearth::model

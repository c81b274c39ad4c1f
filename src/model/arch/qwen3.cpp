// qwen3: per-head RMSNorm on Q and K before NEOX RoPE; head size from key_length.
#include "model/arch.h"

namespace hearth::model {

ArchSpec qwen3_arch() {
  ArchSpec a;
  a.name = "qwen3";
  a.rope = RopeStyle::Neox;
  a.qk_norm = true;
  a.default_rms_eps = 1e-6f;
  return a;
}

}  // namespace hearth::model

// llama: Llama 1/2/3, TinyLlama, Mistral (no sliding window). Q/K rows were permuted by
// the converter so adjacent-pair RoPE reproduces HF's rotate-half.
#include "model/arch.h"

namespace hearth::model {

ArchSpec llama_arch() {
  ArchSpec a;
  a.name = "llama";
  a.rope = RopeStyle::Normal;
  return a;
}

}  // namespace hearth::model

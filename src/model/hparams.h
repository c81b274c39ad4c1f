#pragma once
// Hyper-parameters read from GGUF metadata (<arch>.* keys), validated for consistency.
#include <cstdint>
#include <string>

#include "gguf/reader.h"
#include "model/arch.h"

namespace hearth::model {

struct HParams {
  std::string arch;
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_ff = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim_k = 0;  // Dk
  int64_t head_dim_v = 0;  // Dv
  int64_t n_rot = 0;       // rotated dims per head
  float rope_freq_base = 10000.0f;
  float rope_freq_scale = 1.0f;  // 1 / linear scaling factor
  float rms_eps = 1e-5f;

  int64_t q_dim() const { return n_head * head_dim_k; }
  int64_t kv_dim_k() const { return n_head_kv * head_dim_k; }
  int64_t kv_dim_v() const { return n_head_kv * head_dim_v; }
};

HParams read_hparams(const gguf::File& f, const ArchSpec& arch);

}  // namespace hearth::model

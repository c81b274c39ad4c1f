#pragma once
// Per-sequence KV cache: for every layer, K and V rows for positions [0, capacity),
// stored as F32 or F16. A sequence owns its cache; weights are shared across sequences.
#include <cstdint>
#include <string_view>
#include <vector>

#include "model/hparams.h"

namespace hearth::model {

enum class KvType { F32, F16 };
KvType parse_kv_type(std::string_view s);  // "f32" | "f16", else hearth::Error

class KvCache {
 public:
  KvCache(const HParams& hp, int64_t capacity, KvType type);

  int64_t capacity() const { return capacity_; }
  KvType type() const { return type_; }
  size_t bytes() const { return (k_.size() + v_.size()); }

  // Positions [0, n_past) hold valid entries; the engine advances it after a batch.
  int64_t n_past = 0;

  // Copies positions [0, n) of every layer from a cache of the same model and type (prefix
  // reuse); n_past is left to the caller.
  void copy_prefix_from(const KvCache& from, int64_t n);

  void store(int64_t layer, int64_t pos, const float* k_row, const float* v_row);
  // Row of position `pos` in `layer`: kv_dim floats or halves depending on type().
  const uint8_t* k_row(int64_t layer, int64_t pos) const { return k_.data() + offset(layer, pos, k_row_bytes_, k_layer_bytes_); }
  const uint8_t* v_row(int64_t layer, int64_t pos) const { return v_.data() + offset(layer, pos, v_row_bytes_, v_layer_bytes_); }
  size_t k_row_bytes() const { return k_row_bytes_; }
  size_t v_row_bytes() const { return v_row_bytes_; }
  size_t elem_bytes() const { return type_ == KvType::F32 ? 4 : 2; }

 private:
  static size_t offset(int64_t layer, int64_t pos, size_t row, size_t layer_bytes) {
    return static_cast<size_t>(layer) * layer_bytes + static_cast<size_t>(pos) * row;
  }
  int64_t capacity_;
  KvType type_;
  int64_t k_dim_, v_dim_;
  size_t k_row_bytes_, v_row_bytes_, k_layer_bytes_, v_layer_bytes_;
  std::vector<uint8_t> k_, v_;
};

}  // namespace hearth::model

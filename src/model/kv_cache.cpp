#include "model/kv_cache.h"

#include <cstring>

#include "core/error.h"
#include "tensor/fp16.h"

namespace hearth::model {

KvType parse_kv_type(std::string_view s) {
  if (s == "f32" || s == "F32") return KvType::F32;
  if (s == "f16" || s == "F16") return KvType::F16;
  fail("unknown KV cache type '{}' (expected f16 or f32)", s);
}

KvCache::KvCache(const HParams& hp, int64_t capacity, KvType type)
    : capacity_(capacity), type_(type), k_dim_(hp.kv_dim_k()), v_dim_(hp.kv_dim_v()) {
  HEARTH_CHECK(capacity > 0);
  const size_t eb = type == KvType::F32 ? 4 : 2;
  k_row_bytes_ = static_cast<size_t>(k_dim_) * eb;
  v_row_bytes_ = static_cast<size_t>(v_dim_) * eb;
  k_layer_bytes_ = k_row_bytes_ * static_cast<size_t>(capacity);
  v_layer_bytes_ = v_row_bytes_ * static_cast<size_t>(capacity);
  k_.resize(k_layer_bytes_ * static_cast<size_t>(hp.n_layer));
  v_.resize(v_layer_bytes_ * static_cast<size_t>(hp.n_layer));
}

void KvCache::store(int64_t layer, int64_t pos, const float* k_row, const float* v_row) {
  HEARTH_CHECK(pos >= 0 && pos < capacity_, "position {} outside cache of {}", pos, capacity_);
  uint8_t* kd = k_.data() + offset(layer, pos, k_row_bytes_, k_layer_bytes_);
  uint8_t* vd = v_.data() + offset(layer, pos, v_row_bytes_, v_layer_bytes_);
  if (type_ == KvType::F32) {
    std::memcpy(kd, k_row, k_row_bytes_);
    std::memcpy(vd, v_row, v_row_bytes_);
  } else {
    auto* kh = reinterpret_cast<uint16_t*>(kd);
    auto* vh = reinterpret_cast<uint16_t*>(vd);
    for (int64_t i = 0; i < k_dim_; ++i) kh[i] = fp32_to_fp16(k_row[i]);
    for (int64_t i = 0; i < v_dim_; ++i) vh[i] = fp32_to_fp16(v_row[i]);
  }
}

}  // namespace hearth::model

namespace hearth::model {

void KvCache::copy_prefix_from(const KvCache& from, int64_t n) {
  HEARTH_CHECK(from.type_ == type_ && from.k_row_bytes_ == k_row_bytes_ && from.v_row_bytes_ == v_row_bytes_ &&
                   from.k_.size() / from.k_layer_bytes_ == k_.size() / k_layer_bytes_,
               "KV caches of different shapes");
  HEARTH_CHECK(n >= 0 && n <= capacity_ && n <= from.capacity_, "prefix of {} outside the caches", n);
  const size_t n_layer = k_.size() / k_layer_bytes_;
  for (size_t l = 0; l < n_layer; ++l) {
    std::memcpy(k_.data() + l * k_layer_bytes_, from.k_.data() + l * from.k_layer_bytes_, static_cast<size_t>(n) * k_row_bytes_);
    std::memcpy(v_.data() + l * v_layer_bytes_, from.v_.data() + l * from.v_layer_bytes_, static_cast<size_t>(n) * v_row_bytes_);
  }
}

}  // namespace hearth::model

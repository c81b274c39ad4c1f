#pragma once
// ggml tensor type ids and their block geometry, as stored in GGUF tensor infos.
// This is format knowledge (needed to validate sizes); the algorithms live in tensor/.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hearth {

enum class GgmlType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
  IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39, NVFP4 = 40, Q1_0 = 41, Q2_0 = 42,
};
inline constexpr uint32_t kGgmlTypeCount = 43;

struct GgmlTypeInfo {
  std::string_view name;
  uint32_t block_size;  // elements per block (1 for scalar types); 0 = removed/invalid id
  uint32_t type_size;   // bytes per block
  bool quantized;
};

// nullptr for ids that are out of range or removed from the format.
const GgmlTypeInfo* ggml_type_info(uint32_t id);
inline const GgmlTypeInfo& type_info(GgmlType t) { return *ggml_type_info(static_cast<uint32_t>(t)); }
std::string_view type_name(GgmlType t);
std::optional<GgmlType> type_from_name(std::string_view name);  // case-insensitive

// Bytes of one row of n elements; n must be a multiple of the block size.
inline size_t row_size(GgmlType t, int64_t n) {
  const auto& info = type_info(t);
  return static_cast<size_t>(n / info.block_size) * info.type_size;
}

}  // namespace hearth

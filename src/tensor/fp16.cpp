#include "tensor/fp16.h"

namespace hearth {
namespace detail {
namespace {
constexpr std::array<float, 65536> make_fp16_table() {
  std::array<float, 65536> t{};
  for (uint32_t i = 0; i < t.size(); ++i) t[i] = fp16_to_fp32_scalar(static_cast<fp16_t>(i));
  return t;
}
}  // namespace

constinit const std::array<float, 65536> kFp16ToFp32 = make_fp16_table();
}  // namespace detail

void fp16_to_fp32_row(const fp16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(src[i]);
}
void fp32_to_fp16_row(const float* src, fp16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = fp32_to_fp16(src[i]);
}
void bf16_to_fp32_row(const bf16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(src[i]);
}
void fp32_to_bf16_row(const float* src, bf16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = fp32_to_bf16(src[i]);
}

}  // namespace hearth

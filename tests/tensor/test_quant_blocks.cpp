// Per-quantizer unit tests on edge blocks (all zero, constant, one outlier, tiny values,
// random data), the activation formats, and the dispatch table.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "core/error.h"
#include "tensor/quant.h"

using namespace hearth;
using namespace hearth::tensor;

namespace {

struct TypeCase {
  GgmlType type;
  double tol;  // max |dequant(quant(x)) - x| as a fraction of max|x| over the block
};

// Every block type with a reference quantizer. Tolerances follow each format's resolution
// (e.g. Q4_0 maps max|x| to -8d and has only +7d on the other side: error up to max|x|/8).
const TypeCase kCases[] = {
    {GgmlType::Q4_0, 0.13},  {GgmlType::Q4_1, 0.07},  {GgmlType::Q5_0, 0.07},   {GgmlType::Q5_1, 0.035},
    {GgmlType::Q8_0, 0.006}, {GgmlType::Q8_1, 0.006}, {GgmlType::Q2_K, 0.5},    {GgmlType::Q3_K, 0.3},
    {GgmlType::Q4_K, 0.15},  {GgmlType::Q5_K, 0.08},  {GgmlType::Q6_K, 0.04},   {GgmlType::Q8_K, 0.004},
    {GgmlType::IQ4_NL, 0.12}, {GgmlType::IQ4_XS, 0.15},
};

int64_t qk(GgmlType t) { return type_info(t).block_size; }

std::vector<uint8_t> quant(GgmlType t, const std::vector<float>& x) {
  std::vector<uint8_t> out(row_size(t, static_cast<int64_t>(x.size())), 0xCD);
  quantize_row(t, x.data(), out.data(), static_cast<int64_t>(x.size()));
  return out;
}

std::vector<float> dequant(GgmlType t, const std::vector<uint8_t>& q, size_t n) {
  std::vector<float> y(n);
  dequantize_row(t, q.data(), y.data(), static_cast<int64_t>(n));
  return y;
}

// max |y - x| per block, divided by the block's max |x|; checks every block against tol.
void expect_within(const TypeCase& c, const std::vector<float>& x) {
  const auto y = dequant(c.type, quant(c.type, x), x.size());
  const size_t b = static_cast<size_t>(qk(c.type));
  for (size_t i0 = 0; i0 < x.size(); i0 += b) {
    double amax = 0, err = 0;
    for (size_t i = i0; i < i0 + b; ++i) {
      ASSERT_TRUE(std::isfinite(y[i]));
      amax = std::max(amax, std::fabs(double(x[i])));
      err = std::max(err, std::fabs(double(y[i]) - double(x[i])));
    }
    EXPECT_LE(err, c.tol * amax + 1e-30) << type_name(c.type) << " block at " << i0;
  }
}

std::vector<uint8_t> bytes(std::initializer_list<std::pair<int, uint8_t>> runs) {
  std::vector<uint8_t> v;
  for (auto [n, b] : runs) v.insert(v.end(), static_cast<size_t>(n), b);
  return v;
}

}  // namespace

TEST(QuantBlocks, AllZeroBlocksEncodeAsSpecified) {
  const std::map<GgmlType, std::vector<uint8_t>> expected = {
      {GgmlType::Q4_0, bytes({{1, 0x00}, {1, 0x80}, {16, 0x88}})},  // d = -0
      {GgmlType::Q4_1, bytes({{20, 0}})},
      {GgmlType::Q5_0, bytes({{1, 0x00}, {1, 0x80}, {4, 0xFF}, {16, 0x00}})},
      {GgmlType::Q5_1, bytes({{24, 0}})},
      {GgmlType::Q8_0, bytes({{34, 0}})},
      {GgmlType::Q8_1, bytes({{36, 0}})},
      {GgmlType::Q2_K, bytes({{84, 0}})},
      {GgmlType::Q3_K, bytes({{110, 0}})},
      {GgmlType::Q4_K, bytes({{144, 0}})},
      {GgmlType::Q5_K, bytes({{176, 0}})},
      {GgmlType::Q6_K, bytes({{210, 0}})},
      {GgmlType::Q8_K, bytes({{292, 0}})},
      {GgmlType::IQ4_NL, bytes({{2, 0x00}, {16, 0x88}})},
      {GgmlType::IQ4_XS, bytes({{1, 0x00}, {1, 0x80}, {2, 0xAA}, {4, 0x00}, {128, 0x88}})},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(type_name(c.type));
    const std::vector<float> x(static_cast<size_t>(qk(c.type)), 0.0f);
    const auto q = quant(c.type, x);
    EXPECT_EQ(q, expected.at(c.type));
    for (float v : dequant(c.type, q, x.size())) EXPECT_EQ(v, 0.0f);
  }
}

TEST(QuantBlocks, ConstantBlocks) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(type_name(c.type));
    for (float v : {0.5f, -3.0f, 1e4f}) {
      expect_within(c, std::vector<float>(static_cast<size_t>(qk(c.type)), v));
    }
  }
  // Symmetric formats map the largest element onto their extreme code exactly: a constant
  // whose scale is exact in fp16 round-trips exactly.
  for (GgmlType t : {GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q4_1, GgmlType::Q5_1}) {
    const std::vector<float> x(32, -3.0f);
    for (float v : dequant(t, quant(t, x), 32)) EXPECT_EQ(v, -3.0f) << type_name(t);
  }
}

TEST(QuantBlocks, OneOutlier) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(type_name(c.type));
    const size_t n = static_cast<size_t>(qk(c.type));
    for (float outlier : {100.0f, -100.0f}) {
      std::vector<float> x(n);
      for (size_t i = 0; i < n; ++i) x[i] = 0.01f * static_cast<float>(static_cast<int>(i % 7) - 3);
      x[5] = outlier;
      expect_within(c, x);
      const auto y = dequant(c.type, quant(c.type, x), n);
      EXPECT_NEAR(y[5], outlier, c.tol * 100.0) << "the outlier itself";
    }
  }
}

TEST(QuantBlocks, TinyValues) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(type_name(c.type));
    const size_t n = static_cast<size_t>(qk(c.type));
    std::vector<float> x(n);
    for (size_t i = 0; i < n; ++i) x[i] = 1e-20f * static_cast<float>(static_cast<int>(i % 5) - 2);
    const auto q = quant(c.type, x);
    const auto y = dequant(c.type, q, n);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(std::isfinite(y[i]));
      EXPECT_NEAR(y[i], x[i], 1e-19);
    }
  }
  // Below EPS (1e-15) the searching quantizers give up: all-zero blocks.
  const std::vector<float> x(256, 1e-16f);
  for (GgmlType t : {GgmlType::Q3_K, GgmlType::Q6_K}) {
    const auto q = quant(t, x);
    EXPECT_EQ(q, std::vector<uint8_t>(q.size(), 0)) << type_name(t);
  }
  // Q2_K does not: its scale underflows fp16 to 0, and the codes of the initial search stay in
  // the bytes (spec §4.18) although they decode to 0.
  const auto q2 = quant(GgmlType::Q2_K, x);
  BlockQ2_K b;
  std::memcpy(&b, q2.data(), sizeof b);
  EXPECT_EQ(b.d, 0);
  EXPECT_NE(std::count(std::begin(b.qs), std::end(b.qs), 0), 64);
}

TEST(QuantBlocks, RandomDataWithinResolution) {
  std::mt19937 rng(42);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(1024);
  for (auto& v : x) v = nd(rng);
  for (const auto& c : kCases) expect_within(c, x);
  // Heavy tails and mixed magnitudes across blocks.
  for (size_t i = 0; i < x.size(); ++i) x[i] = nd(rng) * std::pow(10.0f, static_cast<float>(i / 256) - 2.0f);
  for (const auto& c : kCases) expect_within(c, x);
}

TEST(QuantBlocks, HandComputedQ4_0AndQ8_0) {
  // x = -8, -7.5, ..., 7.5: first max |x| is -8, so d = 1 and the codes are trunc(x + 8.5).
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = 0.5f * static_cast<float>(j - 16);
  BlockQ4_0 b;
  quantize_row_q4_0(x.data(), &b, 32);
  EXPECT_EQ(b.d, 0x3C00);
  for (int j = 0; j < 16; ++j) {
    const int q0 = (j + 1) / 2, q1 = std::min(15, (j + 17) / 2);
    EXPECT_EQ(b.qs[j], q0 | (q1 << 4)) << j;
  }
  // Q8_0 rounds half away from zero: 63.5 -> 64, -63.5 -> -64.
  std::vector<float> y(32, 0.0f);
  y[0] = 127.0f;
  y[1] = 63.5f;
  y[2] = -63.5f;
  y[3] = 0.5f;
  BlockQ8_0 q;
  quantize_row_q8_0(y.data(), &q, 32);
  EXPECT_EQ(q.d, fp32_to_fp16(1.0f));
  EXPECT_EQ(q.qs[0], 127);
  EXPECT_EQ(q.qs[1], 64);
  EXPECT_EQ(q.qs[2], -64);
  EXPECT_EQ(q.qs[3], 1);
}

TEST(ActivationFormats, Q8_1SumAndQ8_KBlockSums) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> ud(-2.0f, 2.0f);
  std::vector<float> x(512);
  for (auto& v : x) v = ud(rng);

  std::vector<BlockQ8_1> q81(512 / 32);
  quantize_activation_row(GgmlType::Q8_1, x.data(), q81.data(), 512);
  std::vector<BlockQ8_0> q80(512 / 32);
  quantize_activation_row(GgmlType::Q8_0, x.data(), q80.data(), 512);
  for (size_t b = 0; b < q81.size(); ++b) {
    float amax = 0;
    int sum = 0;
    for (int j = 0; j < 32; ++j) {
      amax = std::max(amax, std::fabs(x[b * 32 + j]));
      sum += q81[b].qs[j];
      EXPECT_EQ(q81[b].qs[j], q80[b].qs[j]);
    }
    EXPECT_EQ(q81[b].d, q80[b].d);
    EXPECT_EQ(q81[b].s, fp32_to_fp16(static_cast<float>(sum) * (amax / 127.0f)));  // unrounded d
  }

  std::vector<BlockQ8_K> q8k(2);
  quantize_activation_row(GgmlType::Q8_K, x.data(), q8k.data(), 512);
  for (const auto& b : q8k) {
    for (int k = 0; k < 16; ++k) {
      int s = 0;
      for (int l = 0; l < 16; ++l) s += b.qs[16 * k + l];
      EXPECT_EQ(b.bsums[k], s);
    }
    int max_code = 0;
    for (int8_t q : b.qs) max_code = std::max(max_code, std::abs(static_cast<int>(q)));
    EXPECT_EQ(max_code, 127);  // the largest magnitude maps to -127 (d carries the sign)
  }
  std::vector<float> y(512);
  dequantize_row(GgmlType::Q8_K, q8k.data(), y.data(), 512);
  for (size_t i = 0; i < 512; ++i) EXPECT_NEAR(y[i], x[i], 2.0 / 127 / 2 * 1.001);
}

TEST(ActivationFormats, VecDotTypes) {
  EXPECT_EQ(vec_dot_type(GgmlType::Q4_0), GgmlType::Q8_0);
  EXPECT_EQ(vec_dot_type(GgmlType::Q5_0), GgmlType::Q8_0);
  EXPECT_EQ(vec_dot_type(GgmlType::Q8_0), GgmlType::Q8_0);
  EXPECT_EQ(vec_dot_type(GgmlType::IQ4_NL), GgmlType::Q8_0);
  EXPECT_EQ(vec_dot_type(GgmlType::Q4_1), GgmlType::Q8_1);
  EXPECT_EQ(vec_dot_type(GgmlType::Q5_1), GgmlType::Q8_1);
  for (GgmlType t : {GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K,
                     GgmlType::IQ4_XS})
    EXPECT_EQ(vec_dot_type(t), GgmlType::Q8_K) << type_name(t);
  EXPECT_EQ(vec_dot_type(GgmlType::F16), GgmlType::F16);
  EXPECT_THROW(vec_dot_type(GgmlType::I32), Error);
  float x[32] = {};
  uint8_t out[64];
  EXPECT_THROW(quantize_activation_row(GgmlType::Q4_0, x, out, 32), Error);
}

TEST(QuantDispatch, SupportedTypesAndFloatFormats) {
  for (const auto& c : kCases) {
    EXPECT_TRUE(can_quantize(c.type));
    EXPECT_TRUE(can_dequantize(c.type));
  }
  for (GgmlType t : {GgmlType::IQ2_XXS, GgmlType::IQ3_S, GgmlType::TQ1_0, GgmlType::MXFP4, GgmlType::I8})
    EXPECT_FALSE(can_quantize(t)) << type_name(t);
  const std::vector<float> x = {1.0f, -2.5f, 3.14159265f, 1e-8f, -0.0f, 65504.0f, 1e5f, 0.1f};
  for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16}) {
    const auto q = quant(t, x);
    const auto y = dequant(t, q, x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      const float expect = t == GgmlType::F32 ? x[i]
                           : t == GgmlType::F16 ? fp16_to_fp32(fp32_to_fp16(x[i]))
                                                : bf16_to_fp32(fp32_to_bf16(x[i]));
      EXPECT_EQ(std::memcmp(&y[i], &expect, 4), 0) << type_name(t) << " " << i;
    }
  }
  // The typed entry points and the dispatch give the same bytes.
  std::vector<float> r(256);
  for (size_t i = 0; i < r.size(); ++i) r[i] = std::sin(static_cast<float>(i));
  std::vector<BlockQ4_K> k(1);
  quantize_row_q4_k(r.data(), k.data(), 256);
  const auto via = quant(GgmlType::Q4_K, r);
  EXPECT_EQ(std::memcmp(via.data(), k.data(), sizeof(BlockQ4_K)), 0);
}

// dequantize -> quantize round trips on real fixture tensors (the tiny-llama-spm files made by
// llama-quantize; IQ4_NL, IQ4_XS, Q8_1 and Q8_K, which have no fixture, on our own
// quantization of its F32 weights). Measured on these tensors:
//
// Byte-idempotent (quantize(dequantize(q)) == q):
//   Q4_0, Q5_0, Q8_0  symmetric: the largest element sits on the extreme code, so the same
//                     scale and codes come back;
//   Q4_1, Q5_1        min/max: the min lands on code 0 and the max on the top code, so max-min
//                     and the scale come back exactly (it could only break for a block whose
//                     offset m is ~2^9 times its range, where (15d + m) - m rounds).
// Value-idempotent only (same dequantized values, some bytes differ):
//   Q6_K  re-quantizing against the rounded scales can leave a sub-block with its largest
//         |value| on the positive side; the search then picks the opposite scale sign and
//         negated codes, (-s)(-(q-32)) = s(q-32);
//   Q8_1  d and qs come back, but s = fp16(sum*d) uses the *unrounded* d, which was
//         amax/127 the first time and fp16(amax/127) the second.
// Not idempotent (the searches re-fit scales to already-rounded values and may land on a
// different, equally good one): Q2_K, Q3_K, Q4_K, Q5_K, IQ4_NL, IQ4_XS, and Q8_K (its f32
// d = 1/(-127/max) is recomputed with one more rounding). For these a tight bound on the drift
// is asserted instead: max |dequant(requant) - dequant| per block relative to the block's max.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <vector>

#include "gguf/reader.h"
#include "tensor/quant.h"
#include "test_support.h"

using namespace hearth;
using namespace hearth::tensor;

namespace {

constexpr int64_t kMaxRowsPerTensor = 48;  // keeps the ASan build fast

struct Stats {
  int64_t blocks = 0;
  int64_t identical_blocks = 0;
  int64_t identical_q8_1_d_qs = 0;  // Q8_1 only: blocks whose d and qs (not s) are identical
  double max_rel_err = 0;  // max |y2 - y1| / max|y1| per block
};

// Round-trips n elements of quantized data q (type t); accumulates into s.
void round_trip(GgmlType t, const uint8_t* q, int64_t n, Stats& s) {
  const auto& info = type_info(t);
  std::vector<float> y1(static_cast<size_t>(n)), y2(static_cast<size_t>(n));
  std::vector<uint8_t> q2(row_size(t, n));
  dequantize_row(t, q, y1.data(), n);
  quantize_row(t, y1.data(), q2.data(), n);
  dequantize_row(t, q2.data(), y2.data(), n);
  for (int64_t b = 0; b < n / info.block_size; ++b) {
    ++s.blocks;
    const uint8_t* a = q + b * info.type_size;
    const uint8_t* c = q2.data() + b * info.type_size;
    s.identical_blocks += std::memcmp(a, c, info.type_size) == 0;
    if (t == GgmlType::Q8_1)
      s.identical_q8_1_d_qs += std::memcmp(a, c, 2) == 0 && std::memcmp(a + 4, c + 4, info.type_size - 4) == 0;
    double amax = 0, err = 0;
    for (int64_t i = b * info.block_size; i < (b + 1) * info.block_size; ++i) {
      amax = std::max(amax, std::fabs(double(y1[size_t(i)])));
      err = std::max(err, std::fabs(double(y2[size_t(i)]) - double(y1[size_t(i)])));
    }
    if (amax > 0) s.max_rel_err = std::max(s.max_rel_err, err / amax);
  }
}

// Round-trips up to kMaxRowsPerTensor rows of every tensor of type t in file f.
void round_trip_file(const gguf::File& f, std::map<GgmlType, Stats>& stats) {
  for (const auto& t : f.tensors()) {
    if (!type_info(t.type).quantized) continue;
    for (int64_t r = 0; r < std::min(t.n_rows(), kMaxRowsPerTensor); ++r)
      round_trip(t.type, t.data + r * t.row_bytes(), t.ne[0], stats[t.type]);
  }
}

const std::map<GgmlType, Stats>& fixture_stats() {
  static const std::map<GgmlType, Stats> stats = [] {
    std::map<GgmlType, Stats> s;
    for (const char* type : {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K"})
      round_trip_file(gguf::File::open(test::model_path(std::string("tiny-llama-spm.") + type + ".gguf")), s);
    // Types without a fixture: quantize real F32 weights first, then round-trip.
    const auto f32 = gguf::File::open(test::model_path("tiny-llama-spm.F32.gguf"));
    const auto* w = f32.find_tensor("blk.0.ffn_gate.weight");
    for (GgmlType t : {GgmlType::IQ4_NL, GgmlType::IQ4_XS, GgmlType::Q8_1, GgmlType::Q8_K}) {
      std::vector<uint8_t> q(row_size(t, w->ne[0]));
      for (int64_t r = 0; r < kMaxRowsPerTensor; ++r) {
        quantize_row(t, reinterpret_cast<const float*>(w->data) + r * w->ne[0], q.data(), w->ne[0]);
        round_trip(t, q.data(), w->ne[0], s[t]);
      }
    }
    std::printf("\n  %-7s %8s %17s %13s\n", "type", "blocks", "identical blocks", "max rel err");
    for (const auto& [t, st] : s)
      std::printf("  %-7s %8lld %16.2f%% %13.3g\n", std::string(type_name(t)).c_str(), (long long)st.blocks,
                  100.0 * double(st.identical_blocks) / double(st.blocks), st.max_rel_err);
    std::fflush(stdout);
    return s;
  }();
  return stats;
}

void expect_byte_idempotent(GgmlType t) {
  const Stats& s = fixture_stats().at(t);
  ASSERT_GT(s.blocks, 0);
  EXPECT_EQ(s.identical_blocks, s.blocks) << type_name(t);
  EXPECT_EQ(s.max_rel_err, 0.0) << type_name(t);
}

void expect_value_idempotent(GgmlType t) {
  const Stats& s = fixture_stats().at(t);
  ASSERT_GT(s.blocks, 0);
  EXPECT_EQ(s.max_rel_err, 0.0) << type_name(t);
  EXPECT_LT(s.identical_blocks, s.blocks) << type_name(t) << " became byte-idempotent: update the notes above";
}

void expect_bounded(GgmlType t, double max_rel_err) {
  const Stats& s = fixture_stats().at(t);
  ASSERT_GT(s.blocks, 0);
  EXPECT_LE(s.max_rel_err, max_rel_err) << type_name(t);
  EXPECT_GT(s.max_rel_err, 0.0) << type_name(t) << " became idempotent: update the notes above";
}

}  // namespace

TEST(RoundTripByteIdempotent, Q4_0) { expect_byte_idempotent(GgmlType::Q4_0); }
TEST(RoundTripByteIdempotent, Q5_0) { expect_byte_idempotent(GgmlType::Q5_0); }
TEST(RoundTripByteIdempotent, Q8_0) { expect_byte_idempotent(GgmlType::Q8_0); }
TEST(RoundTripByteIdempotent, Q4_1) { expect_byte_idempotent(GgmlType::Q4_1); }
TEST(RoundTripByteIdempotent, Q5_1) { expect_byte_idempotent(GgmlType::Q5_1); }

TEST(RoundTripValueIdempotentOnly, Q6_K_SubBlockSignFlips) { expect_value_idempotent(GgmlType::Q6_K); }
TEST(RoundTripValueIdempotentOnly, Q8_1_SumUsesUnroundedScale) {
  expect_value_idempotent(GgmlType::Q8_1);
  const Stats& s = fixture_stats().at(GgmlType::Q8_1);
  EXPECT_EQ(s.identical_q8_1_d_qs, s.blocks);
}

TEST(RoundTripNotIdempotent, Q2_K_SearchRefits) { expect_bounded(GgmlType::Q2_K, 0.20); }
TEST(RoundTripNotIdempotent, Q3_K_SearchRefits) { expect_bounded(GgmlType::Q3_K, 0.25); }
TEST(RoundTripNotIdempotent, Q4_K_SearchRefits) { expect_bounded(GgmlType::Q4_K, 0.01); }
TEST(RoundTripNotIdempotent, Q5_K_SearchRefits) { expect_bounded(GgmlType::Q5_K, 0.035); }
TEST(RoundTripNotIdempotent, IQ4_NL_SearchRefits) { expect_bounded(GgmlType::IQ4_NL, 0.065); }
TEST(RoundTripNotIdempotent, IQ4_XS_SearchRefits) { expect_bounded(GgmlType::IQ4_XS, 0.045); }
TEST(RoundTripNotIdempotent, Q8_K_F32ScaleRecomputed) { expect_bounded(GgmlType::Q8_K, 1e-6); }

// Load-time repacking (model::repack_weights): which matrices are packed, that the packed
// bytes hold exactly the file's rows, that the file stays readable after its pages were
// released, and that logits agree with the unpacked model for batches and single tokens.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "core/cpu_features.h"
#include "engine/context.h"
#include "kernels/packed.h"
#include "test_support.h"

using namespace hearth;

namespace {

bool loader_packs(GgmlType t) {
  return kernels::kernel_table(kernels::best_isa(detect_cpu_features())).types[static_cast<size_t>(t)].pack_preferred;
}

void unpack_row(GgmlType t, int64_t n, const uint8_t* group, int row, uint8_t* dst) {
  if (t == GgmlType::Q4_0) return kernels::unpack_q4_0x16_row(n, group, row, dst);
  if (t == GgmlType::Q8_0) return kernels::unpack_q8_0x16_row(n, group, row, dst);
  if (t == GgmlType::Q4_K) return kernels::unpack_q4_kx16_row(n, group, row, dst);
  FAIL() << "no unpacker for " << type_name(t);
}

std::vector<float> eval(std::shared_ptr<const model::Model> m, const std::vector<int32_t>& tokens, bool one_by_one) {
  engine::ContextOptions opt;
  opt.threads = 2;
  engine::Context ctx(m, opt);
  auto seq = ctx.new_sequence();
  if (!one_by_one) return ctx.eval(*seq, tokens, true);
  std::vector<float> out;
  for (int32_t t : tokens) {
    const auto& l = ctx.eval(*seq, {&t, 1}, false);
    out.insert(out.end(), l.begin(), l.end());
  }
  return out;
}

class Repack : public ::testing::TestWithParam<GgmlType> {};

TEST_P(Repack, PacksLayerMatricesAndKeepsTheirBytes) {
  const GgmlType type = GetParam();
  // Q4_K: the Q4_K_M model (its Q6_K matrices stay in the file layout).
  const std::string kModel =
      "tiny-llama-spm." + std::string(type_name(type)) + (type == GgmlType::Q4_K ? "_M" : "") + ".gguf";
  if (!std::filesystem::exists(test::model_path(kModel))) GTEST_SKIP() << "no " << kModel;
  if (const char* e = std::getenv("HEARTH_NO_REPACK"); e && *e && std::string_view(e) != "0")
    GTEST_SKIP() << "HEARTH_NO_REPACK is set";
  auto packed = model::Model::load(test::model_path(kModel));
  model::LoadOptions off;
  off.repack = false;
  auto plain = model::Model::load(test::model_path(kModel), off);
  EXPECT_EQ(plain->packed_matrices(), 0);
  if (!loader_packs(type)) {
    EXPECT_EQ(packed->packed_matrices(), 0);
    GTEST_SKIP() << "this CPU's kernels do not prefer a packed " << type_name(type) << " layout";
  }
  ASSERT_GT(packed->packed_matrices(), 0);
  const auto& w = packed->weights();
  EXPECT_EQ(w.token_embd.layout, kernels::Layout::Rows);  // read row by row for embeddings
  // Every matrix the loader may pack, with its tensor name.
  std::vector<std::pair<const kernels::Matrix*, std::string>> mats;
  for (size_t il = 0; il < w.layers.size(); ++il) {
    const auto& l = w.layers[il];
    const std::string p = "blk." + std::to_string(il) + ".";
    for (const auto& [m, name] : {std::pair{&l.wq, "attn_q"}, {&l.wk, "attn_k"}, {&l.wv, "attn_v"},
                                  {&l.wo, "attn_output"}, {&l.ffn_gate, "ffn_gate"}, {&l.ffn_up, "ffn_up"},
                                  {&l.ffn_down, "ffn_down"}})
      mats.emplace_back(m, p + name + ".weight");
  }
  if (!w.tied_output) mats.emplace_back(&w.output, "output.weight");
  int checked = 0;
  {
    for (const auto& [m, name] : mats) {
      const auto* t = packed->file().find_tensor(name);
      ASSERT_NE(t, nullptr);
      if (!loader_packs(m->type) || m->rows % kernels::kPackRows16 != 0) {
        EXPECT_EQ(m->layout, kernels::Layout::Rows) << name;
        continue;
      }
      ASSERT_EQ(m->layout, kernels::Layout::Packed) << name;
      EXPECT_EQ(reinterpret_cast<uintptr_t>(m->data) % 64, 0u);
      std::vector<uint8_t> row(m->row_stride);
      for (int64_t r = 0; r < m->rows; ++r) {
        unpack_row(m->type, m->cols, m->data + (r / 16) * m->group_stride, static_cast<int>(r % 16), row.data());
        // The file's bytes (their pages were released, so this reads them back from the file).
        ASSERT_EQ(0, std::memcmp(row.data(), t->data + r * m->row_stride, m->row_stride)) << name << " row " << r;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, packed->packed_matrices());

  // Logits. The row kernels' vec_dot (one token) and gemm tile (batch) combine blocks in
  // different float orders, which quantized activations amplify to ~0.2 here; the packed gemv
  // and gemm share one order, so a packed model's batch and token-by-token logits agree closely,
  // and its batch logits agree with the file layout's. Q4_K's packed gemm is the row tile on
  // unpacked rows: its batch logits equal the file layout's, and token-by-token ones differ
  // from them as the row kernels' do.
  const std::vector<int32_t> tokens = {1, 450, 996, 3354, 1701, 2916, 432, 3427, 975};
  auto max_diff = [](const std::vector<float>& x, const std::vector<float>& y) {
    EXPECT_EQ(x.size(), y.size());
    double m = 0;
    for (size_t i = 0; i < std::min(x.size(), y.size()); ++i) m = std::max(m, std::fabs(double(x[i]) - y[i]));
    return m;
  };
  const auto packed_batch = eval(packed, tokens, false), packed_single = eval(packed, tokens, true);
  const auto plain_batch = eval(plain, tokens, false), plain_single = eval(plain, tokens, true);
  if (type == GgmlType::Q4_K) {
    EXPECT_EQ(max_diff(packed_batch, plain_batch), 0.0);
    EXPECT_LT(max_diff(packed_single, packed_batch), 0.5);
  } else {
    EXPECT_LT(max_diff(packed_batch, plain_batch), 1e-2);
    EXPECT_LT(max_diff(packed_single, packed_batch), 1e-2);
  }
  EXPECT_LT(max_diff(packed_single, plain_single), 0.5);  // the conformance bound for quantized models
}

// A model parsed from caller memory is packed too, and that memory is left untouched (only
// file mappings have their pages released).
TEST(RepackFromMemory, LeavesCallerBytesIntact) {
  const auto path = test::model_path("tiny-llama-spm.Q4_0.gguf");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  const std::string text = test::read_file(path);
  const std::vector<uint8_t> bytes(text.begin(), text.end());
  const auto copy = bytes;
  auto m = model::Model::from_file(gguf::File::parse({bytes.data(), bytes.size()}, "memory.gguf"));
  EXPECT_EQ(m->packed_matrices() > 0, loader_packs(GgmlType::Q4_0));
  EXPECT_TRUE(bytes == copy);
}

INSTANTIATE_TEST_SUITE_P(Types, Repack, ::testing::Values(GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q4_K),
                         [](const auto& info) { return std::string(type_name(info.param)); });

}  // namespace

// `hearth quantize` against llama-quantize: every tiny-llama-spm.<TYPE>.gguf fixture was made
// by llama-quantize (1 thread, no imatrix) from tiny-llama-spm.F32.gguf, so our output must
// match it tensor for tensor and, with exact metadata handling, byte for byte.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "gguf/reader.h"
#include "gguf_compare.h"
#include "tensor/quantize_model.h"
#include "test_support.h"

using namespace hearth;

namespace {

// TYPE of every tiny-llama-spm.<TYPE>.gguf made by llama-quantize (F32 is the source, F16
// was written by the model generator, not by llama-quantize).
std::vector<std::string> llama_quantize_fixture_types(const std::string& model) {
  std::vector<std::string> types;
  for (const auto& p : test::files_with_extension(test::shared_dir() / "models", ".gguf")) {
    const std::string f = p.filename().string();
    const std::string prefix = model + ".";
    if (!f.starts_with(prefix)) continue;
    std::string type = f.substr(prefix.size(), f.size() - prefix.size() - 5);
    if (type != "F32" && type != "F16") types.push_back(type);
  }
  return types;
}

struct Row {
  std::string type;
  size_t tensors = 0;
  size_t identical = 0;
  bool metadata_equal = false;
  bool file_equal = false;
};

}  // namespace

TEST(QuantizeFixtures, ByteIdenticalToLlamaQuantize) {
  const auto src = test::model_path("tiny-llama-spm.F32.gguf");
  const auto types = llama_quantize_fixture_types("tiny-llama-spm");
  ASSERT_GE(types.size(), 10u) << "fixtures missing under " << test::shared_dir();
  test::TempDir tmp;
  std::vector<Row> rows;
  for (const auto& type : types) {
    SCOPED_TRACE(type);
    const auto fixture = test::model_path("tiny-llama-spm." + type + ".gguf");
    const auto out = tmp.path() / ("out." + type + ".gguf");
    const auto r = test::run_hearth({"quantize", src.string(), out.string(), type, "--threads", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("quantized"), std::string::npos) << r.out;

    const auto ours = gguf::File::open(out);
    const auto ref = gguf::File::open(fixture);
    Row row{type};
    const std::string meta_diff = test::metadata_difference(ours.metadata(), ref.metadata());
    EXPECT_EQ(meta_diff, "");
    row.metadata_equal = meta_diff.empty();
    ASSERT_EQ(ours.tensors().size(), ref.tensors().size());
    row.tensors = ref.tensors().size();
    for (size_t i = 0; i < ref.tensors().size(); ++i) {
      const auto& a = ours.tensors()[i];
      const auto& b = ref.tensors()[i];
      SCOPED_TRACE(b.name);
      EXPECT_EQ(a.name, b.name);
      EXPECT_EQ(type_name(a.type), type_name(b.type));
      EXPECT_EQ(a.ne, b.ne);
      EXPECT_EQ(a.n_dims, b.n_dims);
      EXPECT_EQ(a.offset, b.offset);
      ASSERT_EQ(a.n_bytes, b.n_bytes);
      const bool same = std::memcmp(a.data, b.data, a.n_bytes) == 0;
      EXPECT_TRUE(same) << "tensor data differs";
      row.identical += same;
    }
    row.file_equal = test::read_file(out) == test::read_file(fixture);
    EXPECT_TRUE(row.file_equal) << "whole file differs";
    rows.push_back(row);
  }
  std::printf("\n  %-8s %8s %18s %9s %11s\n", "type", "tensors", "identical tensors", "metadata", "whole file");
  for (const auto& r : rows)
    std::printf("  %-8s %8zu %18s %9s %11s\n", r.type.c_str(), r.tensors,
                (std::to_string(r.identical) + "/" + std::to_string(r.tensors)).c_str(),
                r.metadata_equal ? "equal" : "DIFFERS", r.file_equal ? "identical" : "DIFFERS");
  std::fflush(stdout);
}

// The tied-embedding models only ship F16 sources, so their data cannot be reproduced, but the
// layout llama-quantize chose (order, names, per-tensor types incl. token_embd -> Q6_K as the
// output, shapes) and the metadata must come out the same; unconverted F32 tensors are copied.
TEST(QuantizeFixtures, TiedModelsGetLlamaQuantizeLayout) {
  ThreadPool pool(1);
  int checked = 0;
  for (const std::string model : {"tiny-llama3-bpe", "tiny-qwen2", "tiny-qwen3"}) {
    const auto src_path = test::model_path(model + ".F16.gguf");
    if (!std::filesystem::exists(src_path)) continue;
    const auto src = gguf::File::open(src_path);
    for (const auto& type : llama_quantize_fixture_types(model)) {
      SCOPED_TRACE(model + " " + type);
      const auto ref = gguf::File::open(test::model_path(model + "." + type + ".gguf"));
      tensor::QuantizeOptions opt;
      opt.ftype = *tensor::ftype_from_name(type);
      const auto plan = tensor::plan_quantization(src, opt);
      EXPECT_EQ(test::metadata_difference(plan.metadata, ref.metadata()), "");
      ASSERT_EQ(plan.tensors.size(), ref.tensors().size());
      for (size_t i = 0; i < plan.tensors.size(); ++i) {
        const auto& p = plan.tensors[i];
        const auto& b = ref.tensors()[i];
        EXPECT_EQ(p.name, b.name);
        EXPECT_EQ(type_name(p.to), type_name(b.type)) << b.name;
        EXPECT_EQ(p.ne, b.ne);
        EXPECT_EQ(p.out_bytes, b.n_bytes);
        if (!p.converted()) {
          const auto& in = src.tensors()[p.input_index];
          EXPECT_EQ(std::memcmp(in.data, b.data, b.n_bytes), 0) << b.name;
        }
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 12);
}

TEST(QuantizeCli, RejectsBadInput) {
  test::TempDir tmp;
  const auto f32 = test::model_path("tiny-llama-spm.F32.gguf").string();
  const auto out = (tmp.path() / "o.gguf").string();

  auto r = test::run_hearth({"quantize", f32, out, "Q4_K_Z"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown quantization type 'Q4_K_Z'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Q4_K_M"), std::string::npos) << r.err;  // lists the valid ones

  r = test::run_hearth({"quantize", f32, out, "IQ2_XXS"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not supported"), std::string::npos) << r.err;

  r = test::run_hearth({"quantize", test::model_path("tiny-llama-spm.Q8_0.gguf").string(), out, "Q4_0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("re-quantizing is not supported"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Q8_0"), std::string::npos) << r.err;

  r = test::run_hearth({"quantize", (tmp.path() / "missing.gguf").string(), out, "Q4_0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.gguf"), std::string::npos) << r.err;

  r = test::run_hearth({"quantize", f32, f32, "Q4_0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("overwrite the input"), std::string::npos) << r.err;

  r = test::run_hearth({"quantize", f32, out, "Q4_0", "--threads", "-2"});
  EXPECT_NE(r.exit_code, 0);

  r = test::run_hearth({"quantize", f32});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(out));
}

// F16 target from F32: 2-D weights become F16 (the F16 fixture, written by numpy, agrees bit for
// bit on every converted tensor), 1-D norms stay F32, and --threads does not change the bytes.
TEST(QuantizeCli, F16TargetMatchesNumpyConversionAndThreadsDoNotMatter) {
  test::TempDir tmp;
  const auto src = test::model_path("tiny-llama-spm.F32.gguf").string();
  const auto a = tmp.path() / "a.gguf", b = tmp.path() / "b.gguf";
  auto r = test::run_hearth({"quantize", src, a.string(), "f16", "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_hearth({"quantize", src, b.string(), "F16", "--threads", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(test::read_file(a) == test::read_file(b));
  const auto ours = gguf::File::open(a);
  const auto ref = gguf::File::open(test::model_path("tiny-llama-spm.F16.gguf"));
  EXPECT_EQ(ours.get<uint32_t>("general.file_type"), 1u);
  for (const auto& t : ref.tensors()) {
    const auto* o = ours.find_tensor(t.name);
    ASSERT_NE(o, nullptr) << t.name;
    EXPECT_EQ(o->type, t.type) << t.name;
    ASSERT_EQ(o->n_bytes, t.n_bytes);
    EXPECT_EQ(std::memcmp(o->data, t.data, t.n_bytes), 0) << t.name;
  }
}

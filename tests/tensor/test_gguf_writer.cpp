// GGUF writer -> reader round trip: every metadata value type (scalars, arrays of each scalar
// type, arrays of strings, empty arrays and strings), tensors of several types and ranks,
// packed offsets, alignment, and the atomic temp-file + rename write.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "gguf/reader.h"
#include "gguf/writer.h"
#include "gguf_compare.h"
#include "tensor/quant.h"
#include "test_support.h"

using namespace hearth;

namespace {

template <typename T>
gguf::Value array_of(std::initializer_list<T> items) {
  gguf::Array a;
  a.elem_type = gguf::ValueTypeOf<T>::value;
  for (const auto& v : items) a.items.emplace_back(T(v));
  return gguf::Value(std::move(a));
}

std::vector<gguf::KeyValue> every_value_type() {
  std::vector<gguf::KeyValue> kv;
  kv.push_back({"general.architecture", gguf::Value(std::string("llama"))});
  kv.push_back({"t.u8", gguf::Value(uint8_t{250})});
  kv.push_back({"t.i8", gguf::Value(int8_t{-128})});
  kv.push_back({"t.u16", gguf::Value(uint16_t{65535})});
  kv.push_back({"t.i16", gguf::Value(int16_t{-32768})});
  kv.push_back({"t.u32", gguf::Value(uint32_t{4000000000u})});
  kv.push_back({"t.i32", gguf::Value(int32_t{-2000000000})});
  kv.push_back({"t.f32", gguf::Value(-0.0f)});
  kv.push_back({"t.f32_nan", gguf::Value(std::numeric_limits<float>::quiet_NaN())});
  kv.push_back({"t.bool_true", gguf::Value(true)});
  kv.push_back({"t.bool_false", gguf::Value(false)});
  kv.push_back({"t.string", gguf::Value(std::string("héllo, wörld ✓"))});
  kv.push_back({"t.empty_string", gguf::Value(std::string())});
  kv.push_back({"t.u64", gguf::Value(uint64_t{18446744073709551615ull})});
  kv.push_back({"t.i64", gguf::Value(int64_t{-9223372036854775807ll - 1})});
  kv.push_back({"t.f64", gguf::Value(3.141592653589793)});
  kv.push_back({"a.u8", array_of<uint8_t>({0, 1, 255})});
  kv.push_back({"a.i8", array_of<int8_t>({-1, 0, 127})});
  kv.push_back({"a.u16", array_of<uint16_t>({1, 65535})});
  kv.push_back({"a.i16", array_of<int16_t>({-5, 5})});
  kv.push_back({"a.u32", array_of<uint32_t>({7, 8, 9})});
  kv.push_back({"a.i32", array_of<int32_t>({1, 2, 3, 6})});
  kv.push_back({"a.f32", array_of<float>({0.5f, -1e-30f, std::numeric_limits<float>::infinity()})});
  kv.push_back({"a.bool", array_of<bool>({true, false, true})});
  kv.push_back({"a.u64", array_of<uint64_t>({1ull << 40})});
  kv.push_back({"a.i64", array_of<int64_t>({-(1ll << 40), 0})});
  kv.push_back({"a.f64", array_of<double>({1e300, -2.5})});
  kv.push_back({"a.strings", array_of<std::string>({"<s>", "", "▁the", std::string("nul\0byte", 8), "🦙"})});
  kv.push_back({"a.empty", array_of<int32_t>({})});
  kv.push_back({"a.empty_strings", array_of<std::string>({})});
  return kv;
}

}  // namespace

TEST(GgufWriter, RoundTripsEveryValueTypeAndTensor) {
  test::TempDir tmp;
  const auto path = tmp.path() / "rt.gguf";
  const auto kv = every_value_type();

  // Tensors: 2-D F32, 1-D F32, 3-D F16, a [64, 1] (written as 1-D), Q4_0 and Q6_K data.
  std::vector<float> w(64 * 3);
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(static_cast<float>(i));
  std::vector<uint8_t> q40(row_size(GgmlType::Q4_0, 64) * 3), q6k(row_size(GgmlType::Q6_K, 256) * 2);
  for (int r = 0; r < 3; ++r) tensor::quantize_row(GgmlType::Q4_0, w.data() + 64 * r, q40.data() + 36 * r, 64);
  std::vector<float> big(512);
  for (size_t i = 0; i < big.size(); ++i) big[i] = std::cos(0.1f * static_cast<float>(i));
  tensor::quantize_row(GgmlType::Q6_K, big.data(), q6k.data(), 512);
  std::vector<uint16_t> h(4 * 2 * 3);
  for (size_t i = 0; i < h.size(); ++i) h[i] = fp32_to_fp16(static_cast<float>(i) - 7.5f);
  auto as_bytes = [](const auto& v) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(v[0]));
  };

  gguf::Writer wr;
  for (const auto& e : kv) wr.set(e.key, e.value);
  wr.add_tensor("w2d", GgmlType::F32, {64, 3}, as_bytes(w));
  wr.add_tensor("w1d", GgmlType::F32, {5}, as_bytes(std::span(w).first(5)));
  wr.add_tensor("h3d", GgmlType::F16, {4, 2, 3}, as_bytes(h));
  wr.add_tensor("col", GgmlType::F32, {64, 1}, as_bytes(std::span(w).first(64)));
  wr.add_tensor("q40", GgmlType::Q4_0, {64, 3}, q40);
  wr.add_tensor("q6k", GgmlType::Q6_K, {256, 2}, [&](std::span<uint8_t> out) {
    ASSERT_EQ(out.size(), q6k.size());
    std::memcpy(out.data(), q6k.data(), out.size());
  });
  size_t progress_calls = 0;
  wr.write(path, [&](size_t i, size_t n) {
    EXPECT_EQ(i, ++progress_calls);
    EXPECT_EQ(n, 6u);
  });
  EXPECT_EQ(progress_calls, 6u);

  const auto f = gguf::File::open(path);
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(test::metadata_difference(f.metadata(), kv), "");
  EXPECT_EQ(f.get<std::string>("t.string"), "héllo, wörld ✓");
  EXPECT_TRUE(std::isnan(f.get<float>("t.f32_nan")));
  EXPECT_EQ(f.get_array<std::string>("a.strings")[3], std::string("nul\0byte", 8));

  struct Expect {
    const char* name;
    GgmlType type;
    std::array<int64_t, 4> ne;
    uint32_t n_dims;
    std::span<const uint8_t> data;
  };
  const Expect expect[] = {
      {"w2d", GgmlType::F32, {64, 3, 1, 1}, 2, as_bytes(w)},
      {"w1d", GgmlType::F32, {5, 1, 1, 1}, 1, as_bytes(std::span(w).first(5))},
      {"h3d", GgmlType::F16, {4, 2, 3, 1}, 3, as_bytes(h)},
      {"col", GgmlType::F32, {64, 1, 1, 1}, 1, as_bytes(std::span(w).first(64))},
      {"q40", GgmlType::Q4_0, {64, 3, 1, 1}, 2, q40},
      {"q6k", GgmlType::Q6_K, {256, 2, 1, 1}, 2, q6k},
  };
  ASSERT_EQ(f.tensors().size(), std::size(expect));
  uint64_t offset = 0;
  for (size_t i = 0; i < std::size(expect); ++i) {
    const auto& t = f.tensors()[i];
    SCOPED_TRACE(expect[i].name);
    EXPECT_EQ(t.name, expect[i].name);
    EXPECT_EQ(t.type, expect[i].type);
    EXPECT_EQ(t.ne, expect[i].ne);
    EXPECT_EQ(t.n_dims, expect[i].n_dims);
    EXPECT_EQ(t.offset, offset);  // packed, each padded to 32
    ASSERT_EQ(t.n_bytes, expect[i].data.size());
    EXPECT_EQ(std::memcmp(t.data, expect[i].data.data(), t.n_bytes), 0);
    offset += (t.n_bytes + 31) / 32 * 32;
  }
  EXPECT_EQ(f.data_offset() % 32, 0u);
  EXPECT_EQ(f.file_size(), f.data_offset() + offset);
  // Nothing left behind but the file itself.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(tmp.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(GgufWriter, SetMovesKeyToEndAndAlignmentIsHonoured) {
  test::TempDir tmp;
  const auto path = tmp.path() / "al.gguf";
  gguf::Writer wr(64);
  wr.set("general.architecture", gguf::Value(std::string("llama")));
  wr.set("general.file_type", gguf::Value(uint32_t{0}));
  wr.set("general.alignment", gguf::Value(uint32_t{64}));
  wr.set("general.name", gguf::Value(std::string("x")));
  wr.set("general.file_type", gguf::Value(uint32_t{15}));  // replaced and moved to the end
  const std::vector<float> a(10, 1.0f), b(3, 2.0f);
  wr.add_tensor("a", GgmlType::F32, {10}, std::span(reinterpret_cast<const uint8_t*>(a.data()), 40));
  wr.add_tensor("b", GgmlType::F32, {3}, std::span(reinterpret_cast<const uint8_t*>(b.data()), 12));
  wr.write(path);
  const auto f = gguf::File::open(path);
  ASSERT_EQ(f.metadata().size(), 4u);
  EXPECT_EQ(f.metadata()[3].key, "general.file_type");
  EXPECT_EQ(f.get<uint32_t>("general.file_type"), 15u);
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_EQ(f.data_offset() % 64, 0u);
  EXPECT_EQ(f.tensors()[1].offset, 64u);
  EXPECT_EQ(f.file_size(), f.data_offset() + 128);
  EXPECT_EQ(reinterpret_cast<const float*>(f.tensors()[1].data)[2], 2.0f);
}

TEST(GgufWriter, RewritesAFixtureByteForByte) {
  // Copying every KV and tensor of a llama.cpp-written file reproduces it exactly.
  const auto src_path = test::model_path("tiny-llama-spm.Q4_K_M.gguf");
  const auto src = gguf::File::open(src_path);
  gguf::Writer wr;
  for (const auto& kv : src.metadata()) wr.set(kv.key, kv.value);
  for (const auto& t : src.tensors())
    wr.add_tensor(t.name, t.type, std::vector<int64_t>(t.ne.begin(), t.ne.end()), t.bytes());
  test::TempDir tmp;
  wr.write(tmp.path() / "copy.gguf");
  EXPECT_TRUE(test::read_file(tmp.path() / "copy.gguf") == test::read_file(src_path));
}

TEST(GgufWriter, FailedWriteLeavesNoFile) {
  test::TempDir tmp;
  gguf::Writer wr;
  wr.set("general.architecture", gguf::Value(std::string("llama")));
  wr.add_tensor("t", GgmlType::F32, {4}, [](std::span<uint8_t>) { fail("producer failed"); });
  EXPECT_THROW(wr.write(tmp.path() / "x.gguf"), Error);
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path()));
}

// llama-quantize's file types and per-tensor type rules (spec §6) on synthetic models, beyond
// what the 2-layer fixtures exercise: the 32-layer example of the spec, fallbacks for odd row
// sizes, tied embeddings, the 70B and MoE cases, and the tensor order.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "tensor/ftype.h"

using namespace hearth;
using namespace hearth::tensor;

namespace {

struct FakeTensor {
  std::string name;
  std::array<int64_t, 4> ne;
};

// A dense llama-like model: n_layer blocks with the usual tensors; row length n_embd.
std::vector<FakeTensor> dense_model(int n_layer, int64_t n_embd, int64_t n_ff, bool with_output) {
  std::vector<FakeTensor> t;
  t.push_back({"token_embd.weight", {n_embd, 1000, 1, 1}});
  t.push_back({"output_norm.weight", {n_embd, 1, 1, 1}});
  if (with_output) t.push_back({"output.weight", {n_embd, 1000, 1, 1}});
  for (int i = 0; i < n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    for (const char* n : {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up"})
      t.push_back({p + n + ".weight", {n_embd, n_embd, 1, 1}});
    t.push_back({p + "ffn_down.weight", {n_ff, n_embd, 1, 1}});
    t.push_back({p + "attn_norm.weight", {n_embd, 1, 1, 1}});
    t.push_back({p + "ffn_norm.weight", {n_embd, 1, 1, 1}});
  }
  std::sort(t.begin(), t.end(), [](const auto& a, const auto& b) { return tensor_order_less(a.name, b.name); });
  return t;
}

ModelFacts facts_for(const std::vector<FakeTensor>& tensors, int n_layer, int n_head = 32, int n_head_kv = 8) {
  ModelFacts f;
  f.arch = "llama";
  f.n_layer = n_layer;
  f.n_head = n_head;
  f.n_head_kv = n_head_kv;
  for (const auto& t : tensors) {
    f.has_output |= t.name == "output.weight";
    f.n_attn_v += t.name.find("attn_v.weight") != std::string::npos;
  }
  return f;
}

std::map<std::string, GgmlType> select_all(LlamaFtype ft, const std::vector<FakeTensor>& tensors, ModelFacts facts,
                                           SelectionOptions opt = {}) {
  TypeSelector sel(ft, std::move(facts), opt);
  std::map<std::string, GgmlType> out;
  for (const auto& t : tensors) out[t.name] = sel.select(t.name, GgmlType::F32, t.ne);
  return out;
}

std::string blk(int i, const char* n) { return "blk." + std::to_string(i) + "." + n + ".weight"; }

}  // namespace

TEST(Ftype, NamesAndIds) {
  EXPECT_EQ(static_cast<uint32_t>(*ftype_from_name("Q4_K_M")), 15u);
  EXPECT_EQ(*ftype_from_name("q4_k_m"), LlamaFtype::Q4_K_M);
  EXPECT_EQ(*ftype_from_name("MOSTLY_Q5_K_S"), LlamaFtype::Q5_K_S);
  EXPECT_EQ(*ftype_from_name("ALL_F32"), LlamaFtype::F32);
  EXPECT_EQ(*ftype_from_name("7"), LlamaFtype::Q8_0);
  EXPECT_EQ(*ftype_from_name("bf16"), LlamaFtype::BF16);
  EXPECT_FALSE(ftype_from_name("Q4_K_X"));
  EXPECT_FALSE(ftype_from_name("4"));  // removed id
  EXPECT_FALSE(ftype_from_name(""));
  const std::map<LlamaFtype, std::pair<uint32_t, GgmlType>> ids = {
      {LlamaFtype::F32, {0, GgmlType::F32}},       {LlamaFtype::F16, {1, GgmlType::F16}},
      {LlamaFtype::Q4_0, {2, GgmlType::Q4_0}},     {LlamaFtype::Q4_1, {3, GgmlType::Q4_1}},
      {LlamaFtype::Q8_0, {7, GgmlType::Q8_0}},     {LlamaFtype::Q5_0, {8, GgmlType::Q5_0}},
      {LlamaFtype::Q5_1, {9, GgmlType::Q5_1}},     {LlamaFtype::Q2_K, {10, GgmlType::Q2_K}},
      {LlamaFtype::Q3_K_S, {11, GgmlType::Q3_K}},  {LlamaFtype::Q3_K_M, {12, GgmlType::Q3_K}},
      {LlamaFtype::Q3_K_L, {13, GgmlType::Q3_K}},  {LlamaFtype::Q4_K_S, {14, GgmlType::Q4_K}},
      {LlamaFtype::Q4_K_M, {15, GgmlType::Q4_K}},  {LlamaFtype::Q5_K_S, {16, GgmlType::Q5_K}},
      {LlamaFtype::Q5_K_M, {17, GgmlType::Q5_K}},  {LlamaFtype::Q6_K, {18, GgmlType::Q6_K}},
      {LlamaFtype::IQ4_NL, {25, GgmlType::IQ4_NL}}, {LlamaFtype::IQ4_XS, {30, GgmlType::IQ4_XS}},
      {LlamaFtype::BF16, {32, GgmlType::BF16}},
  };
  for (const auto& [f, v] : ids) {
    EXPECT_EQ(static_cast<uint32_t>(f), v.first) << ftype_name(f);
    EXPECT_EQ(ftype_default_type(f), v.second) << ftype_name(f);
    EXPECT_EQ(*ftype_from_name(ftype_name(f)), f);
  }
}

TEST(Ftype, TensorOrderAndLayerParsing) {
  EXPECT_EQ(tensor_layer("blk.12.attn_q.weight"), 12);
  EXPECT_EQ(tensor_layer("blk.0.ffn_down.weight"), 0);
  EXPECT_EQ(tensor_layer("output.weight"), -1);
  EXPECT_EQ(tensor_layer("blk.x.weight"), -1);
  EXPECT_EQ(tensor_layer("blk.7foo"), 7);  // sscanf stops at the first non-digit
  EXPECT_EQ(tensor_layer("blk.-3.x"), -3);
  EXPECT_EQ(tensor_layer("xblk.1.x"), -1);
  std::vector<std::string> names = {"blk.10.attn_q.weight", "blk.2.ffn_up.weight", "token_embd.weight",
                                    "blk.2.attn_k.weight",  "output.weight",       "output_norm.weight",
                                    "rope_freqs.weight",    "blk.2.attn_norm.weight"};
  std::sort(names.begin(), names.end(), [](const auto& a, const auto& b) { return tensor_order_less(a, b); });
  const std::vector<std::string> expect = {"output.weight",       "output_norm.weight",   "rope_freqs.weight",
                                           "token_embd.weight",   "blk.2.attn_k.weight",  "blk.2.attn_norm.weight",
                                           "blk.2.ffn_up.weight", "blk.10.attn_q.weight"};
  EXPECT_EQ(names, expect);
}

TEST(Ftype, Eligibility) {
  const std::array<int64_t, 4> m{256, 256, 1, 1}, v{256, 1, 1, 1};
  EXPECT_TRUE(is_quantizable("blk.0.attn_q.weight", m, false));
  EXPECT_FALSE(is_quantizable("blk.0.attn_q.bias", m, false));
  EXPECT_FALSE(is_quantizable("blk.0.attn_norm.weight", v, false));
  EXPECT_FALSE(is_quantizable("blk.0.something.weight", v, false));  // 1-D
  EXPECT_FALSE(is_quantizable("blk.0.attn_q_norm.weight", m, false));
  EXPECT_FALSE(is_quantizable("blk.0.ffn_gate_inp.weight", m, false));
  EXPECT_FALSE(is_quantizable("blk.0.ssm_conv1d.weight", m, false));
  EXPECT_FALSE(is_quantizable("position_embd.weight", m, false));
  EXPECT_FALSE(is_quantizable("output.weight", m, true));
  EXPECT_TRUE(is_quantizable("output.weight", m, false));
  EXPECT_TRUE(is_quantizable("abcde", m, false));  // llama.cpp's rfind quirk, reproduced
}

// Spec §6.5 example: 32 layers, Q4_K_M -> Q6_K attn_v and ffn_down in layers 0-3, 6, 9, ...,
// 27, 28-31, the rest Q4_K; output Q6_K; embeddings Q4_K; norms F32.
TEST(FtypeRules, Q4_K_M_ThirtyTwoLayers) {
  const auto model = dense_model(32, 4096, 11008, true);
  const auto types = select_all(LlamaFtype::Q4_K_M, model, facts_for(model, 32));
  const std::vector<int> q6 = {0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31};
  for (int i = 0; i < 32; ++i) {
    const bool more = std::find(q6.begin(), q6.end(), i) != q6.end();
    EXPECT_EQ(types.at(blk(i, "attn_v")), more ? GgmlType::Q6_K : GgmlType::Q4_K) << i;
    EXPECT_EQ(types.at(blk(i, "ffn_down")), more ? GgmlType::Q6_K : GgmlType::Q4_K) << i;
    EXPECT_EQ(types.at(blk(i, "attn_q")), GgmlType::Q4_K);
    EXPECT_EQ(types.at(blk(i, "attn_output")), GgmlType::Q4_K);
    EXPECT_EQ(types.at(blk(i, "attn_norm")), GgmlType::F32);
  }
  EXPECT_EQ(types.at("output.weight"), GgmlType::Q6_K);
  EXPECT_EQ(types.at("token_embd.weight"), GgmlType::Q4_K);
  EXPECT_EQ(types.at("output_norm.weight"), GgmlType::F32);
}

// Spec §6.5 table rows for a 32-layer dense model with n_gqa = 4.
TEST(FtypeRules, MixesOfTheKQuantTypes) {
  const auto model = dense_model(32, 4096, 11008, true);
  const auto facts = facts_for(model, 32);
  using T = GgmlType;
  struct Row {
    LlamaFtype ft;
    T embd, out, q, v0, v10, attn_out, gate, down0, down10;
  };
  const Row rows[] = {
      {LlamaFtype::Q4_0, T::Q4_0, T::Q6_K, T::Q4_0, T::Q4_0, T::Q4_0, T::Q4_0, T::Q4_0, T::Q4_0, T::Q4_0},
      {LlamaFtype::Q8_0, T::Q8_0, T::Q8_0, T::Q8_0, T::Q8_0, T::Q8_0, T::Q8_0, T::Q8_0, T::Q8_0, T::Q8_0},
      {LlamaFtype::Q2_K, T::Q2_K, T::Q6_K, T::Q2_K, T::Q4_K, T::Q4_K, T::Q3_K, T::Q2_K, T::Q3_K, T::Q3_K},
      {LlamaFtype::Q3_K_S, T::Q3_K, T::Q6_K, T::Q3_K, T::Q3_K, T::Q3_K, T::Q3_K, T::Q3_K, T::Q3_K, T::Q3_K},
      {LlamaFtype::Q3_K_M, T::Q3_K, T::Q6_K, T::Q3_K, T::Q5_K, T::Q4_K, T::Q4_K, T::Q3_K, T::Q5_K, T::Q4_K},
      {LlamaFtype::Q3_K_L, T::Q3_K, T::Q6_K, T::Q3_K, T::Q5_K, T::Q5_K, T::Q5_K, T::Q3_K, T::Q5_K, T::Q5_K},
      {LlamaFtype::Q4_K_S, T::Q4_K, T::Q6_K, T::Q4_K, T::Q5_K, T::Q4_K, T::Q4_K, T::Q4_K, T::Q5_K, T::Q4_K},
      {LlamaFtype::Q5_K_S, T::Q5_K, T::Q6_K, T::Q5_K, T::Q5_K, T::Q5_K, T::Q5_K, T::Q5_K, T::Q5_K, T::Q5_K},
      {LlamaFtype::Q5_K_M, T::Q5_K, T::Q6_K, T::Q5_K, T::Q6_K, T::Q5_K, T::Q5_K, T::Q5_K, T::Q6_K, T::Q5_K},
      {LlamaFtype::Q6_K, T::Q6_K, T::Q6_K, T::Q6_K, T::Q6_K, T::Q6_K, T::Q6_K, T::Q6_K, T::Q6_K, T::Q6_K},
      {LlamaFtype::IQ4_XS, T::IQ4_XS, T::Q6_K, T::IQ4_XS, T::Q5_K, T::Q5_K, T::IQ4_XS, T::IQ4_XS, T::Q5_K,
       T::IQ4_XS},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(ftype_name(r.ft));
    const auto t = select_all(r.ft, model, facts);
    EXPECT_EQ(t.at("token_embd.weight"), r.embd);
    EXPECT_EQ(t.at("output.weight"), r.out);
    EXPECT_EQ(t.at(blk(5, "attn_q")), r.q);
    EXPECT_EQ(t.at(blk(0, "attn_v")), r.v0);
    EXPECT_EQ(t.at(blk(10, "attn_v")), r.v10);
    EXPECT_EQ(t.at(blk(5, "attn_output")), r.attn_out);
    EXPECT_EQ(t.at(blk(5, "ffn_gate")), r.gate);
    EXPECT_EQ(t.at(blk(0, "ffn_down")), r.down0);
    EXPECT_EQ(t.at(blk(10, "ffn_down")), r.down10);
  }
  // n_gqa < 4: Q2_K attn_v is Q3_K.
  const auto low_gqa = select_all(LlamaFtype::Q2_K, model, facts_for(model, 32, 32, 16));
  EXPECT_EQ(low_gqa.at(blk(0, "attn_v")), GgmlType::Q3_K);
}

TEST(FtypeRules, FloatTargetsTouchOnlyEligibleTensors) {
  const auto model = dense_model(2, 256, 512, true);
  for (LlamaFtype ft : {LlamaFtype::F16, LlamaFtype::BF16, LlamaFtype::F32}) {
    const auto t = select_all(ft, model, facts_for(model, 2));
    EXPECT_EQ(t.at("output.weight"), ftype_default_type(ft));
    EXPECT_EQ(t.at(blk(1, "attn_v")), ftype_default_type(ft));
    EXPECT_EQ(t.at(blk(1, "ffn_norm")), GgmlType::F32);
  }
}

TEST(FtypeRules, TiedEmbeddingIsTreatedAsOutput) {
  const auto model = dense_model(2, 256, 512, false);
  auto t = select_all(LlamaFtype::Q4_K_M, model, facts_for(model, 2));
  EXPECT_EQ(t.at("token_embd.weight"), GgmlType::Q6_K);
  t = select_all(LlamaFtype::Q8_0, model, facts_for(model, 2));
  EXPECT_EQ(t.at("token_embd.weight"), GgmlType::Q8_0);
}

// Spec §6.5: with ne[0] = 64 the output goes to Q8_0 (rule A.2), embeddings Q4_K -> Q5_0,
// attn_v Q6_K -> Q8_0, and a 172-column ffn_down to F16.
TEST(FtypeRules, FallbacksForOddRowLengths) {
  const auto model = dense_model(2, 64, 172, true);
  TypeSelector sel(LlamaFtype::Q4_K_M, facts_for(model, 2, 4, 2));
  std::map<std::string, GgmlType> t;
  for (const auto& x : model) t[x.name] = sel.select(x.name, GgmlType::F32, x.ne);
  EXPECT_EQ(t.at("output.weight"), GgmlType::Q8_0);
  EXPECT_EQ(t.at("token_embd.weight"), GgmlType::Q5_0);
  EXPECT_EQ(t.at(blk(1, "attn_v")), GgmlType::Q8_0);  // more_bits(1, 2) -> Q6_K -> fallback
  EXPECT_EQ(t.at(blk(0, "attn_v")), GgmlType::Q5_0);
  EXPECT_EQ(t.at(blk(0, "ffn_down")), GgmlType::F16);
  EXPECT_EQ(t.at(blk(1, "ffn_down")), GgmlType::F16);
  EXPECT_GT(sel.n_fallback(), 0);
  // Q2_K/Q3_K fall back to Q4_0, Q5_K to Q5_1.
  EXPECT_EQ(select_all(LlamaFtype::Q3_K_S, model, facts_for(model, 2)).at(blk(0, "attn_q")), GgmlType::Q4_0);
  EXPECT_EQ(select_all(LlamaFtype::Q5_K_S, model, facts_for(model, 2)).at(blk(0, "attn_q")), GgmlType::Q5_1);
  // Legacy types have no fallback.
  const std::vector<FakeTensor> odd = {{"blk.0.attn_q.weight", {48, 64, 1, 1}}};
  TypeSelector legacy(LlamaFtype::Q4_0, facts_for(odd, 1));
  EXPECT_THROW(legacy.select(odd[0].name, GgmlType::F32, odd[0].ne), Error);
}

TEST(FtypeRules, SeventyBAndMoE) {
  const auto model = dense_model(80, 8192, 28672, true);
  auto facts = facts_for(model, 80, 64, 8);
  EXPECT_TRUE(facts.is_70b());
  auto t = select_all(LlamaFtype::Q3_K_S, model, facts);
  EXPECT_EQ(t.at(blk(40, "attn_v")), GgmlType::Q5_K);  // 70B bump of Q3_K/Q4_K attn_v
  EXPECT_EQ(t.at(blk(40, "attn_q")), GgmlType::Q3_K);

  // 8 experts: attn_v and attn_k go to Q8_0, attn_output to Q5_K; ffn_down layers come from
  // the names (experts are not consecutive).
  std::vector<FakeTensor> moe;
  for (int i = 0; i < 8; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    for (const char* n : {"attn_k", "attn_v", "attn_output", "ffn_down_exps", "ffn_up_exps", "ffn_gate_inp"})
      moe.push_back({p + n + ".weight", {4096, 4096, std::string(n).ends_with("exps") ? 8 : 1, 1}});
  }
  std::sort(moe.begin(), moe.end(), [](const auto& a, const auto& b) { return tensor_order_less(a.name, b.name); });
  auto mf = facts_for(moe, 8);
  mf.n_expert = 8;
  t = select_all(LlamaFtype::Q4_K_M, moe, mf);
  EXPECT_EQ(t.at(blk(3, "attn_v")), GgmlType::Q8_0);
  EXPECT_EQ(t.at(blk(3, "attn_k")), GgmlType::Q8_0);
  EXPECT_EQ(t.at(blk(3, "attn_output")), GgmlType::Q5_K);
  EXPECT_EQ(t.at(blk(0, "ffn_down_exps")), GgmlType::Q6_K);  // more_bits(0, 8)
  EXPECT_EQ(t.at(blk(2, "ffn_down_exps")), GgmlType::Q4_K);
  EXPECT_EQ(t.at(blk(3, "ffn_down_exps")), GgmlType::Q6_K);  // (3 - 8/8) % 3 == 2
  EXPECT_EQ(t.at(blk(7, "ffn_down_exps")), GgmlType::Q6_K);
  EXPECT_EQ(t.at(blk(3, "ffn_gate_inp")), GgmlType::F32);  // router stays
}

TEST(FtypeRules, UserOverridesAndPure) {
  const auto model = dense_model(4, 256, 512, true);
  SelectionOptions opt;
  opt.output_type = GgmlType::Q8_0;
  opt.token_embd_type = GgmlType::Q4_0;
  auto t = select_all(LlamaFtype::Q4_K_M, model, facts_for(model, 4), opt);
  EXPECT_EQ(t.at("output.weight"), GgmlType::Q8_0);
  EXPECT_EQ(t.at("token_embd.weight"), GgmlType::Q4_0);
  SelectionOptions pure;
  pure.pure = true;
  t = select_all(LlamaFtype::Q4_K_M, model, facts_for(model, 4), pure);
  for (const auto& [name, type] : t)
    EXPECT_EQ(type, name.find("norm") != std::string::npos ? GgmlType::F32 : GgmlType::Q4_K) << name;
  SelectionOptions leave;
  leave.leave_output = true;
  t = select_all(LlamaFtype::Q4_K_M, model, facts_for(model, 4), leave);
  EXPECT_EQ(t.at("output.weight"), GgmlType::F32);
}

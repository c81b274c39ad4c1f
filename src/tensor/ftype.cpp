// llama-quantize's file types and per-tensor type rules (spec §6), transcribed branch by
// branch; comments name the spec's rule letters.
#include "tensor/ftype.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>

#include "core/error.h"
#include "gguf/reader.h"

namespace hearth::tensor {
namespace {

using F = LlamaFtype;
using T = GgmlType;

constexpr FtypeInfo kFtypes[] = {
    {F::F32, "F32", T::F32, false},         {F::F16, "F16", T::F16, false},
    {F::BF16, "BF16", T::BF16, false},      {F::Q4_0, "Q4_0", T::Q4_0, false},
    {F::Q4_1, "Q4_1", T::Q4_1, false},      {F::Q5_0, "Q5_0", T::Q5_0, false},
    {F::Q5_1, "Q5_1", T::Q5_1, false},      {F::Q8_0, "Q8_0", T::Q8_0, false},
    {F::Q2_K, "Q2_K", T::Q2_K, false},      {F::Q2_K_S, "Q2_K_S", T::Q2_K, true},
    {F::Q3_K_S, "Q3_K_S", T::Q3_K, false},  {F::Q3_K_M, "Q3_K_M", T::Q3_K, false},
    {F::Q3_K_L, "Q3_K_L", T::Q3_K, false},  {F::Q4_K_S, "Q4_K_S", T::Q4_K, false},
    {F::Q4_K_M, "Q4_K_M", T::Q4_K, false},  {F::Q5_K_S, "Q5_K_S", T::Q5_K, false},
    {F::Q5_K_M, "Q5_K_M", T::Q5_K, false},  {F::Q6_K, "Q6_K", T::Q6_K, false},
    {F::IQ2_XXS, "IQ2_XXS", T::IQ2_XXS, true}, {F::IQ2_XS, "IQ2_XS", T::IQ2_XS, true},
    {F::IQ2_S, "IQ2_S", T::IQ2_XS, true},   {F::IQ2_M, "IQ2_M", T::IQ2_S, true},
    {F::IQ3_XXS, "IQ3_XXS", T::IQ3_XXS, true}, {F::IQ3_XS, "IQ3_XS", T::IQ3_S, false},
    {F::IQ3_S, "IQ3_S", T::IQ3_S, false},   {F::IQ3_M, "IQ3_M", T::IQ3_S, false},
    {F::IQ1_S, "IQ1_S", T::IQ1_S, true},    {F::IQ1_M, "IQ1_M", T::IQ1_M, true},
    {F::IQ4_NL, "IQ4_NL", T::IQ4_NL, false}, {F::IQ4_XS, "IQ4_XS", T::IQ4_XS, false},
    {F::TQ1_0, "TQ1_0", T::TQ1_0, false},   {F::TQ2_0, "TQ2_0", T::TQ2_0, false},
    {F::MXFP4_MOE, "MXFP4_MOE", T::Q8_0, false}, {F::Q1_0, "Q1_0", T::Q1_0, false},
    {F::Q2_0, "Q2_0", T::Q2_0, false},
};

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

bool is_quantized_type(GgmlType t) { return type_info(t).quantized; }
int64_t block_size(GgmlType t) { return type_info(t).block_size; }

// A few keys may be stored per layer (arrays); the rules use layer 0, like llama.cpp's n_gqa().
std::optional<int64_t> int_or_first(const gguf::File& f, const std::string& key) {
  const gguf::Value* v = f.find(key);
  if (!v) return std::nullopt;
  if (v->type() == gguf::ValueType::ARRAY) {
    const auto& a = std::get<gguf::Array>(v->data);
    if (a.items.empty()) return std::nullopt;
    return std::visit(
        [](const auto& x) -> std::optional<int64_t> {
          using X = std::decay_t<decltype(x)>;
          if constexpr (std::is_integral_v<X> && !std::is_same_v<X, bool>)
            return static_cast<int64_t>(x);
          else
            return std::nullopt;
        },
        a.items.front().data);
  }
  return f.get_int_optional(key);
}

// use_more_bits: the first and last eighth of the layers and every third one in between.
bool more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

}  // namespace

std::span<const FtypeInfo> all_ftypes() { return kFtypes; }

const FtypeInfo& ftype_info(LlamaFtype f) {
  for (const auto& info : kFtypes)
    if (info.ftype == f) return info;
  fail("unknown llama file type id {}", static_cast<uint32_t>(f));
}

std::string_view ftype_name(LlamaFtype f) { return ftype_info(f).name; }
GgmlType ftype_default_type(LlamaFtype f) { return ftype_info(f).default_type; }

std::optional<LlamaFtype> ftype_from_name(std::string_view name) {
  uint32_t id = 0;
  if (auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
      ec == std::errc() && p == name.data() + name.size()) {
    for (const auto& info : kFtypes)
      if (static_cast<uint32_t>(info.ftype) == id) return info.ftype;
    return std::nullopt;
  }
  std::string up;
  for (char c : name) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (up.starts_with("MOSTLY_")) up.erase(0, 7);
  if (up == "ALL_F32") up = "F32";
  for (const auto& info : kFtypes)
    if (info.name == up) return info.ftype;
  return std::nullopt;
}

bool ModelFacts::is_70b() const {
  if (n_layer != 80) return false;
  if (arch == "llama") return n_head != n_head_kv;
  return arch == "qwen2";
}

ModelFacts model_facts(const gguf::File& f) {
  ModelFacts m;
  m.arch = f.get_optional<std::string>("general.architecture").value_or("");
  const std::string p = m.arch + ".";
  m.n_layer = int_or_first(f, p + "block_count").value_or(0);
  m.n_head = int_or_first(f, p + "attention.head_count").value_or(0);
  m.n_head_kv = int_or_first(f, p + "attention.head_count_kv").value_or(m.n_head);
  m.n_expert = int_or_first(f, p + "expert_count").value_or(0);
  for (const auto& t : f.tensors()) {
    if (t.name == "output.weight") m.has_output = true;
    if (contains(t.name, "attn_v.weight") || contains(t.name, "attn_qkv.weight") ||
        contains(t.name, "attn_kv_b.weight"))
      ++m.n_attn_v;
  }
  return m;
}

bool is_quantizable(std::string_view name, const std::array<int64_t, 4>& ne, bool leave_output) {
  // llama.cpp tests "ends with weight" as name.rfind("weight") == name.size() - 6, which is
  // also true for any 5-character name (npos == size_t(-1)); reproduced on purpose.
  const bool ends_weight = name.ends_with("weight") || name.size() == 5;
  int n_dims = 4;
  while (n_dims > 1 && ne[n_dims - 1] == 1) --n_dims;
  if (!ends_weight || n_dims < 2) return false;
  if (contains(name, "_norm.weight")) return false;
  if (leave_output && name == "output.weight") return false;
  static constexpr std::string_view kNever[] = {
      "ffn_gate_inp.weight", "altup", "laurel", "per_layer_model_proj", "ssm_conv1d.weight",
      "shortconv.conv.weight", "attn_rel_b.weight",
      "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
      "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight",
      "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
      "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
      ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger",
  };
  for (auto part : kNever)
    if (contains(name, part)) return false;
  // The architecture's absolute position embedding and BERT token types (treated as
  // excluded for every architecture: llama.cpp's own list only names them where they exist).
  if (name == "position_embd.weight" || name == "token_types.weight") return false;
  return true;
}

int tensor_layer(std::string_view name) {
  // sscanf(name, "blk.%d.", &layer): whitespace, optional sign, digits; the trailing '.'
  // is not needed for the conversion to count.
  if (!name.starts_with("blk.")) return -1;
  size_t i = 4;
  while (i < name.size() && std::isspace(static_cast<unsigned char>(name[i]))) ++i;
  bool neg = false;
  if (i < name.size() && (name[i] == '+' || name[i] == '-')) neg = name[i++] == '-';
  if (i >= name.size() || !std::isdigit(static_cast<unsigned char>(name[i]))) return -1;
  int64_t v = 0;
  for (; i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])); ++i)
    v = std::min<int64_t>(v * 10 + (name[i] - '0'), int64_t{INT_MAX} + 1);
  v = neg ? -v : v;
  return static_cast<int>(std::clamp<int64_t>(v, INT_MIN, INT_MAX));
}

bool tensor_order_less(std::string_view a, std::string_view b) {
  const int la = tensor_layer(a), lb = tensor_layer(b);
  if (la != lb) return la < lb;
  return a < b;
}

// ---- TypeSelector -----------------------------------------------------------------------

enum class TypeSelector::Category {
  OUTPUT, TOKEN_EMBD, ATTN_QKV, ATTN_KV_B, ATTN_V, ATTN_K, ATTN_Q, ATTN_OUTPUT,
  FFN_UP, FFN_GATE, FFN_DOWN, OTHER,
};

TypeSelector::TypeSelector(LlamaFtype ftype, ModelFacts facts, SelectionOptions options)
    : ftype_(ftype), facts_(std::move(facts)), options_(options) {}

int TypeSelector::layer_of(int counter, std::string_view name) const {
  if (facts_.n_expert <= 1) return counter;
  // MoE: experts are not consecutive, so the layer comes from the name.
  const int layer = tensor_layer(name);
  if (layer < 0) fail("cannot determine the layer of tensor '{}'", name);
  if (layer >= facts_.n_layer)
    fail("tensor '{}' has layer {}, outside [0, {})", name, layer, facts_.n_layer);
  return layer;
}

GgmlType TypeSelector::select(std::string_view name, GgmlType input_type, const std::array<int64_t, 4>& ne) {
  if (!is_quantizable(name, ne, options_.leave_output)) return input_type;
  Category cat = Category::OTHER;
  if (name == "output.weight") cat = Category::OUTPUT;
  else if (name == "token_embd.weight" || name == "per_layer_token_embd.weight") cat = Category::TOKEN_EMBD;
  else if (contains(name, "attn_qkv.weight")) cat = Category::ATTN_QKV;
  else if (contains(name, "attn_kv_b.weight")) cat = Category::ATTN_KV_B;
  else if (contains(name, "attn_v.weight")) cat = Category::ATTN_V;
  else if (contains(name, "attn_k.weight")) cat = Category::ATTN_K;
  else if (contains(name, "attn_q.weight")) cat = Category::ATTN_Q;
  else if (contains(name, "attn_output.weight")) cat = Category::ATTN_OUTPUT;
  else if (contains(name, "ffn_up")) cat = Category::FFN_UP;
  else if (contains(name, "ffn_gate")) cat = Category::FFN_GATE;
  else if (contains(name, "ffn_down")) cat = Category::FFN_DOWN;

  if (options_.token_embd_type && cat == Category::TOKEN_EMBD) return *options_.token_embd_type;
  if (options_.output_type && cat == Category::OUTPUT) return *options_.output_type;
  const GgmlType type = ftype_default_type(ftype_);
  if (options_.pure || !is_quantized_type(type)) return type;
  return fallback(name, rules(cat, name, type, ne), ne[0]);
}

GgmlType TypeSelector::rules(Category cat, std::string_view name, GgmlType type, const std::array<int64_t, 4>& ne) {
  const F ft = ftype_;
  const auto is = [ft](std::initializer_list<F> set) { return std::find(set.begin(), set.end(), ft) != set.end(); };
  const bool v_like = cat == Category::ATTN_V || cat == Category::ATTN_QKV || cat == Category::ATTN_KV_B;
  const bool falcon = facts_.arch == "falcon";
  const int64_t n_gqa = facts_.n_gqa(), n_expert = facts_.n_expert;
  const bool imatrix = options_.has_imatrix;

  // A. output, or the embedding when it doubles as output.
  if (cat == Category::OUTPUT || (cat == Category::TOKEN_EMBD && !facts_.has_output)) {
    if (ft == F::MXFP4_MOE) return T::Q8_0;
    if (falcon || ne[0] % block_size(type) != 0) return T::Q8_0;
    if (is({F::IQ2_XXS, F::IQ2_XS, F::IQ3_XXS, F::IQ1_S, F::IQ2_S, F::IQ2_M, F::IQ1_M})) return T::Q5_K;
    return type != T::Q8_0 ? T::Q6_K : type;
  }
  // B.
  if (ft == F::MXFP4_MOE) return ne[2] > 1 ? T::MXFP4 : T::Q8_0;
  // C. untied embedding.
  if (cat == Category::TOKEN_EMBD) {
    if (is({F::IQ2_XXS, F::IQ2_XS, F::IQ1_S, F::IQ1_M})) return T::Q2_K;
    if (is({F::IQ2_S, F::IQ2_M, F::IQ3_XXS})) return T::IQ3_S;
    if (is({F::TQ1_0, F::TQ2_0, F::Q2_0})) return T::Q4_K;
    return type;
  }
  // D. the lowest-bit IQ types.
  if (is({F::IQ2_XXS, F::IQ2_XS, F::IQ1_S, F::IQ2_S, F::IQ2_M, F::IQ1_M})) {
    const bool iq2sm = is({F::IQ2_S, F::IQ2_M});
    if (v_like) {
      type = (n_gqa >= 4 || n_expert >= 4) ? T::Q4_K : iq2sm ? T::IQ3_S : T::Q2_K;
      ++i_attn_v_;
    } else if (cat == Category::ATTN_K && n_expert == 8) {
      type = T::Q4_K;
    } else if (cat == Category::FFN_DOWN) {
      if (i_ffn_down_ < facts_.n_layer / 8) type = iq2sm ? T::IQ3_S : T::Q2_K;
      ++i_ffn_down_;
    } else if (cat == Category::ATTN_OUTPUT) {
      if (n_expert == 8) type = T::Q5_K;
      else if (is({F::IQ1_S, F::IQ1_M})) type = T::IQ2_XXS;
      else if (iq2sm) type = T::IQ3_S;
    }
    return type;
  }
  // E. attn_v and its fused relatives.
  if (v_like) {
    const int i = i_attn_v_, n = facts_.n_attn_v;
    if (ft == F::Q2_K) type = n_gqa >= 4 ? T::Q4_K : T::Q3_K;
    else if (ft == F::Q2_K_S && n_gqa >= 4) type = T::Q4_K;
    else if (ft == F::IQ3_XXS) type = n_gqa >= 4 ? T::Q4_K : !imatrix ? T::IQ3_S : T::IQ3_XXS;
    else if (is({F::IQ3_XS, F::IQ3_S}) && n_gqa >= 4) type = T::Q4_K;
    else if (ft == F::IQ3_M) type = T::Q4_K;
    else if (ft == F::Q3_K_M) type = i < 2 ? T::Q5_K : T::Q4_K;
    else if (ft == F::Q3_K_L) type = T::Q5_K;
    else if (is({F::IQ4_NL, F::IQ4_XS}) && n_gqa >= 4) type = T::Q5_K;
    else if (is({F::Q4_K_M, F::Q5_K_M}) && more_bits(i, n)) type = T::Q6_K;
    else if (ft == F::Q4_K_S && i < 4) type = T::Q5_K;
    if (facts_.is_70b() && (type == T::Q3_K || type == T::Q4_K)) type = T::Q5_K;
    if (n_expert == 8) type = T::Q8_0;
    ++i_attn_v_;
    return type;
  }
  // F.
  if (cat == Category::ATTN_K) {
    if (n_expert == 8) type = T::Q8_0;
    else if (ft == F::IQ3_XS) type = T::IQ3_XXS;
    else if (ft == F::IQ3_XXS) type = T::IQ2_S;
    return type;
  }
  // G.
  if (cat == Category::ATTN_Q) {
    if (ft == F::IQ3_XS) type = T::IQ3_XXS;
    else if (ft == F::IQ3_XXS) type = T::IQ2_S;
    return type;
  }
  // H.
  if (cat == Category::FFN_DOWN) {
    const int i = layer_of(i_ffn_down_, name), n = static_cast<int>(facts_.n_layer);
    if (ft == F::Q2_K) type = T::Q3_K;
    else if (ft == F::Q2_K_S) { if (i < n / 8) type = T::Q4_K; }
    else if (ft == F::IQ3_XXS && !imatrix) type = i < n / 8 ? T::Q4_K : T::Q3_K;
    else if (ft == F::Q3_K_M) type = i < n / 16 ? T::Q5_K : (!falcon || more_bits(i, n)) ? T::Q4_K : T::Q3_K;
    else if (ft == F::IQ3_M && (i < n / 8 || (n_expert == 8 && more_bits(i, n)))) type = T::Q4_K;
    else if (ft == F::Q3_K_L) type = falcon ? T::Q4_K : T::Q5_K;
    else if (ft == F::Q4_K_M) {
      if (falcon) type = i < n / 16 ? T::Q6_K : more_bits(i, n) ? T::Q5_K : T::Q4_K;
      else if (more_bits(i, n)) type = T::Q6_K;
    }
    else if (i < n / 8 && is({F::IQ4_NL, F::IQ4_XS}) && !imatrix) type = T::Q5_K;
    else if (ft == F::Q5_K_M && more_bits(i, n)) type = T::Q6_K;
    else if (ft == F::Q4_K_S && !falcon && i < n / 8) type = T::Q5_K;
    else if (is({F::Q4_0, F::Q5_0}) && imatrix && i < n / 8) type = ft == F::Q4_0 ? T::Q4_1 : T::Q5_1;
    ++i_ffn_down_;
    return type;
  }
  // I.
  if (cat == Category::ATTN_OUTPUT) {
    if (!falcon) {
      if (n_expert == 8) {
        if (is({F::Q2_K, F::IQ3_XS, F::IQ3_XXS, F::Q3_K_S, F::Q3_K_M, F::IQ4_NL, F::Q4_K_S, F::Q4_K_M, F::IQ3_S,
                F::IQ3_M, F::IQ4_XS}))
          type = T::Q5_K;
      } else {
        if (ft == F::Q2_K) type = T::Q3_K;
        else if (ft == F::IQ3_XXS) type = T::IQ3_S;
        else if (ft == F::Q3_K_M) type = T::Q4_K;
        else if (ft == F::Q3_K_L) type = T::Q5_K;
        else if (ft == F::IQ3_M) type = T::Q4_K;
      }
    } else if (ft == F::Q3_K_L) {
      type = T::Q4_K;
    }
    return type;
  }
  // J.
  if (cat == Category::FFN_GATE || cat == Category::FFN_UP) {
    int& counter = cat == Category::FFN_GATE ? i_ffn_gate_ : i_ffn_up_;
    const int i = layer_of(counter, name), n = static_cast<int>(facts_.n_layer);
    if (ft == F::IQ3_XS && i >= n / 8 && i < 7 * n / 8) type = T::IQ3_XXS;
    ++counter;
    return type;
  }
  return type;
}

GgmlType TypeSelector::fallback(std::string_view name, GgmlType type, int64_t ne0) {
  if (ne0 % block_size(type) == 0) return type;
  GgmlType fb;
  switch (type) {
    case T::IQ1_S: case T::IQ1_M: case T::IQ2_XXS: case T::IQ2_XS: case T::IQ2_S: case T::IQ3_XXS:
    case T::IQ3_S: case T::IQ4_XS:
      fb = T::IQ4_NL; break;
    case T::Q2_0: case T::Q2_K: case T::Q3_K: case T::TQ1_0: case T::TQ2_0:
      fb = T::Q4_0; break;
    case T::Q4_K: fb = T::Q5_0; break;
    case T::Q5_K: fb = T::Q5_1; break;
    case T::Q6_K: fb = T::Q8_0; break;
    default:
      fail("tensor '{}': {} columns are not a multiple of {}'s block size {} and there is no fallback type",
           name, ne0, type_name(type), block_size(type));
  }
  if (ne0 % block_size(fb) != 0) fb = T::F16;
  ++n_fallback_;
  return fb;
}

}  // namespace hearth::tensor

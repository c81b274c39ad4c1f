#pragma once
// llama.cpp file types (LLAMA_FTYPE, stored as general.file_type) and llama-quantize's
// per-tensor type selection (spec §6): which tensors are quantized at all, the
// output/embedding/attn_v/ffn_down rules of the mixed K-quant types, and the fallbacks for
// rows that are not a multiple of the block size.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "gguf/types.h"

namespace hearth::gguf {
class File;
}

namespace hearth::tensor {

// Values are the LLAMA_FTYPE ids (MOSTLY_ prefix dropped).
enum class LlamaFtype : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q8_0 = 7, Q5_0 = 8, Q5_1 = 9,
  Q2_K = 10, Q3_K_S = 11, Q3_K_M = 12, Q3_K_L = 13, Q4_K_S = 14, Q4_K_M = 15, Q5_K_S = 16,
  Q5_K_M = 17, Q6_K = 18, IQ2_XXS = 19, IQ2_XS = 20, Q2_K_S = 21, IQ3_XS = 22, IQ3_XXS = 23,
  IQ1_S = 24, IQ4_NL = 25, IQ3_S = 26, IQ3_M = 27, IQ2_S = 28, IQ2_M = 29, IQ4_XS = 30,
  IQ1_M = 31, BF16 = 32, TQ1_0 = 36, TQ2_0 = 37, MXFP4_MOE = 38, Q1_0 = 40, Q2_0 = 41,
};

struct FtypeInfo {
  LlamaFtype ftype;
  std::string_view name;      // "Q4_K_M"
  GgmlType default_type;      // the type most tensors get
  bool needs_imatrix;         // llama-quantize refuses it without an importance matrix
};

std::span<const FtypeInfo> all_ftypes();
const FtypeInfo& ftype_info(LlamaFtype f);
std::string_view ftype_name(LlamaFtype f);
GgmlType ftype_default_type(LlamaFtype f);
// "Q4_K_M", "q4_k_m", "MOSTLY_Q4_K_M", "ALL_F32" or the numeric id ("15").
std::optional<LlamaFtype> ftype_from_name(std::string_view name);

// The model-level facts the selection rules depend on.
struct ModelFacts {
  std::string arch;        // general.architecture
  int64_t n_layer = 0;     // <arch>.block_count
  int64_t n_head = 0;      // <arch>.attention.head_count (layer 0)
  int64_t n_head_kv = 0;   // <arch>.attention.head_count_kv (layer 0; defaults to n_head)
  int64_t n_expert = 0;    // <arch>.expert_count
  bool has_output = false; // an output.weight tensor exists (else the embedding is tied)
  int n_attn_v = 0;        // tensors whose name contains attn_v/attn_qkv/attn_kv_b.weight

  int64_t n_gqa() const { return n_head_kv > 0 ? n_head / n_head_kv : 0; }
  bool is_70b() const;     // llama.cpp's LLM_TYPE_70B for llama (80 layers, GQA) and qwen2 (80 layers)
};
ModelFacts model_facts(const gguf::File& f);

struct SelectionOptions {
  bool pure = false;                       // every eligible tensor gets the default type
  bool leave_output = false;               // keep output.weight as it is
  std::optional<GgmlType> output_type;     // user's type for output.weight
  std::optional<GgmlType> token_embd_type; // user's type for the token embedding
  bool has_imatrix = false;                // hearth has none; kept so the rules read as specified
};

// §6.2: may this tensor change type at all? ne are the four ggml dims.
bool is_quantizable(std::string_view name, const std::array<int64_t, 4>& ne, bool leave_output);

// Per-tensor type choice. Tensors must be presented in llama-quantize's order
// (sort_tensor_names) because the attn_v / ffn_down rules count the tensors already seen.
class TypeSelector {
 public:
  TypeSelector(LlamaFtype ftype, ModelFacts facts, SelectionOptions options = {});

  // The output type of one tensor; input_type is returned for tensors that are not quantized.
  GgmlType select(std::string_view name, GgmlType input_type, const std::array<int64_t, 4>& ne);
  int n_fallback() const { return n_fallback_; }

 private:
  enum class Category;
  GgmlType rules(Category cat, std::string_view name, GgmlType type, const std::array<int64_t, 4>& ne);
  GgmlType fallback(std::string_view name, GgmlType type, int64_t ne0);
  int layer_of(int counter, std::string_view name) const;

  LlamaFtype ftype_;
  ModelFacts facts_;
  SelectionOptions options_;
  int i_attn_v_ = 0, i_ffn_down_ = 0, i_ffn_gate_ = 0, i_ffn_up_ = 0;
  int n_fallback_ = 0;
};

// The layer index of a "blk.<N>." name as llama.cpp parses it (sscanf "blk.%d."), else -1.
int tensor_layer(std::string_view name);
// llama-quantize's tensor order (§1.7): by (layer, name), non-block tensors first.
bool tensor_order_less(std::string_view a, std::string_view b);

}  // namespace hearth::tensor

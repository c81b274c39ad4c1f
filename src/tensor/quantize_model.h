#pragma once
// Whole-file quantization, reproducing llama-quantize's output (spec §1.7, §6): metadata copied
// in order with general.quantization_version and general.file_type appended, tensors sorted
// by (layer, name), each quantized row by row with the reference quantizers. Without an
// importance matrix the output is byte-identical to llama-quantize's.
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gguf/types.h"
#include "gguf/value.h"
#include "tensor/ftype.h"

namespace hearth {
class ThreadPool;
namespace gguf {
class File;
}
}  // namespace hearth

namespace hearth::tensor {

inline constexpr uint32_t kQuantizationVersion = 2;  // GGML_QNT_VERSION

// Whether hearth can produce this file type: its quantizers exist for every type the rules can
// pick, and it needs no importance matrix. MXFP4_MOE is excluded (no MXFP4 quantizer).
bool can_quantize_ftype(LlamaFtype f);

struct QuantizeOptions {
  LlamaFtype ftype = LlamaFtype::Q4_K_M;
  SelectionOptions selection;
};

struct TensorPlan {
  size_t input_index = 0;  // into gguf::File::tensors()
  std::string name;
  std::array<int64_t, 4> ne{1, 1, 1, 1};
  GgmlType from = GgmlType::F32;
  GgmlType to = GgmlType::F32;
  uint64_t in_bytes = 0;
  uint64_t out_bytes = 0;

  bool converted() const { return from != to; }
};

struct QuantizePlan {
  LlamaFtype ftype = LlamaFtype::F32;
  uint32_t alignment = 32;
  std::vector<gguf::KeyValue> metadata;  // in output order
  std::vector<TensorPlan> tensors;       // in output order
  int n_fallback = 0;                    // tensors that got a fallback type (§6.4 FALLBACK)

  uint64_t input_bytes() const;   // sum of input tensor sizes
  uint64_t output_bytes() const;  // sum of output tensor sizes
};

// Decides every output type and the file layout; throws hearth::Error for an input that cannot
// be converted (a quantized tensor that would need re-quantizing, a type hearth cannot produce,
// a file type that needs an importance matrix).
QuantizePlan plan_quantization(const gguf::File& in, const QuantizeOptions& options);

// Writes the planned file (temp file + fsync + rename). Rows are spread over `pool`.
// on_tensor(i, n) is called after tensor i (0-based) of n has been written.
void write_quantized(const gguf::File& in, const QuantizePlan& plan, const std::filesystem::path& out,
                     ThreadPool& pool, const std::function<void(size_t i, size_t n)>& on_tensor = {});

// Converts one tensor's data (all rows) from plan.from to plan.to into `out`
// (plan.out_bytes long). Exposed for tests.
void convert_tensor(const uint8_t* src, const TensorPlan& plan, uint8_t* out, ThreadPool& pool);

}  // namespace hearth::tensor

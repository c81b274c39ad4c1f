#include "tensor/quantize_model.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "core/thread_pool.h"
#include "gguf/reader.h"
#include "gguf/writer.h"
#include "tensor/quant.h"

namespace hearth::tensor {
namespace {

bool is_float_type(GgmlType t) { return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16; }

// Keys llama-quantize drops from the copied metadata (the first two are re-added at the end).
bool dropped_key(std::string_view key) {
  return key == "general.quantization_version" || key == "general.file_type" || key == "split.no" ||
         key == "split.count" || key == "split.tensors.count";
}

}  // namespace

bool can_quantize_ftype(LlamaFtype f) {
  const FtypeInfo& fi = ftype_info(f);
  if (fi.needs_imatrix || f == LlamaFtype::MXFP4_MOE) return false;
  if (!can_quantize(fi.default_type)) return false;
  // IQ3_XS/IQ3_S/IQ3_M default to IQ3_S (no quantizer) and are caught above; every other
  // type the rules of a remaining ftype can pick is a K-quant, Q8_0 or a fallback we have.
  return true;
}

uint64_t QuantizePlan::input_bytes() const {
  uint64_t n = 0;
  for (const auto& t : tensors) n += t.in_bytes;
  return n;
}

uint64_t QuantizePlan::output_bytes() const {
  uint64_t n = 0;
  for (const auto& t : tensors) n += t.out_bytes;
  return n;
}

QuantizePlan plan_quantization(const gguf::File& in, const QuantizeOptions& options) {
  const FtypeInfo& fi = ftype_info(options.ftype);
  if (fi.needs_imatrix && !options.selection.has_imatrix)
    fail("{}: file type {} needs an importance matrix, which hearth quantize does not support", in.name(), fi.name);

  QuantizePlan plan;
  plan.ftype = options.ftype;
  // llama.cpp copies general.alignment but always pads to 32; hearth honours the value it copies.
  plan.alignment = static_cast<uint32_t>(in.alignment());
  for (const auto& kv : in.metadata())
    if (!dropped_key(kv.key)) plan.metadata.push_back(kv);
  plan.metadata.push_back({"general.quantization_version", gguf::Value(kQuantizationVersion)});
  plan.metadata.push_back({"general.file_type", gguf::Value(static_cast<uint32_t>(options.ftype))});

  const auto& tensors = in.tensors();
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return tensor_order_less(tensors[a].name, tensors[b].name); });

  TypeSelector selector(options.ftype, model_facts(in), options.selection);
  for (size_t idx : order) {
    const gguf::TensorInfo& t = tensors[idx];
    TensorPlan p;
    p.input_index = idx;
    p.name = t.name;
    p.ne = t.ne;
    p.from = t.type;
    p.to = selector.select(t.name, t.type, t.ne);
    p.in_bytes = t.n_bytes;
    if (p.converted()) {
      if (!is_float_type(p.from))
        fail("{}: tensor '{}' is {}: hearth quantize converts only F32, F16 and BF16 tensors (re-quantizing "
             "is not supported; start from an unquantized file)",
             in.name(), t.name, type_name(p.from));
      if (!can_quantize(p.to))
        fail("{}: file type {} needs tensor '{}' in {}, which hearth cannot quantize to", in.name(), fi.name,
             t.name, type_name(p.to));
      const auto bs = type_info(p.to).block_size;
      if (t.ne[0] % bs != 0)
        fail("{}: tensor '{}' has {} columns, not a multiple of {}'s block size {}", in.name(), t.name, t.ne[0],
             type_name(p.to), bs);
    }
    p.out_bytes = row_size(p.to, t.ne[0]) * static_cast<uint64_t>(t.n_rows());
    plan.tensors.push_back(std::move(p));
  }
  plan.n_fallback = selector.n_fallback();
  return plan;
}

void convert_tensor(const uint8_t* src, const TensorPlan& p, uint8_t* out, ThreadPool& pool) {
  const int64_t ne0 = p.ne[0];
  const int64_t n_rows = p.ne[1] * p.ne[2] * p.ne[3];
  if (ne0 == 0 || n_rows == 0) return;
  const size_t in_row = row_size(p.from, ne0), out_row = row_size(p.to, ne0);
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / ne0);
  pool.parallel_for(n_rows, grain, [&](int64_t begin, int64_t end) {
    std::vector<float> tmp;
    for (int64_t r = begin; r < end; ++r) {
      const uint8_t* s = src + static_cast<size_t>(r) * in_row;
      const float* x;
      if (p.from == GgmlType::F32 && reinterpret_cast<uintptr_t>(s) % alignof(float) == 0) {
        x = reinterpret_cast<const float*>(s);
      } else {
        tmp.resize(static_cast<size_t>(ne0));
        dequantize_row(p.from, s, tmp.data(), ne0);
        x = tmp.data();
      }
      quantize_row(p.to, x, out + static_cast<size_t>(r) * out_row, ne0);
    }
  });
}

void write_quantized(const gguf::File& in, const QuantizePlan& plan, const std::filesystem::path& out,
                     ThreadPool& pool, const std::function<void(size_t, size_t)>& on_tensor) {
  gguf::Writer w(plan.alignment);
  for (const auto& kv : plan.metadata) w.set(kv.key, kv.value);
  for (const TensorPlan& p : plan.tensors) {
    const gguf::TensorInfo& t = in.tensors().at(p.input_index);
    std::vector<int64_t> ne(p.ne.begin(), p.ne.end());
    if (!p.converted()) {
      w.add_tensor(p.name, p.to, std::move(ne), t.bytes());
    } else {
      const uint8_t* src = t.data;
      w.add_tensor(p.name, p.to, std::move(ne),
                   [src, &p, &pool](std::span<uint8_t> dst) { convert_tensor(src, p, dst.data(), pool); });
    }
  }
  w.write(out, on_tensor ? [&](size_t i, size_t n) { on_tensor(i - 1, n); } : std::function<void(size_t, size_t)>{});
}

}  // namespace hearth::tensor
